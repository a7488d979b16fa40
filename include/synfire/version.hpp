#pragma once

namespace synfire {

/// synfire's version, e.g. "0.1.0".
const char* version();

/// One line per build option (compiler, OpenMP, CUDA, HDF5).
const char* build_info();

}  // namespace synfire
