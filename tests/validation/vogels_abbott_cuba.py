"""Peer test: data/models/vogels_abbott_cuba.toml (Brette et al. 2007 Benchmark 2, Brian2's examples/CUBA.py)
against Brian2 (Debian's python3-brian, numpy runtime) running the same network statistics.

Not the same synapses: synfire and Brian2 draw the connectivity and the initial potentials from different
generators, so the comparison is statistical. The per-seed spread of the network rate is mostly quenched (fixed
by the drawn connectivity), so each side runs several seeds: synfire the model with seeds 1..8, Brian2 12
independent copies of the network side by side in one NeuronGroup (block-diagonal synapses; one run, so the
per-step Python overhead of the numpy runtime is paid once). For each population the test compares
  the mean rate (spikes / neurons / 1 s) and the mean ISI CV (neurons with at least 3 ISIs):
  |mean_synfire - mean_Brian2| <= 4 * sd_Brian2 * sqrt(1/n_Brian2 + 1/n_synfire) + 1% of mean_Brian2,
i.e. a two-sample test at 4 standard errors (the null hypothesis being one distribution, Brian2's sample
standard deviation stands for both sides) plus a 1% margin for differences that are not statistical (float
against double arithmetic). Each synfire seed's rate must also lie in the single-realization band
mean_Brian2 +- (5 * sd_Brian2 * sqrt(1 + 1/n_Brian2) + 1%).
Brian2 runs synfire's (NEST's) semantics, as tests/peer/brian2_explicit.py does: synapses scheduled before the
threshold with Brian delay 0 (= synfire's delay of one step, 0.1 ms), refractory t_ref + dt, threshold v >= Vt.
The test must be able to fail: synfire with the inhibitory weights 10% weaker (-81 instead of -90 pA, 4 seeds)
has to fall outside the tolerance.

usage: vogels_abbott_cuba.py SYNFIRE_EXE [MODEL]   (MODEL defaults to data/models/vogels_abbott_cuba.toml)
"""
import os
import subprocess
import sys
import tempfile
import time
import warnings

import h5py
import numpy as np

warnings.filterwarnings("ignore", category=FutureWarning)  # Debian's pythran on import of brian2
try:
    import brian2 as b2
except ImportError:
    sys.exit("vogels_abbott_cuba: python3-brian is not installed (scripts/setup installs it)")

t_start = time.time()
exe = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
model = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "data", "models", "vogels_abbott_cuba.toml")
NE, NI = 3200, 800
N = NE + NI
T, dt = 1000.0, 0.1  # ms
SYNFIRE_SEEDS = list(range(1, 9))
BRIAN_COPIES, BRIAN_SEED = 12, 20250101
WRONG = ["projections[2].weight=-81", "projections[3].weight=-81"]  # inhibition x 0.9
WRONG_SEEDS = list(range(1, 5))
K_MEAN, K_SEED, MARGIN = 4.0, 5.0, 0.01


def spike_stats(ids, times, n):
    """Mean rate [Hz] and mean ISI CV over the neurons with at least 3 ISIs."""
    rate = ids.size / n / (T / 1000.0)
    order = np.lexsort((times, ids))
    ids, times = ids[order], times[order]
    bounds = np.searchsorted(ids, np.arange(n + 1))
    cvs = []
    for k in range(n):
        isi = np.diff(times[bounds[k]:bounds[k + 1]])
        if isi.size >= 3:
            cvs.append(isi.std() / isi.mean())
    return {"rate": rate, "cv": float(np.mean(cvs)) if cvs else float("nan")}


def run_synfire(d, seed, sets=()):
    out = os.path.join(d, f"cuba_{seed}.h5")
    args = [exe, "run", model, "-o", out, "--quiet", "--force", "--set", f"simulation.seed={seed}"]
    for s in sets:
        args += ["--set", s]
    subprocess.run(args, check=True)
    with h5py.File(out, "r") as f:
        return {p: spike_stats(f[f"spikes/{p}/node_ids"][:].astype(np.int64), f[f"spikes/{p}/timestamps"][:], n)
                for p, n in (("E", NE), ("I", NI))}


def run_brian(copies, seed):
    """Brian2's CUBA.py in synfire's semantics, `copies` independent networks in one group."""
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.seed(seed)
    b2.defaultclock.dt = dt * b2.ms
    ms, mV = b2.ms, b2.mV
    rng = np.random.default_rng(seed)
    pre, post = [], []
    for c in range(copies):  # pairwise Bernoulli p = 0.02, autapses allowed, as Ce/Ci.connect('i<3200', p=0.02)
        for lo, hi in ((0, NE), (NE, N)):
            s, t = np.nonzero(rng.random((hi - lo, N), dtype=np.float32) < np.float32(0.02))
            pre.append(s + lo + c * N)
            post.append(t + c * N)
    pre, post = np.concatenate(pre), np.concatenate(post)
    exc = pre % N < NE
    ns = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "Vt": -50 * mV, "Vr": -60 * mV, "El": -49 * mV,
          "we": (60 * 0.27 / 10) * mV, "wi": (-20 * 4.5 / 10) * mV}
    eqs = """dv/dt = (ge+gi-(v-El))/taum : volt (unless refractory)
             dge/dt = -ge/taue : volt
             dgi/dt = -gi/taui : volt"""
    # Brian stamps a spike at the start of its step: refractory t_ref + dt holds v as long as NEST's t_ref.
    P = b2.NeuronGroup(copies * N, eqs, threshold="v >= Vt", reset="v = Vr", refractory=(5.0 + dt) * ms,
                       method="exact", namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace=ns)
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace=ns)
    Ce.connect(i=pre[exc], j=post[exc])
    Ci.connect(i=pre[~exc], j=post[~exc])
    M = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, M)
    # Synapses before thresholds: a delay of 0 reaches the target one step after the spike's step, which is
    # synfire's delay of dt (tests/peer/brian2_explicit.py).
    net.schedule = ["start", "groups", "synapses", "thresholds", "resets", "end"]
    net.run(T * ms)
    i = np.asarray(M.i).astype(np.int64)
    t = np.asarray(M.t / ms) + dt  # synfire (NEST) stamps the end of the step
    rows = []
    for c in range(copies):
        sel = i // N == c
        loc, tc = i[sel] % N, t[sel]
        e = loc < NE
        rows.append({"E": spike_stats(loc[e], tc[e], NE), "I": spike_stats(loc[~e] - NE, tc[~e], NI)})
    return rows, int(exc.sum()) / copies, int((~exc).sum()) / copies


def compare(sf_rows, b2_rows):
    """Per (population, quantity): (synfire mean, Brian2 mean, Brian2 sd, tolerance, ok, z)."""
    out = {}
    for p in ("E", "I"):
        for q in ("rate", "cv"):
            s = np.array([r[p][q] for r in sf_rows])
            b = np.array([r[p][q] for r in b2_rows])
            sd = b.std(ddof=1)
            se = sd * np.sqrt(1.0 / b.size + 1.0 / s.size)
            tol = K_MEAN * se + MARGIN * b.mean()
            diff = s.mean() - b.mean()
            out[(p, q)] = (s.mean(), b.mean(), sd, tol, abs(diff) <= tol, diff / se)
    return out


with tempfile.TemporaryDirectory() as d:
    t0 = time.time()
    sf = [run_synfire(d, s) for s in SYNFIRE_SEEDS]
    t_sf = time.time() - t0
    t0 = time.time()
    wrong = [run_synfire(d, s, WRONG) for s in WRONG_SEEDS]
    t_wrong = time.time() - t0
t0 = time.time()
b2_rows, syn_e, syn_i = run_brian(BRIAN_COPIES, BRIAN_SEED)
t_b2 = time.time() - t0

print(f"synfire {len(SYNFIRE_SEEDS)} seeds {t_sf:.1f} s; wrong variant {len(WRONG_SEEDS)} seeds {t_wrong:.1f} s; "
      f"Brian2 {BRIAN_COPIES} copies {t_b2:.1f} s ({syn_e:.0f} + {syn_i:.0f} synapses per copy)")
for who, rows in (("synfire", sf), ("Brian2", b2_rows)):
    print(f"{who:8s} rate E " + " ".join(f"{r['E']['rate']:.2f}" for r in rows))
    print(f"{who:8s} rate I " + " ".join(f"{r['I']['rate']:.2f}" for r in rows))

failures = []
result = compare(sf, b2_rows)
for (p, q), (ms_, mb, sd, tol, ok, z) in result.items():
    print(f"{p} {q:4s}: synfire {ms_:.3f}  Brian2 {mb:.3f} (sd {sd:.3f})  |diff| {abs(ms_ - mb):.3f} <= {tol:.3f}"
          f"  ({z:+.1f} se)  {'ok' if ok else 'FAIL'}")
    if not ok:
        failures.append(f"{p} {q}: synfire {ms_:.3f} outside Brian2 {mb:.3f} +- {tol:.3f}")
for p in ("E", "I"):
    b = np.array([r[p]["rate"] for r in b2_rows])
    half = K_SEED * b.std(ddof=1) * np.sqrt(1.0 + 1.0 / b.size) + MARGIN * b.mean()
    for seed, r in zip(SYNFIRE_SEEDS, sf):
        if abs(r[p]["rate"] - b.mean()) > half:
            failures.append(f"{p} rate of seed {seed}: {r[p]['rate']:.3f} outside {b.mean():.3f} +- {half:.3f}")
    cv = np.array([r[p]["cv"] for r in sf])
    if not (0.2 < cv.min() and cv.max() < 1.5):
        failures.append(f"{p} ISI CV {cv.min():.2f}..{cv.max():.2f} not irregular firing")

wrong_result = compare(wrong, b2_rows)
caught = [f"{p} rate {wrong_result[(p, 'rate')][0]:.3f} ({wrong_result[(p, 'rate')][5]:+.1f} se)"
          for p in ("E", "I") if not wrong_result[(p, "rate")][4]]
print(f"wrong variant ({' '.join(WRONG)}): " + ("; ".join(caught) if caught else "NOT caught") + " outside the band")
if not caught:
    failures.append("the wrong variant (inhibition x 0.9) lies inside the tolerance: the test cannot fail")

print(f"total {time.time() - t_start:.1f} s")
if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("Vogels-Abbott CUBA: synfire's rates and ISI CVs agree with Brian2's")
