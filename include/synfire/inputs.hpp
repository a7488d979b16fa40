#pragma once
// The per-neuron inputs that vary beyond "I_e plus a population-wide current": what a neuron receives in
// step s, evaluated by the same functions in the CPU loop and in the CUDA kernels. The structs hold raw
// pointers: host memory for the CPU backend, device memory for the CUDA backend.
//
// A neuron's current in step s is summed in float in this order:
//   I_uniform[k] (+ I_neuron[i]) (+ each masked course that reaches it) (+ its trace sample) (+ each noise draw)
// where I_uniform and I_neuron are rounded once from double sums (stimuli.hpp); its synaptic input is the
// fixed-point sum of its Poisson counts x weight and explicit events, converted to float once.
#include <cstdint>

#include "synfire/fixed_point.hpp"
#include "synfire/host_device.hpp"
#include "synfire/philox.hpp"
#include "synfire/random.hpp"

namespace synfire {

inline constexpr int max_courses = 4;   ///< masked time courses per population
inline constexpr int max_noise = 4;     ///< noise stimuli per population
inline constexpr int max_poisson = 4;   ///< poisson stimuli per population

/// Gaussian current, drawn independently per neuron every `interval` steps (NEST's noise_generator).
struct noise_source {
    const std::uint8_t* mask;   ///< [n] 1 for the neurons it reaches; null: every neuron
    double mean, std;           ///< [pA]
    std::int64_t interval;      ///< steps per draw; draws are aligned to step 0
    std::int64_t start, stop;   ///< active steps
    std::uint32_t stream;       ///< the stimulus' index in the model
};

/// Poisson input events: each neuron and step a count ~ Poisson(rate·n_inputs·dt), times a weight.
struct poisson_source {
    const std::uint8_t* mask;   ///< [n] 1 for the neurons it reaches; null: every neuron
    const std::uint32_t* cdf;   ///< inversion thresholds (random.hpp)
    int size;
    std::int64_t weight;        ///< per event, fixed point
    int inhibitory;             ///< 1: the inhibitory receptor (iaf_psc_exp)
    std::int64_t start, stop;
    std::uint32_t stream;
};

/// Explicit input events, by neuron (CSR), each neuron's in step order.
struct event_source {
    const std::uint32_t* offsets;  ///< [n + 1]; null: no events
    const std::int64_t* steps;     ///< step in which each event arrives
    const std::int64_t* ex;        ///< fixed point, excitatory receptor (iaf_psc_delta: the jump)
    const std::int64_t* in;        ///< fixed point, inhibitory receptor
};

/// Current traces, one column per neuron; sample r holds for steps start + r·interval .. + interval - 1.
struct trace_source {
    const float* data;            ///< [samples][columns] [pA]; null: none
    const std::int32_t* column;   ///< [n] each neuron's column, -1: none
    std::uint32_t columns;
    std::int64_t samples, interval, start, stop;
};

struct input_program {
    philox_key key;
    int courses;
    const std::uint8_t* course_mask[max_courses];  ///< [n] each; the values come per window
    trace_source trace;
    int noises;
    noise_source noise[max_noise];
    int poissons;
    poisson_source poisson[max_poisson];
    event_source events;

    /// Whether neurons receive anything beyond I_uniform and I_neuron.
    SYNFIRE_HD bool empty() const { return courses == 0 && !trace.data && noises == 0 && poissons == 0 && !events.offsets; }
};

/// One noise draw of neuron i for step s [pA].
SYNFIRE_HD float noise_current(const noise_source& src, const philox_key& key, std::uint32_t i, std::int64_t s) {
    const std::uint64_t draw = static_cast<std::uint64_t>(s / src.interval);
    const philox_counter w = philox4x32_10(
        make_counter(rng_purpose::noise, i, static_cast<std::uint32_t>(draw), src.stream, static_cast<std::uint32_t>(draw >> 32)), key);
    return static_cast<float>(src.mean + src.std * standard_normal(w.v[0], w.v[1]));
}

/// The Philox block of neuron i for steps 4q .. 4q + 3 of a Poisson source.
SYNFIRE_HD philox_counter poisson_block(const poisson_source& src, const philox_key& key, std::uint32_t i, std::uint64_t q) {
    return philox4x32_10(make_counter(rng_purpose::poisson, i, static_cast<std::uint32_t>(q), src.stream, static_cast<std::uint32_t>(q >> 32)), key);
}

/// Poisson count of neuron i in step s.
SYNFIRE_HD int poisson_events(const poisson_source& src, const philox_key& key, std::uint32_t i, std::int64_t s) {
    const philox_counter w = poisson_block(src, key, i, static_cast<std::uint64_t>(s) >> 2);  // one block serves four steps
    return poisson_count(w.v[s & 3], src.cdf, src.size);
}

/// A neuron's last Philox block of each Poisson source, so that consecutive steps draw it once per four.
struct poisson_cache {
    std::uint64_t block[max_poisson];
    philox_counter words[max_poisson];
    SYNFIRE_HD void reset() {
        for (int j = 0; j < max_poisson; ++j) block[j] = ~std::uint64_t{0};
    }
};

/// I plus the varying parts of neuron i's current in step s, the k-th of its window; course_values[c·stride + k]
/// is masked course c's current in that step.
SYNFIRE_HD float add_varying_current(float I, const input_program& p, const float* course_values, int stride, int k,
                                     std::uint32_t i, std::int64_t s) {
    for (int c = 0; c < p.courses; ++c)
        if (p.course_mask[c][i]) I = I + course_values[c * stride + k];
    const trace_source& t = p.trace;
    if (t.data && s >= t.start && s < t.stop) {
        const std::int32_t col = t.column[i];
        const std::int64_t row = (s - t.start) / t.interval;
        if (col >= 0 && row < t.samples) I = I + t.data[row * t.columns + static_cast<std::uint32_t>(col)];
    }
    for (int j = 0; j < p.noises; ++j) {
        const noise_source& src = p.noise[j];
        if (s >= src.start && s < src.stop && (!src.mask || src.mask[i])) I = I + noise_current(src, p.key, i, s);
    }
    return I;
}

/// Index of neuron i's first explicit event at or after step s.
SYNFIRE_HD std::uint32_t first_event(const event_source& e, std::uint32_t i, std::int64_t s) {
    std::uint32_t lo = e.offsets[i], hi = e.offsets[i + 1];
    while (lo < hi) {
        const std::uint32_t mid = lo + (hi - lo) / 2;
        if (e.steps[mid] < s) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/// Neuron i's synaptic input in step s in fixed point: Poisson counts x weights, then its explicit events
/// (advancing its cursor). cache: the neuron's Poisson blocks (the counts equal poisson_events()).
SYNFIRE_HD void add_input_events(const input_program& p, std::uint32_t i, std::int64_t s, std::uint32_t& cursor, poisson_cache& cache,
                                 std::int64_t& ex, std::int64_t& in) {
    for (int j = 0; j < p.poissons; ++j) {
        const poisson_source& src = p.poisson[j];
        if (s < src.start || s >= src.stop || (src.mask && !src.mask[i])) continue;
        const std::uint64_t q = static_cast<std::uint64_t>(s) >> 2;
        if (cache.block[j] != q) cache.words[j] = poisson_block(src, p.key, i, q), cache.block[j] = q;
        const int count = poisson_count(cache.words[j].v[s & 3], src.cdf, src.size);
        const std::int64_t x = static_cast<std::int64_t>(count) * src.weight;
        if (src.inhibitory) in += x;
        else ex += x;
    }
    if (p.events.offsets) {
        const std::uint32_t end = p.events.offsets[i + 1];
        while (cursor < end && p.events.steps[cursor] == s) {
            ex += p.events.ex[cursor];
            in += p.events.in[cursor];
            ++cursor;
        }
    }
}

}  // namespace synfire
