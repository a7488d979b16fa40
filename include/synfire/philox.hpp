#pragma once
// Philox4x32-10 counter-based random number generator.
// Salmon, Moraes, Dror & Shaw (2011), "Parallel random numbers: as easy as 1, 2, 3", SC'11.
// Every draw is a pure function of (key, counter), so results never depend on thread count,
// partitioning or backend.
#include <cstdint>

#include "synfire/host_device.hpp"

#if defined(__AVX2__) && !defined(__CUDACC__)
#include <immintrin.h>
#define SYNFIRE_PHILOX_AVX2 1
#endif

namespace synfire {

struct philox_counter {
    std::uint32_t v[4];
};
struct philox_key {
    std::uint32_t v[2];
};

namespace detail {
SYNFIRE_HD void philox_mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
    const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
    hi = static_cast<std::uint32_t>(p >> 32);
    lo = static_cast<std::uint32_t>(p);
}
}  // namespace detail

/// Philox4x32 with 10 rounds; checked against the Random123 known-answer vectors.
SYNFIRE_HD philox_counter philox4x32_10(philox_counter c, philox_key k) {
    constexpr std::uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
    constexpr std::uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k.v[0] += W0;
            k.v[1] += W1;
        }
        std::uint32_t hi0, lo0, hi1, lo1;
        detail::philox_mulhilo(M0, c.v[0], hi0, lo0);
        detail::philox_mulhilo(M1, c.v[2], hi1, lo1);
        c = philox_counter{{hi1 ^ c.v[1] ^ k.v[0], lo1, hi0 ^ c.v[3] ^ k.v[1], lo0}};
    }
    return c;
}

/// philox4x32_10 of n counters held lane by lane, (c0[k], c1[k], c2[k], c3[k]) for k < n, in place: the same
/// words as the scalar function, computed eight lanes at a time. With AVX2, eight counters per register, their
/// ten rounds in registers: even lanes multiplied by vpmuludq directly, odd lanes after a 64-bit shift, high and
/// low halves put back in place by blends (no lane crossing; 2.2x the loop GCC made of the portable form).
/// Otherwise, and for the last n % 8 lanes, the portable loop over lanes, which compilers vectorise. Host code
/// only (the batched construction draws and the CPU backend's Poisson and noise inputs).
inline void philox4x32_10_lanes(std::uint32_t* __restrict c0, std::uint32_t* __restrict c1, std::uint32_t* __restrict c2,
                                std::uint32_t* __restrict c3, int n, philox_key key) {
    int first = 0;
#ifdef SYNFIRE_PHILOX_AVX2
    const __m256i m0 = _mm256_set1_epi64x(0xD2511F53u), m1 = _mm256_set1_epi64x(0xCD9E8D57u);
    const __m256i w0 = _mm256_set1_epi32(static_cast<int>(0x9E3779B9u)), w1 = _mm256_set1_epi32(static_cast<int>(0xBB67AE85u));
    const auto load = [](const std::uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); };
    const auto store = [](std::uint32_t* p, __m256i x) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), x); };
    for (; first + 8 <= n; first += 8) {
        __m256i x0 = load(c0 + first), x1 = load(c1 + first), x2 = load(c2 + first), x3 = load(c3 + first);
        __m256i k0 = _mm256_set1_epi32(static_cast<int>(key.v[0])), k1 = _mm256_set1_epi32(static_cast<int>(key.v[1]));
        for (int round = 0; round < 10; ++round) {
            if (round > 0) k0 = _mm256_add_epi32(k0, w0), k1 = _mm256_add_epi32(k1, w1);
            const __m256i e0 = _mm256_mul_epu32(x0, m0), o0 = _mm256_mul_epu32(_mm256_srli_epi64(x0, 32), m0);
            const __m256i e1 = _mm256_mul_epu32(x2, m1), o1 = _mm256_mul_epu32(_mm256_srli_epi64(x2, 32), m1);
            const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(e0, 32), o0, 0xAA);
            const __m256i lo0 = _mm256_blend_epi32(e0, _mm256_slli_epi64(o0, 32), 0xAA);
            const __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(e1, 32), o1, 0xAA);
            const __m256i lo1 = _mm256_blend_epi32(e1, _mm256_slli_epi64(o1, 32), 0xAA);
            x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), k0);
            x1 = lo1;
            x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), k1);
            x3 = lo0;
        }
        store(c0 + first, x0), store(c1 + first, x1), store(c2 + first, x2), store(c3 + first, x3);
    }
#endif
    std::uint32_t k0 = key.v[0], k1 = key.v[1];
    for (int round = 0; round < 10; ++round) {
        if (round > 0) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
        for (int k = first; k < n; ++k) {
            const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * c0[k], p1 = std::uint64_t{0xCD9E8D57u} * c2[k];
            const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1[k] ^ k0, n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3[k] ^ k1;
            c0[k] = n0, c1[k] = static_cast<std::uint32_t>(p1), c2[k] = n2, c3[k] = static_cast<std::uint32_t>(p0);
        }
    }
}

/// What a random stream is for. The purpose sits in the top byte of counter word 3, so streams of
/// different purposes never share a counter; a new purpose gets a new value, never a reused one.
enum class rng_purpose : std::uint32_t {
    initial_state = 1,  ///< V_init draws; counter (neuron, 0, population, purpose)
    noise = 2,          ///< noise stimuli; counter (neuron, draw, stimulus, draw >> 32)
    poisson = 3,        ///< poisson stimuli; counter (neuron, step/4, stimulus, (step/4) >> 32), word step % 4
    connect = 4,        ///< connectivity; counter (target or source neuron, draw, projection, draw >> 32)
    weight = 5,         ///< synaptic weights; counter (entity, synapse index, projection, redraw attempt)
    delay = 6,          ///< synaptic delays; counter (entity, synapse index, projection, redraw attempt)
};

/// The key is the 64-bit seed.
SYNFIRE_HD philox_key make_key(std::uint64_t seed) {
    return philox_key{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
}

/// Counter for a draw: three free words and a 24-bit fourth word tagged with the purpose.
SYNFIRE_HD philox_counter make_counter(rng_purpose purpose, std::uint32_t a, std::uint32_t b, std::uint32_t c,
                                       std::uint32_t d = 0) {
    return philox_counter{{a, b, c, (d & 0x00FFFFFFu) | (static_cast<std::uint32_t>(purpose) << 24)}};
}

/// Uniform double in [0, 1) from two 32-bit words (53 random bits).
SYNFIRE_HD double uniform_double(std::uint32_t hi, std::uint32_t lo) {
    const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 21) | (lo >> 11);
    return static_cast<double>(bits) * 0x1.0p-53;
}

}  // namespace synfire
