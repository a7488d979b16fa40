#include <gtest/gtest.h>

#include <vector>

#include "synfire/philox.hpp"

namespace synfire {
namespace {

struct kat {
    philox_counter ctr;
    philox_key key;
    philox_counter expected;
};

// Random123 kat_vectors, the three "philox4x32 10" lines.
const kat known_answers[] = {
    {{{0, 0, 0, 0}}, {{0, 0}}, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
    {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, {{0xffffffff, 0xffffffff}}, {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
    {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, {{0xa4093822, 0x299f31d0}}, {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
};

TEST(Philox, KnownAnswerVectors) {
    for (const auto& k : known_answers) {
        const philox_counter r = philox4x32_10(k.ctr, k.key);
        for (int i = 0; i < 4; ++i) EXPECT_EQ(r.v[i], k.expected.v[i]) << "word " << i;
    }
}

TEST(Philox, LanesEqualTheScalarFunction) {
    // philox4x32_10_lanes (eight lanes a register where AVX2 is built, the portable loop for the rest) against
    // philox4x32_10 one counter at a time: counters with every word random, lane counts around multiples of 8
    const philox_key key{{0x243F6A88u, 0x85A308D3u}};
    for (int n : {1, 7, 8, 9, 15, 16, 63, 64, 65, 200}) {
        for (std::uint32_t r = 0; r < 50; ++r) {
            std::vector<std::uint32_t> w[4];
            std::vector<philox_counter> in;
            for (int k = 0; k < n; ++k) {
                const philox_counter c = philox4x32_10({{r, static_cast<std::uint32_t>(k), 17, 4}}, {{1, 2}});
                in.push_back(c);
                for (int j = 0; j < 4; ++j) w[j].push_back(c.v[j]);
            }
            philox4x32_10_lanes(w[0].data(), w[1].data(), w[2].data(), w[3].data(), n, key);
            for (int k = 0; k < n; ++k) {
                const philox_counter e = philox4x32_10(in[static_cast<std::size_t>(k)], key);
                for (int j = 0; j < 4; ++j) ASSERT_EQ(w[j][static_cast<std::size_t>(k)], e.v[j]) << "n " << n << " lane " << k << " word " << j;
            }
        }
    }
}

TEST(Philox, OneBitOfCounterChangesAllWords) {
    const philox_counter a = philox4x32_10({{0, 0, 0, 0}}, {{0, 0}});
    const philox_counter b = philox4x32_10({{1, 0, 0, 0}}, {{0, 0}});
    for (int i = 0; i < 4; ++i) EXPECT_NE(a.v[i], b.v[i]);
}

TEST(Philox, PurposesNeverShareCounters) {
    const philox_counter c = make_counter(rng_purpose::initial_state, 1, 2, 3, 0xFFFFFFFFu);
    EXPECT_EQ(c.v[3] >> 24, static_cast<std::uint32_t>(rng_purpose::initial_state));
    EXPECT_EQ(c.v[3] & 0x00FFFFFFu, 0x00FFFFFFu);
}

TEST(Philox, UniformDoubleSpansTheUnitInterval) {
    EXPECT_EQ(uniform_double(0, 0), 0.0);
    EXPECT_LT(uniform_double(0xFFFFFFFFu, 0xFFFFFFFFu), 1.0);
    EXPECT_GT(uniform_double(0xFFFFFFFFu, 0xFFFFFFFFu), 1.0 - 1e-15);
    EXPECT_EQ(uniform_double(0x80000000u, 0), 0.5);
}

}  // namespace
}  // namespace synfire
