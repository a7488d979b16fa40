#pragma once
// Minimal HDF5 reading for tests (the C API, independent of the writer's code).
#include <hdf5.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace synfire::test {

class h5_file {
public:
    explicit h5_file(const std::string& path) {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        id_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        if (id_ < 0) throw std::runtime_error("cannot open " + path);
    }
    ~h5_file() { H5Fclose(id_); }
    h5_file(const h5_file&) = delete;
    h5_file& operator=(const h5_file&) = delete;

    bool exists(const std::string& path) const { return H5Lexists(id_, path.c_str(), H5P_DEFAULT) > 0; }

    template <class T>
    std::vector<T> read(const std::string& path, hid_t mem_type) const {
        const hid_t d = H5Dopen2(id_, path.c_str(), H5P_DEFAULT);
        if (d < 0) throw std::runtime_error("no dataset " + path);
        const hid_t s = H5Dget_space(d);
        hsize_t n = 0;
        H5Sget_simple_extent_dims(s, &n, nullptr);
        std::vector<T> v(n);
        if (n) H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
        H5Sclose(s);
        H5Dclose(d);
        return v;
    }
    std::vector<double> doubles(const std::string& path) const { return read<double>(path, H5T_NATIVE_DOUBLE); }
    std::vector<std::uint64_t> uint64s(const std::string& path) const { return read<std::uint64_t>(path, H5T_NATIVE_UINT64); }

    /// The class of a dataset's file type and its size in bytes.
    std::pair<H5T_class_t, std::size_t> type_of(const std::string& path) const {
        const hid_t d = H5Dopen2(id_, path.c_str(), H5P_DEFAULT);
        const hid_t t = H5Dget_type(d);
        std::pair<H5T_class_t, std::size_t> r{H5Tget_class(t), H5Tget_size(t)};
        H5Tclose(t);
        H5Dclose(d);
        return r;
    }

    std::string string_dataset(const std::string& path) const {
        const hid_t d = H5Dopen2(id_, path.c_str(), H5P_DEFAULT);
        const hid_t t = H5Dget_type(d);
        char* p = nullptr;
        H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p);
        std::string s = p ? p : "";
        const hid_t space = H5Dget_space(d);
        H5Dvlen_reclaim(t, space, H5P_DEFAULT, &p);
        H5Sclose(space);
        H5Tclose(t);
        H5Dclose(d);
        return s;
    }

    std::string string_attr(const std::string& obj, const std::string& name) const {
        const hid_t a = H5Aopen_by_name(id_, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        if (a < 0) throw std::runtime_error("no attribute " + obj + "@" + name);
        const hid_t t = H5Aget_type(a);
        char* p = nullptr;
        H5Aread(a, t, &p);
        std::string s = p ? p : "";
        H5free_memory(p);
        H5Tclose(t);
        H5Aclose(a);
        return s;
    }

    template <class T>
    T numeric_attr(const std::string& obj, const std::string& name, hid_t mem_type) const {
        const hid_t a = H5Aopen_by_name(id_, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        if (a < 0) throw std::runtime_error("no attribute " + obj + "@" + name);
        T v{};
        H5Aread(a, mem_type, &v);
        H5Aclose(a);
        return v;
    }
    double double_attr(const std::string& obj, const std::string& name) const { return numeric_attr<double>(obj, name, H5T_NATIVE_DOUBLE); }
    std::int64_t int_attr(const std::string& obj, const std::string& name) const { return numeric_attr<std::int64_t>(obj, name, H5T_NATIVE_INT64); }

    /// Name of an enum attribute's value (SONATA sorting).
    std::string enum_attr(const std::string& obj, const std::string& name) const {
        const hid_t a = H5Aopen_by_name(id_, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        const hid_t t = H5Aget_type(a);
        std::string out;
        if (H5Tget_class(t) == H5T_ENUM) {
            signed char v = 0;
            H5Aread(a, t, &v);
            char buf[64] = {};
            if (H5Tenum_nameof(t, &v, buf, sizeof buf) >= 0) out = buf;
        }
        H5Tclose(t);
        H5Aclose(a);
        return out;
    }

private:
    hid_t id_ = -1;
};

}  // namespace synfire::test
