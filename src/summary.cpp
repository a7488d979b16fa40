#include "synfire/summary.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "synfire/backend.hpp"
#include "synfire/errors.hpp"
#include "synfire/inputs.hpp"
#include "synfire/network.hpp"
#include "synfire/theory.hpp"
#include "synfire/version.hpp"

namespace synfire {

std::string format_bytes(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) v /= 1024.0, ++u;
    return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

std::uint64_t cpu_memory_estimate(const model& m) {
    std::uint64_t bytes = 0;
    const synapse_estimate syn = estimate_synapses(m);
    for (std::size_t p = 0; p < m.populations.size(); ++p) {
        const auto& pop = m.populations[p];
        bytes += pop.n * (pop.model == neuron_model::iaf_psc_exp ? 16 : 8);  // V, (I_ex, I_in,) r
        const bool ramp = std::any_of(m.stimuli.begin(), m.stimuli.end(), [&](const stimulus& s) {
            return s.target == p && s.role_of() == stimulus::role::constant_per_neuron;
        });
        if (ramp) bytes += pop.n * 8;  // per-neuron current + per-neuron spike counts
        const bool poisson = std::any_of(m.stimuli.begin(), m.stimuli.end(), [&](const stimulus& s) {
            return s.target == p && s.type == stimulus::kind::poisson;
        });
        if (poisson && syn.min_delay > 0 && syn.min_delay < cpu_kept_poisson_below) bytes += pop.n * sizeof(poisson_cache);  // kept Philox blocks (cpu_backend.cpp; at most this: the lean path keeps 24 B per source)
        // worst-case spike buffers of one window (per thread and merged)
        bytes += 2 * std::min<std::uint64_t>(max_window_spikes, pop.n * 100) * sizeof(std::uint32_t);
    }
    if (!m.projections.empty()) {  // synapse table, offsets and input rings
        const synapse_estimate& e = syn;
        std::uint64_t neurons = 0;
        for (const auto& p : m.populations) neurons += p.n;
        bytes += e.synapses * 16 + (neurons + 1) * 8 + static_cast<std::uint64_t>(e.min_delay + e.max_delay) * neurons * 16;
#ifdef _OPENMP
        const auto threads = static_cast<std::uint64_t>(std::max(1, omp_get_max_threads()));
#else
        const std::uint64_t threads = 1;
#endif
        bytes += neurons * (threads + 1) * 4;  // where each delivering thread's synapses start in each row
    }
    return bytes + (std::uint64_t{64} << 20);  // writer queue at most
}

std::uint64_t host_memory_available() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    std::string unit;
    while (in >> key >> kib) {
        std::getline(in, unit);
        if (key == "MemAvailable:") return kib * 1024;
    }
    const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
}

void check_cpu_memory(const model& m) {
    const std::uint64_t need = cpu_memory_estimate(m), have = host_memory_available();
    if (have == 0 || need <= have) return;
    const synapse_estimate syn = estimate_synapses(m);
    throw runtime_failure(fmt::format("host memory: the model needs about {} (about {} synapses: {}), this machine has {} available; "
                                      "make the model smaller, or run it with more memory (synfire check prints the estimate)",
                                      format_bytes(need), syn.synapses, format_bytes(syn.synapses * sizeof(synapse)), format_bytes(have)));
}

bool constant_drive(const model& m, std::size_t p) {
    return std::all_of(m.stimuli.begin(), m.stimuli.end(), [&](const stimulus& s) {
        return s.target != p || ((s.type == stimulus::kind::dc || s.type == stimulus::kind::ramp) && s.start == 0 && s.stop >= m.steps);
    });
}

double constant_current(const model& m, std::size_t p, std::uint64_t i) {
    double I = m.populations[p].params.I_e;
    const std::uint64_t n = m.populations[p].n;
    for (const auto& s : m.stimuli) {
        if (s.target != p) continue;
        std::uint64_t j = i;
        if (!s.ids.empty()) {
            const auto it = std::lower_bound(s.ids.begin(), s.ids.end(), static_cast<std::uint32_t>(i));
            if (it == s.ids.end() || *it != i) continue;
            j = static_cast<std::uint64_t>(it - s.ids.begin());
        }
        I += s.type == stimulus::kind::ramp ? s.ramp_current(j, s.reach(n)) : s.amplitude;
    }
    return I;
}

std::string format_network(const model& m) {
    std::string out = fmt::format("model {} ({})\n", m.name, m.source);
    out += fmt::format("  dt {} ms, duration {} ms ({} steps), seed {}\n", m.dt, m.duration_ms(), m.steps, m.seed);
    std::uint64_t total = 0;
    out += fmt::format("  {:<16} {:<14} {:>12}  {}\n", "population", "model", "n", "V_init [mV]");
    for (const auto& p : m.populations) {
        std::string init;
        switch (p.V_init.type) {
            case initial_value::kind::constant: init = fmt::format("{}", p.V_init.a); break;
            case initial_value::kind::uniform: init = fmt::format("uniform({}, {})", p.V_init.a, p.V_init.b); break;
            case initial_value::kind::normal: init = fmt::format("normal({}, {})", p.V_init.a, p.V_init.b); break;
        }
        out += fmt::format("  {:<16} {:<14} {:>12}  {}\n", p.name, to_string(p.model), p.n, init);
        total += p.n;
    }
    out += fmt::format("  {} neurons in {} population{}\n", total, m.populations.size(), m.populations.size() == 1 ? "" : "s");
    for (const auto& s : m.stimuli) {
        const std::string& target = m.populations[s.target].name;
        std::string what;
        switch (s.type) {
            case stimulus::kind::dc: what = fmt::format("dc {} pA", s.amplitude); break;
            case stimulus::kind::step_current: what = fmt::format("step_current ({} steps)", s.times.size()); break;
            case stimulus::kind::ramp: what = fmt::format("ramp {} .. {} pA", s.from, s.to); break;
            case stimulus::kind::ac: what = fmt::format("ac {} + {}·sin({} Hz) pA", s.offset, s.amplitude, s.frequency); break;
            case stimulus::kind::noise: what = fmt::format("noise {} ± {} pA every {} steps", s.mean, s.std, s.noise_interval); break;
            case stimulus::kind::poisson:
                what = fmt::format("poisson {} x {} Hz, weight {}{}", s.n_inputs, s.rate, s.weight, s.inhibitory ? " (inhibitory)" : "");
                break;
            case stimulus::kind::spike_times: what = fmt::format("spike_times, weight {}", s.weight); break;
            case stimulus::kind::file:
                what = fmt::format("file ({} samples x {} column{})", s.trace.size() / s.trace_columns, s.trace_columns,
                                   s.trace_columns == 1 ? "" : "s");
                break;
        }
        const std::string reach = s.ids.empty() ? std::string() : fmt::format(", {} neurons", s.ids.size());
        const std::string window = s.start == 0 && s.stop == end_of_run
                                       ? std::string()
                                       : fmt::format(", steps [{}, {})", s.start, s.stop == end_of_run ? m.steps : s.stop);
        out += fmt::format("  stimulus {} -> {}{}{}\n", what, target, reach, window);
    }
    static const char* rules[] = {"all_to_all", "one_to_one", "pairwise_bernoulli", "fixed_indegree", "fixed_outdegree",
                                  "fixed_total_number", "explicit"};
    for (const auto& pr : m.projections) {
        std::string param;
        switch (pr.connection) {
            case projection::rule::pairwise_bernoulli: param = fmt::format(" p={}", pr.p); break;
            case projection::rule::fixed_indegree:
            case projection::rule::fixed_outdegree: param = fmt::format(" k={}", pr.count); break;
            case projection::rule::fixed_total_number: param = fmt::format(" n={}", pr.count); break;
            case projection::rule::explicit_list: param = fmt::format(" ({} synapses)", pr.synapses.size()); break;
            default: break;
        }
        const std::string receptor = m.populations[pr.target].model != neuron_model::iaf_psc_exp ? ""
                                     : pr.receptor_by_sign                                     ? ", receptor by each weight's sign"
                                     : pr.inhibitory                                           ? ", receptor inhibitory"
                                                                                               : ", receptor excitatory";
        out += fmt::format("  projection {} -> {}: {}{}, weight {}{}, delay {}{}\n", m.populations[pr.source].name,
                           m.populations[pr.target].name, rules[static_cast<int>(pr.connection)], param,
                           pr.connection == projection::rule::explicit_list ? std::string("from the file") : fmt::format("{:.4g}", pr.weight.mean()),
                           pr.weight.type == synapse_parameter::kind::constant || pr.connection == projection::rule::explicit_list ? "" : " (mean)",
                           pr.connection == projection::rule::explicit_list ? std::string("from the file")
                                                                           : fmt::format("{:.4g} ms{}", pr.delay.mean(),
                                                                                         pr.delay.type == synapse_parameter::kind::constant ? "" : " (mean)"),
                           receptor);
    }
    if (!m.projections.empty()) {
        const synapse_estimate e = estimate_synapses(m);
        out += fmt::format("  about {} synapses, delays {}..{} steps\n", e.synapses, e.min_delay, e.max_delay);
    }
    for (const auto& r : m.spike_recorders)
        out += fmt::format("  recorder spikes <- {} ({})\n", m.populations[r.population].name,
                           r.ids.empty() ? std::string("all neurons") : fmt::format("{} neurons", r.ids.size()));
    for (const auto& r : m.state_recorders)
        out += fmt::format("  recorder state <- {} ({} neurons every {} steps)\n", m.populations[r.population].name, r.ids.size(), r.interval);
    for (const auto& r : m.rate_recorders)
        out += fmt::format("  recorder rate <- {} (bins of {} steps)\n", m.populations[r.population].name, r.bin);
    const std::uint64_t need = cpu_memory_estimate(m), have = host_memory_available();
    out += fmt::format("  memory estimate (cpu backend): {}{}\n", format_bytes(need),
                       have && need > have ? fmt::format(" -- more than the {} this machine has available: the cpu backend will refuse it", format_bytes(have))
                                           : std::string());
    return out;
}

std::string format_summary(const model& m, const run_result& r, const std::string& backend_description,
                           const std::string& output_path) {
    const double seconds = m.duration_ms() * 1e-3;
    std::string out = fmt::format("synfire {} | {} | {}\n", version(), m.name, backend_description);
    out += fmt::format("simulated {} ms ({} steps) in {:.3f} s, real-time factor {:.4g}\n", m.duration_ms(),
                       r.totals.steps_done, r.totals.wall_time_s, r.totals.real_time_factor);
    out += fmt::format("{:<16} {:<14} {:>12} {:>14} {:>12}\n", "population", "model", "n", "spikes", "rate [Hz]");
    for (std::size_t p = 0; p < m.populations.size(); ++p) {
        const auto& pop = m.populations[p];
        const double rate = seconds > 0 ? static_cast<double>(r.populations[p].spikes) / (static_cast<double>(pop.n) * seconds) : 0.0;
        out += fmt::format("{:<16} {:<14} {:>12} {:>14} {:>12.3f}\n", pop.name, to_string(pop.model), pop.n,
                           r.populations[p].spikes, rate);
    }
    // recorders of part of a population or of part of the run: their own rate, over what they recorded
    for (std::size_t i = 0; i < r.recorded_spikes.size() && i < m.spike_recorders.size(); ++i) {
        const spike_recorder& rec = m.spike_recorders[i];
        const std::int64_t first = std::max<std::int64_t>(rec.start, 0), last = std::min<std::int64_t>(rec.stop, r.totals.steps_done);
        const std::uint64_t neurons = rec.ids.empty() ? m.populations[rec.population].n : rec.ids.size();
        if (first == 0 && last == r.totals.steps_done && neurons == m.populations[rec.population].n) continue;
        if (last <= first) {  // NEST accepts such a window too, and records nothing
            out += fmt::format("{:<16} recorded nothing: its window starts at {} ms, at or after the run's end at {} ms\n",
                               m.populations[rec.population].name, static_cast<double>(rec.start) * m.dt,
                               static_cast<double>(r.totals.steps_done) * m.dt);
            continue;
        }
        const double window_s = static_cast<double>(std::max<std::int64_t>(last - first, 0)) * m.dt * 1e-3;
        out += fmt::format("{:<16} recorded {} spikes of {} neurons in ({}, {}] ms: {:.3f} Hz\n", m.populations[rec.population].name,
                           r.recorded_spikes[i], neurons, static_cast<double>(first) * m.dt, static_cast<double>(last) * m.dt,
                           window_s > 0 ? static_cast<double>(r.recorded_spikes[i]) / (static_cast<double>(neurons) * window_s) : 0.0);
    }
    if (!output_path.empty()) out += fmt::format("output: {}\n", output_path);
    if (r.totals.synaptic_events)
        out += fmt::format("synaptic events: {} ({:.3g} per second of wall time)\n", r.totals.synaptic_events,
                           static_cast<double>(r.totals.synaptic_events) / std::max(r.totals.wall_time_s, 1e-9));
    if (!r.totals.phases.empty()) {
        out += "time per phase:";
        for (const auto& [phase, seconds] : r.totals.phases) out += fmt::format(" {} {:.3f} s", phase, seconds);
        out += "\n";
    }
    if (r.totals.writer_wait_s > 0.05 * r.totals.wall_time_s)
        out += fmt::format("the run waited {:.3f} s for the output writer (the disk or compression is the bottleneck)\n", r.totals.writer_wait_s);

    for (std::size_t p = 0; p < m.populations.size(); ++p) {
        const auto& counts = r.populations[p].per_neuron;
        if (counts.empty() || !constant_drive(m, p) || seconds <= 0) continue;
        const auto& pop = m.populations[p];
        out += fmt::format("F-I curve of {} (rate over {} ms; closed form: t_ref + tau_m ln((RI+E_L-V_reset)/(RI+E_L-V_th)))\n",
                           pop.name, m.duration_ms());
        out += fmt::format("  {:>10} {:>12} {:>14}\n", "I [pA]", "rate [Hz]", "closed [Hz]");
        const std::uint64_t rows = std::min<std::uint64_t>(pop.n, 11);
        for (std::uint64_t k = 0; k < rows; ++k) {
            const std::uint64_t i = rows == 1 ? 0 : k * (pop.n - 1) / (rows - 1);
            const double I = constant_current(m, p, i);
            out += fmt::format("  {:>10.1f} {:>12.2f} {:>14.2f}\n", I, counts[i] / seconds, lif_dc_rate_hz(pop.params, I));
        }
    }
    return out;
}

}  // namespace synfire
