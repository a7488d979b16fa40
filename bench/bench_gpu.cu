// GPU neuron-update benchmarks, each against a device-to-device copy of the same bytes in the same run.
//
//   networked step   one step of iaf_psc_exp with a synaptic input slot read and cleared, the engine's kernel:
//                    packed state 16 B read + 16 B written, input slot 16 B read + 16 B cleared, 1/8 B of
//                    spike bitmap = 64.125 B per neuron (the floor: 64 B / copy bandwidth per neuron)
//   naive SoA step   the same step with six separate arrays (V, I_ex, I_in, r, input ex, input in), the
//                    layout DESIGN.md measured at 25% of copy bandwidth: kept here to show the layout choice
//   fused window     the engine's uncoupled path: k steps per launch with the state in registers (F-I sweep,
//                    ramp current), 36 B per neuron and window + k/8 B of bitmap, then the ordered spike
//                    compaction of the window (count, scan, write)
//
//   latency floors   what one network step costs before any neuron or synapse work (the microcircuit's steps
//                    are latency-bound): a CUDA graph of dependent kernel nodes (update and delivery are two
//                    per step), plain and as programmatic dependent launches, and the grid barrier of the
//                    persistent window kernel (two per step) against cooperative_groups' grid.sync(); the
//                    barrier after L1-resident load chains with acquire and relaxed polls; the microcircuit's
//                    ring read after the barrier with and without a step's reductions in flight
//
// usage: bench_gpu [--json FILE] [--min-n N] [--max-n N] [--latency-only]
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <cooperative_groups.h>
#include <fmt/format.h>

#include "cuda_check.hpp"
#include "grid_barrier.cuh"
#include "programmatic.cuh"
#include "launchers.hpp"
#include "synfire/fixed_point.hpp"
#include "synfire/lif.hpp"
#include "synfire/model.hpp"
#include "synfire/propagators.hpp"

using namespace synfire;
using namespace synfire::cuda;

namespace {

// ---------------------------------------------------------------- the naive layout, for comparison only

struct soa {
    float *V, *I_ex, *I_in;
    std::int32_t* r;
    std::int64_t *in_ex, *in_in;
    std::uint32_t* bitmap;
};

__global__ void naive_soa_step(soa a, std::uint32_t n, float I, iaf_psc_exp_coeffs c) {
    const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    const bool live = i < n;
    float V = 0, ie = 0, ii = 0, ex = 0, in = 0;
    std::int32_t r = 0;
    if (live) {
        V = a.V[i], ie = a.I_ex[i], ii = a.I_in[i], r = a.r[i];
        ex = fixed_to_float(a.in_ex[i]), in = fixed_to_float(a.in_in[i]);
        a.in_ex[i] = 0, a.in_in[i] = 0;
    }
    const bool spike = iaf_psc_exp_step(V, ie, ii, r, I, ex, in, c) && live;
    const std::uint32_t bits = __ballot_sync(0xFFFFFFFFu, spike);
    if ((threadIdx.x & 31u) == 0 && (i >> 5) < (n + 31) / 32) a.bitmap[i >> 5] = bits;
    if (live) a.V[i] = V, a.I_ex[i] = ie, a.I_in[i] = ii, a.r[i] = r;
}

/// The engine's networked step written out by hand with nothing but the step: the floor the engine's general
/// kernel (window arguments, inputs, sampling) is measured against.
__global__ void lean_packed_step(exp_state* state, exp_input* input, std::uint32_t* bitmap, std::uint32_t n, float I, iaf_psc_exp_coeffs c) {
    const std::uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
    const bool live = i < n;
    exp_state s{0.0f, 0.0f, 0.0f, 0};
    exp_input x{0, 0};
    if (live) {
        s = state[i];
        x = input[i];
        input[i] = exp_input{0, 0};
    }
    const bool spike = iaf_psc_exp_step(s.V, s.I_ex, s.I_in, s.r, I, fixed_to_float(x.ex), fixed_to_float(x.in), c) && live;
    const std::uint32_t bits = __ballot_sync(0xFFFFFFFFu, spike);
    if ((threadIdx.x & 31u) == 0 && (i >> 5) < (n + 31) / 32) bitmap[i >> 5] = bits;
    if (live) state[i] = s;
}

// ---------------------------------------------------------------- timing

class timer {
public:
    timer() {
        SYNFIRE_CUDA(cudaEventCreate(&a_));
        SYNFIRE_CUDA(cudaEventCreate(&b_));
    }
    ~timer() {
        cudaEventDestroy(a_);
        cudaEventDestroy(b_);
    }
    /// Mean seconds per call of f over `reps` calls (work on stream s) after one warm-up call.
    template <class F>
    double seconds(int reps, F&& f, cudaStream_t s = nullptr) {
        f();
        SYNFIRE_CUDA(cudaEventRecord(a_, s));
        for (int i = 0; i < reps; ++i) f();
        SYNFIRE_CUDA(cudaEventRecord(b_, s));
        SYNFIRE_CUDA(cudaEventSynchronize(b_));
        float ms = 0;
        SYNFIRE_CUDA(cudaEventElapsedTime(&ms, a_, b_));
        return ms * 1e-3 / reps;
    }

private:
    cudaEvent_t a_, b_;
};

int reps_for(std::uint64_t bytes) { return static_cast<int>(std::clamp<std::uint64_t>((std::uint64_t{20} << 30) / std::max<std::uint64_t>(bytes, 1), 5, 2000)); }

struct row {
    std::string kind;
    std::uint64_t n;
    int steps;
    double seconds;         // per launch (window)
    double bytes;           // per launch
    double copy_gbs;        // D2D copy of the same bytes, same run
    double updates_per_s;
};

/// Bandwidth of a device-to-device copy moving `bytes` in total (bytes/2 read, bytes/2 written).
double copy_bandwidth(std::uint64_t bytes, timer& t) {
    const std::size_t half = static_cast<std::size_t>(bytes / 2);
    device_buffer<unsigned char> src(half), dst(half);
    SYNFIRE_CUDA(cudaMemset(src.data(), 1, half));
    const double s = t.seconds(reps_for(bytes), [&] { SYNFIRE_CUDA(cudaMemcpyAsync(dst.data(), src.data(), half, cudaMemcpyDeviceToDevice)); });
    return static_cast<double>(bytes) / s / 1e9;
}

bool fits(std::uint64_t bytes) {
    std::size_t free = 0, total = 0;
    SYNFIRE_CUDA(cudaMemGetInfo(&free, &total));
    return bytes + (std::uint64_t{1} << 30) < free;
}

iaf_psc_exp_coeffs coeffs() {
    neuron_params p;
    return make_iaf_psc_exp_coeffs(p, 0.1);
}

row networked(std::uint32_t n, timer& t) {
    device_buffer<exp_state> state(n);
    device_buffer<exp_input> input(n);
    device_buffer<std::uint32_t> bitmap((n + 31) / 32);
    SYNFIRE_CUDA(cudaMemset(state.data(), 0, n * sizeof(exp_state)));
    SYNFIRE_CUDA(cudaMemset(input.data(), 0, n * sizeof(exp_input)));
    update_window w;
    w.ring_slots = 1;  // one input slot, read and cleared every step
    w.I.I[0] = 300.0f;
    const auto c = coeffs();
    const double bytes = 64.0 * n + (n + 31) / 32 * 4.0;
    const double s = t.seconds(reps_for(static_cast<std::uint64_t>(bytes)), [&] {
        update_iaf_psc_exp(state.data(), input.data(), bitmap.data(), n, w, c, nullptr);
        ++w.first_step;
    });
    return {"networked step (packed)", n, 1, s, bytes, 0.0, n / s};
}

row lean(std::uint32_t n, timer& t) {
    device_buffer<exp_state> state(n);
    device_buffer<exp_input> input(n);
    device_buffer<std::uint32_t> bitmap((n + 31) / 32);
    SYNFIRE_CUDA(cudaMemset(state.data(), 0, n * sizeof(exp_state)));
    SYNFIRE_CUDA(cudaMemset(input.data(), 0, n * sizeof(exp_input)));
    const auto c = coeffs();
    const double bytes = 64.0 * n + (n + 31) / 32 * 4.0;
    const double s = t.seconds(reps_for(static_cast<std::uint64_t>(bytes)), [&] {
        lean_packed_step<<<(n + 255) / 256, 256>>>(state.data(), input.data(), bitmap.data(), n, 300.0f, c);
        SYNFIRE_CUDA_LAUNCHED("lean_packed_step");
    });
    return {"networked step (lean packed, by hand)", n, 1, s, bytes, 0.0, n / s};
}

row naive(std::uint32_t n, timer& t) {
    device_buffer<float> V(n), ie(n), ii(n);
    device_buffer<std::int32_t> r(n);
    device_buffer<std::int64_t> ex(n), in(n);
    device_buffer<std::uint32_t> bitmap((n + 31) / 32);
    for (void* p : {static_cast<void*>(V.data()), static_cast<void*>(ie.data()), static_cast<void*>(ii.data()), static_cast<void*>(r.data())})
        SYNFIRE_CUDA(cudaMemset(p, 0, n * 4ull));
    SYNFIRE_CUDA(cudaMemset(ex.data(), 0, n * 8ull));
    SYNFIRE_CUDA(cudaMemset(in.data(), 0, n * 8ull));
    const soa a{V.data(), ie.data(), ii.data(), r.data(), ex.data(), in.data(), bitmap.data()};
    const auto c = coeffs();
    const double bytes = 64.0 * n + (n + 31) / 32 * 4.0;
    const double s = t.seconds(reps_for(static_cast<std::uint64_t>(bytes)), [&] {
        naive_soa_step<<<(n + 255) / 256, 256>>>(a, n, 300.0f, c);
        SYNFIRE_CUDA_LAUNCHED("naive_soa_step");
    });
    return {"networked step (naive SoA)", n, 1, s, bytes, 0.0, n / s};
}

/// The engine's uncoupled window: k fused steps under an F-I ramp, then the ordered compaction.
std::pair<row, row> fused(std::uint32_t n, int k, timer& t) {
    device_buffer<exp_state> state(n);
    device_buffer<float> I_neuron(n);
    const std::size_t words = (n + 31) / 32;
    device_buffer<std::uint32_t> bitmap(words * k);
    std::vector<exp_state> host_state(n, exp_state{0.0f, 0.0f, 0.0f, 0});
    std::vector<float> host_I(n);
    for (std::uint32_t i = 0; i < n; ++i) host_I[i] = static_cast<float>(1000.0 * i / std::max<std::uint32_t>(n - 1, 1));
    SYNFIRE_CUDA(cudaMemcpy(state.data(), host_state.data(), n * sizeof(exp_state), cudaMemcpyHostToDevice));
    SYNFIRE_CUDA(cudaMemcpy(I_neuron.data(), host_I.data(), n * sizeof(float), cudaMemcpyHostToDevice));
    update_window w;
    w.steps = k;
    w.I_neuron = I_neuron.data();
    const auto c = coeffs();
    const double bytes = 36.0 * n + words * 4.0 * k;
    const double s = t.seconds(reps_for(static_cast<std::uint64_t>(bytes) * 8), [&] {
        update_iaf_psc_exp(state.data(), nullptr, bitmap.data(), n, w, c, nullptr);
    });
    row update{fmt::format("fused window (k={})", k), n, k, s, bytes, 0.0, static_cast<double>(n) * k / s};

    const std::size_t chunks = compaction_chunks(words, k);
    device_buffer<std::uint32_t> counts(chunks + 1), offsets(chunks + 1), step_offsets(k + 1), ids(static_cast<std::size_t>(n) * k / 16 + 1024);
    const std::size_t scan_bytes = compaction_scan_bytes(chunks);
    device_buffer<unsigned char> scan(scan_bytes);
    const double sw = t.seconds(reps_for(static_cast<std::uint64_t>(bytes) * 8), [&] {
        update_iaf_psc_exp(state.data(), nullptr, bitmap.data(), n, w, c, nullptr);
        count_spikes(bitmap.data(), words, k, counts.data(), offsets.data(), scan.data(), scan_bytes, nullptr);
        write_spikes(bitmap.data(), words, k, offsets.data(), ids.data(), step_offsets.data(), nullptr);
    });
    std::uint32_t total = 0;
    SYNFIRE_CUDA(cudaMemcpy(&total, offsets.data() + chunks, 4, cudaMemcpyDeviceToHost));
    row with{fmt::format("fused window + compaction (k={}, {:.2g} spikes/update)", k, static_cast<double>(total) / (static_cast<double>(n) * k)),
             n, k, sw, bytes + words * 8.0 * k, 0.0, static_cast<double>(n) * k / sw};
    return {update, with};
}

// ---------------------------------------------------------------- latency floors

/// One link of a chain of dependent kernels: block 0 adds one to *chain after the kernel before it is done
/// (the count at the end proves the order held).
template <bool Programmatic>
__global__ void chain_link(unsigned* chain) {
    if constexpr (Programmatic) {
        allow_next_grid();
        wait_for_earlier_grids();
    }
    if (blockIdx.x == 0 && threadIdx.x == 0) *chain += 1;
}

/// `barriers` grid barriers in a row (cooperative launch), sleep_ns between polls.
__global__ void barrier_loop(unsigned* counter, int barriers, unsigned sleep_ns) {
    for (int g = 0; g < barriers; ++g) grid_barrier(counter, static_cast<unsigned>(g), sleep_ns);
}

/// Entries of each block's table for barrier_after_chain: 4 KB, so that every resident block's stays in L1.
constexpr unsigned chain_table = 1024;

/// `barriers` grid barriers, each after a dependent chain of loads per thread from data in L1 (every third
/// block walks four times as far, so the others arrive early and poll while it walks, as a step's slow blocks
/// do): Local, a 32-entry array in the thread's local memory (where register spills go); otherwise the block's
/// 4 KB of `tables` with plain (L1-cached) loads. relaxed: the barrier polled with relaxed loads and one
/// acquire (grid_wait); otherwise every poll an acquire, which invalidates the multiprocessor's L1.
template <bool Local>
__global__ void barrier_after_chain(unsigned* counter, int barriers, const unsigned* tables, int hops, bool relaxed, unsigned* sink) {
    const unsigned* table = tables + static_cast<std::size_t>(blockIdx.x) * chain_table;
    unsigned local[32];
    if constexpr (Local)
        for (unsigned j = 0; j < 32; ++j) local[j] = (j + 1 + (threadIdx.x & 7u)) & 31u;
    unsigned at = threadIdx.x;
    const int walk = blockIdx.x % 3 == 0 ? 4 * hops : hops;
    for (int g = 0; g < barriers; ++g) {
        for (int h = 0; h < walk; ++h) at = Local ? local[at & 31u] : table[at];
        grid_barrier(counter, static_cast<unsigned>(g), gpu_limits::barrier_sleep_ns, relaxed);
    }
    if (at == 0xFFFFFFFFu) *sink = at;  // never: keeps the chain
}

/// The microcircuit's memory traffic per step without its arithmetic (the window kernel's "ring read + step"
/// takes 2.75 us, three to four L2 round trips; bench/NOTES.md v7): each thread reads and clears its neuron's
/// 16-byte ring slot of step k (ld.global.cg, as the window kernel), adds `reds` 64-bit reductions to random
/// neurons' slots `ahead` to `ahead + spread - 1` steps later (the step's synaptic events), then a grid barrier.
/// Lane 0 of each warp sums the cycles from the barrier's exit to the ring value's arrival into *cycles.
__global__ void ring_traffic(longlong2* ring, unsigned n, int slots, int steps, int reds, int ahead, int spread, unsigned* counter,
                             unsigned long long* cycles) {
    const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    unsigned long long waited = 0;
    for (int k = 0; k < steps; ++k) {
        const long long t0 = clock64();
        if (i < n) {
            longlong2* slot = ring + static_cast<std::size_t>(k % slots) * n + i;
            const longlong2 x = __ldcg(slot);
            if (x.x == 0x7FFFFFFFFFFFFFFF) *cycles = 0;  // never; the clock below waits for x
            waited += static_cast<unsigned long long>(clock64() - t0);
            *slot = make_longlong2(0, 0);
            for (int j = 0; j < reds; ++j) {
                std::uint32_t h = (i * 0x9E3779B9u) ^ (static_cast<std::uint32_t>(k) * 0x85EBCA6Bu) ^ (static_cast<std::uint32_t>(j) * 0xC2B2AE35u);
                h ^= h >> 15, h *= 0x2C1B3C6Du, h ^= h >> 12, h *= 0x297A2D39u, h ^= h >> 15;
                const unsigned target = h % n;
                const int s = (k + ahead + static_cast<int>((h >> 8) % static_cast<std::uint32_t>(spread))) % slots;
                auto* acc = reinterpret_cast<unsigned long long*>(ring + static_cast<std::size_t>(s) * n + target);
                asm volatile("red.relaxed.gpu.global.add.u64 [%0], %1;" ::"l"(acc), "l"(1ull) : "memory");
            }
        }
        grid_barrier(counter, static_cast<unsigned>(k));
    }
    if ((threadIdx.x & 31u) == 0) atomicAdd(cycles, waited);
}

__global__ void grid_sync_loop(int barriers) {
    auto grid = cooperative_groups::this_grid();
    for (int g = 0; g < barriers; ++g) grid.sync();
}

struct latency_row {
    std::string what;
    unsigned blocks;
    double seconds;  // per node or per barrier
};

/// Seconds per node of a replayed graph of `nodes` dependent chain_link kernels of `blocks` blocks.
double graph_node_seconds(unsigned blocks, bool programmatic, timer& t) {
    constexpr int nodes = 128, replays = 200;
    device_buffer<unsigned> chain(1);
    SYNFIRE_CUDA(cudaMemset(chain.data(), 0, 4));
    stream s;
    graph_exec g;
    SYNFIRE_CUDA(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    for (int k = 0; k < nodes; ++k)
        launch_kernel(programmatic ? chain_link<true> : chain_link<false>, blocks, 256, s, programmatic, chain.data());
    g.end_capture(s);
    const double per_replay = t.seconds(replays, [&] { g.launch(s); }, s);
    unsigned count = 0;
    SYNFIRE_CUDA(cudaMemcpy(&count, chain.data(), 4, cudaMemcpyDeviceToHost));
    if (count != static_cast<unsigned>(nodes * (replays + 1)))
        throw runtime_failure(fmt::format("graph chain: {} links counted, {} launched (order broken)", count, nodes * (replays + 1)));
    return per_replay / nodes;
}

std::vector<latency_row> latency_floors(int multiprocessors, timer& t) {
    std::vector<latency_row> rows;
    // the microcircuit's grids: ~305 update blocks (77 169 neurons / 256), 4 delivery blocks per SM
    for (unsigned blocks : {305u, static_cast<unsigned>(multiprocessors) * 4u}) {
        rows.push_back({"graph kernel node, dependent", blocks, graph_node_seconds(blocks, false, t)});
        rows.push_back({"graph kernel node, programmatic dependent launch", blocks, graph_node_seconds(blocks, true, t)});
    }
    if (window_grid(multiprocessors, 1).grid == 0) return rows;  // no cooperative launches
    // the barrier at 1..4 blocks per SM: the persistent kernel uses 2 or 3 (window_grid); arrivals serialise on one word
    constexpr int barriers = 1024;
    device_buffer<unsigned> counter(1);
    unsigned* c = counter.data();
    int n = barriers;
    for (unsigned per_sm = 1; per_sm <= 4; ++per_sm) {
        const unsigned grid = static_cast<unsigned>(multiprocessors) * per_sm;
        for (unsigned sleep : {gpu_limits::barrier_sleep_ns, 0u}) {  // the persistent kernel's default, and none (SYNFIRE_CUDA_BARRIER_SLEEP=0)
            void* params[] = {&c, &n, &sleep};
            const double own = t.seconds(5, [&] {
                SYNFIRE_CUDA(cudaMemsetAsync(c, 0, 4));
                SYNFIRE_CUDA(cudaLaunchCooperativeKernel(reinterpret_cast<const void*>(barrier_loop), dim3(grid), dim3(256), params, 0, nullptr));
            });
            rows.push_back({fmt::format("grid barrier (release add, acquire-load polling, {} ns sleeps)", sleep), grid, own / barriers});
        }
        void* sync_params[] = {&n};
        const double cg = t.seconds(5, [&] {
            SYNFIRE_CUDA(cudaLaunchCooperativeKernel(reinterpret_cast<const void*>(grid_sync_loop), dim3(grid), dim3(256), sync_params, 0, nullptr));
        });
        rows.push_back({"grid barrier, cooperative_groups grid.sync() (peer)", grid, cg / barriers});
    }
    // does polling with acquire loads (each one an L1 invalidation) slow the blocks that are still working
    // beside the pollers? A chain of 64 L1-resident loads before each barrier (every third block 256), at the
    // persistent kernel's 2 and 3 blocks per SM, acquire against relaxed polls (SYNFIRE_CUDA_BARRIER_POLL)
    constexpr int chained = 256, hops = 64;
    const unsigned most = static_cast<unsigned>(multiprocessors) * 3u;
    std::vector<unsigned> host(static_cast<std::size_t>(most) * chain_table);
    for (std::size_t j = 0; j < host.size(); ++j) host[j] = static_cast<unsigned>((j % chain_table + 256) % chain_table);
    device_buffer<unsigned> tables(host.size()), sink(1);
    SYNFIRE_CUDA(cudaMemcpy(tables.data(), host.data(), host.size() * sizeof(unsigned), cudaMemcpyHostToDevice));
    const unsigned* tp = tables.data();
    unsigned* sp = sink.data();
    int m = chained, h = hops;
    for (unsigned per_sm = 2; per_sm <= 3; ++per_sm) {
        const unsigned grid = static_cast<unsigned>(multiprocessors) * per_sm;
        for (bool local : {false, true}) {
            for (bool relaxed : {false, true}) {
                void* params[] = {&c, &m, &tp, &h, &relaxed, &sp};
                const void* kernel = local ? reinterpret_cast<const void*>(barrier_after_chain<true>) : reinterpret_cast<const void*>(barrier_after_chain<false>);
                const double per = t.seconds(5, [&] {
                    SYNFIRE_CUDA(cudaMemsetAsync(c, 0, 4));
                    SYNFIRE_CUDA(cudaLaunchCooperativeKernel(kernel, dim3(grid), dim3(256), params, 0, nullptr));
                });
                rows.push_back({fmt::format("{} L1 load chain + grid barrier, {} polls", local ? "local" : "global", relaxed ? "relaxed" : "acquire"),
                                grid, per / chained});
            }
        }
    }
    // the ring read after the barrier with and without the step's reductions queued at L2 (the microcircuit:
    // 77 169 neurons, 305 blocks, ~60 slots of 16 B, ~1.3 events per neuron and step, delays of 1 to ~58 steps;
    // or only 2 and more, as with the lists at the barrier): whether the reductions, not DRAM, hold the read up
    {
        constexpr unsigned neurons = 77169;
        constexpr int slots = 60, steps = 512;
        const unsigned grid = (neurons + 255) / 256;
        if (grid <= most) {
            device_buffer<longlong2> ring(static_cast<std::size_t>(slots) * neurons);
            SYNFIRE_CUDA(cudaMemset(ring.data(), 0, ring.size() * sizeof(longlong2)));
            device_buffer<unsigned long long> cycles(1);
            int khz = 0, device = 0;
            SYNFIRE_CUDA(cudaGetDevice(&device));
            SYNFIRE_CUDA(cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device));
            longlong2* rp = ring.data();
            unsigned long long* cp = cycles.data();
            unsigned n = neurons;
            int sl = slots, st = steps;
            for (auto [reds, ahead, spread] : {std::array<int, 3>{0, 1, 58}, std::array<int, 3>{1, 1, 58}, std::array<int, 3>{2, 1, 58},
                                               std::array<int, 3>{1, 2, 57}, std::array<int, 3>{1, 1, 1}}) {
                void* params[] = {&rp, &n, &sl, &st, &reds, &ahead, &spread, &c, &cp};
                SYNFIRE_CUDA(cudaMemset(cp, 0, sizeof(unsigned long long)));
                constexpr int launches = 3;
                const double per = t.seconds(launches, [&] {
                    SYNFIRE_CUDA(cudaMemsetAsync(c, 0, 4));
                    SYNFIRE_CUDA(cudaLaunchCooperativeKernel(reinterpret_cast<const void*>(ring_traffic), dim3(grid), dim3(256), params, 0, nullptr));
                });
                unsigned long long sum = 0;
                SYNFIRE_CUDA(cudaMemcpy(&sum, cp, sizeof sum, cudaMemcpyDeviceToHost));
                const double warps_steps = static_cast<double>(launches + 1) * steps * grid * 8;  // + the warm-up launch
                const std::string what = fmt::format("{} reductions per neuron, {} to {} steps ahead", reds, ahead, ahead + spread - 1);
                rows.push_back({fmt::format("ring read after the barrier ({})", what), grid, khz > 0 ? sum / warps_steps / (khz * 1e3) : 0.0});
                rows.push_back({fmt::format("ring traffic step: read, {}, barrier", what), grid, per / steps});
            }
        }
    }
    return rows;
}

}  // namespace

int main(int argc, char** argv) {
    std::string json;
    std::uint64_t min_n = 10'000, max_n = 1'000'000'000;
    bool latency = true;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
        else if (!std::strcmp(argv[i], "--max-n") && i + 1 < argc) max_n = std::stoull(argv[++i]);
        else if (!std::strcmp(argv[i], "--min-n") && i + 1 < argc) min_n = std::stoull(argv[++i]);
        else if (!std::strcmp(argv[i], "--latency-only")) max_n = 0;
        else if (!std::strcmp(argv[i], "--no-latency")) latency = false;
    }
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::puts("bench_gpu: no CUDA device");
        return 0;
    }
    cudaDeviceProp prop{};
    SYNFIRE_CUDA(cudaGetDeviceProperties(&prop, 0));
    std::printf("bench_gpu on %s (sm %d%d, %d SMs)\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);

    timer t;
    std::vector<latency_row> floors;
    if (latency) {
        floors = latency_floors(prop.multiProcessorCount, t);
        std::printf("\n%-58s %8s %12s\n", "latency floor", "blocks", "time");
        for (const auto& r : floors) std::printf("%-58s %8u %9.3f us\n", r.what.c_str(), r.blocks, r.seconds * 1e6);
    }
    std::vector<row> rows;
    for (std::uint64_t n = min_n; n <= max_n; n *= 10) {
        const auto N = static_cast<std::uint32_t>(n);
        if (!fits(n * 64)) {
            std::printf("N = %llu: does not fit, skipped\n", static_cast<unsigned long long>(n));
            continue;
        }
        const double copy = copy_bandwidth(n * 64, t);
        row a = networked(N, t), l = lean(N, t), b = naive(N, t);
        a.copy_gbs = l.copy_gbs = b.copy_gbs = copy;
        rows.push_back(a);
        rows.push_back(l);
        rows.push_back(b);
        for (int k : {64}) {
            // state 16 B + ramp 4 B per neuron, k bits of bitmap, ids for 1 spike per 16 updates (t_ref = 21 steps)
            if (!fits(n * 20 + n * k / 8 + n * k / 4)) continue;
            auto [u, w] = fused(N, k, t);
            u.copy_gbs = w.copy_gbs = copy;
            rows.push_back(u);
            rows.push_back(w);
        }
    }

    if (!rows.empty()) std::printf("\n%-58s %12s %5s %12s %10s %10s %7s %14s\n", "kernel", "N", "k", "time/launch", "GB/s", "copy GB/s", "% copy",
                "updates/s");
    for (const auto& r : rows) {
        const double gbs = r.bytes / r.seconds / 1e9;
        std::printf("%-58s %12llu %5d %10.3f us %10.1f %10.1f %6.1f%% %14.4g\n", r.kind.c_str(), static_cast<unsigned long long>(r.n),
                    r.steps, r.seconds * 1e6, gbs, r.copy_gbs, 100.0 * gbs / r.copy_gbs, r.updates_per_s);
    }
    if (!json.empty()) {
        std::string out = fmt::format("{{\n  \"device\": \"{}\",\n  \"rows\": [\n", prop.name);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& r = rows[i];
            out += fmt::format(
                "    {{\"kernel\": \"{}\", \"n\": {}, \"steps\": {}, \"seconds\": {:.6e}, \"bytes\": {:.6e}, \"gb_per_s\": {:.2f}, "
                "\"copy_gb_per_s\": {:.2f}, \"fraction_of_copy\": {:.4f}, \"updates_per_s\": {:.6e}}}{}\n",
                r.kind, r.n, r.steps, r.seconds, r.bytes, r.bytes / r.seconds / 1e9, r.copy_gbs, r.bytes / r.seconds / 1e9 / r.copy_gbs,
                r.updates_per_s, i + 1 < rows.size() ? "," : "");
        }
        out += "  ],\n  \"latency\": [\n";
        for (std::size_t i = 0; i < floors.size(); ++i)
            out += fmt::format("    {{\"what\": \"{}\", \"blocks\": {}, \"seconds\": {:.6e}}}{}\n", floors[i].what, floors[i].blocks,
                               floors[i].seconds, i + 1 < floors.size() ? "," : "");
        out += "  ]\n}\n";
        std::FILE* f = std::fopen(json.c_str(), "w");
        if (!f) throw runtime_failure("cannot write " + json);
        std::fputs(out.c_str(), f);
        std::fclose(f);
    }
    return 0;
}
