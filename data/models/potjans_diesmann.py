"""Writes the Potjans & Diesmann (2014) cortical microcircuit as a synfire model file.

    python3 data/models/potjans_diesmann.py [--scale S] [--duration MS] > model.toml

Potjans TC, Diesmann M (2014) The cell-type specific cortical microcircuit: relating structure and activity
in a full-scale spiking network model. Cereb Cortex 24:785-806. Parameters as NEST's microcircuit example
(network_params.py): 8 populations of iaf_psc_exp, connection probabilities of Table 5 turned into synapse
numbers K = log(1 - p)/log(1 - 1/(N_pre·N_post)) with fixed_total_number (autapses excluded, multapses
allowed), PSP 0.15 mV (0.30 mV for L4e -> L2/3e) converted to PSC amplitudes with 10% spread (normal,
clipped at 0), g = -4, delays 1.5 ms (E) / 0.75 ms (I) with 50% spread (normal, clipped at dt), Poisson
background of K_bg sources at 8 Hz each, V_init normal(-58, 10) mV.

--scale S multiplies every population size by S and keeps the full-scale in-degrees (NEST's preserve_K):
synapse numbers scale with S as well, the background is unchanged.
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
TAU_M, TAU_SYN, C_M = 10.0, 0.5, 250.0
PSP_E, G, REL_SD = 0.15, -4.0, 0.1
DELAY_E, DELAY_I, DELAY_REL_SD = 1.5, 0.75, 0.5
DT = 0.1


def psc_over_psp(tau_m, tau_syn, c_m):
    """Peak PSC [pA] per mV of PSP peak for an exponential current synapse."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=55)
    a = ap.parse_args()
    w_e = PSP_E * psc_over_psp(TAU_M, TAU_SYN, C_M)
    n = [max(1, round(x * a.scale)) for x in N_FULL]
    out = [f"# Potjans & Diesmann (2014) cortical microcircuit, scale {a.scale:g} ({sum(n)} neurons),",
           "# written by data/models/potjans_diesmann.py; see its docstring for the sources of every number.",
           "[simulation]", f"dt = {DT}", f"duration = {a.duration}", f"seed = {a.seed}", ""]
    for name, size in zip(NAMES, n):
        out += [f"[populations.{name}]", 'model = "iaf_psc_exp"', f"n = {size}",
                f"params = {{ tau_m = {TAU_M}, tau_syn_ex = {TAU_SYN}, tau_syn_in = {TAU_SYN}, t_ref = 2.0, E_L = -65.0, "
                f"V_th = -50.0, C_m = {C_M}, V_reset = -65.0 }}",
                'V_init = { distribution = "normal", mean = -58.0, std = 10.0 }', ""]
    for t, target in enumerate(NAMES):
        for s, source in enumerate(NAMES):
            p = CONN_PROBS[t][s]
            if p == 0:
                continue
            prod = N_FULL[s] * N_FULL[t]
            k_full = math.log(1.0 - p) / math.log((prod - 1.0) / prod)  # synapses at full scale
            count = round(k_full / N_FULL[t] * n[t])                    # full-scale in-degree kept
            excitatory = s % 2 == 0
            w = w_e * (2.0 if (source, target) == ("L4E", "L23E") else 1.0) * (1.0 if excitatory else G)
            clip = "low = 0.0" if excitatory else "high = 0.0"
            d = DELAY_E if excitatory else DELAY_I
            out += ["[[projections]]", f'source = "{source}"', f'target = "{target}"', 'rule = "fixed_total_number"',
                    f"n = {count}", "allow_autapses = false",
                    f'weight = {{ distribution = "normal_clipped", mean = {w!r}, std = {abs(w) * REL_SD!r}, {clip} }}',
                    f'delay = {{ distribution = "normal_clipped", mean = {d}, std = {d * DELAY_REL_SD}, low = {DT} }}', ""]
    for name, k in zip(NAMES, K_BG):
        out += ["[[stimuli]]", 'type = "poisson"', f'target = "{name}"', f"rate = {BG_RATE}", f"n_inputs = {k}",
                f"weight = {w_e!r}", ""]
    for name in NAMES:
        out += ["[[recorders]]", 'type = "spikes"', f'population = "{name}"', ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
