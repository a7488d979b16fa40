#!/usr/bin/env python3
"""Where a kernel's warps wait, per SASS instruction: reads the CSV of `ncu -i REPORT --page source --csv
--print-source sass` and prints the instructions with the most warp-stall samples, their share of all
samples and the running total (bench/gpu-check.sh, the persistent window kernel)."""
import csv
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: sass_stalls.py SOURCE_PAGE.csv [TOP]")
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.reader(f))
    head = next((i for i, r in enumerate(rows) if "Source" in r), None)
    if head is None:
        sys.exit(f"{sys.argv[1]}: no header with a Source column (ncu failed?)")
    names = rows[head]
    src = names.index("Source")
    addr = names.index("Address") if "Address" in names else None
    samples = [i for i, n in enumerate(names) if "Stall Sampling" in n and "All" in n]
    if not samples:
        samples = [i for i, n in enumerate(names) if "Sampling" in n]
    if not samples:
        sys.exit(f"{sys.argv[1]}: no stall-sampling column among {names}")
    col = samples[0]

    def number(v):
        try:
            return float(v.replace(",", ""))
        except ValueError:
            return 0.0

    body = [r for r in rows[head + 1:] if len(r) > max(src, col)]
    total = sum(number(r[col]) for r in body)
    if total <= 0:
        sys.exit("no stall samples")
    print(f"{names[col]}: {total:.0f} samples over {len(body)} instructions")
    ranked = sorted(body, key=lambda r: -number(r[col]))[:top]
    running = 0.0
    for r in ranked:
        share = number(r[col]) / total
        running += share
        where = r[addr] if addr is not None else ""
        print(f"{share * 100:5.1f}% {running * 100:5.1f}%  {where:>8}  {r[src].strip()[:110]}")


if __name__ == "__main__":
    main()
