#!/usr/bin/env python3
"""Why a kernel's warps wait, summed over the kernel: reads the CSV of `ncu -i REPORT --page raw --csv` (a
report with the SourceCounters or WarpStateStats section) and prints the warp-stall reasons with their share,
largest first (bench/gpu-check.sh, the persistent window kernel). The reasons that tell the persistent kernel's
hypotheses apart (bench/NOTES.md v11): long_scoreboard (waiting for global or local memory: the ring read, spill
reloads), no_instructions and branch_resolving (instruction fetch: the kernel is ~230 KB of code), imc_miss
(constant cache: kernel parameters), membar (the arrival's release), sleeping (the barrier's __nanosleep),
barrier (__syncthreads: a block's slowest warp)."""
import csv
import re
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: stall_reasons.py RAW_PAGE.csv")
    with open(sys.argv[1], newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    head = next((i for i, r in enumerate(rows) if any("stalled" in c for c in r)), None)
    if head is None:
        sys.exit(f"{sys.argv[1]}: no warp-stall metrics (ncu failed, or neither SourceCounters nor WarpStateStats collected)")
    names = rows[head]
    data = [r for r in rows[head + 1:] if len(r) == len(names) and not all(c.strip() == "" for c in r)]
    # the first row after the header may hold units
    values = next((r for r in data if any(re.fullmatch(r"[0-9.,]+", c.replace(",", "")) for c in r)), None)
    if values is None:
        sys.exit("no metric values")

    def number(v):
        try:
            return float(v.replace(",", ""))
        except ValueError:
            return None

    for family in ("smsp__pcsamp_warps_issue_stalled_", "smsp__average_warp_latency_issue_stalled_",
                   "smsp__average_warps_issue_stalled_"):
        found = {}
        for n, v in zip(names, values):
            if n.startswith(family) and not n.endswith("_not_issued"):
                x = number(v)
                if x is not None:
                    reason = n[len(family):].split(".")[0]
                    found[reason] = found.get(reason, 0.0) + x
        total = sum(found.values())
        if total <= 0:
            continue
        print(f"{family}*: {total:.4g} in all")
        for reason, x in sorted(found.items(), key=lambda kv: -kv[1])[:14]:
            print(f"  {x / total * 100:5.1f}%  {reason}")
        return
    sys.exit("no warp-stall metric family with values")


if __name__ == "__main__":
    main()
