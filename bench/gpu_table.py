"""Last lines of bench/gpu-check.sh: the targets of the CUDA backend in one table, and gpu-check.json.

usage: gpu_table.py OUT cuda_rc sanitizer_rc cpu_rc billion_rc billion_ms too_big_rc too_big_written
"""
import json
import os
import sys

out = sys.argv[1]
cuda_rc, san_rc, cpu_rc, billion_rc = (int(x) for x in sys.argv[2:6])
billion_s = float(sys.argv[6]) / 1000.0
too_big_rc, too_big_written = int(sys.argv[7]), sys.argv[8]


def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


bench = load("bench_gpu.json") or {"rows": [], "device": "?"}
torch_ = load("torch_lif.json") or {"rows": []}
rows = bench["rows"]


def pick(prefix, n):
    return next((r for r in rows if r["kernel"].startswith(prefix) and r["n"] == n), None)


summary = {"device": bench.get("device"), "checks": []}


def check(name, value, target, ok):
    summary["checks"].append({"check": name, "value": value, "target": target, "ok": bool(ok)})


def text(name):
    try:
        with open(os.path.join(out, name)) as f:
            return f.read()
    except OSError:
        return ""


skipped = text("ctest-cuda.log").count("(Skipped)")
check("cuda tests", ("pass" if cuda_rc == 0 else f"rc {cuda_rc}") + f", {skipped} skipped", "pass, 0 skipped",
      cuda_rc == 0 and skipped == 0)
check("compute-sanitizer (memcheck, racecheck)", "clean" if san_rc == 0 else f"rc {san_rc}", "clean", san_rc == 0)
check("unit + validation tests", "pass" if cpu_rc == 0 else f"rc {cpu_rc}", "pass", cpu_rc == 0)
for n in (10**7, 10**8, 10**9):
    p, v = pick("networked step (packed)", n), pick("networked step (naive", n)
    if p:
        check(f"networked step N={n:.0e}, % of D2D copy", f"{100 * p['fraction_of_copy']:.1f}% "
              f"(naive SoA {100 * v['fraction_of_copy']:.1f}%)" if v else f"{100 * p['fraction_of_copy']:.1f}%",
              ">= 90%", p["fraction_of_copy"] >= 0.90)
fused = pick("fused window (k=64)", 10**8)
peer = next((r for r in torch_["rows"] if r["n"] == 10**8), None)
if fused and peer:
    ratio = fused["updates_per_s"] / peer["updates_per_s"]
    check("fused update N=1e8 vs PyTorch CUDA-graph step",
          f"{fused['updates_per_s']:.3g} vs {peer['updates_per_s']:.3g} updates/s = {ratio:.1f}x", ">= 10x", ratio >= 10)
for c in ("deflate", "none"):
    rec = load(f"recording_overhead_cuda_{c}.json")
    if rec:
        check(f"recording overhead ({c}), 1e6 neurons at {rec['mean_rate_hz']:.1f} Hz + {rec['traces']} traces",
              f"{rec['ratio']:.3f}x, writer wait {rec['writer_wait_s']:.3f} s", "<= 1.10x, no wait",
              rec["ratio"] <= 1.10 and rec["writer_wait_s"] < 0.01)
net = load("network_bench_cuda.json") or []
for r in net:
    delivery = r["phases"].get("delivery", 0.0)
    rate = r["synaptic_events"] / delivery if delivery > 0 else 0.0
    check(f"Brunel N={r['n']:.0e}: delivery events/s (RTF {r['real_time_factor']:.3f})", f"{rate:.3g}", ">= 3e10 at 1e6",
          r["n"] < 10**6 or rate >= 3e10)
check("1e9 neurons, 10 ms through the CLI", f"rc {billion_rc}, {billion_s:.1f} s", "rc 0", billion_rc == 0)
refusal = "needs" in text("too_big.txt") and "GiB free" in text("too_big.txt")
check("preflight refuses 12e9 neurons", f"rc {too_big_rc}, file written: {too_big_written}, message names sizes: {refusal}",
      "rc 1, no file, needs X GiB / Y GiB free", too_big_rc == 1 and too_big_written == "no" and refusal)

with open(os.path.join(out, "gpu-check.json"), "w") as f:
    json.dump(summary, f, indent=2)
print(f"\nGPU check on {summary['device']}")
for c in summary["checks"]:
    print(f"  [{'ok' if c['ok'] else 'MISS'}] {c['check']}: {c['value']} (target {c['target']})")
