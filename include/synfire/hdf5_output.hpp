#pragma once
// HDF5 output in the SONATA layout, written by a background thread.
//
//   /                        attributes: synfire_version, model_name, model_source, dt [ms], steps,
//                            duration [ms], seed, backend, device, ranks; steps_completed (the steps the
//                            file holds in full, raised at every flush); at the end:
//                            wall_time [s], real_time_factor, writer_wait [s], synaptic_events,
//                            time_<phase> [s] per phase of the step (time_update, time_delivery, ...,
//                            time_recording: the host's time in the recorders), completed
//   /config/model            the model file as run (UTF-8 string, attribute format = "toml")
//   /spikes                  one group per recorded population:
//   /spikes/<pop>            attribute sorting = by_time (SONATA enum: none 0, by_id 1, by_time 2)
//   /spikes/<pop>/timestamps float64 [ms], attribute units = "ms"
//   /spikes/<pop>/node_ids   uint64, population-local
//
// The file is written in SWMR mode: datasets grow in chunks and every flush leaves a consistent file, so a
// killed run keeps everything up to its last flush. So does a run whose write failed (a full disk): the
// writer leaves the file as it is rather than close it. Such a file still carries the writer's "open for
// writing" mark: SWMR readers (h5py.File(path, "r", swmr=True)) open it as it is, other readers after
// repair_hdf5_output (`synfire repair`).
#include <cstdint>
#include <memory>
#include <string>

#include "synfire/model.hpp"
#include "synfire/output.hpp"

namespace synfire {

struct hdf5_run_info {
    std::string backend;
    std::string device;
    int ranks = 1;
    bool compress = true;  ///< shuffle + deflate on spike and rate datasets (about 10x smaller, costs writer CPU)
    int compress_threads = 1;  ///< threads that deflate whole chunks of spikes at once (the writer's helpers)
};

/// Cores this process may run on: its CPU affinity (a batch job's share, not the whole node), at least 1.
int usable_cores();

/// Clears the "open for writing" mark that a killed run leaves in its file (as `h5clear -s` does), so that
/// readers other than SWMR readers open it. The data stay as they were at the last flush. A file shorter
/// than its superblock records (a flush that failed on a full disk) is first extended with zeros to that
/// size; returns the bytes so appended (0 for the usual killed run).
std::uint64_t repair_hdf5_output(const std::string& path);

/// What open_hdf5_output refuses before it writes anything, as user_error: a folder, an existing file
/// without overwrite, a missing directory, a file or directory this process may not write (Permission
/// denied, Read-only file system). For checks before a long setup (the CLI calls it before the backend).
void check_hdf5_output(const std::string& path, bool overwrite);

/// Creates the file; refuses an existing one unless overwrite and the rest check_hdf5_output refuses
/// (user_error). Throws runtime_failure on I/O errors.
std::unique_ptr<output_sink> open_hdf5_output(const std::string& path, bool overwrite, const model& m,
                                              const hdf5_run_info& info);

}  // namespace synfire
