#!/usr/bin/env bash
# CPU neuron-update throughput of synfire and, when python3-brian is installed, of the same model in
# Brian2 C++ standalone on the same threads, in one run; host synapse construction against the floor of
# writing the table once; ratios printed last, JSON written to $OUT.
#   bench/cpu-bench.sh              (BUILD_DIR=build, OUT=bench-results, THREADS=all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
out=${OUT:-bench-results}
export OMP_NUM_THREADS=${THREADS:-$(nproc)}
mkdir -p "$out"
[ -x "$build/bench/bench_cpu" ] || cmake --build "$build" --target bench_cpu
"$build/bench/bench_cpu" --benchmark_out="$out/bench_cpu.json" --benchmark_out_format=json

py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3   # Debian's python3-brian lives there
"$py" - "$out/bench_cpu.json" <<'EOF'
import json, sys
rows = [b for b in json.load(open(sys.argv[1]))["benchmarks"]
        if b["name"].startswith("BM_build_synapses") and b.get("aggregate_name") == "median"]
print("\nHost synapse construction (median of the repetitions; floor: the table's bytes written once)")
print(f"{'N':>8} {'synapses':>10} {'synapses/s':>11} {'floor ratio':>12}  rule")
for b in rows:
    n = b["name"].split("/")[1]
    print(f"{n:>8} {b['synapses']:10.3g} {b['synapses_per_s']:11.3g} {b['write_floor_ratio']:12.4f}  {b.get('label', '')}")
EOF
if "$py" -c "import brian2" 2>/dev/null; then
  "$py" bench/brian2_peer.py compare "$out/bench_cpu.json" "$out/cpu_vs_brian2.json"
else
  echo "python3-brian not installed: no Brian2 comparison (scripts/setup installs it)"
fi
