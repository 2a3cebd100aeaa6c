#!/usr/bin/env bash
# Which scorer tiles did C2 compile with vector registers spilled to the stack?
#
# A register-blocked tile that needs more vector registers than the host has (accumulators +
# weight vectors + the broadcasts C2 schedules ahead) gets accumulators spilled: every input row
# then loads, FMAs and stores them, and the kernel runs at about half speed. Whether C2 spills
# can differ from JVM to JVM for the same code (BENCHMARKS.md 1j: a packed 6x2 tile on AVX2,
# 38-45 against 70-92 GFLOP/s), so run this a few times. It prints, for every C2-compiled
# VectorMatMul method with an inner FMA loop, the loop's length, its FMAs, the vector loads/stores
# against the stack pointer in it (0 = no spill) and all its stack accesses (a reloaded scalar,
# e.g. a stride parameter, costs less but shows loop overhead).
#
# Usage: bench/scripts/kernel-spills.sh [runs]   (after: mvn -pl bench -am package -DskipTests)
# Needs the HotSpot disassembler plugin's Debian package (libhsdis0-fcml; only its machine-code
# dump is used) and objdump (binutils) to decode it.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
jar=bench/target/benchmarks.jar
hsdis=/usr/lib/x86_64-linux-gnu/libhsdis.so.0
[[ -f $jar ]] || { echo "missing $jar: run mvn -pl bench -am package -DskipTests" >&2; exit 2; }
[[ -f $hsdis ]] || { echo "missing $hsdis: apt-get install libhsdis0-fcml" >&2; exit 2; }
command -v objdump >/dev/null || { echo "missing objdump: apt-get install binutils" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$hsdis" "$tmp/hsdis-amd64.so"
grep -m1 'model name' /proc/cpuinfo
echo "vector flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(fma|avx2|avx512f|avx512vl)$' | tr '\n' ' ')"
for r in $(seq "$runs"); do
  LD_LIBRARY_PATH=$tmp java --add-modules jdk.incubator.vector -Xmx2g -XX:+UnlockDiagnosticVMOptions \
    '-XX:CompileCommand=print,io.ctrstreams.simd.VectorMatMul::*' -XX:CompileCommand=quiet \
    -cp "$jar" io.ctrstreams.bench.CpuTimeBench 300 3 1000 > "$tmp/run.txt" 2>&1
  echo "== run $r: $(grep -m1 'scorer kernels' "$tmp/run.txt")"
  python3 - "$tmp/run.txt" "$tmp/nm.bin" <<'EOF'
import re, subprocess, sys
lines = open(sys.argv[1]).read().split('\n')
i = 0
while i < len(lines):
    if 'Compiled method (c2)' not in lines[i]:
        i += 1
        continue
    name = re.sub(r'\s+', ' ', lines[i].split('Compiled method (c2)')[1]).strip()
    buf, base = bytearray(), None
    i += 1
    while i < len(lines) and not lines[i].startswith('[/MachCode]'):
        m = re.match(r'\s+0x([0-9a-f]+): ((?:[0-9a-f]{4}\s?\|?\s?)+)$', lines[i])
        if m:
            addr = int(m.group(1), 16)
            base = addr if base is None else base
            data = bytes.fromhex(m.group(2).replace('|', '').replace(' ', ''))
            buf[addr - base:addr - base + len(data)] = data
        i += 1
    if base is None:
        continue
    open(sys.argv[2], 'wb').write(buf)
    dis = subprocess.run(['objdump', '-D', '-b', 'binary', '-mi386:x86-64', '-M', 'intel',
                          '--adjust-vma=%#x' % base, sys.argv[2]], capture_output=True, text=True).stdout
    ins = [x.split('\t') for x in dis.split('\n') if x.count('\t') >= 2]
    addrs = [int(x[0].strip().rstrip(':'), 16) for x in ins]
    for k, x in enumerate(ins):
        j = re.match(r'j\w+\s+0x([0-9a-f]+)', x[2].strip())
        if not j or int(j.group(1), 16) >= addrs[k]:
            continue
        body = [y[2] for y, a in zip(ins, addrs) if int(j.group(1), 16) <= a <= addrs[k]]
        fmas = sum('vfmadd' in b for b in body)
        if fmas >= 4 and len(body) < 120:  # an inner FMA loop (not an enclosing one)
            spills = sum(bool(re.search(r'[yz]mm\w*,\s*[YZ]MMWORD PTR \[rsp|[YZ]MMWORD PTR \[rsp[^\]]*\],\s*[yz]mm', b))
                         for b in body)
            stack = sum('rsp' in b for b in body)
            print(f'  {name[:70]:70s} loop of {len(body):3d} instructions, {fmas:2d} FMAs, '
                  f'{spills} stack vector ops, {stack} stack ops{"  <-- SPILL" if spills else ""}')
EOF
done
