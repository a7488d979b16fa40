#pragma once
// Helpers shared by the test tiers.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "synfire/backend.hpp"
#include "synfire/model_file.hpp"
#include "synfire/output.hpp"
#include "synfire/simulation.hpp"

namespace synfire::test {

inline model model_from(const std::string& toml, const std::vector<std::string>& overrides = {}) {
    return load_model_text(toml, "test.toml", "test", overrides);
}

/// All spikes of every population, as (step, id) in emission order.
using spike_list = std::vector<std::pair<std::int64_t, std::uint32_t>>;

struct run_output {
    std::vector<spike_list> spikes;             ///< per population, every spike
    std::vector<population_state> final_state;  ///< per population
    run_result result;
};

/// Runs the model on a backend and keeps every spike and the final state.
inline run_output run_on(const model& m, backend& b, int max_window = 0) {
    run_output out;
    out.spikes.resize(m.populations.size());
    run_options opt;
    opt.max_window = max_window;
    opt.on_window = [&](const std::vector<window_output>& w, std::int64_t) {
        for (std::size_t p = 0; p < w.size(); ++p)
            for (std::size_t k = 0; k < w[p].steps(); ++k)
                for (std::uint32_t j = w[p].offsets[k]; j < w[p].offsets[k + 1]; ++j)
                    out.spikes[p].emplace_back(w[p].first_step + static_cast<std::int64_t>(k), w[p].ids[j]);
    };
    out.result = simulate(m, b, nullptr, opt);
    for (std::size_t p = 0; p < m.populations.size(); ++p) out.final_state.push_back(b.state(p));
    return out;
}

/// The same on the CPU backend.
inline run_output run_cpu(const model& m, int threads = 0, int max_window = 0) {
    auto b = make_cpu_backend(m, threads);
    return run_on(m, *b, max_window);
}

/// Bitwise equality of float arrays (so -0 != +0 and NaN payloads count); the index of the first difference
/// or -1.
inline long first_bit_difference(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<long>(i);
    return -1;
}

inline ::testing::AssertionResult same_state(const population_state& a, const population_state& b) {
    for (auto [x, y, name] : {std::tuple{&a.V, &b.V, "V"}, {&a.I_ex, &b.I_ex, "I_ex"}, {&a.I_in, &b.I_in, "I_in"}})
        if (long i = first_bit_difference(*x, *y); i >= 0)
            return ::testing::AssertionFailure() << name << " differs at neuron " << i;
    if (a.r != b.r) return ::testing::AssertionFailure() << "refractory counters differ";
    return ::testing::AssertionSuccess();
}

/// Collects what a run writes, as the HDF5 writer would receive it.
class memory_sink final : public output_sink {
public:
    explicit memory_sink(std::size_t populations) : spikes(populations) {}
    void write(spike_batch&& b) override {
        ++batches;
        for (std::size_t r = 0, i = 0; r < b.run_steps.size(); ++r)
            for (; i < b.run_ends[r]; ++i) spikes[b.population].emplace_back(b.run_steps[r], b.ids[i]);
        EXPECT_EQ(b.run_ends.empty() ? 0 : b.run_ends.back(), b.ids.size()) << "every spike in a run";
    }
    void write(state_batch&& b) override {
        if (states.size() <= b.recorder) states.resize(b.recorder + 1);
        auto& st = states[b.recorder];
        st.steps.insert(st.steps.end(), b.steps.begin(), b.steps.end());
        st.values.insert(st.values.end(), b.values.begin(), b.values.end());
    }
    void write(rate_batch&& b) override {
        if (rates.size() <= b.recorder) rates.resize(b.recorder + 1);
        EXPECT_EQ(static_cast<std::size_t>(b.first_bin), rates[b.recorder].size()) << "rate bins arrive in order";
        rates[b.recorder].insert(rates[b.recorder].end(), b.rates.begin(), b.rates.end());
    }
    void flush(std::int64_t) override { ++flushes; }
    void finish(const run_totals& t) override { totals = t; }

    std::vector<spike_list> spikes;
    std::vector<state_batch> states;              ///< per state recorder, all frames
    std::vector<std::vector<double>> rates;       ///< per rate recorder, all bins
    run_totals totals;
    int batches = 0, flushes = 0;
};

}  // namespace synfire::test
