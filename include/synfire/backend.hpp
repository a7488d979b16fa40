#pragma once
// The backend seam: what the orchestrator asks of a CPU or GPU engine.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "synfire/lif.hpp"
#include "synfire/model.hpp"

namespace synfire {

/// Backend-independent constants of one population, computed once on the host.
struct population_setup {
    neuron_model model = neuron_model::iaf_psc_exp;
    std::uint32_t n = 0;
    iaf_psc_exp_coeffs exp{};      ///< valid for iaf_psc_exp
    iaf_psc_delta_coeffs delta{};  ///< valid for iaf_psc_delta
    std::int32_t ref_steps = 0;
};

std::vector<population_setup> make_setup(const model& m);

/// Initial membrane potentials [mV rel. E_L] of neurons [begin, end) of population p, as float.
/// A pure function of (seed, population name, neuron id): identical on every backend and partitioning.
void initial_potentials(const model& m, std::size_t p, std::uint64_t begin, std::uint64_t end, float* out);

/// What one population did over a window of steps. Spikes sorted by (step, id), stored by step: the spikes
/// of step first_step + k are ids[offsets[k] .. offsets[k+1]). State samples of the population's state
/// recorder, if it has one, after each step the recorder samples.
struct window_output {
    std::int64_t first_step = 0;
    std::vector<std::uint32_t> offsets;     ///< steps + 1 entries
    std::vector<std::uint32_t> ids;         ///< population-local neuron ids
    std::vector<std::int64_t> frame_steps;  ///< the steps after which the state was sampled
    std::vector<float> frames;              ///< [frame][variable][recorded neuron]; the recorder's variables (gathered_variables())

    std::size_t steps() const { return offsets.empty() ? 0 : offsets.size() - 1; }
    std::size_t count() const { return ids.size(); }
};

/// Variables a backend samples for a state recorder: those it asks for, in the order V [mV rel. E_L],
/// I_ex, I_in [pA].
int gathered_variables(const state_recorder& r);

/// Frames of one state recorder a window may hold: as many as fit in 64 MiB, at most gpu_limits::max_window.
int max_frames(const state_recorder& r);

/// Longest window the model's state recorders allow, so that no window samples more than max_frames.
int recording_window_limit(const model& m);

/// The state recorder of population p, or null.
const state_recorder* state_recorder_of(const model& m, std::size_t p);

/// External input of one population during a window; the rest (masks, noise, Poisson, events, traces)
/// does not change during a run and is the backend's own copy of stimulus_schedule::inputs().
struct window_input {
    const float* I_uniform = nullptr;  ///< [steps] I_e plus population-wide stimuli for each step [pA]
    const float* I_neuron = nullptr;   ///< [n] constant per-neuron current, constant over the window, or null [pA]
    bool I_neuron_changed = false;     ///< I_neuron differs from the previous window's
    const float* courses = nullptr;    ///< [max_courses][steps] masked time courses, course c at courses[c·steps + k] [pA]
};

/// Neuron state of one population (potentials relative to E_L).
struct population_state {
    std::vector<float> V;              ///< [mV rel. E_L]
    std::vector<float> I_ex, I_in;     ///< [pA]; empty for iaf_psc_delta
    std::vector<std::int32_t> r;       ///< refractory steps left
};

class backend {
public:
    virtual ~backend() = default;
    /// "cpu" or "cuda".
    virtual std::string name() const = 0;
    /// What it runs on, for the output's root attributes (e.g. "2 OpenMP threads").
    virtual std::string device() const = 0;
    /// Largest window launch() accepts; bounds the spike buffers.
    virtual int max_window() const = 0;
    /// Windows that may be launched before the oldest is collected (1: launch computes synchronously).
    virtual int max_in_flight() const { return 1; }
    /// Starts advancing every population by `steps` steps from first_step (the step after the last launched
    /// window); in[p] is read before launch returns.
    virtual void launch(std::int64_t first_step, int steps, const std::vector<window_input>& in) = 0;
    /// Waits for the oldest launched window; out[p] receives population p's spikes.
    virtual void collect(std::vector<window_output>& out) = 0;
    /// launch() then collect().
    void advance(std::int64_t first_step, int steps, const std::vector<window_input>& in, std::vector<window_output>& out) {
        launch(first_step, steps, in);
        collect(out);
    }
    /// Seconds spent so far in each phase of a step ("update", "delivery", ...), as the backend measures them.
    virtual std::vector<std::pair<std::string, double>> phase_times() const { return {}; }
    /// Synaptic events delivered so far (spikes x their synapses).
    virtual std::uint64_t delivered_events() const { return 0; }
    /// Copies population p's state out, after every launched window.
    virtual population_state state(std::size_t p) const = 0;
};

/// Spike-buffer entries a backend may hold for one window and population.
inline constexpr std::uint64_t max_window_spikes = std::uint64_t{1} << 24;

/// Largest window whose worst-case spike count stays within max_window_spikes for every population.
int window_limit(const std::vector<population_setup>& pops, int cap);

/// The CPU backend keeps each neuron's Philox blocks of Poisson counts (a poisson_cache each) from window to
/// window where its windows are shorter than this many steps (a block serves four steps).
inline constexpr int cpu_kept_poisson_below = 4;

/// A 0/1 switch of the environment (for comparisons of the backends' paths): -1 unset, 0 or 1; any other value
/// throws user_error naming the variable and the value.
int env_switch(const char* name);

struct input_program;

/// Whether the CPU backend steps a population with these inputs (and a ring of synaptic input or none) on its
/// phased path: inputs beyond I_uniform and I_neuron are Poisson sources, noise and the ring only.
bool cpu_lean_inputs(const input_program& prog, bool ring);

/// The CPU reference backend; threads <= 0: OpenMP's default. SYNFIRE_CPU_LEAN=0 (env_switch) sends every
/// population with synaptic, Poisson or noise input through the scalar per-neuron step instead of the phased one.
std::unique_ptr<backend> make_cpu_backend(const model& m, int threads);

}  // namespace synfire
