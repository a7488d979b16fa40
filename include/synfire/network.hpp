#pragma once
// Synapses: built once on the host from the model's projections, the same on every backend and for any
// thread count (every draw is a Philox function of seed, projection, neuron and index).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "synfire/model.hpp"

namespace synfire {

/// One synapse of the delivery table (16 bytes).
struct synapse {
    std::uint32_t target = 0;      ///< population-local id of the target neuron
    std::uint16_t delay = 1;       ///< [steps], >= 1
    std::uint8_t population = 0;   ///< the target's population
    std::uint8_t receptor = 0;     ///< 0: excitatory (iaf_psc_delta: the only input), 1: inhibitory
    std::int64_t weight = 0;       ///< fixed point (fixed_point.hpp) [pA or mV]
};
static_assert(sizeof(synapse) == 16);

/// Every synapse of a model, CSR by global source neuron (population base + local id); each source's synapses
/// sorted by (delay, target population, target, receptor, weight), so each source's list is grouped by delay.
struct synapse_table {
    std::vector<std::uint64_t> base;     ///< [populations + 1] first global id of each population
    std::vector<std::uint64_t> offsets;  ///< [neurons + 1]; empty without projections
    std::vector<synapse> synapses;
    int min_delay = 0;                   ///< [steps]; 0 without synapses
    int max_delay = 0;                   ///< [steps]
    std::vector<bool> receives;          ///< per population: whether any synapse targets it
    double build_seconds = 0.0;          ///< wall time spent building the table [s]

    std::uint64_t size() const { return synapses.size(); }
    bool empty() const { return synapses.empty(); }
};

/// Sorts one source's synapses into the table's order, (connect::order_key, weight) ascending, reusing its
/// scratch between rows: a radix sort over the key bytes that differ within the row, then multapses by weight.
class synapse_row_sorter {
public:
    void sort(synapse* first, synapse* last);

private:
    std::vector<std::uint64_t> keys_, other_keys_;
    std::vector<synapse> other_;
};

/// Called once for every source's row right after the row is sorted, by the thread that sorted it (while the
/// row is in its cache), with that thread's place in the building team: a backend's own reordering of the
/// rows without another pass over the table. Rows go to threads dynamically; calls run concurrently.
using synapse_row_hook = std::function<void(std::size_t thread, std::uint64_t source, synapse* first, synapse* last)>;

/// Builds the synapses of the model's projections with `threads` OpenMP threads (<= 0: OpenMP's default),
/// calling `after_sort` (when given) for every row once it is in the table's order.
/// Throws user_error (flagged_synapses_message) when a drawn weight or delay does not fit its range.
synapse_table build_synapses(const model& m, int threads = 0, const synapse_row_hook& after_sort = {});

/// What a model's projections will make, before drawing them (memory plans): the expected synapse count
/// plus six standard deviations for random rules, and the delay range in steps.
struct synapse_estimate {
    std::uint64_t synapses = 0;
    int min_delay = 0, max_delay = 0;
};
synapse_estimate estimate_synapses(const model& m);

/// What a synapse build says when it drew a weight or delay out of range (make_synapse's flag): the
/// projections whose distributions reach beyond the range, most expected synapses first.
std::string flagged_synapses_message(const model& m);

/// Global neuron ids: population p owns [base[p], base[p + 1]).
std::vector<std::uint64_t> population_bases(const model& m);

/// Ring-buffer slots a backend needs for the table: max_delay + min_delay (windows are at most min_delay long,
/// so a window's spikes never land in a slot that is still being read).
int ring_slots(const synapse_table& t);

}  // namespace synfire
