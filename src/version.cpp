#include "synfire/version.hpp"

namespace synfire {

const char* version() { return SYNFIRE_VERSION; }

const char* build_info() {
    return "compiler: " SYNFIRE_COMPILER "\n"
           "build type: " SYNFIRE_BUILD_TYPE "\n"
           "OpenMP: " SYNFIRE_OPENMP "\n"
           "CUDA: " SYNFIRE_CUDA "\n"
           "HDF5: " SYNFIRE_HDF5 "\n";
}

}  // namespace synfire
