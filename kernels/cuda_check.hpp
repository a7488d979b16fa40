#pragma once
// CUDA error checks and RAII owners for the CUDA backend (host code; includes the CUDA runtime).
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "synfire/errors.hpp"

namespace synfire::cuda {

/// Throws runtime_failure naming the error and where it happened. A sticky error (a kernel fault) is
/// reported as such: the context is unusable afterwards.
inline void check(cudaError_t e, const char* what, const char* file, int line) {
    if (e == cudaSuccess) return;
    throw runtime_failure(fmt::format("CUDA error {} ({}) in {} at {}:{}", cudaGetErrorName(e), cudaGetErrorString(e), what, file, line));
}

}  // namespace synfire::cuda

/// Checks a CUDA runtime call.
#define SYNFIRE_CUDA(call) ::synfire::cuda::check((call), #call, __FILE__, __LINE__)

/// Checks the launch that precedes it; in debug builds also waits for the kernel, so a fault is reported
/// at its launch site.
#ifdef NDEBUG
#define SYNFIRE_CUDA_LAUNCHED(name) ::synfire::cuda::check(cudaGetLastError(), name, __FILE__, __LINE__)
#else
#define SYNFIRE_CUDA_LAUNCHED(name)                                                    \
    do {                                                                               \
        ::synfire::cuda::check(cudaGetLastError(), name, __FILE__, __LINE__);          \
        ::synfire::cuda::check(cudaDeviceSynchronize(), name, __FILE__, __LINE__);     \
    } while (0)
#endif

namespace synfire::cuda {

namespace detail {
struct device_memory {
    static void allocate(void** p, std::size_t bytes) { SYNFIRE_CUDA(cudaMalloc(p, bytes)); }
    static void release(void* p) { cudaFree(p); }
};
struct pinned_memory {
    static void allocate(void** p, std::size_t bytes) { SYNFIRE_CUDA(cudaMallocHost(p, bytes)); }
    static void release(void* p) { cudaFreeHost(p); }
};
}  // namespace detail

/// n elements of T in device memory (device_buffer) or page-locked host memory (pinned_buffer).
template <class T, class Memory>
class cuda_buffer {
public:
    cuda_buffer() = default;
    explicit cuda_buffer(std::size_t n) : n_(n) {
        if (n) Memory::allocate(reinterpret_cast<void**>(&p_), n * sizeof(T));
    }
    cuda_buffer(cuda_buffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
    cuda_buffer& operator=(cuda_buffer&& o) noexcept {
        std::swap(p_, o.p_);
        std::swap(n_, o.n_);
        return *this;
    }
    cuda_buffer(const cuda_buffer&) = delete;
    cuda_buffer& operator=(const cuda_buffer&) = delete;
    ~cuda_buffer() {
        if (p_) Memory::release(p_);
    }
    T* data() const { return p_; }
    std::size_t size() const { return n_; }
    T& operator[](std::size_t i) const { return p_[i]; }  ///< host memory only

private:
    T* p_ = nullptr;
    std::size_t n_ = 0;
};

template <class T>
using device_buffer = cuda_buffer<T, detail::device_memory>;
template <class T>
using pinned_buffer = cuda_buffer<T, detail::pinned_memory>;

class stream {
public:
    stream() { SYNFIRE_CUDA(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    ~stream() { cudaStreamDestroy(s_); }
    operator cudaStream_t() const { return s_; }  // NOLINT: reads like the handle
    void synchronize() const { SYNFIRE_CUDA(cudaStreamSynchronize(s_)); }

private:
    cudaStream_t s_ = nullptr;
};

/// An instantiated CUDA graph (replayed with launch()).
class graph_exec {
public:
    graph_exec() = default;
    graph_exec(const graph_exec&) = delete;
    graph_exec& operator=(const graph_exec&) = delete;
    ~graph_exec() { reset(); }
    /// Ends the capture running on s and instantiates what it recorded.
    void end_capture(cudaStream_t s) {
        reset();
        cudaGraph_t g = nullptr;
        SYNFIRE_CUDA(cudaStreamEndCapture(s, &g));
        const cudaError_t e = cudaGraphInstantiate(&exec_, g, 0);
        cudaGraphDestroy(g);
        SYNFIRE_CUDA(e);
    }
    void launch(cudaStream_t s) const { SYNFIRE_CUDA(cudaGraphLaunch(exec_, s)); }
    explicit operator bool() const { return exec_ != nullptr; }
    void reset() {
        if (exec_) cudaGraphExecDestroy(exec_);
        exec_ = nullptr;
    }

private:
    cudaGraphExec_t exec_ = nullptr;
};

/// An event that records time, for the phase split.
class timed_event {
public:
    timed_event() { SYNFIRE_CUDA(cudaEventCreate(&e_)); }
    timed_event(const timed_event&) = delete;
    timed_event& operator=(const timed_event&) = delete;
    ~timed_event() { cudaEventDestroy(e_); }
    operator cudaEvent_t() const { return e_; }  // NOLINT
    void record(cudaStream_t s) { SYNFIRE_CUDA(cudaEventRecord(e_, s)); }

private:
    cudaEvent_t e_ = nullptr;
};

class event {
public:
    event() { SYNFIRE_CUDA(cudaEventCreateWithFlags(&e_, cudaEventDisableTiming)); }
    event(const event&) = delete;
    event& operator=(const event&) = delete;
    ~event() { cudaEventDestroy(e_); }
    operator cudaEvent_t() const { return e_; }  // NOLINT
    void record(cudaStream_t s) { SYNFIRE_CUDA(cudaEventRecord(e_, s)); }
    void synchronize() const { SYNFIRE_CUDA(cudaEventSynchronize(e_)); }

private:
    cudaEvent_t e_ = nullptr;
};

}  // namespace synfire::cuda
