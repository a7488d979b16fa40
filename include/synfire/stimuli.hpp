#pragma once
// Turns the model's stimuli into what a backend consumes: per-population static inputs (masks, Poisson
// tables, events, traces; inputs.hpp) and per-window currents.
#include <cstdint>
#include <vector>

#include "synfire/inputs.hpp"
#include "synfire/model.hpp"

namespace synfire {

/// Largest mean Poisson count per neuron and step (rate·n_inputs·dt) the inversion table covers.
inline constexpr double max_poisson_mean = 150.0;

/// Thresholds for poisson_count(): cdf[k] = min(floor(P(X <= k)·2^32), 2^32 - 1), up to the first k with
/// P(X > k) < 2^-34. Requires lambda <= max_poisson_mean.
std::vector<std::uint32_t> poisson_thresholds(double lambda);

/// Host-side inputs of one population that do not change during a run.
struct population_inputs {
    std::vector<std::size_t> uniform;      ///< stimuli folded into I_uniform, in model order
    std::vector<std::size_t> constant;     ///< constant per-neuron currents (ramp, dc with ids)
    std::vector<std::size_t> courses;      ///< masked time courses
    std::vector<std::vector<std::uint8_t>> course_masks;
    std::int64_t trace = -1;               ///< the stimulus with a trace per neuron, or -1
    std::vector<std::int32_t> trace_column;
    std::vector<std::size_t> noises;
    std::vector<std::vector<std::uint8_t>> noise_masks;     ///< empty: every neuron
    std::vector<std::size_t> poissons;
    std::vector<std::vector<std::uint8_t>> poisson_masks;   ///< empty: every neuron
    std::vector<std::vector<std::uint32_t>> poisson_cdf;
    std::vector<std::uint32_t> event_offsets;               ///< empty: no explicit events
    std::vector<std::int64_t> event_steps, event_ex, event_in;

    /// The program with pointers given by ptr(vector): vector.data() for the CPU, device copies for the GPU.
    template <class Ptr>
    input_program program(const model& m, Ptr&& ptr) const;
};

class stimulus_schedule {
public:
    explicit stimulus_schedule(const model& m);

    const population_inputs& inputs(std::size_t p) const { return inputs_[p]; }

    /// First step after s at which some population's constant per-neuron current changes, or end_of_run.
    std::int64_t next_change(std::int64_t s) const;

    /// out[k] = float(I_e + the uniform stimuli of population p during step s + k), summed in double in model
    /// order and rounded once [pA].
    void uniform(std::size_t p, std::int64_t s, int steps, float* out) const;

    /// Constant per-neuron current of population p during step s: float(sum of the active ramps and dc with
    /// ids) [pA]; false (out untouched) when none is active.
    bool per_neuron(std::size_t p, std::int64_t s, std::vector<float>& out) const;

    /// out[c·stride + k] = float(course c of population p during step s + k) [pA].
    void courses(std::size_t p, std::int64_t s, int steps, int stride, float* out) const;

    /// Whether population p has constant per-neuron currents at all.
    bool has_per_neuron(std::size_t p) const { return !inputs_[p].constant.empty(); }

private:
    const model& m_;
    std::vector<population_inputs> inputs_;
    std::vector<std::int64_t> changes_;  ///< sorted steps where a constant per-neuron current starts or stops
};

template <class Ptr>
input_program population_inputs::program(const model& m, Ptr&& ptr) const {
    input_program p{};
    p.key = make_key(m.seed);
    p.courses = static_cast<int>(courses.size());
    for (int c = 0; c < p.courses; ++c) p.course_mask[c] = ptr(course_masks[static_cast<std::size_t>(c)]);
    if (trace >= 0) {
        const stimulus& s = m.stimuli[static_cast<std::size_t>(trace)];
        p.trace = {ptr(s.trace), ptr(trace_column), static_cast<std::uint32_t>(s.trace_columns),
                   static_cast<std::int64_t>(s.trace.size() / s.trace_columns), s.trace_interval, s.start, s.stop};
    }
    p.noises = static_cast<int>(noises.size());
    for (std::size_t j = 0; j < noises.size(); ++j) {
        const stimulus& s = m.stimuli[noises[j]];
        p.noise[j] = {noise_masks[j].empty() ? nullptr : ptr(noise_masks[j]), s.mean, s.std, s.noise_interval, s.start, s.stop,
                      static_cast<std::uint32_t>(noises[j])};
    }
    p.poissons = static_cast<int>(poissons.size());
    for (std::size_t j = 0; j < poissons.size(); ++j) {
        const stimulus& s = m.stimuli[poissons[j]];
        p.poisson[j] = {poisson_masks[j].empty() ? nullptr : ptr(poisson_masks[j]), ptr(poisson_cdf[j]),
                        static_cast<int>(poisson_cdf[j].size()), to_fixed(s.weight), s.inhibitory ? 1 : 0, s.start, s.stop,
                        static_cast<std::uint32_t>(poissons[j])};
    }
    if (!event_offsets.empty()) p.events = {ptr(event_offsets), ptr(event_steps), ptr(event_ex), ptr(event_in)};
    return p;
}

}  // namespace synfire
