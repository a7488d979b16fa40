// CPU reference backend: SoA state, OpenMP across neurons, temporally blocked windows.
//
// Each thread owns a contiguous range of neurons and walks it in blocks that fit in L1; a block is
// advanced through every step of the window before the next block is touched, so the state crosses
// the memory bus once per window instead of once per step. Spikes are collected per thread and step
// and concatenated in thread order, which is id order: the result does not depend on thread count.
#include <algorithm>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "aligned_buffer.hpp"
#include "team.hpp"
#include "synfire/backend.hpp"
#include "synfire/errors.hpp"
#include "synfire/inputs.hpp"
#include "synfire/network.hpp"
#include "synfire/stimuli.hpp"
#include "synfire/summary.hpp"

namespace synfire {
namespace {

constexpr std::size_t block_size = 1024;   // neurons per block: 16 KiB of state, stays in L1
constexpr std::size_t thread_grain = 64;   // thread ranges start on multiples of this
constexpr int window_cap = 100;            // steps per window at most
constexpr std::ptrdiff_t prefetch_distance = 64;  // delivery: the ring entry of the synapse this far ahead is prefetched

int default_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

struct cpu_population {
    population_setup setup;
    aligned_buffer<float> V, I_ex, I_in;
    aligned_buffer<std::int32_t> r;
    input_program program{};  ///< points into the backend's stimulus_schedule
    const state_recorder* recorder = nullptr;  ///< samples the state, or null
    /// Synaptic input ring buffer, int64 fixed point [slot][neuron][receptor] (2 receptors for iaf_psc_exp,
    /// 1 for iaf_psc_delta); empty when nothing projects onto the population.
    aligned_buffer<std::int64_t> ring;
    int receptors = 1;
    /// Each neuron's Philox blocks of its Poisson sources, kept from window to window where windows are shorter
    /// than a block's four steps (networks with short delays: one-step windows would draw each block four
    /// times); empty otherwise (each window starts its own).
    std::vector<poisson_cache> poisson_caches;
    /// The lean path's (lean_block) kept Philox blocks, lane by lane: words [source][word][neuron] and the block
    /// (step / 4) each neuron's words hold, [source][neuron]; kept under the same rule as poisson_caches.
    aligned_buffer<std::uint32_t> lean_words;
    aligned_buffer<std::uint64_t> lean_tags;
    bool lean = false;  ///< inputs: the ring and Poisson sources only (lean_block)
    std::vector<int> frame_of;  ///< this window: the frame taken after step k, or -1
};

/// One step of a block of iaf_psc_exp neurons; flags[i] = spiked.
void exp_block(float* __restrict V, float* __restrict I_ex, float* __restrict I_in, std::int32_t* __restrict r,
               const float* __restrict I_neuron, float I_uniform, std::uint8_t* __restrict flags, std::size_t len,
               const iaf_psc_exp_coeffs c) {
    if (I_neuron) {
        for (std::size_t i = 0; i < len; ++i) {
            float v = V[i], ie = I_ex[i], ii = I_in[i];
            std::int32_t ri = r[i];
            flags[i] = iaf_psc_exp_step(v, ie, ii, ri, I_uniform + I_neuron[i], 0.0f, 0.0f, c);
            V[i] = v, I_ex[i] = ie, I_in[i] = ii, r[i] = ri;
        }
    } else {
        for (std::size_t i = 0; i < len; ++i) {
            float v = V[i], ie = I_ex[i], ii = I_in[i];
            std::int32_t ri = r[i];
            flags[i] = iaf_psc_exp_step(v, ie, ii, ri, I_uniform, 0.0f, 0.0f, c);
            V[i] = v, I_ex[i] = ie, I_in[i] = ii, r[i] = ri;
        }
    }
}

void delta_block(float* __restrict V, std::int32_t* __restrict r, const float* __restrict I_neuron, float I_uniform,
                 std::uint8_t* __restrict flags, std::size_t len, const iaf_psc_delta_coeffs c) {
    if (I_neuron) {
        for (std::size_t i = 0; i < len; ++i) {
            float v = V[i];
            std::int32_t ri = r[i];
            flags[i] = iaf_psc_delta_step(v, ri, I_uniform + I_neuron[i], 0.0f, c);
            V[i] = v, r[i] = ri;
        }
    } else {
        for (std::size_t i = 0; i < len; ++i) {
            float v = V[i];
            std::int32_t ri = r[i];
            flags[i] = iaf_psc_delta_step(v, ri, I_uniform, 0.0f, c);
            V[i] = v, r[i] = ri;
        }
    }
}

/// One step of a block of neurons with varying inputs (inputs.hpp) or synaptic input (the ring's slot of this
/// step, read and cleared), scalar; cursor[j]: neuron b + j's next event.
void generic_block(cpu_population& pop, std::size_t b, std::size_t len, const window_input& in, int steps, int k,
                   std::int64_t s, int slots, std::uint32_t* cursor, poisson_cache* caches, std::uint8_t* flags) {
    const input_program& prog = pop.program;
    std::int64_t* slot = pop.ring.size() ? pop.ring.data() + static_cast<std::size_t>(s % slots) * pop.setup.n * pop.receptors : nullptr;
    for (std::size_t j = 0; j < len; ++j) {
        const auto i = static_cast<std::uint32_t>(b + j);
        float I = in.I_uniform[k];
        if (in.I_neuron) I = I + in.I_neuron[i];
        std::int64_t ex = 0, inh = 0;
        if (slot) {
            std::int64_t* mine = slot + static_cast<std::size_t>(i) * pop.receptors;
            ex = mine[0];
            mine[0] = 0;
            if (pop.receptors == 2) inh = mine[1], mine[1] = 0;
        }
        I = add_varying_current(I, prog, in.courses, steps, k, i, s);
        add_input_events(prog, i, s, cursor[j], caches[j], ex, inh);
        if (pop.setup.model == neuron_model::iaf_psc_exp)
            flags[j] = iaf_psc_exp_step(pop.V[i], pop.I_ex[i], pop.I_in[i], pop.r[i], I, fixed_to_float(ex), fixed_to_float(inh), pop.setup.exp);
        else
            flags[j] = iaf_psc_delta_step(pop.V[i], pop.r[i], I, fixed_to_float(ex + inh), pop.setup.delta);
    }
}

/// Where lean_block keeps a block's Philox words of Poisson source j: words[(j * 4 + w) * stride + x] is word w of
/// neuron b + x, tag[j * stride + x] the block (step / 4) it holds; a population's arrays (stride n, offset b) or
/// a thread's for one block (stride block_size).
struct poisson_lanes {
    std::uint32_t* words;
    std::uint64_t* tag;
    std::size_t stride;
};

/// noise_current(src, key, b + x, s) for x < len, lane by lane: the Philox words of all neurons at once, then
/// standard_normal_lanes.
void noise_lanes(const noise_source& src, const philox_key& key, std::size_t b, std::size_t len, std::int64_t s, float* __restrict out) {
    alignas(64) std::uint32_t c0[block_size], c1[block_size], c2[block_size], c3[block_size];
    const auto draw = static_cast<std::uint64_t>(s / src.interval);
    const philox_counter c = make_counter(rng_purpose::noise, 0, static_cast<std::uint32_t>(draw), src.stream, static_cast<std::uint32_t>(draw >> 32));
    for (std::size_t x = 0; x < len; ++x) c0[x] = static_cast<std::uint32_t>(b + x), c1[x] = c.v[1], c2[x] = c.v[2], c3[x] = c.v[3];
    philox4x32_10_lanes(c0, c1, c2, c3, static_cast<int>(len), key);
    alignas(64) double z[block_size];
    standard_normal_lanes(c0, c1, static_cast<int>(len), z);
    for (std::size_t x = 0; x < len; ++x) out[x] = static_cast<float>(src.mean + src.std * z[x]);
}

/// generic_block for a population whose inputs are the ring's slot, Poisson sources and noise only (no courses,
/// traces or explicit events): the same numbers, computed a phase at a time over the block so that every phase
/// vectorises: the slot read and cleared; each Poisson source's Philox blocks (four steps each, drawn lane by
/// lane for the whole block when any of its neurons lacks the current one; a draw is a pure function, so
/// drawing it for a neuron the source does not reach changes nothing) and its counts (each threshold compared
/// with every neuron's word, up to the largest word); the current with each noise source's draws
/// (noise_lanes); the conversions to float; the neuron update.
void lean_block(cpu_population& pop, std::size_t b, std::size_t len, const window_input& in, int k, std::int64_t s, int slots,
                const poisson_lanes& lanes, std::uint8_t* __restrict flags) {
    alignas(64) std::int64_t ex[block_size], inh[block_size];
    const std::size_t n = pop.setup.n;
    if (pop.ring.size()) {
        std::int64_t* mine = pop.ring.data() + (static_cast<std::size_t>(s % slots) * n + b) * static_cast<std::size_t>(pop.receptors);
        if (pop.receptors == 2) {
            for (std::size_t x = 0; x < len; ++x) ex[x] = mine[2 * x], inh[x] = mine[2 * x + 1];
        } else {
            for (std::size_t x = 0; x < len; ++x) ex[x] = mine[x], inh[x] = 0;
        }
        std::memset(mine, 0, len * static_cast<std::size_t>(pop.receptors) * sizeof(std::int64_t));
    } else {
        std::fill(ex, ex + len, std::int64_t{0});
        std::fill(inh, inh + len, std::int64_t{0});
    }
    const input_program& prog = pop.program;
    for (int j = 0; j < prog.poissons; ++j) {
        const poisson_source& src = prog.poisson[j];
        if (s < src.start || s >= src.stop) continue;
        const auto q = static_cast<std::uint64_t>(s) >> 2;
        std::uint32_t* __restrict w0 = lanes.words + static_cast<std::size_t>(j) * 4 * lanes.stride;
        std::uint32_t* __restrict w1 = w0 + lanes.stride;
        std::uint32_t* __restrict w2 = w1 + lanes.stride;
        std::uint32_t* __restrict w3 = w2 + lanes.stride;
        std::uint64_t* __restrict tag = lanes.tag + static_cast<std::size_t>(j) * lanes.stride;
        bool stale = false;
        for (std::size_t x = 0; x < len; ++x) stale |= tag[x] != q;
        if (stale) {  // poisson_block's counters, then philox4x32_10 lane by lane
            const philox_counter c = make_counter(rng_purpose::poisson, 0, static_cast<std::uint32_t>(q), src.stream, static_cast<std::uint32_t>(q >> 32));
            for (std::size_t x = 0; x < len; ++x)
                w0[x] = static_cast<std::uint32_t>(b + x), w1[x] = c.v[1], w2[x] = c.v[2], w3[x] = c.v[3], tag[x] = q;
            philox4x32_10_lanes(w0, w1, w2, w3, static_cast<int>(len), prog.key);
        }
        const std::uint32_t* __restrict u = w0 + static_cast<std::size_t>(s & 3) * lanes.stride;
        alignas(64) std::uint32_t count[block_size];
        std::uint32_t top = 0;
        for (std::size_t x = 0; x < len; ++x) count[x] = 0, top = std::max(top, u[x]);
        for (int t = 0; t < src.size && src.cdf[t] <= top; ++t) {
            const std::uint32_t threshold = src.cdf[t];
            for (std::size_t x = 0; x < len; ++x) count[x] += u[x] >= threshold ? 1u : 0u;
        }
        std::int64_t* __restrict acc = src.inhibitory ? inh : ex;
        if (src.mask) {
            const std::uint8_t* __restrict mask = src.mask + b;
            for (std::size_t x = 0; x < len; ++x) acc[x] += mask[x] ? static_cast<std::int64_t>(count[x]) * src.weight : 0;
        } else {
            for (std::size_t x = 0; x < len; ++x) acc[x] += static_cast<std::int64_t>(count[x]) * src.weight;
        }
    }
    // the current, in add_varying_current's order: I_uniform (+ I_neuron), then each noise source's draw
    alignas(64) float I[block_size];
    if (in.I_neuron) {
        const float* __restrict I_neuron = in.I_neuron + b;
        for (std::size_t x = 0; x < len; ++x) I[x] = in.I_uniform[k] + I_neuron[x];
    } else {
        std::fill(I, I + len, in.I_uniform[k]);
    }
    for (int j = 0; j < prog.noises; ++j) {
        const noise_source& src = prog.noise[j];
        if (s < src.start || s >= src.stop) continue;
        alignas(64) float drawn[block_size];
        noise_lanes(src, prog.key, b, len, s, drawn);
        if (src.mask) {
            const std::uint8_t* __restrict mask = src.mask + b;
            for (std::size_t x = 0; x < len; ++x) I[x] = mask[x] ? I[x] + drawn[x] : I[x];
        } else {
            for (std::size_t x = 0; x < len; ++x) I[x] = I[x] + drawn[x];
        }
    }
    float* __restrict V = pop.V.data() + b;
    std::int32_t* __restrict r = pop.r.data() + b;
    alignas(64) float fe[block_size], fi[block_size];
    if (pop.setup.model == neuron_model::iaf_psc_exp) {
        fixed_to_float_lanes(ex, len, fe);
        fixed_to_float_lanes(inh, len, fi);
        float* __restrict I_ex = pop.I_ex.data() + b;
        float* __restrict I_in = pop.I_in.data() + b;
        const iaf_psc_exp_coeffs c = pop.setup.exp;
        const auto step = [&](std::size_t x, float I) {
            float v = V[x], ie = I_ex[x], ii = I_in[x];
            std::int32_t ri = r[x];
            flags[x] = iaf_psc_exp_step(v, ie, ii, ri, I, fe[x], fi[x], c);
            V[x] = v, I_ex[x] = ie, I_in[x] = ii, r[x] = ri;
        };
        for (std::size_t x = 0; x < len; ++x) step(x, I[x]);
    } else {
        for (std::size_t x = 0; x < len; ++x) ex[x] += inh[x];
        fixed_to_float_lanes(ex, len, fe);
        const iaf_psc_delta_coeffs c = pop.setup.delta;
        const auto step = [&](std::size_t x, float I) {
            float v = V[x];
            std::int32_t ri = r[x];
            flags[x] = iaf_psc_delta_step(v, ri, I, fe[x], c);
            V[x] = v, r[x] = ri;
        };
        for (std::size_t x = 0; x < len; ++x) step(x, I[x]);
    }
}

/// Appends first + i for every set flag, eight flags per test.
void append_spikes(const std::uint8_t* flags, std::size_t len, std::uint32_t first, std::vector<std::uint32_t>& out) {
    std::size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, flags + i, 8);
        if (word == 0) continue;
        for (std::size_t j = 0; j < 8; ++j)
            if (flags[i + j]) out.push_back(first + static_cast<std::uint32_t>(i + j));
    }
    for (; i < len; ++i)
        if (flags[i]) out.push_back(first + static_cast<std::uint32_t>(i));
}

class cpu_backend final : public backend {
public:
    cpu_backend(const model& m, int threads)
        : threads_(threads > 0 ? threads : default_threads()), schedule_(m), synapses_(build_grouped(m)) {
        const auto setup = make_setup(m);
        const bool lean_allowed = env_switch("SYNFIRE_CPU_LEAN") != 0;
        max_window_ = window_limit(setup, window_cap);
        slots_ = ring_slots(synapses_);
        if (!synapses_.empty()) max_window_ = std::min(max_window_, synapses_.min_delay);  // spikes land after the window
        for (std::size_t p = 0; p < setup.size(); ++p) {
            cpu_population pop;
            pop.setup = setup[p];
            const std::size_t n = setup[p].n;
            pop.V = aligned_buffer<float>(n);
            pop.r = aligned_buffer<std::int32_t>(n);
            if (setup[p].model == neuron_model::iaf_psc_exp) {
                pop.I_ex = aligned_buffer<float>(n);
                pop.I_in = aligned_buffer<float>(n);
            }
            initial_potentials(m, p, 0, n, pop.V.data());
            pop.program = schedule_.inputs(p).program(m, [](const auto& v) { return v.data(); });
            pop.recorder = state_recorder_of(m, p);
            if (synapses_.receives[p]) {
                pop.receptors = setup[p].model == neuron_model::iaf_psc_exp ? 2 : 1;
                pop.ring = aligned_buffer<std::int64_t>(static_cast<std::size_t>(slots_) * n * static_cast<std::size_t>(pop.receptors));
            }
            const input_program& prog = pop.program;
            pop.lean = lean_allowed && cpu_lean_inputs(prog, pop.ring.size() > 0);
            if (prog.poissons && max_window_ < cpu_kept_poisson_below) {
                if (pop.lean) {
                    const auto sources = static_cast<std::size_t>(prog.poissons);
                    pop.lean_words = aligned_buffer<std::uint32_t>(sources * 4 * n);
                    pop.lean_tags = aligned_buffer<std::uint64_t>(sources * n);
                    std::fill(pop.lean_tags.begin(), pop.lean_tags.end(), ~std::uint64_t{0});
                } else {
                    pop.poisson_caches.resize(n);
                    for (auto& c : pop.poisson_caches) c.reset();
                }
            }
            pops_.push_back(std::move(pop));
        }
        per_thread_.assign(pops_.size(), std::vector<thread_spikes>(static_cast<std::size_t>(threads_)));
    }

    std::string name() const override { return "cpu"; }
    std::string device() const override {
        return fmt::format("CPU, {} OpenMP thread{}", threads_, threads_ == 1 ? "" : "s");
    }
    int max_window() const override { return max_window_; }

    void launch(std::int64_t first_step, int steps, const std::vector<window_input>& in) override {
        if (steps < 1 || steps > max_window_)
            throw internal_error(fmt::format("cpu backend: window of {} steps (limit {})", steps, max_window_));
        if (pending_) throw internal_error("cpu backend: launch before the previous window was collected");
        result_.resize(pops_.size());
        const auto t0 = std::chrono::steady_clock::now();
        auto t1 = t0;
        for (std::size_t p = 0; p < pops_.size(); ++p) prepare_window(pops_[p], p, first_step, steps, result_[p]);
        // one parallel region for the whole window (a network's windows are often a single step: a region per
        // population and one for the delivery cost more than the step): every population's slices, then the
        // spikes merged in order by one thread, then the delivery
#pragma omp parallel num_threads(threads_)
        {
            const auto [t, team] = this_thread_in_team();
            for (std::size_t p = 0; p < pops_.size(); ++p) update_slice(pops_[p], p, t, team, first_step, steps, in[p], result_[p]);
#pragma omp barrier
#pragma omp single
            {
                t1 = std::chrono::steady_clock::now();
                for (std::size_t p = 0; p < pops_.size(); ++p) merge_window(p, first_step, steps, result_[p]);
                if (!synapses_.empty()) gather_spikes(result_);
            }
            if (!synapses_.empty()) deliver(t, team);
        }
        update_s_ += std::chrono::duration<double>(t1 - t0).count();
        delivery_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        pending_ = true;
    }

    void collect(std::vector<window_output>& out) override {
        if (!pending_) throw internal_error("cpu backend: collect without a launched window");
        std::swap(out, result_);
        pending_ = false;
    }

    std::vector<std::pair<std::string, double>> phase_times() const override {
        if (synapses_.empty()) return {{"update", update_s_}};
        return {{"update", update_s_}, {"delivery", delivery_s_}, {"construction", synapses_.build_seconds}};
    }
    std::uint64_t delivered_events() const override { return events_; }

    population_state state(std::size_t p) const override {
        const cpu_population& pop = pops_.at(p);
        population_state s;
        s.V.assign(pop.V.begin(), pop.V.end());
        s.I_ex.assign(pop.I_ex.begin(), pop.I_ex.end());
        s.I_in.assign(pop.I_in.begin(), pop.I_in.end());
        s.r.assign(pop.r.begin(), pop.r.end());
        return s;
    }

private:
    struct thread_spikes {
        std::vector<std::vector<std::uint32_t>> by_step;
    };

    /// The model's synapse table with each source's synapses regrouped by the thread that delivers them (the one
    /// whose range of global target ids holds the target, as deliver() divides them), each group in the table's
    /// order, and where each group starts: segments_[g * (threads_ + 1) + t], relative to the row. Delivery then
    /// walks one contiguous range per spike and thread instead of searching every delay group of every row
    /// (integer sums: the order of the adds does not matter). Done by the build as each row is sorted, while the
    /// row is in the sorting thread's cache.
    synapse_table build_grouped(const model& m) {
        if (m.projections.empty()) return build_synapses(m, threads_);
        const std::vector<std::uint64_t> base = population_bases(m);
        const std::uint64_t neurons = base.back();
        const auto T = static_cast<std::uint64_t>(threads_);
        segments_.assign(neurons * (T + 1), 0);
        std::vector<std::uint64_t> bounds(T + 1);  // thread t delivers to the targets in [bounds[t], bounds[t + 1])
        for (std::uint64_t t = 0; t <= T; ++t) bounds[t] = neurons * t / T;
        struct scratch {
            std::vector<synapse> row;
            std::vector<std::uint32_t> owner;
            std::vector<std::uint32_t> start;
        };
        std::vector<scratch> per_thread(static_cast<std::size_t>(threads_));
        synapse_table table = build_synapses(m, threads_, [&](std::size_t me, std::uint64_t g, synapse* row, synapse* end) {
            scratch& mine = per_thread.at(me);
            const auto len = static_cast<std::size_t>(end - row);
            std::uint32_t* seg = segments_.data() + g * (T + 1);
            if (T == 1 || len == 0) {
                seg[T] = static_cast<std::uint32_t>(len);
                return;
            }
            // each synapse's thread: the bounds at or below its global target, counted without a branch or a division
            mine.owner.resize(len);
            for (std::size_t e = 0; e < len; ++e) {
                const std::uint64_t x = base[row[e].population] + row[e].target;
                std::uint32_t t = 0;
                for (std::uint64_t u = 1; u < T; ++u) t += bounds[u] <= x;
                mine.owner[e] = t;
            }
            mine.row.assign(row, end);
            if (T == 2) {  // a stable partition: the second thread's count summed, both cursors in registers
                std::uint32_t second = 0;
                for (std::size_t e = 0; e < len; ++e) second += mine.owner[e];
                seg[1] = static_cast<std::uint32_t>(len) - second, seg[2] = static_cast<std::uint32_t>(len);
                std::uint32_t at[2] = {0, seg[1]};
                for (std::size_t e = 0; e < len; ++e) {
                    const std::uint32_t o = mine.owner[e];
                    row[o ? at[1] : at[0]] = mine.row[e];
                    at[1] += o, at[0] += 1u - o;
                }
                return;
            }
            mine.start.assign(T + 1, 0u);
            for (std::size_t e = 0; e < len; ++e) ++mine.start[mine.owner[e] + 1u];
            for (std::uint64_t t = 0; t < T; ++t) mine.start[t + 1] += mine.start[t];
            std::copy(mine.start.begin(), mine.start.end(), seg);
            for (std::size_t e = 0; e < len; ++e) row[mine.start[mine.owner[e]]++] = mine.row[e];
        });
        return table;
    }

    /// The window's spikes of every population, as (step, global source), for the delivery (one thread).
    void gather_spikes(const std::vector<window_output>& windows) {
        spikes_.clear();
        for (std::size_t p = 0; p < windows.size(); ++p) {
            const window_output& w = windows[p];
            for (std::size_t k = 0; k < w.steps(); ++k)
                for (std::uint32_t j = w.offsets[k]; j < w.offsets[k + 1]; ++j)
                    spikes_.push_back({w.first_step + static_cast<std::int64_t>(k), synapses_.base[p] + w.ids[j]});
        }
        for (const spike& sp : spikes_) events_ += synapses_.offsets[sp.source + 1] - synapses_.offsets[sp.source];
    }

    /// Adds every gathered spike's synaptic input to the target rings, slot (step + delay) mod slots: thread t
    /// of a team walks, for every spike, the groups of synapses (group_rows_by_thread) whose targets it owns,
    /// t, t + team, ...; no two threads write one slot, so no atomics, and the sums are the same for any
    /// thread count.
    void deliver(std::size_t me, std::size_t team) {
        const synapse* syn = synapses_.synapses.data();
        const auto T = static_cast<std::size_t>(threads_);
        const auto slots = static_cast<std::size_t>(slots_);
        struct target_ring {
            std::int64_t* ring;
            std::size_t n, receptors;
        };
        std::vector<target_ring> rings;
        for (cpu_population& p : pops_) rings.push_back({p.ring.data(), p.setup.n, static_cast<std::size_t>(p.receptors)});
        const auto address = [&](const synapse& x, std::size_t step_slot) {
            std::size_t slot = step_slot + x.delay;
            if (slot >= slots) slot -= slots;  // delay < slots
            const target_ring& r = rings[x.population];
            return r.ring + (slot * r.n + x.target) * r.receptors + x.receptor;
        };
        for (std::size_t t = me; t < T; t += team)
            for (const spike& sp : spikes_) {
                const std::uint32_t* seg = segments_.data() + sp.source * (T + 1);
                const synapse* row = syn + synapses_.offsets[sp.source];
                const auto step_slot = static_cast<std::size_t>(sp.step % slots_);
                const synapse* end = row + seg[t + 1];
                for (const synapse* x = row + seg[t]; x != end; ++x) {
                    if (prefetch_distance > 0 && end - x > prefetch_distance) __builtin_prefetch(address(x[prefetch_distance], step_slot), 1);
                    *address(*x, step_slot) += x->weight;
                }
            }
    }

    /// Copies the state of the recorded neurons in [b, b + len) into frame f.
    static void sample(const cpu_population& pop, std::size_t b, std::size_t len, std::size_t f, std::size_t vars, std::vector<float>& frames) {
        const auto& ids = pop.recorder->ids;
        const std::size_t n_rec = ids.size();
        auto it = std::lower_bound(ids.begin(), ids.end(), static_cast<std::uint32_t>(b));
        for (; it != ids.end() && *it < b + len; ++it) {
            const std::size_t j = static_cast<std::size_t>(it - ids.begin());
            float* frame = frames.data() + f * vars * n_rec + j;
            const unsigned v = pop.recorder->variables;
            if (v & V_m) *frame = pop.V[*it], frame += n_rec;
            if (v & I_syn_ex) *frame = pop.I_ex[*it], frame += n_rec;
            if (v & I_syn_in) *frame = pop.I_in[*it];
        }
    }

    /// Before the window's parallel region: the population's per-thread spike lists emptied, its frames laid out.
    void prepare_window(cpu_population& pop, std::size_t p, std::int64_t first_step, int steps, window_output& out) {
        for (auto& t : per_thread_[p]) {
            t.by_step.resize(static_cast<std::size_t>(steps));
            for (auto& v : t.by_step) v.clear();
        }
        // state samples: frame_of[k] is the frame taken after window step k, or -1
        pop.frame_of.assign(static_cast<std::size_t>(steps), -1);
        out.frame_steps.clear();
        const state_recorder* rec = pop.recorder;
        const std::size_t vars = rec ? static_cast<std::size_t>(gathered_variables(*rec)) : 0;
        const std::size_t n_rec = rec ? rec->ids.size() : 0;
        if (rec)
            for (int k = 0; k < steps; ++k)
                if (rec->samples(first_step + k)) {
                    pop.frame_of[static_cast<std::size_t>(k)] = static_cast<int>(out.frame_steps.size());
                    out.frame_steps.push_back(first_step + k);
                }
        out.frames.resize(out.frame_steps.size() * vars * n_rec);
    }

    /// Thread t's slice of population p for the window: whole grains of neurons, the slices of the first
    /// min(team, grains) threads covering the population in order.
    void update_slice(cpu_population& pop, std::size_t p, std::size_t t, std::size_t team, std::int64_t first_step, int steps,
                      const window_input& in, window_output& out) {
        const std::size_t n = pop.setup.n;
        const std::size_t grains = (n + thread_grain - 1) / thread_grain;
        const std::size_t nt = std::min(team, std::max<std::size_t>(grains, 1));
        if (t >= nt) return;
        const std::size_t begin = std::min(n, grains * t / nt * thread_grain);
        const std::size_t end = std::min(n, grains * (t + 1) / nt * thread_grain);
        if (begin >= end) return;
        const std::size_t vars = pop.recorder ? static_cast<std::size_t>(gathered_variables(*pop.recorder)) : 0;
        thread_spikes& mine = per_thread_[p][t];
        alignas(64) std::uint8_t flags[block_size];
        std::uint32_t cursor[block_size];
        const bool generic = !pop.program.empty() || pop.ring.size();
        const bool kept = !pop.poisson_caches.empty() || pop.lean_tags.size();  // Philox blocks kept across windows
        std::vector<poisson_cache> caches(pop.program.poissons && !kept && !pop.lean ? block_size : 0);
        const auto sources = static_cast<std::size_t>(pop.program.poissons);
        std::vector<std::uint32_t> lean_words(pop.lean && !kept ? sources * 4 * block_size : 0);
        std::vector<std::uint64_t> lean_tags(pop.lean && !kept ? sources * block_size : 0);
        for (std::size_t b = begin; b < end; b += block_size) {
            const std::size_t len = std::min(block_size, end - b);
            const float* I_neuron = in.I_neuron ? in.I_neuron + b : nullptr;
            if (pop.program.events.offsets)
                for (std::size_t j = 0; j < len; ++j) cursor[j] = first_event(pop.program.events, static_cast<std::uint32_t>(b + j), first_step);
            poisson_cache* cache = pop.poisson_caches.empty() ? caches.data() : pop.poisson_caches.data() + b;
            if (!caches.empty())
                for (std::size_t j = 0; j < len; ++j) caches[j].reset();
            poisson_lanes lanes{};
            if (!lean_tags.empty()) {  // this window's own blocks
                std::fill(lean_tags.begin(), lean_tags.end(), ~std::uint64_t{0});
                lanes = {lean_words.data(), lean_tags.data(), block_size};
            } else if (pop.lean_tags.size()) {
                lanes = {pop.lean_words.data() + b, pop.lean_tags.data() + b, n};
            }
            for (int k = 0; k < steps; ++k) {
                if (pop.lean)
                    lean_block(pop, b, len, in, k, first_step + k, slots_, lanes, flags);
                else if (generic)
                    generic_block(pop, b, len, in, steps, k, first_step + k, slots_, cursor, cache, flags);
                else if (pop.setup.model == neuron_model::iaf_psc_exp)
                    exp_block(pop.V.data() + b, pop.I_ex.data() + b, pop.I_in.data() + b, pop.r.data() + b, I_neuron, in.I_uniform[k], flags, len,
                              pop.setup.exp);
                else
                    delta_block(pop.V.data() + b, pop.r.data() + b, I_neuron, in.I_uniform[k], flags, len, pop.setup.delta);
                append_spikes(flags, len, static_cast<std::uint32_t>(b), mine.by_step[static_cast<std::size_t>(k)]);
                if (const int f = pop.frame_of[static_cast<std::size_t>(k)]; f >= 0) sample(pop, b, len, static_cast<std::size_t>(f), vars, out.frames);
            }
        }
    }

    /// After the slices: population p's spikes in (step, id) order (the slices are ascending ranges).
    void merge_window(std::size_t p, std::int64_t first_step, int steps, window_output& out) {
        out.first_step = first_step;
        out.offsets.assign(static_cast<std::size_t>(steps) + 1, 0);
        out.ids.clear();
        for (std::size_t k = 0; k < static_cast<std::size_t>(steps); ++k) {
            for (const auto& t : per_thread_[p]) out.ids.insert(out.ids.end(), t.by_step[k].begin(), t.by_step[k].end());
            out.offsets[k + 1] = static_cast<std::uint32_t>(out.ids.size());
        }
    }

    int threads_;
    stimulus_schedule schedule_;  ///< owns the host memory the input programs point into
    std::vector<std::uint32_t> segments_;  ///< [source][thread + 1] where each thread's synapses start in the row (before synapses_: build_grouped fills it)
    synapse_table synapses_;
    int slots_ = 0;               ///< ring-buffer slots
    double update_s_ = 0, delivery_s_ = 0;
    std::uint64_t events_ = 0;
    int max_window_ = 1;
    std::vector<cpu_population> pops_;
    std::vector<std::vector<thread_spikes>> per_thread_;  ///< [population][thread]
    struct spike {
        std::int64_t step;
        std::uint64_t source;  ///< global id
    };
    std::vector<spike> spikes_;  ///< the window's spikes, gathered for the delivery
    std::vector<window_output> result_;
    bool pending_ = false;
};

}  // namespace

bool cpu_lean_inputs(const input_program& prog, bool ring) {
    if (prog.courses != 0 || prog.trace.data || prog.events.offsets) return false;
    // every Poisson table non-decreasing, so that a count (the thresholds a word reaches, random.hpp) is also the
    // number of thresholds at or below the word, the form lean_block sums without branches
    for (int j = 0; j < prog.poissons; ++j)
        for (int t = 1; t < prog.poisson[j].size; ++t)
            if (prog.poisson[j].cdf[t] < prog.poisson[j].cdf[t - 1]) return false;
    return prog.poissons > 0 || prog.noises > 0 || ring;
}

std::unique_ptr<backend> make_cpu_backend(const model& m, int threads) {
    check_cpu_memory(m);  // before the synapses are counted and drawn (a model beyond the machine fails at once)
    return std::make_unique<cpu_backend>(m, threads);
}

}  // namespace synfire
