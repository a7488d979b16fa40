#include "synfire/model_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>

#include "synfire/errors.hpp"
#include "synfire/hdf5_input.hpp"
#include "synfire/propagators.hpp"
#include "synfire/stimuli.hpp"

#include <toml++/toml.h>

namespace synfire {

extern const char* const default_model_text;  // generated from data/models/fi_curve.toml

namespace {

constexpr std::string_view override_source = "--set";

// ---------------------------------------------------------------- messages

std::string type_name(toml::node_type t) {
    switch (t) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        default: return "a date/time";
    }
}

std::string value_text(const toml::node& n) {
    if (n.is_table()) return "{...}";
    std::string s;
    if (auto f = n.as_floating_point()) {
        // shortest form that reads back: 2.05, not 2.0499999999999998
        s = fmt::format("{}", f->get());
        if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    } else {
        std::ostringstream os;
        n.visit([&](auto&& v) { os << toml::toml_formatter{v, toml::format_flags::none}; });
        s = os.str();
    }
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

/// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            const std::size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                             std::tolower(static_cast<unsigned char>(b[j - 1]))
                                         ? 0
                                         : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string suggestion(std::string_view key, const std::vector<std::string_view>& candidates) {
    // words that belong to a neighbouring table, which spelling distance would map to a stranger: a
    // recorder's `target` (stimuli name theirs so) is its `population`; V_m is a state, set by V_init
    struct alias {
        std::string_view key, meant;
    };
    static constexpr alias aliases[] = {{"target", "population"}, {"population", "target"}, {"V_m", "V_init"}, {"V_0", "V_init"}};
    for (const alias& a : aliases)
        if (key == a.key && std::find(candidates.begin(), candidates.end(), a.meant) != candidates.end())
            return fmt::format(" (did you mean {}?)", a.meant);
    if ((key == "V_m" || key == "V_0") && std::find(candidates.begin(), candidates.end(), "C_m") != candidates.end())
        return " (the initial membrane potential is the population's V_init, beside params)";
    std::string prefixed;  // tau_syn -> tau_syn_ex or tau_syn_in
    for (auto c : candidates)
        if (key.size() >= 3 && c.substr(0, key.size()) == key) prefixed += (prefixed.empty() ? "" : " or ") + std::string(c);
    if (!prefixed.empty()) return fmt::format(" (did you mean {}?)", prefixed);
    std::string_view best;
    std::size_t best_d = std::max<std::size_t>(2, key.size() / 2) + 1;
    for (auto c : candidates) {
        const std::size_t d = edit_distance(key, c);
        if (d < best_d) best_d = d, best = c;
    }
    if (!best.empty()) return fmt::format(" (did you mean {}?)", best);
    std::string all;
    for (auto c : candidates) all += (all.empty() ? "" : ", ") + std::string(c);
    return fmt::format(" (allowed: {})", all);
}

/// Builds messages that start with where the value came from: file:line:col, or --set.
class context {
public:
    explicit context(std::string file) : file_(std::move(file)) {}
    const std::string& file() const { return file_; }

    std::string where(const toml::node* n) const { return n ? where(n->source()) : file_; }
    std::string where(const toml::source_region& src) const {
        if (src.path && *src.path == override_source) return std::string(override_source);
        if (src.begin.line > 0) return fmt::format("{}:{}:{}", file_, src.begin.line, src.begin.column);
        return file_;
    }
    /// "<where>: key = value: problem"
    [[noreturn]] void bad_value(const toml::node& n, const std::string& key, const std::string& problem) const {
        throw model_error(file_, key, fmt::format("{}: {} = {}: {}", where(&n), key, value_text(n), problem));
    }
    /// "<where>: key: problem"
    [[noreturn]] void bad_key(const toml::node* n, const std::string& key, const std::string& problem) const {
        throw model_error(file_, key, fmt::format("{}: {}: {}", where(n), key, problem));
    }
    /// Points at the key itself; keys made by --set have no position, so their value's is used.
    [[noreturn]] void bad_key(const toml::key& k, const toml::node& v, const std::string& key, const std::string& problem) const {
        const auto& src = k.source().begin.line > 0 ? k.source() : v.source();
        throw model_error(file_, key, fmt::format("{}: {}: {}", where(src), key, problem));
    }

private:
    std::string file_;
};

std::string join_key(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// ---------------------------------------------------------------- typed reads

double as_number(const context& cx, const toml::node& n, const std::string& key) {
    if (auto f = n.as_floating_point()) return f->get();
    if (auto i = n.as_integer()) return static_cast<double>(i->get());
    cx.bad_value(n, key, fmt::format("expected a number, got {}", type_name(n.type())));
}

double as_finite(const context& cx, const toml::node& n, const std::string& key) {
    const double v = as_number(cx, n, key);
    if (!std::isfinite(v)) cx.bad_value(n, key, "must be a finite number");
    return v;
}

std::int64_t as_integer(const context& cx, const toml::node& n, const std::string& key) {
    if (auto i = n.as_integer()) return i->get();
    if (auto f = n.as_floating_point()) {
        const double v = f->get();
        if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9.2e18) return static_cast<std::int64_t>(v);
        cx.bad_value(n, key, "expected an integer");
    }
    cx.bad_value(n, key, fmt::format("expected an integer, got {}", type_name(n.type())));
}

std::string as_string(const context& cx, const toml::node& n, const std::string& key) {
    if (auto s = n.as_string()) return s->get();
    cx.bad_value(n, key, fmt::format("expected a string, got {}", type_name(n.type())));
}

/// A time [ms] as a whole number of steps; a time that is not a multiple of dt (to 1e-9 relative) is an error.
std::int64_t to_steps(const context& cx, const toml::node& n, const std::string& key, double t, double dt) {
    const double q = t / dt;
    const double r = std::nearbyint(q);
    if (std::fabs(q - r) > 1e-9 * std::max(1.0, std::fabs(q)))
        cx.bad_value(n, key, fmt::format("not a multiple of dt = {} ms", dt));
    if (std::fabs(r) > 4.0e18) cx.bad_value(n, key, "too many steps for a 64-bit step counter");
    return static_cast<std::int64_t>(r);
}

/// Reads one table whose keys are known: unknown keys are rejected up front with a suggestion.
class table_reader {
public:
    table_reader(const context& cx, const toml::table& t, std::string path, std::vector<std::string_view> allowed,
                 std::string_view what = {})
        : cx_(cx), t_(t), path_(std::move(path)) {
        for (auto&& [k, v] : t) {
            if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
                const std::string full = join_key(path_, k.str());
                std::string problem = "unknown key";
                if (!what.empty()) problem += fmt::format(" for {}", what);
                cx_.bad_key(k, v, full, problem + suggestion(k.str(), allowed));
            }
        }
    }

    const context& cx() const { return cx_; }
    std::string key(std::string_view k) const { return join_key(path_, k); }
    const toml::node* find(std::string_view k) const { return t_.get(k); }

    const toml::node& required(std::string_view k) const {
        if (const toml::node* n = t_.get(k)) return *n;
        cx_.bad_key(&t_, key(k), "missing (required)");
    }

    std::optional<double> number(std::string_view k) const {
        if (const toml::node* n = t_.get(k)) return as_finite(cx_, *n, key(k));
        return std::nullopt;
    }
    double number(std::string_view k, double def) const { return number(k).value_or(def); }
    double required_number(std::string_view k) const { return as_finite(cx_, required(k), key(k)); }

    std::string required_string(std::string_view k) const { return as_string(cx_, required(k), key(k)); }

    /// Optional time [ms] >= 0 as steps.
    std::optional<std::int64_t> time_steps(std::string_view k, double dt) const {
        const toml::node* n = t_.get(k);
        if (!n) return std::nullopt;
        const double v = as_finite(cx_, *n, key(k));
        if (v < 0) cx_.bad_value(*n, key(k), "must be >= 0");
        return to_steps(cx_, *n, key(k), v, dt);
    }

    const toml::table& required_table(std::string_view k) const {
        const toml::node& n = required(k);
        if (auto t = n.as_table()) return *t;
        cx_.bad_value(n, key(k), fmt::format("expected a table, got {}", type_name(n.type())));
    }

private:
    const context& cx_;
    const toml::table& t_;
    std::string path_;
};

// ---------------------------------------------------------------- sections

bool valid_population_name(std::string_view s) {
    if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

/// The default t_ref must fit the grid too when the model leaves it out.
void check_t_ref_on_grid(const table_reader& pop, double t_ref, double dt) {
    const double q = t_ref / dt;
    if (std::fabs(q - std::nearbyint(q)) > 1e-9 * std::max(1.0, q))
        pop.cx().bad_key(pop.find("params"), pop.key("params.t_ref"),
                         fmt::format("the default t_ref = {} ms is not a multiple of dt = {} ms; set t_ref", t_ref, dt));
}

neuron_params read_params(const table_reader& pop, neuron_model m, double dt) {
    neuron_params p;
    const toml::node* node = pop.find("params");
    if (!node) {
        check_t_ref_on_grid(pop, p.t_ref, dt);
        return p;
    }
    const toml::table* t = node->as_table();
    if (!t) pop.cx().bad_value(*node, pop.key("params"), fmt::format("expected a table, got {}", type_name(node->type())));

    std::vector<std::string_view> allowed = {"E_L", "C_m", "tau_m", "t_ref", "V_th", "V_reset", "I_e"};
    if (m == neuron_model::iaf_psc_exp) allowed.insert(allowed.end(), {"tau_syn_ex", "tau_syn_in"});
    if (m == neuron_model::iaf_psc_delta) allowed.push_back("V_min");
    const table_reader r(pop.cx(), *t, pop.key("params"), allowed, to_string(m));
    const context& cx = r.cx();

    p.E_L = r.number("E_L", p.E_L);
    p.C_m = r.number("C_m", p.C_m);
    p.tau_m = r.number("tau_m", p.tau_m);
    p.t_ref = r.number("t_ref", p.t_ref);
    p.V_th = r.number("V_th", p.V_th);
    p.V_reset = r.number("V_reset", p.V_reset);
    p.I_e = r.number("I_e", p.I_e);
    p.tau_syn_ex = r.number("tau_syn_ex", p.tau_syn_ex);
    p.tau_syn_in = r.number("tau_syn_in", p.tau_syn_in);
    if (const toml::node* n = r.find("V_min")) {
        p.V_min = as_number(cx, *n, r.key("V_min"));
        if (std::isnan(p.V_min) || p.V_min == std::numeric_limits<double>::infinity())
            cx.bad_value(*n, r.key("V_min"), "must be a finite number or -inf");
    }

    for (std::string_view k : {"C_m", "tau_m", "tau_syn_ex", "tau_syn_in"})
        if (const toml::node* n = r.find(k); n && as_number(cx, *n, r.key(k)) <= 0) cx.bad_value(*n, r.key(k), "must be > 0");
    if (const toml::node* n = r.find("t_ref")) {
        if (p.t_ref < 0) cx.bad_value(*n, r.key("t_ref"), "must be >= 0");
        to_steps(cx, *n, r.key("t_ref"), p.t_ref, dt);
    } else {
        check_t_ref_on_grid(pop, p.t_ref, dt);
    }
    if (p.V_reset >= p.V_th) {
        const std::string_view k = r.find("V_reset") ? "V_reset" : "V_th";
        cx.bad_value(*r.find(k), r.key(k), fmt::format("V_reset ({} mV) must be below V_th ({} mV)", p.V_reset, p.V_th));
    }
    if (p.V_reset < p.V_min)
        cx.bad_value(*r.find("V_min"), r.key("V_min"), fmt::format("must not exceed V_reset ({} mV)", p.V_reset));
    // the neurons step in single precision: every constant must be a finite float (C_m = 1e-300 pF gives a
    // current propagator of ~1e300 mV/pA, and NaN voltages)
    std::vector<std::pair<const char*, float>> coefficients;
    if (m == neuron_model::iaf_psc_exp) {
        const iaf_psc_exp_coeffs c = make_iaf_psc_exp_coeffs(p, dt);
        coefficients = {{"P20 (I -> V)", c.P20}, {"P21ex (I_syn_ex -> V)", c.P21ex}, {"P21in (I_syn_in -> V)", c.P21in}, {"V_th - E_L", c.theta},
                        {"V_reset - E_L", c.V_reset}};
    } else {
        const iaf_psc_delta_coeffs c = make_iaf_psc_delta_coeffs(p, dt);
        coefficients = {{"P30 (I -> V)", c.P30}, {"V_th - E_L", c.theta}, {"V_reset - E_L", c.V_reset}};
    }
    for (const auto& [what, v] : coefficients)
        if (!std::isfinite(v))
            cx.bad_value(*node, pop.key("params"), fmt::format("{} = {} in single precision, with which the neurons cannot step (C_m = {} pF, "
                                                               "tau_m = {} ms, E_L = {} mV, V_th = {} mV, V_reset = {} mV)",
                                                               what, v, p.C_m, p.tau_m, p.E_L, p.V_th, p.V_reset));
    return p;
}

initial_value read_initial_value(const table_reader& pop, const neuron_params& p) {
    initial_value v{initial_value::kind::constant, p.E_L, 0.0};
    const toml::node* node = pop.find("V_init");
    if (!node) return v;
    const std::string key = pop.key("V_init");
    const context& cx = pop.cx();
    if (node->is_number()) {
        v.a = as_finite(cx, *node, key);
        return v;
    }
    const toml::table* t = node->as_table();
    if (!t) cx.bad_value(*node, key, fmt::format("expected a number [mV] or a distribution table, got {}", type_name(node->type())));
    const std::string dist = table_reader(cx, *t, key, {"distribution", "low", "high", "mean", "std", "value"})
                                 .required_string("distribution");
    if (dist == "uniform") {
        const table_reader r(cx, *t, key, {"distribution", "low", "high"}, "a uniform distribution");
        v = {initial_value::kind::uniform, r.required_number("low"), r.required_number("high")};
        if (v.a > v.b) cx.bad_value(r.required("high"), r.key("high"), fmt::format("must be >= low ({})", v.a));
    } else if (dist == "normal") {
        const table_reader r(cx, *t, key, {"distribution", "mean", "std"}, "a normal distribution");
        v = {initial_value::kind::normal, r.required_number("mean"), r.required_number("std")};
        if (v.b < 0) cx.bad_value(r.required("std"), r.key("std"), "must be >= 0");
    } else if (dist == "constant") {
        const table_reader r(cx, *t, key, {"distribution", "value"}, "a constant");
        v.a = r.required_number("value");
    } else {
        cx.bad_value(*t->get("distribution"), key + ".distribution",
                     "unknown distribution" + suggestion(dist, {"uniform", "normal", "constant"}));
    }
    return v;
}

population read_population(const context& cx, const std::string& name, const toml::node& node, double dt) {
    const std::string path = "populations." + name;
    if (!valid_population_name(name))
        cx.bad_key(&node, path, "a population name must start with a letter or _ and hold only letters, digits and _");
    const toml::table* t = node.as_table();
    if (!t) cx.bad_value(node, path, fmt::format("expected a table, got {}", type_name(node.type())));
    const table_reader r(cx, *t, path, {"model", "n", "params", "V_init"});

    population pop;
    pop.name = name;
    const std::string model_name = r.required_string("model");
    if (model_name == "iaf_psc_exp") {
        pop.model = neuron_model::iaf_psc_exp;
    } else if (model_name == "iaf_psc_delta") {
        pop.model = neuron_model::iaf_psc_delta;
    } else {
        cx.bad_value(r.required("model"), r.key("model"), "unknown model" + suggestion(model_name, {"iaf_psc_exp", "iaf_psc_delta"}));
    }
    const std::int64_t n = as_integer(cx, r.required("n"), r.key("n"));
    if (n < 1) cx.bad_value(r.required("n"), r.key("n"), "must be at least 1");
    if (n > std::int64_t{0xFFFFFFFF}) cx.bad_value(r.required("n"), r.key("n"), "must be below 2^32 (ids are 32-bit per population)");
    pop.n = static_cast<std::uint64_t>(n);
    pop.params = read_params(r, pop.model, dt);
    pop.V_init = read_initial_value(r, pop.params);
    return pop;
}

std::size_t find_population(const context& cx, const table_reader& r, const std::vector<population>& pops,
                            std::string_view key) {
    const std::string name = r.required_string(key);
    for (std::size_t i = 0; i < pops.size(); ++i)
        if (pops[i].name == name) return i;
    std::vector<std::string_view> names;
    for (const auto& p : pops) names.push_back(p.name);
    cx.bad_value(r.required(key), r.key(key), "no such population" + suggestion(name, names));
}

const toml::array* optional_array_of_tables(const context& cx, const toml::table& root, std::string_view key) {
    const toml::node* n = root.get(key);
    if (!n) return nullptr;
    const toml::array* a = n->as_array();
    if (!a || (!a->empty() && !a->is_array_of_tables()))  // [] is none
        cx.bad_value(*n, std::string(key), fmt::format("expected an array of tables ([[{}]])", key));
    return a;
}

void read_window(const table_reader& r, double dt, std::int64_t& start, std::int64_t& stop) {
    start = r.time_steps("start", dt).value_or(0);
    stop = r.time_steps("stop", dt).value_or(end_of_run);
    if (stop < start) r.cx().bad_value(r.required("stop"), r.key("stop"), "must not be before start");
}

/// Optional ids: population-local neuron ids, in range, sorted and unique on return; empty when absent.
std::vector<std::uint32_t> read_ids(const table_reader& r, const population& pop) {
    std::vector<std::uint32_t> ids;
    const toml::node* n = r.find("ids");
    if (!n) return ids;
    const context& cx = r.cx();
    const toml::array* a = n->as_array();
    if (!a) cx.bad_value(*n, r.key("ids"), "expected an array of neuron ids");
    for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string k = fmt::format("{}[{}]", r.key("ids"), i);
        const std::int64_t id = as_integer(cx, *a->get(i), k);
        if (id < 0 || static_cast<std::uint64_t>(id) >= pop.n)
            cx.bad_value(*a->get(i), k, fmt::format("out of range: population {} has ids 0..{}", pop.name, pop.n - 1));
        ids.push_back(static_cast<std::uint32_t>(id));
    }
    std::sort(ids.begin(), ids.end());
    if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end())
        cx.bad_value(*n, r.key("ids"), fmt::format("id {} appears twice", *dup));
    if (ids.empty()) cx.bad_value(*n, r.key("ids"), "empty: leave ids out to reach all neurons");
    return ids;
}

/// A time [ms] > 0 on the grid, as the step in which an input at that time arrives (t/dt - 1).
std::int64_t arrival_step(const context& cx, const toml::node& n, const std::string& key, double dt) {
    const double t = as_finite(cx, n, key);
    if (t <= 0) cx.bad_value(n, key, "input times must be > 0 (an input at time t arrives in the step ending at t)");
    return to_steps(cx, n, key, t, dt) - 1;
}

/// The weights' range, as every message about a weight beyond it says it.
std::string weight_range() {
    return fmt::format("below {:g} in magnitude (pA or mV: inputs sum in 64-bit fixed point of 2^-32, a step's sum below 2^31)", max_abs_weight);
}

/// A poisson or spike_times stimulus's weight: its events sum in the fixed-point input (max_abs_weight).
double stimulus_weight(const table_reader& r) {
    const double w = r.required_number("weight");
    if (!(std::fabs(w) < max_abs_weight)) r.cx().bad_value(r.required("weight"), r.key("weight"), "must stay " + weight_range());
    return w;
}

/// receptor = "excitatory" | "inhibitory" for iaf_psc_exp, default by the weight's sign (NEST); iaf_psc_delta has one.
bool read_receptor(const table_reader& r, const population& pop, double weight) {
    const toml::node* n = r.find("receptor");
    if (!n) return pop.model == neuron_model::iaf_psc_exp && weight < 0;
    if (pop.model != neuron_model::iaf_psc_exp)
        r.cx().bad_value(*n, r.key("receptor"), "iaf_psc_delta has a single input (the weight's sign sets its direction)");
    const std::string v = as_string(r.cx(), *n, r.key("receptor"));
    if (v != "excitatory" && v != "inhibitory")
        r.cx().bad_value(*n, r.key("receptor"), "must be \"excitatory\" or \"inhibitory\"" + suggestion(v, {"excitatory", "inhibitory"}));
    return v == "inhibitory";
}

/// A current trace from an HDF5 file: a 1-d dataset (one course) or 2-d [samples x columns].
void read_trace_file(const table_reader& r, const std::string& base_dir, stimulus& s, std::uint64_t reached) {
    const context& cx = r.cx();
    const toml::node& pn = r.required("path");
    std::filesystem::path file = as_string(cx, pn, r.key("path"));
    if (file.is_relative() && !base_dir.empty()) file = std::filesystem::path(base_dir) / file;
    s.trace_path = file.string();
    std::string dataset = "current";
    if (const toml::node* d = r.find("dataset")) dataset = as_string(cx, *d, r.key("dataset"));
    std::vector<std::size_t> shape;
    std::vector<float> data;
    try {
        data = read_hdf5_floats(file.string(), dataset, shape);
    } catch (const user_error& e) {
        cx.bad_value(pn, r.key("path"), e.what());
    }
    if (shape.size() == 1) {
        s.trace_columns = 1;
    } else if (shape.size() == 2 && (shape[1] == reached || shape[1] == 1)) {
        s.trace_columns = shape[1];
    } else {
        cx.bad_value(pn, r.key("path"),
                     fmt::format("{}:{} has shape {}; expected [samples] or [samples x {}] (one column per neuron reached)",
                                 file.string(), dataset, shape.size() == 2 ? fmt::format("[{} x {}]", shape[0], shape[1]) : "of rank " + std::to_string(shape.size()),
                                 reached));
    }
    if (shape[0] == 0) cx.bad_value(pn, r.key("path"), fmt::format("{}:{} holds no samples", file.string(), dataset));
    for (std::size_t i = 0; i < data.size(); ++i)
        if (!std::isfinite(data[i])) cx.bad_value(pn, r.key("path"), fmt::format("{}:{} sample {} is not finite", file.string(), dataset, i));
    s.trace = std::move(data);
}

stimulus read_stimulus(const context& cx, const toml::table& t, const std::string& path, const model& m, const std::string& base_dir) {
    const std::vector<std::string_view> common = {"type", "target", "start", "stop", "ids"};
    auto with = [&](std::initializer_list<std::string_view> extra) {
        std::vector<std::string_view> keys = common;
        keys.insert(keys.end(), extra);
        return keys;
    };
    const std::vector<std::string_view> any = with({"amplitude", "times", "amplitudes", "from", "to", "offset", "frequency", "phase",
                                                    "mean", "std", "dt_noise", "rate", "weight", "n_inputs", "receptor", "path",
                                                    "dataset", "interval"});
    const table_reader all(cx, t, path, any);
    const std::string type = all.required_string("type");
    const std::vector<std::string_view> types = {"dc", "step_current", "ramp", "ac", "noise", "poisson", "spike_times", "file"};
    if (std::find(types.begin(), types.end(), type) == types.end())
        cx.bad_value(*t.get("type"), path + ".type", "unknown stimulus type" + suggestion(type, types));

    stimulus s;
    s.dt = m.dt;
    s.target = find_population(cx, all, m.populations, "target");
    const population& pop = m.populations[s.target];
    read_window(all, m.dt, s.start, s.stop);
    s.ids = read_ids(all, pop);
    const std::uint64_t reached = s.reach(pop.n);

    if (type == "dc") {
        const table_reader r(cx, t, path, with({"amplitude"}), "a dc stimulus");
        s.type = stimulus::kind::dc;
        s.amplitude = r.required_number("amplitude");
    } else if (type == "step_current") {
        const table_reader r(cx, t, path, with({"times", "amplitudes"}), "a step_current stimulus");
        s.type = stimulus::kind::step_current;
        const toml::node& tn = r.required("times");
        const toml::node& an = r.required("amplitudes");
        const toml::array* ta = tn.as_array();
        const toml::array* aa = an.as_array();
        if (!ta) cx.bad_value(tn, r.key("times"), "expected an array of times [ms]");
        if (!aa) cx.bad_value(an, r.key("amplitudes"), "expected an array of currents [pA]");
        if (ta->size() != aa->size())
            cx.bad_value(an, r.key("amplitudes"), fmt::format("has {} entries but times has {}", aa->size(), ta->size()));
        for (std::size_t i = 0; i < ta->size(); ++i) {
            const std::string tk = fmt::format("{}[{}]", r.key("times"), i);
            const double tv = as_finite(cx, *ta->get(i), tk);
            if (tv < 0) cx.bad_value(*ta->get(i), tk, "must be >= 0");
            const std::int64_t step = to_steps(cx, *ta->get(i), tk, tv, m.dt);
            if (!s.times.empty() && step <= s.times.back()) cx.bad_value(*ta->get(i), tk, "times must be strictly increasing");
            s.times.push_back(step);
            s.amplitudes.push_back(as_finite(cx, *aa->get(i), fmt::format("{}[{}]", r.key("amplitudes"), i)));
        }
    } else if (type == "ramp") {
        const table_reader r(cx, t, path, with({"from", "to"}), "a ramp stimulus");
        s.type = stimulus::kind::ramp;
        s.from = r.required_number("from");
        s.to = r.required_number("to");
    } else if (type == "ac") {
        const table_reader r(cx, t, path, with({"amplitude", "offset", "frequency", "phase"}), "an ac stimulus");
        s.type = stimulus::kind::ac;
        s.amplitude = r.required_number("amplitude");
        s.offset = r.number("offset", 0.0);
        s.frequency = r.required_number("frequency");
        s.phase = r.number("phase", 0.0);
        if (s.frequency < 0) cx.bad_value(r.required("frequency"), r.key("frequency"), "must be >= 0");
    } else if (type == "noise") {
        const table_reader r(cx, t, path, with({"mean", "std", "dt_noise"}), "a noise stimulus");
        s.type = stimulus::kind::noise;
        s.mean = r.number("mean", 0.0);
        s.std = r.required_number("std");
        if (s.std < 0) cx.bad_value(r.required("std"), r.key("std"), "must be >= 0");
        s.noise_interval = 1;
        if (const toml::node* d = r.find("dt_noise")) {
            const double v = as_finite(cx, *d, r.key("dt_noise"));
            if (v <= 0) cx.bad_value(*d, r.key("dt_noise"), "must be > 0");
            s.noise_interval = to_steps(cx, *d, r.key("dt_noise"), v, m.dt);
        }
    } else if (type == "poisson") {
        const table_reader r(cx, t, path, with({"rate", "weight", "n_inputs", "receptor"}), "a poisson stimulus");
        s.type = stimulus::kind::poisson;
        s.rate = r.required_number("rate");
        if (s.rate < 0) cx.bad_value(r.required("rate"), r.key("rate"), "must be >= 0");
        s.weight = stimulus_weight(r);
        if (const toml::node* k = r.find("n_inputs")) {
            const std::int64_t v = as_integer(cx, *k, r.key("n_inputs"));
            if (v < 1) cx.bad_value(*k, r.key("n_inputs"), "must be at least 1");
            s.n_inputs = static_cast<std::uint64_t>(v);
        }
        const double lambda = s.rate * static_cast<double>(s.n_inputs) * m.dt * 1e-3;
        if (lambda > max_poisson_mean)
            cx.bad_value(r.required("rate"), r.key("rate"),
                         fmt::format("rate x n_inputs x dt = {:.4g} events per neuron and step; at most {} (use a noise stimulus for "
                                     "diffusive input)",
                                     lambda, max_poisson_mean));
        s.inhibitory = read_receptor(r, pop, s.weight);
    } else if (type == "spike_times") {
        const table_reader r(cx, t, path, with({"times", "weight", "receptor"}), "a spike_times stimulus");
        s.type = stimulus::kind::spike_times;
        s.weight = stimulus_weight(r);
        s.inhibitory = read_receptor(r, pop, s.weight);
        const toml::node& tn = r.required("times");
        const toml::array* ta = tn.as_array();
        if (!ta) cx.bad_value(tn, r.key("times"), "expected an array of times [ms], or one array per neuron in ids");
        const bool per_neuron = !ta->empty() && ta->get(0)->is_array();
        if (per_neuron && ta->size() != reached)
            cx.bad_value(tn, r.key("times"), fmt::format("has {} spike trains for {} neurons", ta->size(), reached));
        auto read_train = [&](const toml::array& a, const std::string& key) {
            std::vector<std::int64_t> steps;
            for (std::size_t i = 0; i < a.size(); ++i) steps.push_back(arrival_step(cx, *a.get(i), fmt::format("{}[{}]", key, i), m.dt));
            std::sort(steps.begin(), steps.end());
            return steps;
        };
        if (per_neuron) {
            for (std::size_t j = 0; j < ta->size(); ++j) {
                const std::string key = fmt::format("{}[{}]", r.key("times"), j);
                const toml::array* train = ta->get(j)->as_array();
                if (!train) cx.bad_value(*ta->get(j), key, "expected an array of times [ms]");
                s.arrivals.push_back(read_train(*train, key));
            }
        } else {
            s.arrivals.push_back(read_train(*ta, r.key("times")));
        }
    } else {  // file
        const table_reader r(cx, t, path, with({"path", "dataset", "interval"}), "a file stimulus");
        s.type = stimulus::kind::file;
        s.trace_interval = 1;
        if (const toml::node* d = r.find("interval")) {
            const double v = as_finite(cx, *d, r.key("interval"));
            if (v <= 0) cx.bad_value(*d, r.key("interval"), "must be > 0");
            s.trace_interval = to_steps(cx, *d, r.key("interval"), v, m.dt);
        }
        read_trace_file(r, base_dir, s, reached);
    }

    // what one population can take (inputs.hpp)
    std::size_t courses = 0, traces = 0, noises = 0, poissons = 0;
    for (const auto& other : m.stimuli) {
        if (other.target != s.target) continue;
        courses += other.role_of() == stimulus::role::masked_course;
        traces += other.role_of() == stimulus::role::trace;
        noises += other.role_of() == stimulus::role::noise;
        poissons += other.role_of() == stimulus::role::poisson;
    }
    auto limit = [&](stimulus::role role, std::size_t have, int max, const char* what) {
        if (s.role_of() == role && have + 1 > static_cast<std::size_t>(max))
            cx.bad_key(&t, path, fmt::format("population {} already has {} {}; at most {}", pop.name, have, what, max));
    };
    limit(stimulus::role::masked_course, courses, max_courses, "time-varying currents restricted to ids (step_current, ac, file)");
    limit(stimulus::role::trace, traces, 1, "per-neuron current trace files");
    limit(stimulus::role::noise, noises, max_noise, "noise stimuli");
    limit(stimulus::role::poisson, poissons, max_poisson, "poisson stimuli");
    return s;
}

/// An optional positive time [ms] on the grid, as steps.
std::int64_t positive_steps(const table_reader& r, std::string_view key, double def, double dt) {
    const toml::node* n = r.find(key);
    if (!n) return std::max<std::int64_t>(1, std::llround(def / dt));
    const double v = as_finite(r.cx(), *n, r.key(key));
    if (v <= 0) r.cx().bad_value(*n, r.key(key), "must be > 0");
    return to_steps(r.cx(), *n, r.key(key), v, dt);
}

void read_recorder(const context& cx, const toml::table& t, const std::string& path, model& m) {
    const table_reader all(cx, t, path, {"type", "population", "ids", "start", "stop", "variables", "interval", "bin"});
    const std::string type = all.required_string("type");
    const std::vector<std::string_view> types = {"spikes", "state", "rate"};
    if (std::find(types.begin(), types.end(), type) == types.end())
        cx.bad_value(all.required("type"), all.key("type"), "unknown recorder type" + suggestion(type, types));
    const std::size_t p = find_population(cx, all, m.populations, "population");
    const population& pop = m.populations[p];
    auto already = [&](const auto& list, const char* what) {
        for (const auto& other : list)
            if (other.population == p) cx.bad_value(all.required("population"), all.key("population"), fmt::format("this population already has a {} recorder", what));
    };
    std::int64_t start, stop;
    read_window(all, m.dt, start, stop);

    if (type == "spikes") {
        const table_reader r(cx, t, path, {"type", "population", "ids", "start", "stop"}, "a spikes recorder");
        already(m.spike_recorders, "spikes");
        spike_recorder rec;
        rec.population = p;
        rec.start = start;
        rec.stop = stop;
        for (auto id : read_ids(r, pop)) rec.ids.push_back(id);
        m.spike_recorders.push_back(std::move(rec));
    } else if (type == "state") {
        const table_reader r(cx, t, path, {"type", "population", "ids", "start", "stop", "variables", "interval"}, "a state recorder");
        already(m.state_recorders, "state");
        state_recorder rec;
        rec.population = p;
        rec.start = start;
        rec.stop = stop;
        rec.ids = read_ids(r, pop);
        if (rec.ids.empty())
            for (std::uint64_t i = 0; i < pop.n; ++i) rec.ids.push_back(static_cast<std::uint32_t>(i));
        rec.interval = positive_steps(r, "interval", 1.0, m.dt);
        if (const toml::node* n = r.find("variables")) {
            const toml::array* a = n->as_array();
            if (!a || a->empty()) cx.bad_value(*n, r.key("variables"), "expected a list such as [\"V_m\", \"I_syn_ex\"]");
            rec.variables = 0;
            std::vector<std::string_view> allowed = {"V_m"};
            if (pop.model == neuron_model::iaf_psc_exp) allowed.insert(allowed.end(), {"I_syn_ex", "I_syn_in"});
            for (std::size_t i = 0; i < a->size(); ++i) {
                const std::string k = fmt::format("{}[{}]", r.key("variables"), i);
                const std::string v = as_string(cx, *a->get(i), k);
                if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
                    cx.bad_value(*a->get(i), k, fmt::format("{} does not record this", to_string(pop.model)) + suggestion(v, allowed));
                rec.variables |= v == "V_m" ? V_m : v == "I_syn_ex" ? I_syn_ex : I_syn_in;
            }
        }
        m.state_recorders.push_back(std::move(rec));
    } else {
        const table_reader r(cx, t, path, {"type", "population", "ids", "start", "stop", "bin"}, "a rate recorder");
        already(m.rate_recorders, "rate");
        rate_recorder rec;
        rec.population = p;
        rec.start = start;
        rec.stop = stop;
        rec.ids = read_ids(r, pop);
        rec.bin = positive_steps(r, "bin", 1.0, m.dt);
        m.rate_recorders.push_back(std::move(rec));
    }
}

// ---------------------------------------------------------------- projections

/// weight or delay: a number or { distribution = "normal" | "normal_clipped" | "uniform" | "lognormal", ... }.
synapse_parameter read_synapse_parameter(const table_reader& r, std::string_view key, double def, bool required) {
    const context& cx = r.cx();
    synapse_parameter sp;
    sp.value = def;
    const toml::node* n = r.find(key);
    if (!n) {
        if (required) r.required(key);
        return sp;
    }
    const std::string path = r.key(key);
    if (n->is_number()) {
        sp.value = as_finite(cx, *n, path);
        return sp;
    }
    const toml::table* t = n->as_table();
    if (!t) cx.bad_value(*n, path, "expected a number or a distribution table");
    const std::string dist = table_reader(cx, *t, path, {"distribution", "low", "high", "mean", "std"}).required_string("distribution");
    if (dist == "uniform") {
        const table_reader d(cx, *t, path, {"distribution", "low", "high"}, "a uniform distribution");
        sp.type = synapse_parameter::kind::uniform;
        sp.a = d.required_number("low");
        sp.b = d.required_number("high");
        if (sp.b < sp.a) cx.bad_value(d.required("high"), d.key("high"), fmt::format("must be >= low ({})", sp.a));
    } else if (dist == "normal" || dist == "lognormal") {
        const table_reader d(cx, *t, path, {"distribution", "mean", "std"}, dist == "normal" ? "a normal distribution" : "a lognormal distribution");
        sp.type = dist == "normal" ? synapse_parameter::kind::normal : synapse_parameter::kind::lognormal;
        sp.a = d.required_number("mean");
        sp.b = d.required_number("std");
        if (sp.b < 0) cx.bad_value(d.required("std"), d.key("std"), "must be >= 0");
    } else if (dist == "normal_clipped") {
        const table_reader d(cx, *t, path, {"distribution", "mean", "std", "low", "high"}, "a normal_clipped distribution");
        sp.type = synapse_parameter::kind::normal_clipped;
        sp.a = d.required_number("mean");
        sp.b = d.required_number("std");
        if (sp.b < 0) cx.bad_value(d.required("std"), d.key("std"), "must be >= 0");
        if (const toml::node* lo = d.find("low")) sp.low = as_finite(cx, *lo, d.key("low"));
        if (const toml::node* hi = d.find("high")) sp.high = as_finite(cx, *hi, d.key("high"));
        if (!d.find("low") && !d.find("high")) cx.bad_value(*t, path, "normal_clipped needs low and/or high (values outside are redrawn)");
        if (sp.high <= sp.low) cx.bad_value(*d.find("high"), d.key("high"), "must be above low");
    } else {
        cx.bad_value(*t->get("distribution"), path + ".distribution",
                     "unknown distribution" + suggestion(dist, {"uniform", "normal", "normal_clipped", "lognormal"}));
    }
    return sp;
}

/// Delays become whole steps >= 1: a constant must be a multiple of dt; a drawn delay is rounded to the grid,
/// so its distribution must keep it at or above dt.
void check_delay(const table_reader& r, const synapse_parameter& d, double dt) {
    const context& cx = r.cx();
    const toml::node* n = r.find("delay");
    using kind = synapse_parameter::kind;
    if (d.type == kind::constant) {
        if (d.value < dt - 1e-9 * dt) {
            if (n) cx.bad_value(*n, r.key("delay"), fmt::format("must be at least dt = {} ms", dt));
            cx.bad_key(nullptr, r.key("delay"), fmt::format("the default delay of 1 ms is below dt = {} ms; set delay", dt));
        }
        if (n) to_steps(cx, *n, r.key("delay"), d.value, dt);
        else {
            const double q = d.value / dt;
            if (std::fabs(q - std::nearbyint(q)) > 1e-9 * q)
                cx.bad_key(nullptr, r.key("delay"), fmt::format("the default delay of 1 ms is not a multiple of dt = {} ms; set delay", dt));
        }
    } else if (d.type == kind::uniform || d.type == kind::normal_clipped) {
        const double low = d.type == kind::uniform ? d.a : d.low;
        if (!(low >= dt - 1e-9 * dt))
            cx.bad_value(*n, r.key("delay"), fmt::format("a delay distribution must stay at or above dt = {} ms: low = {}", dt, low));
    } else {
        cx.bad_value(*n, r.key("delay"), "delays need a bounded distribution: a constant, uniform or normal_clipped with low >= dt");
    }
    const double high = d.type == kind::constant ? d.value : d.type == kind::uniform ? d.b : d.high;
    if (std::isfinite(high) && high / dt > 32767)
        cx.bad_value(*n, r.key("delay"), fmt::format("delays are limited to {} steps ({:g} ms)", max_delay_steps, static_cast<double>(max_delay_steps) * dt));
}

/// A projection's weight and delay that could not be packed, rejected before anything is drawn: a normal_clipped
/// with less than clipped_min_mass inside its bounds; a constant or a bounded distribution reaching beyond the
/// range (|w| < max_abs_weight, delays up to max_delay_steps); an unbounded one whose tails would put a value out
/// of range among the projection's ~`synapses` synapses with odds of 1 in 1000 or more. (Rarer ones are
/// reported by the build: flagged_synapses_message.)
void check_synapse_ranges(const table_reader& r, const projection& pr, double dt, double synapses) {
    using kind = synapse_parameter::kind;
    for (const bool delay : {false, true}) {
        const synapse_parameter& sp = delay ? pr.delay : pr.weight;
        const std::string_view key = delay ? "delay" : "weight";
        const toml::node* n = r.find(key);
        if (!n) continue;  // the defaults are in range
        if (sp.type == kind::normal_clipped && sp.clipped_mass() < clipped_min_mass)
            r.cx().bad_value(*n, r.key(key),
                             fmt::format("only {:.3g}% of the normal distribution lies within [low, high]; a value is redrawn at most {} times "
                                         "(NEST's redraw: 1000), so at least {:g}% must",
                                         100 * sp.clipped_mass(), 2 * clipped_attempts, 100 * clipped_min_mass));
        double share = sp.flagged_share(delay ? dt : 0.0);
        if (sp.type == kind::normal_clipped)  // without the values that find no draw inside: the mass check covers those
            share -= std::pow(1.0 - sp.clipped_mass(), 2.0 * clipped_attempts);
        const bool bounded = sp.type == kind::constant || sp.type == kind::uniform ||
                             (sp.type == kind::normal_clipped && std::isfinite(sp.low) && std::isfinite(sp.high));
        if (share <= 0 || (!bounded && share * synapses < 1e-3)) continue;
        const std::string range = delay ? fmt::format("delays are limited to {} steps ({:g} ms)", max_delay_steps, static_cast<double>(max_delay_steps) * dt)
                                        : "weights must stay " + weight_range();
        if (bounded) r.cx().bad_value(*n, r.key(key), range);
        r.cx().bad_value(*n, r.key(key), fmt::format("{}; about {:.3g} of the projection's ~{:.3g} synapses would draw beyond", range,
                                                     share * synapses, synapses));
    }
}

/// An explicit connection list: CSV with the header source,target,weight,delay, or an HDF5 file holding the
/// datasets source, target, weight, delay; ids population-local, delay [ms] on the grid. The projection's
/// allow_autapses = false (within one population) and allow_multapses = false are checked against the lines.
std::vector<explicit_synapse> read_connection_file(const table_reader& r, const std::string& base_dir, const model& m,
                                                   const population& src, const population& tgt, projection& pr) {
    const context& cx = r.cx();
    const toml::node& pn = r.required("file");
    std::filesystem::path file = as_string(cx, pn, r.key("file"));
    if (file.is_relative() && !base_dir.empty()) file = std::filesystem::path(base_dir) / file;
    const std::string name = file.string();
    pr.file = name;
    std::vector<explicit_synapse> out;
    const bool same = &src == &tgt;
    std::set<std::pair<std::uint32_t, std::uint32_t>> pairs;  // without multapses: the pairs so far
    auto check = [&](double s, double t, double w, double d, const std::string& where) {
        auto bad = [&](const std::string& what) { cx.bad_value(pn, r.key("file"), fmt::format("{}: {}", where, what)); };
        if (!(s >= 0 && s == std::floor(s) && s < static_cast<double>(src.n)))
            bad(fmt::format("source {} is not an id of {} (0..{})", s, src.name, src.n - 1));
        if (!(t >= 0 && t == std::floor(t) && t < static_cast<double>(tgt.n)))
            bad(fmt::format("target {} is not an id of {} (0..{})", t, tgt.name, tgt.n - 1));
        if (!std::isfinite(w)) bad(fmt::format("weight {} is not finite", w));
        if (!(std::fabs(w) < max_abs_weight))
            bad(fmt::format("weight {:g} is beyond the range: it must stay {}", w, weight_range()));
        const double q = d / m.dt;
        if (!(q >= 1 - 1e-9) || std::fabs(q - std::nearbyint(q)) > 1e-9 * q)
            bad(fmt::format("delay {} ms is not a multiple of dt = {} ms of at least one step", d, m.dt));
        if (q > static_cast<double>(max_delay_steps) + 0.5)
            bad(fmt::format("delay {:g} ms is more than {} steps ({:g} ms)", d, max_delay_steps, static_cast<double>(max_delay_steps) * m.dt));
        const auto si = static_cast<std::uint32_t>(s), ti = static_cast<std::uint32_t>(t);
        if (same && !pr.allow_autapses && si == ti) bad(fmt::format("{} -> {} is an autapse, and allow_autapses = false", si, ti));
        if (!pr.allow_multapses && !pairs.insert({si, ti}).second)
            bad(fmt::format("{} -> {} repeats an earlier line (a multapse), and allow_multapses = false", si, ti));
        out.push_back({si, ti, w, static_cast<std::int64_t>(std::llround(q))});
    };
    const std::string ext = file.extension().string();
    if (ext == ".h5" || ext == ".hdf5") {
        std::vector<std::vector<double>> cols;
        for (const char* ds : {"source", "target", "weight", "delay"}) {
            std::vector<std::size_t> shape;
            try {
                cols.push_back(read_hdf5_doubles(name, ds, shape));
            } catch (const user_error& e) {
                cx.bad_value(pn, r.key("file"), e.what());
            }
            if (shape.size() != 1 || cols.back().size() != cols.front().size())
                cx.bad_value(pn, r.key("file"), fmt::format("{}:{} must be 1-d and as long as source", name, ds));
        }
        for (std::size_t i = 0; i < cols[0].size(); ++i) check(cols[0][i], cols[1][i], cols[2][i], cols[3][i], fmt::format("{} row {}", name, i));
        return out;
    }
    std::ifstream in(file);
    if (!in) cx.bad_value(pn, r.key("file"), fmt::format("{}: cannot open", name));
    std::string line;
    std::size_t number = 0;
    auto fields = [](const std::string& l) {  // comma-separated, each without its surrounding blanks ("1 0" stays one bad field)
        std::vector<std::string> f;
        std::size_t begin = 0;
        for (;;) {
            const std::size_t end = l.find(',', begin);
            std::string cur = l.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
            const std::size_t a = cur.find_first_not_of(" \t\r"), b = cur.find_last_not_of(" \t\r");
            f.push_back(a == std::string::npos ? std::string() : cur.substr(a, b - a + 1));
            if (end == std::string::npos) return f;
            begin = end + 1;
        }
    };
    if (!std::getline(in, line)) cx.bad_value(pn, r.key("file"), fmt::format("{}: empty", name));
    ++number;
    if (fields(line) != std::vector<std::string>{"source", "target", "weight", "delay"})
        cx.bad_value(pn, r.key("file"), fmt::format("{}:1: the header must be source,target,weight,delay", name));
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const auto f = fields(line);
        const std::string where = fmt::format("{}:{}", name, number);
        if (f.size() != 4) cx.bad_value(pn, r.key("file"), fmt::format("{}: expected 4 fields, found {}", where, f.size()));
        double v[4];
        for (int i = 0; i < 4; ++i) {
            char* end = nullptr;
            const std::string& text = f[static_cast<std::size_t>(i)];
            v[i] = std::strtod(text.c_str(), &end);  // decimal numbers only: no hexadecimal, inf or nan
            if (text.empty() || *end != '\0' || text.find_first_not_of("0123456789+-.eE") != std::string::npos)
                cx.bad_value(pn, r.key("file"), fmt::format("{}: {} is not a number", where, f[static_cast<std::size_t>(i)]));
        }
        check(v[0], v[1], v[2], v[3], where);
    }
    return out;
}

projection read_projection(const context& cx, const toml::table& t, const std::string& path, const model& m, const std::string& base_dir) {
    const table_reader r(cx, t, path, {"source", "target", "rule", "p", "k", "n", "receptor", "allow_autapses", "allow_multapses", "weight",
                                       "delay", "file"});
    projection pr;
    pr.source = find_population(cx, r, m.populations, "source");
    pr.target = find_population(cx, r, m.populations, "target");
    const population& src = m.populations[pr.source];
    const population& tgt = m.populations[pr.target];
    const std::string rule = r.find("rule") ? as_string(cx, *r.find("rule"), r.key("rule")) : "all_to_all";
    const std::vector<std::string_view> rules = {"all_to_all", "one_to_one", "pairwise_bernoulli", "fixed_indegree",
                                                 "fixed_outdegree", "fixed_total_number", "explicit"};
    auto only = [&](std::initializer_list<std::string_view> keys) {
        for (std::string_view k : {"p", "k", "n", "file"})
            if (r.find(k) && std::find(keys.begin(), keys.end(), k) == keys.end())
                cx.bad_key(r.find(k), r.key(k), fmt::format("not a parameter of rule {}", rule));
    };
    auto boolean = [&](std::string_view k, bool def) {
        const toml::node* n = r.find(k);
        if (!n) return def;
        if (auto b = n->as_boolean()) return b->get();
        cx.bad_value(*n, r.key(k), fmt::format("expected true or false, got {}", type_name(n->type())));
    };
    pr.allow_autapses = boolean("allow_autapses", true);
    pr.allow_multapses = boolean("allow_multapses", true);
    auto positive_count = [&](std::string_view k) {
        const std::int64_t v = as_integer(cx, r.required(k), r.key(k));
        if (v < 0) cx.bad_value(r.required(k), r.key(k), "must be >= 0");
        return static_cast<std::uint64_t>(v);
    };
    const bool same = pr.source == pr.target;
    if (rule == "all_to_all") {
        only({});
        pr.connection = projection::rule::all_to_all;
    } else if (rule == "one_to_one") {
        only({});
        pr.connection = projection::rule::one_to_one;
        if (src.n != tgt.n)
            cx.bad_value(*r.find("rule"), r.key("rule"), fmt::format("one_to_one needs populations of one size ({} has {}, {} has {})", src.name, src.n, tgt.name, tgt.n));
    } else if (rule == "pairwise_bernoulli") {
        only({"p"});
        pr.connection = projection::rule::pairwise_bernoulli;
        pr.p = r.required_number("p");
        if (pr.p < 0 || pr.p > 1) cx.bad_value(r.required("p"), r.key("p"), "must be within [0, 1]");
    } else if (rule == "fixed_indegree" || rule == "fixed_outdegree") {
        only({"k"});
        pr.connection = rule == "fixed_indegree" ? projection::rule::fixed_indegree : projection::rule::fixed_outdegree;
        pr.count = positive_count("k");
        const std::uint64_t pool = (rule == "fixed_indegree" ? src.n : tgt.n) - (same && !pr.allow_autapses ? 1 : 0);
        if (!pr.allow_multapses && pr.count > pool)
            cx.bad_value(r.required("k"), r.key("k"), fmt::format("without multapses at most {} distinct partners exist", pool));
        if (pr.count > 0 && pool == 0) cx.bad_value(r.required("k"), r.key("k"), "no partner can be drawn (a single neuron without autapses)");
    } else if (rule == "fixed_total_number") {
        only({"n"});
        pr.connection = projection::rule::fixed_total_number;
        pr.count = positive_count("n");
        if (!pr.allow_multapses)
            cx.bad_value(*r.find("allow_multapses"), r.key("allow_multapses"), "fixed_total_number draws with multapses, as NEST; set allow_multapses = true");
        if (pr.count > 0 && same && !pr.allow_autapses && src.n < 2)
            cx.bad_value(r.required("n"), r.key("n"), "no synapse can be drawn (a single neuron without autapses)");
    } else if (rule == "explicit") {
        only({"file"});
        pr.connection = projection::rule::explicit_list;
    } else {
        cx.bad_value(*r.find("rule"), r.key("rule"), "unknown rule" + suggestion(rule, rules));
    }

    if (pr.connection == projection::rule::explicit_list) {
        for (std::string_view k : {"weight", "delay"})
            if (r.find(k)) cx.bad_key(r.find(k), r.key(k), "comes from the connection file with rule explicit");
        pr.synapses = read_connection_file(r, base_dir, m, src, tgt, pr);
        pr.weight.value = pr.synapses.empty() ? 0.0 : pr.synapses.front().weight;
    } else {
        pr.weight = read_synapse_parameter(r, "weight", 1.0, true);
        pr.delay = read_synapse_parameter(r, "delay", 1.0, false);
        check_delay(r, pr.delay, m.dt);
        check_synapse_ranges(r, pr, m.dt, expected_synapses(pr, src.n, tgt.n));
    }
    if (const toml::node* n = r.find("receptor")) {
        if (tgt.model != neuron_model::iaf_psc_exp)
            cx.bad_value(*n, r.key("receptor"), "iaf_psc_delta has a single input (the weight's sign sets its direction)");
        const std::string v = as_string(cx, *n, r.key("receptor"));
        if (v != "excitatory" && v != "inhibitory")
            cx.bad_value(*n, r.key("receptor"), "must be \"excitatory\" or \"inhibitory\"" + suggestion(v, {"excitatory", "inhibitory"}));
        pr.inhibitory = v == "inhibitory";
    } else {
        pr.receptor_by_sign = tgt.model == neuron_model::iaf_psc_exp;  // NEST routes each spike by its weight's sign
    }
    return pr;
}

model build_model(const toml::table& root, const context& cx, const std::string& base_dir) {
    model m;
    const table_reader top(cx, root, "", {"simulation", "populations", "projections", "stimuli", "recorders"});

    const table_reader sim(cx, top.required_table("simulation"), "simulation", {"dt", "duration", "seed"});
    m.dt = sim.number("dt", 0.1);
    if (m.dt <= 0) sim.cx().bad_value(sim.required("dt"), "simulation.dt", "must be > 0");
    const double duration = sim.required_number("duration");
    if (duration < 0) cx.bad_value(sim.required("duration"), "simulation.duration", "must be >= 0");
    m.steps = to_steps(cx, sim.required("duration"), "simulation.duration", duration, m.dt);
    if (const toml::node* n = sim.find("seed")) {
        const std::int64_t seed = as_integer(cx, *n, "simulation.seed");
        if (seed < 0) cx.bad_value(*n, "simulation.seed", "must be >= 0");
        m.seed = static_cast<std::uint64_t>(seed);
    }

    const toml::table& pops = top.required_table("populations");
    if (pops.empty()) cx.bad_key(&pops, "populations", "at least one population is needed");
    // in the order of the file (toml++ keeps tables sorted by key); populations made by --set come last
    std::vector<std::pair<std::string, const toml::node*>> ordered;
    for (auto&& [name, node] : pops) ordered.emplace_back(std::string(name.str()), &node);
    auto position = [](const toml::node* n) {
        const auto& b = n->source().begin;
        const bool from_file = b.line > 0 && !(n->source().path && *n->source().path == override_source);
        return std::make_tuple(!from_file, b.line, b.column);
    };
    std::stable_sort(ordered.begin(), ordered.end(), [&](const auto& a, const auto& b) { return position(a.second) < position(b.second); });
    for (const auto& [name, node] : ordered) m.populations.push_back(read_population(cx, name, *node, m.dt));
    if (m.populations.size() > 255) cx.bad_key(&pops, "populations", fmt::format("{} populations; at most 255", m.populations.size()));

    if (const toml::array* a = optional_array_of_tables(cx, root, "stimuli"))
        for (std::size_t i = 0; i < a->size(); ++i)
            m.stimuli.push_back(read_stimulus(cx, *a->get(i)->as_table(), fmt::format("stimuli[{}]", i), m, base_dir));
    if (const toml::array* a = optional_array_of_tables(cx, root, "projections"))
        for (std::size_t i = 0; i < a->size(); ++i)
            m.projections.push_back(read_projection(cx, *a->get(i)->as_table(), fmt::format("projections[{}]", i), m, base_dir));
    if (const toml::array* a = optional_array_of_tables(cx, root, "recorders"))
        for (std::size_t i = 0; i < a->size(); ++i)
            read_recorder(cx, *a->get(i)->as_table(), fmt::format("recorders[{}]", i), m);
    return m;
}

// ---------------------------------------------------------------- overrides

/// "a.b[0].c" or "a.b.0.c" -> {"a", "b", "0", "c"}
std::vector<std::string> split_key(const std::string& key) {
    std::string norm;
    for (char c : key) {
        if (c == '[') norm += '.';
        else if (c != ']') norm += c;
    }
    std::vector<std::string> parts;
    std::string cur;
    for (char c : norm) {
        if (c == '.') parts.push_back(cur), cur.clear();
        else cur += c;
    }
    parts.push_back(cur);
    return parts;
}

std::optional<std::size_t> as_index(const std::string& s) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    return static_cast<std::size_t>(std::stoull(s));
}

void apply_override(toml::table& root, const std::string& spec) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) throw user_error(fmt::format("--set {}: expected KEY=VALUE", spec));
    const std::string key = spec.substr(0, eq);
    const std::string text = spec.substr(eq + 1);
    const auto parts = split_key(key);
    if (std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); }))
        throw user_error(fmt::format("--set {}: malformed key {}", spec, key));

    // The value as TOML (400, 1e3, true, "x", [1, 2]); a bare word that is not TOML is taken as a string.
    toml::table parsed;
    try {
        parsed = toml::parse("v = " + text, override_source);
    } catch (const toml::parse_error&) {
        if (text.find_first_of("\"'\n[]{}=") != std::string::npos || text.empty())
            throw user_error(fmt::format("--set {}: cannot read the value {}", spec, text));
        parsed = toml::parse("v = \"" + text + "\"", override_source);
    }
    toml::node& value = *parsed.get("v");

    toml::node* cur = &root;
    std::string walked;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string& p = parts[i];
        const bool last = i + 1 == parts.size();
        if (toml::table* t = cur->as_table()) {
            if (last) {
                value.visit([&](auto&& v) { t->insert_or_assign(p, std::move(v)); });
                return;
            }
            if (!t->contains(p)) {  // a table --set makes: parsed, so that messages about it point at --set
                toml::table made = toml::parse("t = {}", override_source);
                t->insert(p, std::move(*made.get("t")->as_table()));
            }
            cur = t->get(p);
        } else if (toml::array* a = cur->as_array()) {
            const auto idx = as_index(p);
            if (!idx || *idx >= a->size())
                throw user_error(fmt::format("--set {}: {} has {} entries; {} is not one of them", spec, walked, a->size(), p));
            if (last) {
                value.visit([&](auto&& v) { a->replace(a->cbegin() + static_cast<std::ptrdiff_t>(*idx), std::move(v)); });
                return;
            }
            cur = a->get(*idx);
        } else {
            throw user_error(fmt::format("--set {}: {} is {}, not a table", spec, walked, type_name(cur->type())));
        }
        walked = walked.empty() ? p : walked + "." + p;
    }
}

}  // namespace

model load_model_text(const std::string& text, const std::string& source_name, const std::string& model_name,
                      const std::vector<std::string>& overrides, const std::string& base_dir) {
    const context cx(source_name);
    toml::table root;
    try {
        root = toml::parse(text, source_name);
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        throw model_error(source_name, "", fmt::format("{}:{}:{}: invalid TOML: {}", source_name, b.line, b.column, e.description()));
    }
    for (const auto& o : overrides) apply_override(root, o);

    model m = build_model(root, cx, base_dir);
    m.name = model_name;
    m.source = source_name;
    if (overrides.empty()) {
        m.text = text;
    } else {
        std::ostringstream os;
        os << "# " << source_name;
        for (const auto& o : overrides) os << " --set " << o;
        os << "\n" << toml::toml_formatter{root} << "\n";
        m.text = os.str();
    }
    return m;
}

model load_model_file(const std::string& path, const std::vector<std::string>& overrides) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw user_error(fmt::format("{}: no such model file", path));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw user_error(fmt::format("{}: cannot open model file", path));
    std::ostringstream os;
    os << in.rdbuf();
    return load_model_text(os.str(), path, std::filesystem::path(path).stem().string(), overrides,
                           std::filesystem::path(path).parent_path().string());
}

const char* default_model_name() { return "built-in:data/models/fi_curve.toml"; }

model load_default_model(const std::vector<std::string>& overrides) {
    return load_model_text(default_model_text, default_model_name(), "fi_curve", overrides);
}

}  // namespace synfire
