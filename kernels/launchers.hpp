#pragma once
// Host launchers of the CUDA kernels. Each checks its launch; none synchronises (except in debug builds).
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "gpu_state.hpp"
#include "synfire/cuda.hpp"
#include "synfire/inputs.hpp"
#include "synfire/lif.hpp"
#include "synfire/network.hpp"

namespace synfire::cuda {

/// The current I_e + population-wide stimuli of each step of a window [pA], passed by value to the kernel.
struct step_currents {
    float I[gpu_limits::max_window];
};

/// What one update launch needs besides the state.
struct update_window {
    int steps = 1;                        ///< steps of the window, <= gpu_limits::max_window
    int ring_slots = 0;                   ///< slots of the input ring; the slot of step s is s mod ring_slots
    std::int64_t first_step = 0;          ///< step of the window's first step
    step_currents I{};                    ///< I_e + uniform stimuli per step
    const float* I_neuron = nullptr;      ///< device [n] constant per-neuron current, or null
    const input_program* program = nullptr;  ///< varying inputs with device pointers; null or empty: none
    const float* courses = nullptr;       ///< host [max_courses][steps] values of the program's masked courses
    // state sampling (state recorder); frames[f][variable][j] is taken after the f-th step set in sample_mask
    const std::uint32_t* recorded_bits = nullptr;  ///< device [ceil(n/32)] 1 for recorded neurons, or null
    const std::uint32_t* recorded_ids = nullptr;   ///< device [recorded], sorted
    std::uint32_t recorded = 0;
    float* frames = nullptr;                       ///< device [frames][variables][recorded]
    std::uint64_t sample_mask = 0;                 ///< bit k: sample after step k of the window
    unsigned sampled_variables = 0;                ///< bits of state_variable, written in the order V, I_ex, I_in
};

/// Advances n iaf_psc_exp neurons by w.steps steps (one thread per neuron, state in registers across the
/// steps). ring (nullable): synaptic input [w.ring_slots][n]; each step reads and clears its slot.
/// Spikes of step k go to bitmap[k·words + i/32] bit i%32, words = ceil(n/32).
void update_iaf_psc_exp(exp_state* state, exp_input* ring, std::uint32_t* bitmap, std::uint32_t n, const update_window& w,
                        const iaf_psc_exp_coeffs& c, cudaStream_t s);

/// The same for iaf_psc_delta; ring: summed jumps [mV·2^32].
void update_iaf_psc_delta(delta_state* state, std::int64_t* ring, std::uint32_t* bitmap, std::uint32_t n, const update_window& w,
                          const iaf_psc_delta_coeffs& c, cudaStream_t s);

/// Step mode (networks whose shortest delay is shorter than a window): one launch per step updates every
/// population and appends the global ids of spiking neurons of sending populations to a list, then one
/// launch delivers that list. A population's part of such a launch:
struct population_step {
    neuron_model model = neuron_model::iaf_psc_exp;
    std::uint32_t n = 0;
    void* state = nullptr;           ///< exp_state or delta_state [n]
    void* ring = nullptr;            ///< exp_input or int64 [ring slots][n], or null
    std::uint32_t* bitmap = nullptr; ///< the window's bitmap [steps][words]
    iaf_psc_exp_coeffs exp{};
    iaf_psc_delta_coeffs delta{};
    bool sends = false;
    std::uint32_t source_base = 0;
};

/// Threads per block of the update kernels, and neurons per block of a step launch (and, unless told
/// otherwise, of the persistent window kernel's update blocks).
inline constexpr unsigned update_block_threads = 256;

/// Bytes of one population's device-side arguments, and its blocks in a step launch.
std::size_t step_args_bytes();
unsigned step_blocks(std::uint32_t n);
/// Step-kernel blocks resident at once on one multiprocessor (occupancy; 0 if it cannot be queried).
unsigned step_blocks_per_multiprocessor();
/// Writes population p's arguments for window w to out (step_args_bytes() bytes, host memory).
void make_step_args(const population_step& p, const update_window& w, void* out);
/// A spike in a step's list: its neuron's synapses [begin, end) in the table.
struct alignas(16) spike_range {
    std::uint64_t begin, end;
};

/// A population's input ring, as the delivery kernels see it (defined below).
struct ring_view;

/// Deferred delivery: one launch (or, in the persistent window kernel, one grid barrier) per step instead of
/// an update and a delivery. A synapse of delay d steps from a spike of step s is read by step s + d; so the
/// synapses of delay one step are delivered at once by the spiking neuron's own block (shared memory, no
/// grid-wide list), and the rest join the step's list, delivered by the next step's launch (whole grid)
/// while it updates: they land in slots s + 2 and later, which that step does not read. The lists alternate
/// between two buffers; the window's last list is delivered by a delivery launch after it (deliver_step).
/// What a step launch needs for it besides update_step's arguments:
struct deferred_delivery {
    const std::uint64_t* splits = nullptr;          ///< [neurons] each source's first synapse of delay >= 2 steps (find_delay_splits)
    const spike_range* previous = nullptr;          ///< the step before's list, or null at a window's first step
    const std::uint32_t* previous_count = nullptr;  ///< its count
    const synapse* synapses = nullptr;
    const ring_view* rings = nullptr;
    int ring_count = 0;
    int slots = 0;
    bool warp_workers = false;  ///< as deliver_step's
};

/// Step k of the window for every population: args = device copy of the populations' arguments,
/// first_blocks = device [pops + 1] prefix of step_blocks(n) and host_first_blocks the same in host memory
/// (passed as a kernel parameter up to step_param_populations), blocks = first_blocks[pops]; the spikes of
/// sending populations are appended to list as their synapse ranges (offsets: the table's, by global id) and
/// counted in *count. programmatic: launched as a programmatic dependent launch (sm 90+), overlapping the
/// kernel before it (programmatic.cuh). deferred (nullable): deferred delivery, the list then holds each
/// spike's synapses of delay >= 2 steps.
inline constexpr int step_param_populations = 32;
void update_step(const void* args, const std::uint32_t* first_blocks, const std::uint32_t* host_first_blocks, int pops, unsigned blocks, int k,
                 spike_range* list, std::uint32_t* count, const std::uint64_t* offsets, cudaStream_t s, bool programmatic = false,
                 const deferred_delivery* deferred = nullptr);

/// Diagnostic builds (SYNFIRE_PHASE_CLOCKS): prints the persistent window kernel's cycles per step and phase
/// (phase_clocks.cuh) to stderr, if it ran; does nothing in other builds.
void report_phase_clocks();

/// A cooperative launch of the persistent window kernel: its blocks (0: none possible) and, of those, the
/// blocks that only deliver each step's list (deferred delivery; 0: every block delivers its share).
struct window_launch {
    unsigned grid = 0;
    unsigned deliverers = 0;
};

/// How the persistent window kernel runs (update_window_persistent): the modes measured against each other in
/// bench/NOTES.md, each but the defaults chosen by a SYNFIRE_CUDA_* switch (README).
struct persistent_options {
    bool warp_workers = false;  ///< the lists delivered by warps (small fan-outs) instead of blocks
    /// deferred: the last `deliverers` blocks of the grid deliver each step's list alone (window_grid gave them:
    /// grid = virtual_blocks + deliverers); 0: every block its share
    unsigned deliverers = 0;
    /// deferred, block workers, no delivering blocks: each step's list read at the top of the next step with
    /// early_parts parts per spike (step_delivery.cuh, early_list); 0: not
    std::uint32_t early_parts = 0;
    /// deferred, no delivering blocks, splits at three steps' delay: each step's list delivered while the grid
    /// gathers at the next step's barrier, from three buffers, list + (k % 3) * list_capacity
    bool lists_at_barrier = false;
    /// with lists_at_barrier: each step's claim counter (zero [steps]); the list in claim_parts parts per spike that
    /// the blocks claim as they arrive (step_delivery.cuh, deliver_claimed); null: static shares
    std::uint32_t* claims = nullptr;
    std::uint32_t claim_parts = 0;
    /// deferred, the list in the step (always with lists_at_barrier): each step's inputs computed at its top while
    /// its ring slot loads, not after the arrival at the barrier before it
    bool inputs_at_top = false;
    bool ring_prefetch = false;  ///< each thread prefetches its next step's ring slot into L2 when it reads this step's
    unsigned barrier_sleep = gpu_limits::barrier_sleep_ns;  ///< ns between polls of the grid barrier
    bool relaxed_poll = false;  ///< the barrier polled with relaxed loads and one acquire (grid_barrier.cuh, grid_wait)
    bool shared_poisson = false;  ///< the populations' Poisson inversion tables staged in shared memory
    /// each thread's Poisson cache in shared memory (deferred; the list in the step without inputs_at_top, or at
    /// the barrier)
    bool shared_caches = false;
    /// neurons of each update block, a multiple of 32 up to update_block_threads (first_blocks and virtual_blocks
    /// counted with it; the block's other threads only deliver)
    unsigned block_neurons = update_block_threads;
};

/// The persistent window kernel's launch on this device for a step of update_blocks step-kernel blocks: all of
/// them, and at least two per multiprocessor where that many are resident; none where cooperative launches are
/// unsupported or the update's blocks are not all resident at once. Deferred delivery: one delivering block per
/// multiprocessor beside the update's blocks where that many places are free (deliverers < 0), or `deliverers`
/// of the free places (0: none; for comparisons). The options' shared memory (shared_poisson, shared_caches)
/// is counted.
window_launch window_grid(int multiprocessors, unsigned update_blocks, bool deferred = false, int deliverers = -1,
                          const persistent_options& options = {});
/// A whole step-mode window in one cooperative launch of `grid` blocks: each step every population, a grid
/// barrier, the step's delivery, a grid barrier; with splits (deferred delivery) each step every population
/// and the delivery of its own synapses of one step's delay and of the step before's list, then one grid
/// barrier; step k's list at list + (k & 1) * list_capacity, or as the options say. counts[0, steps) must be
/// zero; barrier is a device word (zeroed here). Arguments as update_step and deliver_step.
void update_window_persistent(const void* args, const std::uint32_t* first_blocks, int pops, unsigned virtual_blocks, int steps,
                              spike_range* list, std::size_t list_capacity, std::uint32_t* counts, const std::int64_t* first_step,
                              const std::uint64_t* offsets, const std::uint64_t* splits, const synapse* synapses, const ring_view* rings,
                              int ring_count, int slots, unsigned* barrier, unsigned grid, cudaStream_t s, const persistent_options& options = {});

/// Synapse loads of every delivery kernel as streaming loads (evict first from L1 and L2) or, the default,
/// read-only loads (step_delivery.cuh, load_synapse). Process-wide; set before the kernels run.
void set_streaming_synapse_loads(bool on);

/// Deferred delivery's split of the table: splits[g] = the first synapse of source g (< sources) with a delay
/// of `from` steps or more (2; 3 where the lists are delivered at the next barrier), offsets[g + 1] if none
/// (rows are sorted by delay).
void find_delay_splits(const std::uint64_t* offsets, const synapse* synapses, std::uint64_t sources, std::uint64_t* splits, cudaStream_t s,
                       int from = 2);

/// A population's input ring, as the delivery kernel sees it.
struct ring_view {
    void* data;             ///< exp_input [slots][n] (2 receptors) or int64 [slots][n] (1)
    std::uint32_t n;
    std::uint32_t receptors;
};
/// One ring view per population; model files allow at most 255 populations (synapse::population is 8 bits).
inline constexpr int max_ring_views = 256;

/// Delivers the spikes of one population's window (its bitmap) through the synapse table: every synapse of a
/// spiking neuron adds its weight to ring slot (step + delay) mod slots of its target, with int64 atomics. One
/// warp per spiking neuron walks its synapses.
void deliver_spikes(const std::uint32_t* bitmap, std::size_t words, int steps, std::int64_t first_step, std::uint64_t source_base,
                    const std::uint64_t* offsets, const synapse* synapses, const ring_view* rings, int slots, cudaStream_t s);

/// Delivers one step's spike list (synapse ranges, *count of them, in any order): every synapse adds its
/// weight to ring slot (step + delay) mod slots of its target. `blocks` blocks share the list: with few
/// spikes each spike's synapses are split between blocks, with many each block walks whole spikes.
/// The step is *first_step + k, read on the device, so a captured window replays for any first step.
/// Step-mode delivery uses warp workers below this mean fan-out (synapses per sending neuron) and block
/// workers from it on: a block walking a spike of 100 synapses would leave 60% of its threads idle.
inline constexpr double warp_worker_fan_out = 128.0;

/// rings: ring_count views (staged in shared memory by each block). programmatic: as update_step's.
/// warp_workers: a warp per spike (or part of one) instead of a block, for small fan-outs (warp_worker_fan_out).
void deliver_step(const spike_range* list, const std::uint32_t* count, const std::int64_t* first_step, int k, const synapse* synapses,
                  const ring_view* rings, int ring_count, int slots, unsigned blocks, cudaStream_t s, bool programmatic = false,
                  bool warp_workers = false);

/// Ordered compaction of a window's spike bitmap (steps x words) into ids sorted by (step, id).
/// Step 1 counts the spikes of each chunk of gpu_limits::chunk_words words and scans the counts:
/// chunk_offsets[chunks] is then the window's total. Step 2 (once the host knows the total fits) writes
/// ids[] and step_offsets[0..steps].
std::size_t compaction_chunks(std::size_t words, int steps);
std::size_t compaction_scan_bytes(std::size_t chunks);
void count_spikes(const std::uint32_t* bitmap, std::size_t words, int steps, std::uint32_t* chunk_counts,
                  std::uint32_t* chunk_offsets, void* scan_storage, std::size_t scan_bytes, cudaStream_t s);
void write_spikes(const std::uint32_t* bitmap, std::size_t words, int steps, const std::uint32_t* chunk_offsets,
                  std::uint32_t* ids, std::uint32_t* step_offsets, cudaStream_t s);

}  // namespace synfire::cuda
