#!/usr/bin/env bash
# The persistent window kernel's machine code without a GPU: compiles kernels/lif_update.cu for sm 90 (as the
# build does: --fmad=false, -O3), then prints each kernel's registers and spills (ptxas), its code size, and a
# census of the instructions that order memory or touch local memory (bench/NOTES.md v11).
# Needs cuobjdump: /usr/local/cuda/bin has it in a full toolkit; elsewhere `pip download nvidia-cuda-cuobjdump`
# and unzip the wheel, then CUOBJDUMP=.../nvidia/cu13/bin/cuobjdump.
# usage: bench/sass-census.sh [KERNEL_REGEX]   (default: window_kernel)
set -euo pipefail
cd "$(dirname "$0")/.."
pattern=${1:-window_kernel}
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
cuobjdump=${CUOBJDUMP:-$(command -v cuobjdump || echo "$(dirname "$nvcc")/cuobjdump")}
[ -x "$cuobjdump" ] || { echo "sass-census: no cuobjdump (set CUOBJDUMP; see the header of $0)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hdf5=$(pkg-config --cflags-only-I hdf5 2>/dev/null | sed 's/-I/-isystem=/g' || true)
"$nvcc" -DFMT_SHARED -I kernels -I include $hdf5 -isystem=/usr/include/hdf5/serial -O3 -DNDEBUG -arch=sm_90 --fmad=false -std=c++17 \
  -x cu -cubin kernels/lif_update.cu -o "$work/k.cubin" -Xptxas -v 2>"$work/ptxas.txt"
"$cuobjdump" -sass "$work/k.cubin" | sed 's/ *\/\* 0x[0-9a-f]* \*\///' >"$work/k.sass"
# demangled enough to tell the instances apart: the template arguments after the kernel's name
short() { sed -E 's/^_ZN7synfire4cuda[0-9]+_GLOBAL__N__[0-9a-f_]+lif_update_cu_[0-9a-f]+[0-9]+//; s/EEEv.*$//; s/ILb/ Deferred=/; s/ELNS1_9list_readE/ list_read=/; s/ELb/ InputsAtTop=/'; }
python3 - "$work/k.sass" "$work/ptxas.txt" "$pattern" <<'EOF' | while IFS= read -r line; do echo "$line" | short; done
import re, sys
sass, ptxas, pattern = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3]
regs = {}
for m in re.finditer(r"Compiling entry function '(\S+)'.*?\n(?:.*\n)*?.*?(\d+) bytes spill stores, (\d+) bytes spill loads\n.*?Used (\d+) registers", ptxas):
    regs[m.group(1)] = (m.group(4), m.group(2), m.group(3))
watch = r"CCTL[.A-Z0-9]*|MEMBAR[.A-Z]*|FENCE[.A-Z]*|NANOSLEEP|LDL[.A-Z0-9]*|STL[.A-Z0-9]*|LDG[.A-Z0-9]*STRONG[.A-Z0-9]*|RED[.A-Z0-9]*|ATOMG?[.A-Z0-9]*|BAR\.SYNC[.A-Z_]*|CALL[.A-Z]*"
for block in sass.split("Function : ")[1:]:
    name = block.split("\n", 1)[0].strip()
    if not re.search(pattern, name):
        continue
    code = re.findall(r"/\*([0-9a-f]{4,})\*/\s+(\S.*?);", block)
    size = (int(code[-1][0], 16) + 16) if code else 0
    census = {}
    for _, ins in code:
        op = ins.split()[0] if not ins.startswith("@") else ins.split()[1]
        if re.fullmatch(watch, op):
            census[op] = census.get(op, 0) + 1
    r = regs.get(name, ("?", "?", "?"))
    print(name)
    print(f"    {size / 1024:.1f} KB of code, {len(code)} instructions; {r[0]} registers, {r[1]}/{r[2]} B of spill stores/loads")
    print("    " + ", ".join(f"{n} {op}" for op, n in sorted(census.items(), key=lambda kv: -kv[1])))
EOF
