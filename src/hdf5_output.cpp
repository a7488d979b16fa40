#include "synfire/hdf5_output.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <type_traits>
#include <memory>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string_view>
#include <thread>
#include <variant>


#include <fmt/format.h>

#include "synfire/errors.hpp"
#include "team.hpp"
#include "synfire/version.hpp"

namespace synfire {
namespace {

// ---------------------------------------------------------------- HDF5 handles and checks

/// Why the last HDF5 call of this thread failed, from its error stack (read before the next call clears it):
/// the operating system's message where the file driver recorded one ("No space left on device",
/// "Permission denied"), else the innermost error's description; empty when the stack holds nothing.
std::string h5_cause() {
    struct found {
        std::string os, innermost;
    } f;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
            auto& f = *static_cast<found*>(data);
            const std::string desc = e->desc ? e->desc : "";
            if (n == 0) f.innermost = desc;
            // the sec2 driver's text: "..., errno = 28, error message = 'No space left on device', ..."
            constexpr std::string_view key = "error message = '";
            if (const auto at = desc.find(key); f.os.empty() && at != std::string::npos) {
                const auto from = at + key.size();
                f.os = desc.substr(from, desc.find('\'', from) - from);
            }
            return 0;
        },
        &f);
    return f.os.empty() ? f.innermost : f.os;
}

[[noreturn]] void fail(const std::string& what) {
    const std::string cause = h5_cause();
    throw runtime_failure(cause.empty() ? fmt::format("HDF5: {} failed", what) : fmt::format("{} (HDF5: {} failed)", cause, what));
}

/// Owns an HDF5 identifier and closes it with the matching H5?close.
class h5id {
public:
    h5id() = default;
    h5id(hid_t id, herr_t (*close)(hid_t), const char* what) : id_(id), close_(close) {
        if (id < 0) fail(what);
    }
    h5id(h5id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
    h5id& operator=(h5id&& o) noexcept {
        std::swap(id_, o.id_);
        std::swap(close_, o.close_);
        return *this;
    }
    h5id(const h5id&) = delete;
    h5id& operator=(const h5id&) = delete;
    ~h5id() {
        if (id_ >= 0) close_(id_);
    }
    operator hid_t() const { return id_; }  // NOLINT: handles read like hid_t
    /// Forgets the identifier without closing it (a file abandoned after a failed write).
    void abandon() { id_ = -1; }
    void close() {
        if (id_ >= 0) {
            const herr_t e = close_(id_);
            id_ = -1;
            if (e < 0) fail("closing a handle");
        }
    }

private:
    hid_t id_ = -1;
    herr_t (*close_)(hid_t) = nullptr;
};

void check(herr_t e, const std::string& what) {
    if (e < 0) fail(what);
}

h5id scalar_space() { return {H5Screate(H5S_SCALAR), H5Sclose, "H5Screate"}; }

h5id utf8_string_type() {
    h5id t(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
    check(H5Tset_size(t, H5T_VARIABLE), "H5Tset_size");
    check(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset");
    return t;
}

void write_attr(hid_t obj, const char* name, hid_t type, const void* value) {
    if (H5Aexists(obj, name) > 0) check(H5Adelete(obj, name), fmt::format("deleting attribute {}", name));
    const h5id space = scalar_space();
    const h5id a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, name);
    check(H5Awrite(a, type, value), fmt::format("writing attribute {}", name));
}
void write_attr(hid_t obj, const char* name, const std::string& v) {
    const h5id t = utf8_string_type();
    const char* p = v.c_str();
    write_attr(obj, name, t, &p);
}
void write_attr(hid_t obj, const char* name, double v) { write_attr(obj, name, H5T_NATIVE_DOUBLE, &v); }
void write_attr(hid_t obj, const char* name, std::int64_t v) { write_attr(obj, name, H5T_NATIVE_INT64, &v); }
void write_attr(hid_t obj, const char* name, std::uint64_t v) { write_attr(obj, name, H5T_NATIVE_UINT64, &v); }

/// Overwrites an existing attribute's value in place: a SWMR writer may change attributes, not add them.
void update_attr(hid_t obj, const char* name, std::int64_t v) {
    const h5id a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, name);
    check(H5Awrite(a, H5T_NATIVE_INT64, &v), fmt::format("writing attribute {}", name));
}

/// SONATA's sorting enum: none 0, by_id 1, by_time 2 over an unsigned byte, as libsonatareport writes it.
void write_sorting_by_time(hid_t group) {
    const h5id t(H5Tenum_create(H5T_STD_U8LE), H5Tclose, "H5Tenum_create");
    const std::uint8_t none = 0, by_id = 1, by_time = 2;
    check(H5Tenum_insert(t, "none", &none), "H5Tenum_insert");
    check(H5Tenum_insert(t, "by_id", &by_id), "H5Tenum_insert");
    check(H5Tenum_insert(t, "by_time", &by_time), "H5Tenum_insert");
    write_attr(group, "sorting", t, &by_time);
}

constexpr hsize_t chunk_elements = hsize_t{1} << 16;

/// An empty, unlimited, chunked and compressed 1-d dataset.
h5id create_growing(hid_t parent, const char* name, hid_t type, bool compress) {
    const hsize_t dims = 0, maxdims = H5S_UNLIMITED;
    const h5id space(H5Screate_simple(1, &dims, &maxdims), H5Sclose, "H5Screate_simple");
    const h5id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
    check(H5Pset_chunk(dcpl, 1, &chunk_elements), "H5Pset_chunk");
    if (compress && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
        check(H5Pset_shuffle(dcpl), "H5Pset_shuffle");
        check(H5Pset_deflate(dcpl, 1), "H5Pset_deflate");
    }
    return {H5Dcreate2(parent, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, name};
}

/// An empty 2-d dataset of `columns` columns that grows by rows, chunked, not compressed: sampled membrane
/// potentials barely compress (their mantissas are noise) and deflate would cost the run a core.
constexpr hsize_t max_chunk_columns = 16384;
/// Rows of a chunk of a dataset of `columns` columns (about 2^18 values a chunk).
hsize_t chunk_rows(hsize_t columns) { return std::max<hsize_t>(1, (hsize_t{1} << 18) / std::min(columns, max_chunk_columns)); }

h5id create_growing_rows(hid_t parent, const char* name, hid_t type, hsize_t columns) {
    const hsize_t dims[2] = {0, columns}, maxdims[2] = {H5S_UNLIMITED, columns};
    const h5id space(H5Screate_simple(2, dims, maxdims), H5Sclose, "H5Screate_simple");
    const h5id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
    const hsize_t chunk[2] = {chunk_rows(columns), std::min(columns, max_chunk_columns)};
    check(H5Pset_chunk(dcpl, 2, chunk), "H5Pset_chunk");
    return {H5Dcreate2(parent, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, name};
}

/// Appends rows x columns values to a 2-d growing dataset that holds `size` rows.
void append_rows(hid_t dset, hid_t mem_type, const void* data, hsize_t size, hsize_t rows, hsize_t columns) {
    if (rows == 0) return;
    const hsize_t new_dims[2] = {size + rows, columns};
    check(H5Dset_extent(dset, new_dims), "H5Dset_extent");
    const h5id file_space(H5Dget_space(dset), H5Sclose, "H5Dget_space");
    const hsize_t start[2] = {size, 0}, count[2] = {rows, columns};
    check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab");
    const h5id mem_space(H5Screate_simple(2, count, nullptr), H5Sclose, "H5Screate_simple");
    check(H5Dwrite(dset, mem_type, mem_space, file_space, H5P_DEFAULT, data), "H5Dwrite");
}

/// A small fixed 1-d dataset written at once.
template <class T>
h5id write_array(hid_t parent, const char* name, hid_t file_type, hid_t mem_type, const std::vector<T>& v) {
    const hsize_t n = v.size();
    const h5id space(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple");
    h5id d(H5Dcreate2(parent, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, name);
    if (n) check(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), fmt::format("writing {}", name));
    return d;
}

h5id create_group(hid_t parent, const std::string& name) {
    return {H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, name.c_str()};
}

/// Appends n elements to a 1-d growing dataset that holds `size` elements.
void append(hid_t dset, hid_t mem_type, const void* data, hsize_t size, hsize_t n) {
    if (n == 0) return;
    const hsize_t new_size = size + n;
    check(H5Dset_extent(dset, &new_size), "H5Dset_extent");
    const h5id file_space(H5Dget_space(dset), H5Sclose, "H5Dget_space");
    check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &size, nullptr, &n, nullptr), "H5Sselect_hyperslab");
    const h5id mem_space(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple");
    check(H5Dwrite(dset, mem_type, mem_space, file_space, H5P_DEFAULT, data), "H5Dwrite");
}

// ---------------------------------------------------------------- whole chunks, written directly

/// HDF5's shuffle filter: byte j of element i goes to position j * n + i.
void shuffle_bytes(const unsigned char* in, std::size_t n, std::size_t size, unsigned char* out) {
    for (std::size_t j = 0; j < size; ++j)
        for (std::size_t i = 0; i < n; ++i) out[j * n + i] = in[i * size + j];
}

/// A growing dataset of T written a whole chunk at a time: 1-d (chunk_elements per chunk) or 2-d, growing by
/// rows of `columns` values, chunked by whole rows (create_growing_rows, one chunk across all columns).
/// Values are staged until their chunk is full; full chunks go to the file with H5Dwrite_chunk, shuffled and
/// deflated as the dataset's filter pipeline would (in parallel, by `threads` threads) when it is filtered,
/// as they are when not. A flush writes the staged tail through the pipeline (H5Dwrite, a partial chunk);
/// when that chunk fills, it is written whole again (a direct write evicts HDF5's cached copy).
template <class T>
class chunked_column {
public:
    chunked_column() = default;
    /// 1-d.
    chunked_column(h5id dset, hid_t mem_type, bool filtered, int threads)
        : dset_(std::move(dset)), mem_type_(mem_type), filtered_(filtered), threads_(std::max(1, threads)), chunk_rows_(chunk_elements) {}
    /// 2-d of `columns` columns (at most max_chunk_columns: one chunk across a row), chunks of chunk_rows rows.
    chunked_column(h5id dset, hid_t mem_type, hsize_t columns, hsize_t chunk_rows)
        : dset_(std::move(dset)), mem_type_(mem_type), rank_(2), columns_(columns), chunk_rows_(chunk_rows) {}

    hid_t id() const { return dset_; }
    void abandon() { dset_.abandon(); }
    /// Makes room for n more values at the end (not initialised; 2-d: whole rows) and returns where they go.
    T* grow(std::size_t n) {
        if (size_ + n > capacity_) {
            const std::size_t capacity = std::max(size_ + n, 2 * capacity_);
            std::unique_ptr<T[]> more(new T[capacity]);  // trivial T: left uninitialised
            if (size_) std::memcpy(more.get(), staged_.get(), size_ * sizeof(T));
            staged_ = std::move(more);
            capacity_ = capacity;
        }
        size_ += n;
        return staged_.get() + size_ - n;
    }
    /// Writes every full chunk staged.
    void write_full_chunks() {
        const std::size_t per_chunk = chunk_rows_ * columns_;
        const std::size_t full = size_ / per_chunk;
        if (full == 0) return;
        extend(base_ + full * chunk_rows_);
        const std::size_t bytes = per_chunk * sizeof(T);
        const auto* raw = reinterpret_cast<const unsigned char*>(staged_.get());
        if (filtered_) {
            if (packed_.size() < full) packed_.resize(full);
            if (shuffled_.size() < static_cast<std::size_t>(threads_)) shuffled_.assign(static_cast<std::size_t>(threads_), std::vector<unsigned char>(bytes));
            std::vector<int> failed(full, Z_OK);
#pragma omp parallel num_threads(threads_) if (threads_ > 1 && full > 1)
            {
                auto& shuffled = shuffled_[this_thread_in_team().me];
#pragma omp for schedule(dynamic, 1)
                for (std::size_t c = 0; c < full; ++c) {
                    shuffle_bytes(raw + c * bytes, per_chunk, sizeof(T), shuffled.data());
                    auto& out = packed_[c];
                    uLongf size = compressBound(bytes);
                    out.resize(size);
                    failed[c] = compress2(out.data(), &size, shuffled.data(), bytes, 1);
                    out.resize(size);
                }
            }
            for (std::size_t c = 0; c < full; ++c) {
                if (failed[c] != Z_OK) throw runtime_failure(fmt::format("deflating a chunk failed (zlib error {})", failed[c]));
                write_chunk(base_ + c * chunk_rows_, packed_[c].data(), packed_[c].size());
            }
        } else {
            for (std::size_t c = 0; c < full; ++c) write_chunk(base_ + c * chunk_rows_, raw + c * bytes, bytes);
        }
        size_ -= full * per_chunk;  // the partial chunk left to the front
        std::memmove(staged_.get(), staged_.get() + full * per_chunk, size_ * sizeof(T));
        base_ += full * chunk_rows_;
    }
    /// Writes the staged values of the last, partial chunk through the filter pipeline (kept staged).
    void write_tail() {
        write_full_chunks();
        if (size_ == 0) return;
        const hsize_t rows = size_ / columns_;
        extend(base_ + rows);
        const hsize_t start[2] = {base_, 0}, count[2] = {rows, columns_};
        const h5id file_space(H5Dget_space(dset_), H5Sclose, "H5Dget_space");
        check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab");
        const h5id mem_space(H5Screate_simple(rank_, count, nullptr), H5Sclose, "H5Screate_simple");
        check(H5Dwrite(dset_, mem_type_, mem_space, file_space, H5P_DEFAULT, staged_.get()), "H5Dwrite");
    }

private:
    void extend(hsize_t rows) {
        if (rows <= extent_) return;
        const hsize_t dims[2] = {rows, columns_};
        check(H5Dset_extent(dset_, dims), "H5Dset_extent");
        extent_ = rows;
    }
    void write_chunk(hsize_t row, const void* data, std::size_t bytes) {
        const hsize_t offset[2] = {row, 0};
        check(H5Dwrite_chunk(dset_, H5P_DEFAULT, 0, offset, bytes, data), "H5Dwrite_chunk");
    }

    h5id dset_;
    hid_t mem_type_ = -1;
    bool filtered_ = false;
    int threads_ = 1;
    int rank_ = 1;
    hsize_t columns_ = 1, chunk_rows_ = chunk_elements;
    static_assert(std::is_trivially_copyable_v<T>, "staged values are copied as bytes");
    std::unique_ptr<T[]> staged_;  ///< size_ values from row base_ (a chunk boundary) on
    std::size_t size_ = 0, capacity_ = 0;
    hsize_t base_ = 0, extent_ = 0;  ///< rows
    std::vector<std::vector<unsigned char>> packed_;    ///< one compressed chunk each
    std::vector<std::vector<unsigned char>> shuffled_;  ///< one shuffled chunk per thread
};

// ---------------------------------------------------------------- the writer

class hdf5_writer final : public output_sink {
public:
    hdf5_writer(const std::string& path, bool overwrite, const model& m, const hdf5_run_info& info) try
        : path_(path), model_(m), compress_(info.compress), threads_(std::max(1, info.compress_threads)) {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions, not stderr dumps
        const h5id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
        check(H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "H5Pset_libver_bounds");
        file_ = h5id(H5Fcreate(path.c_str(), overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, fapl), H5Fclose, "H5Fcreate");

        // SONATA's file marks (its developer guide: magic 0x0A7A, version [major, minor]; libsonata's writers
        // put them on every spikes and report file)
        const std::uint32_t magic = 0x0A7A;
        write_attr(file_, "magic", H5T_STD_U32LE, &magic);
        {
            const hsize_t two = 2;
            const h5id space(H5Screate_simple(1, &two, nullptr), H5Sclose, "H5Screate_simple");
            const h5id a(H5Acreate2(file_, "version", H5T_STD_U32LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "version");
            const std::uint32_t sonata_version[2] = {0, 1};
            check(H5Awrite(a, H5T_NATIVE_UINT32, sonata_version), "writing attribute version");
        }
        write_attr(file_, "synfire_version", std::string(version()));
        write_attr(file_, "model_name", m.name);
        write_attr(file_, "model_source", m.source);
        write_attr(file_, "dt", m.dt);
        write_attr(file_, "steps", m.steps);
        write_attr(file_, "duration", m.duration_ms());
        write_attr(file_, "seed", m.seed);
        write_attr(file_, "backend", info.backend);
        write_attr(file_, "device", info.device);
        write_attr(file_, "ranks", std::int64_t{info.ranks});
        write_attr(file_, "completed", std::int64_t{0});
        write_attr(file_, "steps_completed", std::int64_t{0});  // raised by every flush

        {
            const h5id config(H5Gcreate2(file_, "config", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "config");
            const h5id t = utf8_string_type();
            const h5id space = scalar_space();
            const h5id d(H5Dcreate2(config, "model", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose, "config/model");
            const char* text = m.text.c_str();
            check(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text), "writing config/model");
            write_attr(d, "format", std::string("toml"));
        }

        const h5id spikes(H5Gcreate2(file_, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "spikes");
        populations_.resize(m.populations.size());
        for (const auto& r : m.spike_recorders) {
            const std::string& name = m.populations[r.population].name;
            const h5id g(H5Gcreate2(spikes, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, name.c_str());
            write_sorting_by_time(g);
            auto& pop = populations_[r.population];
            const bool filtered = info.compress && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0;  // as create_growing decides
            h5id times = create_growing(g, "timestamps", H5T_IEEE_F64LE, info.compress);
            write_attr(times, "units", std::string("ms"));
            pop.timestamps = chunked_column<double>(std::move(times), H5T_NATIVE_DOUBLE, filtered, info.compress_threads);
            pop.node_ids = chunked_column<std::uint64_t>(create_growing(g, "node_ids", H5T_STD_U64LE, info.compress), H5T_NATIVE_UINT64, filtered,
                                                         info.compress_threads);
        }
        create_reports(m);
        create_rates(m);
        check(H5Fflush(file_, H5F_SCOPE_GLOBAL), "H5Fflush");
        check(H5Fstart_swmr_write(file_), "H5Fstart_swmr_write");
        thread_ = std::thread([this] { run(); });
    } catch (const runtime_failure& e) {
        throw runtime_failure(fmt::format("{}: {}", path, e.what()));
    }

    ~hdf5_writer() override {
        // An abandoned run (exception) still leaves a readable file with what was written.
        stop_thread();
        if (error_) abandon_file();
    }

    void write(spike_batch&& b) override { enqueue(std::move(b)); }
    void write(state_batch&& b) override { enqueue(std::move(b)); }
    void write(rate_batch&& b) override { enqueue(std::move(b)); }

    void reuse(spike_batch& b) override {
        {
            std::lock_guard lock(mutex_);
            if (!spare_spikes_.empty() && b.ids.capacity() < spare_spikes_.back().ids.capacity()) {
                std::swap(b.ids, spare_spikes_.back().ids);
                std::swap(b.run_steps, spare_spikes_.back().run_steps);
                std::swap(b.run_ends, spare_spikes_.back().run_ends);
                spare_spikes_.pop_back();
            }
        }
        output_sink::reuse(b);
    }
    void reuse(state_batch& b) override {
        {
            std::lock_guard lock(mutex_);
            if (!spare_states_.empty() && b.values.capacity() < spare_states_.back().values.capacity()) {
                std::swap(b.steps, spare_states_.back().steps);
                std::swap(b.values, spare_states_.back().values);
                spare_states_.pop_back();
            }
        }
        output_sink::reuse(b);
    }

    void flush(std::int64_t steps_done) override {
        std::lock_guard lock(mutex_);
        rethrow_locked();
        queue_.emplace_back(flush_request{steps_done});
        not_empty_.notify_one();
    }

    void finish(const run_totals& totals) override {
        stop_thread();
        {
            std::lock_guard lock(mutex_);
            rethrow_locked();
        }
        try {
            write_totals(totals);
        } catch (const runtime_failure& e) {
            throw runtime_failure(fmt::format("{}: {}", path_, e.what()));
        }
    }

private:
    void write_totals(const run_totals& totals) {
        for (auto& p : populations_) p = {};
        reports_.clear();
        rates_.clear();
        file_.close();
        // SWMR files take no new attributes while open for writing: reopen to add the totals.
        const h5id f(H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "reopening the file");
        write_attr(f, "steps_completed", totals.steps_done);
        write_attr(f, "wall_time", totals.wall_time_s);
        write_attr(f, "real_time_factor", totals.real_time_factor);
        write_attr(f, "writer_wait", totals.writer_wait_s);
        write_attr(f, "synaptic_events", totals.synaptic_events);
        for (const auto& [phase, seconds] : totals.phases) write_attr(f, ("time_" + phase).c_str(), seconds);
        write_attr(f, "completed", std::int64_t{totals.completed ? 1 : 0});
    }

    struct flush_request {
        std::int64_t steps_done = 0;
    };
    using job = std::variant<spike_batch, state_batch, rate_batch, flush_request>;

    static std::size_t bytes_of(const job& j) {
        if (auto* b = std::get_if<spike_batch>(&j)) return b->ids.size() * sizeof(std::uint32_t) + b->run_steps.size() * 16;
        if (auto* b = std::get_if<state_batch>(&j)) return b->values.size() * sizeof(float) + b->steps.size() * sizeof(std::int64_t);
        if (auto* b = std::get_if<rate_batch>(&j)) return b->rates.size() * sizeof(double);
        return 0;
    }

    void enqueue(job&& j) {
        const std::size_t bytes = bytes_of(j);
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return queued_bytes_ < max_queued_bytes || error_ || stopping_; });
        rethrow_locked();
        queued_bytes_ += bytes;
        queue_.emplace_back(std::move(j));
        not_empty_.notify_one();
    }

    /// One SONATA frame report per recorded variable: /report/<population>/<variable>/{data, mapping/...}, and the
    /// first of them (V_m where recorded) also where SONATA readers look, /report/<population>/{data, mapping}:
    /// hard links to the same objects (the guide's one report per population; libsonata opens exactly these).
    void create_reports(const model& m) {
        if (m.state_recorders.empty()) return;
        const h5id report = create_group(file_, "report");
        for (const auto& r : m.state_recorders) {
            const population& pop = m.populations[r.population];
            const h5id g = create_group(report, pop.name);
            auto& rep = reports_.emplace_back();
            rep.recorder = &r;
            rep.E_L = pop.params.E_L;
            rep.first_time = static_cast<double>((r.start / r.interval + 1) * r.interval) * m.dt;
            rep.interval = static_cast<double>(r.interval) * m.dt;
            const std::size_t n_rec = r.ids.size();
            const std::pair<state_variable, const char*> names[] = {{V_m, "V_m"}, {I_syn_ex, "I_syn_ex"}, {I_syn_in, "I_syn_in"}};
            for (int v = 0, gathered = 0; v < 3; ++v) {
                if (!(r.variables & names[v].first)) continue;
                const h5id vg = create_group(g, names[v].second);
                auto& var = rep.variables.emplace_back();
                var.gathered = gathered++;
                var.voltage = v == 0;
                h5id data = create_growing_rows(vg, "data", H5T_IEEE_F32LE, n_rec);
                write_attr(data, "units", std::string(v == 0 ? "mV" : "pA"));
                write_attr(data, "variable", std::string(names[v].second));
                if (n_rec <= max_chunk_columns)  // a chunk spans whole rows: written a chunk at a time
                    var.rows = chunked_column<float>(std::move(data), H5T_NATIVE_FLOAT, n_rec, chunk_rows(n_rec));
                else
                    var.data = std::move(data);
                const h5id mapping = create_group(vg, "mapping");
                std::vector<std::uint64_t> node_ids(r.ids.begin(), r.ids.end()), pointers(n_rec + 1);
                for (std::size_t j = 0; j <= n_rec; ++j) pointers[j] = j;
                const h5id ids = write_array(mapping, "node_ids", H5T_STD_U64LE, H5T_NATIVE_UINT64, node_ids);
                const std::uint8_t sorted = 1;  // recorder ids are sorted (SONATA's optional `sorted`: readers skip their sort)
                write_attr(ids, "sorted", H5T_STD_U8LE, &sorted);
                write_array(mapping, "index_pointers", H5T_STD_U64LE, H5T_NATIVE_UINT64, pointers);
                write_array(mapping, "element_ids", H5T_STD_U32LE, H5T_NATIVE_UINT32, std::vector<std::uint32_t>(n_rec, 0));
                var.time = write_array(mapping, "time", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                       std::vector<double>{rep.first_time, rep.first_time, rep.interval});
                write_attr(var.time, "units", std::string("ms"));
                if (rep.variables.size() == 1) {
                    check(H5Lcreate_hard(vg, "data", g, "data", H5P_DEFAULT, H5P_DEFAULT), "linking the report's data");
                    check(H5Lcreate_hard(vg, "mapping", g, "mapping", H5P_DEFAULT, H5P_DEFAULT), "linking the report's mapping");
                }
            }
        }
    }

    /// /rates/<population>/{rate [Hz], time [ms]}: one value per bin, time = the bin's start.
    void create_rates(const model& m) {
        if (m.rate_recorders.empty()) return;
        const h5id rates = create_group(file_, "rates");
        for (const auto& r : m.rate_recorders) {
            const population& pop = m.populations[r.population];
            const h5id g = create_group(rates, pop.name);
            write_attr(g, "bin", static_cast<double>(r.bin) * m.dt);
            write_attr(g, "neurons", static_cast<std::uint64_t>(r.ids.empty() ? pop.n : r.ids.size()));
            auto& out = rates_.emplace_back();
            out.start = static_cast<double>(r.start) * m.dt;
            out.bin = static_cast<double>(r.bin) * m.dt;
            out.rate = create_growing(g, "rate", H5T_IEEE_F64LE, compress_);
            write_attr(out.rate, "units", std::string("Hz"));
            out.time = create_growing(g, "time", H5T_IEEE_F64LE, compress_);
            write_attr(out.time, "units", std::string("ms"));
        }
    }

    void write_states(const state_batch& b) {
        auto& rep = reports_.at(b.recorder);
        const std::size_t n_rec = rep.recorder->ids.size();
        const std::size_t frames = b.steps.size();
        const std::size_t gathered = b.values.size() / std::max<std::size_t>(frames * n_rec, 1);
        for (auto& var : rep.variables) {
            const bool direct = var.rows.id() >= 0;
            if (!direct) rows_.resize(frames * n_rec);  // kept between batches (no fresh pages for every one)
            float* rows = direct ? var.rows.grow(frames * n_rec) : rows_.data();
            // the recorder's variable out of the gathered frames, potentials relative to 0 mV (by the helpers)
#pragma omp parallel for num_threads(threads_) if (threads_ > 1 && frames * n_rec >= chunk_elements) schedule(static)
            for (std::ptrdiff_t f = 0; f < static_cast<std::ptrdiff_t>(frames); ++f)
                for (std::size_t j = 0; j < n_rec; ++j) {
                    const float x = b.values[(static_cast<std::size_t>(f) * gathered + static_cast<std::size_t>(var.gathered)) * n_rec + j];
                    rows[static_cast<std::size_t>(f) * n_rec + j] = var.voltage ? static_cast<float>(static_cast<double>(x) + rep.E_L) : x;
                }
            if (direct) var.rows.write_full_chunks();
            else append_rows(var.data, H5T_NATIVE_FLOAT, rows, rep.frames, frames, n_rec);
        }
        rep.frames += frames;  // mapping/time follows at the next flush, once these rows are in the file
    }

    void write_rates(const rate_batch& b) {
        auto& r = rates_.at(b.recorder);
        std::vector<double> time(b.rates.size());
        for (std::size_t j = 0; j < time.size(); ++j) time[j] = r.start + static_cast<double>(b.first_bin + static_cast<std::int64_t>(j)) * r.bin;
        append(r.rate, H5T_NATIVE_DOUBLE, b.rates.data(), r.size, b.rates.size());
        append(r.time, H5T_NATIVE_DOUBLE, time.data(), r.size, time.size());
        r.size += b.rates.size();
    }

    struct report_variable {
        int gathered = 0;  ///< position among the backend's gathered variables
        bool voltage = false;
        chunked_column<float> rows;  ///< the data, a chunk at a time (up to max_chunk_columns recorded neurons)
        h5id data, time;             ///< data: the same, wider, written through HDF5's chunk cache
    };
    struct report {
        const state_recorder* recorder = nullptr;
        double E_L = 0, first_time = 0, interval = 0;
        hsize_t frames = 0;        ///< frames handed to HDF5
        hsize_t frames_named = 0;  ///< frames mapping/time names (those in the file at the last flush)
        std::vector<report_variable> variables;
    };
    struct rate_datasets {
        double start = 0, bin = 0;
        h5id rate, time;
        hsize_t size = 0;
    };

    struct population_datasets {
        chunked_column<double> timestamps;
        chunked_column<std::uint64_t> node_ids;
    };

    static constexpr std::size_t max_queued_bytes = std::size_t{64} << 20;
    static constexpr std::size_t max_spare = 2;  ///< written batches of each kind kept for reuse (one in the writer, one refilled)

    void rethrow_locked() {
        if (error_) std::rethrow_exception(error_);
    }

    void stop_thread() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            not_empty_.notify_one();
        }
        if (thread_.joinable()) thread_.join();
    }

    /// A writer's failure as the user sees it: the file named, the cause first, and what the file now holds
    /// (it is abandoned as its last flush left it: abandon_file).
    std::exception_ptr naming_the_file(std::exception_ptr e) const {
        try {
            std::rethrow_exception(e);
        } catch (const runtime_failure& f) {
            return std::make_exception_ptr(runtime_failure(
                fmt::format("{}: {}\n{} holds the run up to its last flush ({} ms, steps_completed = {}); "
                            "`synfire repair {}` makes it readable by any HDF5 reader",
                            path_, f.what(), path_, model_.spike_time_ms(flushed_steps_ - 1), flushed_steps_, path_)));
        } catch (...) {
            return e;
        }
    }

    void run() {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // each thread has its own error stack and printing
        for (;;) {
            job j;
            {
                std::unique_lock lock(mutex_);
                not_empty_.wait(lock, [&] { return !queue_.empty() || stopping_; });
                if (queue_.empty()) break;  // stopping, and everything written
                j = std::move(queue_.front());
                queue_.pop_front();
            }
            try {
                if (auto* b = std::get_if<spike_batch>(&j)) write_batch(*b);
                else if (auto* st = std::get_if<state_batch>(&j)) write_states(*st);
                else if (auto* rt = std::get_if<rate_batch>(&j)) write_rates(*rt);
                else flush_file(std::get<flush_request>(j).steps_done);
                std::lock_guard lock(mutex_);
                queued_bytes_ -= bytes_of(j);
                // the written batch's storage goes back to the recorders (reuse), a few batches at most
                if (auto* b = std::get_if<spike_batch>(&j); b && spare_spikes_.size() < max_spare) spare_spikes_.push_back(std::move(*b));
                if (auto* st = std::get_if<state_batch>(&j); st && spare_states_.size() < max_spare) spare_states_.push_back(std::move(*st));
                not_full_.notify_all();
            } catch (...) {
                std::lock_guard lock(mutex_);
                error_ = naming_the_file(std::current_exception());
                queue_.clear();
                not_full_.notify_all();
                break;
            }
        }
        try {
            if (!error_) flush_file(flushed_steps_);
        } catch (...) {
            std::lock_guard lock(mutex_);
            error_ = naming_the_file(std::current_exception());
        }
    }

    /// Everything written so far to the file, staged spikes included, and the file flushed; then
    /// steps_completed raised to steps_done and flushed again, so that it never names steps the file lacks.
    void flush_file(std::int64_t steps_done) {
        for (auto& p : populations_) {
            if (p.timestamps.id() < 0) continue;
            p.timestamps.write_tail();
            p.node_ids.write_tail();
        }
        for (auto& rep : reports_)
            for (auto& var : rep.variables)
                if (var.rows.id() >= 0) var.rows.write_tail();
        check(H5Fflush(file_, H5F_SCOPE_GLOBAL), "H5Fflush");
        // what names the rows follows them (a kill between the two flushes leaves it behind, never ahead):
        // each report's mapping/time [start, stop, step] stops after its frames in the file, then steps_completed
        bool named = false;
        for (auto& rep : reports_) {
            if (rep.frames == rep.frames_named) continue;
            const std::vector<double> time = {rep.first_time, rep.first_time + static_cast<double>(rep.frames) * rep.interval, rep.interval};
            for (auto& var : rep.variables) check(H5Dwrite(var.time, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, time.data()), "writing mapping/time");
            rep.frames_named = rep.frames;
            named = true;
        }
        if (steps_done > flushed_steps_) {
            update_attr(file_, "steps_completed", steps_done);
            named = true;
        }
        if (named) check(H5Fflush(file_, H5F_SCOPE_GLOBAL), "H5Fflush");
        flushed_steps_ = std::max(flushed_steps_, steps_done);
    }

    /// After a failed write the file stays as the writer left it: SWMR-consistent, steps_completed from its
    /// last flush. Closing it would write HDF5's metadata once more to a disk that just failed, and HDF5 1.10
    /// crashes at exit on a file whose close failed. So its handles are dropped unclosed and its descriptor
    /// is pointed at /dev/null, where whatever HDF5 still writes (at exit) fails without touching the file.
    /// A flush that failed halfway may have written a superblock that records more than the disk took, which
    /// readers refuse ("truncated file"): the file is first extended to what HDF5 allocated, a hole where the
    /// disk is full (repair_hdf5_output does the same where this fails, e.g. past a file size limit).
    void abandon_file() noexcept {
        if (const hid_t fapl = H5Fget_access_plist(file_); fapl >= 0) {
            void* handle = nullptr;
            if (H5Pget_driver(fapl) == H5FD_SEC2 && H5Fget_vfd_handle(file_, fapl, &handle) >= 0 && handle) {
                const int fd = *static_cast<int*>(handle);
                haddr_t eoa = 0;
                struct stat st {};
                if (H5Fget_eoa(file_, &eoa) >= 0 && ::fstat(fd, &st) == 0 && static_cast<haddr_t>(st.st_size) < eoa)
                    (void)!::ftruncate(fd, static_cast<off_t>(eoa));
                const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null >= 0) {
                    ::dup2(null, fd);
                    ::close(null);
                }
            }
            H5Pclose(fapl);
        }
        for (auto& p : populations_) {
            p.timestamps.abandon();
            p.node_ids.abandon();
        }
        for (auto& rep : reports_)
            for (auto& var : rep.variables) {
                var.rows.abandon();
                var.data.abandon();
                var.time.abandon();
            }
        for (auto& r : rates_) {
            r.rate.abandon();
            r.time.abandon();
        }
        file_.abandon();
    }

    void write_batch(const spike_batch& b) {
        auto& pop = populations_.at(b.population);
        const std::size_t n = b.ids.size();
        double* times = pop.timestamps.grow(n);
        std::uint64_t* ids = pop.node_ids.grow(n);
        const auto runs = static_cast<std::ptrdiff_t>(b.run_steps.size());
        run_times_.resize(b.run_steps.size());
        model_.spike_times_ms(b.run_steps.data(), b.run_steps.size(), run_times_.data());
        const bool parallel = threads_ > 1 && n >= chunk_elements;
        // one time per run (step), spread over its spikes; the ids widened to SONATA's uint64
#pragma omp parallel num_threads(threads_) if (parallel)
        {
#pragma omp for schedule(static) nowait
            for (std::ptrdiff_t r = 0; r < runs; ++r) {
                const std::size_t first = r ? b.run_ends[static_cast<std::size_t>(r) - 1] : 0;
                std::fill(times + first, times + b.run_ends[static_cast<std::size_t>(r)], run_times_[static_cast<std::size_t>(r)]);
            }
#pragma omp for schedule(static)
            for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(n); ++i) ids[i] = b.ids[static_cast<std::size_t>(i)];
        }
        pop.timestamps.write_full_chunks();
        pop.node_ids.write_full_chunks();
    }

    std::string path_;
    const model& model_;
    bool compress_;
    int threads_;  ///< helper threads (deflate, and the expansion of spike batches)
    h5id file_;
    std::vector<population_datasets> populations_;
    std::vector<report> reports_;
    std::vector<rate_datasets> rates_;
    std::vector<double> run_times_;
    std::vector<float> rows_;  ///< one report variable's frames, as written
    std::int64_t flushed_steps_ = 0;  ///< steps_completed in the file (the writer thread's)

    std::mutex mutex_;
    std::condition_variable not_empty_, not_full_;
    std::deque<job> queue_;
    std::size_t queued_bytes_ = 0;
    std::vector<spike_batch> spare_spikes_;  ///< written, for reuse (their storage; under mutex_)
    std::vector<state_batch> spare_states_;
    bool stopping_ = false;
    std::exception_ptr error_;
    std::thread thread_;
};

}  // namespace

int usable_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

namespace {

/// Where a file's superblock (version 2 or 3, 8-byte addresses: what synfire writes) says the file ends, or
/// 0 where it finds none. The superblock lies at 0, 512, 1024, 2048, ... (after a user block).
std::uint64_t recorded_end(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    constexpr unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    for (std::uint64_t at = 0;; at = at ? 2 * at : 512) {
        // signature, version, sizes of offsets and lengths, flags; base, extension, end-of-file addresses
        unsigned char sb[12 + 3 * 8];
        in.seekg(static_cast<std::streamoff>(at));
        if (!in.read(reinterpret_cast<char*>(sb), sizeof sb)) return 0;
        if (std::memcmp(sb, signature, sizeof signature) != 0) continue;
        if (sb[8] < 2 || sb[9] != 8) return 0;
        const auto address = [&](int i) {
            std::uint64_t v = 0;
            for (int b = 7; b >= 0; --b) v = v << 8 | sb[12 + 8 * i + b];  // little-endian
            return v;
        };
        return address(0) + address(2);
    }
}

/// The length of a 1-d dataset, or of the first dimension of a 2-d one.
hsize_t rows_of(hid_t d) {
    const h5id space(H5Dget_space(d), H5Sclose, "H5Dget_space");
    hsize_t dims[2] = {0, 0};
    check(H5Sget_simple_extent_dims(space, dims, nullptr), "H5Sget_simple_extent_dims");
    return dims[0];
}

/// Entries [0, n) of a 1-d float64 dataset.
std::vector<double> read_doubles(hid_t d, hsize_t first, hsize_t n) {
    std::vector<double> v(n);
    if (n == 0) return v;
    const h5id file_space(H5Dget_space(d), H5Sclose, "H5Dget_space");
    check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &first, nullptr, &n, nullptr), "H5Sselect_hyperslab");
    const h5id mem(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple");
    check(H5Dread(d, H5T_NATIVE_DOUBLE, mem, file_space, H5P_DEFAULT, v.data()), "H5Dread");
    return v;
}

/// A stopped run's file (completed = 0) keeps only what its last flush wrote in full: a write that failed
/// after it (a full disk) can have grown a dataset whose chunk never arrived, a hole read as zeros. Spikes are
/// cut after the last one at or before steps_completed (their times ascend until then), reports after the
/// frames mapping/time names, rates after the last bin that ends by then.
void trim_to_steps_completed(hid_t f) {
    auto int_attr = [&](const char* name) {
        std::int64_t v = 0;
        const h5id a(H5Aopen(f, name, H5P_DEFAULT), H5Aclose, name);
        check(H5Aread(a, H5T_NATIVE_INT64, &v), name);
        return v;
    };
    if (H5Aexists(f, "completed") <= 0 || int_attr("completed") != 0 || H5Aexists(f, "steps_completed") <= 0) return;
    double dt = 0;
    {
        const h5id a(H5Aopen(f, "dt", H5P_DEFAULT), H5Aclose, "dt");
        check(H5Aread(a, H5T_NATIVE_DOUBLE, &dt), "dt");
    }
    const double limit = static_cast<double>(int_attr("steps_completed")) * dt * (1 + 1e-12);
    auto shrink = [](hid_t d, hsize_t keep) {
        if (keep < rows_of(d)) {
            const h5id space(H5Dget_space(d), H5Sclose, "H5Dget_space");
            hsize_t dims[2] = {0, 0};
            const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
            dims[0] = keep;
            if (rank < 1) fail("H5Sget_simple_extent_dims");
            check(H5Dset_extent(d, dims), "H5Dset_extent");
        }
    };
    auto each_group = [&](const char* top, auto&& fn) {
        if (H5Lexists(f, top, H5P_DEFAULT) <= 0) return;
        const h5id g(H5Gopen2(f, top, H5P_DEFAULT), H5Gclose, top);
        hsize_t n = 0;
        check(H5Gget_num_objs(g, &n), "H5Gget_num_objs");
        for (hsize_t i = 0; i < n; ++i) {
            char name[256];
            if (H5Gget_objname_by_idx(g, i, name, sizeof name) < 0) fail("H5Gget_objname_by_idx");
            const h5id sub(H5Gopen2(g, name, H5P_DEFAULT), H5Gclose, name);
            fn(static_cast<hid_t>(sub));
        }
    };
    each_group("spikes", [&](hid_t pop) {
        const h5id t(H5Dopen2(pop, "timestamps", H5P_DEFAULT), H5Dclose, "timestamps");
        const h5id ids(H5Dopen2(pop, "node_ids", H5P_DEFAULT), H5Dclose, "node_ids");
        const hsize_t n = std::min(rows_of(t), rows_of(ids));
        hsize_t keep = 0;
        double last = -1.0;
        for (hsize_t at = 0; at < n && keep == at; at += hsize_t{1} << 20) {
            for (const double x : read_doubles(t, at, std::min<hsize_t>(hsize_t{1} << 20, n - at))) {
                if (!(x <= limit && x >= last)) break;
                last = x;
                ++keep;
            }
        }
        shrink(t, keep);
        shrink(ids, keep);
    });
    each_group("report", [&](hid_t pop) {
        hsize_t n = 0;
        check(H5Gget_num_objs(pop, &n), "H5Gget_num_objs");
        for (hsize_t i = 0; i < n; ++i) {
            char name[256];
            if (H5Gget_objname_by_idx(pop, i, name, sizeof name) < 0) fail("H5Gget_objname_by_idx");
            if (H5Gget_objtype_by_idx(pop, i) != H5G_GROUP || std::string_view(name) == "mapping") continue;
            const h5id var(H5Gopen2(pop, name, H5P_DEFAULT), H5Gclose, name);
            const h5id time(H5Dopen2(var, "mapping/time", H5P_DEFAULT), H5Dclose, "mapping/time");
            const std::vector<double> t = read_doubles(time, 0, 3);  // [start, stop, step]
            const h5id data(H5Dopen2(var, "data", H5P_DEFAULT), H5Dclose, "data");
            shrink(data, static_cast<hsize_t>(std::llround((t[1] - t[0]) / t[2])));
        }
    });
    each_group("rates", [&](hid_t pop) {
        double bin = 0;
        const h5id a(H5Aopen(pop, "bin", H5P_DEFAULT), H5Aclose, "bin");
        check(H5Aread(a, H5T_NATIVE_DOUBLE, &bin), "bin");
        const h5id rate(H5Dopen2(pop, "rate", H5P_DEFAULT), H5Dclose, "rate");
        const h5id time(H5Dopen2(pop, "time", H5P_DEFAULT), H5Dclose, "time");
        const hsize_t n = std::min(rows_of(rate), rows_of(time));
        hsize_t keep = 0;
        double last = -1.0;
        for (const double x : read_doubles(time, 0, n)) {  // one entry per bin: small
            if (!(x + bin <= limit && x > last)) break;
            last = x;
            ++keep;
        }
        shrink(rate, keep);
        shrink(time, keep);
    });
}

}  // namespace

std::uint64_t repair_hdf5_output(const std::string& path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw user_error(fmt::format("{}: no such file", path));
#if H5_VERSION_GE(1, 12, 0)
    const htri_t hdf5 = H5Fis_accessible(path.c_str(), H5P_DEFAULT);
#else
    const htri_t hdf5 = H5Fis_hdf5(path.c_str());
#endif
    if (hdf5 == 0) throw user_error(fmt::format("{}: not an HDF5 file", path));
    // A run whose flush failed on a full disk can leave a superblock that records more than the disk took,
    // and HDF5 refuses such a "truncated file". What the last complete flush wrote lies before the end it
    // recorded, so zeros (a hole) in place of the missing tail make the file readable again.
    const std::uint64_t end = recorded_end(path);
    std::uint64_t appended = 0;
    if (const auto size = std::filesystem::file_size(path, ec); !ec && size < end) {
        std::filesystem::resize_file(path, end, ec);
        if (ec) throw runtime_failure(fmt::format("{}: extending it to the {} bytes its superblock records failed: {}", path, end, ec.message()));
        appended = end - size;
    }
    const h5id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate");
    // The property h5clear uses; public through H5Pset by name since HDF5 1.10.
    constexpr const char* clear_flags = "clear_status_flags";
    if (H5Pexist(fapl, clear_flags) <= 0) throw runtime_failure("this HDF5 library cannot clear a file's status flags (needs 1.10 or later)");
    hbool_t yes = true;
    check(H5Pset(fapl, clear_flags, &yes), "H5Pset(clear_status_flags)");
    const h5id f(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl), H5Fclose, fmt::format("opening {}", path).c_str());
    trim_to_steps_completed(f);
    return appended;
}

void check_hdf5_output(const std::string& path, bool overwrite) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw user_error(fmt::format("{}: is a folder; name the output file with -o", path));
    // symlink_status: a dangling link exists too (HDF5 would refuse it with "File exists")
    const bool exists = fs::exists(fs::symlink_status(path, ec));
    if (!overwrite && exists)
        throw user_error(fmt::format("{}: output file exists; pass --force to overwrite it or -o to choose another", path));
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::exists(parent, ec))
        throw user_error(fmt::format("{}: cannot write output: directory {} does not exist", path, parent.string()));
    if (!parent.empty() && !fs::is_directory(parent, ec))
        throw user_error(fmt::format("{}: cannot write output: {} is not a directory", path, parent.string()));
    // what HDF5 would fail on only after the run's setup, and then as a runtime failure
    if (exists && fs::exists(path, ec)) {
        if (::access(path.c_str(), W_OK) != 0) throw user_error(fmt::format("{}: cannot write output: {}", path, std::strerror(errno)));
    } else {
        const std::string dir = parent.empty() ? "." : parent.string();
        if (::access(dir.c_str(), W_OK | X_OK) != 0)
            throw user_error(fmt::format("{}: cannot write output: directory {}: {}", path, dir, std::strerror(errno)));
    }
}

std::unique_ptr<output_sink> open_hdf5_output(const std::string& path, bool overwrite, const model& m,
                                              const hdf5_run_info& info) {
    check_hdf5_output(path, overwrite);
    return std::make_unique<hdf5_writer>(path, overwrite, m, info);
}

}  // namespace synfire
