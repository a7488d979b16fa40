"""Recording overhead: the same run with and without its recorders (bench/models/recording.toml), on one
backend, repeated; prints the wall-time ratio (target <= 1.10 on the GPU) and the time the run waited for
the writer (target 0), and writes JSON.

usage: recording_overhead.py SYNFIRE_EXE [--backend cuda|cpu] [--out DIR] [--repeat 3] [--duration MS] [--n N]
"""
import argparse
import json
import os
import re
import subprocess
import tempfile

import h5py

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("exe")
ap.add_argument("--backend", default="cuda")
ap.add_argument("--out", default=os.environ.get("OUT", "bench-results"))
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--duration", type=float, default=1000.0)
ap.add_argument("--n", type=int, default=1_000_000)
ap.add_argument("--compression", default="deflate", choices=["deflate", "none"])
args = ap.parse_args()

text = open(os.path.join(here, "models", "recording.toml")).read()
ids = list(range(0, args.n, max(1, args.n // 1000)))[:1000]
recording = text.replace('ids = "every 1000th"', f"ids = {ids}")
bare = recording[: re.search(r"^\[\[recorders\]\]", recording, re.M).start()]
os.makedirs(args.out, exist_ok=True)
results = {}
with tempfile.TemporaryDirectory() as d:
    for name, model in (("nothing", bare), ("recording", recording)):
        path = os.path.join(d, f"{name}.toml")
        open(path, "w").write(model)
        runs = []
        for i in range(args.repeat):
            out = os.path.join(d, f"{name}.h5")
            subprocess.run([args.exe, "run", path, "-o", out, "--force", "--quiet", "--backend", args.backend, "--compression", args.compression,
                            "--set", f"populations.E.n={args.n}", "--set", f"simulation.duration={args.duration}"], check=True)
            with h5py.File(out, "r") as f:
                spikes = f["spikes/E/node_ids"].shape[0] if "spikes" in f and "E" in f["spikes"] else 0
                runs.append({"wall_time": float(f.attrs["wall_time"]), "writer_wait": float(f.attrs["writer_wait"]),
                             "spikes": int(spikes), "device": f.attrs["device"]})
        results[name] = min(runs, key=lambda r: r["wall_time"])
ratio = results["recording"]["wall_time"] / results["nothing"]["wall_time"]
rate = results["recording"]["spikes"] / (args.n * args.duration * 1e-3)
summary = {"backend": args.backend, "compression": args.compression, "device": results["recording"]["device"], "n": args.n, "duration_ms": args.duration,
           "mean_rate_hz": rate, "traces": len(ids), "wall_nothing_s": results["nothing"]["wall_time"],
           "wall_recording_s": results["recording"]["wall_time"], "ratio": ratio,
           "writer_wait_s": results["recording"]["writer_wait"]}
with open(os.path.join(args.out, f"recording_overhead_{args.backend}_{args.compression}.json"), "w") as f:
    json.dump(summary, f, indent=2)
print(f"recording overhead on {summary['device']} ({args.compression}): {args.n} neurons at {rate:.1f} Hz, {len(ids)} V_m traces every step: "
      f"{summary['wall_recording_s']:.3f} s vs {summary['wall_nothing_s']:.3f} s recording nothing = {ratio:.3f}x, "
      f"writer wait {summary['writer_wait_s']:.3f} s")
