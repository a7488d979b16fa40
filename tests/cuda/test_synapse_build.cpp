// The synapse table built on the device against synfire::build_synapses, bit for bit: offsets, synapses and
// their order within each source. Every test that needs a device skips without one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "cuda/synapse_models.hpp"
#include "cuda_check.hpp"
#include "support.hpp"
#include "synapse_build.hpp"
#include "synfire/cuda.hpp"
#include "synfire/errors.hpp"
#include "synfire/model_file.hpp"
#include "synfire/network.hpp"

namespace synfire {
namespace {

bool have_device() {
    static const bool yes = [] {
        int n = 0;
        return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
    }();
    return yes;
}

#define REQUIRE_DEVICE() \
    if (!have_device()) GTEST_SKIP() << "no CUDA device"

std::string describe(const synapse& s) {
    return fmt::format("(target {}, delay {}, population {}, receptor {}, weight {})", s.target, s.delay, s.population, s.receptor, s.weight);
}

/// Equal tables: base, receives, offsets, delay range and every synapse's bytes in order.
::testing::AssertionResult same_table(const synapse_table& a, const synapse_table& b) {
    if (a.base != b.base) return ::testing::AssertionFailure() << "population bases differ";
    if (a.receives != b.receives) return ::testing::AssertionFailure() << "receiving populations differ";
    if (a.offsets.size() != b.offsets.size())
        return ::testing::AssertionFailure() << "offsets: " << a.offsets.size() << " vs " << b.offsets.size() << " entries";
    for (std::size_t g = 0; g < a.offsets.size(); ++g)
        if (a.offsets[g] != b.offsets[g])
            return ::testing::AssertionFailure() << "offsets differ from source " << g << ": " << a.offsets[g] << " vs " << b.offsets[g];
    if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " vs " << b.size() << " synapses";
    for (std::size_t x = 0; x < a.size(); ++x)
        if (std::memcmp(&a.synapses[x], &b.synapses[x], sizeof(synapse)) != 0)
            return ::testing::AssertionFailure() << "synapse " << x << " differs: " << describe(a.synapses[x]) << " vs " << describe(b.synapses[x]);
    if (a.min_delay != b.min_delay || a.max_delay != b.max_delay)
        return ::testing::AssertionFailure() << "delay range [" << a.min_delay << ", " << a.max_delay << "] vs [" << b.min_delay << ", "
                                             << b.max_delay << "]";
    return ::testing::AssertionSuccess();
}

TEST(SynapseBuild, ComparisonCatchesOneFlippedBit) {  // no device needed: the helper itself must be able to fail
    const model m = test::synapse_models()[0].second;
    const synapse_table a = build_synapses(m, 2);
    synapse_table b = a;
    EXPECT_TRUE(same_table(a, b));
    b.synapses[b.size() / 2].weight ^= 1;
    EXPECT_FALSE(same_table(a, b));
    b = a;
    std::swap(b.synapses[0], b.synapses[1]);
    EXPECT_FALSE(same_table(a, b)) << "the order within a source counts";
    b = a;
    ++b.offsets[1];
    EXPECT_FALSE(same_table(a, b));
}

TEST(SynapseBuild, EqualsTheHostTableForEveryRuleAndDistribution) {
    REQUIRE_DEVICE();
    cuda::stream s;
    for (const auto& [name, m] : test::synapse_models()) {
        SCOPED_TRACE(name);
        const synapse_table host = build_synapses(m, 0);
        const cuda::device_synapse_table dev = cuda::build_synapses_on_device(m, s);
        EXPECT_TRUE(same_table(host, cuda::to_host(dev)));
        EXPECT_EQ(dev.size, host.size());
        EXPECT_EQ(dev.ring_slots(), ring_slots(host));
        EXPECT_GT(dev.size, 0u);
        EXPECT_EQ(dev.long_ties, name == "many_multapses") << "runs of one key over 32 long take the second sort";
        std::cout << fmt::format("{}: {} synapses, device {:.4f} s, host {:.4f} s, device peak {} B, sort storage {} B\n", name, dev.size,
                                 dev.build_seconds, host.build_seconds, dev.peak_bytes, dev.sort_bytes);
        // what the build held fits the plan
        const std::uint64_t neurons = host.base.back();
        const gpu_memory_plan plan = cuda_memory_plan(m);
        EXPECT_LE(dev.sort_bytes, (neurons + 1) * 16 + (std::uint64_t{1} << 20));
        EXPECT_LE(dev.peak_bytes, plan.synapses + plan.construction);
        EXPECT_GE(dev.peak_bytes, dev.size * 32) << "both copies of the synapses are counted";
    }
}

TEST(SynapseBuild, ADifferentSeedGivesADifferentTable) {
    REQUIRE_DEVICE();
    cuda::stream s;
    const auto a = test::synapse_models(13), b = test::synapse_models(14);
    for (std::size_t i = 0; i < a.size(); ++i) {
        SCOPED_TRACE(a[i].first);
        EXPECT_FALSE(same_table(build_synapses(a[i].second, 0), cuda::to_host(cuda::build_synapses_on_device(b[i].second, s))));
    }
}

TEST(SynapseBuild, ModelsWithoutSynapses) {
    REQUIRE_DEVICE();
    cuda::stream s;
    const model none = test::model_from(test::three_populations(""));
    const auto dev_none = cuda::build_synapses_on_device(none, s);
    EXPECT_TRUE(same_table(build_synapses(none, 1), cuda::to_host(dev_none)));
    EXPECT_TRUE(dev_none.host_offsets.empty());
    EXPECT_EQ(dev_none.offsets.size(), 0u);
    const model zero = test::model_from(test::three_populations(test::projection_text("A", "B", "rule = \"pairwise_bernoulli\"\np = 0.0\nweight = 1.0\n")));
    const auto dev_zero = cuda::build_synapses_on_device(zero, s);
    EXPECT_TRUE(same_table(build_synapses(zero, 1), cuda::to_host(dev_zero)));
    EXPECT_EQ(dev_zero.host_offsets.size(), 558u);
    EXPECT_TRUE(dev_zero.empty());
    EXPECT_EQ(dev_zero.ring_slots(), 0);
    EXPECT_EQ(dev_zero.receives, (std::vector<bool>{false, true, false}));
}

TEST(SynapseBuild, OutOfRangeWeightsAreReportedAsOnTheHost) {
    REQUIRE_DEVICE();
    cuda::stream s;
    model m = test::model_from(test::three_populations(
        test::projection_text("A", "B", "rule = \"fixed_indegree\"\nk = 20\nweight = { distribution = \"normal\", mean = 0.0, std = 1.0 }\n")));
    m.projections[0].weight.b = 1e12;  // past the reader, which refuses it (the build's report is what is tested)
    std::string host_message, device_message;
    try {
        build_synapses(m, 2);
    } catch (const user_error& e) {
        host_message = e.what();
    }
    try {
        cuda::build_synapses_on_device(m, s);
    } catch (const user_error& e) {
        device_message = e.what();
    }
    EXPECT_NE(host_message.find("projections[0].weight (normal, mean 0, std 1e+12)"), std::string::npos) << host_message;
    EXPECT_EQ(device_message, host_message);
}

/// A large model given by path (the GPU check passes the full-scale microcircuit): equal tables, and the times.
TEST(SynapseBuild, ModelFromTheEnvironment) {
    REQUIRE_DEVICE();
    const char* path = std::getenv("SYNFIRE_SYNAPSE_BUILD_MODEL");
    if (!path) GTEST_SKIP() << "SYNFIRE_SYNAPSE_BUILD_MODEL names no model file";
    const model m = load_model_file(path);
    cuda::stream s;
    auto warm = cuda::build_synapses_on_device(m, s);  // the first build also pays for context and module loading
    const double first_s = warm.build_seconds;
    const std::uint64_t warm_size = warm.size;
    warm = cuda::device_synapse_table{};  // freed before the timed build
    const auto dev = cuda::build_synapses_on_device(m, s);
    const synapse_table host = build_synapses(m, 0);
    std::cout << fmt::format("synapse build: {} synapses, {} sources; device {:.3f} s (count {:.3f}, draw {:.3f}, sort {:.3f}, pack {:.3f}; first "
                             "build {:.3f} s), host {:.3f} s; device peak {:.2f} GiB (plan {:.2f} GiB), sort storage {:.1f} MiB, long ties {}\n",
                             dev.size, host.base.back(), dev.build_seconds, dev.phase_seconds[0], dev.phase_seconds[1], dev.phase_seconds[2],
                             dev.phase_seconds[3], first_s, host.build_seconds, static_cast<double>(dev.peak_bytes) / (1 << 30),
                             static_cast<double>(cuda_memory_plan(m).synapses + cuda_memory_plan(m).construction) / (1 << 30),
                             static_cast<double>(dev.sort_bytes) / (1 << 20), dev.long_ties);
    RecordProperty("device_seconds", fmt::format("{:.4f}", dev.build_seconds));
    RecordProperty("host_seconds", fmt::format("{:.4f}", host.build_seconds));
    EXPECT_EQ(warm_size, dev.size);
    EXPECT_TRUE(same_table(host, cuda::to_host(dev)));
    const gpu_memory_plan plan = cuda_memory_plan(m);
    EXPECT_LE(dev.peak_bytes, plan.synapses + plan.construction);
}

}  // namespace
}  // namespace synfire
