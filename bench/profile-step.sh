#!/usr/bin/env bash
# Where the step-mode kernels spend their time, on a machine with an NVIDIA GPU and Nsight Compute (ncu):
#   1. warm-cache durations of 40 consecutive step_kernel / deliver_step_kernel launches of the full-scale
#      microcircuit (ncu --cache-control none: the caches as the replayed graph leaves them), or with
#      PROFILE_PATH=persistent (the microcircuit's default path) of 20 persistent window kernels (64 steps each);
#   2. warp-state statistics, source counters and the SASS with its stall samples per instruction for one
#      launch of each (ncu --page source);
#   3. the same for one delivery launch of Brunel at 1e6 neurons (state C, 3700 spikes x 1250 synapses).
# Builds only the synfire target. Results under $OUT (default ./profile-results): ncu reports and text
# extracts, packed into $OUT/profile.tar.gz with a summary in $OUT/profile.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-profile-results}
R=$(mktemp -d)
mkdir -p "$OUT"
build=${BUILD_DIR:-build-gpu}
finish() {
  { echo "== warm durations [ns] (kernel, count, mean, min, max)"; cat "$R/durations.txt" 2>/dev/null
    for f in "$R"/*_details.txt; do echo "== $f"; grep -E "step_kernel|Duration|Elapsed|SM Active|Stall|stall|Warp Cycles|Issued|No Eligible|Active Warps|Registers|Achieved Occ|Memory Throughput|L1/TEX Hit|L2 Hit" "$f" | head -60; done
  } >"$OUT/profile.txt" 2>&1
  tar -czf "$OUT/profile.tar.gz" -C "$R" . 2>/dev/null
  rm -rf "$R"
}
trap finish EXIT
toml_hint=()
[ -d .deps/include/toml++ ] && toml_hint=(-DSYNFIRE_TOMLPP_INCLUDE_DIR="$PWD/.deps/include")
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 "${toml_hint[@]}" >"$R/configure.log" 2>&1 || { tail -30 "$R/configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target synfire >"$R/build.log" 2>&1 || { grep -E "error" -A3 "$R/build.log" | head -40; exit 1; }
exe=$build/synfire
pd=data/models/potjans_diesmann.toml
scratch=$(mktemp -d)
[ "${PROFILE_RTF:-1}" = 1 ] && for v in "" "SYNFIRE_CUDA_PDL=1"; do
  env $v "$exe" run "$pd" --backend cuda -o "$scratch/pd.h5" --force --quiet >/dev/null 2>&1
  python3 -c "import h5py,sys; a=h5py.File(sys.argv[1]).attrs; print(sys.argv[2] or 'default', 'RTF', a['real_time_factor'], {k: a[k] for k in a if k.startswith('time_')})" "$scratch/pd.h5" "$v" | tee -a "$R/rtf.txt"
done
# 300 ms of simulation = 3000 steps of two kernels (one with SYNFIRE_CUDA_DEFERRED=1 in the environment);
# skip the first 2000 steps. The persistent kernel: 47 windows of 64 steps, skip the first 10
if [ "${PROFILE_PATH:-graphs}" = persistent ]; then
  kernels='regex:window_kernel'; skip=10; count=20
else
  export SYNFIRE_CUDA_PERSISTENT=0  # the graphs' per-step kernels (the persistent kernel is the default where it fits)
  kernels='regex:step_kernel|deliver_step_kernel'; count=40
  skip=4000; [ "${SYNFIRE_CUDA_DEFERRED:-0}" = 1 ] && skip=2000
fi
timeout 90 ncu --cache-control none --clock-control none --metrics gpu__time_duration.sum -k "$kernels" --launch-skip "$skip" --launch-count "$count" --csv \
  "$exe" run "$pd" --set simulation.duration=300 --backend cuda -o "$scratch/a.h5" --force --quiet >"$R/durations.csv" 2>"$R/durations.err"
python3 - "$R/durations.csv" >"$R/durations.txt" <<'EOF'
import csv, sys, collections
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if l.startswith('"'))]
head, body = rows[0], rows[1:]
k, v = head.index("Kernel Name"), head.index("Metric Value")
d = collections.defaultdict(list)
for r in body: d[r[k].split("(")[0]].append(float(r[v].replace(",", "")))
for name, xs in d.items(): print(name, len(xs), round(sum(xs) / len(xs)), min(xs), max(xs))
EOF
sections=(--section SpeedOfLight --section LaunchStats --section Occupancy --section WarpStateStats --section SourceCounters --section MemoryWorkloadAnalysis)
timeout 120 ncu --cache-control none --clock-control none -k "$kernels" --launch-skip "$skip" --launch-count 2 "${sections[@]}" --import-source yes \
  -o "$R/microcircuit" -f "$exe" run "$pd" --set simulation.duration=300 --backend cuda -o "$scratch/b.h5" --force --quiet >"$R/microcircuit.log" 2>&1
ncu -i "$R/microcircuit.ncu-rep" --page details >"$R/microcircuit_details.txt" 2>&1
ncu -i "$R/microcircuit.ncu-rep" --page source --csv --print-source sass >"$R/microcircuit_sass.csv" 2>&1
ncu -i "$R/microcircuit.ncu-rep" --page source --csv --print-source cuda >"$R/microcircuit_cuda.csv" 2>&1
[ "${PROFILE_BRUNEL:-1}" = 1 ] || { rm -rf "$scratch"; cat "$R/rtf.txt" "$R/durations.txt"; exit 0; }
# Brunel 1e6: one delivery launch at step 1000
timeout 120 ncu --cache-control none --clock-control none -k 'regex:deliver_step_kernel' --launch-skip 1000 --launch-count 1 "${sections[@]}" \
  --import-source no -o "$R/brunel" -f "$exe" run data/models/brunel.toml --set populations.E.n=800000 --set populations.I.n=200000 \
  --set simulation.duration=150 --backend cuda -o "$scratch/c.h5" --force --quiet >"$R/brunel.log" 2>&1
ncu -i "$R/brunel.ncu-rep" --page details >"$R/brunel_details.txt" 2>&1
ncu -i "$R/brunel.ncu-rep" --page source --csv --print-source sass >"$R/brunel_sass.csv" 2>&1
cuobjdump -sass "$exe" >"$R/sass.txt" 2>&1
rm -rf "$scratch"
cat "$R/rtf.txt" "$R/durations.txt"
