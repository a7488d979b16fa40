#pragma once
// Reading input data (current traces) from HDF5 files.
#include <cstddef>
#include <string>
#include <vector>

namespace synfire {

/// The dataset's values as float, row-major, with its shape. Throws user_error naming the file and dataset
/// when either is missing or the data is not numeric.
std::vector<float> read_hdf5_floats(const std::string& file, const std::string& dataset, std::vector<std::size_t>& shape);

/// The same as double (ids, exact up to 2^53).
std::vector<double> read_hdf5_doubles(const std::string& file, const std::string& dataset, std::vector<std::size_t>& shape);

}  // namespace synfire
