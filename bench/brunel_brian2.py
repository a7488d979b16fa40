"""Brunel (2000) state C on synfire's CPU backend and in Brian2 C++ standalone, same model, same threads: simulation
time, construction time, population rates and synaptic events per second of each, ratio printed, JSON written.

  brunel_brian2.py [SYNFIRE_EXE] [--sizes 1e4,5e4] [--durations 1000,500] [--threads T] [--floats float64,float32]
                   [--out DIR]                     (SYNFIRE_EXE: build/synfire; T: OMP_NUM_THREADS or all cores;
                                                    DIR: $OUT or bench-results; writes DIR/brunel_brian2.json)
  brunel_brian2.py brian2 N DURATION THREADS FLOAT  one Brian2 run; prints JSON

Model (both sides): data/models/brunel.toml at N neurons (N_E = 0.8 N, N_I = 0.2 N) with the file's fixed
in-degrees kept at every size (C_E = 1000, C_I = 250, autapses and multapses allowed, as NEST's fixed_indegree
and synfire's defaults), so the synapse count is 1250 N and the mean-field rate (37.95 Hz) is the same at every
size, as bench/network_bench.py does. iaf_psc_delta, tau_m 20 ms, theta 20 mV, V_reset 10 mV, t_ref 2 ms,
J = 0.1 mV, g = 5, delay 1.5 ms, dt 0.1 ms, V_0 ~ U(0, 20) mV, each neuron driven by C_E Poisson sources at 20 Hz
of weight J.

Brian2 side: one NeuronGroup (E = first 0.8 N, I = the rest), exact integration of dv/dt = -(v - E_L)/tau_m
(unless refractory), one homogeneous delay per Synapses, weights constants in the namespace, connectivity drawn
in numpy, sorted by source and passed to Synapses.connect(i=, j=) (drawing, sorting and code generation are not
timed). The source-major order is what synfire's table has and what Brian2's generator syntax creates, and it
matters: in target-major order each event's target index is a random read in a 4-byte-per-synapse array and
Brian2 delivers about 3x slower (BRUNEL_BRIAN2_UNSORTED=1 shows it). Brian2's OpenMP code runs the state update
and the Poisson input on all threads but each pathway's delivery on one (omp master). Poisson drive: PoissonInput
(binomial(C_E, nu dt) per neuron and step). To follow NEST's iaf_psc_delta (and synfire) step for step, the
synaptic pathways and the Poisson input run after the state update and before the threshold ('before_thresholds',
so input of a step counts in that step's threshold, as NEST adds it after the propagator), which makes a pathway
see the spikes of the previous step: the delay given to Brian2 is 1.5 ms - dt. Input to a refractory neuron is
dropped on both sides (Brian2 makes every write to v conditional on not_refractory under `unless refractory`).
The refractory period given to Brian2 is t_ref + dt, because Brian2 integrates again at the step where
timestep(t - lastspike) reaches it while NEST and synfire clamp V for t_ref/dt full steps after the spike
step. Recording: spike counts per neuron (SpikeMonitor, record=False). Brian2's simulation time
is its network loop (device._last_run_time, omp_get_wtime around Network::run); its construction time is the
binary's wall time from main() to the start of that loop (array allocation, loading the static index arrays,
creating the synapses, building the spike queues), measured by code inserted into main.cpp.

synfire side: `synfire run data/models/brunel.toml --backend cpu --threads T` with the sizes and duration set, the
model file's recorders (50 neurons' spikes, two rate histograms, HDF5 with deflate); simulation time = the output
file's `wall_time` (the stepping loop), construction = `time_construction`.
"""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(here, "..", "data", "models", "brunel.toml")
K_E, K_I = 1000, 250


def brian2_run(n, duration_ms, threads, float_type, seed=1, keep_dir=None, profile=False):
    import numpy as np
    import brian2 as b2
    from brian2 import ms, mV, Hz

    n_e = n * 4 // 5
    n_i = n - n_e
    with (contextlib.nullcontext(keep_dir) if keep_dir else tempfile.TemporaryDirectory()) as d:
        b2.set_device("cpp_standalone", directory=d, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = threads
        b2.prefs.core.default_float_dtype = np.float32 if float_type == "float32" else np.float64
        b2.defaultclock.dt = 0.1 * ms
        b2.seed(seed)
        dt = 0.1 * ms
        ns = {"tau_m": 20 * ms, "E_L": 0 * mV, "theta": 20 * mV, "V_reset": 10 * mV,
              "J_E": 0.1 * mV, "J_I": -0.5 * mV}
        P = b2.NeuronGroup(n, "dv/dt = -(v - E_L) / tau_m : volt (unless refractory)",
                           threshold="v >= theta", reset="v = V_reset", refractory=2.0 * ms + dt,
                           method="exact", namespace=ns)
        P.v = "rand() * 20*mV"
        E, I = P[:n_e], P[n_e:]

        rng = np.random.default_rng(seed)
        src_e = rng.integers(0, n_e, size=n * K_E, dtype=np.int32)   # fixed in-degree: C_E sources per target
        src_i = rng.integers(0, n_i, size=n * K_I, dtype=np.int32)
        tgt_e = np.repeat(np.arange(n, dtype=np.int32), K_E)
        tgt_i = np.repeat(np.arange(n, dtype=np.int32), K_I)
        outdeg = np.concatenate([np.bincount(src_e, minlength=n_e), np.bincount(src_i, minlength=n_i)])
        if os.environ.get("BRUNEL_BRIAN2_UNSORTED") != "1":
            # source-major synapse order (as synfire's table and Brian2's own generator-based connect): a spike's
            # synapses are then contiguous, and Brian2's delivery reads their targets sequentially
            o = np.argsort(src_e, kind="stable")
            src_e, tgt_e = src_e[o], tgt_e[o]
            o = np.argsort(src_i, kind="stable")
            src_i, tgt_i = src_i[o], tgt_i[o]
            del o

        delay = 1.5 * ms - dt   # one step of the pathway's latency in 'before_thresholds' (see the docstring)
        S_e = b2.Synapses(E, P, on_pre="v_post += J_E", delay=delay, namespace=ns)
        S_e.connect(i=src_e, j=tgt_e)
        S_i = b2.Synapses(I, P, on_pre="v_post += J_I", delay=delay, namespace=ns)
        S_i.connect(i=src_i, j=tgt_i)
        del src_e, src_i, tgt_e, tgt_i
        for S in (S_e, S_i):
            S.pre.when = "before_thresholds"
        drive = b2.PoissonInput(P, "v", N=K_E, rate=20 * Hz, weight=0.1 * mV, when="before_thresholds")
        mon = b2.SpikeMonitor(P, record=False)

        b2.device.insert_code("before_start", "struct timespec _bench_t0; clock_gettime(CLOCK_MONOTONIC, &_bench_t0);")
        b2.device.insert_code("before_network_run", """
        {
            struct timespec _bench_t1; clock_gettime(CLOCK_MONOTONIC, &_bench_t1);
            std::ofstream _f("results/bench_construction.txt");
            _f << (_bench_t1.tv_sec - _bench_t0.tv_sec) + 1e-9 * (_bench_t1.tv_nsec - _bench_t0.tv_nsec) << std::endl;
        }""")
        net = b2.Network(P, S_e, S_i, drive, mon)
        net.run(duration_ms * ms, namespace=ns, profile=profile)
        b2.device.build(directory=d, compile=True, run=True, with_output=False)
        sim = float(b2.device._last_run_time)
        with open(os.path.join(d, "results", "bench_construction.txt")) as f:
            construction = float(f.read())
        binary = float(b2.device.timers["run_binary"])
        counts = np.asarray(mon.count[:], dtype=np.int64)
        if profile:
            sys.stderr.write(str(b2.profiling_summary(net)) + "\n")
    events = int(counts @ outdeg)
    sec = duration_ms * 1e-3
    return {"n": n, "duration_ms": duration_ms, "threads": threads, "float": float_type,
            "sim_time_s": sim, "construction_s": construction, "binary_wall_s": binary,
            "rate_E_hz": float(counts[:n_e].sum() / n_e / sec), "rate_I_hz": float(counts[n_e:].sum() / n_i / sec),
            "synaptic_events": events, "events_per_s": events / sim,
            "synapse_order": "target-major" if os.environ.get("BRUNEL_BRIAN2_UNSORTED") == "1" else "source-major"}


def synfire_run(exe, n, duration_ms, threads):
    import h5py
    import numpy as np

    n_e = n * 4 // 5
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "brunel.h5")
        subprocess.run([exe, "run", MODEL, "-o", out, "--force", "--quiet", "--backend", "cpu", "--threads", str(threads),
                        "--set", f"populations.E.n={n_e}", "--set", f"populations.I.n={n - n_e}",
                        "--set", f"simulation.duration={duration_ms}"], check=True)
        with h5py.File(out, "r") as f:
            a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            rates = {p: float(np.mean(f[f"rates/{p}/rate"][:])) for p in ("E", "I")}
    wall = float(a["wall_time"])
    return {"n": n, "duration_ms": duration_ms, "threads": threads, "device": a["device"], "sim_time_s": wall,
            "construction_s": float(a["time_construction"]), "rate_E_hz": rates["E"], "rate_I_hz": rates["I"],
            "synaptic_events": int(a["synaptic_events"]), "events_per_s": int(a["synaptic_events"]) / wall,
            "phases": {k[5:]: float(v) for k, v in a.items() if k.startswith("time_")}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("exe", nargs="?", default=os.path.join(here, "..", "build", "synfire"))
    ap.add_argument("--sizes", default="1e4,5e4")
    ap.add_argument("--durations", default="1000,500", help="ms, one per size (or one for all)")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count()))
    ap.add_argument("--floats", default="float64,float32", help="Brian2 float types to run")
    ap.add_argument("--out", default=os.environ.get("OUT", "bench-results"))
    args = ap.parse_args()
    sizes = [int(float(x)) for x in args.sizes.split(",")]
    durations = [float(x) for x in args.durations.split(",")]
    if len(durations) == 1:
        durations *= len(sizes)
    if len(durations) != len(sizes):
        sys.exit("--durations: one value, or one per size")
    floats = [x for x in args.floats.split(",") if x]
    os.makedirs(args.out, exist_ok=True)
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.1f} before the runs: other work shares the cores, timings are not clean")

    rows = []
    for n, dur in zip(sizes, durations):
        row = {"n": n, "duration_ms": dur, "synapses": n * (K_E + K_I), "synfire": synfire_run(args.exe, n, dur, args.threads)}
        s = row["synfire"]
        print(f"synfire  N={n:<7} {dur:g} ms: sim {s['sim_time_s']:.2f} s, construction {s['construction_s']:.2f} s, "
              f"rates E {s['rate_E_hz']:.1f} Hz I {s['rate_I_hz']:.1f} Hz, {s['events_per_s']:.3g} events/s", flush=True)
        for ft in floats:
            p = subprocess.run([sys.executable, __file__, "brian2", str(n), str(dur), str(args.threads), ft],
                               capture_output=True, text=True)
            if p.returncode != 0:
                sys.stderr.write(p.stderr[-3000:])
                row["brian2_" + ft] = None
                continue
            b = row["brian2_" + ft] = json.loads(p.stdout.strip().splitlines()[-1])
            b["ratio"] = b["sim_time_s"] / s["sim_time_s"]
            print(f"Brian2 {ft} N={n:<7} {dur:g} ms: sim {b['sim_time_s']:.2f} s, construction {b['construction_s']:.2f} s, "
                  f"rates E {b['rate_E_hz']:.1f} Hz I {b['rate_I_hz']:.1f} Hz, {b['events_per_s']:.3g} events/s", flush=True)
        rows.append(row)

    with open(os.path.join(args.out, "brunel_brian2.json"), "w") as f:
        json.dump({"threads": args.threads, "load_before": load, "model": "data/models/brunel.toml (state C), fixed in-degrees 1000 + 250",
                   "rows": rows}, f, indent=2)

    print(f"\nBrunel state C, synfire CPU vs Brian2 C++ standalone, {args.threads} threads, same machine and run")
    print("sim = simulation loop only; ratio = Brian2 sim / synfire sim (> 1: synfire faster); rates E/I in Hz")
    print(f"{'N':>7} {'ms':>6} {'':>13} {'sim [s]':>8} {'constr [s]':>10} {'events/s':>9} {'rate E':>7} {'rate I':>7} {'ratio':>7}")
    for r in rows:
        for name, key in [("synfire", "synfire")] + [(f"Brian2 {ft[5:]}", "brian2_" + ft) for ft in floats]:
            x = r.get(key)
            if x is None:
                print(f"{r['n']:>7} {r['duration_ms']:>6g} {name:>13} {'failed':>8}")
                continue
            ratio = f"{x['ratio']:6.2f}x" if "ratio" in x else ""
            print(f"{r['n']:>7} {r['duration_ms']:>6g} {name:>13} {x['sim_time_s']:>8.2f} {x['construction_s']:>10.2f} "
                  f"{x['events_per_s']:>9.3g} {x['rate_E_hz']:>7.2f} {x['rate_I_hz']:>7.2f} {ratio:>7}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "brian2":
        print(json.dumps(brian2_run(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5])))
    else:
        main()
