#pragma once
// Turns the model's stimuli into the per-window currents a backend consumes.
#include <cstdint>
#include <vector>

#include "synfire/model.hpp"

namespace synfire {

class stimulus_schedule {
public:
    explicit stimulus_schedule(const model& m);

    /// First step after s at which some population's per-neuron current changes (a ramp starts or stops),
    /// or end_of_run.
    std::int64_t next_change(std::int64_t s) const;

    /// out[k] = float(I_e + the population-wide stimuli of population p during step s + k), summed in double
    /// in model order and rounded once [pA].
    void uniform(std::size_t p, std::int64_t s, int steps, float* out) const;

    /// Per-neuron current of population p during step s, float(sum of the active ramps) [pA];
    /// false (and out untouched) when none is active.
    bool per_neuron(std::size_t p, std::int64_t s, std::vector<float>& out) const;

    /// Whether population p has any per-neuron stimulus at all.
    bool has_per_neuron(std::size_t p) const;

private:
    const model& m_;
    std::vector<std::int64_t> changes_;  ///< sorted steps where a per-neuron stimulus starts or stops
};

}  // namespace synfire
