"""Peer test: the same explicit-connectivity network of iaf_psc_delta neurons in synfire and in Brian2 (Debian's
python3-brian, numpy runtime); the spike trains must agree.

The network: N neurons under constant currents from 0.9 to 1.3 x rheobase, each with 30 random targets, weights
+0.6 or -1.2 mV, delays 0.5 .. 3 ms on the 0.1 ms grid, refractory 2 ms, 300 ms. Brian2 runs NEST's order of
operations: the schedule puts synaptic input before the threshold, input arriving during the refractory period
is dropped, and Brian2 stamps a spike with the start of its step where synfire (like NEST) stamps the end (so its
refractory period is set one step longer to hold the neuron as long as NEST does).
Brian2 integrates in double, synfire in float: a crossing within about 1e-5 mV of threshold may go either
way, so the test also reports how far the trains agree before any difference.

usage: brian2_explicit.py SYNFIRE_EXE
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

try:
    import brian2 as b2
except ImportError:
    sys.exit("brian2_explicit: python3-brian is not installed (scripts/setup installs it)")

exe = sys.argv[1]
N, dt, T = 200, 0.1, 300.0
tau, C, threshold, reset, t_ref = 20.0, 250.0, 20.0, 10.0, 2.0
R = tau / C
rng = np.random.default_rng(7)
I = np.linspace(0.9, 1.3, N) * threshold / R  # pA, below to above rheobase
pre = np.repeat(np.arange(N), 30)
post = rng.integers(0, N, size=pre.size)
keep = pre != post
pre, post = pre[keep], post[keep]
w = np.where(rng.random(pre.size) < 0.8, 0.6, -1.2)
delay_steps = rng.integers(5, 31, size=pre.size)

with tempfile.TemporaryDirectory() as d:
    with open(os.path.join(d, "conn.csv"), "w") as f:
        f.write("source,target,weight,delay\n")
        for s, t, ww, ds in zip(pre, post, w, delay_steps):
            f.write(f"{s},{t},{ww},{ds * dt:.1f}\n")
    with open(os.path.join(d, "net.toml"), "w") as f:
        f.write(f"""
[simulation]
dt = {dt}
duration = {T}
[populations.N]
model = "iaf_psc_delta"
n = {N}
params = {{ tau_m = {tau}, C_m = {C}, E_L = 0.0, V_th = {threshold}, V_reset = {reset}, t_ref = {t_ref} }}
[[stimuli]]
type = "ramp"
target = "N"
from = {I[0]!r}
to = {I[-1]!r}
[[projections]]
source = "N"
target = "N"
rule = "explicit"
file = "conn.csv"
[[recorders]]
type = "spikes"
population = "N"
""")
    subprocess.run([exe, "run", "net.toml", "-o", "out.h5", "--quiet"], cwd=d, check=True)
    with h5py.File(os.path.join(d, "out.h5"), "r") as f:
        ours = sorted(zip(np.rint(f["spikes/N/timestamps"][:] / dt).astype(int), f["spikes/N/node_ids"][:].astype(int)))

b2.prefs.codegen.target = "numpy"
b2.defaultclock.dt = dt * b2.ms
ms, mV, pA, pF = b2.ms, b2.mV, b2.pA, b2.pF
# Brian2 stamps the spike at the start of the step that crossed and frees the neuron t_ref after that stamp,
# which is one step earlier than NEST's t_ref after the spike at the step's end: refractory = t_ref + dt.
G = b2.NeuronGroup(N, "dv/dt = (-v + R*I)/tau_m : volt (unless refractory)\nI : amp (constant)", threshold="v >= theta",
                   reset="v = V_reset", refractory=(t_ref + dt) * ms, method="exact",
                   namespace={"R": R * mV / pA, "tau_m": tau * ms, "theta": threshold * mV, "V_reset": reset * mV})
G.I = I * pA
S = b2.Synapses(G, G, "w : volt", on_pre="v += w * int(not_refractory_post)")
S.connect(i=pre, j=post)
S.w = w * mV
# With synaptic input scheduled before the threshold, Brian2 queues a step's spikes one step later (in the next
# step's synapses slot), so its delays are one step shorter for the same arrival step.
S.delay = (delay_steps - 1) * dt * ms
M = b2.SpikeMonitor(G)
net = b2.Network(G, S, M)
net.schedule = ["start", "groups", "synapses", "thresholds", "resets", "end"]  # NEST: input, then threshold
net.run(T * ms)
theirs = sorted(zip(np.rint(np.asarray(M.t / ms) / dt).astype(int) + 1, np.asarray(M.i).astype(int)))

first_difference = next((k for k, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
agree_until = ours[first_difference][0] * dt if first_difference < len(ours) else T
print(f"synfire {len(ours)} spikes, Brian2 {len(theirs)} spikes; identical up to {agree_until:.1f} ms "
      f"({first_difference} spikes)")
assert len(ours) > 2000, "the network must be active"
assert ours == theirs, f"spike trains differ from spike {first_difference} on: synfire {ours[first_difference:first_difference + 3]}, " \
                       f"Brian2 {theirs[first_difference:first_difference + 3]}"
print("Brian2 peer: identical spike trains")
