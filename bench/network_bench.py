"""Brunel networks (data/models/brunel.toml, state C, fixed in-degrees C_E = 1000, C_I = 250) at growing sizes
on one backend: synaptic events per second, real-time factor and the per-step split (update, delivery,
compaction) the backend measured, with spikes written to HDF5 (50 neurons' spikes and two rate histograms).
Prints a table and writes JSON.

usage: network_bench.py SYNFIRE_EXE [--backend cpu|cuda] [--sizes 1e4,1e5] [--duration MS] [--out DIR]
"""
import argparse
import json
import os
import subprocess
import tempfile

import h5py

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("exe")
ap.add_argument("--backend", default="cpu")
ap.add_argument("--sizes", default="1e4,3e4")
ap.add_argument("--duration", type=float, default=200.0)
ap.add_argument("--out", default=os.environ.get("OUT", "bench-results"))
ap.add_argument("--label", default="", help="suffix of the JSON file name (e.g. a variant run under an environment switch)")
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)
model = os.path.join(here, "..", "data", "models", "brunel.toml")
rows = []
with tempfile.TemporaryDirectory() as d:
    for n in (int(float(x)) for x in args.sizes.split(",")):
        n_e, n_i = n * 4 // 5, n // 5
        out = os.path.join(d, "net.h5")
        subprocess.run([args.exe, "run", model, "-o", out, "--force", "--quiet", "--backend", args.backend,
                        "--set", f"populations.E.n={n_e}", "--set", f"populations.I.n={n_i}",
                        "--set", f"simulation.duration={args.duration}"], check=True)
        with h5py.File(out, "r") as f:
            a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        wall = float(a["wall_time"])
        row = {"n": n, "duration_ms": args.duration, "wall_time_s": wall, "real_time_factor": float(a["real_time_factor"]),
               "synaptic_events": int(a["synaptic_events"]), "events_per_s": int(a["synaptic_events"]) / wall, "device": a["device"],
               "phases": {k[5:]: float(v) for k, v in a.items() if k.startswith("time_")}}
        rows.append(row)
with open(os.path.join(args.out, f"network_bench_{args.backend}{'_' + args.label if args.label else ''}.json"), "w") as f:
    json.dump(rows, f, indent=2)
print(f"\nBrunel state C on {rows[0]['device'] if rows else args.backend}, {args.duration:g} ms {args.label}")
print(f"{'N':>10} {'synapses':>12} {'events':>12} {'events/s':>10} {'RTF':>8}  phases [s]")
for r in rows:
    phases = "  ".join(f"{k} {v:.3f}" for k, v in r["phases"].items())
    print(f"{r['n']:>10} {r['n'] * 1250:>12} {r['synaptic_events']:>12} {r['events_per_s']:>10.3g} {r['real_time_factor']:>8.3f}  {phases}")
