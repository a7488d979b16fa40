// The synfire command line, run as a user would: exit codes, messages, files written or not.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "h5_read.hpp"

namespace {

namespace fs = std::filesystem;

struct result {
    int code;
    std::string out, err;
};

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("synfire_cli_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path(name)) << text;
        return path(name);
    }
    static std::string slurp(const std::string& file) {
        std::ifstream in(file);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    /// Runs synfire with the arguments (a shell fragment) in the test's folder; prefix: shell words before it
    /// (VAR=VALUE ..., or commands ending in ;).
    result synfire(const std::string& args, const std::string& prefix = "") const {
        const std::string cmd = "cd '" + dir_.string() + "' && " + prefix + " '" SYNFIRE_EXE "' " + args + " > out.txt 2> err.txt";
        const int status = std::system(cmd.c_str());
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(path("out.txt")), slurp(path("err.txt"))};
    }

    fs::path dir_;
};

const char* small_model = R"(
[simulation]
duration = 100.0
seed = 4
[populations.E]
model = "iaf_psc_exp"
n = 200
V_init = { distribution = "uniform", low = -70.0, high = -55.0 }
[[stimuli]]
type = "ramp"
target = "E"
from = 350.0
to = 700.0
[[recorders]]
type = "spikes"
population = "E"
)";

TEST_F(Cli, VersionAndHelp) {
    auto r = synfire("--version");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("synfire 0.1.0"), std::string::npos);
    r = synfire("--help");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("run"), std::string::npos);
    r = synfire("");
    EXPECT_EQ(r.code, 2) << "a subcommand is required";
    r = synfire("bogus");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown subcommand 'bogus'; expected one of run, check, info, plot, repair"), std::string::npos) << r.err;
    EXPECT_EQ(synfire("info").code, 0);
    r = synfire("run --backend gpu");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--backend"), std::string::npos) << r.err;
}

TEST_F(Cli, RunWritesTheOutputAndPrintsASummary) {
    write("m.toml", small_model);
    const auto r = synfire("run m.toml");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(fs::exists(path("m.h5"))) << "default output name is <model>.h5";
    EXPECT_NE(r.out.find("real-time factor"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("F-I curve of E"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "") << "no progress line when stderr is not a terminal";
    const synfire::test::h5_file f(path("m.h5"));
    EXPECT_GT(f.doubles("/spikes/E/timestamps").size(), 100u);
}

TEST_F(Cli, DefaultModelIsTheFiSweep) {
    const auto r = synfire("run -o fi.h5 --quiet");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "") << "--quiet prints nothing";
    const synfire::test::h5_file f(path("fi.h5"));
    EXPECT_EQ(f.string_attr("/", "model_name"), "fi_curve");
    EXPECT_EQ(f.string_attr("/", "model_source"), "built-in:data/models/fi_curve.toml");
    EXPECT_EQ(f.string_dataset("/config/model"), slurp(SYNFIRE_SOURCE_DIR "/data/models/fi_curve.toml"));
    const auto r2 = synfire("run -o fi2.h5");
    EXPECT_NE(r2.out.find("F-I curve of E"), std::string::npos);
    EXPECT_NE(r2.out.find("1000.0"), std::string::npos) << r2.out;
}

TEST_F(Cli, BadInputExitsTwoAndWritesNothing) {
    write("bad.toml", std::string(small_model) + "[populations.E.params]\ntau_m = -3.0\n");
    auto r = synfire("run bad.toml -o out.h5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("populations.E.params.tau_m = -3.0"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("bad.toml:"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("out.h5")));

    write("broken.toml", "[simulation\nduration = 1\n");
    r = synfire("run broken.toml -o out.h5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("broken.toml:1:"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("out.h5")));

    r = synfire("run missing.toml -o out.h5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("missing.toml"), std::string::npos) << r.err;

    write("m.toml", small_model);
    r = synfire("run m.toml -o out.h5 --set populations.E.n=0");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("populations.E.n = 0"), std::string::npos) << r.err;
    r = synfire("run m.toml -o out.h5 --threads 0");
    EXPECT_EQ(r.code, 2);
    EXPECT_FALSE(fs::exists(path("out.h5")));
    r = synfire("run m.toml -o ''");
    EXPECT_EQ(r.code, 2) << "an empty output name is not the default name";
    EXPECT_NE(r.err.find("--output: expected a file name, got an empty string"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("m.h5")));
    r = synfire("run m.toml -o no/such/dir/out.h5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("no/such/dir"), std::string::npos) << r.err;
}

TEST_F(Cli, NumericOptionsSayWhatTheyExpect) {
    write("m.toml", small_model);
    for (const std::string v : {"0", "-2", "x", "1.5", "''"}) {
        const auto r = synfire("run m.toml -o out.h5 --threads " + v);
        EXPECT_EQ(r.code, 2) << v;
        EXPECT_NE(r.err.find("--threads: expected a positive integer, got " + (v == "''" ? std::string() : v)), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("1797693"), std::string::npos) << "no range up to DBL_MAX: " << r.err;
    }
    // NaN passed "> 0"-style checks, and a run flushed every NaN seconds never flushed
    for (const std::string v : {"0", "-1", "inf", "nan", "NaN", "1s"}) {
        const auto r = synfire("run m.toml -o out.h5 --flush-interval " + v);
        EXPECT_EQ(r.code, 2) << v;
        EXPECT_NE(r.err.find("--flush-interval: expected a positive, finite number of seconds, got " + v), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(path("out.h5")));
    EXPECT_EQ(synfire("run m.toml -o out.h5 -q --threads 2 --flush-interval 0.5").code, 0);
}

TEST_F(Cli, ThreadCountsAreCapped) {
    // libgomp crashed (SIGSEGV) on 65535 threads and failed to create 40000
    write("m.toml", small_model);
    for (const std::string v : {"65535", "4097"}) {
        const auto r = synfire("run m.toml -o out.h5 --threads " + v);
        EXPECT_EQ(r.code, 2) << v;
        EXPECT_NE(r.err.find("--threads: at most 4096 threads, got " + v), std::string::npos) << r.err;
    }
    auto r = synfire("run m.toml -o out.h5 --backend cpu", "OMP_NUM_THREADS=70000");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("OMP_NUM_THREADS=70000: at most 4096 threads"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("out.h5")));
    // --threads decides alone where it is given
    r = synfire("run m.toml -o out.h5 -q --backend cpu --threads 2", "OMP_NUM_THREADS=70000");
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(Cli, ExistingOutputIsNeverClobberedWithoutForce) {
    write("m.toml", small_model);
    write("out.h5", "precious");
    auto r = synfire("run m.toml -o out.h5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("out.h5"), std::string::npos);
    EXPECT_NE(r.err.find("--force"), std::string::npos);
    EXPECT_EQ(slurp(path("out.h5")), "precious");
    // --force with a bad model still touches nothing
    r = synfire("run m.toml -o out.h5 --force --set simulation.dt=0");
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(slurp(path("out.h5")), "precious");
    r = synfire("run m.toml -o out.h5 --force");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(synfire::test::h5_file(path("out.h5")).int_attr("/", "completed"), 1);
}

TEST_F(Cli, UnwritableOutputIsRefusedBeforeTheRun) {
    write("m.toml", small_model);
    // root writes anywhere: run synfire as nobody then
    const std::string as_user = ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "";
    if (!as_user.empty() && std::system((as_user + " true").c_str()) != 0) GTEST_SKIP() << "root, and setpriv cannot drop to nobody";
    fs::create_directories(path("ro"));
    const auto read_only = fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read;
    fs::permissions(path("ro"), read_only | fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec);
    auto r = synfire("run m.toml -o ro/x.h5", as_user);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("ro/x.h5: cannot write output: directory ro: Permission denied"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("ro/x.h5")));
    write("kept.h5", "precious");
    fs::permissions(path("kept.h5"), read_only);
    r = synfire("run m.toml -o kept.h5 --force", as_user);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("kept.h5: cannot write output: Permission denied"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(path("kept.h5")), "precious");

    fs::create_directories(path("folder.h5"));
    r = synfire("run m.toml -o folder.h5 --force");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("folder.h5: is a folder"), std::string::npos) << r.err;
    fs::create_symlink("nowhere/x.h5", path("dangling.h5"));
    r = synfire("run m.toml -o dangling.h5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("dangling.h5: output file exists; pass --force"), std::string::npos) << r.err;
    r = synfire("run m.toml -o m.toml/x.h5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("m.toml/x.h5: cannot write output: m.toml is not a directory"), std::string::npos) << r.err;
}

TEST_F(Cli, ForceNeverOverwritesAnInput) {
    fs::create_directories(path("in"));
    write("in/conn.csv", "source,target,weight,delay\n0,1,100.0,1.0\n");
    ASSERT_EQ(std::system(("/usr/bin/python3 -c \"import h5py, numpy; h5py.File('" + path("in/trace.h5") +
                           "', 'w')['current'] = numpy.full(10, 500.0)\"").c_str()), 0);
    const std::string model = std::string(small_model) + R"(
[[projections]]
source = "E"
target = "E"
rule = "explicit"
file = "conn.csv"
[[stimuli]]
type = "file"
target = "E"
path = "trace.h5"
)";
    write("in/m.toml", model);
    ASSERT_EQ(synfire("run in/m.toml -q -o ok.h5").code, 0) << "the model runs";
    const std::string trace = slurp(path("in/trace.h5"));
    fs::create_hard_link(path("in/trace.h5"), path("hard.h5"));
    const std::pair<const char*, const char*> cases[] = {
        {"in/m.toml", "in/m.toml is the model file (in/m.toml)"},
        {"in/conn.csv", "in/conn.csv is projections[0].file (in/conn.csv)"},
        {"hard.h5", "hard.h5 is stimuli[1].path (in/trace.h5)"},
    };
    for (const auto& [output, message] : cases) {
        const auto r = synfire(std::string("run in/m.toml -q --force -o ") + output);
        EXPECT_EQ(r.code, 2) << output;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("--force never overwrites an input"), std::string::npos) << r.err;
    }
    EXPECT_EQ(slurp(path("in/m.toml")), model);
    EXPECT_EQ(slurp(path("in/conn.csv")), "source,target,weight,delay\n0,1,100.0,1.0\n");
    EXPECT_EQ(slurp(path("in/trace.h5")), trace);
    EXPECT_EQ(synfire("run in/m.toml -q --force -o ok.h5").code, 0) << "any other existing file is overwritten";
}

TEST_F(Cli, CudaBackendWithoutADeviceFailsClearly) {
    write("m.toml", small_model);
    const auto r = synfire("run m.toml -o out.h5 --backend cuda");
    if (r.code == 0) GTEST_SKIP() << "this machine has a CUDA device";
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("cuda"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("out.h5")));
}

TEST_F(Cli, OverridesReachTheRunAndTheStoredModel) {
    write("m.toml", small_model);
    auto r = synfire("run m.toml -o a.h5 --set simulation.duration=50 --set 'stimuli[0].to=900'");
    ASSERT_EQ(r.code, 0) << r.err;
    const synfire::test::h5_file f(path("a.h5"));
    EXPECT_EQ(f.int_attr("/", "steps"), 500);
    const std::string stored = f.string_dataset("/config/model");
    EXPECT_NE(stored.find("--set simulation.duration=50"), std::string::npos) << stored;
    EXPECT_NE(stored.find("to = 900"), std::string::npos) << stored;
    // the stored model runs again to the same spikes
    write("again.toml", stored);
    r = synfire("run again.toml -o b.h5");
    ASSERT_EQ(r.code, 0) << r.err;
    const synfire::test::h5_file g(path("b.h5"));
    EXPECT_EQ(f.doubles("/spikes/E/timestamps"), g.doubles("/spikes/E/timestamps"));
    EXPECT_EQ(f.uint64s("/spikes/E/node_ids"), g.uint64s("/spikes/E/node_ids"));
}

TEST_F(Cli, RunsAreIdenticalAcrossRepeatsAndThreadCounts) {
    write("m.toml", small_model);
    ASSERT_EQ(synfire("run m.toml -o t1.h5 --threads 1").code, 0);
    ASSERT_EQ(synfire("run m.toml -o t2.h5 --threads 2").code, 0);
    ASSERT_EQ(synfire("run m.toml -o t2b.h5 --threads 2").code, 0);
    ASSERT_EQ(synfire("run m.toml -o seed.h5 --set simulation.seed=5").code, 0);
    const synfire::test::h5_file a(path("t1.h5")), b(path("t2.h5")), c(path("t2b.h5")), d(path("seed.h5"));
    const auto ta = a.doubles("/spikes/E/timestamps");
    const auto ia = a.uint64s("/spikes/E/node_ids");
    EXPECT_EQ(ta, b.doubles("/spikes/E/timestamps"));
    EXPECT_EQ(ia, b.uint64s("/spikes/E/node_ids"));
    EXPECT_EQ(ta, c.doubles("/spikes/E/timestamps"));
    EXPECT_EQ(ia, c.uint64s("/spikes/E/node_ids"));
    // must fail: another seed, other initial potentials, other spikes
    EXPECT_NE(std::make_pair(ta, ia), std::make_pair(d.doubles("/spikes/E/timestamps"), d.uint64s("/spikes/E/node_ids")));
}

TEST_F(Cli, SpikesStreamOutWithBoundedMemory) {
    // 100 000 neurons at ~60 Hz for 4 s: 24 million spikes, 290 MB if held as (step, id) pairs.
    write("m.toml", small_model);
    const auto r = synfire("run m.toml -o big.h5 --quiet --set populations.E.n=100000 --set simulation.duration=4000 "
                           "--set stimuli[0].from=0 --set stimuli[0].to=1000");
    ASSERT_EQ(r.code, 0) << r.err;
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    const double peak_mb = usage.ru_maxrss / 1024.0;
    const synfire::test::h5_file f(path("big.h5"));
    const auto n = f.uint64s("/spikes/E/node_ids").size();
    EXPECT_GT(n, 20'000'000u);
    EXPECT_LT(peak_mb, 150.0) << n << " spikes written with a peak of " << peak_mb << " MB";
}

/// Starts synfire in the background; returns its pid.
pid_t start_synfire(const std::string& dir, const std::vector<std::string>& args) {
    const pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir.c_str()) != 0) _exit(127);
        std::vector<char*> argv{const_cast<char*>(SYNFIRE_EXE)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        freopen("/dev/null", "w", stdout);
        execv(SYNFIRE_EXE, argv.data());
        _exit(127);
    }
    return pid;
}

/// Waits until the file holds at least `spikes` spikes (read as a SWMR reader) or the timeout passes.
void wait_for_spikes(const std::string& file, std::size_t spikes, double timeout_s) {
    for (double t = 0; t < timeout_s; t += 0.1) {
        usleep(100'000);
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
        if (f < 0) continue;
        const hid_t d = H5Dopen2(f, "/spikes/E/timestamps", H5P_DEFAULT);
        hsize_t n = 0;
        if (d >= 0) {
            const hid_t s = H5Dget_space(d);
            H5Sget_simple_extent_dims(s, &n, nullptr);
            H5Sclose(s);
            H5Dclose(d);
        }
        H5Fclose(f);
        if (n >= spikes) return;
    }
}

const std::vector<std::string> long_run = {"run", "m.toml", "-q", "--flush-interval", "0.2", "--set", "populations.E.n=100000",
                                           "--set", "simulation.duration=5000", "--set", "stimuli[0].from=0"};

TEST_F(Cli, KillNineLeavesTheRunUpToTheLastFlush) {
    write("m.toml", small_model);
    ASSERT_EQ(synfire("run m.toml -q -o full.h5 --set populations.E.n=100000 --set simulation.duration=5000 --set stimuli[0].from=0").code, 0);
    auto args = long_run;
    args.insert(args.end(), {"-o", "killed.h5"});
    const pid_t pid = start_synfire(dir_.string(), args);
    wait_for_spikes(path("killed.h5"), 1'000'000, 30.0);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it was killed";

    // A SWMR reader opens it as it is; after `synfire repair`, any reader does.
    const int h5py = std::system(("/usr/bin/python3 -c \"import h5py; f = h5py.File('" + path("killed.h5") +
                                  "', 'r', swmr=True); t = f['spikes/E/timestamps'][:]; assert len(t) > 0 and (t[1:] >= t[:-1]).all()\"")
                                     .c_str());
    EXPECT_EQ(h5py, 0) << "h5py could not read the killed run's file";
    ASSERT_EQ(synfire("repair killed.h5").code, 0);
    const synfire::test::h5_file killed(path("killed.h5")), full(path("full.h5"));
    const auto t = killed.doubles("/spikes/E/timestamps");
    const auto ids = killed.uint64s("/spikes/E/node_ids");
    const auto t_full = full.doubles("/spikes/E/timestamps");
    const auto ids_full = full.uint64s("/spikes/E/node_ids");
    EXPECT_EQ(killed.int_attr("/", "completed"), 0);
    const auto steps = killed.int_attr("/", "steps_completed");  // raised at every flush
    EXPECT_GT(steps, 0);
    const auto held = std::upper_bound(t_full.begin(), t_full.end(), steps * 0.1 + 1e-9) - t_full.begin();
    EXPECT_GE(t.size(), static_cast<std::size_t>(held)) << "every spike up to steps_completed is there";
    ASSERT_GT(t.size(), 0u);
    ASSERT_LE(t.size(), t_full.size());
    EXPECT_TRUE(std::is_sorted(t.begin(), t.end()));
    // what was flushed is exactly the beginning of the full run
    EXPECT_TRUE(std::equal(t.begin(), t.end(), t_full.begin()));
    EXPECT_TRUE(std::equal(ids.begin(), ids.end(), ids_full.begin()));
}

TEST_F(Cli, SigtermStopsCleanlyWithAMessage) {
    write("m.toml", small_model);
    auto args = long_run;
    args.insert(args.end(), {"-o", "stopped.h5"});
    const pid_t pid = start_synfire(dir_.string(), args);
    wait_for_spikes(path("stopped.h5"), 100'000, 30.0);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
    const synfire::test::h5_file f(path("stopped.h5"));  // closed properly: any reader opens it
    EXPECT_EQ(f.int_attr("/", "completed"), 0);
    const auto steps = f.int_attr("/", "steps_completed");
    EXPECT_GT(steps, 0);
    EXPECT_LT(steps, 50000);
    const auto t = f.doubles("/spikes/E/timestamps");
    ASSERT_FALSE(t.empty());
    EXPECT_LE(t.back(), steps * 0.1 + 1e-9) << "every spike up to the stop is there, none after";
}

TEST_F(Cli, RepairRefusesWhatIsNotHdf5) {
    write("m.toml", small_model);
    auto r = synfire("repair m.toml");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("m.toml: not an HDF5 file"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(path("m.toml")), small_model);
    r = synfire("repair missing.h5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("missing.h5: no such file"), std::string::npos) << r.err;
    ASSERT_EQ(synfire("run m.toml -q -o out.h5").code, 0);
    r = synfire("repair out.h5");
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(Cli, PlotNeverOverwritesWithoutForce) {
    write("m.toml", small_model);
    ASSERT_EQ(synfire("run m.toml -q -o out.h5").code, 0);
    auto r = synfire("plot out.h5 -o m.toml");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("m.toml: exists and is not a folder"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(path("m.toml")), small_model);

    r = synfire("plot out.h5");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string report = slurp(path("out_plots/report.html"));
    ASSERT_FALSE(report.empty()) << "the default folder is <stem>_plots";
    write("out_plots/raster.png", "precious");
    r = synfire("plot out.h5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("out_plots already holds raster.png"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(path("out_plots/raster.png")), "precious");
    r = synfire("plot out.h5 --force");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(slurp(path("out_plots/raster.png")), "precious");

    r = synfire("plot m.toml -o pictures");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("m.toml: not an HDF5 file"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("pictures")));
}

TEST_F(Cli, WriteFailureNamesTheFileAndItsCause) {
    // a file size limit (2 MiB) fails the writer's writes mid-run (EFBIG) as a full disk does (ENOSPC)
    write("m.toml", small_model);
    const std::string run = "run m.toml -q --flush-interval 0.01 --set populations.E.n=100000 --set simulation.duration=1000 --set stimuli[0].from=0";
    ASSERT_EQ(synfire(run + " -o full.h5").code, 0);
    auto r = synfire(run + " -o big.h5", "trap '' XFSZ; ulimit -f 4096;");
    EXPECT_EQ(r.code, 1) << "HDF5 1.10 crashed at exit closing the failed file again";
    EXPECT_NE(r.err.find("synfire: error: big.h5: File too large (HDF5: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("big.h5 holds the run up to its last flush"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("HDF5-DIAG"), std::string::npos) << "no HDF5 error stack from the writer thread: " << r.err;

    // left as its last flush left it (closing it wrote a superblock past the end: "truncated file")
    r = synfire("repair big.h5");
    ASSERT_EQ(r.code, 0) << r.err;
    const synfire::test::h5_file f(path("big.h5")), full(path("full.h5"));
    EXPECT_EQ(f.int_attr("/", "completed"), 0);
    const auto steps = f.int_attr("/", "steps_completed");
    EXPECT_GT(steps, 0);
    EXPECT_LT(steps, 10000);
    const auto t = f.doubles("/spikes/E/timestamps");
    const auto t_full = full.doubles("/spikes/E/timestamps");
    const auto held = std::upper_bound(t_full.begin(), t_full.end(), steps * 0.1 + 1e-9) - t_full.begin();
    ASSERT_GE(t.size(), static_cast<std::size_t>(held)) << "every spike up to steps_completed is there";
    EXPECT_TRUE(std::equal(t.begin(), t.end(), t_full.begin()));
}

TEST_F(Cli, DiskFullMidRun) {
    // the audit's case: the output on a 1 MiB tmpfs, mounted in a user namespace (where one may)
    if (std::system("unshare -Urm true 2> /dev/null") != 0) GTEST_SKIP() << "no user namespaces here (unshare -Urm)";
    write("m.toml", small_model);
    fs::create_directories(path("small"));
    write("disk_full.sh", "mount -t tmpfs -o size=1m none small && cd small || exit 1\n"
                          "'" SYNFIRE_EXE "' run ../m.toml -q -o full.h5 --flush-interval 0.01 --set populations.E.n=100000 "
                          "--set simulation.duration=1000 --set 'stimuli[0].from=0' 2> ../err.txt\n"
                          "echo $? > ../rc.txt\n"
                          "/usr/bin/python3 -c \"import h5py; h5py.File('full.h5', 'r', swmr=True)['spikes/E/timestamps'][:]\" "
                          "2> ../swmr.txt && echo readable > ../swmr.txt\n"
                          "'" SYNFIRE_EXE "' repair full.h5 > /dev/null && cp full.h5 ../full.h5\n");
    ASSERT_EQ(std::system(("cd '" + dir_.string() + "' && unshare -Urm sh disk_full.sh").c_str()), 0);
    const std::string err = slurp(path("err.txt"));
    EXPECT_EQ(slurp(path("rc.txt")), "1\n") << err;
    EXPECT_NE(err.find("synfire: error: full.h5: No space left on device (HDF5: "), std::string::npos) << err;
    EXPECT_EQ(err.find("HDF5-DIAG"), std::string::npos) << err;
    EXPECT_EQ(slurp(path("swmr.txt")), "readable\n") << "a SWMR reader opens it before any repair";
    const synfire::test::h5_file f(path("full.h5"));
    EXPECT_EQ(f.int_attr("/", "completed"), 0);
    const auto steps = f.int_attr("/", "steps_completed");
    const auto t = f.doubles("/spikes/E/timestamps");
    ASSERT_FALSE(t.empty());
    EXPECT_GE(t.back(), steps * 0.1 - 1e-9);
}

TEST_F(Cli, CheckValidatesAndSummarises) {
    write("m.toml", small_model);
    auto r = synfire("check m.toml");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("200"), std::string::npos);
    EXPECT_NE(r.out.find("memory estimate"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ramp"), std::string::npos);
    r = synfire("check m.toml --set populations.E.model=lif");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("unknown model"), std::string::npos) << r.err;
    EXPECT_EQ(synfire("check").code, 0) << "check without a model checks the built-in default";
}

}  // namespace
