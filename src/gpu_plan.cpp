// The CUDA backend's memory plan: pure host arithmetic, so `synfire check` prints it in every build.
#include <algorithm>

#include "synfire/cuda.hpp"
#include "synfire/stimuli.hpp"

namespace synfire {

gpu_memory_plan cuda_memory_plan(const model& m) {
    gpu_memory_plan plan;
    std::uint64_t w = gpu_limits::max_window;
    for (const auto& p : m.populations) {
        const std::uint64_t words = (p.n + 31) / 32;
        w = std::min(w, std::max<std::uint64_t>(1, gpu_limits::bitmap_budget / (words * 4)));
        w = std::min(w, std::max<std::uint64_t>(1, 0xFFFFFFFFull / p.n));  // a window's spike count fits 32 bits
    }
    plan.window = static_cast<int>(w);
    const stimulus_schedule schedule(m);
    for (std::size_t i = 0; i < m.populations.size(); ++i) {
        const auto& p = m.populations[i];
        const std::uint64_t words = (p.n + 31) / 32;
        const std::uint64_t chunks = (w * words + gpu_limits::chunk_words - 1) / gpu_limits::chunk_words;
        plan.state += p.n * (p.model == neuron_model::iaf_psc_exp ? 16 : 8);
        if (schedule.has_per_neuron(i)) plan.currents += p.n * 4;
        plan.bitmaps += 2 * w * words * 4;
        plan.spikes += std::min<std::uint64_t>(w * p.n, std::max<std::uint64_t>(std::uint64_t{1} << 20, p.n / 4)) * 4;
        // counts and offsets for two windows, step offsets, and the scan's temporary storage (bounded by
        // 2 x its input plus 1 MiB)
        plan.scratch += 2 * 2 * (chunks + 1) * 4 + 2 * (w + 1) * 4 + 2 * (chunks + 1) * 4 + (std::uint64_t{1} << 20);
    }
    return plan;
}

}  // namespace synfire
