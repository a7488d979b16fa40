#!/usr/bin/env bash
# The GPU check, one call on a machine with an NVIDIA GPU (H100/H200: sm 90):
#   build for the card -> cuda tests (+ compute-sanitizer memcheck/racecheck on the small cases) ->
#   the rest of the suite -> GPU benchmarks -> PyTorch peer -> 1e9-neuron run -> preflight refusal ->
#   a short table last. JSON and logs go to $OUT (default ./gpu-results).
# toml++ is header-only; where it is not installed, copy /usr/include/toml++ into .deps/include/ first.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
build=${BUILD_DIR:-build-gpu}
jobs=$(nproc)
log() { echo "== $*" | tee -a "$OUT/check.log"; }

log "configure and build ($build, sm 90)"
toml_hint=()
[ -d .deps/include/toml++ ] && toml_hint=(-DSYNFIRE_TOMLPP_INCLUDE_DIR="$PWD/.deps/include")
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 "${toml_hint[@]}" >"$OUT/configure.log" 2>&1 \
  || { tail -30 "$OUT/configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" >"$OUT/build.log" 2>&1 || { grep -E "error" -A3 "$OUT/build.log" | head -40; exit 1; }
"$build/synfire" info | tee "$OUT/info.txt"

log "cuda tests"
ctest --test-dir "$build" -L cuda --output-on-failure -j 4 >"$OUT/ctest-cuda.log" 2>&1
cuda_rc=$?
tail -5 "$OUT/ctest-cuda.log"

log "compute-sanitizer on the small cases"
small='Sizes/CpuVsGpu.*_1:Sizes/CpuVsGpu.*_33:Sizes/CpuVsGpu.*_257:CudaBackend.SynapticInputPathMatchesTheCpuStep:CudaBackend.WindowLengthDoesNotChangeResults'
san_rc=0
for tool in memcheck racecheck; do
  compute-sanitizer --tool "$tool" --error-exitcode 9 "$build/tests/test_cuda" --gtest_filter="$small" >"$OUT/sanitizer-$tool.log" 2>&1 || san_rc=$?
  grep -E "ERROR SUMMARY|RACECHECK SUMMARY|PASSED|FAILED" "$OUT/sanitizer-$tool.log" | tail -3
done

log "unit and validation tests"
ctest --test-dir "$build" -L 'unit|validation' -j "$jobs" >"$OUT/ctest-cpu.log" 2>&1
cpu_rc=$?
tail -3 "$OUT/ctest-cpu.log"

log "GPU benchmarks"
"$build/bench/bench_gpu" --json "$OUT/bench_gpu.json" | tee "$OUT/bench_gpu.txt"
log "PyTorch peer"
PYTHONUNBUFFERED=1 python3 bench/torch_lif.py --json "$OUT/torch_lif.json" --sizes 1e6,1e7,1e8 | tee "$OUT/torch_lif.txt"

log "recording overhead (1e6 neurons at ~10 Hz, 1000 V_m traces)"
for c in deflate none; do
  python3 bench/recording_overhead.py "$build/synfire" --backend cuda --out "$OUT" --repeat 3 --compression "$c" | tee -a "$OUT/recording.txt"
done

log "Brunel networks 1e4 .. 1e6 (events/s, RTF, per-step split)"
python3 bench/network_bench.py "$build/synfire" --backend cuda --sizes 1e4,1e5,1e6 --duration 200 --out "$OUT" | tee "$OUT/network.txt"

log "1e9 neurons through the CLI"
start=$(date +%s%N)
"$build/synfire" run bench/models/billion.toml --backend cuda -o "$OUT/billion.h5" --force >"$OUT/billion.txt" 2>&1
billion_rc=$?
billion_ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$OUT/billion.txt"

log "preflight refuses 12e9 neurons"
"$build/synfire" run bench/models/too_big.toml --backend cuda -o "$OUT/too_big.h5" >"$OUT/too_big.txt" 2>&1
too_big_rc=$?
cat "$OUT/too_big.txt"
[ -e "$OUT/too_big.h5" ] && too_big_written=yes || too_big_written=no

python3 bench/gpu_table.py "$OUT" "$cuda_rc" "$san_rc" "$cpu_rc" "$billion_rc" "$billion_ms" "$too_big_rc" "$too_big_written"
