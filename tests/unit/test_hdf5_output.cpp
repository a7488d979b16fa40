#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sched.h>
#include <unistd.h>

#include <fmt/format.h>

#include "h5_read.hpp"
#include "support.hpp"
#include "synfire/errors.hpp"
#include "synfire/hdf5_output.hpp"

namespace synfire {
namespace {

namespace fs = std::filesystem;

const char* two_pops = R"(
[simulation]
dt = 0.1
duration = 200.0
seed = 3
[populations.exc]
model = "iaf_psc_exp"
n = 500
V_init = { distribution = "uniform", low = -70.0, high = -55.0 }
[populations.inh]
model = "iaf_psc_delta"
n = 100
[populations.silent]
model = "iaf_psc_exp"
n = 10
[[stimuli]]
type = "ramp"
target = "exc"
from = 300.0
to = 800.0
[[stimuli]]
type = "dc"
target = "inh"
amplitude = 500.0
[[recorders]]
type = "spikes"
population = "exc"
[[recorders]]
type = "spikes"
population = "inh"
ids = [0, 5, 99]
start = 50.0
stop = 150.0
)";

class Hdf5Output : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("synfire_h5_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const char* name) const { return (dir_ / name).string(); }

    /// Runs the model into an HDF5 file and into memory; returns what memory got.
    test::memory_sink run_to(const model& m, const std::string& file, std::size_t batch = 1 << 20) {
        test::memory_sink mem(m.populations.size());
        {
            auto b = make_cpu_backend(m, 2);
            run_options opt;
            opt.batch_spikes = batch;
            simulate(m, *b, &mem, opt);
        }
        auto b = make_cpu_backend(m, 2);
        auto out = open_hdf5_output(file, false, m, {b->name(), b->device(), 1});
        run_options opt;
        opt.batch_spikes = batch;
        opt.flush_interval_s = 0.0;  // flush after every window
        const run_result r = simulate(m, *b, out.get(), opt);
        out->finish(r.totals);
        return mem;
    }

    fs::path dir_;
};

void expect_same_spikes(const test::h5_file& f, const std::string& pop, const test::spike_list& expected, const model& m) {
    const auto t = f.doubles("/spikes/" + pop + "/timestamps");
    const auto ids = f.uint64s("/spikes/" + pop + "/node_ids");
    ASSERT_EQ(t.size(), expected.size());
    ASSERT_EQ(ids.size(), expected.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
        ASSERT_EQ(t[i], m.spike_time_ms(expected[i].first)) << pop << " spike " << i;
        ASSERT_EQ(ids[i], expected[i].second) << pop << " spike " << i;
    }
}

TEST_F(Hdf5Output, SonataLayoutReadsBack) {
    const model m = test::model_from(two_pops);
    const std::string file = path("out.h5");
    const auto mem = run_to(m, file);

    const test::h5_file f(file);
    EXPECT_EQ(f.string_attr("/", "synfire_version"), "0.1.0");
    EXPECT_EQ(f.string_attr("/", "backend"), "cpu");
    EXPECT_EQ(f.string_attr("/", "model_name"), "test");
    EXPECT_EQ(f.double_attr("/", "dt"), 0.1);
    EXPECT_EQ(f.int_attr("/", "steps"), 2000);
    EXPECT_EQ(f.int_attr("/", "steps_completed"), 2000);
    EXPECT_EQ(f.int_attr("/", "seed"), 3);
    EXPECT_EQ(f.int_attr("/", "ranks"), 1);
    EXPECT_EQ(f.int_attr("/", "completed"), 1);
    EXPECT_GT(f.double_attr("/", "wall_time"), 0.0);
    EXPECT_GT(f.double_attr("/", "real_time_factor"), 0.0);
    // the step's phases, the host's recording among them (taking spikes, handing batches to the writer)
    EXPECT_GT(f.double_attr("/", "time_update"), 0.0);
    EXPECT_GT(f.double_attr("/", "time_recording"), 0.0);
    EXPECT_LT(f.double_attr("/", "time_recording"), f.double_attr("/", "wall_time"));
    EXPECT_EQ(f.string_dataset("/config/model"), two_pops);
    EXPECT_EQ(f.string_attr("/config/model", "format"), "toml");

    for (const char* pop : {"exc", "inh"}) {
        const std::string g = std::string("/spikes/") + pop;
        EXPECT_EQ(f.enum_attr(g, "sorting"), "by_time");
        EXPECT_EQ(f.string_attr(g + "/timestamps", "units"), "ms");
        EXPECT_EQ(f.type_of(g + "/timestamps"), std::make_pair(H5T_FLOAT, std::size_t{8}));
        EXPECT_EQ(f.type_of(g + "/node_ids"), std::make_pair(H5T_INTEGER, std::size_t{8}));
    }
    EXPECT_FALSE(f.exists("/spikes/silent")) << "populations without a recorder get no group";

    expect_same_spikes(f, "exc", mem.spikes[0], m);
    expect_same_spikes(f, "inh", mem.spikes[1], m);
    EXPECT_GT(mem.spikes[0].size(), 1000u);

    // the inh recorder keeps ids 0, 5, 99 and spike times in (50, 150] ms
    ASSERT_FALSE(mem.spikes[1].empty());
    for (auto [step, id] : mem.spikes[1]) {
        EXPECT_TRUE(id == 0 || id == 5 || id == 99);
        EXPECT_GT(m.spike_time_ms(step), 50.0);
        EXPECT_LE(m.spike_time_ms(step), 150.0);
    }
}

TEST_F(Hdf5Output, GridTimesAreExactDecimals) {
    const model m = test::model_from(two_pops);
    EXPECT_EQ(m.spike_time_ms(2), 0.3);
    EXPECT_EQ(m.spike_time_ms(9999), 1000.0);
    const model quarter = test::model_from(two_pops, {"simulation.dt=0.25"});
    EXPECT_EQ(quarter.spike_time_ms(3), 1.0);
}

TEST_F(Hdf5Output, BatchedSpikeTimesEqualTheSingleOnes) {
    // the writer converts a batch's steps at once: the same doubles as spike_time_ms, for whole and for
    // fractional steps per ms
    for (const char* dt : {"0.1", "0.25", "0.4", "0.125", "1.0"}) {  // 0.4: 2.5 steps per ms
        const model m = test::model_from(two_pops, {std::string("simulation.dt=") + dt, "simulation.duration=20"});
        std::vector<std::int64_t> steps;
        for (std::int64_t s = 0; s < 100'000; s += 7) steps.push_back(s);
        steps.push_back(std::int64_t{1} << 40);
        std::vector<double> times(steps.size());
        m.spike_times_ms(steps.data(), steps.size(), times.data());
        for (std::size_t i = 0; i < steps.size(); ++i) ASSERT_EQ(times[i], m.spike_time_ms(steps[i])) << "dt " << dt << ", step " << steps[i];
    }
}

TEST(Writer, UsesTheCoresItMayRunOn) {
    // a batch job's share of a node, not the node: the writer's helpers are counted from the CPU affinity
    cpu_set_t all;
    ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
    EXPECT_EQ(usable_cores(), CPU_COUNT(&all));
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &all)) {
            CPU_SET(c, &one);
            break;
        }
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    EXPECT_EQ(usable_cores(), 1);
    ASSERT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
}

TEST(SpikeBatch, RunsHoldEachStepOnce) {
    spike_batch b;
    const std::uint32_t two[] = {3, 9};
    b.append(4, two, two + 2);
    b.append(5, two, two);  // no spikes: no run
    b.append(6, 1);
    b.append(6, 2);
    b.append(8, 0);
    EXPECT_EQ(b.ids, (std::vector<std::uint32_t>{3, 9, 1, 2, 0}));
    EXPECT_EQ(b.run_steps, (std::vector<std::int64_t>{4, 6, 8}));
    EXPECT_EQ(b.run_ends, (std::vector<std::uint64_t>{2, 4, 5}));
    b.clear();
    EXPECT_TRUE(b.ids.empty() && b.run_steps.empty() && b.run_ends.empty());
}

TEST_F(Hdf5Output, WholeChunksWrittenDirectlyReadBackExactly) {
    // spikes are written a whole chunk (65 536) at a time, deflated by the writer's own threads; flushes write
    // the partial last chunk through HDF5's pipeline and it is written whole again when it fills. Batches of
    // odd sizes across several chunks, flushes in the middle of chunks, with and without compression, one
    // and three threads: every spike reads back in order
    const model m = test::model_from(two_pops);
    for (const bool compress : {true, false})
        for (const int threads : {1, 3}) {
            const std::string file = path(fmt::format("chunks_{}_{}.h5", compress, threads).c_str());
            std::vector<double> times;
            std::vector<std::uint64_t> ids;
            {
                hdf5_run_info info{"cpu", "test", 1, compress};
                info.compress_threads = threads;
                auto out = open_hdf5_output(file, false, m, info);
                std::int64_t step = 0;
                for (const std::size_t size : {std::size_t{1000}, std::size_t{70'000}, std::size_t{3}, std::size_t{200'000}, std::size_t{65'533}}) {
                    spike_batch b;
                    b.population = 0;
                    for (std::size_t i = 0; i < size; ++i) {
                        if (i % 97 == 0) ++step;
                        const auto id = static_cast<std::uint32_t>((i * 7919 + static_cast<std::size_t>(step)) % 500);
                        b.append(step, id);
                        times.push_back(m.spike_time_ms(step));
                        ids.push_back(id);
                    }
                    out->write(std::move(b));
                    out->flush(step + 1);  // mid-chunk every time: the tail goes through the pipeline, then again whole
                }
                run_totals t;
                t.completed = true;
                out->finish(t);
            }
            const test::h5_file f(file);
            ASSERT_EQ(f.doubles("/spikes/exc/timestamps"), times) << "compress " << compress << ", threads " << threads;
            ASSERT_EQ(f.uint64s("/spikes/exc/node_ids"), ids) << "compress " << compress << ", threads " << threads;
        }
}

TEST_F(Hdf5Output, ReportChunksWrittenDirectlyReadBackExactly) {
    // a state report of 700 neurons (chunks of 374 frames across all columns) written a chunk at a time:
    // batches of odd frame counts across several chunks, a flush in the middle of a chunk after each
    std::string ids;
    for (int j = 0; j < 700; ++j) ids += fmt::format("{}{}", j ? ", " : "", j);
    const model m = test::model_from(std::string(two_pops) + fmt::format(R"(
[[recorders]]
type = "state"
population = "exc"
ids = [{}]
variables = ["V_m", "I_syn_in"]
interval = 0.1
)", ids), {"populations.exc.n=1000"});
    const std::string file = path("report_chunks.h5");
    std::vector<float> V, I;
    {
        auto out = open_hdf5_output(file, false, m, {"cpu", "test", 1});
        std::int64_t step = 0;
        for (const std::size_t frames : {std::size_t{100}, std::size_t{500}, std::size_t{3}, std::size_t{1000}, std::size_t{371}}) {
            state_batch b;
            b.recorder = 0;
            for (std::size_t f = 0; f < frames; ++f, ++step) {
                b.steps.push_back(step);
                for (int v = 0; v < 2; ++v)
                    for (int j = 0; j < 700; ++j) {
                        const float x = static_cast<float>(step % 1000) * 0.01f + static_cast<float>(j) * (v ? -1.0f : 0.001f);
                        b.values.push_back(x);
                        (v ? I : V).push_back(v ? x : static_cast<float>(static_cast<double>(x) - 70.0));
                    }
            }
            out->write(std::move(b));
            out->flush(step);
        }
        run_totals t;
        t.completed = true;
        out->finish(t);
    }
    const test::h5_file f(file);
    ASSERT_EQ(f.read<float>("/report/exc/V_m/data", H5T_NATIVE_FLOAT), V);
    ASSERT_EQ(f.read<float>("/report/exc/I_syn_in/data", H5T_NATIVE_FLOAT), I);
    EXPECT_EQ(f.doubles("/report/exc/V_m/mapping/time"), (std::vector<double>{0.1, 0.1 + 1974 * 0.1, 0.1}));
}

TEST_F(Hdf5Output, SmallBatchesKeepEverySpikeInOrder) {
    const model m = test::model_from(two_pops);
    const std::string file = path("batched.h5");
    const auto mem = run_to(m, file, 7);
    const test::h5_file f(file);
    expect_same_spikes(f, "exc", mem.spikes[0], m);
    const auto t = f.doubles("/spikes/exc/timestamps");
    EXPECT_TRUE(std::is_sorted(t.begin(), t.end()));
}

TEST_F(Hdf5Output, ExistingFileIsRefusedAndKept) {
    const model m = test::model_from(two_pops);
    const std::string file = path("precious.h5");
    { std::ofstream(file) << "keep me"; }
    EXPECT_THROW(open_hdf5_output(file, false, m, {"cpu", "test", 1}), user_error);
    std::ifstream in(file);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(content, "keep me");
    auto out = open_hdf5_output(file, true, m, {"cpu", "test", 1});
    out->finish({});
    EXPECT_TRUE(test::h5_file(file).exists("/spikes/exc"));
}

TEST_F(Hdf5Output, MissingDirectoryIsAUserError) {
    const model m = test::model_from(two_pops);
    EXPECT_THROW(open_hdf5_output(path("no/such/dir/out.h5"), false, m, {"cpu", "test", 1}), user_error);
}

TEST_F(Hdf5Output, FileComparisonSeesEveryDifferenceButTheSkippedOnes) {
    // the helper the CPU = GPU file test relies on, checked where CI can run it
    const model m = test::model_from(two_pops);
    run_to(m, path("a.h5"));
    run_to(m, path("b.h5"));
    const std::vector<std::string> timing = {"wall_time", "real_time_factor", "writer_wait", "time_*"};
    EXPECT_EQ(test::compare_files(path("a.h5"), path("b.h5"), timing), "");
    EXPECT_NE(test::compare_files(path("a.h5"), path("b.h5"), {"wall_time"}), "") << "timing attributes differ between runs";
    const model other = test::model_from(two_pops, {"simulation.seed=4"});
    run_to(other, path("c.h5"));
    const std::string diff = test::compare_files(path("a.h5"), path("c.h5"), timing);
    EXPECT_NE(diff.find("seed"), std::string::npos) << diff;
    EXPECT_NE(diff.find("spikes/exc/timestamps: data differ"), std::string::npos) << diff;
}

TEST_F(Hdf5Output, AbandonedRunLeavesAReadableFile) {
    const model m = test::model_from(two_pops);
    const std::string file = path("partial.h5");
    {
        auto out = open_hdf5_output(file, false, m, {"cpu", "test", 1});
        spike_batch b;
        b.population = 0;
        b.append(1, 4);
        b.append(2, 1);
        b.append(2, 3);
        out->write(std::move(b));
        out->flush(3);
        // destroyed without finish(), as when an exception unwinds the run
    }
    const test::h5_file f(file);
    EXPECT_EQ(f.uint64s("/spikes/exc/node_ids"), (std::vector<std::uint64_t>{4, 1, 3}));
    EXPECT_EQ(f.int_attr("/", "completed"), 0);
    EXPECT_EQ(f.int_attr("/", "steps_completed"), 3) << "the steps the last flush holds in full";
}

TEST_F(Hdf5Output, RepairKeepsAStoppedRunUpToStepsCompleted) {
    // what a stopped run wrote after its last flush may be incomplete (a chunk of node_ids that a full disk
    // never took reads as zeros): repair keeps the spikes up to steps_completed, as the file promises
    const model m = test::model_from(two_pops);
    const std::string file = path("stopped.h5");
    {
        auto out = open_hdf5_output(file, false, m, {"cpu", "test", 1});
        spike_batch b;
        b.population = 0;
        b.append(1, 4);
        b.append(2, 1);
        b.append(2, 3);
        out->write(std::move(b));
        out->flush(3);
        spike_batch late;  // written, never flushed as complete
        late.population = 0;
        late.append(5, 2);
        late.append(7, 0);
        out->write(std::move(late));
    }
    EXPECT_EQ(test::h5_file(file).uint64s("/spikes/exc/node_ids"), (std::vector<std::uint64_t>{4, 1, 3, 2, 0}));
    repair_hdf5_output(file);
    const test::h5_file f(file);
    EXPECT_EQ(f.uint64s("/spikes/exc/node_ids"), (std::vector<std::uint64_t>{4, 1, 3}));
    EXPECT_EQ(f.doubles("/spikes/exc/timestamps").size(), 3u);
    EXPECT_EQ(f.int_attr("/", "steps_completed"), 3);
}

TEST_F(Hdf5Output, RepairExtendsAFileShorterThanItsSuperblockRecords) {
    // a flush that fails on a full disk can write a superblock that records more than the disk took; HDF5
    // then refuses the whole file ("truncated file"). Made here: space allocated at the end, then cut off.
    const model m = test::model_from(two_pops);
    const std::string file = path("short.h5");
    run_to(m, file);
    const auto spikes = test::h5_file(file).uint64s("/spikes/exc/node_ids");
    {
        const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(f, 0);
        ASSERT_GE(H5Fincrement_filesize(f, 4096), 0);
        H5Fclose(f);
    }
    fs::resize_file(file, fs::file_size(file) - 4096);
    EXPECT_THROW(test::h5_file{file}, std::runtime_error) << "HDF5 refuses a file shorter than its superblock records";
    EXPECT_EQ(repair_hdf5_output(file), 4096u);
    {
        const test::h5_file f(file);
        EXPECT_EQ(f.uint64s("/spikes/exc/node_ids"), spikes);
        EXPECT_EQ(f.int_attr("/", "completed"), 1);
    }
    EXPECT_EQ(repair_hdf5_output(file), 0u) << "a whole file is left as it is";
}

}  // namespace
}  // namespace synfire
