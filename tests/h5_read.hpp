#pragma once
// Minimal HDF5 reading for tests (the C API, independent of the writer's code).
#include <hdf5.h>

#include <algorithm>
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
        const hssize_t n = H5Sget_simple_extent_npoints(s);  // all elements, any rank, row-major
        std::vector<T> v(static_cast<std::size_t>(std::max<hssize_t>(n, 0)));
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

namespace synfire::test {

/// Every dataset and attribute of a, compared with b byte for byte, except the attributes named in skip.
/// Returns "" when equal, else what differs.
inline std::string compare_files(const std::string& a, const std::string& b, const std::vector<std::string>& skip) {
    struct ctx {
        hid_t other;
        const std::vector<std::string>* skip;
        std::string diff;
    };
    auto read_bytes = [](hid_t obj, bool attr, std::vector<unsigned char>& out, hid_t& type) {
        type = attr ? H5Aget_type(obj) : H5Dget_type(obj);
        const hid_t native = H5Tget_native_type(type, H5T_DIR_ASCEND);
        const hid_t space = attr ? H5Aget_space(obj) : H5Dget_space(obj);
        const hssize_t n = H5Sget_simple_extent_npoints(space);
        out.assign(static_cast<std::size_t>(n) * H5Tget_size(native), 0);
        if (H5Tis_variable_str(type) > 0) {  // compare the strings, not the pointers
            std::vector<char*> ptrs(static_cast<std::size_t>(n));
            if (attr) H5Aread(obj, native, ptrs.data());
            else H5Dread(obj, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data());
            out.clear();
            for (char* p : ptrs) out.insert(out.end(), p, p + std::char_traits<char>::length(p) + 1);
            H5Dvlen_reclaim(native, space, H5P_DEFAULT, ptrs.data());
        } else if (n > 0) {
            if (attr) H5Aread(obj, native, out.data());
            else H5Dread(obj, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data());
        }
        H5Sclose(space);
        H5Tclose(native);
    };
    // a skip entry ending in '*' is a prefix
    auto skipped = [](const std::vector<std::string>& skip, const std::string& name) {
        for (const auto& s : skip)
            if (s == name || (!s.empty() && s.back() == '*' && name.compare(0, s.size() - 1, s, 0, s.size() - 1) == 0)) return true;
        return false;
    };
    auto names_of = [&](hid_t obj, const std::vector<std::string>& skip) {
        std::vector<std::string> names;
        const int n = H5Aget_num_attrs(obj);
        for (int i = 0; i < n; ++i) {
            const hid_t a = H5Aopen_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_INC, static_cast<hsize_t>(i), H5P_DEFAULT, H5P_DEFAULT);
            char name[256] = {};
            H5Aget_name(a, sizeof name, name);
            H5Aclose(a);
            if (!skipped(skip, name)) names.push_back(name);
        }
        return names;
    };
    auto compare_attrs = [&](hid_t obj_a, hid_t obj_b, const std::string& path, ctx& c) {
        if (names_of(obj_a, *c.skip) != names_of(obj_b, *c.skip)) c.diff += path + ": attribute names differ\n";
        const int na = H5Aget_num_attrs(obj_a);
        for (int i = 0; i < na; ++i) {
            const hid_t aa = H5Aopen_by_idx(obj_a, ".", H5_INDEX_NAME, H5_ITER_INC, static_cast<hsize_t>(i), H5P_DEFAULT, H5P_DEFAULT);
            char name[256] = {};
            H5Aget_name(aa, sizeof name, name);
            if (!skipped(*c.skip, name)) {
                const hid_t ab = H5Aopen(obj_b, name, H5P_DEFAULT);
                if (ab < 0) {
                    c.diff += path + "@" + name + ": missing\n";
                } else {
                    std::vector<unsigned char> va, vb;
                    hid_t ta, tb;
                    read_bytes(aa, true, va, ta);
                    read_bytes(ab, true, vb, tb);
                    if (va != vb || H5Tequal(ta, tb) <= 0) c.diff += path + "@" + name + ": differs\n";
                    H5Tclose(ta);
                    H5Tclose(tb);
                    H5Aclose(ab);
                }
            }
            H5Aclose(aa);
        }
    };
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t fa = H5Fopen(a.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t fb = H5Fopen(b.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fa < 0 || fb < 0) return "cannot open both files";
    ctx c{fb, &skip, {}};
    const hid_t ra = H5Gopen2(fa, "/", H5P_DEFAULT), rb = H5Gopen2(fb, "/", H5P_DEFAULT);  // the root group's attributes
    compare_attrs(ra, rb, "/", c);
    H5Gclose(ra);
    H5Gclose(rb);
    struct visit_ctx {
        ctx* c;
        decltype(compare_attrs)* attrs;
        decltype(read_bytes)* bytes;
    } v{&c, &compare_attrs, &read_bytes};
    H5Ovisit(
        fa, H5_INDEX_NAME, H5_ITER_INC,
        [](hid_t root, const char* name, const H5O_info_t* info, void* data) -> herr_t {
            auto& v = *static_cast<visit_ctx*>(data);
            if (std::string(name) == ".") return 0;
            if (H5Lexists(v.c->other, name, H5P_DEFAULT) <= 0) {
                v.c->diff += std::string(name) + ": missing\n";
                return 0;
            }
            const hid_t oa = H5Oopen(root, name, H5P_DEFAULT);
            const hid_t ob = H5Oopen(v.c->other, name, H5P_DEFAULT);
            (*v.attrs)(oa, ob, name, *v.c);
            if (info->type == H5O_TYPE_DATASET) {
                std::vector<unsigned char> da, db;
                hid_t ta, tb;
                (*v.bytes)(oa, false, da, ta);
                (*v.bytes)(ob, false, db, tb);
                if (da != db || H5Tequal(ta, tb) <= 0) v.c->diff += std::string(name) + ": data differ\n";
                H5Tclose(ta);
                H5Tclose(tb);
            }
            H5Oclose(oa);
            H5Oclose(ob);
            return 0;
        },
        &v);
    H5Fclose(fa);
    H5Fclose(fb);
    return c.diff;
}

}  // namespace synfire::test
