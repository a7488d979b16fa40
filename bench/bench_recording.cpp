// The host's share of recording, with no simulation at all: a replay backend hands out windows of spikes
// (a fixed number per step at evenly spread random ids, ~rate x n x dt) and state frames at once, and the
// orchestrator records them to HDF5 exactly as in a real run (bench/models/recording.toml: every spike of
// 1e6 neurons at ~10 Hz, 1000 V_m traces every step, a rate histogram). Its wall time per simulated second
// is the floor of a GPU run's recording overhead: the GPU simulates this model at RTF ~0.06 (H200), so the
// host must record a simulated second in well under 0.06 s for the <= 10% target.
//
// usage: bench_recording [--n N] [--rate HZ] [--duration MS] [--compression deflate|none|both] [--dir DIR]
//                        [--threads T (deflate threads; default: cores - 2, as a GPU run)] [--traces N (1000)]
//                        [--json FILE]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "synfire/backend.hpp"
#include "synfire/hdf5_output.hpp"
#include "synfire/model_file.hpp"
#include "synfire/simulation.hpp"

namespace {

using namespace synfire;

/// Windows of a fixed spike pattern (the same `per_step` sorted ids every step; the spike recorder copies
/// them as it would a GPU window's) and frames of the state recorder, made once and handed out again.
class replay_backend final : public backend {
public:
    replay_backend(const model& m, std::uint32_t per_step) {
        const population& p = m.populations.at(0);
        std::mt19937_64 rng(7);
        std::vector<std::uint32_t> ids(per_step);
        for (auto& id : ids) id = static_cast<std::uint32_t>(rng() % p.n);
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        per_step_ = ids;
        if (const state_recorder* r = state_recorder_of(m, 0)) {
            recorder_ = r;
            frame_.assign(static_cast<std::size_t>(gathered_variables(*r)) * r->ids.size(), -5.0f);
        }
    }
    std::string name() const override { return "replay"; }
    std::string device() const override { return "replay of a fixed spike pattern (no simulation)"; }
    int max_window() const override { return 64; }
    int max_in_flight() const override { return 2; }
    void launch(std::int64_t first_step, int steps, const std::vector<window_input>&) override { windows_.push_back({first_step, steps}); }
    void collect(std::vector<window_output>& out) override {
        const auto [first, steps] = windows_.front();
        windows_.erase(windows_.begin());
        out.resize(1);
        window_output& w = out[0];
        w.first_step = first;
        w.offsets.resize(static_cast<std::size_t>(steps) + 1);
        w.ids.resize(static_cast<std::size_t>(steps) * per_step_.size());
        for (int k = 0; k < steps; ++k) {
            w.offsets[static_cast<std::size_t>(k)] = static_cast<std::uint32_t>(static_cast<std::size_t>(k) * per_step_.size());
            std::memcpy(w.ids.data() + static_cast<std::size_t>(k) * per_step_.size(), per_step_.data(), per_step_.size() * 4);
        }
        w.offsets.back() = static_cast<std::uint32_t>(w.ids.size());
        w.frame_steps.clear();
        w.frames.clear();
        if (recorder_)
            for (int k = 0; k < steps; ++k) {
                const std::int64_t s = first + k;
                if (s < recorder_->start || s >= recorder_->stop || (s + 1) % recorder_->interval != 0) continue;
                w.frame_steps.push_back(s);
                w.frames.insert(w.frames.end(), frame_.begin(), frame_.end());
            }
    }
    population_state state(std::size_t) const override { return {}; }

private:
    std::vector<std::uint32_t> per_step_;
    const state_recorder* recorder_ = nullptr;
    std::vector<float> frame_;
    std::vector<std::pair<std::int64_t, int>> windows_;
};

struct result {
    std::string variant;
    double wall_s = 0, writer_wait_s = 0, recording_s = 0;
    std::uint64_t spikes = 0;
};

result run(const model& m, std::uint32_t per_step, const std::string& variant, const std::string& path, int threads) {
    replay_backend b(m, per_step);
    std::unique_ptr<output_sink> out;
    hdf5_run_info info{"replay", b.device(), 1, variant == "deflate"};
    info.compress_threads = threads;
    if (variant != "nothing") out = open_hdf5_output(path, true, m, info);
    const auto t0 = std::chrono::steady_clock::now();
    const run_result r = simulate(m, b, out.get());
    if (out) out->finish(r.totals);
    result x;
    x.variant = variant;
    x.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();  // the writer's drain included
    x.writer_wait_s = r.totals.writer_wait_s;
    for (const auto& [phase, s] : r.totals.phases)
        if (phase == "recording") x.recording_s = s;
    x.spikes = r.populations.at(0).spikes;
    return x;
}

}  // namespace

int main(int argc, char** argv) try {
    std::uint64_t n = 1'000'000, traces = 1000;
    double rate = 10.0, duration = 1000.0;
    std::string compression = "both", dir = std::filesystem::temp_directory_path().string(), json;
    const int cores = usable_cores();
    int threads = cores > 2 ? cores - 2 : 1;  // as `synfire run --backend cuda` gives the writer
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--n") n = std::stoull(v);
        else if (a == "--rate") rate = std::stod(v);
        else if (a == "--traces") traces = std::stoull(v);
        else if (a == "--duration") duration = std::stod(v);
        else if (a == "--compression") compression = v;
        else if (a == "--dir") dir = v;
        else if (a == "--json") json = v;
        else if (a == "--threads") threads = std::stoi(v);
        else {
            std::fprintf(stderr, "bench_recording: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    std::string ids = "[";
    for (std::uint64_t j = 0; j < std::max<std::uint64_t>(traces, 1) && j < n; ++j)
        ids += fmt::format("{}{}", j ? "," : "", j * std::max<std::uint64_t>(1, n / std::max<std::uint64_t>(traces, 1)));
    ids += "]";
    const model m = load_model_file(SYNFIRE_SOURCE_DIR "/bench/models/recording.toml",
                                    {fmt::format("populations.E.n={}", n), fmt::format("simulation.duration={}", duration), "recorders[1].ids=" + ids});
    const auto per_step = static_cast<std::uint32_t>(static_cast<double>(n) * rate * m.dt * 1e-3 + 0.5);
    std::vector<std::string> variants = {"nothing"};
    if (compression == "both" || compression == "none") variants.push_back("none");
    if (compression == "both" || compression == "deflate") variants.push_back("deflate");
    const std::string path = (std::filesystem::path(dir) / "bench_recording.h5").string();
    std::vector<result> results;
    for (const auto& v : variants) results.push_back(run(m, per_step, v, path, threads));
    std::filesystem::remove(path);
    const double seconds = duration * 1e-3;
    std::printf("host recording floor: %llu neurons, %u spikes per step (%.1f Hz), %llu V_m traces every step, %.0f ms, %d deflate threads\n",
                static_cast<unsigned long long>(n), per_step, static_cast<double>(per_step) / (static_cast<double>(n) * m.dt * 1e-3),
                static_cast<unsigned long long>(std::max<std::uint64_t>(traces, 1)), duration, threads);
    std::printf("%-8s %10s %14s %12s %12s %14s\n", "variant", "wall [s]", "per sim. s [s]", "recording", "writer wait", "spikes/s");
    for (const auto& r : results)
        std::printf("%-8s %10.3f %14.4f %12.3f %12.3f %14.3g\n", r.variant.c_str(), r.wall_s, r.wall_s / seconds, r.recording_s, r.writer_wait_s,
                    static_cast<double>(r.spikes) / r.wall_s);
    if (!json.empty()) {
        std::FILE* f = std::fopen(json.c_str(), "w");
        if (!f) {
            std::fprintf(stderr, "bench_recording: cannot write %s\n", json.c_str());
            return 1;
        }
        std::fprintf(f, "{\"n\": %llu, \"spikes_per_step\": %u, \"duration_ms\": %g, \"deflate_threads\": %d, \"results\": [",
                     static_cast<unsigned long long>(n), per_step, duration, threads);
        for (std::size_t i = 0; i < results.size(); ++i)
            std::fprintf(f, "%s{\"variant\": \"%s\", \"wall_s\": %.6f, \"recording_s\": %.6f, \"writer_wait_s\": %.6f, \"spikes\": %llu}",
                         i ? ", " : "", results[i].variant.c_str(), results[i].wall_s, results[i].recording_s, results[i].writer_wait_s,
                         static_cast<unsigned long long>(results[i].spikes));
        std::fprintf(f, "]}\n");
        std::fclose(f);
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_recording: %s\n", e.what());
    return 1;
}
