// Neuron update kernels: one thread per neuron, the shared per-neuron step of lif.hpp and input functions of
// inputs.hpp, spikes recorded with one warp ballot per step into a bitmap (no atomics; compacted in order
// by spike_compaction.cu).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

#include "cuda_check.hpp"
#include "launchers.hpp"
#include "grid_barrier.cuh"
#include "phase_clocks.cuh"
#include "programmatic.cuh"
#include "step_delivery.cuh"
#include "synfire/fixed_point.hpp"
#include "synfire/inputs.hpp"
#include "synfire/lif.hpp"
#include "synfire/model.hpp"

namespace synfire::cuda {
namespace {

constexpr unsigned block_size = update_block_threads;
constexpr int max_window = gpu_limits::max_window;

/// Kernel arguments shared by both models (passed by value: about 2.5 KB of the 4 KB parameter space).
struct window_args {
    int ring_slots;
    int ring_first;  ///< slot of the window's first step
    const float* I_neuron;
    std::uint32_t* bitmap;
    std::uint32_t n;
    std::uint32_t words;
    int steps;
    bool varying;              ///< the program has inputs beyond I_uniform and I_neuron
    std::int64_t first_step;
    step_currents I;
    input_program program;
    float courses[max_courses][max_window];
    const std::uint32_t* recorded_bits;
    const std::uint32_t* recorded_ids;
    std::uint32_t recorded;
    float* frames;
    std::uint64_t sample_mask;
    unsigned sampled_variables;
    int gathered;  ///< number of sampled variables
};

struct exp_args {
    exp_state* state;
    exp_input* ring;
    iaf_psc_exp_coeffs c;
    window_args w;
};

struct delta_args {
    delta_state* state;
    std::int64_t* ring;
    iaf_psc_delta_coeffs c;
    window_args w;
};

/// Lane 0 of each warp stores the warp's spike bits of step k. Every lane of the warp must call this.
__device__ __forceinline__ void record_spikes(std::uint32_t* bitmap, std::uint32_t words, int k, std::uint32_t i, bool spike) {
    const std::uint32_t bits = __ballot_sync(0xFFFFFFFFu, spike);
    const std::uint32_t word = i >> 5;
    if ((threadIdx.x & 31u) == 0 && word < words) bitmap[static_cast<std::size_t>(k) * words + word] = bits;
}

/// Ring slot of window step k.
__device__ __forceinline__ int ring_slot(const window_args& w, int k) {
    return (w.ring_first + k) % w.ring_slots;
}

/// A sending neuron's synapses in the table: [begin, end), of which [begin, split) have a delay of one step
/// (deferred delivery; split = begin otherwise).
struct neuron_synapses {
    std::uint64_t begin, split, end;
};

/// Where a step-mode launch appends the synapse ranges of its spiking neurons, so that the delivery goes
/// from the list straight to the synapses (order arbitrary: delivery sums are integer, so the order the
/// synapses are walked in does not matter). Deferred delivery (splits set): the list gets each spike's
/// synapses of delay two steps or more, the block's shared `senders` its synapses of delay one step.
struct spike_sink {
    spike_range* list = nullptr;             ///< null: no list
    std::uint32_t* count = nullptr;
    const std::uint64_t* offsets = nullptr;  ///< the synapse table's offsets, by global id
    std::uint32_t base = 0;                  ///< global id of the population's first neuron
    const std::uint64_t* splits = nullptr;   ///< deferred delivery: the first synapse of delay >= 2 steps, by global id
    sender_parts<block_size>* senders = nullptr;  ///< deferred delivery: the block's parts (shared memory)
};

/// The synapses of neuron i (< n) of the sink's population.
__device__ __forceinline__ neuron_synapses synapses_of(const spike_sink& out, std::uint32_t i) {
    const std::uint64_t* o = out.offsets + out.base + i;
    const std::uint64_t begin = __ldg(o);
    return neuron_synapses{begin, out.splits ? __ldg(out.splits + out.base + i) : begin, __ldg(o + 1)};
}

/// Appends the warp's spiking neurons to the sink, one atomic per warp (and one shared-memory atomic per warp
/// for deferred delivery's own parts). Every lane must call this. Prefetched: syn holds the neuron's synapses
/// (read before the step); otherwise they are read here, while the atomic is in flight.
template <bool Prefetched>
__device__ __forceinline__ void append_spikes(const spike_sink& out, std::uint32_t i, bool spike, neuron_synapses syn) {
    const std::uint32_t bits = __ballot_sync(0xFFFFFFFFu, spike);
    if (bits == 0 || !out.list) return;  // uniform across the warp
    if constexpr (!Prefetched) {
        if (spike) syn = synapses_of(out, i);
    }
    const unsigned lane = threadIdx.x & 31u;
    const std::uint32_t below = (1u << lane) - 1u;
    std::uint32_t first = 0;
    if (lane == 0) first = atomicAdd(out.count, static_cast<std::uint32_t>(__popc(bits)));
    if (out.senders) {
        const bool own = spike && syn.split > syn.begin;
        const std::uint32_t mine = __ballot_sync(0xFFFFFFFFu, own);
        if (mine) {
            std::uint32_t at = 0;
            if (lane == 0) at = atomicAdd(&out.senders->count, static_cast<std::uint32_t>(__popc(mine)));
            at = __shfl_sync(0xFFFFFFFFu, at, 0);
            if (own) out.senders->range[at + static_cast<std::uint32_t>(__popc(mine & below))] = spike_range{syn.begin, syn.split};
        }
    }
    first = __shfl_sync(0xFFFFFFFFu, first, 0);
    if (spike) out.list[first + static_cast<std::uint32_t>(__popc(bits & below))] = spike_range{syn.split, syn.end};
}

/// Position of neuron i among the recorded ones, or -1 when it is not recorded.
__device__ __forceinline__ int recorded_index(const window_args& w, std::uint32_t i, bool live) {
    if (!w.recorded_bits || !live || !((w.recorded_bits[i >> 5] >> (i & 31u)) & 1u)) return -1;
    std::uint32_t lo = 0, hi = w.recorded;
    while (lo < hi) {
        const std::uint32_t mid = (lo + hi) / 2;
        if (w.recorded_ids[mid] < i) lo = mid + 1;
        else hi = mid;
    }
    return static_cast<int>(lo);
}

/// Writes the sampled variables of recorded neuron rec after step k, if the window samples there.
__device__ __forceinline__ void sample(const window_args& w, int k, int rec, float V, float I_ex, float I_in) {
    if (!((w.sample_mask >> k) & 1u)) return;
    const int f = __popcll(w.sample_mask & ((std::uint64_t{1} << k) - 1));
    float* frame = w.frames + static_cast<std::size_t>(f) * static_cast<std::size_t>(w.gathered) * w.recorded + rec;
    if (w.sampled_variables & V_m) *frame = V, frame += w.recorded;
    if (w.sampled_variables & I_syn_ex) *frame = I_ex, frame += w.recorded;
    if (w.sampled_variables & I_syn_in) *frame = I_in;
}

/// Current and synaptic input (fixed point, added to ex/in) of live neuron i in the k-th step of the window.
__device__ __forceinline__ float window_current(const window_args& w, float I_neuron, std::uint32_t i, int k, std::uint32_t& cursor,
                                                poisson_cache& cache, std::int64_t& ex, std::int64_t& in) {
    float I = w.I_neuron ? w.I.I[k] + I_neuron : w.I.I[k];
    if (w.varying) {
        const std::int64_t s = w.first_step + k;
        I = add_varying_current(I, w.program, &w.courses[0][0], max_window, k, i, s);
        add_input_events(w.program, i, s, cursor, cache, ex, in);
    }
    return I;
}

/// The two neuron models as the update kernels step them: the state, the input ring's slot type, taking a
/// slot's input (read past L1: in the persistent window kernel other blocks of the launch write it) and one
/// step, and the sampled variables.
struct exp_neuron {
    using state = exp_state;
    using input = exp_input;
    using coeffs = iaf_psc_exp_coeffs;
    static __device__ __forceinline__ void take(input& slot, std::int64_t& ex, std::int64_t& in) {
        const longlong2 v = __ldcg(reinterpret_cast<const longlong2*>(&slot));
        ex += v.x;
        in += v.y;
        slot = exp_input{0, 0};
    }
    /// take in two halves: the load, whose value is used only by the add (other work may run in between)
    using loaded = longlong2;
    static __device__ __forceinline__ loaded load(const input& slot) { return __ldcg(reinterpret_cast<const longlong2*>(&slot)); }
    static __device__ __forceinline__ void add(input& slot, loaded v, std::int64_t& ex, std::int64_t& in) {
        ex += v.x;
        in += v.y;
        slot = exp_input{0, 0};
    }
    static __device__ __forceinline__ bool step(state& s, float I, std::int64_t ex, std::int64_t in, const coeffs& c) {
        return iaf_psc_exp_step(s.V, s.I_ex, s.I_in, s.r, I, fixed_to_float(ex), fixed_to_float(in), c);
    }
    static __device__ __forceinline__ void record(const window_args& w, int k, int rec, const state& s) { sample(w, k, rec, s.V, s.I_ex, s.I_in); }
};

struct delta_neuron {
    using state = delta_state;
    using input = std::int64_t;
    using coeffs = iaf_psc_delta_coeffs;
    static __device__ __forceinline__ void take(input& slot, std::int64_t& ex, std::int64_t&) {
        ex += __ldcg(reinterpret_cast<const long long*>(&slot));
        slot = 0;
    }
    using loaded = long long;
    static __device__ __forceinline__ loaded load(const input& slot) { return __ldcg(reinterpret_cast<const long long*>(&slot)); }
    static __device__ __forceinline__ void add(input& slot, loaded v, std::int64_t& ex, std::int64_t&) {
        ex += v;
        slot = 0;
    }
    static __device__ __forceinline__ bool step(state& s, float I, std::int64_t ex, std::int64_t in, const coeffs& c) {
        return iaf_psc_delta_step(s.V, s.r, I, fixed_to_float(ex + in), c);
    }
    static __device__ __forceinline__ void record(const window_args& w, int k, int rec, const state& s) { sample(w, k, rec, s.V, 0.0f, 0.0f); }
};

/// Neuron i (of w.n; lanes past it take part in the ballots only) of a population through steps [k0, k1) of
/// the window, state in registers.
///
/// Programmatic (a step-mode launch that may overlap the kernel before it): the step's inputs, which read
/// only what is fixed for the window, are computed first; then the wait for the earlier grids, and only then
/// the state, the ring and the spike list. Integer input sums do not depend on the order of their terms.
template <class Neuron, bool Programmatic = false>
__device__ __forceinline__ void neuron_steps(typename Neuron::state* state, typename Neuron::input* ring, const typename Neuron::coeffs& c,
                                             const window_args& w, std::uint32_t i, int k0, int k1, const spike_sink& out) {
    const bool live = i < w.n;
    typename Neuron::state s{};
    if (!Programmatic && live) s = state[i];
    const float I_neuron = w.I_neuron && live ? w.I_neuron[i] : 0.0f;
    std::uint32_t cursor = w.varying && live && w.program.events.offsets ? first_event(w.program.events, i, w.first_step + k0) : 0;
    const int rec = recorded_index(w, i, live);
    poisson_cache cache;
    if (w.varying) cache.reset();
    neuron_synapses syn{0, 0, 0};  // the neuron's synapses (Programmatic: read before the wait)
    for (int k = k0; k < k1; ++k) {
        std::int64_t ex = 0, in = 0;
        float I = 0.0f;
        if constexpr (Programmatic) {
            if (live) I = window_current(w, I_neuron, i, k, cursor, cache, ex, in);
            if (k == k0 && live && out.list) syn = synapses_of(out, i);
            if (k == k0) {
                wait_for_earlier_grids();
                if (live) s = state[i];
            }
        }
        if (ring && live) Neuron::take(ring[static_cast<std::size_t>(ring_slot(w, k)) * w.n + i], ex, in);  // read and cleared
        if constexpr (!Programmatic) I = live ? window_current(w, I_neuron, i, k, cursor, cache, ex, in) : 0.0f;
        const bool spike = Neuron::step(s, I, ex, in, c) && live;
        record_spikes(w.bitmap, w.words, k, i, spike);
        append_spikes<Programmatic>(out, i, spike, syn);
        if (rec >= 0) Neuron::record(w, k, rec, s);
    }
    if (live) state[i] = s;
}

__global__ void __launch_bounds__(block_size) exp_kernel(const exp_args a) {
    neuron_steps<exp_neuron>(a.state, a.ring, a.c, a.w, blockIdx.x * block_size + threadIdx.x, 0, a.w.steps, spike_sink{});
}

__global__ void __launch_bounds__(block_size) delta_kernel(const delta_args a) {
    neuron_steps<delta_neuron>(a.state, a.ring, a.c, a.w, blockIdx.x * block_size + threadIdx.x, 0, a.w.steps, spike_sink{});
}

/// One population's part of a step-mode launch, in device memory.
struct alignas(16) population_args {
    neuron_model model;
    bool sends;                 ///< append its spikes to the step's list
    std::uint32_t source_base;  ///< global id of its first neuron
    void* state;
    void* ring;
    iaf_psc_exp_coeffs exp;
    iaf_psc_delta_coeffs delta;
    window_args w;
};

/// The first block of each population of a step launch, as a kernel parameter (constant bank): a block finds
/// its population without a round trip to device memory.
struct block_starts {
    std::uint32_t first[step_param_populations + 1];
};

/// Index of the population whose blocks include `block`: the last p with first[p] <= block.
template <class Starts>
__device__ __forceinline__ int population_of(const Starts& first, int pops, std::uint32_t block) {
    int lo = 0, hi = pops;
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (first[mid] <= block) lo = mid;
        else hi = mid;
    }
    return lo;
}

static_assert(sizeof(population_args) % 16 == 0 && alignof(population_args) <= 16, "population records are copied in 16-byte words");

/// Copies a population's record (about 2.6 KB) to shared memory, all of it in one round of 16-byte loads.
/// Its fields are then read at shared-memory latency, and the compiler need not reload them after every
/// store to device memory (which it must for a record in device memory: it cannot rule out aliasing).
/// The caller synchronises the block before use.
__device__ __forceinline__ void stage_population(void* staged, const population_args* record) {
    constexpr unsigned words = sizeof(population_args) / 16;
    const auto* from = reinterpret_cast<const uint4*>(record);
    auto* to = static_cast<uint4*>(staged);
    for (unsigned j = threadIdx.x; j < words; j += block_size) to[j] = from[j];
}

/// SYNFIRE_CUDA_SHARED_POISSON=1: the window kernel's dynamic shared memory, the block's population's Poisson
/// inversion tables. In device memory they are read through L1, which every acquire at a grid barrier
/// invalidates (CCTL.IVALL on sm 90), and the count's walk along the table then starts with a trip to L2.
/// SYNFIRE_CUDA_SHARED_CACHES=1 (window_kernel's SharedCaches instances): before them each thread's Poisson
/// cache, which otherwise lives in local memory (indexed by the source), read through L1 every step.
constexpr std::size_t shared_poisson_bytes = max_poisson * poisson_table_size * sizeof(std::uint32_t);
constexpr std::size_t shared_caches_bytes = block_size * sizeof(poisson_cache);
static_assert(shared_caches_bytes % 16 == 0, "the tables follow the caches 16-byte aligned");

/// Copies the staged record's Poisson tables to `tables` (shared memory, max_poisson x poisson_table_size) and
/// points the record at them: the same thresholds, so the same counts. After the record is staged and the block
/// synchronised; the caller synchronises again before use. Not inlined: once per window, and inlined it cost the
/// default kernel (which never calls it) 8 bytes more of spills.
__device__ __noinline__ void stage_poisson_tables(population_args& a, std::uint32_t* tables) {
    input_program& p = a.w.program;
    for (int j = 0; j < p.poissons; ++j)
        for (int e = static_cast<int>(threadIdx.x); e < p.poisson[j].size; e += static_cast<int>(block_size))
            tables[j * poisson_table_size + e] = p.poisson[j].cdf[e];
    __syncthreads();  // every thread has read the old pointers
    if (threadIdx.x == 0)
        for (int j = 0; j < p.poissons; ++j) p.poisson[j].cdf = tables + j * poisson_table_size;
}

/// Shared memory of deferred delivery in a step or window launch: the ring views (staged) and the block's
/// own parts of one step.
struct deferred_shared {
    ring_view rings[max_ring_views];
    sender_parts<block_size> senders;
};
struct no_shared {};

/// Step k of the window for every population at once; each block belongs to one population (starts /
/// first_blocks: the populations' first blocks, first[pops] = grid; starts when pops <= step_param_populations).
/// The block's population record is staged in shared memory.
/// Programmatic: launched to overlap the kernel before it (programmatic.cuh); lets the next kernel launch at
/// once, stages its record and computes the step's inputs (both fixed for the window), then waits for the
/// earlier grids before it touches shared state.
/// Deferred: the step's whole delivery is in this launch (launchers.hpp, deferred_delivery): each block
/// delivers its spiking neurons' synapses of one step's delay, then the grid delivers the list of the step
/// before (synapses of longer delays: into slots this step does not read). Capped at 64 registers (4 blocks
/// per multiprocessor, as the plain programmatic kernel gets by itself; 74 uncapped): room for the next
/// step's early blocks. A minimum of 0 blocks leaves the other kernels exactly as `(block_size)` does.
template <bool Programmatic, bool Deferred>
__global__ void __launch_bounds__(block_size, Deferred ? 4 : 0) step_kernel(const population_args* args, const std::uint32_t* first_blocks, const block_starts starts,
                                                          int pops, int k, spike_range* list, std::uint32_t* count, const std::uint64_t* offsets,
                                                          const deferred_delivery dd) {
    if constexpr (Programmatic) allow_next_grid();
    __shared__ alignas(16) unsigned char staged[sizeof(population_args)];
    __shared__ std::conditional_t<Deferred, deferred_shared, no_shared> shared;
    const int p = pops <= step_param_populations ? population_of(starts.first, pops, blockIdx.x) : population_of(first_blocks, pops, blockIdx.x);
    const std::uint32_t first = pops <= step_param_populations ? starts.first[p] : first_blocks[p];
    stage_population(staged, args + p);
    if constexpr (Deferred) {
        stage_rings(shared.rings, dd.rings, dd.ring_count);
        if (threadIdx.x == 0) shared.senders.count = 0;
    }
    __syncthreads();
    const population_args& a = *reinterpret_cast<const population_args*>(staged);
    const std::uint32_t i = (blockIdx.x - first) * block_size + threadIdx.x;
    spike_sink out{a.sends ? list : nullptr, count, offsets, a.source_base};
    if constexpr (Deferred) {
        out.splits = dd.splits;
        out.senders = &shared.senders;
    }
    if (a.model == neuron_model::iaf_psc_exp)
        neuron_steps<exp_neuron, Programmatic>(static_cast<exp_state*>(a.state), static_cast<exp_input*>(a.ring), a.exp, a.w, i, k, k + 1, out);
    else
        neuron_steps<delta_neuron, Programmatic>(static_cast<delta_state*>(a.state), static_cast<std::int64_t*>(a.ring), a.delta, a.w, i, k, k + 1,
                                                 out);
    if constexpr (Deferred) {
        const std::int64_t step = a.w.first_step + k;
        // the previous step's count, written by the launch before (past L1), loaded before the own parts'
        // delivery so that its round trip overlaps theirs
        const std::uint32_t previous = dd.previous ? __ldcg(dd.previous_count) : 0;
        deliver_sender_parts(shared.senders, static_cast<int>(step % dd.slots), dd.synapses, shared.rings, dd.slots);
        if (dd.previous) deliver_spikes_by<true, block_size>(dd.warp_workers, dd.previous, previous, step - 1, dd.synapses, shared.rings, dd.slots);
    }
}

/// When the persistent kernel with deferred delivery delivers step k's list (synapses of two steps' delay or
/// more, or of three where the lists wait for the barrier): during step k + 1, before its barrier (in_step);
/// the same, its first loads issued at the top of step k + 1 (early: early_list); or while the grid gathers at
/// step k + 1's barrier (at_barrier: the block's own spikes' synapses of one and two steps' delay are delivered
/// by it at once, so the rest, read two steps later or more, need only the barrier after that); or claimed:
/// the same, its parts claimed from a counter by the blocks as they arrive (deliver_claimed), so that the
/// blocks that arrive early do the work.
enum class list_read { in_step, early, at_barrier, claimed };

/// What every block of the persistent window kernel needs for a step's delivery and barriers.
struct window_delivery {
    spike_range* list;     ///< step k's list at list + (k % buffers) * capacity (capacity 0: one list for every step)
    std::size_t capacity;
    std::uint32_t* counts;  ///< [steps]
    std::int64_t first_step;
    const synapse* synapses;
    const ring_view* rings;  ///< staged in shared memory
    int slots;
    unsigned* barrier;
    bool warp_workers;
    unsigned deliverers;  ///< deferred: the last `deliverers` blocks deliver each step's list alone (0: every block its share)
    std::uint32_t early_parts;  ///< deferred, block workers, no deliverers: the list read early (early_list) with this many parts per spike; 0: not
    unsigned barrier_sleep;     ///< grid barrier: ns between polls (grid_wait)
    bool relaxed_poll;          ///< grid barrier: relaxed polls, then one acquire (grid_wait)
    std::uint32_t* claims;      ///< claimed: [steps] each step's list's claim counter, zero at the launch
    std::uint32_t claim_parts;  ///< claimed: parts per spike
    std::uint32_t* claimed;     ///< claimed: the block's shared word for the part it claimed
    bool ring_prefetch;         ///< each thread prefetches its next step's ring slot into L2 when it reads this step's

    /// Step k's list: two buffers, or three where the lists are delivered at the next barrier (a block still
    /// delivering step k's list at step k + 1's barrier while others append step k + 2's).
    template <list_read Lists = list_read::in_step>
    __device__ spike_range* list_of(int k) const {
        const int buffer = Lists == list_read::at_barrier || Lists == list_read::claimed ? k % 3 : k & 1;
        return list + static_cast<std::size_t>(buffer) * capacity;
    }
    /// The grid's delivery of step k's list (its count read here).
    template <list_read Lists = list_read::in_step>
    __device__ void deliver(int k) const {
        deliver_spikes_by<true, block_size>(warp_workers, list_of<Lists>(k), __ldcg(counts + k), first_step + k, synapses, rings, slots);
    }
    /// A delivering block's share of step k's list: deliverers' block `block` (< deliverers).
    template <list_read Lists = list_read::in_step>
    __device__ void deliver_among_deliverers(int k, unsigned block) const {
        deliver_spikes_among<true, block_size>(warp_workers, list_of<Lists>(k), __ldcg(counts + k), first_step + k, synapses, rings, slots, block,
                                               deliverers);
    }
};

/// One block at a grid barrier: arrive, do `meanwhile` (work that touches nothing another block writes),
/// wait for the whole grid. clock: the diagnostic build's phase marks (phase_clocks.cuh).
template <class Meanwhile>
__device__ __forceinline__ void gather_at_barrier(const window_delivery& d, unsigned& generation, Meanwhile&& meanwhile, phase_clock& clock) {
    grid_arrive(d.barrier);
    clock.mark(4);
    meanwhile();
    clock.mark(5);
    grid_wait(d.barrier, generation++, d.barrier_sleep, d.relaxed_poll);
    clock.mark(6);
}

/// The end of step k for one block without deferred delivery: gather at the barrier (doing `meanwhile`),
/// deliver the step's spikes with the whole grid, wait again.
template <class Meanwhile>
__device__ __forceinline__ void deliver_at_barriers(const window_delivery& d, int k, unsigned& generation, Meanwhile&& meanwhile, phase_clock& clock) {
    gather_at_barrier(d, generation, meanwhile, clock);
    d.deliver(k);
    clock.mark(3);
    grid_barrier(d.barrier, generation++, d.barrier_sleep, d.relaxed_poll);
    clock.mark(6);
}

/// Neuron i of a population through every step of the window, its state in registers from the first step to
/// the last (the block keeps its neurons for the whole launch). Each step's inputs (only what is fixed for the
/// window: currents, Poisson draws, events) are computed while the grid gathers at the barrier before the
/// ring slot is read. Integer input sums do not depend on the order of their terms, so the spikes are the other
/// paths' bit for bit.
/// Not deferred: each step, a barrier, the step's delivery by the grid, a barrier. Deferred: one barrier per
/// step; before it the block delivers its own spikes' synapses of one step's delay and (without delivering
/// blocks) its share of the previous step's list; after the last step's barrier the grid delivers its list.
/// Lists (deferred only): early, that share read by early_list, its first loads at the top of the step;
/// at_barrier, delivered after the block's arrival at the barrier, beside the next step's inputs; claimed,
/// the same in parts the blocks claim (deliver_claimed).
template <class Neuron, bool Deferred, list_read Lists, bool InputsAtTop, bool SharedCaches>
__device__ __forceinline__ void window_neurons(typename Neuron::state* state, typename Neuron::input* ring, const typename Neuron::coeffs& c,
                                               const window_args& w, std::uint32_t i, int steps, const spike_sink& sink,
                                               const window_delivery& d, poisson_cache* shared_caches) {
    const bool live = i < w.n;
    typename Neuron::state s{};
    if (live) s = state[i];
    const float I_neuron = w.I_neuron && live ? w.I_neuron[i] : 0.0f;
    std::uint32_t cursor = w.varying && live && w.program.events.offsets ? first_event(w.program.events, i, w.first_step) : 0;
    const int rec = recorded_index(w, i, live);
    poisson_cache own_cache;  // SharedCaches: the thread's in shared memory instead
    poisson_cache* cache_at = &own_cache;
    if constexpr (SharedCaches) cache_at = shared_caches + threadIdx.x;
    poisson_cache& cache = *cache_at;
    if (w.varying) cache.reset();
    const neuron_synapses syn = live && sink.list ? synapses_of(sink, i) : neuron_synapses{0, 0, 0};
    constexpr bool early = Deferred && Lists == list_read::early;
    constexpr bool at_barrier = Deferred && (Lists == list_read::at_barrier || Lists == list_read::claimed);
    // lists at the barrier (or InputsAtTop): the list takes the time after the arrival, so each step's inputs
    // are computed at its top instead, while its ring slot's load is in flight
    constexpr bool inputs_at_top = at_barrier || InputsAtTop;
    std::int64_t ex = 0, in = 0;
    float I = live && !inputs_at_top ? window_current(w, I_neuron, i, 0, cursor, cache, ex, in) : 0.0f;
    unsigned generation = 0;
    phase_clock clock;  // a diagnostic build's per-phase cycles (phase_clocks.cuh); nothing otherwise
    clock.start();
    const fixed_partition partition = fixed_partition::of(gridDim.x, d.early_parts);
    for (int k = 0; k < steps; ++k) {
        std::uint32_t previous = 0;  // deferred: the previous step's spikes, read beside the ring slot
        early_list<block_size> list;  // early: the previous step's list, its first range read beside the ring slot too
        if (Deferred && k > 0) {
            if (early) list.start(d.list_of<Lists>(k - 1), d.capacity, d.counts + k - 1, d.first_step + k - 1, partition);
            else previous = __ldcg(d.counts + k - 1);
        }
        if constexpr (inputs_at_top) {
            typename Neuron::input* slot = ring && live ? ring + static_cast<std::size_t>(ring_slot(w, k)) * w.n + i : nullptr;
            typename Neuron::loaded v{};
            if (slot) v = Neuron::load(*slot);  // in flight during the inputs
            ex = 0;
            in = 0;
            I = live ? window_current(w, I_neuron, i, k, cursor, cache, ex, in) : 0.0f;
            if (slot) Neuron::add(*slot, v, ex, in);
        }
        if (ring && live) {
            if constexpr (!inputs_at_top) Neuron::take(ring[static_cast<std::size_t>(ring_slot(w, k)) * w.n + i], ex, in);
            // the next step's slot into L2 (a hint: it is still being added to), so that its read after the next
            // barrier does not wait for DRAM (SYNFIRE_CUDA_RING_PREFETCH=1)
            if (d.ring_prefetch)
                asm volatile("prefetch.global.L2 [%0];" ::"l"(__cvta_generic_to_global(ring + static_cast<std::size_t>(ring_slot(w, k + 1)) * w.n + i)));
        }
        if (early && k > 0) list.issue(d.synapses);  // its first synapses load during the neuron step
        const bool spike = Neuron::step(s, I, ex, in, c) && live;
        clock.mark(0);
        record_spikes(w.bitmap, w.words, k, i, spike);
        spike_sink out = sink;
        if (out.list) out.list = d.list_of<Lists>(k);
        out.count = d.counts + k;
        append_spikes<true>(out, i, spike, syn);
        if (rec >= 0) Neuron::record(w, k, rec, s);
        clock.mark(1);
        auto next_inputs = [&] {  // while the grid gathers at the barrier
            if constexpr (inputs_at_top) return;
            ex = 0;
            in = 0;
            I = 0.0f;
            if (k + 1 < steps && live) I = window_current(w, I_neuron, i, k + 1, cursor, cache, ex, in);
        };
        if constexpr (Deferred) {
            auto deliver_previous = [&] {  // the block's share of the previous step's list
                deliver_spikes_by<true, block_size>(d.warp_workers, d.list_of<Lists>(k - 1), previous, d.first_step + k - 1, d.synapses, d.rings, d.slots);
            };
            deliver_sender_parts(*sink.senders, static_cast<int>((d.first_step + k) % d.slots), d.synapses, d.rings, d.slots);
            clock.mark(2);
            if (k > 0 && early) list.finish(d.synapses, d.rings, d.slots);
            else if (k > 0 && !d.deliverers && !at_barrier) deliver_previous();
            clock.mark(3);
            if constexpr (at_barrier) {  // the previous step's list (synapses read at step k + 2 or later), then the inputs
                gather_at_barrier(d, generation, [&] {
                    if (k > 0 && Lists == list_read::claimed) {  // next_inputs() is empty here (inputs_at_top)
                        std::uint32_t first = 0;
                        if (threadIdx.x == 0 && previous) first = atomicAdd(d.claims + k - 1, 1u);
                        next_inputs();
                        deliver_claimed<block_size>(d.list_of<Lists>(k - 1), previous, d.claim_parts, d.claims + k - 1, d.first_step + k - 1,
                                                    d.synapses, d.rings, d.slots, *d.claimed, first);
                        return;
                    }
                    if (k > 0) deliver_previous();
                    next_inputs();
                }, clock);
            } else {
                gather_at_barrier(d, generation, next_inputs, clock);
            }
        } else {
            deliver_at_barriers(d, k, generation, next_inputs, clock);
        }
        clock.step();
    }
    if constexpr (Deferred) d.deliver<Lists>(steps - 1);
    clock.flush();
    if (live) state[i] = s;
}

/// A whole step-mode window in one cooperative launch of at least as many blocks as step_kernel has (block b
/// keeps the neurons of step_kernel's block b for the whole window; window_grid sizes the grid): each step,
/// every population and the step's delivery by the whole grid, with two grid barriers per step (one when
/// Deferred: window_neurons). Deferred with `deliverers`: the blocks past the update's deliver each step's
/// list (synapses of two steps' delay or more, of the step before) alone, while the update blocks step, so
/// that the list's chain of loads (count, range, synapses) runs beside the update's instead of after it.
/// Early (deferred, block workers, no delivering blocks): each step's list read with a fixed partition of
/// early_parts parts per spike, its first loads at the top of the next step (early_list); at_barrier and
/// claimed (deferred, no delivering blocks, splits at three steps' delay): each step's list delivered after
/// the block's arrival at the next step's barrier, by the grid's static shares or in parts the blocks claim
/// (deliver_claimed; the phase clocks count it under "inputs"). Template parameters, so that the other
/// kernels' registers stay as they were. Each updating block stages its
/// population record once for the window. Reads of what other blocks wrote in this launch (ring slots, the
/// spike list and its count) bypass L1. At most 80
/// registers, so that three blocks fit on a multiprocessor (the microcircuit's 305 update blocks on 132; 114
/// unbounded, with a few spills at 80).
template <bool Deferred, list_read Lists = list_read::in_step, bool InputsAtTop = false, bool SharedCaches = false>
__global__ void __launch_bounds__(block_size, 3) window_kernel(const population_args* args, const std::uint32_t* first_blocks, int pops,
                                                            unsigned virtual_blocks, int steps, spike_range* list, std::size_t list_capacity,
                                                            std::uint32_t* counts, const std::int64_t* first_step, const std::uint64_t* offsets,
                                                            const std::uint64_t* splits, const synapse* synapses, const ring_view* rings,
                                                            int ring_count, int slots, unsigned* barrier, bool warp_workers,
                                                            unsigned deliverers, std::uint32_t early_parts, unsigned barrier_sleep,
                                                            std::uint32_t* claims, std::uint32_t claim_parts, bool ring_prefetch,
                                                            bool relaxed_poll, bool shared_poisson, unsigned block_neurons) {
    __shared__ ring_view staged_rings[max_ring_views];
    __shared__ std::uint32_t claimed;  // list_read::claimed: the part this block claimed
    __shared__ alignas(16) unsigned char staged[sizeof(population_args)];
    __shared__ std::conditional_t<Deferred, sender_parts<block_size>, no_shared> senders;
    stage_rings(staged_rings, rings, ring_count);
    const bool updates = blockIdx.x < virtual_blocks;  // uniform across the block
    std::uint32_t i = 0;
    if (updates) {  // threads past block_neurons step no neuron (i past every population's n)
        const int p = population_of(first_blocks, pops, blockIdx.x);
        i = threadIdx.x < block_neurons ? (blockIdx.x - first_blocks[p]) * block_neurons + threadIdx.x : 0xFFFFFFFFu;
        stage_population(staged, args + p);
    }
    if constexpr (Deferred) {
        if (threadIdx.x == 0) senders.count = 0;
    }
    __syncthreads();
    // the launch's dynamic shared memory: SharedCaches, each thread's Poisson cache (shared_caches_bytes); then,
    // shared_poisson, the Poisson tables (shared_poisson_bytes)
    extern __shared__ uint4 dynamic_shared[];
    poisson_cache* shared_caches = nullptr;
    if constexpr (SharedCaches) shared_caches = reinterpret_cast<poisson_cache*>(dynamic_shared);
    if (shared_poisson && updates) {  // uniform across the block
        stage_poisson_tables(*reinterpret_cast<population_args*>(staged),
                             reinterpret_cast<std::uint32_t*>(reinterpret_cast<unsigned char*>(dynamic_shared) + (SharedCaches ? shared_caches_bytes : 0)));
        __syncthreads();
    }
    const window_delivery d{list,  Deferred ? list_capacity : 0, counts, *first_step, synapses, staged_rings, slots, barrier, warp_workers,
                            Deferred ? deliverers : 0, Deferred && Lists == list_read::early ? early_parts : 0u, barrier_sleep,
                            relaxed_poll, claims, claim_parts, &claimed, ring_prefetch};
    if (!updates) {  // delivery only
        unsigned generation = 0;
        for (int k = 0; k < steps; ++k) {
            if constexpr (Deferred && Lists == list_read::claimed) {
                // the update blocks claim parts of the previous step's list until none is left: these blocks
                // claim beside them (not a static share too: that would deliver it twice), after their arrival
                // as the update blocks do (the synapses are read at step k + 2 or later; the next arrival
                // releases the reductions)
                const std::uint32_t previous = k > 0 ? __ldcg(d.counts + k - 1) : 0u;
                grid_arrive(barrier);
                if (k > 0) {
                    std::uint32_t first = 0;
                    if (threadIdx.x == 0 && previous) first = atomicAdd(d.claims + k - 1, 1u);
                    deliver_claimed<block_size>(d.list_of<Lists>(k - 1), previous, d.claim_parts, d.claims + k - 1, d.first_step + k - 1,
                                                synapses, staged_rings, slots, claimed, first);
                }
                grid_wait(barrier, generation++, d.barrier_sleep, d.relaxed_poll);
            } else if constexpr (Deferred) {
                if (k > 0) {
                    if (d.deliverers) {
                        d.deliver_among_deliverers<Lists>(k - 1, blockIdx.x - virtual_blocks);
                    } else if constexpr (Lists == list_read::early) {  // the update blocks' partition (early_list), all of it at once here
                        early_list<block_size> share;
                        share.start(d.list_of<Lists>(k - 1), d.capacity, d.counts + k - 1, d.first_step + k - 1,
                                    fixed_partition::of(gridDim.x, d.early_parts));
                        share.issue(synapses);
                        share.finish(synapses, staged_rings, slots);
                    } else {
                        d.deliver<Lists>(k - 1);  // at_barrier: before the barrier, earlier than it needs
                    }
                }
                grid_barrier(barrier, generation++, d.barrier_sleep, d.relaxed_poll);
            } else {
                phase_clock clock;  // not counted: delivery-only blocks
                deliver_at_barriers(d, k, generation, [] {}, clock);
            }
        }
        if constexpr (Deferred) d.deliver<Lists>(steps - 1);
        return;
    }
    const population_args& a = *reinterpret_cast<const population_args*>(staged);
    spike_sink sink{a.sends ? list : nullptr, counts, offsets, a.source_base};
    if constexpr (Deferred) {
        sink.splits = splits;
        sink.senders = &senders;
    }
    if (a.model == neuron_model::iaf_psc_exp)
        window_neurons<exp_neuron, Deferred, Lists, InputsAtTop, SharedCaches>(static_cast<exp_state*>(a.state), static_cast<exp_input*>(a.ring), a.exp,
                                                                               a.w, i, steps, sink, d, shared_caches);
    else
        window_neurons<delta_neuron, Deferred, Lists, InputsAtTop, SharedCaches>(static_cast<delta_state*>(a.state), static_cast<std::int64_t*>(a.ring),
                                                                                 a.delta, a.w, i, steps, sink, d, shared_caches);
}

unsigned grid_for(std::uint32_t n) { return (n + block_size - 1) / block_size; }

window_args make_args(std::uint32_t* bitmap, std::uint32_t n, const update_window& u, const void* ring, bool step_mode = false) {
    if (u.steps < 1 || u.steps > max_window || (ring && u.ring_slots < 1))
        throw internal_error(fmt::format("cuda update: window of {} steps, ring of {} slots", u.steps, u.ring_slots));
    window_args w{};
    w.ring_slots = u.ring_slots;
    w.ring_first = u.ring_slots > 0 ? static_cast<int>(u.first_step % u.ring_slots) : 0;
    if (ring && !step_mode && u.steps > u.ring_slots) throw internal_error("cuda update: a window longer than the input ring");
    w.I_neuron = u.I_neuron;
    w.bitmap = bitmap;
    w.n = n;
    w.words = (n + 31) / 32;
    w.steps = u.steps;
    w.first_step = u.first_step;
    w.I = u.I;
    w.recorded_bits = u.recorded_bits;
    w.recorded_ids = u.recorded_ids;
    w.recorded = u.recorded;
    w.frames = u.frames;
    w.sample_mask = u.sample_mask;
    w.sampled_variables = u.sampled_variables;
    w.gathered = ((u.sampled_variables & V_m) ? 1 : 0) + ((u.sampled_variables & I_syn_ex) ? 1 : 0) + ((u.sampled_variables & I_syn_in) ? 1 : 0);
    if (u.program && !u.program->empty()) {
        w.varying = true;
        w.program = *u.program;
        for (int c = 0; c < w.program.courses; ++c)
            for (int k = 0; k < u.steps; ++k) w.courses[c][k] = u.courses[c * u.steps + k];
    }
    return w;
}

}  // namespace

void update_iaf_psc_exp(exp_state* state, exp_input* ring, std::uint32_t* bitmap, std::uint32_t n, const update_window& w,
                        const iaf_psc_exp_coeffs& c, cudaStream_t s) {
    const window_args args = make_args(bitmap, n, w, ring);
    if (n == 0) return;
    exp_kernel<<<grid_for(n), block_size, 0, s>>>(exp_args{state, ring, c, args});
    SYNFIRE_CUDA_LAUNCHED("exp_kernel");
}

void update_iaf_psc_delta(delta_state* state, std::int64_t* ring, std::uint32_t* bitmap, std::uint32_t n, const update_window& w,
                          const iaf_psc_delta_coeffs& c, cudaStream_t s) {
    const window_args args = make_args(bitmap, n, w, ring);
    if (n == 0) return;
    delta_kernel<<<grid_for(n), block_size, 0, s>>>(delta_args{state, ring, c, args});
    SYNFIRE_CUDA_LAUNCHED("delta_kernel");
}

std::size_t step_args_bytes() { return sizeof(population_args); }

unsigned step_blocks(std::uint32_t n) { return grid_for(n); }

unsigned step_blocks_per_multiprocessor() {
    int per_sm = 0;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, step_kernel<true, false>, block_size, 0) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return static_cast<unsigned>(per_sm);
}

void make_step_args(const population_step& p, const update_window& w, void* out) {
    population_args a{};
    a.model = p.model;
    a.sends = p.sends;
    a.source_base = p.source_base;
    a.state = p.state;
    a.ring = p.ring;
    a.exp = p.exp;
    a.delta = p.delta;
    a.w = make_args(p.bitmap, p.n, w, p.ring, true);
    std::memcpy(out, &a, sizeof a);
}

void update_step(const void* args, const std::uint32_t* first_blocks, const std::uint32_t* host_first_blocks, int pops, unsigned blocks, int k,
                 spike_range* list, std::uint32_t* count, const std::uint64_t* offsets, cudaStream_t s, bool programmatic,
                 const deferred_delivery* deferred) {
    if (blocks == 0) return;
    if (deferred && (deferred->ring_count < 1 || deferred->ring_count > max_ring_views || deferred->slots < 1 || !deferred->splits))
        throw internal_error(fmt::format("cuda step kernel: deferred delivery with {} ring views, {} slots", deferred->ring_count, deferred->slots));
    const auto* a = static_cast<const population_args*>(args);
    block_starts starts{};
    if (pops <= step_param_populations) std::copy(host_first_blocks, host_first_blocks + pops + 1, starts.first);
    const deferred_delivery dd = deferred ? *deferred : deferred_delivery{};
    const auto kernel = deferred ? (programmatic ? step_kernel<true, true> : step_kernel<false, true>)
                                 : (programmatic ? step_kernel<true, false> : step_kernel<false, false>);
    launch_kernel(kernel, blocks, block_size, s, programmatic, a, first_blocks, starts, pops, k, list, count, offsets, dd);
    SYNFIRE_CUDA_LAUNCHED("step_kernel");
}

namespace {
/// The persistent window kernel's dynamic shared memory with these options.
std::size_t persistent_dynamic_shared(const persistent_options& o) {
    return (o.shared_poisson ? shared_poisson_bytes : 0) + (o.shared_caches ? shared_caches_bytes : 0);
}

/// The window-kernel instance that runs with these options: window_grid sizes the grid by its occupancy,
/// update_window_persistent launches it.
const void* persistent_kernel(bool deferred, const persistent_options& o) {
    const bool shared_caches = o.shared_caches;
    return !deferred            ? reinterpret_cast<const void*>(window_kernel<false>)
           : o.early_parts      ? reinterpret_cast<const void*>(window_kernel<true, list_read::early>)
           : o.claims           ? (shared_caches ? reinterpret_cast<const void*>(window_kernel<true, list_read::claimed, false, true>)
                                                 : reinterpret_cast<const void*>(window_kernel<true, list_read::claimed>))
           : o.lists_at_barrier ? (shared_caches ? reinterpret_cast<const void*>(window_kernel<true, list_read::at_barrier, false, true>)
                                                 : reinterpret_cast<const void*>(window_kernel<true, list_read::at_barrier>))
           : o.inputs_at_top    ? reinterpret_cast<const void*>(window_kernel<true, list_read::in_step, true>)
           : shared_caches      ? reinterpret_cast<const void*>(window_kernel<true, list_read::in_step, false, true>)
                                : reinterpret_cast<const void*>(window_kernel<true>);
}
}  // namespace

window_launch window_grid(int multiprocessors, unsigned update_blocks, bool deferred, int deliverers, const persistent_options& options) {
    int device = 0, cooperative = 0, per_sm = 0;
    if (cudaGetDevice(&device) != cudaSuccess || cudaDeviceGetAttribute(&cooperative, cudaDevAttrCooperativeLaunch, device) != cudaSuccess ||
        !cooperative) {
        cudaGetLastError();
        return {};
    }
    // the instance that will run is chosen after the grid (its modes depend on it: update_window_persistent), so
    // the grid fits the least resident of those it may be (today all take 3 blocks per multiprocessor:
    // __launch_bounds__ caps their registers at 80)
    persistent_options mode = options;
    per_sm = std::numeric_limits<int>::max();
    for (int m = 0; m < (deferred ? 5 : 1); ++m) {
        mode.early_parts = m == 1 ? 1u : 0u;
        mode.lists_at_barrier = m == 2 || m == 3;
        mode.claims = m == 3 ? reinterpret_cast<std::uint32_t*>(&mode) : nullptr;  // any non-null pointer selects the claimed instance
        mode.inputs_at_top = m == 4;
        int n = 0;
        if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, persistent_kernel(deferred, mode), block_size, persistent_dynamic_shared(options)) !=
            cudaSuccess) {
            cudaGetLastError();
            return {};
        }
        per_sm = std::min(per_sm, n);
    }
    if (per_sm < 1) return {};
    const auto sms = static_cast<unsigned>(multiprocessors);
    const unsigned resident = sms * static_cast<unsigned>(per_sm);
    if (update_blocks > resident) return {};  // the update would not fit in one wave
    const unsigned free = resident - update_blocks;
    unsigned d = 0;
    // one delivering block per multiprocessor where that many places are free (H200: Brunel 1e4, 40 update
    // blocks, RTF 0.053 -> 0.041 with 132); not with fewer (the microcircuit's 305 update blocks leave 91:
    // RTF 0.124 -> 0.139, the delivering blocks then hold the update blocks up at the barrier; bench/NOTES.md v7)
    if (deferred && deliverers < 0 && free >= sms) d = sms;
    if (deferred && deliverers > 0) d = std::min(free, static_cast<unsigned>(deliverers));
    if (d > 0) return {update_blocks + d, d};
    return {std::max(update_blocks, std::min(resident, 2 * sms)), 0};
}

void update_window_persistent(const void* args, const std::uint32_t* first_blocks, int pops, unsigned virtual_blocks, int steps,
                              spike_range* list, std::size_t list_capacity, std::uint32_t* counts, const std::int64_t* first_step,
                              const std::uint64_t* offsets, const std::uint64_t* splits, const synapse* synapses, const ring_view* rings,
                              int ring_count, int slots, unsigned* barrier, unsigned grid, cudaStream_t s, const persistent_options& o) {
    if (ring_count < 1 || ring_count > max_ring_views) throw internal_error(fmt::format("cuda window kernel: {} ring views", ring_count));
    if (o.early_parts && (!splits || o.deliverers || o.warp_workers))
        throw internal_error("cuda window kernel: the early list needs deferred delivery, block workers and no delivering blocks");
    if (o.lists_at_barrier && (!splits || o.deliverers || o.early_parts))
        throw internal_error("cuda window kernel: lists at the barrier need deferred delivery, no delivering blocks and no early list");
    if (o.claims && (!o.lists_at_barrier || o.claim_parts < 1))
        throw internal_error("cuda window kernel: claimed lists are lists at the barrier in one part per spike or more");
    if (o.block_neurons < 32 || o.block_neurons > block_size || o.block_neurons % 32 != 0)
        throw internal_error(fmt::format("cuda window kernel: {} neurons per block", o.block_neurons));
    if (o.deliverers && (!splits || virtual_blocks + o.deliverers != grid))
        throw internal_error(fmt::format("cuda window kernel: {} delivering blocks beside {} of {}", o.deliverers, virtual_blocks, grid));
    if (o.shared_caches && (!splits || o.early_parts || (o.inputs_at_top && !o.lists_at_barrier)))
        throw internal_error("cuda window kernel: shared Poisson caches with deferred delivery and the list in the step or at the barrier only");
    const auto* a = static_cast<const population_args*>(args);
    // the kernel's parameters (values the kernel takes by value: copies here, alive until the launch)
    bool warp_workers = o.warp_workers, ring_prefetch = o.ring_prefetch, relaxed_poll = o.relaxed_poll, shared_poisson = o.shared_poisson;
    unsigned deliverers = o.deliverers, barrier_sleep = o.barrier_sleep, block_neurons = o.block_neurons;
    std::uint32_t early_parts = o.early_parts, claim_parts = o.claim_parts;
    std::uint32_t* claims = o.claims;
    void* params[] = {&a,       &first_blocks, &pops,     &virtual_blocks, &steps,      &list,  &list_capacity, &counts,       &first_step,
                      &offsets, &splits,       &synapses, &rings,          &ring_count, &slots, &barrier,       &warp_workers, &deliverers,
                      &early_parts, &barrier_sleep, &claims, &claim_parts, &ring_prefetch, &relaxed_poll, &shared_poisson,
                      &block_neurons};
    const void* kernel = persistent_kernel(splits != nullptr, o);
    const std::size_t dynamic = persistent_dynamic_shared(o);
    SYNFIRE_CUDA(cudaMemsetAsync(barrier, 0, sizeof(unsigned), s));
    SYNFIRE_CUDA(cudaLaunchCooperativeKernel(kernel, dim3(grid), dim3(block_size), params, dynamic, s));
    SYNFIRE_CUDA_LAUNCHED("window_kernel");
}

namespace detail {
void set_streaming_synapse_loads_of_the_update(bool on) {
    const unsigned v = on ? 1u : 0u;
    SYNFIRE_CUDA(cudaMemcpyToSymbol(streaming_synapse_loads, &v, sizeof v));
}
}  // namespace detail

void report_phase_clocks() {
#ifdef SYNFIRE_PHASE_CLOCKS
    static unsigned long long cycles[clock_blocks][clock_phases], steps[clock_blocks];
    if (cudaMemcpyFromSymbol(cycles, phase_cycles, sizeof cycles) != cudaSuccess ||
        cudaMemcpyFromSymbol(steps, phase_steps, sizeof steps) != cudaSuccess) {
        cudaGetLastError();
        return;
    }
    int device = 0, khz = 0;
    cudaGetDevice(&device);
    cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device);
    static const char* names[clock_phases] = {"take+step", "append", "own parts", "list", "arrive", "inputs", "wait"};
    // per block: cycles per step of each phase; the table: mean over blocks, and the block that waits least
    // (the one that holds the others up most often)
    double mean[clock_phases] = {}, least[clock_phases] = {};
    double least_wait = 1e300;
    unsigned blocks = 0, least_block = 0;
    for (unsigned b = 0; b < clock_blocks; ++b) {
        if (!steps[b]) continue;
        ++blocks;
        const double n = static_cast<double>(steps[b]);
        for (int p = 0; p < clock_phases; ++p) mean[p] += cycles[b][p] / n;
        if (cycles[b][6] / n < least_wait) {
            least_wait = cycles[b][6] / n, least_block = b;
            for (int p = 0; p < clock_phases; ++p) least[p] = cycles[b][p] / n;
        }
    }
    if (!blocks) return;
    const double us = khz > 0 ? 1e3 / khz : 0.0;  // microseconds per cycle at the nominal clock
    std::fprintf(stderr, "phase clocks: persistent window kernel, %u blocks, %llu steps each, cycles per step (us at %.0f MHz)\n", blocks,
                 steps[least_block], khz / 1e3);
    std::fprintf(stderr, "  %-10s %14s %22s\n", "phase", "mean of blocks", "block least waiting");
    double total_mean = 0, total_least = 0;
    for (int p = 0; p < clock_phases; ++p) {
        mean[p] /= blocks;
        total_mean += mean[p], total_least += least[p];
        std::fprintf(stderr, "  %-10s %8.0f (%5.2f) %8.0f (%5.2f) [%u]\n", names[p], mean[p], mean[p] * us, least[p], least[p] * us, least_block);
    }
    std::fprintf(stderr, "  %-10s %8.0f (%5.2f) %8.0f (%5.2f)\n", "step", total_mean, total_mean * us, total_least, total_least * us);
#endif
}

}  // namespace synfire::cuda
