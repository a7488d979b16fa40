// The CUDA backend's memory plan is host arithmetic: checked here on every machine, GPU or not.
#include <gtest/gtest.h>

#include <cstdlib>

#include <fmt/format.h>

#include "support.hpp"
#include "synfire/cuda.hpp"
#include "synfire/errors.hpp"
#include "synfire/model_file.hpp"

namespace synfire {
namespace {

model fi_model(std::uint64_t n, const char* neuron_model = "iaf_psc_exp") {
    return test::model_from(fmt::format(
        "[simulation]\nduration = 10.0\n[populations.E]\nmodel = \"{}\"\nn = {}\n"
        "[[stimuli]]\ntype = \"ramp\"\ntarget = \"E\"\nfrom = 0.0\nto = 1000.0\n",
        neuron_model, n));
}

constexpr std::uint64_t GiB = std::uint64_t{1} << 30;

TEST(GpuPlan, OneBillionNeuronsFitAnEightyGigabyteCard) {
    const gpu_memory_plan plan = cuda_memory_plan(fi_model(1'000'000'000));
    EXPECT_EQ(plan.state, 16'000'000'000u);       // packed 16-byte state
    EXPECT_EQ(plan.currents, 4'000'000'000u);     // the ramp's per-neuron current
    EXPECT_EQ(plan.window, 4);                    // a window's spike count must fit 32 bits
    EXPECT_EQ(plan.bitmaps, std::uint64_t{gpu_limits::windows_in_flight} * 4u * 31'250'000u * 4u);  // a window per slot
    EXPECT_EQ(plan.spikes, 250'000'000u * 4u);    // n/4 ids to start with
    EXPECT_LT(plan.total(), 30 * GiB);
    EXPECT_LT(plan.total(), 78 * GiB) << "an H100 has about 79 GiB free";
}

TEST(GpuPlan, FiveBillionNeuronsDoNot) {
    model m = fi_model(2'500'000'000);
    m.populations.push_back(m.populations[0]);
    m.populations[1].name = "F";
    EXPECT_GT(cuda_memory_plan(m).total(), 80 * GiB);
}

TEST(GpuPlan, SmallModelsGetFullWindows) {
    const gpu_memory_plan plan = cuda_memory_plan(fi_model(1000));
    EXPECT_EQ(plan.window, gpu_limits::max_window);
    EXPECT_EQ(plan.state, 16'000u);
    EXPECT_EQ(cuda_memory_plan(fi_model(1000, "iaf_psc_delta")).state, 8'000u);
}

TEST(GpuPlan, BitmapBudgetBoundsTheWindow) {
    // 1e8 neurons: 3 125 000 words per step, 512 MiB / 12.5 MB = 42 steps
    const gpu_memory_plan plan = cuda_memory_plan(fi_model(100'000'000));
    EXPECT_EQ(plan.window, 42);
    EXPECT_LE(plan.bitmaps, gpu_limits::windows_in_flight * gpu_limits::bitmap_budget);
}

TEST(GpuPlan, NetworksRunInStepModeWithFullWindows) {
    // step mode (the CUDA backend's default for networks): windows of max_window steps whatever the delays,
    // plus a spike list of every neuron; an uncoupled model has neither list nor delay limit
    const std::string base = SYNFIRE_SOURCE_DIR "/data/models/brunel.toml";
    std::vector<std::string> sets;
    for (int i = 0; i < 4; ++i) sets.push_back(fmt::format("projections[{}].delay=0.3", i));
    const gpu_memory_plan slow = cuda_memory_plan(load_model_file(base, {}));  // 1.5 ms = 15 steps
    const gpu_memory_plan fast = cuda_memory_plan(load_model_file(base, sets));  // 0.3 ms = 3 steps
    EXPECT_EQ(slow.window, gpu_limits::max_window);
    EXPECT_EQ(fast.window, gpu_limits::max_window);
    model uncoupled = load_model_file(base, {});
    uncoupled.projections.clear();
    EXPECT_GE(slow.scratch, cuda_memory_plan(uncoupled).scratch + 12'500u * 16u);  // a 16-byte synapse range per neuron
}

TEST(GpuPlan, DeferredDeliveryCountsASecondListAndTheSplits) {
    // deferred delivery: two spike lists of 16 B and a split of 8 B per neuron of a network; nothing for an
    // uncoupled model. Counted by default (the persistent window kernel, the default where it fits on the
    // device, uses it) and with SYNFIRE_CUDA_DEFERRED=1, not with =0; a bad value rejected by name
    const model brunel = load_model_file(SYNFIRE_SOURCE_DIR "/data/models/brunel.toml", {});  // 12 500 neurons
    EXPECT_EQ(cuda_memory_plan(brunel, true).scratch, cuda_memory_plan(brunel, false).scratch + 12'500u * 24u);
    EXPECT_EQ(cuda_memory_plan(brunel, true).total(), cuda_memory_plan(brunel, false).total() + 12'500u * 24u);
    model uncoupled = brunel;
    uncoupled.projections.clear();
    EXPECT_EQ(cuda_memory_plan(uncoupled, true).scratch, cuda_memory_plan(uncoupled, false).scratch);
    ASSERT_EQ(std::getenv("SYNFIRE_CUDA_DEFERRED"), nullptr);
    EXPECT_EQ(cuda_memory_plan(brunel).scratch, cuda_memory_plan(brunel, true).scratch);
    setenv("SYNFIRE_CUDA_DEFERRED", "0", 1);
    EXPECT_EQ(cuda_memory_plan(brunel).scratch, cuda_memory_plan(brunel, false).scratch);
    setenv("SYNFIRE_CUDA_DEFERRED", "1", 1);
    EXPECT_EQ(cuda_memory_plan(brunel).scratch, cuda_memory_plan(brunel, true).scratch);
    setenv("SYNFIRE_CUDA_DEFERRED", "on", 1);
    try {
        cuda_memory_plan(brunel);
        ADD_FAILURE() << "SYNFIRE_CUDA_DEFERRED=on accepted";
    } catch (const user_error& e) {
        EXPECT_NE(std::string(e.what()).find("SYNFIRE_CUDA_DEFERRED=on"), std::string::npos) << e.what();
    }
    unsetenv("SYNFIRE_CUDA_DEFERRED");
    // lists delivered at the barrier: a third list of 16 B per neuron and a claim counter per window step,
    // with deferred delivery only; SYNFIRE_CUDA_CLAIMED_LISTS=1 implies them
    const gpu_memory_plan deferred = cuda_memory_plan(brunel, true);
    EXPECT_EQ(cuda_memory_plan(brunel, true, true).scratch, deferred.scratch + 12'500u * 16u + static_cast<std::uint64_t>(deferred.window) * 4u);
    EXPECT_EQ(cuda_memory_plan(brunel, false, true).scratch, cuda_memory_plan(brunel, false).scratch);
    setenv("SYNFIRE_CUDA_LISTS_AT_BARRIER", "1", 1);
    EXPECT_EQ(cuda_memory_plan(brunel).scratch, cuda_memory_plan(brunel, true, true).scratch);
    setenv("SYNFIRE_CUDA_LISTS_AT_BARRIER", "2", 1);
    EXPECT_THROW(cuda_memory_plan(brunel), user_error);
    unsetenv("SYNFIRE_CUDA_LISTS_AT_BARRIER");
    setenv("SYNFIRE_CUDA_CLAIMED_LISTS", "1", 1);
    EXPECT_EQ(cuda_memory_plan(brunel).scratch, cuda_memory_plan(brunel, true, true).scratch);
    unsetenv("SYNFIRE_CUDA_CLAIMED_LISTS");
}

}  // namespace
}  // namespace synfire
