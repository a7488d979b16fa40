// synfire command line: run, check, info, plot, repair, --version.
// Exit codes: 0 success, 1 runtime failure (I/O, memory, device), 2 bad input (nothing written), 128 + the
// signal for a run stopped by SIGINT (130) or SIGTERM (143).
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <hdf5.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "synfire/backend.hpp"
#include "synfire/cuda.hpp"
#include "synfire/errors.hpp"
#include "synfire/hdf5_output.hpp"
#include "synfire/model_file.hpp"
#include "synfire/simulation.hpp"
#include "synfire/summary.hpp"
#include "synfire/version.hpp"
#include "plot.hpp"

namespace {

constexpr int exit_runtime = 1;
constexpr int exit_bad_input = 2;

/// Threads of a CPU run at most: libgomp fails to create 40 000 and crashes at 65 535, and no machine has
/// this many cores (results do not depend on the count, more threads than cores only cost time).
constexpr int max_threads = 4096;

/// The signal that asked the run to stop (SIGINT, SIGTERM: Slurm's time limit), 0 while none did.
std::atomic<int> stop_signal{0};

extern "C" void on_stop_signal(int sig) { stop_signal.store(sig); }

/// SIGINT and SIGTERM stop the run cleanly: the windows in flight finish, the output is flushed and closed.
void catch_stop_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

struct model_options {
    std::string path;               ///< empty: the built-in default
    std::vector<std::string> sets;  ///< --set KEY=VALUE
};

struct run_options {
    model_options model;
    std::string output;
    std::string backend = "auto";
    int threads = 0;
    double flush_interval = 5.0;
    std::string compression = "deflate";
    bool force = false;
    bool quiet = false;
};

synfire::model load(const model_options& o) {
    return o.path.empty() ? synfire::load_default_model(o.sets) : synfire::load_model_file(o.path, o.sets);
}

/// --threads: a whole number of threads, at least 1 (CLI11's PositiveNumber would print its range, up to
/// DBL_MAX, and pass 1.5 on to a conversion error).
CLI::Validator thread_count() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            char* end = nullptr;
            errno = 0;
            const long long v = std::strtoll(s.c_str(), &end, 10);
            if (s.empty() || *end != '\0' || errno == ERANGE || v < 1) return fmt::format("expected a positive integer, got {}", s);
            if (v > max_threads) return fmt::format("at most {} threads, got {}", max_threads, s);
            return {};
        },
        "", "thread_count");
}

/// --flush-interval: NaN compares false with everything, so a plain "> 0" check lets it through, and a
/// run flushed every NaN seconds never flushes.
CLI::Validator positive_seconds() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            char* end = nullptr;
            const double v = std::strtod(s.c_str(), &end);
            if (s.empty() || *end != '\0' || !std::isfinite(v) || v <= 0)
                return fmt::format("expected a positive, finite number of seconds, got {}", s);
            return {};
        },
        "", "positive_seconds");
}

/// -o: an empty name would fall back to the default without a word.
CLI::Validator non_empty(const char* what) {
    return CLI::Validator(
        [what](std::string& s) -> std::string { return s.empty() ? fmt::format("expected {}, got an empty string", what) : std::string(); },
        "", "non_empty");
}

void add_model_options(CLI::App* cmd, model_options& o) {
    cmd->add_option("MODEL", o.path, "model file (TOML); default: the built-in F-I sweep data/models/fi_curve.toml");
    cmd->add_option("--set", o.sets, "override a model key, e.g. --set populations.E.params.I_e=400 (repeatable)")
        ->type_name("KEY=VALUE");
}

/// Without --threads a CPU run takes OpenMP's count, which OMP_NUM_THREADS sets; held to max_threads too.
void check_openmp_threads() {
#ifdef _OPENMP
    if (omp_get_max_threads() <= max_threads) return;
    const char* env = std::getenv("OMP_NUM_THREADS");
    throw synfire::user_error(env ? fmt::format("OMP_NUM_THREADS={}: at most {} threads; set it lower or pass --threads", env, max_threads)
                                  : fmt::format("OpenMP's default of {} threads is more than {}; pass --threads", omp_get_max_threads(), max_threads));
#endif
}

/// cpu, cuda, or auto: the GPU when this build has the CUDA backend and a device is present.
std::unique_ptr<synfire::backend> make_backend(const run_options& o, const synfire::model& m) {
    const bool cuda = o.backend == "cuda" || (o.backend == "auto" && synfire::cuda_device_count() > 0);
    if (cuda) return synfire::make_cuda_backend(m);
    if (o.threads == 0) check_openmp_threads();
    return synfire::make_cpu_backend(m, o.threads);
}

/// --force overwrites an output file, never one the run reads: the model file, its connection lists, its
/// traces (the same file: same device and inode, whatever the path).
void check_output_is_no_input(const std::string& output, const model_options& o, const synfire::model& m) {
    std::error_code ec;
    if (!std::filesystem::exists(output, ec)) return;
    std::vector<std::pair<std::string, std::string>> inputs;
    if (!o.path.empty()) inputs.emplace_back("the model file", o.path);
    for (const auto& [key, file] : m.input_files()) inputs.emplace_back(key, file);
    for (const auto& [what, file] : inputs)
        if (std::filesystem::equivalent(output, file, ec))
            throw synfire::user_error(fmt::format("{} is {} ({}), which this run reads: choose another output with -o "
                                                  "(--force never overwrites an input)",
                                                  output, what, file));
}

int run(const run_options& o) {
    const synfire::model m = load(o.model);
    const std::string output = o.output.empty() ? m.name + ".h5" : o.output;
    check_output_is_no_input(output, o.model, m);
    synfire::check_hdf5_output(output, o.force);  // before the backend builds the network, which can take minutes
    auto backend = make_backend(o, m);
    synfire::hdf5_run_info info{backend->name(), backend->device(), 1, o.compression == "deflate"};
    // a GPU run leaves the host's cores to the writer: all but two (this thread and the writer's) deflate
    // chunks of spikes; a CPU run keeps its cores for the simulation
    const int cores = synfire::usable_cores();
    if (backend->name() == "cuda") info.compress_threads = cores > 2 ? cores - 2 : 1;
    auto sink = synfire::open_hdf5_output(output, o.force, m, info);

    synfire::run_options ro;
    ro.flush_interval_s = o.flush_interval;
    ro.stop = &stop_signal;
    if (!o.quiet && isatty(fileno(stderr))) ro.progress = stderr;
    catch_stop_signals();
    const synfire::run_result r = synfire::simulate(m, *backend, sink.get(), ro);
    sink->finish(r.totals);
    if (!o.quiet) std::cout << synfire::format_summary(m, r, backend->name() + ", " + backend->device(), output) << std::flush;
    if (const int sig = stop_signal.load()) {
        std::cerr << fmt::format("synfire: stopped by {} after {} of {} ms; {} holds the run up to there (completed = 0)\n",
                                 sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : strsignal(sig),
                                 static_cast<double>(r.totals.steps_done) * m.dt, m.duration_ms(), output);
        return 128 + sig;
    }
    return 0;
}

int check(const model_options& o) {
    const synfire::model m = load(o);
    const synfire::gpu_memory_plan plan = synfire::cuda_memory_plan(m);
    std::cout << synfire::format_network(m)
              << fmt::format("  memory estimate (cuda backend): {} (state {}, synapses and input rings {}, stimulus inputs {}, "
                             "spike bitmaps {}, spike ids {}, scratch {}; windows of {} steps){}\n",
                             synfire::format_bytes(plan.total()), synfire::format_bytes(plan.state), synfire::format_bytes(plan.synapses),
                             synfire::format_bytes(plan.currents), synfire::format_bytes(plan.bitmaps),
                             synfire::format_bytes(plan.spikes), synfire::format_bytes(plan.scratch), plan.window,
                             plan.construction ? fmt::format("; {} at the peak of building the synapses on the device",
                                                             synfire::format_bytes(plan.peak()))
                                               : std::string())
              << "ok\n";
    return 0;
}

int info() {
    std::cout << "synfire " << synfire::version() << "\n" << synfire::build_info();
    if (!synfire::cuda_built()) {
        std::cout << "CUDA devices: none (built without CUDA)\n";
        return 0;
    }
    const auto devices = synfire::cuda_devices();
    if (devices.empty()) std::cout << "CUDA devices: none found\n";
    for (const auto& d : devices)
        std::cout << fmt::format("CUDA device {}: {}, compute capability {}.{}, {} SMs, {} total, {} free\n", d.index, d.name,
                                 d.major, d.minor, d.multiprocessors, synfire::format_bytes(d.total_bytes),
                                 synfire::format_bytes(d.free_bytes));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // Every file is closed before main returns, but one whose write failed is abandoned open (hdf5_output.cpp):
    // HDF5's exit handler would try to close it again, and 1.10 crashes doing so.
    H5dont_atexit();
    CLI::App app{"synfire: large populations of leaky integrate-and-fire neurons on CPUs and GPUs", "synfire"};
    app.set_version_flag("--version", std::string("synfire ") + synfire::version());
    app.require_subcommand(1);

    run_options ro;
    CLI::App* run_cmd = app.add_subcommand("run", "simulate a model and write spikes to HDF5 (SONATA layout)");
    add_model_options(run_cmd, ro.model);
    run_cmd->add_option("-o,--output", ro.output, "output file; default: <model name>.h5")->type_name("FILE")->check(non_empty("a file name"));
    run_cmd->add_option("--backend", ro.backend, "cpu, cuda, or auto (the GPU when there is one)")
        ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
        ->capture_default_str();
    run_cmd->add_option("--threads", ro.threads, "CPU threads (default: OpenMP's, OMP_NUM_THREADS)")
        ->check(thread_count());
    run_cmd->add_option("--flush-interval", ro.flush_interval, "seconds of wall time between flushes of the output file")
        ->check(positive_seconds())
        ->capture_default_str();
    run_cmd->add_option("--compression", ro.compression, "deflate (smaller files) or none (a faster writer)")
        ->check(CLI::IsMember({"deflate", "none"}))
        ->capture_default_str();
    run_cmd->add_flag("--force", ro.force, "overwrite an existing output file");
    run_cmd->add_flag("-q,--quiet", ro.quiet, "no progress line and no summary");

    model_options co;
    CLI::App* check_cmd = app.add_subcommand("check", "validate a model file and print the network and its memory estimate");
    add_model_options(check_cmd, co);

    CLI::App* info_cmd = app.add_subcommand("info", "print build options and the CUDA devices");

    std::string plot_file, plot_dir;
    bool plot_force = false;
    CLI::App* plot_cmd = app.add_subcommand("plot", "raster, rates, voltage traces, F-I curve and an HTML report of an output file");
    plot_cmd->add_option("FILE", plot_file, "synfire output file (.h5)")->required()->check(CLI::ExistingFile);
    plot_cmd->add_option("-o,--output", plot_dir, "folder for the pictures (default: <file stem>_plots)")
        ->type_name("DIR")
        ->check(non_empty("a folder name"));
    plot_cmd->add_flag("--force", plot_force, "overwrite pictures already in the folder");

    std::string repair_path;
    CLI::App* repair_cmd = app.add_subcommand("repair", "make the output of a killed run readable by any HDF5 reader (as h5clear -s)");
    repair_cmd->add_option("FILE", repair_path, "output file of a run that was killed")->required();

    // CLI11 reports an unknown subcommand as a missing one ("A subcommand is required"); the top level takes
    // only flags, so its first other word is the subcommand
    for (int i = 1; i < argc; ++i) {
        if (argv[i][0] == '-') continue;
        std::string names;
        bool known = false;
        for (const CLI::App* sub : app.get_subcommands({})) {
            known = known || sub->check_name(argv[i]);
            names += (names.empty() ? "" : ", ") + sub->get_name();
        }
        if (!known) {
            std::cerr << fmt::format("unknown subcommand '{}'; expected one of {}\nRun with --help for more information.\n", argv[i], names);
            return exit_bad_input;
        }
        break;
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : exit_bad_input;
    }

    try {
        if (*run_cmd) return run(ro);
        if (*info_cmd) return info();
        if (*plot_cmd) return synfire::cli::plot(plot_file, plot_dir, plot_force);
        if (*repair_cmd) {
            if (const std::uint64_t appended = synfire::repair_hdf5_output(repair_path))
                std::cout << fmt::format("{}: {} bytes short of the size its superblock records (a flush that failed, e.g. on a full "
                                         "disk): extended with zeros\n",
                                         repair_path, appended);
            std::cout << repair_path << ": status flags cleared\n";
            return 0;
        }
        return check(co);
    } catch (const synfire::user_error& e) {
        std::cerr << "synfire: error: " << e.what() << "\n";
        return exit_bad_input;
    } catch (const std::bad_alloc&) {
        std::cerr << "synfire: error: out of memory\n";
        return exit_runtime;
    } catch (const std::exception& e) {
        std::cerr << "synfire: error: " << e.what() << "\n";
        return exit_runtime;
    }
}
