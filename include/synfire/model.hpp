#pragma once
// The validated model: everything in steps and NEST units, ready for a backend.
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace synfire {

enum class neuron_model { iaf_psc_exp, iaf_psc_delta };

const char* to_string(neuron_model m);

/// Neuron parameters with NEST's names, units and defaults.
struct neuron_params {
    double E_L = -70.0;        ///< resting potential [mV]
    double C_m = 250.0;        ///< membrane capacitance [pF]
    double tau_m = 10.0;       ///< membrane time constant [ms]
    double t_ref = 2.0;        ///< refractory period [ms]
    double V_th = -55.0;       ///< spike threshold [mV]
    double V_reset = -70.0;    ///< reset potential [mV]
    double I_e = 0.0;          ///< constant input current [pA]
    double tau_syn_ex = 2.0;   ///< excitatory synaptic time constant [ms] (iaf_psc_exp)
    double tau_syn_in = 2.0;   ///< inhibitory synaptic time constant [ms] (iaf_psc_exp)
    double V_min = -std::numeric_limits<double>::infinity();  ///< lower bound of V [mV] (iaf_psc_delta)
};

/// Initial membrane potential: a constant or a distribution, absolute [mV].
struct initial_value {
    enum class kind { constant, uniform, normal };
    kind type = kind::constant;
    double a = 0.0;  ///< constant value, uniform low or normal mean
    double b = 0.0;  ///< uniform high or normal standard deviation
};

struct population {
    std::string name;
    neuron_model model = neuron_model::iaf_psc_exp;
    std::uint64_t n = 0;
    neuron_params params;
    initial_value V_init;
};

/// Sentinel for "until the end of the run".
inline constexpr std::int64_t end_of_run = std::numeric_limits<std::int64_t>::max();

/// An input to a population: a current, or synaptic input events. It acts during steps s with
/// start <= s < stop: a current as if I_e were raised at time start and lowered at time stop (NEST's
/// generators without their delay); inputs arriving in step s act like a spike at time (s+1)·dt.
struct stimulus {
    enum class kind { dc, step_current, ramp, ac, noise, poisson, spike_times, file };
    /// How a stimulus enters the neurons (see stimuli.hpp for the order in which the parts add up).
    enum class role {
        uniform,              ///< the same current for every neuron of the population, folded into I_uniform
        constant_per_neuron,  ///< a current constant in time that differs between neurons (ramp, dc with ids)
        masked_course,        ///< one time course for the neurons in ids (step_current, ac, 1-column file with ids)
        trace,                ///< one time course per neuron (file with a column per neuron)
        noise,                ///< Gaussian current drawn per neuron
        poisson,              ///< Poisson input events drawn per neuron and step
        events                ///< explicit input events (spike_times)
    };

    kind type = kind::dc;
    std::size_t target = 0;              ///< population index
    std::int64_t start = 0;              ///< first step [steps]
    std::int64_t stop = end_of_run;      ///< first step without it [steps]
    std::vector<std::uint32_t> ids;      ///< the neurons it reaches (population-local, sorted, unique); empty: all

    double amplitude = 0.0;              ///< dc, ac [pA]
    std::vector<std::int64_t> times;     ///< step_current: step at which each amplitude begins
    std::vector<double> amplitudes;      ///< step_current [pA]
    double from = 0.0, to = 0.0;         ///< ramp: the j-th of m reached neurons gets from + (to - from)·j/(m - 1) [pA]
    double offset = 0.0;                 ///< ac [pA]
    double frequency = 0.0;              ///< ac [Hz]
    double phase = 0.0;                  ///< ac [degrees]
    double mean = 0.0, std = 0.0;        ///< noise [pA]
    std::int64_t noise_interval = 1;     ///< noise: steps per draw (dt_noise/dt)
    double rate = 0.0;                   ///< poisson: rate of each source [Hz]
    std::uint64_t n_inputs = 1;          ///< poisson: independent sources per neuron
    double weight = 0.0;                 ///< poisson, spike_times [pA for iaf_psc_exp, mV for iaf_psc_delta]
    bool inhibitory = false;             ///< poisson, spike_times: the inhibitory receptor (iaf_psc_exp)
    std::vector<std::vector<std::int64_t>> arrivals;  ///< spike_times: steps in which inputs arrive, per reached neuron or one list for all
    std::vector<float> trace;            ///< file: samples x columns [pA], row-major
    std::size_t trace_columns = 1;       ///< file: 1 (one course) or one per reached neuron
    std::string trace_path;              ///< file: the HDF5 file read, as resolved (relative to the model file)
    std::int64_t trace_interval = 1;     ///< file: steps per sample
    double dt = 0.1;                     ///< the model's resolution, for ac [ms]

    role role_of() const;
    bool active(std::int64_t s) const { return s >= start && s < stop; }
    /// Current of a stimulus with one time course (dc, step_current, ac, 1-column file) during step s [pA];
    /// 0 outside [start, stop).
    double course(std::int64_t s) const;
    /// Ramp current of the j-th of m reached neurons [pA].
    double ramp_current(std::uint64_t j, std::uint64_t m) const;
    /// Number of neurons it reaches in a population of n.
    std::uint64_t reach(std::uint64_t n) const { return ids.empty() ? n : ids.size(); }
    /// Population-local id of the j-th reached neuron.
    std::uint32_t neuron(std::uint64_t j) const { return ids.empty() ? static_cast<std::uint32_t>(j) : ids[j]; }
};

/// Records the spikes of one population with spike times in (start, stop]·dt, i.e. of steps
/// start <= s < stop (a spike of step s has time (s+1)·dt), NEST's spike_recorder window.
struct spike_recorder {
    std::size_t population = 0;
    std::vector<std::uint64_t> ids;      ///< population-local ids, sorted, unique; empty: all
    std::int64_t start = 0;
    std::int64_t stop = end_of_run;
};

/// Variables a state recorder can sample (NEST's recordables).
enum state_variable : unsigned { V_m = 1, I_syn_ex = 2, I_syn_in = 4 };

/// Samples the state of chosen neurons at the times t that are multiples of `interval` with start < t <= stop
/// (NEST's multimeter): the state after the step ending at t. Written as a SONATA frame report.
struct state_recorder {
    std::size_t population = 0;
    std::vector<std::uint32_t> ids;      ///< sorted, unique; every neuron when the model leaves ids out
    unsigned variables = V_m;            ///< bits of state_variable
    std::int64_t interval = 10;          ///< steps between samples
    std::int64_t start = 0;
    std::int64_t stop = end_of_run;

    /// Whether the state after step s is sampled.
    bool samples(std::int64_t s) const { return (s + 1) % interval == 0 && s + 1 > start && s + 1 <= stop; }
};

/// Population rate histogram: spikes of ids (all when empty) with times in (start + j·bin, start + (j+1)·bin],
/// divided by neurons x bin, for bins j within (start, stop].
struct rate_recorder {
    std::size_t population = 0;
    std::vector<std::uint32_t> ids;      ///< sorted, unique; empty: all neurons
    std::int64_t bin = 10;               ///< steps per bin
    std::int64_t start = 0;
    std::int64_t stop = end_of_run;
};

/// Synaptic inputs sum in int64 fixed point of 2^-32 pA (mV): a weight must stay below this in magnitude (a
/// step's sum below 2^31), a delay at most max_delay_steps steps (16-bit field, one bit for the flag).
inline constexpr double max_abs_weight = 1e9;
inline constexpr std::int64_t max_delay_steps = 32767;
/// A normal_clipped value is redrawn at most this many times (two normal draws per attempt; NEST's redraw
/// stops at 1000), so at least clipped_min_mass of the distribution must lie inside its bounds: then a value
/// finds no draw inside with a probability below 1e-12.
inline constexpr int clipped_attempts = 256;
inline constexpr double clipped_min_mass = 0.0525;

/// A synapse parameter, constant or drawn per synapse (NEST's parameter objects).
struct synapse_parameter {
    enum class kind { constant, uniform, normal, normal_clipped, lognormal };
    kind type = kind::constant;
    double value = 0.0;  ///< constant
    double a = 0.0;      ///< uniform: low; normal, normal_clipped, lognormal: mean (of the log for lognormal)
    double b = 0.0;      ///< uniform: high; normal, normal_clipped, lognormal: std
    double low = -std::numeric_limits<double>::infinity();  ///< normal_clipped: redrawn below
    double high = std::numeric_limits<double>::infinity();  ///< normal_clipped: redrawn above
    /// The value's mean, for defaults that depend on the sign of a weight.
    double mean() const;
    /// normal_clipped: the share of the normal's mass within [low, high] (1 for the other kinds).
    double clipped_mass() const;
    /// The share of draws that make_synapse flags as out of range: as a weight (dt <= 0), |w| >= max_abs_weight;
    /// as a delay with step dt, more than max_delay_steps steps once rounded; and for normal_clipped the values
    /// that find no draw inside the bounds.
    double flagged_share(double dt = 0.0) const;
};

/// One synapse of an explicit connection list (population-local ids).
struct explicit_synapse {
    std::uint32_t source = 0, target = 0;
    double weight = 0.0;        ///< [pA] or [mV]
    std::int64_t delay = 1;     ///< [steps]
};

/// Synapses from one population to another, NEST's Connect with a rule and a synapse specification.
struct projection {
    enum class rule { all_to_all, one_to_one, pairwise_bernoulli, fixed_indegree, fixed_outdegree, fixed_total_number, explicit_list };
    std::size_t source = 0, target = 0;    ///< population indices
    rule connection = rule::all_to_all;
    double p = 0.0;                        ///< pairwise_bernoulli: connection probability
    std::uint64_t count = 0;               ///< fixed_indegree / fixed_outdegree: k; fixed_total_number: n
    bool allow_autapses = true;            ///< NEST's defaults
    bool allow_multapses = true;
    bool inhibitory = false;               ///< receptor of iaf_psc_exp targets
    /// iaf_psc_exp target without a `receptor` key: each synapse's receptor by its own weight's sign, as NEST
    /// routes each spike (a negative weight to the inhibitory input); `inhibitory` is then unused
    bool receptor_by_sign = false;
    synapse_parameter weight;              ///< [pA] (iaf_psc_exp) or [mV] (iaf_psc_delta)
    synapse_parameter delay;               ///< [ms]; drawn delays are rounded to whole steps
    std::vector<explicit_synapse> synapses;  ///< explicit_list
    std::string file;                      ///< explicit_list: the file read, as resolved (relative to the model file)
};

/// The synapses a projection is expected to make between populations of n_src and n_tgt neurons (explicit:
/// its lines).
double expected_synapses(const projection& pr, std::uint64_t n_src, std::uint64_t n_tgt);

struct model {
    std::string name;                    ///< model file stem, e.g. "fi_curve"
    std::string source;                  ///< where it came from: a path or "built-in:..."
    std::string text;                    ///< the model file as run (overrides applied), TOML
    double dt = 0.1;                     ///< resolution [ms]
    std::int64_t steps = 0;              ///< duration/dt
    std::uint64_t seed = 1;
    std::vector<population> populations;
    std::vector<stimulus> stimuli;
    std::vector<spike_recorder> spike_recorders;
    std::vector<state_recorder> state_recorders;
    std::vector<rate_recorder> rate_recorders;
    std::vector<projection> projections;

    double duration_ms() const { return static_cast<double>(steps) * dt; }
    /// The files the model read besides its own (connection lists, traces), each with the key that names
    /// it: ("projections[2].file", "net/conn.csv"), ...
    std::vector<std::pair<std::string, std::string>> input_files() const;
    /// Time of a spike emitted in step s, (s+1)·dt [ms]; computed as (s+1)/(1/dt) when 1/dt is a whole
    /// number so that grid times print as written (0.3, not 0.30000000000000004).
    double spike_time_ms(std::int64_t s) const;
    /// spike_time_ms of steps[0, n) into out, bit for bit (the choice of formula made once).
    void spike_times_ms(const std::int64_t* steps, std::size_t n, double* out) const;
};

}  // namespace synfire
