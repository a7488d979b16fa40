"""Writes the Potjans & Diesmann (2014) cortical microcircuit as a synfire model file.

    python3 data/models/potjans_diesmann.py [--scale N] [--k-scale K] [--duration MS] [--presim MS]
                                            [--v0 optimized|original] [--seed S] > model.toml

Potjans TC, Diesmann M (2014) The cell-type specific cortical microcircuit: relating structure and activity
in a full-scale spiking network model. Cereb Cortex 24:785-806. Parameters and scaling as NEST's microcircuit
example, pynest/examples/Potjans_2014 in nest/nest-simulator (network_params.py, helpers.py, network.py; the
scaling code read at commits 9354d43132bc (helpers.py) and 005fd398de7b (network.py) of the 2020 revision for
NEST 3.0 by Senk et al.; network_params.py of that revision: N_scaling = K_scaling = 0.1, poisson_input = True,
V0_type 'optimized'): 8 populations of iaf_psc_exp, connection probabilities of
Table 5 turned into synapse numbers K = log(1 - p)/log(1 - 1/(N_pre·N_post)) (helpers.num_synapses_from_conn_
probs) with fixed_total_number (sources and targets drawn with replacement: autapses and multapses allowed,
NEST's defaults, which the example does not change), PSP 0.15 mV (0.30 mV for L4e -> L2/3e) converted to PSC
amplitudes (helpers.postsynaptic_potential_to_current) with 10% spread (normal, values of the wrong sign
redrawn, as NEST's nest.math.redraw), g = -4, delays 1.5 ms (E) / 0.75 ms (I) with 50% spread (normal,
values below dt redrawn; NEST 3 redraws below dt/2 and rounds to the grid, so its shortest delay is also
one step), Poisson background of K_ext sources at 8 Hz each with the unspread 0.15 mV weight, dt 0.1 ms.

Initial membrane potentials: --v0 optimized (default, as NEST's example since 2020: network_params.py
'V0_type') draws from population-specific normal distributions that shrink the start-up burst; --v0 original
draws normal(-58, 10) mV for every population, as in the paper (21% of the neurons then start above threshold).

Measurement: NEST's example simulates t_presim = 500 ms, then t_sim = 1000 ms, and computes rates from the
spikes in [t_presim, t_presim + t_sim] (sim_params.py, run_microcircuit.py). --presim MS (default 500) sets
`start` of every spike recorder (spikes with times in (start, stop] are written), --duration MS (default
1500 = 500 + 1000) the whole simulated time; the rate of a population is spikes / (n · (duration - presim)).
--presim 0 records everything.

Scaling, as NEST's network.py (Network.__derive_parameters):
  --scale N     NEST's N_scaling: population sizes round(N_full · N).
  --k-scale K   NEST's K_scaling: in-degrees scaled by K. Synapse numbers round(K_full · N · K), K_ext
                round(K_ext · K); recurrent and background weights (PSC means; the 10% spread stays relative)
                divided by sqrt(K) to keep the input variance; the mean input lost is given back as a DC
                current, each neuron's I_e (NEST sets I_e = DC_amp on every neuron of the population), from
                helpers.adjust_weights_and_input_to_synapse_scaling with poisson_input = True:
                  DC_y = 0.001 · tau_syn · (1 - sqrt(K)) · (sum_x PSC_yx · K_yx/N_y · nu_x + PSC_ext · K_ext,y · 8 Hz)
                with the full-scale (unscaled) PSCs and in-degrees and nu_x NEST's 'full_mean_rates', the
                rates of one full-scale NEST run: --full-rates nest3 (default) the current network_params.py's,
                [NEST3] in data/reference/potjans_diesmann.toml; nest2020 the 2020 revision's, [NEST2020]. The DC
                is a small difference of large terms and follows these rates closely (L2/3e: 29.0 pA with nest3,
                21.5 pA with nest2020).
                --k-scale 1 (default) adds no current and changes no weight.
NEST's example defaults to N_scaling = K_scaling = 0.1 (7717 neurons, about 3 million synapses), the
configuration tests/validation/potjans_diesmann_scaled.py runs. Its rates are close to, not equal to, the
full-scale ones: the compensation keeps the mean and variance of each neuron's input, not the rates. L2/3e fires
at about 0.45 Hz instead of 0.9 Hz, in synfire and in NEST's own reference output for this configuration
(pynest/examples/Potjans_2014/reference_data); the test therefore checks the rates published for this
configuration, and the full-scale bands where NEST's run meets them (data/reference/potjans_diesmann.toml).
--scale N with --k-scale 1 keeps the full-scale in-degrees (the SLI example's preserve_K): the background is
unchanged, but shared input and with it correlations grow as N shrinks (van Albada et al. 2015), and the
rates rise above the full-scale ones (see data/reference/potjans_diesmann.toml).

data/models/potjans_diesmann.toml is this script's output with all defaults (full scale).
"""
import argparse
import math

NAMES = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
# rows: target, columns: source (Potjans & Diesmann 2014, Table 5)
CONN_PROBS = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]
K_BG = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
BG_RATE = 8.0
# NEST network_params.py 'full_mean_rates': the current version ([NEST3] in data/reference/potjans_diesmann.toml)
# and the 2020 revision's ([NEST2020]); --full-rates picks one
FULL_MEAN_RATES_SETS = {"nest3": [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829],
                        "nest2020": [0.943, 3.026, 4.368, 5.882, 7.733, 8.664, 1.096, 7.851]}
TAU_M, TAU_SYN, C_M = 10.0, 0.5, 250.0
PSP_E, G, REL_SD = 0.15, -4.0, 0.1
DELAY_E, DELAY_I, DELAY_REL_SD = 1.5, 0.75, 0.5
DT = 0.1
V0_ORIGINAL = (-58.0, 10.0)
# NEST network_params.py 'V0_type': 'optimized' (mean, std) per population, same order as NAMES
V0_OPTIMIZED = [(-68.28, 5.36), (-63.16, 4.57), (-63.33, 4.74), (-63.45, 4.94),
                (-63.11, 4.94), (-61.66, 4.55), (-66.72, 5.46), (-61.43, 4.48)]


def psc_over_psp(tau_m, tau_syn, c_m):
    """Peak PSC [pA] per mV of PSP peak for an exponential current synapse (helpers.postsynaptic_potential_to_current)."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def full_num_synapses(t, s):
    """Synapses from population s to population t at full scale (helpers.num_synapses_from_conn_probs)."""
    p = CONN_PROBS[t][s]
    prod = N_FULL[s] * N_FULL[t]
    return math.log(1.0 - p) / math.log((prod - 1.0) / prod)


def mean_psc(t, s, w_e):
    """Unscaled mean PSC [pA] of the projection s -> t (network_params.py PSP_matrix_mean times PSC_over_PSP)."""
    w = w_e * (2.0 if (NAMES[s], NAMES[t]) == ("L4E", "L23E") else 1.0)
    return w if s % 2 == 0 else w * G


def dc_compensation(k_scale, w_e, full_mean_rates=FULL_MEAN_RATES_SETS["nest3"]):
    """helpers.adjust_weights_and_input_to_synapse_scaling: DC [pA] per population for in-degrees scaled by k_scale."""
    if k_scale == 1:
        return [0.0] * len(NAMES)
    f = 0.001 * TAU_SYN * (1.0 - math.sqrt(k_scale))
    dc = []
    for t in range(len(NAMES)):
        rec = sum(mean_psc(t, s, w_e) * full_num_synapses(t, s) / N_FULL[t] * full_mean_rates[s]
                  for s in range(len(NAMES)) if CONN_PROBS[t][s] > 0)
        dc.append(f * (rec + w_e * K_BG[t] * BG_RATE))
    return dc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="NEST's N_scaling: population sizes x SCALE")
    ap.add_argument("--k-scale", type=float, default=1.0,
                    help="NEST's K_scaling: in-degrees x K, weights / sqrt(K), DC compensation (default 1: none)")
    ap.add_argument("--full-rates", choices=sorted(FULL_MEAN_RATES_SETS), default="nest3",
                    help="NEST's full_mean_rates for the DC compensation: current (nest3, default) or 2020 revision")
    ap.add_argument("--duration", type=float, default=1500.0, help="simulated time [ms] (default 500 + 1000)")
    ap.add_argument("--presim", type=float, default=500.0,
                    help="spike recorders start here [ms] (NEST's t_presim, default 500; 0 records everything)")
    ap.add_argument("--seed", type=int, default=55)
    ap.add_argument("--v0", choices=["optimized", "original"], default="optimized",
                    help="initial V_m: NEST's population-specific distributions (default) or normal(-58, 10) for all")
    a = ap.parse_args()
    if not 0 < a.k_scale <= 1 or a.scale <= 0:
        ap.error("--scale must be > 0 and --k-scale in (0, 1]")
    if not 0 <= a.presim < a.duration:
        ap.error("--presim must lie in [0, duration)")
    w_e = PSP_E * psc_over_psp(TAU_M, TAU_SYN, C_M)
    w_scale = 1.0 / math.sqrt(a.k_scale)
    dc = dc_compensation(a.k_scale, w_e, FULL_MEAN_RATES_SETS[a.full_rates])
    n = [max(1, round(x * a.scale)) for x in N_FULL]
    cmd = "python3 data/models/potjans_diesmann.py" + "".join(
        f" --{k} {v}" for k, v in (("scale", f"{a.scale:g}"), ("k-scale", f"{a.k_scale:g}"),
                                   ("duration", f"{a.duration:g}"), ("presim", f"{a.presim:g}"),
                                   ("v0", a.v0), ("seed", a.seed))) + \
        (f" --full-rates {a.full_rates}" if a.k_scale != 1 else "")
    out = [f"# Potjans & Diesmann (2014) cortical microcircuit, N_scaling {a.scale:g}, K_scaling {a.k_scale:g} "
           f"({sum(n)} neurons), V0 {a.v0},",
           f"# spikes recorded after {a.presim:g} ms of {a.duration:g} ms (rates over the last "
           f"{a.duration - a.presim:g} ms, as NEST's example).",
           f"# Written by: {cmd}",
           "# See the script's docstring for the sources of every number.",
           "[simulation]", f"dt = {DT}", f"duration = {a.duration}", f"seed = {a.seed}", ""]
    for i, (name, size) in enumerate(zip(NAMES, n)):
        v0_mean, v0_std = V0_ORIGINAL if a.v0 == "original" else V0_OPTIMIZED[i]
        i_e = f", I_e = {dc[i]!r}" if dc[i] else ""
        out += [f"[populations.{name}]", 'model = "iaf_psc_exp"', f"n = {size}",
                f"params = {{ tau_m = {TAU_M}, tau_syn_ex = {TAU_SYN}, tau_syn_in = {TAU_SYN}, t_ref = 2.0, E_L = -65.0, "
                f"V_th = -50.0, C_m = {C_M}, V_reset = -65.0{i_e} }}",
                f'V_init = {{ distribution = "normal", mean = {v0_mean}, std = {v0_std} }}', ""]
    for t, target in enumerate(NAMES):
        for s, source in enumerate(NAMES):
            if CONN_PROBS[t][s] == 0:
                continue
            # network.py: round(full_num_synapses * N_scaling * K_scaling); at K = 1 the in-degree of the rounded
            # population is kept (the same as NEST's count up to the rounding of N)
            k_full = full_num_synapses(t, s)
            count = round(k_full / N_FULL[t] * n[t]) if a.k_scale == 1 else round(k_full * a.scale * a.k_scale)
            excitatory = s % 2 == 0
            w = mean_psc(t, s, w_e) * w_scale
            clip = "low = 0.0" if excitatory else "high = 0.0"
            d = DELAY_E if excitatory else DELAY_I
            out += ["[[projections]]", f'source = "{source}"', f'target = "{target}"', 'rule = "fixed_total_number"',
                    f"n = {count}", "allow_autapses = true",
                    f'weight = {{ distribution = "normal_clipped", mean = {w!r}, std = {abs(w) * REL_SD!r}, {clip} }}',
                    f'delay = {{ distribution = "normal_clipped", mean = {d}, std = {d * DELAY_REL_SD}, low = {DT} }}', ""]
    for name, k in zip(NAMES, K_BG):
        out += ["[[stimuli]]", 'type = "poisson"', f'target = "{name}"', f"rate = {BG_RATE}",
                f"n_inputs = {round(k * a.k_scale)}", f"weight = {w_e * w_scale!r}", ""]
    for name in NAMES:
        out += ["[[recorders]]", 'type = "spikes"', f'population = "{name}"']
        out += [f"start = {a.presim}", ""] if a.presim > 0 else [""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
