#pragma once
// Distributions drawn inside the per-step code, identically on CPU and GPU: built from Philox words and
// correctly rounded IEEE operations only (+ - * / sqrt, comparisons), never from libm, whose results
// differ between host and device.
#include <cstdint>
#include <cstring>

#include "synfire/host_device.hpp"
#include "synfire/philox.hpp"

namespace synfire {

/// Natural logarithm of a finite x > 0, to about 1 ulp: x = m·2^e with m in [sqrt(1/2), sqrt(2)),
/// log(m) = 2·atanh(s), s = (m - 1)/(m + 1), as a series in s^2 (|s| < 0.172, 12 terms).
SYNFIRE_HD double det_log(double x) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, 8);
    int e = static_cast<int>((bits >> 52) & 0x7FF) - 1023;
    bits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;  // mantissa in [1, 2)
    double m;
    std::memcpy(&m, &bits, 8);
    if (m > 1.4142135623730951) m *= 0.5, ++e;
    const double s = (m - 1.0) / (m + 1.0);
    const double z = s * s;
    double p = 1.0 / 25.0;
    p = p * z + 1.0 / 23.0;
    p = p * z + 1.0 / 21.0;
    p = p * z + 1.0 / 19.0;
    p = p * z + 1.0 / 17.0;
    p = p * z + 1.0 / 15.0;
    p = p * z + 1.0 / 13.0;
    p = p * z + 1.0 / 11.0;
    p = p * z + 1.0 / 9.0;
    p = p * z + 1.0 / 7.0;
    p = p * z + 1.0 / 5.0;
    p = p * z + 1.0 / 3.0;
    const double log_m = 2.0 * s + 2.0 * s * z * p;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    return e * ln2_hi + (e * ln2_lo + log_m);
}

namespace detail {
/// 2^e for -1022 <= e <= 1023, exactly.
SYNFIRE_HD double two_to(int e) {
    const std::uint64_t bits = static_cast<std::uint64_t>(e + 1023) << 52;
    double p;
    std::memcpy(&p, &bits, 8);
    return p;
}

SYNFIRE_HD double pick(bool c, double a, double b) { return c ? a : b; }
}  // namespace detail

/// Exponential of x, to under 1 ulp, from + - * / only (fdlibm's e_exp.c): x = k·ln2 + r with |r| <= ln2/2, exp(r)
/// from a degree-5 minimax polynomial in r^2, then an exact scaling by 2^k. Inf above 709.78, 0 below -745.13.
SYNFIRE_HD double det_exp(double x) {
    if (x != x) return x;
    if (x > 7.09782712893383973096e+02) {
        const std::uint64_t inf = 0x7FF0000000000000ull;
        double r;
        std::memcpy(&r, &inf, 8);
        return r;
    }
    if (x < -7.45133219101941108420e+02) return 0.0;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    const int k = static_cast<int>(1.44269504088896338700e+00 * x + (x < 0 ? -0.5 : 0.5));  // nearest integer to x/ln2
    const double hi = x - k * ln2_hi;  // exact: ln2_hi has 32 bits and |k| < 2^11
    const double lo = k * ln2_lo;
    const double r = hi - lo;
    const double t = r * r;
    const double c = r - t * (1.66666666666666019037e-01 +
                              t * (-2.77777777770155933842e-03 + t * (6.61375632143793436117e-05 + t * (-1.65339022054652515390e-06 +
                                                                                                      t * 4.13813679705723846039e-08))));
    const double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    if (k > 1023) return y * 2.0 * detail::two_to(k - 1);
    if (k < -1021) return y * detail::two_to(k + 1000) * detail::two_to(-1000);  // subnormal results: one rounding at the end
    return y * detail::two_to(k);
}

/// The central branch of normal_quantile, for q = p - 1/2 with |q| <= 0.425 (branch-free: batches vectorise it).
SYNFIRE_HD double normal_quantile_central(double q) {
    const double r = 0.180625 - q * q;
    const double num = (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r + 6.7265770927008700853e4) * r +
                            4.5921953931549871457e4) * r + 1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r +
                          1.3314166789178437745e2) * r + 3.3871328727963666080e0);
    const double den = (((((((5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r + 3.9307895800092710610e4) * r +
                            2.1213794301586595867e4) * r + 5.3941960214247511077e3) * r + 6.8718700749205790830e2) * r +
                          4.2313330701600911252e1) * r + 1.0);
    return q * num / den;
}

/// Whether normal_quantile takes its central branch for q = p - 1/2.
SYNFIRE_HD bool normal_quantile_is_central(double q) { return (q < 0 ? -q : q) <= 0.425; }

/// The tail branch of normal_quantile, for p with |p - 1/2| > 0.425: r = sqrt(-log(min(p, 1 - p))), then a
/// rational function of r - 1.6 (r <= 5) or of r - 5 (beyond, p below ~1.4e-11). The coefficient set is chosen
/// by a select, not a branch, so that a batch of tails vectorises (standard_normal_lanes); the same operations
/// on the same constants, so the same bits as the two branches.
SYNFIRE_HD double normal_quantile_tail(double p) {
    const double q = p - 0.5;
    const double r = sqrt(-det_log(q < 0 ? p : 1.0 - p));
    const bool near = r <= 5.0;
    const double t = near ? r - 1.6 : r - 5.0;
    using detail::pick;
    // Horner's scheme, as the two branches wrote it: num = ((a7 t + a6) t + ...) t + a0, den likewise ending in + 1
    double num = pick(near, 7.74545014278341407640e-4, 2.01033439929228813265e-7);
    num = num * t + pick(near, 2.27238449892691845833e-2, 2.71155556874348757815e-5);
    num = num * t + pick(near, 2.41780725177450611770e-1, 1.24266094738807843860e-3);
    num = num * t + pick(near, 1.27045825245236838258e0, 2.65321895265761230930e-2);
    num = num * t + pick(near, 3.64784832476320460504e0, 2.96560571828504891230e-1);
    num = num * t + pick(near, 5.76949722146069140550e0, 1.78482653991729133580e0);
    num = num * t + pick(near, 4.63033784615654529590e0, 5.46378491116411436990e0);
    num = num * t + pick(near, 1.42343711074968357734e0, 6.65790464350110377720e0);
    double den = pick(near, 1.05075007164441684324e-9, 2.04426310338993978564e-15);
    den = den * t + pick(near, 5.47593808499534494600e-4, 1.42151175831644588870e-7);
    den = den * t + pick(near, 1.51986665636164571966e-2, 1.84631831751005468180e-5);
    den = den * t + pick(near, 1.48103976427480074590e-1, 7.86869131145613259100e-4);
    den = den * t + pick(near, 6.89767334985100004550e-1, 1.48753612908506148525e-2);
    den = den * t + pick(near, 1.67638483018380384940e0, 1.36929880922735805310e-1);
    den = den * t + pick(near, 2.05319162663775882187e0, 5.99832206555887937690e-1);
    den = den * t + 1.0;
    const double value = num / den;
    return q < 0 ? -value : value;
}

/// Standard normal quantile of p in (0, 1): Wichura's AS 241 (PPND16), Applied Statistics 37:477-484 (1988),
/// relative accuracy about 1e-16.
SYNFIRE_HD double normal_quantile(double p) {
    const double q = p - 0.5;
    return normal_quantile_is_central(q) ? normal_quantile_central(q) : normal_quantile_tail(p);
}

/// (k + 1/2)·2^-53 for the 53-bit integer k = hi·2^21 + lo/2^11 two Philox words form. Every term is exact below
/// 2^53, so the one rounding is that of the + 1/2, as in (double(k) + 0.5)·2^-53; 32-bit conversions vectorise.
SYNFIRE_HD double normal_p(std::uint32_t hi, std::uint32_t lo) {
    return (static_cast<double>(hi) * 0x1p21 + static_cast<double>(lo >> 11) + 0.5) * 0x1p-53;
}

/// A standard normal deviate from two Philox words: the quantile of (k + 1/2)·2^-53, k the 53-bit integer they form.
SYNFIRE_HD double standard_normal(std::uint32_t hi, std::uint32_t lo) { return normal_quantile(normal_p(hi, lo)); }

/// standard_normal(hi[k], lo[k]) for k < n, lane by lane, the same bits: per 64 lanes, the central branch of the
/// quantile for every lane, then the tails (~15% of the lanes) gathered and computed together
/// (normal_quantile_tail), both loops vectorised. Host code only (src/random_lanes.cpp, built with the flags
/// that let GCC vectorise them): the batched synapse parameters and the CPU backend's noise draws.
void standard_normal_lanes(const std::uint32_t* __restrict hi, const std::uint32_t* __restrict lo, int n, double* __restrict z);

/// Longest Poisson table: counts 0 .. poisson_table_size - 1 per draw.
inline constexpr int poisson_table_size = 256;

/// A Poisson count by inversion against host-computed thresholds: cdf[k] = floor(P(X <= k)·2^32), so the
/// count is the number of thresholds a uniform 32-bit word reaches. Integer comparisons only.
SYNFIRE_HD int poisson_count(std::uint32_t u, const std::uint32_t* cdf, int size) {
    int k = 0;
    while (k < size && u >= cdf[k]) ++k;
    return k;
}

}  // namespace synfire
