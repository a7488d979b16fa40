// The delivery's fixed list partition (kernels/list_partition.hpp): every synapse of every spike below the
// count is taken by exactly one worker, whatever the workers, parts, count and range lengths.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "../../kernels/list_partition.hpp"

namespace {

using synfire::cuda::fixed_partition;
using synfire::cuda::part_of_range;
using synfire::cuda::parts_for;

TEST(ListPartition, PartsOfARangeTileIt) {
    for (std::uint64_t len : {0ull, 1ull, 7ull, 256ull, 3873ull, (1ull << 33) + 5}) {
        for (std::uint32_t parts : {1u, 2u, 3u, 12u, 305u, 4000u}) {
            std::uint64_t next = 0;
            for (std::uint32_t p = 0; p < parts; ++p) {
                const auto b = part_of_range(len, parts, p);
                ASSERT_LE(b.lo, b.hi);
                if (b.lo == b.hi) {
                    EXPECT_EQ(b.lo, len) << "an empty part lies past the end";
                    continue;
                }
                EXPECT_EQ(b.lo, next) << "len " << len << ", part " << p << " of " << parts;
                next = b.hi;
            }
            EXPECT_EQ(next, len) << "len " << len << ", parts " << parts;
        }
    }
}

TEST(ListPartition, EverySynapseIsTakenOnce) {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 400; ++trial) {
        const std::uint32_t workers = 1 + rng() % 700;
        const std::uint32_t requested = rng() % (workers + 3);  // 0 and past the workers: clamped
        const auto f = fixed_partition::of(workers, requested);
        ASSERT_GE(f.parts, 1u);
        ASSERT_LE(f.parts, workers);
        ASSERT_GE(f.groups, 1u);
        const std::uint32_t count = rng() % 90;
        std::vector<std::uint64_t> len(count);
        for (auto& l : len) l = rng() % 5 == 0 ? 0 : rng() % 5000;
        std::vector<std::vector<std::uint8_t>> taken(count);
        for (std::uint32_t j = 0; j < count; ++j) taken[j].assign(len[j], 0);
        for (std::uint32_t w = 0; w < workers; ++w) {
            if (!f.active(w)) continue;
            for (std::uint32_t j = f.first_spike(w); j < count; j += f.groups) {
                const auto b = part_of_range(len[j], f.parts, f.part(w));
                for (std::uint64_t e = b.lo; e < b.hi; ++e) ++taken[j][e];
            }
        }
        for (std::uint32_t j = 0; j < count; ++j)
            for (std::uint64_t e = 0; e < len[j]; ++e)
                ASSERT_EQ(taken[j][e], 1) << "workers " << workers << ", parts " << f.parts << ", spike " << j << " of " << count
                                          << ", synapse " << e << " of " << len[j];
    }
}

TEST(ListPartition, PartsKeepOneRoundForTheExpectedSpikes) {
    EXPECT_EQ(parts_for(305, 25.0), 12u);  // the microcircuit: 305 update blocks, ~25 spikes per step
    EXPECT_EQ(parts_for(305, 1000.0), 1u);
    EXPECT_EQ(parts_for(305, 0.0), 305u);  // no spikes expected: each spike over the whole grid
    EXPECT_EQ(fixed_partition::of(305, parts_for(305, 25.0)).groups, 25u);
}

}  // namespace
