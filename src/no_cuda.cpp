// The CUDA entry points of a build without CUDA.
#include "synfire/cuda.hpp"
#include "synfire/errors.hpp"

namespace synfire {

bool cuda_built() { return false; }

int cuda_device_count() { return 0; }

std::vector<cuda_device_info> cuda_devices() { return {}; }

std::unique_ptr<backend> make_cuda_backend(const model&, int) {
    throw runtime_failure("--backend cuda: this build of synfire has no CUDA backend (nvcc was not found at configure time)");
}

}  // namespace synfire
