// The CUDA backend: packed neuron state on the device, one fused kernel per window and population,
// spikes compacted in order on the device and copied out on a second stream while the next window runs.
//
// Window w (compute stream):  [upload per-neuron current if it changed] -> update kernel (w.steps steps,
//                             spike bitmap[w % 2]) -> count + scan -> total to pinned host -> event
// collect(w) (copy stream):   wait for the total -> write ids in (step, id) order -> copy ids and step
//                             offsets to pinned host -> hand over
// The host never waits inside a window; it waits once per window for the total of the window before.
// Host compaction (the persistent window kernel's default): the bitmaps themselves are copied out on the
// slot's stream and the host decodes them (bitmap_decode.hpp); no kernel of another stream is involved.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>

#include <fmt/format.h>

#include "bitmap_decode.hpp"
#include "cuda_check.hpp"
#include "launchers.hpp"
#include "list_partition.hpp"
#include "synapse_build.hpp"
#include "synfire/cuda.hpp"
#include "synfire/network.hpp"
#include "synfire/stimuli.hpp"

namespace synfire {
namespace cuda {
namespace {

constexpr int slots = gpu_limits::windows_in_flight;  // window buffers: windows launched before the host collects the first

/// A whole number from environment variable `name` (a switch for comparisons) in [lo, hi]; `unset` where it is
/// not set; anything else throws user_error naming the variable, the value and what it counts.
long env_count(const char* name, long lo, long hi, long unset, const char* what) {
    const char* v = std::getenv(name);
    if (!v) return unset;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || n < lo || n > hi)
        throw user_error(fmt::format("{}={}: expected a whole number of {} from {} to {}", name, v, what, lo, hi));
    return n;
}

/// Windows in flight: all slots, or SYNFIRE_CUDA_WINDOWS_IN_FLIGHT (1 to the slots, for comparisons). With
/// two, the host launched window w + 2 only after collecting window w, which the persistent window kernel
/// outran (bench/NOTES.md, v7): the GPU waited for the host between windows.
int windows_in_flight() { return static_cast<int>(env_count("SYNFIRE_CUDA_WINDOWS_IN_FLIGHT", 1, slots, slots, "windows")); }

/// Milliseconds between two completed events, as seconds.
double elapsed(cudaEvent_t a, cudaEvent_t b) {
    float ms = 0;
    SYNFIRE_CUDA(cudaEventElapsedTime(&ms, a, b));
    return ms * 1e-3;
}

/// Whether environment variable `name` (a switch for comparisons) is set to `value`.
bool env_is(const char* name, const char* value) {
    const char* v = std::getenv(name);
    return v && std::strcmp(v, value) == 0;
}

/// Step-mode delivery blocks per multiprocessor: 4, or SYNFIRE_CUDA_DELIVERY_BLOCKS (1 to 8, for comparisons:
/// fewer leave registers for the programmatic update blocks that wait beside them).
unsigned delivery_blocks_per_multiprocessor() {
    return static_cast<unsigned>(env_count("SYNFIRE_CUDA_DELIVERY_BLOCKS", 1, 8, 4, "blocks per multiprocessor"));
}

/// SYNFIRE_CUDA_DELIVERERS: the persistent window kernel's delivering blocks (0 to 1024; for comparisons);
/// -1 (unset): window_grid's choice.
int deliverers_setting() { return static_cast<int>(env_count("SYNFIRE_CUDA_DELIVERERS", 0, 1024, -1, "blocks")); }

/// SYNFIRE_CUDA_BARRIER_SLEEP: the persistent kernel's sleep between polls of its grid barrier (0 to 1000 ns;
/// for comparisons), gpu_limits::barrier_sleep_ns where unset.
unsigned barrier_sleep_setting() {
    return static_cast<unsigned>(env_count("SYNFIRE_CUDA_BARRIER_SLEEP", 0, 1000, gpu_limits::barrier_sleep_ns, "nanoseconds"));
}

/// Whether environment variable `name` (a switch for comparisons between two ways) is set to `other`; unset or
/// `usual` is the usual way; anything else throws user_error naming the variable and the value.
bool env_other_way(const char* name, const char* usual, const char* other) {
    const char* v = std::getenv(name);
    if (!v || std::strcmp(v, usual) == 0) return false;
    if (std::strcmp(v, other) == 0) return true;
    throw user_error(fmt::format("{}={}: expected {} or {}", name, v, other, usual));
}

/// SYNFIRE_CUDA_BARRIER_POLL: the persistent kernel polls its grid barrier with relaxed loads and acquires once
/// (relaxed) or with acquire loads (acquire, unset), each of which invalidates the multiprocessor's L1
/// (grid_barrier.cuh, grid_wait; for comparisons).
bool relaxed_poll_setting() { return env_other_way("SYNFIRE_CUDA_BARRIER_POLL", "acquire", "relaxed"); }

/// SYNFIRE_CUDA_BLOCK_NEURONS: the persistent window kernel's neurons per update block, a multiple of 32 from
/// 32 to 256 (for comparisons); 256 where unset.
unsigned block_neurons_setting() {
    const auto n = static_cast<unsigned>(env_count("SYNFIRE_CUDA_BLOCK_NEURONS", 32, update_block_threads, update_block_threads, "neurons"));
    if (n % 32 != 0) throw user_error(fmt::format("SYNFIRE_CUDA_BLOCK_NEURONS={}: expected a multiple of 32 (whole warps)", n));
    return n;
}

/// SYNFIRE_CUDA_SYNAPSE_LOADS: streaming (ld.global.cs, evict first) or readonly (ld.global.nc, unset) loads
/// of the synapse table (for comparisons: step_delivery.cuh, load_synapse).
bool streaming_synapse_loads_setting() { return env_other_way("SYNFIRE_CUDA_SYNAPSE_LOADS", "readonly", "streaming"); }

/// SYNFIRE_CUDA_EARLY_LIST_PARTS: the early list's parts per spike (1 to 65536, clamped to the grid; for
/// tests and comparisons); 0 (unset): from the spikes per step of the last collected window.
std::uint32_t early_parts_setting() { return static_cast<std::uint32_t>(env_count("SYNFIRE_CUDA_EARLY_LIST_PARTS", 1, 65536, 0, "parts")); }

double gib(std::uint64_t bytes) { return static_cast<double>(bytes) / static_cast<double>(std::uint64_t{1} << 30); }

struct population_buffers {
    population_setup setup;
    std::size_t words = 0;
    std::size_t chunks = 0;  // compaction chunks of a full window
    device_buffer<exp_state> exp;
    device_buffer<delta_state> delta;
    device_buffer<float> I_neuron;
    bool I_neuron_active = false;
    device_buffer<std::uint32_t> bitmap[slots], chunk_counts[slots], chunk_offsets[slots];
    pinned_buffer<std::uint32_t> host_bitmap[slots];  ///< host compaction: each slot's bitmap, copied out
    device_buffer<unsigned char> scan_storage[slots];
    std::size_t scan_bytes = 0;
    device_buffer<std::uint32_t> ids, step_offsets;
    pinned_buffer<std::uint32_t> host_ids, host_offsets;
    std::vector<device_buffer<unsigned char>> input_data;  ///< device copies the input program points into
    input_program program{};
    const state_recorder* recorder = nullptr;
    device_buffer<std::uint32_t> recorded_bits, recorded_ids;
    device_buffer<float> frames[slots];
    pinned_buffer<float> host_frames;
    unsigned char* ring = nullptr;  ///< synaptic input [ring slots][n] (exp_input or int64) in the ring arena; null: no synapses in
    bool sends = false;                 ///< has outgoing synapses
};

class cuda_backend final : public backend {
public:
    cuda_backend(const model& m, int device, const gpu_memory_plan& plan) : window_(plan.window) {
        SYNFIRE_CUDA(cudaSetDevice(device));
        cudaDeviceProp prop{};
        SYNFIRE_CUDA(cudaGetDeviceProperties(&prop, device));
        description_ = fmt::format("{} (sm {}{}), device {}", prop.name, prop.major, prop.minor, device);
        const bool streaming = streaming_synapse_loads_setting();
        set_streaming_synapse_loads(streaming);  // process-wide: set by every backend, for its kernels

        const auto setup = make_setup(m);
        const stimulus_schedule schedule(m);
        take_synapses(build_synapses_on_device(m, compute_));
        totals_ = pinned_buffer<std::uint32_t>(slots * setup.size());
        // the input rings of every receiving population in one allocation (one L2 access-policy window covers them)
        std::vector<std::size_t> ring_at(setup.size(), 0);
        std::size_t ring_total = 0;
        for (std::size_t p = 0; p < setup.size() && !host_offsets_.empty(); ++p) {
            if (!receives_[p]) continue;
            ring_at[p] = ring_total;
            const std::size_t bytes = static_cast<std::size_t>(ring_slots_) * setup[p].n * (setup[p].model == neuron_model::iaf_psc_exp ? 16 : 8);
            ring_total += (bytes + 255) / 256 * 256;
        }
        if (ring_total) {
            ring_arena_ = device_buffer<unsigned char>(ring_total);
            SYNFIRE_CUDA(cudaMemsetAsync(ring_arena_.data(), 0, ring_total, compute_));
            if (env_switch("SYNFIRE_CUDA_L2_RING") == 1) persist_rings(prop);
        }
        std::vector<ring_view> rings;
        for (std::size_t p = 0; p < setup.size(); ++p) {
            auto& b = pops_.emplace_back();
            b.setup = setup[p];
            const std::size_t n = setup[p].n;
            b.words = (n + 31) / 32;
            b.chunks = compaction_chunks(b.words, window_);
            if (b.setup.model == neuron_model::iaf_psc_exp) b.exp = device_buffer<exp_state>(n);
            else b.delta = device_buffer<delta_state>(n);
            for (int s = 0; s < slots; ++s) {
                b.bitmap[s] = device_buffer<std::uint32_t>(b.words * static_cast<std::size_t>(window_));
                b.chunk_counts[s] = device_buffer<std::uint32_t>(b.chunks + 1);
                b.chunk_offsets[s] = device_buffer<std::uint32_t>(b.chunks + 1);
            }
            b.scan_bytes = compaction_scan_bytes(b.chunks);
            for (auto& s : b.scan_storage) s = device_buffer<unsigned char>(b.scan_bytes);
            b.step_offsets = device_buffer<std::uint32_t>(static_cast<std::size_t>(window_) + 1);
            b.host_offsets = pinned_buffer<std::uint32_t>(static_cast<std::size_t>(window_) + 1);
            const std::size_t capacity = std::min<std::size_t>(static_cast<std::size_t>(window_) * n, std::max<std::size_t>(std::size_t{1} << 20, n / 4));
            b.ids = device_buffer<std::uint32_t>(capacity);
            b.host_ids = pinned_buffer<std::uint32_t>(capacity);
            upload_initial_state(m, p, b);
            if ((b.recorder = state_recorder_of(m, p))) {
                const auto& ids = b.recorder->ids;
                std::vector<std::uint32_t> bits(b.words, 0);
                for (auto id : ids) bits[id >> 5] |= 1u << (id & 31u);
                b.recorded_bits = device_buffer<std::uint32_t>(bits.size());
                b.recorded_ids = device_buffer<std::uint32_t>(ids.size());
                SYNFIRE_CUDA(cudaMemcpy(b.recorded_bits.data(), bits.data(), bits.size() * 4, cudaMemcpyHostToDevice));
                SYNFIRE_CUDA(cudaMemcpy(b.recorded_ids.data(), ids.data(), ids.size() * 4, cudaMemcpyHostToDevice));
                const std::size_t frame_floats = static_cast<std::size_t>(max_frames(*b.recorder)) *
                                                 static_cast<std::size_t>(gathered_variables(*b.recorder)) * ids.size();
                for (auto& f : b.frames) f = device_buffer<float>(frame_floats);
                b.host_frames = pinned_buffer<float>(frame_floats);
            }
            if (!host_offsets_.empty()) {
                b.sends = host_offsets_[base_[p + 1]] > host_offsets_[base_[p]];
                if (receives_[p]) b.ring = ring_arena_.data() + ring_at[p];
                rings.push_back(ring_view{b.ring, static_cast<std::uint32_t>(n), b.setup.model == neuron_model::iaf_psc_exp ? 2u : 1u});
            }
            b.program = schedule.inputs(p).program(m, [&](const auto& v) {
                using T = typename std::decay_t<decltype(v)>::value_type;
                auto& buf = b.input_data.emplace_back(v.size() * sizeof(T));
                SYNFIRE_CUDA(cudaMemcpy(buf.data(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
                return reinterpret_cast<const T*>(buf.data());
            });
        }
        if (!rings.empty()) {
            rings_ = device_buffer<ring_view>(rings.size());
            SYNFIRE_CUDA(cudaMemcpy(rings_.data(), rings.data(), rings.size() * sizeof(ring_view), cudaMemcpyHostToDevice));
            step_mode_ = !env_is("SYNFIRE_CUDA_STEP_MODE", "0");  // 0: fused windows of min-delay steps (for comparison)
            if (step_mode_) prepare_step_mode(prop.multiProcessorCount, prop.major, m.dt);
            else window_ = std::min(window_, min_delay_);  // a window's spikes land after it
            description_ += "; network: " + network_path();
            if (streaming) description_ += "; synapses loaded as a stream";
            if (persisting_ring_bytes_)
                description_ += fmt::format("; input rings persisting in L2 ({:.1f} of {:.1f} MiB)", persisting_ring_bytes_ / 1048576.0,
                                            ring_arena_.size() / 1048576.0);
        }
        // Spikes decoded on the host from copies of the bitmaps (a copy engine's work) where the persistent
        // window kernel runs. With the device's compaction the counting of window w took as long as window
        // w + 1 (H200, microcircuit: 0.174 s against 0.159 s of kernels), as if the cooperative grid held the
        // counting and writing kernels of the other streams until it ended; the host then collected window w
        // only after window w + 2 and the GPU waited for it between windows (19 ms of the 0.178 s; graphs:
        // 3 ms; bench/NOTES.md v9). Its networks are small (one wave of blocks: at most ~800 KB of bitmap per
        // window). SYNFIRE_CUDA_HOST_COMPACTION=0/1 forces either, on every path.
        const int host_compaction = env_switch("SYNFIRE_CUDA_HOST_COMPACTION");
        host_compaction_ = host_compaction == 1 || (host_compaction == -1 && persistent_grid_);
        if (host_compaction_) {
            for (auto& b : pops_)
                for (auto& h : b.host_bitmap) h = pinned_buffer<std::uint32_t>(b.words * static_cast<std::size_t>(window_));
            description_ += "; spikes decoded on the host";
        }
        SYNFIRE_CUDA(cudaStreamSynchronize(compute_));
    }

    ~cuda_backend() override {
        // Outstanding work must finish before the buffers it uses are freed.
        cudaStreamSynchronize(compute_);
        cudaStreamSynchronize(copy_);
        for (auto& s : count_) cudaStreamSynchronize(s);
        if (persistent_grid_) report_phase_clocks();  // diagnostic builds only
        if (persisting_ring_bytes_) {  // give the set-aside L2 back (a device-wide limit)
            cudaCtxResetPersistingL2Cache();
            cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, 0);
        }
    }

    std::string name() const override { return "cuda"; }
    std::string device() const override { return description_; }
    int max_window() const override { return window_; }
    int max_in_flight() const override { return in_flight_limit_; }

    std::vector<std::pair<std::string, double>> phase_times() const override {
        // compaction: counting and scanning the window's spikes on the device, or (host compaction) copying its
        // bitmaps out, then decoding: the host's time turning them into ids; idle: the compute stream's time
        // between one window's end and the next one's start, waiting for the host to launch it
        std::vector<std::pair<std::string, double>> out;
        if (step_mode_) {  // update and delivery alternate every step: timed together
            out = {{"update+delivery", phase_s_[0]}, {"compaction", phase_s_[2]}};
        } else {
            out = {{"update", phase_s_[0]}};
            if (offsets_.size()) out.emplace_back("delivery", phase_s_[1]);
            out.emplace_back("compaction", phase_s_[2]);
        }
        if (host_compaction_) out.emplace_back("decoding", decode_s_);
        if (offsets_.size()) out.emplace_back("construction", construction_s_);
        out.emplace_back("idle", idle_s_);
        return out;
    }
    std::uint64_t delivered_events() const override { return events_; }

    void launch(std::int64_t first_step, int steps, const std::vector<window_input>& in) override {
        if (steps < 1 || steps > window_)
            throw internal_error(fmt::format("cuda backend: window of {} steps (limit {})", steps, window_));
        if (in_flight_.size() >= static_cast<std::size_t>(in_flight_limit_)) throw internal_error("cuda backend: too many windows in flight");
        const int slot = next_slot_;
        next_slot_ = (next_slot_ + 1) % in_flight_limit_;
        if (!started_) {
            start_.record(compute_);
            started_ = true;
        }
        marks_[slot][0].record(compute_);
        for (std::size_t p = 0; p < pops_.size(); ++p) {
            auto& b = pops_[p];
            const std::uint32_t n = b.setup.n;
            if (in[p].I_neuron_changed) {
                b.I_neuron_active = in[p].I_neuron != nullptr;
                if (b.I_neuron_active) {
                    if (b.I_neuron.size() < n) b.I_neuron = device_buffer<float>(n);
                    SYNFIRE_CUDA(cudaMemcpyAsync(b.I_neuron.data(), in[p].I_neuron, n * sizeof(float), cudaMemcpyHostToDevice, compute_));
                }
            }
            update_window w;
            w.steps = steps;
            w.first_step = first_step;
            w.ring_slots = ring_slots_;
            std::copy(in[p].I_uniform, in[p].I_uniform + steps, w.I.I);
            w.I_neuron = b.I_neuron_active ? b.I_neuron.data() : nullptr;
            w.program = &b.program;
            w.courses = in[p].courses;
            if (b.recorder) {
                for (int k = 0; k < steps; ++k)
                    if (b.recorder->samples(first_step + k)) w.sample_mask |= std::uint64_t{1} << k;
                w.recorded_bits = b.recorded_bits.data();
                w.recorded_ids = b.recorded_ids.data();
                w.recorded = static_cast<std::uint32_t>(b.recorder->ids.size());
                w.frames = b.frames[slot].data();
                w.sampled_variables = b.recorder->variables;
            }
            if (step_mode_) {
                population_step ps;
                ps.model = b.setup.model;
                ps.n = n;
                ps.state = b.setup.model == neuron_model::iaf_psc_exp ? static_cast<void*>(b.exp.data()) : static_cast<void*>(b.delta.data());
                ps.ring = b.ring;
                ps.bitmap = b.bitmap[slot].data();
                ps.exp = b.setup.exp;
                ps.delta = b.setup.delta;
                ps.sends = b.sends;
                ps.source_base = static_cast<std::uint32_t>(base_[p]);
                make_step_args(ps, w, step_args_host_[slot].data() + p * step_args_bytes());
            } else if (b.setup.model == neuron_model::iaf_psc_exp)
                update_iaf_psc_exp(b.exp.data(), reinterpret_cast<exp_input*>(b.ring), b.bitmap[slot].data(), n, w, b.setup.exp, compute_);
            else
                update_iaf_psc_delta(b.delta.data(), reinterpret_cast<std::int64_t*>(b.ring), b.bitmap[slot].data(), n, w, b.setup.delta, compute_);
        }
        if (step_mode_) {  // step by step: every population, then the step's spikes into the rings
            const std::size_t bytes = pops_.size() * step_args_bytes();
            std::memcpy(step_args_host_[slot].data() + bytes, &first_step, sizeof first_step);
            // a full window is captured once per slot and replayed: one launch instead of 2 x steps + 2
            const bool graph = use_graphs_ && !persistent_grid_ && steps == window_;
            if (graph && step_graph_[slot]) {
                step_graph_[slot].launch(compute_);
            } else {
                if (graph) SYNFIRE_CUDA(cudaStreamBeginCapture(compute_, cudaStreamCaptureModeThreadLocal));
                SYNFIRE_CUDA(cudaMemcpyAsync(step_args_[slot].data(), step_args_host_[slot].data(), bytes + sizeof(std::int64_t),
                                             cudaMemcpyHostToDevice, compute_));
                SYNFIRE_CUDA(cudaMemsetAsync(spike_counts_.data(), 0, static_cast<std::size_t>(steps) * sizeof(std::uint32_t), compute_));
                if (claimed_lists_) SYNFIRE_CUDA(cudaMemsetAsync(claims_.data(), 0, static_cast<std::size_t>(steps) * sizeof(std::uint32_t), compute_));
                const auto* first = reinterpret_cast<const std::int64_t*>(step_args_[slot].data() + bytes);
                if (persistent_grid_) {  // one cooperative launch for the whole window
                    persistent_options o;
                    o.warp_workers = warp_workers_;
                    o.deliverers = deliverers_;
                    o.early_parts = early_list_ ? (early_parts_ ? early_parts_ : parts_for(persistent_grid_, spikes_per_step_)) : 0u;
                    o.lists_at_barrier = lists_at_barrier_;
                    o.claims = claimed_lists_ ? claims_.data() : nullptr;
                    o.claim_parts = claim_parts_;
                    o.inputs_at_top = inputs_at_top_;
                    o.ring_prefetch = ring_prefetch_;
                    o.barrier_sleep = barrier_sleep_;
                    o.relaxed_poll = relaxed_poll_;
                    o.shared_poisson = shared_poisson_;
                    o.shared_caches = shared_caches_;
                    o.block_neurons = block_neurons_;
                    update_window_persistent(step_args_[slot].data(), first_blocks_.data(), static_cast<int>(pops_.size()), step_grid_, steps,
                                             spike_list_.data(), list_capacity_, spike_counts_.data(), first, offsets_.data(),
                                             deferred_ ? splits_.data() : nullptr, synapses_.data(), rings_.data(), static_cast<int>(rings_.size()),
                                             ring_slots_, barrier_.data(), persistent_grid_, compute_, o);
                } else if (deferred_) {  // one launch per step, then the delivery of the last step's list
                    deferred_delivery dd;
                    dd.splits = splits_.data();
                    dd.synapses = synapses_.data();
                    dd.rings = rings_.data();
                    dd.ring_count = static_cast<int>(rings_.size());
                    dd.slots = ring_slots_;
                    dd.warp_workers = warp_workers_;
                    for (int k = 0; k < steps; ++k) {
                        dd.previous = k > 0 ? list_of(k - 1) : nullptr;
                        dd.previous_count = k > 0 ? spike_counts_.data() + k - 1 : nullptr;
                        update_step(step_args_[slot].data(), first_blocks_.data(), first_blocks_host_.data(), static_cast<int>(pops_.size()), step_grid_, k,
                                    list_of(k), spike_counts_.data() + k, offsets_.data(), compute_, programmatic_, &dd);
                    }
                    deliver_step(list_of(steps - 1), spike_counts_.data() + steps - 1, first, steps - 1, synapses_.data(), rings_.data(),
                                 static_cast<int>(rings_.size()), ring_slots_, deliver_grid_, compute_, programmatic_, warp_workers_);
                } else {
                    for (int k = 0; k < steps; ++k) {
                        update_step(step_args_[slot].data(), first_blocks_.data(), first_blocks_host_.data(), static_cast<int>(pops_.size()), step_grid_, k,
                                    spike_list_.data(), spike_counts_.data() + k, offsets_.data(), compute_, programmatic_);
                        deliver_step(spike_list_.data(), spike_counts_.data() + k, first, k, synapses_.data(), rings_.data(),
                                     static_cast<int>(rings_.size()), ring_slots_, deliver_grid_, compute_, programmatic_, warp_workers_);
                    }
                }
                if (graph) {
                    step_graph_[slot].end_capture(compute_);
                    step_graph_[slot].launch(compute_);
                }
            }
        }
        marks_[slot][1].record(compute_);
        // every population has stepped through the window: deliver its spikes into the rings
        for (std::size_t p = 0; p < pops_.size() && !step_mode_; ++p)
            if (pops_[p].sends)
                deliver_spikes(pops_[p].bitmap[slot].data(), pops_[p].words, steps, first_step, base_[p], offsets_.data(), synapses_.data(),
                               rings_.data(), ring_slots_, compute_);
        marks_[slot][2].record(compute_);
        // count the window's spikes on the slot's own stream, beside the next window's steps (which write the
        // other slot's bitmap; this slot's is written again only after the host has collected this window);
        // the host reads the totals when it collects the window
        cudaStream_t counting = count_[slot];
        SYNFIRE_CUDA(cudaStreamWaitEvent(counting, marks_[slot][2], 0));
        for (std::size_t p = 0; p < pops_.size(); ++p) {
            auto& b = pops_[p];
            if (host_compaction_) {  // the bitmap itself, decoded when the host collects the window
                SYNFIRE_CUDA(cudaMemcpyAsync(b.host_bitmap[slot].data(), b.bitmap[slot].data(), b.words * static_cast<std::size_t>(steps) * sizeof(std::uint32_t),
                                             cudaMemcpyDeviceToHost, counting));
                continue;
            }
            count_spikes(b.bitmap[slot].data(), b.words, steps, b.chunk_counts[slot].data(), b.chunk_offsets[slot].data(),
                         b.scan_storage[slot].data(), b.scan_bytes, counting);
            SYNFIRE_CUDA(cudaMemcpyAsync(&totals_[static_cast<std::size_t>(slot) * pops_.size() + p],
                                         b.chunk_offsets[slot].data() + compaction_chunks(b.words, steps), sizeof(std::uint32_t),
                                         cudaMemcpyDeviceToHost, counting));
        }
        marks_[slot][3].record(counting);
        counted_[slot].record(counting);
        in_flight_.push_back({first_step, steps, slot});
    }

    void collect(std::vector<window_output>& out) override {
        if (in_flight_.empty()) throw internal_error("cuda backend: collect without a launched window");
        const window w = in_flight_.front();
        counted_[w.slot].synchronize();
        phase_s_[0] += elapsed(marks_[w.slot][0], marks_[w.slot][1]);
        phase_s_[1] += elapsed(marks_[w.slot][1], marks_[w.slot][2]);
        phase_s_[2] += elapsed(marks_[w.slot][2], marks_[w.slot][3]);
        const double begun = elapsed(start_, marks_[w.slot][0]);  // windows run in order on the compute stream
        if (last_end_ >= 0.0 && begun > last_end_) idle_s_ += begun - last_end_;
        last_end_ = elapsed(start_, marks_[w.slot][2]);
        out.resize(pops_.size());
        // every population's compaction and copies first, then one wait for all of them
        bool copying = false;
        for (std::size_t p = 0; p < pops_.size(); ++p) {
            auto& b = pops_[p];
            window_output& sw = out[p];
            if (!host_compaction_) {
                const std::uint32_t total = totals_[static_cast<std::size_t>(w.slot) * pops_.size() + p];
                if (total > b.ids.size()) {  // more spikes than ever before: grow (the copy stream is idle here)
                    const std::size_t capacity = std::max<std::size_t>(total, 2 * b.ids.size());
                    b.ids = device_buffer<std::uint32_t>();
                    b.host_ids = pinned_buffer<std::uint32_t>();
                    b.ids = device_buffer<std::uint32_t>(capacity);
                    b.host_ids = pinned_buffer<std::uint32_t>(capacity);
                }
                write_spikes(b.bitmap[w.slot].data(), b.words, w.steps, b.chunk_offsets[w.slot].data(), b.ids.data(),
                             b.step_offsets.data(), copy_);
                SYNFIRE_CUDA(cudaMemcpyAsync(b.host_offsets.data(), b.step_offsets.data(), (static_cast<std::size_t>(w.steps) + 1) * sizeof(std::uint32_t),
                                             cudaMemcpyDeviceToHost, copy_));
                if (total)
                    SYNFIRE_CUDA(cudaMemcpyAsync(b.host_ids.data(), b.ids.data(), total * sizeof(std::uint32_t), cudaMemcpyDeviceToHost, copy_));
                copying = true;
            }
            sw.frame_steps.clear();
            if (b.recorder)
                for (int k = 0; k < w.steps; ++k)
                    if (b.recorder->samples(w.first_step + k)) sw.frame_steps.push_back(w.first_step + k);
            const std::size_t frame_floats =
                b.recorder ? sw.frame_steps.size() * static_cast<std::size_t>(gathered_variables(*b.recorder)) * b.recorder->ids.size() : 0;
            if (frame_floats) {
                SYNFIRE_CUDA(cudaMemcpyAsync(b.host_frames.data(), b.frames[w.slot].data(), frame_floats * sizeof(float), cudaMemcpyDeviceToHost, copy_));
                copying = true;
            }
        }
        if (copying) SYNFIRE_CUDA(cudaStreamSynchronize(copy_));
        std::uint64_t sent = 0;  // spikes of the sending populations
        for (std::size_t p = 0; p < pops_.size(); ++p) {
            auto& b = pops_[p];
            window_output& sw = out[p];
            const std::size_t frame_floats =
                b.recorder ? sw.frame_steps.size() * static_cast<std::size_t>(gathered_variables(*b.recorder)) * b.recorder->ids.size() : 0;
            sw.frames.assign(b.host_frames.data(), b.host_frames.data() + frame_floats);
            sw.first_step = w.first_step;
            if (host_compaction_) {
                const auto decoding = std::chrono::steady_clock::now();
                decode_spike_bitmap(b.host_bitmap[w.slot].data(), b.words, w.steps, sw.ids, sw.offsets);
                decode_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - decoding).count();
            } else {
                const std::uint32_t total = totals_[static_cast<std::size_t>(w.slot) * pops_.size() + p];
                sw.offsets.assign(b.host_offsets.data(), b.host_offsets.data() + w.steps + 1);
                sw.ids.assign(b.host_ids.data(), b.host_ids.data() + total);
                if (sw.offsets.back() != total) throw internal_error("cuda backend: spike compaction lost count");
            }
            if (b.sends) sent += sw.ids.size();
            if (!host_offsets_.empty())
                for (std::uint32_t id : sw.ids) events_ += host_offsets_[base_[p] + id + 1] - host_offsets_[base_[p] + id];
        }
        if (early_list_) spikes_per_step_ = static_cast<double>(sent) / w.steps;
        in_flight_.pop_front();
    }

    population_state state(std::size_t p) const override {
        SYNFIRE_CUDA(cudaStreamSynchronize(compute_));
        const auto& b = pops_.at(p);
        const std::size_t n = b.setup.n;
        population_state s;
        s.V.resize(n);
        s.r.resize(n);
        if (b.setup.model == neuron_model::iaf_psc_exp) {
            std::vector<exp_state> host(n);
            SYNFIRE_CUDA(cudaMemcpy(host.data(), b.exp.data(), n * sizeof(exp_state), cudaMemcpyDeviceToHost));
            s.I_ex.resize(n);
            s.I_in.resize(n);
            for (std::size_t i = 0; i < n; ++i) s.V[i] = host[i].V, s.I_ex[i] = host[i].I_ex, s.I_in[i] = host[i].I_in, s.r[i] = host[i].r;
        } else {
            std::vector<delta_state> host(n);
            SYNFIRE_CUDA(cudaMemcpy(host.data(), b.delta.data(), n * sizeof(delta_state), cudaMemcpyDeviceToHost));
            for (std::size_t i = 0; i < n; ++i) s.V[i] = host[i].V, s.r[i] = host[i].r;
        }
        return s;
    }

private:
    struct window {
        std::int64_t first_step;
        int steps;
        int slot;
    };

    /// Buffers of step mode: launch arguments per window slot, the blocks of each population, one step's
    /// spike list (every sending neuron at most once) and a count per step of the window.
    void prepare_step_mode(int multiprocessors, int major, double dt_ms) {
        if (base_.back() > 0xFFFFFFFFull) throw runtime_failure("cuda backend: networks of more than 2^32 neurons are not supported");
        std::vector<std::uint32_t> first{0};
        for (const auto& b : pops_) first.push_back(first.back() + step_blocks(b.setup.n));
        step_grid_ = first.back();
        for (int s = 0; s < slots; ++s) {  // the populations' arguments, then the window's first step (int64)
            step_args_[s] = device_buffer<unsigned char>(pops_.size() * step_args_bytes() + sizeof(std::int64_t));
            step_args_host_[s] = pinned_buffer<unsigned char>(pops_.size() * step_args_bytes() + sizeof(std::int64_t));
        }
        use_graphs_ = !env_is("SYNFIRE_CUDA_GRAPHS", "0");  // 0: launch every step's kernels (for comparison)
        // The whole window in one cooperative launch with one grid barrier per step (deferred delivery), where
        // the update's blocks are all resident at once, with delivering blocks beside them where a whole wave of
        // them fits (H200, microcircuit: RTF 0.142-0.147 with graphs, 0.119-0.124 persistent and deferred;
        // bench/NOTES.md v7); else the graphs. SYNFIRE_CUDA_PERSISTENT=0/1 and SYNFIRE_CUDA_DEFERRED=0/1 force
        // either (deferred delivery also runs in the graphs; the persistent kernel also with a delivery of its
        // own per step), SYNFIRE_CUDA_DELIVERERS=N the delivering blocks (0: none).
        const int deferred_setting = cuda_deferred_delivery_setting();  // cuda_memory_plan counts its buffers unless 0
        // SYNFIRE_CUDA_LISTS_AT_BARRIER=1 (persistent kernel, deferred delivery; opt-in until measured): each
        // step's list (synapses of three steps' delay or more) delivered while the grid gathers at the next
        // step's barrier, off the path to it; a spiking block delivers its synapses of one and two steps' delay
        // at once. Three list buffers (cuda_memory_plan counts the third); no delivering blocks.
        // SYNFIRE_CUDA_CLAIMED_LISTS=1 (implies it): the lists' parts claimed by the blocks as they arrive.
        const bool claimed = env_switch("SYNFIRE_CUDA_CLAIMED_LISTS") == 1 && deferred_setting != 0;
        const bool at_barrier = cuda_lists_at_barrier_setting() == 1 && deferred_setting != 0;
        if (env_switch("SYNFIRE_CUDA_PERSISTENT") != 0) {
            // SYNFIRE_CUDA_BLOCK_NEURONS=N (for comparisons): N neurons per update block of the persistent kernel
            // instead of 256, so that the update's neurons spread more evenly over the multiprocessors (the
            // microcircuit's 305 blocks put 768 neurons on 41 of 132 and 512 on the rest; with 224, 349 blocks:
            // at most 672); where its blocks do not all fit, the step kernels' 256 and the graphs
            std::vector<std::uint32_t> narrow{0};
            for (const auto& b : pops_) narrow.push_back(narrow.back() + (b.setup.n + block_neurons_ - 1) / block_neurons_);
            persistent_options shared;  // the shared memory it will ask for
            shared.shared_poisson = shared_poisson_;
            shared.shared_caches = env_switch("SYNFIRE_CUDA_SHARED_CACHES") == 1;
            const window_launch launch = window_grid(multiprocessors, narrow.back(), deferred_setting != 0, at_barrier ? 0 : deliverers_setting(), shared);
            persistent_grid_ = launch.grid;
            deliverers_ = launch.deliverers;
            if (persistent_grid_) first = narrow, step_grid_ = narrow.back();
        }
        if (!persistent_grid_) block_neurons_ = update_block_threads;
        first_blocks_ = device_buffer<std::uint32_t>(first.size());
        SYNFIRE_CUDA(cudaMemcpy(first_blocks_.data(), first.data(), first.size() * 4, cudaMemcpyHostToDevice));
        first_blocks_host_ = first;
        deferred_ = deferred_setting == 1 || (deferred_setting == -1 && persistent_grid_);
        lists_at_barrier_ = at_barrier && persistent_grid_ && deferred_;
        if (lists_at_barrier_) claims_ = device_buffer<std::uint32_t>(static_cast<std::size_t>(window_));
        claimed_lists_ = claimed && lists_at_barrier_;
        const std::uint64_t sources = base_.back();
        if (deferred_) {
            splits_ = device_buffer<std::uint64_t>(std::max<std::uint64_t>(sources, 1));
            find_delay_splits(offsets_.data(), synapses_.data(), sources, splits_.data(), compute_, lists_at_barrier_ ? 3 : 2);
            std::vector<std::uint64_t> splits(sources);
            SYNFIRE_CUDA(cudaMemcpyAsync(splits.data(), splits_.data(), sources * sizeof(std::uint64_t), cudaMemcpyDeviceToHost, compute_));
            SYNFIRE_CUDA(cudaStreamSynchronize(compute_));
            std::uint64_t one_step = 0;
            for (std::uint64_t g = 0; g < sources; ++g) one_step += splits[g] - host_offsets_[g];
            one_step_share_ = host_offsets_.back() ? static_cast<double>(one_step) / static_cast<double>(host_offsets_.back()) : 0.0;
        }
        barrier_ = device_buffer<unsigned>(1);
        // each step's update and delivery as programmatic dependent launches (sm 90+), which start while the
        // kernel before them drains and compute the step's inputs before they wait for it. Faster where the
        // update's blocks are all resident at once (H200: microcircuit RTF 0.160 -> 0.146), slower where they
        // come in waves, whose early blocks then hold the delivery's places (Brunel 1e6: 3.3e10 -> 2.95e10
        // events/s; bench/NOTES.md): on for one-wave updates; SYNFIRE_CUDA_PDL=1 or 0 forces it
        const bool one_wave = step_grid_ <= step_blocks_per_multiprocessor() * static_cast<unsigned>(multiprocessors);
        programmatic_ = major >= 9 && (env_is("SYNFIRE_CUDA_PDL", "1") || (one_wave && !env_is("SYNFIRE_CUDA_PDL", "0")));
#ifndef NDEBUG
        use_graphs_ = false;  // debug builds synchronise after every launch, which a capture forbids
#endif
        list_capacity_ = std::max<std::uint64_t>(sources, 1);  // every sending neuron at most once per step
        spike_list_ = device_buffer<spike_range>((lists_at_barrier_ ? 3 : deferred_ ? 2 : 1) * list_capacity_);
        spike_counts_ = device_buffer<std::uint32_t>(static_cast<std::size_t>(window_));
        deliver_grid_ = static_cast<unsigned>(multiprocessors) * delivery_blocks_per_multiprocessor();
        // a warp per spike where neurons send to few targets, a block where they send to many
        std::uint64_t senders = 0;
        for (std::size_t g = 0; g + 1 < host_offsets_.size(); ++g) senders += host_offsets_[g + 1] > host_offsets_[g];
        mean_fan_out_ = senders ? static_cast<double>(host_offsets_.back()) / static_cast<double>(senders) : 0.0;
        warp_workers_ = mean_fan_out_ < warp_worker_fan_out;
        // claimed lists: parts of ~1024 synapses (four loads per thread of a block), at most 64 per spike
        claim_parts_ = static_cast<std::uint32_t>(std::clamp<long>(std::lround(mean_fan_out_ / 1024.0), 1, 64));
        if (env_is("SYNFIRE_CUDA_DELIVERY", "warp")) warp_workers_ = true;  // warp | block: override (for comparison)
        if (env_is("SYNFIRE_CUDA_DELIVERY", "block")) warp_workers_ = false;
        // SYNFIRE_CUDA_EARLY_LIST=1: the persistent kernel reads each step's list with the next step's ring slot
        // (launchers.hpp; block workers, no delivering blocks); opt-in until measured
        early_list_ = env_switch("SYNFIRE_CUDA_EARLY_LIST") == 1 && persistent_grid_ && deferred_ && !deliverers_ && !warp_workers_ && !lists_at_barrier_;
        // SYNFIRE_CUDA_INPUTS_AT_TOP=1: the persistent kernel's inputs at the top of each step, in the shadow of
        // the ring slot's load, with the list in the step (the lists at the barrier always do so)
        inputs_at_top_ = lists_at_barrier_ || (env_switch("SYNFIRE_CUDA_INPUTS_AT_TOP") == 1 && persistent_grid_ && deferred_ && !early_list_);
        // SYNFIRE_CUDA_SHARED_CACHES=1: each thread's Poisson cache in shared memory (window_kernel instances of
        // their own: with the list in the step or at the barrier; not with the early list or inputs at the top of
        // an in-step list)
        shared_caches_ = env_switch("SYNFIRE_CUDA_SHARED_CACHES") == 1 && persistent_grid_ && deferred_ && !early_list_ &&
                         (lists_at_barrier_ || !inputs_at_top_);
        early_parts_ = early_parts_setting();  // 0: from the spikes per step
        std::uint64_t sending = 0;  // neurons whose spikes join the list
        for (std::size_t p = 0; p < pops_.size(); ++p)
            if (pops_[p].sends) sending += pops_[p].setup.n;
        spikes_per_step_ = static_cast<double>(sending) * 10.0 * dt_ms * 1e-3;  // until a window is collected: 10 Hz
    }

    /// How the network steps, for the run's provenance (summary and output file).
    std::string network_path() const {
        if (!step_mode_) return fmt::format("fused windows of {} steps", window_);
        const std::string delivery =
            fmt::format("delivery by {} (mean fan-out {:.0f}) in {} blocks into input rings of {} slots ({:.1f} MiB)", warp_workers_ ? "warp" : "block",
                        mean_fan_out_, deliver_grid_, ring_slots_, ring_arena_.size() / 1048576.0);
        const std::string deferred =
            !deferred_          ? std::string()
            : lists_at_barrier_ ? fmt::format(", deferred delivery ({:.1f}% of synapses at one or two steps' delay), lists delivered at the next barrier{}",
                                              100.0 * one_step_share_,
                                              claimed_lists_ ? fmt::format(" in claimed parts ({} per spike)", claim_parts_) : std::string())
                                : fmt::format(", deferred delivery ({:.1f}% of synapses at one step's delay)", 100.0 * one_step_share_);
        if (persistent_grid_)
            return fmt::format("step mode, persistent window kernel of {} blocks{}{}, {}{}{}{}{}, barrier polled {} ns apart{}{}{}", persistent_grid_,
                               deliverers_ ? fmt::format(" ({} delivering the lists)", deliverers_) : std::string(),
                               block_neurons_ != update_block_threads ? fmt::format(", {} neurons per update block", block_neurons_) : std::string(),
                               delivery, deferred,
                               early_list_ ? ", lists read early" : "", ring_prefetch_ ? ", ring slots prefetched" : "",
                               inputs_at_top_ ? ", inputs at the top of each step" : "", barrier_sleep_,
                               relaxed_poll_ ? " with relaxed loads, then one acquire" : "",
                               shared_poisson_ ? ", Poisson tables in shared memory" : "",
                               shared_caches_ ? ", Poisson caches in shared memory" : "");
        return fmt::format("step mode, {}{}, {}{}", use_graphs_ ? "windows replayed as CUDA graphs" : "launches per step",
                           programmatic_ ? ", programmatic dependent launches" : "", delivery, deferred);
    }

    /// SYNFIRE_CUDA_L2_RING=1: the ring arena as the compute stream's L2 access-policy window, persisting, with
    /// as much L2 set aside as the device allows (the synapse table streams through L2 once per spike and pushes
    /// the rings out; bench/NOTES.md v9). Not where the device has no persisting L2 (before sm 80).
    void persist_rings(const cudaDeviceProp& prop) {
        if (prop.persistingL2CacheMaxSize <= 0 || prop.accessPolicyMaxWindowSize <= 0) return;
        const std::size_t window = std::min<std::size_t>(ring_arena_.size(), static_cast<std::size_t>(prop.accessPolicyMaxWindowSize));
        const std::size_t set_aside = std::min<std::size_t>(window, static_cast<std::size_t>(prop.persistingL2CacheMaxSize));
        SYNFIRE_CUDA(cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, set_aside));
        cudaStreamAttrValue attr{};
        attr.accessPolicyWindow.base_ptr = ring_arena_.data();
        attr.accessPolicyWindow.num_bytes = window;
        attr.accessPolicyWindow.hitRatio = static_cast<float>(static_cast<double>(set_aside) / static_cast<double>(window));
        attr.accessPolicyWindow.hitProp = cudaAccessPropertyPersisting;
        attr.accessPolicyWindow.missProp = cudaAccessPropertyNormal;
        SYNFIRE_CUDA(cudaStreamSetAttribute(compute_, cudaStreamAttributeAccessPolicyWindow, &attr));
        persisting_ring_bytes_ = set_aside;
    }

    /// The synapse table, built on the device (synapse_build.cu: the host build's table bit for bit).
    void take_synapses(device_synapse_table t) {
        base_ = t.base;
        receives_ = t.receives;
        construction_s_ = t.build_seconds;
        if (t.empty()) return;
        host_offsets_ = std::move(t.host_offsets);
        offsets_ = std::move(t.offsets);
        synapses_ = std::move(t.synapses);
        ring_slots_ = t.ring_slots();
        min_delay_ = t.min_delay;
    }

    /// Initial potentials are drawn on the host (the same pure function as the CPU backend) and uploaded in
    /// pieces, so a billion neurons never need their whole state in host memory.
    void upload_initial_state(const model& m, std::size_t p, population_buffers& b) {
        constexpr std::size_t piece = std::size_t{1} << 22;
        const std::size_t n = b.setup.n;
        const bool exp = b.setup.model == neuron_model::iaf_psc_exp;
        std::vector<float> V(std::min(n, piece));
        pinned_buffer<exp_state> exp_host(exp ? std::min(n, piece) : 0);
        pinned_buffer<delta_state> delta_host(exp ? 0 : std::min(n, piece));
        for (std::size_t begin = 0; begin < n; begin += piece) {
            const std::size_t len = std::min(piece, n - begin);
            initial_potentials(m, p, begin, begin + len, V.data());
            SYNFIRE_CUDA(cudaStreamSynchronize(compute_));  // the previous piece has left the staging buffer
            if (exp) {
                for (std::size_t i = 0; i < len; ++i) exp_host[i] = exp_state{V[i], 0.0f, 0.0f, 0};
                SYNFIRE_CUDA(cudaMemcpyAsync(b.exp.data() + begin, exp_host.data(), len * sizeof(exp_state), cudaMemcpyHostToDevice, compute_));
            } else {
                for (std::size_t i = 0; i < len; ++i) delta_host[i] = delta_state{V[i], 0};
                SYNFIRE_CUDA(cudaMemcpyAsync(b.delta.data() + begin, delta_host.data(), len * sizeof(delta_state), cudaMemcpyHostToDevice, compute_));
            }
        }
        SYNFIRE_CUDA(cudaStreamSynchronize(compute_));
    }

    int window_;
    std::string description_;
    stream compute_, copy_;
    stream count_[slots];  ///< each window slot's spike counting
    event counted_[slots];
    timed_event marks_[slots][4];    ///< window start, updated, delivered, counted
    double phase_s_[3] = {0, 0, 0};  ///< update, delivery, compaction (count and scan) [s]
    timed_event start_;              ///< recorded before the first window
    bool started_ = false;
    double last_end_ = -1.0;         ///< the last collected window's end after start_ [s]
    double idle_s_ = 0.0;            ///< the compute stream's time between windows [s]
    bool host_compaction_ = false;   ///< spikes decoded on the host from copies of the bitmaps
    double decode_s_ = 0.0;          ///< host compaction: the host's time decoding them [s]
    double construction_s_ = 0.0;    ///< synapse table built and uploaded [s]
    std::uint64_t events_ = 0;
    pinned_buffer<std::uint32_t> totals_;  // [slot][population]
    std::vector<population_buffers> pops_;
    std::deque<window> in_flight_;
    int next_slot_ = 0;
    int in_flight_limit_ = windows_in_flight();  ///< windows launched before the first is collected (<= slots)
    std::vector<std::uint64_t> base_;           ///< global id of each population's first neuron
    std::vector<bool> receives_;
    std::vector<std::uint64_t> host_offsets_;   ///< synapses per source, for the event count
    device_buffer<std::uint64_t> offsets_;
    device_buffer<synapse> synapses_;
    device_buffer<ring_view> rings_;
    device_buffer<unsigned char> ring_arena_;  ///< every population's input ring
    std::size_t persisting_ring_bytes_ = 0;    ///< L2 set aside for the rings (SYNFIRE_CUDA_L2_RING=1)
    int ring_slots_ = 0, min_delay_ = 0;
    bool step_mode_ = false;
    device_buffer<unsigned char> step_args_[slots];
    pinned_buffer<unsigned char> step_args_host_[slots];
    device_buffer<std::uint32_t> first_blocks_, spike_counts_;
    device_buffer<spike_range> spike_list_;  ///< one step's spikes, as their synapse ranges (deferred: two such lists)
    std::size_t list_capacity_ = 0;          ///< entries of one list
    bool deferred_ = false;                  ///< deferred delivery (launchers.hpp)
    bool lists_at_barrier_ = false;          ///< the persistent kernel delivers each list at the next barrier
    bool claimed_lists_ = false;             ///< ... in parts the blocks claim as they arrive
    std::uint32_t claim_parts_ = 1;          ///< parts per spike of a claimed list
    device_buffer<std::uint32_t> claims_;    ///< lists at the barrier: each step's claim counter (zeroed per window)
    device_buffer<std::uint64_t> splits_;    ///< deferred: each source's first synapse of delay >= 2 steps
    double one_step_share_ = 0.0;            ///< deferred: share of the synapses with one step's delay (two: lists at the barrier)

    /// Step k's spike list (deferred delivery alternates two).
    spike_range* list_of(int k) { return spike_list_.data() + (deferred_ ? static_cast<std::size_t>(k & 1) * list_capacity_ : 0); }
    std::vector<std::uint32_t> first_blocks_host_;
    unsigned step_grid_ = 0, deliver_grid_ = 0;
    bool use_graphs_ = true;
    bool programmatic_ = false;     ///< step kernels as programmatic dependent launches
    bool warp_workers_ = false;     ///< delivery by warps (small fan-outs) instead of blocks
    double mean_fan_out_ = 0.0;     ///< synapses per sending neuron
    unsigned persistent_grid_ = 0;  ///< blocks of the persistent window kernel; 0: per-step launches
    unsigned deliverers_ = 0;       ///< of those, the blocks that only deliver the lists (deferred delivery)
    unsigned barrier_sleep_ = barrier_sleep_setting();  ///< ns between polls of its grid barrier
    bool relaxed_poll_ = relaxed_poll_setting();         ///< polls of its grid barrier with relaxed loads, then one acquire
    /// its Poisson tables staged in shared memory (SYNFIRE_CUDA_SHARED_POISSON=1; launchers.hpp)
    bool shared_poisson_ = env_switch("SYNFIRE_CUDA_SHARED_POISSON") == 1;
    unsigned block_neurons_ = block_neurons_setting();  ///< neurons per update block of the persistent kernel
    bool shared_caches_ = false;  ///< its threads' Poisson caches in shared memory (SYNFIRE_CUDA_SHARED_CACHES=1)
    bool ring_prefetch_ = env_switch("SYNFIRE_CUDA_RING_PREFETCH") == 1;  ///< its threads prefetch the next ring slot into L2
    bool inputs_at_top_ = false;    ///< its inputs computed at the top of each step (lists at the barrier, or SYNFIRE_CUDA_INPUTS_AT_TOP=1)
    bool early_list_ = false;       ///< the persistent kernel reads each list early (SYNFIRE_CUDA_EARLY_LIST=1)
    std::uint32_t early_parts_ = 0; ///< its parts per spike, forced (SYNFIRE_CUDA_EARLY_LIST_PARTS); 0: parts_for the spikes per step
    double spikes_per_step_ = 0.0;  ///< of the sending populations, in the last collected window: the early list's parts
    device_buffer<unsigned> barrier_;
    graph_exec step_graph_[slots];  ///< a full step-mode window per slot, captured at its first use
};

}  // namespace
}  // namespace cuda

bool cuda_built() { return true; }

int cuda_device_count() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();  // no driver or no device: not sticky, clear it
        return 0;
    }
    return n;
}

std::vector<cuda_device_info> cuda_devices() {
    std::vector<cuda_device_info> out;
    const int n = cuda_device_count();
    for (int d = 0; d < n; ++d) {
        cudaDeviceProp prop{};
        SYNFIRE_CUDA(cudaGetDeviceProperties(&prop, d));
        cuda_device_info info;
        info.index = d;
        info.name = prop.name;
        info.major = prop.major;
        info.minor = prop.minor;
        info.multiprocessors = prop.multiProcessorCount;
        SYNFIRE_CUDA(cudaSetDevice(d));
        std::size_t free = 0, total = 0;
        SYNFIRE_CUDA(cudaMemGetInfo(&free, &total));
        info.free_bytes = free;
        info.total_bytes = total;
        out.push_back(info);
    }
    return out;
}

std::unique_ptr<backend> make_cuda_backend(const model& m, int device) {
    const int n = cuda_device_count();
    if (n == 0) throw runtime_failure("--backend cuda: no CUDA device found (driver missing, no GPU, or CUDA_VISIBLE_DEVICES empty)");
    if (device < 0 || device >= n) throw runtime_failure(fmt::format("CUDA device {} does not exist ({} found)", device, n));
    SYNFIRE_CUDA(cudaSetDevice(device));
    std::size_t free = 0, total = 0;
    SYNFIRE_CUDA(cudaMemGetInfo(&free, &total));
    const gpu_memory_plan plan = cuda_memory_plan(m);
    if (plan.peak() > free)
        throw runtime_failure(fmt::format(
            "device memory: the model needs {:.2f} GiB, device {} has {:.2f} GiB free of {:.2f} GiB "
            "(state {:.2f}, synapses {:.2f}, stimulus inputs {:.2f}, spike bitmaps {:.2f}, spike ids {:.2f}, scratch {:.2f} GiB; "
            "building the synapses holds {:.2f} GiB more while it runs)",
            cuda::gib(plan.peak()), device, cuda::gib(free), cuda::gib(total), cuda::gib(plan.state), cuda::gib(plan.synapses),
            cuda::gib(plan.currents), cuda::gib(plan.bitmaps), cuda::gib(plan.spikes), cuda::gib(plan.scratch), cuda::gib(plan.construction)));
    return std::make_unique<cuda::cuda_backend>(m, device, plan);
}

}  // namespace synfire
