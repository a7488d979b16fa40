"""Compares the spikes of two synfire output files (e.g. the CPU and the CUDA backend on the same model) and
prints each population's mean rate and whether the spike trains are identical.

usage: compare_spikes.py A.h5 B.h5 [--json FILE]     exit 0: identical, 1: different, 2: a file is missing
"""
import json
import sys
import tomllib

import h5py
import numpy as np

args = [a for a in sys.argv[1:] if not a.startswith("--")]
json_out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
if len(args) < 2:
    sys.exit(__doc__)
try:
    fa = h5py.File(args[0], "r")
except OSError as e:
    print(f"compare_spikes: {e}")
    sys.exit(2)
try:
    fb = h5py.File(args[1], "r")
except OSError as e:
    print(f"compare_spikes: {e}: rates of {args[0]} only")
    fb = None
duration_s = float(fa.attrs["duration"]) * 1e-3
text = fa["config/model"][()]
model = tomllib.loads(text.decode() if isinstance(text, bytes) else text)
rows, same = [], True
for pop in fa["spikes"]:
    a, b = fa["spikes"][pop], fb["spikes"].get(pop) if fb else None
    ta, ia = a["timestamps"][:], a["node_ids"][:]
    equal = b is not None and np.array_equal(ta, b["timestamps"][:]) and np.array_equal(ia, b["node_ids"][:])
    same &= equal
    rec = [r for r in model.get("recorders", []) if r.get("type") == "spikes" and r.get("population") == pop]
    n = len(rec[0]["ids"]) if rec and "ids" in rec[0] else model["populations"][pop]["n"]  # the recorded neurons
    # the recorder's window (start, stop]: data/models/potjans_diesmann.py records after a 500 ms pre-simulation
    start_s = float(rec[0].get("start", 0.0)) * 1e-3 if rec else 0.0
    stop_s = min(float(rec[0].get("stop", float("inf"))) * 1e-3, duration_s) if rec else duration_s
    rate = len(ta) / (n * (stop_s - start_s)) if stop_s > start_s else 0.0
    rows.append({"population": pop, "spikes_a": int(len(ta)), "spikes_b": int(len(b["timestamps"])) if b is not None else None,
                 "rate_hz": rate, "identical": bool(equal)})
    print(f"{pop:>8} {len(ta):>10} spikes  {rate:7.3f} Hz  {'identical' if equal else 'DIFFERENT'}")
print("spike trains identical" if same else "spike trains DIFFER" if fb else "")
if json_out:
    with open(json_out, "w") as f:
        json.dump({"identical": bool(same) if fb else None, "populations": rows}, f, indent=2)
sys.exit(0 if same else 1 if fb else 2)
