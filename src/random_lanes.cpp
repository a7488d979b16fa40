// The lane-by-lane normal draws of the host (random.hpp, standard_normal_lanes). A file of its own so that it is
// built with -fno-math-errno -fno-trapping-math (CMakeLists.txt): without them GCC keeps the tail's sqrt and
// selects as branches and does not vectorise the loop. Neither flag changes a result: sqrt is correctly rounded
// either way, and nothing here reads errno or floating-point exception flags.
#include <cmath>

#include "synfire/random.hpp"

namespace synfire {

void standard_normal_lanes(const std::uint32_t* __restrict hi, const std::uint32_t* __restrict lo, int n, double* __restrict z) {
    constexpr int chunk = 64;
    alignas(32) double p[chunk], tail_p[chunk], tail_z[chunk];
    int tail_lane[chunk];
    for (int c = 0; c < n; c += chunk) {
        const int len = n - c < chunk ? n - c : chunk;
        for (int k = 0; k < len; ++k) p[k] = normal_p(hi[c + k], lo[c + k]);
        for (int k = 0; k < len; ++k) z[c + k] = normal_quantile_central(p[k] - 0.5);
        int tails = 0;  // the lanes outside the central branch, gathered without a branch
        for (int k = 0; k < len; ++k) {
            tail_lane[tails] = k, tail_p[tails] = p[k];
            tails += !normal_quantile_is_central(p[k] - 0.5);
        }
        for (int i = 0; i < tails; ++i) tail_z[i] = normal_quantile_tail(tail_p[i]);
        for (int i = 0; i < tails; ++i) z[c + tail_lane[i]] = tail_z[i];
    }
}

}  // namespace synfire
