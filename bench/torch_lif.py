"""The peer of the fused GPU update: the same iaf_psc_exp step written in PyTorch, float32 tensors, replayed
from a CUDA graph (no Python or launch overhead in the timed loop).

usage: torch_lif.py [--json FILE] [--sizes 1e6,1e7,1e8] [--steps 50]
Prints updates/s per size; the step and constants match synfire's (NEST defaults, dt 0.1 ms, ramp 0..1000 pA).
"""
import argparse
import json
import math

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--sizes", default="1e6,1e7,1e8")
    ap.add_argument("--steps", type=int, default=50, help="steps per captured graph")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch_lif: no CUDA device")
        return
    h, tau_m, C, tau_s = 0.1, 10.0, 250.0, 2.0
    P22 = math.exp(-h / tau_m)
    P11 = math.exp(-h / tau_s)
    P20 = tau_m / C * (1 - P22)
    d = 1 / tau_s - 1 / tau_m
    P21 = math.exp(-h / tau_s) * math.expm1(h * d) / d / C
    theta, V_reset, ref = 15.0, 0.0, 20
    rows = []
    for n in (int(float(s)) for s in args.sizes.split(",")):
        dev = torch.device("cuda")
        V = torch.zeros(n, device=dev)
        I_ex = torch.zeros(n, device=dev)
        I_in = torch.zeros(n, device=dev)
        r = torch.zeros(n, dtype=torch.int32, device=dev)
        I = torch.linspace(0, 1000, n, device=dev)
        spikes = torch.zeros(n, dtype=torch.bool, device=dev)

        def step():
            integrating = r == 0
            V_new = V * P22 + I_ex * P21 + I_in * P21 + I * P20
            torch.where(integrating, V_new, V, out=V)
            torch.where(integrating, r, r - 1, out=r)
            I_ex.mul_(P11)
            I_in.mul_(P11)
            torch.ge(V, theta, out=spikes)
            V.masked_fill_(spikes, V_reset)
            r.masked_fill_(spikes, ref)

        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            for _ in range(args.steps):
                step()
        g.replay()
        torch.cuda.synchronize()
        reps = max(3, int(2e10 / (n * args.steps * 40)))
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(reps):
            g.replay()
        b.record()
        torch.cuda.synchronize()
        sec = a.elapsed_time(b) * 1e-3 / (reps * args.steps)
        rows.append({"n": n, "steps_per_graph": args.steps, "seconds_per_step": sec, "updates_per_s": n / sec})
        print(f"torch LIF step (CUDA graph, {args.steps} steps): N = {n:>11}  {sec * 1e6:10.2f} us/step  {n / sec:.4g} updates/s")
        del V, I_ex, I_in, r, I, spikes, g
        torch.cuda.empty_cache()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
