"""The CPU benchmark's model in Brian2 C++ standalone, and the comparison table.

  brian2_peer.py run N STEPS THREADS FLOAT   one Brian2 run; prints JSON {n, steps, run_time_s, updates_per_s}
  brian2_peer.py compare BENCH_JSON OUT_JSON  runs Brian2 at every size of synfire's bench_cpu JSON,
                                              prints synfire / Brian2 ratios and writes OUT_JSON

Model (both sides): N uncoupled iaf_psc_exp neurons with NEST defaults (tau_m 10 ms, C_m 250 pF, tau_syn 2 ms,
t_ref 2 ms, threshold 15 mV above rest), neuron i driven by 1000·i/(N-1) pA, dt 0.1 ms, exact integration, no
recording. Brian2 times only its simulation loop (device._last_run_time), not code generation or compilation.
"""
import json
import os
import subprocess
import sys
import tempfile


def brian2_run(n, steps, threads, float_type):
    import numpy as np
    import brian2 as b2
    from brian2 import ms, mV, pA, pF

    with tempfile.TemporaryDirectory() as d:
        b2.set_device("cpp_standalone", directory=d, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = threads
        b2.prefs.core.default_float_dtype = np.float32 if float_type == "float32" else np.float64
        b2.defaultclock.dt = 0.1 * ms
        eqs = """
        dv/dt = (-v + R * (I_ex + I_in + I)) / tau_m : volt (unless refractory)
        dI_ex/dt = -I_ex / tau_syn : amp
        dI_in/dt = -I_in / tau_syn : amp
        I : amp (constant)
        """
        namespace = {"R": 10 * ms / (250 * pF), "tau_m": 10 * ms, "tau_syn": 2 * ms}
        g = b2.NeuronGroup(n, eqs, threshold="v >= 15*mV", reset="v = 0*mV", refractory=2 * ms,
                           method="exact", namespace=namespace)
        g.I = "i * 1000*pA / (N - 1)" if n > 1 else "0*pA"
        b2.run(steps * 0.1 * ms)
        b2.device.build(directory=d, compile=True, run=True)
        t = float(b2.device._last_run_time)
    return {"n": n, "steps": steps, "threads": threads, "float": float_type, "run_time_s": t,
            "updates_per_s": n * steps / t}


def compare(bench_json, out_json):
    with open(bench_json) as f:
        ours = json.load(f)
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    rows = []
    for b in ours["benchmarks"]:
        if b.get("run_type") == "aggregate" or not b["name"].startswith("BM_cpu_update"):
            continue
        n, steps = int(b["neurons"]), int(b["steps"])
        row = {"n": n, "steps": steps, "synfire_updates_per_s": b["updates_per_s"]}
        for ft in ("float64", "float32"):
            p = subprocess.run([sys.executable, __file__, "run", str(n), str(steps), str(threads), ft],
                               capture_output=True, text=True)
            if p.returncode != 0:
                sys.stderr.write(p.stderr[-2000:])
                row["brian2_" + ft] = None
                continue
            row["brian2_" + ft] = json.loads(p.stdout.strip().splitlines()[-1])["updates_per_s"]
        rows.append(row)

    print(f"\nCPU update throughput, {threads} threads, same machine and run (updates/s)")
    print(f"{'N':>10} {'steps':>8} {'synfire':>10} {'Brian2 f64':>11} {'ratio':>7} {'Brian2 f32':>11} {'ratio':>7}")
    for r in rows:
        def col(k):
            v = r.get(k)
            return (f"{v / 1e6:9.0f}M", f"{r['synfire_updates_per_s'] / v:6.2f}x") if v else ("       n/a", "    n/a")
        a, ra = col("brian2_float64")
        c, rc = col("brian2_float32")
        print(f"{r['n']:>10} {r['steps']:>8} {r['synfire_updates_per_s'] / 1e6:9.0f}M {a:>11} {ra:>7} {c:>11} {rc:>7}")
    with open(out_json, "w") as f:
        json.dump({"threads": threads, "context": ours.get("context", {}), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    if sys.argv[1] == "run":
        print(json.dumps(brian2_run(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])))
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
