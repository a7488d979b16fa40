#include "synfire/hdf5_input.hpp"

#include <hdf5.h>

#include <filesystem>

#include <fmt/format.h>

#include "synfire/errors.hpp"

namespace synfire {

namespace {

template <class T>
std::vector<T> read_numbers(const std::string& file, const std::string& dataset, std::vector<std::size_t>& shape, hid_t mem_type) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) throw user_error(fmt::format("{}: no such file", file));
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) throw user_error(fmt::format("{}: not an HDF5 file", file));
    const hid_t d = H5Lexists(f, dataset.c_str(), H5P_DEFAULT) > 0 ? H5Dopen2(f, dataset.c_str(), H5P_DEFAULT) : -1;
    if (d < 0) {
        H5Fclose(f);
        throw user_error(fmt::format("{}: no dataset {}", file, dataset));
    }
    const hid_t type = H5Dget_type(d);
    const H5T_class_t cls = H5Tget_class(type);
    H5Tclose(type);
    const hid_t space = H5Dget_space(d);
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    H5Sclose(space);
    shape.assign(dims.begin(), dims.end());
    std::size_t count = 1;
    for (auto x : dims) count *= static_cast<std::size_t>(x);
    std::vector<T> data;
    herr_t status = 0;
    if ((cls == H5T_FLOAT || cls == H5T_INTEGER) && rank >= 1) {
        data.resize(count);
        if (count) status = H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
    }
    H5Dclose(d);
    H5Fclose(f);
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) throw user_error(fmt::format("{}:{} is not numeric", file, dataset));
    if (rank < 1) throw user_error(fmt::format("{}:{} is a scalar; expected [samples] or [samples x neurons]", file, dataset));
    if (status < 0) throw user_error(fmt::format("{}:{} could not be read", file, dataset));
    return data;
}

}  // namespace

std::vector<float> read_hdf5_floats(const std::string& file, const std::string& dataset, std::vector<std::size_t>& shape) {
    return read_numbers<float>(file, dataset, shape, H5T_NATIVE_FLOAT);
}

std::vector<double> read_hdf5_doubles(const std::string& file, const std::string& dataset, std::vector<std::size_t>& shape) {
    return read_numbers<double>(file, dataset, shape, H5T_NATIVE_DOUBLE);
}

}  // namespace synfire
