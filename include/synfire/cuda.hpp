#pragma once
// The CUDA backend's host interface. No CUDA types here: this header is included by builds without CUDA.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "synfire/backend.hpp"
#include "synfire/model.hpp"

namespace synfire {

/// Sizes the CUDA backend is built around.
namespace gpu_limits {
inline constexpr int max_window = 64;                                     ///< steps per fused kernel launch
inline constexpr std::uint64_t bitmap_budget = std::uint64_t{512} << 20;  ///< bytes of one window's spike bitmap per population
inline constexpr std::uint64_t chunk_words = 256;                         ///< bitmap words per compaction block
inline constexpr int windows_in_flight = 3;                              ///< windows launched ahead of the host's collection (buffers for each)
inline constexpr std::uint64_t floyd_scratch = std::uint64_t{256} << 20;  ///< device synapse build: Floyd's sets of all threads (one thread's set at least)
inline constexpr unsigned barrier_sleep_ns = 32;                          ///< grid barrier: sleep between polls (SYNFIRE_CUDA_BARRIER_SLEEP)
}  // namespace gpu_limits

/// Device memory the on-device synapse build holds on top of the finished table while it runs [bytes]: the
/// larger of its drawing phase (a cursor per source, Floyd's sets, explicit lists, the offset scan's temporary
/// storage, bounded by 1 B per source plus 1 MiB) and its sorting phase (a second copy of the synapses, 16 B
/// each, and the segmented sort's temporary storage, bounded by 16 B per source plus 1 MiB). All of it is
/// freed before the build returns.
std::uint64_t synapse_build_transient(std::uint64_t synapses, std::uint64_t neurons, std::uint64_t floyd_bytes, std::uint64_t list_bytes);

struct cuda_device_info {
    int index = 0;
    std::string name;
    int major = 0, minor = 0;          ///< compute capability
    int multiprocessors = 0;
    std::uint64_t total_bytes = 0;
    std::uint64_t free_bytes = 0;
};

/// Whether this build has the CUDA backend.
bool cuda_built();

/// Number of CUDA devices this process can use (0 without a driver, a device or a CUDA build); cheap.
int cuda_device_count();

/// The devices with their properties and free memory (creates a context on each).
std::vector<cuda_device_info> cuda_devices();

/// What the CUDA backend allocates on the device for a model [bytes], computed on the host before any
/// allocation (the preflight, and `synfire check`).
struct gpu_memory_plan {
    int window = 1;                 ///< steps per window (fused kernel launch)
    std::uint64_t state = 0;        ///< packed neuron state, 16 B (iaf_psc_exp) or 8 B (iaf_psc_delta) per neuron
    std::uint64_t currents = 0;     ///< per-neuron stimulus current (4 B per neuron) and the inputs of inputs.hpp: masks, Poisson tables, events, traces
    std::uint64_t bitmaps = 0;      ///< spike bitmaps, one bit per neuron and step, a window per slot (windows_in_flight)
    std::uint64_t spikes = 0;       ///< compacted spike ids of a window (initial capacity; grows on demand)
    std::uint64_t scratch = 0;      ///< compaction counts, offsets and scan storage, state-recorder frames
    std::uint64_t synapses = 0;     ///< the synapse table (16 B per synapse, 8 B per neuron) and input rings
    std::uint64_t construction = 0; ///< held only while the table is built on the device (synapse_build_transient)
    /// What stays allocated while the simulation runs.
    std::uint64_t total() const { return state + currents + bitmaps + spikes + scratch + synapses; }
    /// The most the backend holds at once, whenever during setup the table is built.
    std::uint64_t peak() const { return total() + construction; }
};
/// deferred_delivery: the plan with deferred delivery's buffers (two spike lists and each source's split of
/// its synapses by delay: 24 B per neuron more in networks); lists_at_barrier with it: a third list (16 B
/// per neuron more).
gpu_memory_plan cuda_memory_plan(const model& m, bool deferred_delivery, bool lists_at_barrier = false);
/// The plan for the switches of this process's environment (as the backend will read them): deferred
/// delivery counted unless SYNFIRE_CUDA_DEFERRED=0 (the persistent window kernel, the default where it fits,
/// uses it; whether it fits is known only on the device), the third list with SYNFIRE_CUDA_LISTS_AT_BARRIER=1.
gpu_memory_plan cuda_memory_plan(const model& m);

/// SYNFIRE_CUDA_DEFERRED as env_switch reads it: 1 deferred delivery on every step path, 0 on none, -1 (unset)
/// with the persistent window kernel only.
int cuda_deferred_delivery_setting();

/// SYNFIRE_CUDA_LISTS_AT_BARRIER as env_switch reads it, 1 also where SYNFIRE_CUDA_CLAIMED_LISTS=1: the
/// persistent window kernel delivers each step's list while the grid gathers at the next barrier (with
/// deferred delivery); 0 or -1 (unset) not.
int cuda_lists_at_barrier_setting();

/// The CUDA backend on device `device`. Checks first that the plan fits in the device's free memory and
/// throws runtime_failure ("needs X GiB, device has Y GiB free") before allocating anything if not;
/// throws runtime_failure without a CUDA build or device.
std::unique_ptr<backend> make_cuda_backend(const model& m, int device = 0);

}  // namespace synfire
