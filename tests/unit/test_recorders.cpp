// State and rate recorders: what reaches the sink and the SONATA layout in the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <numeric>

#include "h5_read.hpp"
#include "support.hpp"
#include "synfire/errors.hpp"
#include "synfire/hdf5_output.hpp"
#include "synfire/summary.hpp"

#include <fmt/format.h>

namespace synfire {
namespace {

const char* recorded = R"(
[simulation]
duration = 100.0
seed = 2
[populations.E]
model = "iaf_psc_exp"
n = 100
V_init = { distribution = "uniform", low = -70.0, high = -56.0 }
[populations.D]
model = "iaf_psc_delta"
n = 40
[[stimuli]]
type = "ramp"
target = "E"
from = 300.0
to = 800.0
[[stimuli]]
type = "poisson"
target = "E"
rate = 500.0
weight = 30.0
[[stimuli]]
type = "dc"
target = "D"
amplitude = 420.0
[[recorders]]
type = "state"
population = "E"
ids = [0, 50, 99]
variables = ["V_m", "I_syn_ex", "I_syn_in"]
interval = 0.5
start = 10.0
stop = 60.0
[[recorders]]
type = "state"
population = "D"
[[recorders]]
type = "rate"
population = "E"
bin = 5.0
[[recorders]]
type = "rate"
population = "D"
ids = [1, 2, 3]
bin = 2.0
start = 20.0
stop = 50.0
)";

/// Every step's state of population p, by running one step per window.
std::vector<population_state> states_per_step(const model& m, std::size_t p) {
    auto b = make_cpu_backend(m, 2);
    std::vector<population_state> out;
    run_options opt;
    opt.max_window = 1;
    opt.on_window = [&](const std::vector<window_output>&, std::int64_t) { out.push_back(b->state(p)); };
    simulate(m, *b, nullptr, opt);
    return out;
}

TEST(StateRecorder, SamplesTheStateAtMultiplesOfTheIntervalInItsWindow) {
    const model m = test::model_from(recorded);
    test::memory_sink sink(m.populations.size());
    auto b = make_cpu_backend(m, 2);
    simulate(m, *b, &sink, {});
    const auto truth = states_per_step(m, 0);
    const state_batch& st = sink.states.at(0);
    // times 10.5, 11.0, ..., 60.0 ms: the state after steps 104, 109, ..., 599
    ASSERT_EQ(st.steps.size(), 100u);
    EXPECT_EQ(st.steps.front(), 104);
    EXPECT_EQ(st.steps.back(), 599);
    const std::vector<std::uint32_t> ids = {0, 50, 99};
    for (std::size_t f = 0; f < st.steps.size(); ++f)
        for (std::size_t j = 0; j < 3; ++j) {
            const auto& s = truth[static_cast<std::size_t>(st.steps[f])];
            ASSERT_EQ(st.values[(f * 3 + 0) * 3 + j], s.V[ids[j]]) << "frame " << f;
            ASSERT_EQ(st.values[(f * 3 + 1) * 3 + j], s.I_ex[ids[j]]);
            ASSERT_EQ(st.values[(f * 3 + 2) * 3 + j], s.I_in[ids[j]]);
        }
    // the delta population: every neuron, V only, every 1 ms (NEST's default interval)
    const state_batch& d = sink.states.at(1);
    ASSERT_EQ(d.steps.size(), 100u);
    EXPECT_EQ(d.values.size(), 100u * 40u);
}

TEST(StateRecorder, SamplesDoNotDependOnWindowsOrThreads) {
    const model m = test::model_from(recorded);
    test::memory_sink a(m.populations.size()), b(m.populations.size());
    auto x = make_cpu_backend(m, 1);
    auto y = make_cpu_backend(m, 3);
    run_options one_step;
    one_step.max_window = 1;
    simulate(m, *x, &a, one_step);
    simulate(m, *y, &b, {});
    for (std::size_t r = 0; r < 2; ++r) {
        EXPECT_EQ(a.states[r].steps, b.states[r].steps);
        EXPECT_EQ(a.states[r].values, b.states[r].values);
    }
    EXPECT_EQ(a.rates, b.rates);
}

TEST(RateRecorder, CountsSpikesPerBinOverNeuronsAndTime) {
    const model m = test::model_from(recorded);
    test::memory_sink sink(m.populations.size());
    auto b = make_cpu_backend(m, 2);
    std::vector<test::spike_list> all(2);
    run_options opt;
    opt.on_window = [&](const std::vector<window_output>& w, std::int64_t) {
        for (std::size_t p = 0; p < 2; ++p)
            for (std::size_t k = 0; k < w[p].steps(); ++k)
                for (auto j = w[p].offsets[k]; j < w[p].offsets[k + 1]; ++j) all[p].emplace_back(w[p].first_step + static_cast<std::int64_t>(k), w[p].ids[j]);
    };
    simulate(m, *b, &sink, opt);
    // E: 20 bins of 5 ms over all 100 neurons; a spike of step s (time (s+1)·dt) is in bin s / 50
    std::vector<double> expected(20, 0.0);
    for (auto [s, id] : all[0]) expected[static_cast<std::size_t>(s / 50)] += 1.0 / (100 * 0.005);
    ASSERT_EQ(sink.rates.at(0).size(), 20u);
    for (std::size_t j = 0; j < 20; ++j) EXPECT_DOUBLE_EQ(sink.rates[0][j], expected[j]) << "bin " << j;
    // D: neurons 1..3, bins of 2 ms in (20, 50]
    std::vector<double> d(15, 0.0);
    for (auto [s, id] : all[1])
        if (id >= 1 && id <= 3 && s >= 200 && s < 500) d[static_cast<std::size_t>((s - 200) / 20)] += 1.0 / (3 * 0.002);
    EXPECT_EQ(sink.rates.at(1), d);
    EXPECT_GT(std::accumulate(d.begin(), d.end(), 0.0), 0.0);
}

TEST(Recorders, SonataLayoutInTheFile) {
    const model m = test::model_from(recorded);
    const auto dir = std::filesystem::temp_directory_path() / ("synfire_rec_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string file = (dir / "rec.h5").string();
    test::memory_sink mem(m.populations.size());
    {
        auto b = make_cpu_backend(m, 2);
        simulate(m, *b, &mem, {});
    }
    {
        auto b = make_cpu_backend(m, 2);
        auto out = open_hdf5_output(file, true, m, {b->name(), b->device(), 1});
        run_options opt;
        opt.flush_interval_s = 0;
        const auto r = simulate(m, *b, out.get(), opt);
        out->finish(r.totals);
    }
    const test::h5_file f(file);
    for (const char* var : {"V_m", "I_syn_ex", "I_syn_in"}) {
        const std::string g = std::string("/report/E/") + var;
        EXPECT_EQ(f.uint64s(g + "/mapping/node_ids"), (std::vector<std::uint64_t>{0, 50, 99}));
        EXPECT_EQ(f.uint64s(g + "/mapping/index_pointers"), (std::vector<std::uint64_t>{0, 1, 2, 3}));
        EXPECT_EQ(f.doubles(g + "/mapping/time"), (std::vector<double>{10.5, 60.5, 0.5}));
        EXPECT_EQ(f.string_attr(g + "/data", "units"), var[0] == 'V' ? "mV" : "pA");
        EXPECT_EQ(f.type_of(g + "/data"), std::make_pair(H5T_FLOAT, std::size_t{4}));
    }
    const auto V = f.read<float>("/report/E/V_m/data", H5T_NATIVE_FLOAT);
    ASSERT_EQ(V.size(), 300u);
    const state_batch& st = mem.states[0];
    for (std::size_t fr = 0; fr < 100; ++fr)
        for (std::size_t j = 0; j < 3; ++j)
            ASSERT_EQ(V[fr * 3 + j], static_cast<float>(static_cast<double>(st.values[(fr * 3) * 3 + j]) - 70.0)) << "absolute mV";
    EXPECT_FALSE(f.exists("/report/D/I_syn_ex")) << "only the variables asked for";
    EXPECT_EQ(f.read<float>("/report/D/V_m/data", H5T_NATIVE_FLOAT).size(), 4000u);
    EXPECT_EQ(f.doubles("/rates/E/rate"), mem.rates[0]);
    const auto t = f.doubles("/rates/D/time");
    ASSERT_EQ(t.size(), 15u);
    EXPECT_EQ(t.front(), 20.0);
    EXPECT_EQ(t.back(), 48.0);
    EXPECT_EQ(f.double_attr("/rates/D", "bin"), 2.0);
    std::filesystem::remove_all(dir);
}

TEST(Recorders, ModelErrors) {
    auto err = [](const std::string& rec) {
        try {
            test::model_from(std::string(recorded) + "[[recorders]]\n" + rec);
        } catch (const user_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(err("type = \"voltmeter\"\npopulation = \"E\"\n").find("unknown recorder type"), std::string::npos);
    EXPECT_NE(err("type = \"state\"\npopulation = \"E\"\n").find("already has a state recorder"), std::string::npos);
    EXPECT_NE(err("type = \"spikes\"\npopulation = \"D\"\ninterval = 1.0\n").find("recorders[4].interval: unknown key for a spikes recorder"),
              std::string::npos);
    const std::string base_pops = "[simulation]\nduration = 10.0\n[populations.D]\nmodel = \"iaf_psc_delta\"\nn = 3\n";
    auto err2 = [&](const std::string& rec) {
        try {
            test::model_from(base_pops + "[[recorders]]\n" + rec);
        } catch (const user_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(err2("type = \"state\"\npopulation = \"D\"\nvariables = [\"I_syn_ex\"]\n").find("recorders[0].variables[0] = \"I_syn_ex\": iaf_psc_delta does not record this"),
              std::string::npos);
    EXPECT_NE(err2("type = \"state\"\npopulation = \"D\"\ninterval = 0.15\n").find("recorders[0].interval = 0.15: not a multiple of dt"), std::string::npos);
    EXPECT_NE(err2("type = \"rate\"\npopulation = \"D\"\nbin = 0.0\n").find("recorders[0].bin = 0.0: must be > 0"), std::string::npos);
    EXPECT_NE(err2("type = \"state\"\npopulation = \"D\"\nvariables = []\n").find("recorders[0].variables"), std::string::npos);
}

}  // namespace
}  // namespace synfire

namespace synfire {
namespace {

TEST(SpikeRecorder, SummaryGivesTheRateOverWhatWasRecorded) {
    // a recorder of 3 neurons from 20 ms on: the summary's extra line counts exactly the spikes it recorded,
    // over 3 neurons and 80 ms; a recorder of everything adds no line
    const model m = test::model_from(R"(
[simulation]
duration = 100.0
[populations.E]
model = "iaf_psc_exp"
n = 10
[[stimuli]]
type = "dc"
target = "E"
amplitude = 500.0
[[recorders]]
type = "spikes"
population = "E"
ids = [1, 4, 7]
start = 20.0
)");
    test::memory_sink sink(1);
    auto b = make_cpu_backend(m, 2);
    const run_result r = simulate(m, *b, &sink, {});
    ASSERT_EQ(r.recorded_spikes.size(), 1u);
    EXPECT_EQ(r.recorded_spikes[0], sink.spikes[0].size());
    EXPECT_GT(sink.spikes[0].size(), 3u);
    EXPECT_LT(r.recorded_spikes[0], r.populations[0].spikes);
    const double hz = static_cast<double>(r.recorded_spikes[0]) / (3 * 0.08);
    const std::string summary = format_summary(m, r, "cpu", "");
    EXPECT_NE(summary.find(fmt::format("recorded {} spikes of 3 neurons in (20, 100] ms: {:.3f} Hz", r.recorded_spikes[0], hz)),
              std::string::npos)
        << summary;

    const model all = test::model_from("[simulation]\nduration = 50.0\n[populations.E]\nmodel = \"iaf_psc_exp\"\nn = 4\n[[recorders]]\ntype = \"spikes\"\npopulation = \"E\"\n");
    test::memory_sink sink2(1);
    auto c = make_cpu_backend(all, 1);
    EXPECT_EQ(format_summary(all, simulate(all, *c, &sink2, {}), "cpu", "").find("recorded"), std::string::npos);

    const model late = test::model_from("[simulation]\nduration = 50.0\n[populations.E]\nmodel = \"iaf_psc_exp\"\nn = 4\n[[recorders]]\ntype = "
                                        "\"spikes\"\npopulation = \"E\"\nstart = 500.0\n");
    test::memory_sink sink3(1);
    auto d = make_cpu_backend(late, 1);
    const std::string nothing = format_summary(late, simulate(late, *d, &sink3, {}), "cpu", "");
    EXPECT_NE(nothing.find("recorded nothing: its window starts at 500 ms, at or after the run's end at 50 ms"), std::string::npos) << nothing;
}

}  // namespace
}  // namespace synfire
