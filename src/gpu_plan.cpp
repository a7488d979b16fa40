// The CUDA backend's memory plan: pure host arithmetic, so `synfire check` prints it in every build.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "synfire/cuda.hpp"
#include "synfire/errors.hpp"
#include "synfire/network.hpp"
#include "synfire/stimuli.hpp"

namespace synfire {

std::uint64_t synapse_build_transient(std::uint64_t synapses, std::uint64_t neurons, std::uint64_t floyd_bytes, std::uint64_t list_bytes) {
    const std::uint64_t drawing = (neurons + 1) * 9 + (std::uint64_t{1} << 20) + floyd_bytes + list_bytes;  // cursors, the scan's storage
    const std::uint64_t sorting = synapses * 16 + (neurons + 1) * 16 + (std::uint64_t{1} << 20);
    return std::max(drawing, sorting);
}

int cuda_deferred_delivery_setting() { return env_switch("SYNFIRE_CUDA_DEFERRED"); }

int cuda_lists_at_barrier_setting() {
    const int at_barrier = env_switch("SYNFIRE_CUDA_LISTS_AT_BARRIER");
    return env_switch("SYNFIRE_CUDA_CLAIMED_LISTS") == 1 ? 1 : at_barrier;  // claimed lists are lists at the barrier
}

gpu_memory_plan cuda_memory_plan(const model& m) {
    return cuda_memory_plan(m, cuda_deferred_delivery_setting() != 0, cuda_lists_at_barrier_setting() == 1);
}

gpu_memory_plan cuda_memory_plan(const model& m, bool deferred_delivery, bool lists_at_barrier) {
    gpu_memory_plan plan;
    std::uint64_t w = gpu_limits::max_window;
    for (const auto& p : m.populations) {
        const std::uint64_t words = (p.n + 31) / 32;
        w = std::min(w, std::max<std::uint64_t>(1, gpu_limits::bitmap_budget / (words * 4)));
        w = std::min(w, std::max<std::uint64_t>(1, 0xFFFFFFFFull / p.n));  // a window's spike count fits 32 bits
    }
    const synapse_estimate syn = estimate_synapses(m);
    const bool step_mode = syn.min_delay > 0;  // the CUDA backend's default for networks (SYNFIRE_CUDA_STEP_MODE=0: fused)
    if (syn.min_delay > 0 && !step_mode) w = std::min<std::uint64_t>(w, static_cast<std::uint64_t>(syn.min_delay));
    plan.window = static_cast<int>(w);
    if (!m.projections.empty()) {
        std::uint64_t neurons = 0;
        for (const auto& p : m.populations) neurons += p.n;
        plan.synapses = syn.synapses * 16 + (neurons + 1) * 8;
        std::uint64_t floyd = 0, lists = 0;
        for (const auto& pr : m.projections) {
            const bool distinct = (pr.connection == projection::rule::fixed_indegree || pr.connection == projection::rule::fixed_outdegree) &&
                                  !pr.allow_multapses;
            if (distinct) {  // as synapse_build.cu: 2^b >= 2k slots of 8 B per thread (at least 16), threads in blocks of 256
                std::uint64_t slot_bytes = 16 * 8;
                while (slot_bytes < 2 * pr.count * 8) slot_bytes *= 2;
                const std::uint64_t entities = m.populations[pr.connection == projection::rule::fixed_indegree ? pr.target : pr.source].n;
                floyd = std::max(floyd, std::max(slot_bytes, std::min(gpu_limits::floyd_scratch, (entities + 255) / 256 * 256 * slot_bytes)));
            }
            lists += pr.synapses.size() * sizeof(explicit_synapse);
        }
        plan.construction = synapse_build_transient(syn.synapses, neurons, floyd, lists);
        if (step_mode) plan.scratch += neurons * 16 + w * 4 + gpu_limits::windows_in_flight * m.populations.size() * 4096;  // spike list, counts, launch arguments of each slot
        if (step_mode && deferred_delivery) plan.scratch += neurons * (16 + 8);                      // a second list, the splits
        if (step_mode && deferred_delivery && lists_at_barrier) plan.scratch += neurons * 16 + w * 4;  // a third list, claim counters
        std::vector<bool> receives(m.populations.size(), false);
        for (const auto& pr : m.projections) receives[pr.target] = true;
        const auto slots = static_cast<std::uint64_t>(syn.min_delay + syn.max_delay);
        for (std::size_t i = 0; i < m.populations.size(); ++i)
            if (receives[i]) plan.synapses += slots * m.populations[i].n * (m.populations[i].model == neuron_model::iaf_psc_exp ? 16 : 8);
    }
    const stimulus_schedule schedule(m);
    for (std::size_t i = 0; i < m.populations.size(); ++i) {
        const auto& p = m.populations[i];
        const std::uint64_t words = (p.n + 31) / 32;
        const std::uint64_t chunks = (w * words + gpu_limits::chunk_words - 1) / gpu_limits::chunk_words;
        plan.state += p.n * (p.model == neuron_model::iaf_psc_exp ? 16 : 8);
        if (schedule.has_per_neuron(i)) plan.currents += p.n * 4;
        const population_inputs& in = schedule.inputs(i);
        auto bytes = [](const auto& v) { return static_cast<std::uint64_t>(v.size() * sizeof(v[0])); };
        for (const auto& v : in.course_masks) plan.currents += bytes(v);
        for (const auto& v : in.noise_masks) plan.currents += bytes(v);
        for (const auto& v : in.poisson_masks) plan.currents += bytes(v);
        for (const auto& v : in.poisson_cdf) plan.currents += bytes(v);
        plan.currents += bytes(in.trace_column) + bytes(in.event_offsets) + bytes(in.event_steps) + bytes(in.event_ex) + bytes(in.event_in);
        if (in.trace >= 0) plan.currents += bytes(m.stimuli[static_cast<std::size_t>(in.trace)].trace);
        const std::uint64_t slots = gpu_limits::windows_in_flight;
        if (const state_recorder* r = state_recorder_of(m, i))  // recorded ids and bits, a window of frames per slot
            plan.scratch += r->ids.size() * 4 + words * 4 +
                            slots * static_cast<std::uint64_t>(max_frames(*r)) * static_cast<std::uint64_t>(gathered_variables(*r)) * r->ids.size() * 4;
        plan.bitmaps += slots * w * words * 4;
        plan.spikes += std::min<std::uint64_t>(w * p.n, std::max<std::uint64_t>(std::uint64_t{1} << 20, p.n / 4)) * 4;
        // counts and offsets of each slot's window, step offsets, and the scan's temporary storage of each
        // slot (bounded by 2 x its input plus 1 MiB)
        plan.scratch += slots * 2 * (chunks + 1) * 4 + 2 * (w + 1) * 4 + slots * (2 * (chunks + 1) * 4 + (std::uint64_t{1} << 20));
    }
    return plan;
}

}  // namespace synfire
