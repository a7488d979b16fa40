#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "support.hpp"
#include "synfire/errors.hpp"
#include "synfire/model_file.hpp"

namespace synfire {
namespace {

const char* base = R"(
[simulation]
dt = 0.1
duration = 100.0
seed = 7

[populations.E]
model = "iaf_psc_exp"
n = 10

[populations.I]
model = "iaf_psc_delta"
n = 5

[[stimuli]]
type = "dc"
target = "E"
amplitude = 400.0

[[recorders]]
type = "spikes"
population = "E"
)";

/// The error message of loading text, or "" when it loads.
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
    try {
        load_model_text(text, "m.toml", "m", overrides);
    } catch (const user_error& e) {
        return e.what();
    }
    return "";
}

/// Expects the base model with one override to fail with a message holding every fragment.
void expect_rejected(const std::vector<std::string>& overrides, std::initializer_list<const char*> fragments) {
    const std::string msg = error_of(base, overrides);
    ASSERT_FALSE(msg.empty()) << "accepted: " << ::testing::PrintToString(overrides);
    for (const char* f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' missing from: " << msg;
}

void expect_text_rejected(const std::string& text, std::initializer_list<const char*> fragments) {
    const std::string msg = error_of(text);
    ASSERT_FALSE(msg.empty()) << "accepted:\n" << text;
    for (const char* f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' missing from: " << msg;
}

TEST(ModelFile, BaseModelLoadsWithNestDefaults) {
    const model m = load_model_text(base, "m.toml", "m");
    EXPECT_EQ(m.dt, 0.1);
    EXPECT_EQ(m.steps, 1000);
    EXPECT_EQ(m.seed, 7u);
    ASSERT_EQ(m.populations.size(), 2u);
    const population& E = m.populations[0];
    EXPECT_EQ(E.name, "E");
    EXPECT_EQ(E.model, neuron_model::iaf_psc_exp);
    EXPECT_EQ(E.n, 10u);
    EXPECT_EQ(E.params.E_L, -70.0);
    EXPECT_EQ(E.params.C_m, 250.0);
    EXPECT_EQ(E.params.tau_m, 10.0);
    EXPECT_EQ(E.params.t_ref, 2.0);
    EXPECT_EQ(E.params.V_th, -55.0);
    EXPECT_EQ(E.params.V_reset, -70.0);
    EXPECT_EQ(E.params.tau_syn_ex, 2.0);
    EXPECT_EQ(E.params.tau_syn_in, 2.0);
    EXPECT_EQ(E.params.I_e, 0.0);
    EXPECT_EQ(E.V_init.type, initial_value::kind::constant);
    EXPECT_EQ(E.V_init.a, -70.0);
    EXPECT_EQ(m.populations[1].model, neuron_model::iaf_psc_delta);
    ASSERT_EQ(m.stimuli.size(), 1u);
    EXPECT_EQ(m.stimuli[0].amplitude, 400.0);
    EXPECT_EQ(m.stimuli[0].start, 0);
    EXPECT_EQ(m.stimuli[0].stop, end_of_run);
    ASSERT_EQ(m.spike_recorders.size(), 1u);
    EXPECT_EQ(m.text, base) << "without overrides the model is stored as written";
}

TEST(ModelFile, PopulationsKeepTheFileOrder) {
    const model m = load_model_text("[simulation]\nduration = 1.0\n[populations.Z]\nmodel = \"iaf_psc_exp\"\nn = 1\n"
                                    "[populations.A]\nmodel = \"iaf_psc_exp\"\nn = 2\n[populations.M]\nmodel = \"iaf_psc_delta\"\nn = 3\n",
                                    "m.toml", "m", {"populations.B.model=iaf_psc_exp", "populations.B.n=4"});
    ASSERT_EQ(m.populations.size(), 4u);
    EXPECT_EQ(m.populations[0].name, "Z");
    EXPECT_EQ(m.populations[1].name, "A");
    EXPECT_EQ(m.populations[2].name, "M");
    EXPECT_EQ(m.populations[3].name, "B") << "made by --set: last";
}

TEST(ModelFile, DefaultModelIsTheFiSweep) {
    const model m = load_default_model();
    EXPECT_EQ(m.name, "fi_curve");
    ASSERT_EQ(m.populations.size(), 1u);
    EXPECT_EQ(m.populations[0].n, 1000u);
    EXPECT_EQ(m.steps, 10000);
    ASSERT_EQ(m.stimuli.size(), 1u);
    EXPECT_EQ(m.stimuli[0].type, stimulus::kind::ramp);
    EXPECT_EQ(m.stimuli[0].to, 1000.0);
}

TEST(ModelFile, OverridesSetAnyScalar) {
    const model m = load_model_text(base, "m.toml", "m",
                                    {"populations.E.params.I_e=400", "simulation.duration=50", "stimuli[0].amplitude=1e3",
                                     "populations.I.model=iaf_psc_exp", "stimuli.0.start=10"});
    EXPECT_EQ(m.populations[0].params.I_e, 400.0);
    EXPECT_EQ(m.steps, 500);
    EXPECT_EQ(m.stimuli[0].amplitude, 1000.0);
    EXPECT_EQ(m.stimuli[0].start, 100);
    EXPECT_EQ(m.populations[1].model, neuron_model::iaf_psc_exp);
    // the model as run records the overrides and loads back to the same model
    EXPECT_NE(m.text.find("--set populations.E.params.I_e=400"), std::string::npos);
    const model again = load_model_text(m.text, "again.toml", "again");
    EXPECT_EQ(again.populations[0].params.I_e, 400.0);
    EXPECT_EQ(again.steps, 500);
    EXPECT_EQ(again.stimuli[0].amplitude, 1000.0);
}

TEST(ModelFile, BadOverridesAreRejected) {
    expect_rejected({"populations.E.params.I_e"}, {"--set", "KEY=VALUE"});
    expect_rejected({"populations.E.n.x=3"}, {"--set", "populations.E.n", "not a table"});
    expect_rejected({"stimuli[5].amplitude=3"}, {"stimuli", "1 entries"});
    expect_rejected({"populations.E.params.tau_n=3"}, {"--set", "populations.E.params.tau_n", "did you mean tau_m"});
    expect_rejected({"populations.E.n=0"}, {"--set", "populations.E.n = 0", "at least 1"});
    const std::string made = error_of(base, {"populations.X.n=5"});  // a table --set made is located at --set
    EXPECT_EQ(made.rfind("--set: populations.X.model: missing", 0), 0u) << made;
}

TEST(ModelFile, InitialPotentialForms) {
    model m = load_model_text(base, "m.toml", "m", {"populations.E.V_init=-65"});
    EXPECT_EQ(m.populations[0].V_init.a, -65.0);
    m = load_model_text(base, "m.toml", "m",
                        {"populations.E.V_init.distribution=uniform", "populations.E.V_init.low=-70", "populations.E.V_init.high=-56"});
    EXPECT_EQ(m.populations[0].V_init.type, initial_value::kind::uniform);
    EXPECT_EQ(m.populations[0].V_init.b, -56.0);
    m = load_model_text(base, "m.toml", "m",
                        {"populations.E.V_init.distribution=normal", "populations.E.V_init.mean=-60", "populations.E.V_init.std=2"});
    EXPECT_EQ(m.populations[0].V_init.type, initial_value::kind::normal);
    expect_rejected({"populations.E.V_init.distribution=gauss", "populations.E.V_init.mean=1"}, {"populations.E.V_init.distribution", "unknown distribution"});
    expect_rejected({"populations.E.V_init.distribution=normal", "populations.E.V_init.mean=-60", "populations.E.V_init.std=-1"},
                    {"populations.E.V_init.std = -1", ">= 0"});
    expect_rejected({"populations.E.V_init.distribution=uniform", "populations.E.V_init.low=-50", "populations.E.V_init.high=-60"},
                    {"populations.E.V_init.high = -60", ">= low"});
    expect_rejected({"populations.E.V_init.distribution=uniform", "populations.E.V_init.low=-50"}, {"populations.E.V_init.high", "missing"});
}

TEST(ModelFile, StimulusTypesAndWindows) {
    const std::string text = std::string(base) + R"(
[[stimuli]]
type = "step_current"
target = "I"
times = [0.0, 10.0, 20.5]
amplitudes = [100.0, -50.0, 0.0]
stop = 30.0
[[stimuli]]
type = "ramp"
target = "E"
from = 100
to = 200
start = 5.0
)";
    const model m = load_model_text(text, "m.toml", "m");
    ASSERT_EQ(m.stimuli.size(), 3u);
    const stimulus& sc = m.stimuli[1];
    EXPECT_EQ(sc.times, (std::vector<std::int64_t>{0, 100, 205}));
    EXPECT_EQ(sc.stop, 300);
    EXPECT_EQ(sc.course(0), 100.0);
    EXPECT_EQ(sc.course(99), 100.0);
    EXPECT_EQ(sc.course(100), -50.0);
    EXPECT_EQ(sc.course(205), 0.0);
    EXPECT_EQ(sc.course(300), 0.0);
    const stimulus& ramp = m.stimuli[2];
    EXPECT_EQ(ramp.start, 50);
    EXPECT_EQ(ramp.ramp_current(0, 10), 100.0);
    EXPECT_EQ(ramp.ramp_current(9, 10), 200.0);
    EXPECT_EQ(ramp.ramp_current(0, 1), 100.0);
}

TEST(ModelFile, RecorderIdsAndWindow) {
    const model m = load_model_text(base, "m.toml", "m", {"recorders[0].ids=[3, 1, 2]", "recorders[0].start=10", "recorders[0].stop=20"});
    EXPECT_EQ(m.spike_recorders[0].ids, (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(m.spike_recorders[0].start, 100);
    EXPECT_EQ(m.spike_recorders[0].stop, 200);
    expect_rejected({"recorders[0].ids=[1, 10]"}, {"recorders[0].ids[1] = 10", "out of range"});
    expect_rejected({"recorders[0].ids=[1, 1]"}, {"recorders[0].ids", "appears twice"});
    expect_rejected({"recorders[0].ids=[]"}, {"recorders[0].ids", "empty"});
}

// ---- every validation error of the model file, each naming its key and value

TEST(ModelValidation, UnparsableTomlGivesLineAndColumn) {
    const std::string msg = error_of("[simulation]\ndt = 0.1\nduration = = 3\n");
    EXPECT_NE(msg.find("m.toml:3:"), std::string::npos) << msg;
    EXPECT_NE(msg.find("invalid TOML"), std::string::npos) << msg;
}

TEST(ModelValidation, UnknownKeysSuggestTheNearestName) {
    expect_rejected({"simulation.durration=5"}, {"simulation.durration: unknown key", "did you mean duration"});
    expect_rejected({"populations.E.params.tau_syn=5"}, {"populations.E.params.tau_syn", "did you mean tau_syn_ex"});
    expect_rejected({"stimuli[0].amplitdue=5"}, {"stimuli[0].amplitdue", "did you mean amplitude"});
    expect_rejected({"recorders[0].populaton=5"}, {"recorders[0].populaton", "did you mean population"});
    expect_rejected({"output.file=x"}, {"output: unknown key"});
    expect_rejected({"populations.I.params.tau_syn_ex=2"}, {"populations.I.params.tau_syn_ex", "for iaf_psc_delta"});
    expect_rejected({"stimuli[0].from=2"}, {"stimuli[0].from", "for a dc stimulus"});
    expect_rejected({"populations.E.params.V_m=-65"}, {"populations.E.params.V_m", "unknown key", "the population's V_init, beside params"});
    expect_rejected({"populations.E.V_m=-65"}, {"populations.E.V_m", "did you mean V_init"});
    expect_rejected({"recorders[0].target=\"E\""}, {"recorders[0].target", "did you mean population"});
    expect_rejected({"stimuli[0].population=\"E\""}, {"stimuli[0].population", "did you mean target"});
}

TEST(ModelValidation, UnknownKeyReportsItsLine) {
    const std::string text = std::string(base) + "\n[populations.X]\nmodel = \"iaf_psc_exp\"\nn = 3\ntau_m = 5\n";
    const auto line = std::count(text.begin(), text.begin() + static_cast<long>(text.find("tau_m = 5")), '\n') + 1;
    const std::string msg = error_of(text);
    EXPECT_NE(msg.find("m.toml:" + std::to_string(line) + ":1: populations.X.tau_m: unknown key"), std::string::npos)
        << "expected line " << line << ", column 1: " << msg;
}

TEST(ModelValidation, WrongTypes) {
    expect_rejected({"populations.E.n=\"ten\""}, {"populations.E.n = \"ten\"", "expected an integer, got a string"});
    expect_rejected({"populations.E.n=10.5"}, {"populations.E.n = 10.5", "expected an integer"});
    expect_rejected({"populations.E.params.tau_m=true"}, {"populations.E.params.tau_m = true", "expected a number"});
    expect_rejected({"populations.E.model=5"}, {"populations.E.model = 5", "expected a string"});
    expect_rejected({"simulation.dt=\"0.1\""}, {"simulation.dt", "expected a number"});
    expect_rejected({"stimuli[0].target=1"}, {"stimuli[0].target = 1", "expected a string"});
    expect_rejected({"populations.E.params=3"}, {"populations.E.params = 3", "expected a table"});
    expect_rejected({"populations.E.params.I_e=nan"}, {"populations.E.params.I_e = nan", "finite"});
    expect_text_rejected("[simulation]\nduration = 1\n[populations.E]\nmodel = \"iaf_psc_exp\"\nn = 1\n[stimuli]\ntype = \"dc\"\n",
                         {"stimuli", "array of tables"});
}

TEST(ModelValidation, IntegralFloatsAreAcceptedAsCounts) {
    const model m = load_model_text(base, "m.toml", "m", {"populations.E.n=1e3"});
    EXPECT_EQ(m.populations[0].n, 1000u);
}

TEST(ModelValidation, TimeConstantsMustBePositive) {
    expect_rejected({"populations.E.params.tau_m=0"}, {"populations.E.params.tau_m = 0", "must be > 0"});
    expect_rejected({"populations.E.params.tau_m=-5"}, {"populations.E.params.tau_m = -5", "must be > 0"});
    expect_rejected({"populations.E.params.tau_syn_ex=0.0"}, {"populations.E.params.tau_syn_ex = 0.0", "must be > 0"});
    expect_rejected({"populations.E.params.tau_syn_in=-1"}, {"populations.E.params.tau_syn_in = -1", "must be > 0"});
}

TEST(ModelValidation, CapacitanceMustBePositive) {
    expect_rejected({"populations.E.params.C_m=0"}, {"populations.E.params.C_m = 0", "must be > 0"});
    expect_rejected({"populations.I.params.C_m=-250"}, {"populations.I.params.C_m = -250", "must be > 0"});
    expect_rejected({"populations.E.params.C_m=1e-300"}, {"populations.E.params", "P20 (I -> V) = inf in single precision", "C_m = 1e-300 pF"});
    expect_rejected({"populations.I.params.C_m=1e-300"}, {"populations.I.params", "P30 (I -> V) = inf"});
    expect_rejected({"populations.E.params.V_th=1e300"}, {"populations.E.params", "V_th - E_L = inf"});
}

TEST(ModelValidation, RefractoryPeriodMustBeNonNegativeAndOnTheGrid) {
    expect_rejected({"populations.E.params.t_ref=-1"}, {"populations.E.params.t_ref = -1", ">= 0"});
    expect_rejected({"populations.E.params.t_ref=2.05"}, {"populations.E.params.t_ref = 2.05", "not a multiple of dt = 0.1 ms"});
    expect_rejected({"simulation.dt=0.3", "simulation.duration=3"}, {"populations.E.params.t_ref", "default t_ref = 2 ms", "dt = 0.3 ms"});
}

TEST(ModelValidation, ResetMustBeBelowThreshold) {
    expect_rejected({"populations.E.params.V_reset=-55"}, {"populations.E.params.V_reset = -55", "must be below V_th"});
    expect_rejected({"populations.E.params.V_th=-75"}, {"populations.E.params.V_th = -75", "must be below V_th"});
    expect_rejected({"populations.I.params.V_min=-60"}, {"populations.I.params.V_min = -60", "must not exceed V_reset"});
}

TEST(ModelValidation, ResolutionAndDuration) {
    expect_rejected({"simulation.dt=0"}, {"simulation.dt = 0", "must be > 0"});
    expect_rejected({"simulation.dt=-0.1"}, {"simulation.dt = -0.1", "must be > 0"});
    expect_rejected({"simulation.duration=-1"}, {"simulation.duration = -1", ">= 0"});
    expect_text_rejected("[simulation]\ndt = 0.1\n[populations.E]\nmodel = \"iaf_psc_exp\"\nn = 1\n", {"simulation.duration", "missing"});
    expect_rejected({"simulation.seed=-3"}, {"simulation.seed = -3", ">= 0"});
}

TEST(ModelValidation, TimesMustBeMultiplesOfDt) {
    expect_rejected({"simulation.duration=100.05"}, {"simulation.duration = 100.05", "not a multiple of dt = 0.1 ms"});
    expect_rejected({"stimuli[0].start=0.15"}, {"stimuli[0].start = 0.15", "not a multiple of dt"});
    expect_rejected({"stimuli[0].stop=1.01"}, {"stimuli[0].stop = 1.01", "not a multiple of dt"});
    expect_rejected({"recorders[0].start=0.33"}, {"recorders[0].start = 0.33", "not a multiple of dt"});
    expect_rejected({"stimuli[0].type=step_current", "stimuli[0].amplitude=0"}, {"stimuli[0].amplitude: unknown key"});
    const std::string sc = std::string(base) + "[[stimuli]]\ntype = \"step_current\"\ntarget = \"E\"\ntimes = [1.0, 2.55]\namplitudes = [1.0, 2.0]\n";
    expect_text_rejected(sc, {"stimuli[1].times[1] = 2.55", "not a multiple of dt"});
    // 0.3 / 0.1 = 2.9999999999999996 is a multiple to 1e-9 relative
    EXPECT_EQ(error_of(base, {"stimuli[0].start=0.3"}), "");
}

TEST(ModelValidation, StepCurrentShape) {
    const std::string head = std::string(base) + "[[stimuli]]\ntype = \"step_current\"\ntarget = \"E\"\n";
    expect_text_rejected(head + "times = [1.0, 2.0]\namplitudes = [1.0]\n", {"stimuli[1].amplitudes", "has 1 entries but times has 2"});
    expect_text_rejected(head + "times = [2.0, 1.0]\namplitudes = [1.0, 2.0]\n", {"stimuli[1].times[1] = 1.0", "strictly increasing"});
    expect_text_rejected(head + "times = [1.0]\n", {"stimuli[1].amplitudes", "missing"});
    expect_rejected({"stimuli[0].start=10", "stimuli[0].stop=5"}, {"stimuli[0].stop = 5", "not be before start"});
}

TEST(ModelValidation, PopulationSize) {
    expect_rejected({"populations.E.n=0"}, {"populations.E.n = 0", "at least 1"});
    expect_rejected({"populations.E.n=-4"}, {"populations.E.n = -4", "at least 1"});
    expect_rejected({"populations.E.n=5000000000"}, {"populations.E.n = 5000000000", "2^32"});
    expect_text_rejected("[simulation]\nduration = 1\n[populations.E]\nmodel = \"iaf_psc_exp\"\n", {"populations.E.n", "missing"});
}

TEST(ModelValidation, UnknownModel) {
    expect_rejected({"populations.E.model=iaf_psc_alpha"}, {"populations.E.model = \"iaf_psc_alpha\"", "unknown model"});
    expect_rejected({"populations.E.model=iaf_psc_expp"}, {"unknown model", "did you mean iaf_psc_exp"});
}

TEST(ModelValidation, StimulusAndRecorderNameExistingPopulations) {
    expect_rejected({"stimuli[0].target=X"}, {"stimuli[0].target = \"X\"", "no such population"});
    expect_rejected({"stimuli[0].target=e"}, {"no such population", "did you mean E"});
    expect_rejected({"recorders[0].population=Q"}, {"recorders[0].population = \"Q\"", "no such population"});
    expect_rejected({"stimuli[0].type=sawtooth"}, {"stimuli[0].type = \"sawtooth\"", "unknown stimulus type"});
    expect_rejected({"recorders[0].type=voltage"}, {"recorders[0].type = \"voltage\"", "unknown recorder type"});
}

TEST(ModelValidation, PopulationNamesAreIdentifiers) {
    expect_text_rejected("[simulation]\nduration = 1\n[populations.\"E 1\"]\nmodel = \"iaf_psc_exp\"\nn = 1\n", {"populations.E 1", "population name"});
    expect_text_rejected("[simulation]\nduration = 1\n[populations]\n", {"populations", "at least one"});
}

TEST(ModelValidation, NewStimulusKeysAreChecked) {
    const std::string head = std::string(base) + "[[stimuli]]\ntarget = \"E\"\n";
    expect_text_rejected(head + "type = \"poisson\"\nrate = -1.0\nweight = 1.0\n", {"stimuli[1].rate = -1.0", ">= 0"});
    expect_text_rejected(head + "type = \"poisson\"\nrate = 10.0\nweight = 1.0\nn_inputs = 0\n", {"stimuli[1].n_inputs = 0", "at least 1"});
    expect_text_rejected(head + "type = \"poisson\"\nrate = 1.0e6\nweight = 1.0\nn_inputs = 10000\n", {"stimuli[1].rate", "at most 150", "noise"});
    expect_text_rejected(head + "type = \"poisson\"\nrate = 10.0\n", {"stimuli[1].weight", "missing"});
    expect_text_rejected(head + "type = \"poisson\"\nrate = 10.0\nweight = 1.0\nreceptor = \"exc\"\n",
                         {"stimuli[1].receptor = \"exc\"", "did you mean excitatory"});
    expect_text_rejected(std::string(base) + "[[stimuli]]\ntarget = \"I\"\ntype = \"poisson\"\nrate = 10.0\nweight = 1.0\nreceptor = \"inhibitory\"\n",
                         {"stimuli[1].receptor", "single input"});
    expect_text_rejected(head + "type = \"noise\"\nstd = -2.0\n", {"stimuli[1].std = -2.0", ">= 0"});
    expect_text_rejected(head + "type = \"noise\"\nstd = 2.0\ndt_noise = 0.25\n", {"stimuli[1].dt_noise = 0.25", "not a multiple of dt"});
    expect_text_rejected(head + "type = \"noise\"\nmean = 2.0\n", {"stimuli[1].std", "missing"});
    expect_text_rejected(head + "type = \"ac\"\namplitude = 2.0\nfrequency = -3.0\n", {"stimuli[1].frequency = -3.0", ">= 0"});
    expect_text_rejected(head + "type = \"ac\"\namplitude = 2.0\n", {"stimuli[1].frequency", "missing"});
    expect_text_rejected(head + "type = \"spike_times\"\ntimes = [0.0]\nweight = 1.0\n", {"stimuli[1].times[0] = 0.0", "> 0"});
    expect_text_rejected(head + "type = \"spike_times\"\ntimes = [1.05]\nweight = 1.0\n", {"stimuli[1].times[0] = 1.05", "multiple of dt"});
    expect_text_rejected(head + "type = \"spike_times\"\ntimes = [[1.0], [2.0]]\nweight = 1.0\nids = [3]\n",
                         {"stimuli[1].times", "2 spike trains for 1 neurons"});
    expect_text_rejected(head + "type = \"dc\"\namplitude = 1.0\nids = [10]\n", {"stimuli[1].ids[0] = 10", "out of range"});
    expect_text_rejected(head + "type = \"file\"\n", {"stimuli[1].path", "missing"});
    expect_text_rejected(head + "type = \"spike_times\"\ntimes = [1.0]\nweight = 3e9\n", {"stimuli[1].weight", "must stay below 1e+09"});
    expect_text_rejected(head + "type = \"poisson\"\nrate = 10.0\nweight = -1e9\n", {"stimuli[1].weight", "must stay below 1e+09"});
    EXPECT_EQ(error_of(head + "type = \"spike_times\"\ntimes = [1.0]\nweight = 9.99e8\n"), "");
    std::string noisy = base;
    for (int i = 0; i < 5; ++i) noisy += "[[stimuli]]\ntarget = \"E\"\ntype = \"noise\"\nstd = 1.0\n";
    expect_text_rejected(noisy, {"stimuli[5]", "already has 4 noise stimuli"});
}

TEST(ModelValidation, EmptyArraysOfTablesMeanNone) {
    const std::string bare = "[simulation]\nduration = 10.0\n[populations.E]\nmodel = \"iaf_psc_exp\"\nn = 2\n";
    EXPECT_EQ(error_of("projections = []\nstimuli = []\nrecorders = []\n" + bare), "");
    expect_text_rejected("projections = [1]\n" + bare, {"projections", "expected an array of tables"});
}

TEST(ModelValidation, OneSpikeRecorderPerPopulation) {
    expect_text_rejected(std::string(base) + "[[recorders]]\ntype = \"spikes\"\npopulation = \"E\"\n",
                         {"recorders[1].population", "already has a spikes recorder"});
}

TEST(ModelValidation, MissingFileIsNamed) {
    try {
        load_model_file("/nonexistent/model.toml");
        FAIL() << "no error";
    } catch (const user_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.toml"), std::string::npos);
    }
}

}  // namespace
}  // namespace synfire
