// The CUDA backend's memory plan is host arithmetic: checked here on every machine, GPU or not.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "support.hpp"
#include "synfire/cuda.hpp"
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
    EXPECT_EQ(plan.bitmaps, 2u * 4u * 31'250'000u * 4u);
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
    EXPECT_LE(plan.bitmaps, 2 * gpu_limits::bitmap_budget);
}

TEST(GpuPlan, NetworkWindowsFollowTheShortestDelayOrStepMode) {
    const std::string base = SYNFIRE_SOURCE_DIR "/data/models/brunel.toml";
    // delays of 1.5 ms = 15 steps: fused windows of 15 steps, delivered once per window
    EXPECT_EQ(cuda_memory_plan(load_model_file(base, {})).window, 15);
    // 0.3 ms = 3 steps, below gpu_limits::step_mode_below: step mode, full windows, a spike list of all neurons
    std::vector<std::string> sets;
    for (int i = 0; i < 4; ++i) sets.push_back(fmt::format("projections[{}].delay=0.3", i));
    const gpu_memory_plan fused = cuda_memory_plan(load_model_file(base, {}));
    const gpu_memory_plan step = cuda_memory_plan(load_model_file(base, sets));
    EXPECT_EQ(step.window, gpu_limits::max_window);
    EXPECT_GE(step.scratch, fused.scratch + 12'500u * 4u);
}

TEST(GpuPlan, DeviceSynapseBuildHoldsASecondCopyOrFloydSets) {
    auto two = [](const char* projection) {
        return cuda_memory_plan(test::model_from(fmt::format(
            "[simulation]\nduration = 10.0\n[populations.A]\nmodel = \"iaf_psc_exp\"\nn = 3000\n[populations.B]\nmodel = \"iaf_psc_exp\"\nn = 10\n"
            "[[projections]]\nsource = \"A\"\ntarget = \"B\"\nweight = 1.0\n{}\n",
            projection)));
    };
    constexpr std::uint64_t MiB = std::uint64_t{1} << 20;
    // multapses: the sort's second copy (16 B per synapse) and its storage bound (16 B per source + 1 MiB)
    const gpu_memory_plan multapses = two("rule = \"fixed_indegree\"\nk = 2000");
    EXPECT_EQ(multapses.synapses, 20'000u * 16 + 3011u * 8 + 20u * 10u * 16u);  // table, offsets, rings of 10 + 10 steps
    EXPECT_EQ(multapses.construction, 20'000u * 16 + 3011u * 16 + MiB);
    EXPECT_EQ(multapses.peak(), multapses.total() + multapses.construction);
    // distinct partners: 10 targets, one block of 256 threads with 4096 slots of 8 B each
    const gpu_memory_plan distinct = two("rule = \"fixed_indegree\"\nk = 2000\nallow_multapses = false");
    EXPECT_EQ(distinct.construction, 3011u * 9 + MiB + 256u * 4096u * 8u);
    EXPECT_EQ(cuda_memory_plan(fi_model(1000)).construction, 0u) << "no projections, no build";
}

}  // namespace
}  // namespace synfire
