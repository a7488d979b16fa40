// The host's decoding of a window's spike bitmap (kernels/bitmap_decode.hpp), which the CUDA backend uses in
// place of the device's count and write kernels: every set bit once, as 32 w + b, in (step, id) order, with
// each step's first index, against a bit-by-bit reference.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "../../kernels/bitmap_decode.hpp"

namespace {

using synfire::cuda::decode_spike_bitmap;

void reference(const std::vector<std::uint32_t>& bitmap, std::size_t words, int steps, std::vector<std::uint32_t>& ids,
               std::vector<std::uint32_t>& offsets) {
    ids.clear();
    offsets.clear();
    for (int k = 0; k < steps; ++k) {
        offsets.push_back(static_cast<std::uint32_t>(ids.size()));
        for (std::size_t id = 0; id < words * 32; ++id)
            if (bitmap[static_cast<std::size_t>(k) * words + id / 32] >> (id % 32) & 1u) ids.push_back(static_cast<std::uint32_t>(id));
    }
    offsets.push_back(static_cast<std::uint32_t>(ids.size()));
}

TEST(BitmapDecode, MatchesABitByBitReference) {
    std::mt19937_64 rng(5);
    std::vector<std::uint32_t> ids{7, 7, 7}, offsets{1}, want_ids, want_offsets;  // stale contents are replaced
    for (std::size_t words : {1u, 2u, 7u, 8u, 9u, 16u, 17u, 37u, 2413u}) {
        for (int steps : {0, 1, 3, 64}) {
            for (double p : {0.0, 1e-3, 0.05, 0.5, 1.0}) {  // probability of a set bit
                std::bernoulli_distribution bit(p);
                std::vector<std::uint32_t> bitmap(words * static_cast<std::size_t>(steps), 0);
                for (auto& w : bitmap)
                    for (int b = 0; b < 32; ++b)
                        if (bit(rng)) w |= 1u << b;
                decode_spike_bitmap(bitmap.data(), words, steps, ids, offsets);
                reference(bitmap, words, steps, want_ids, want_offsets);
                ASSERT_EQ(offsets, want_offsets) << words << " words, " << steps << " steps, p " << p;
                ASSERT_EQ(ids, want_ids) << words << " words, " << steps << " steps, p " << p;
            }
        }
    }
}

TEST(BitmapDecode, LoneBitsAtEveryPositionOfARun) {
    // one set bit in each of the eight words a run of silent words is skipped by, and in the tail
    const std::size_t words = 19;
    for (std::size_t id = 0; id < words * 32; ++id) {
        std::vector<std::uint32_t> bitmap(2 * words, 0);
        bitmap[words + id / 32] = 1u << (id % 32);  // step 1 only
        std::vector<std::uint32_t> ids, offsets;
        decode_spike_bitmap(bitmap.data(), words, 2, ids, offsets);
        ASSERT_EQ(ids, std::vector<std::uint32_t>{static_cast<std::uint32_t>(id)});
        ASSERT_EQ(offsets, (std::vector<std::uint32_t>{0, 0, 1}));
    }
}

}  // namespace
