// Network-level validation: Brunel's asynchronous irregular state against its mean-field rate.
#include <gtest/gtest.h>

#include "support.hpp"
#include "synfire/model_file.hpp"

namespace synfire {
namespace {

TEST(Brunel, StateCFiresAtTheMeanFieldRate) {
    // data/models/brunel.toml, full scale (12 500 neurons, 15.6 million synapses), 500 ms
    const model m = load_model_file(SYNFIRE_SOURCE_DIR "/data/models/brunel.toml", {"simulation.duration=500"});
    const auto out = test::run_cpu(m, 0);
    for (std::size_t p = 0; p < 2; ++p) {
        long late = 0;  // after a 100 ms transient
        for (auto [step, id] : out.spikes[p]) late += step >= 1000;
        const double rate = late / (static_cast<double>(m.populations[p].n) * 0.4);
        // data/reference/brunel.toml: 37.95 Hz from Brunel (2000), eqs. 4, 5, 21
        EXPECT_NEAR(rate, 37.95, 0.1 * 37.95) << m.populations[p].name;
    }
}

}  // namespace
}  // namespace synfire
