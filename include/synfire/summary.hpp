#pragma once
// Human-readable reports: the network (synfire check) and the end-of-run summary with its F-I table.
#include <cstdint>
#include <string>

#include "synfire/model.hpp"
#include "synfire/simulation.hpp"

namespace synfire {

/// Host memory the CPU backend needs for the model [bytes]: state, stimulus arrays, spike buffers and
/// the writer's queue.
std::uint64_t cpu_memory_estimate(const model& m);

/// Host memory available to a new allocation now [bytes]: MemAvailable of /proc/meminfo, else free physical
/// pages; 0 when neither is known.
std::uint64_t host_memory_available();

/// The CPU backend's preflight: throws runtime_failure, naming both figures, when cpu_memory_estimate exceeds
/// host_memory_available (before anything is allocated or drawn).
void check_cpu_memory(const model& m);

/// Populations, stimuli, recorders, steps and the memory estimate.
std::string format_network(const model& m);

/// Whether every stimulus of population p is a dc or ramp current on for the whole run, so that its
/// neurons follow the closed-form F-I curve.
bool constant_drive(const model& m, std::size_t p);

/// Constant current [pA] of neuron i of population p under constant_drive: I_e + dc + ramp.
double constant_current(const model& m, std::size_t p, std::uint64_t i);

/// Spikes and mean rate per population, wall time and real-time factor, and for each ramp-driven
/// population a small F-I table against the closed form.
std::string format_summary(const model& m, const run_result& r, const std::string& backend_description,
                           const std::string& output_path);

/// "1.5 GiB", "12.0 MiB", ...
std::string format_bytes(std::uint64_t bytes);

}  // namespace synfire
