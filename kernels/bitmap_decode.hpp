#pragma once
// The host's counterpart of spike_compaction.cu: a window's spike bitmap (steps rows of `words` words, bit b of
// word w is neuron 32 w + b) decoded into ids in (step, id) order and each step's first index, the same output
// as count_spikes + write_spikes. The CUDA backend decodes on the host where the persistent window kernel runs
// (small networks: at most ~800 KB of bitmap per window), whose grid leaves the counting and writing kernels
// of the other streams waiting until it ends (bench/NOTES.md, v9). Tested in tests/unit/test_bitmap_decode.cpp.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace synfire::cuda {

/// Replaces `ids` with the set bits of `bitmap` (`steps` rows of `words` words) in row order and `offsets` with
/// the index of each row's first id and, last, the total (steps + 1 entries).
inline void decode_spike_bitmap(const std::uint32_t* bitmap, std::size_t words, int steps, std::vector<std::uint32_t>& ids,
                                std::vector<std::uint32_t>& offsets) {
    ids.clear();
    offsets.resize(static_cast<std::size_t>(steps) + 1);
    auto emit = [&ids](std::uint32_t bits, std::size_t w) {
        const auto first = static_cast<std::uint32_t>(w) * 32u;
        while (bits) {
            ids.push_back(first + static_cast<std::uint32_t>(__builtin_ctz(bits)));
            bits &= bits - 1;
        }
    };
    for (int k = 0; k < steps; ++k) {
        offsets[static_cast<std::size_t>(k)] = static_cast<std::uint32_t>(ids.size());
        const std::uint32_t* row = bitmap + static_cast<std::size_t>(k) * words;
        std::size_t w = 0;
        for (; w + 8 <= words; w += 8) {  // most words are silent: skip them eight at a time
            std::uint32_t any = 0;
            for (std::size_t j = 0; j < 8; ++j) any |= row[w + j];
            if (!any) continue;
            for (std::size_t j = 0; j < 8; ++j) emit(row[w + j], w + j);
        }
        for (; w < words; ++w) emit(row[w], w);
    }
    offsets[static_cast<std::size_t>(steps)] = static_cast<std::uint32_t>(ids.size());
}

}  // namespace synfire::cuda
