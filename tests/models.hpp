#pragma once
// Models shared by more than one test tier (the CPU tests and their CUDA twins).

namespace synfire::test {

/// Every kind of input at once, some restricted to ids: the generic (scalar) path of the update.
inline const char* const all_inputs_model = R"(
[simulation]
dt = 0.1
duration = 80.0
seed = 21
[populations.X]
model = "iaf_psc_exp"
n = 1500
params = { tau_syn_ex = 0.5, tau_syn_in = 5.0 }
V_init = { distribution = "normal", mean = -62.0, std = 3.0 }
[populations.Y]
model = "iaf_psc_delta"
n = 301
[[stimuli]]
type = "poisson"
target = "X"
rate = 20.0
n_inputs = 800
weight = 25.0
[[stimuli]]
type = "poisson"
target = "X"
rate = 10.0
n_inputs = 200
weight = -40.0
ids = [1, 5, 9, 100, 1499]
[[stimuli]]
type = "noise"
target = "X"
mean = 100.0
std = 80.0
dt_noise = 0.5
start = 10.0
[[stimuli]]
type = "ac"
target = "X"
amplitude = 120.0
frequency = 7.0
ids = [0, 1, 2, 3, 700, 1400]
[[stimuli]]
type = "ramp"
target = "X"
from = 0.0
to = 200.0
stop = 40.0
[[stimuli]]
type = "spike_times"
target = "Y"
times = [1.0, 5.0, 5.0, 33.3]
weight = 16.0
[[stimuli]]
type = "noise"
target = "Y"
mean = 300.0
std = 500.0
[[stimuli]]
type = "step_current"
target = "Y"
times = [0.0, 50.0]
amplitudes = [100.0, 0.0]
ids = [0, 300]
)";

/// No leak (P33 rounds to 1), no threshold in reach, 1 mV per event: V counts every Poisson input exactly.
inline const char* const poisson_counting_model = R"(
[simulation]
duration = 50.0
seed = 9
[populations.P]
model = "iaf_psc_delta"
n = 4000
params = { tau_m = 1.0e9, V_th = 1.0e6, E_L = 0.0, V_reset = 0.0 }
[[stimuli]]
type = "poisson"
target = "P"
rate = 8.0
n_inputs = 100
weight = 1.0
)";

}  // namespace synfire::test
