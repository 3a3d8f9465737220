#!/usr/bin/env bash
# Verification benchmarks (issue 5): the MSM, GPU vs CPU backend, and `transcript verify` of a
# generated 3-circuit × 20-contribution transcript against `snarkjs zkey verify` of the same
# circuits' final zkeys, on the same machine in the same run.
#
# Usage: scripts/bench_verify.sh            (MSM 2^12..2^20 and the transcript)
# Environment:
#   MSM_SIZES=2^12,2^14,2^16,2^18,2^20   MSM sizes (tauforge bench --points)
#   BACKENDS=cpu,gpu                     backends (gpu needs an adapter; lavapipe counts)
#   SKIP_MSM=1                           only the transcript part
#   CONTRIBUTIONS=20                     contributions per circuit (the last one a beacon)
#   TAUFORGE_BIN, TAUFORGE_SNARKJS, KEEP=1 as in bench_phase2.sh
#   NO_SNARKJS=1                         tauforge only (a GPU machine without node)
# Prints markdown tables on stdout (progress on stderr).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SJ_CLI=${TAUFORGE_SNARKJS:-$ROOT/.tools/node_modules/snarkjs/build/cli.cjs}
FIX=$ROOT/tests/fixtures
N=${CONTRIBUTIONS:-20}
BACKENDS=${BACKENDS:-cpu,gpu}
BEACON=0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
log() { echo "[bench] $*" >&2; }
[ "${NO_SNARKJS:-0}" = 1 ] || [ -f "$SJ_CLI" ] || { echo "snarkjs not found at $SJ_CLI" >&2; exit 1; }
if [ -n "${TAUFORGE_BIN:-}" ]; then TF=$TAUFORGE_BIN; else
    log "cargo build --release"; cargo build --release --quiet --bin tauforge >&2
    TF=${CARGO_TARGET_DIR:-$ROOT/target}/release/tauforge
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/tauforge-bench.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$W"' EXIT; else log "scratch folder: $W"; fi

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${SKIP_MSM:-0}" != 1 ]; then
echo
echo "## MSM (tauforge bench, best of 3 after a warm-up)"
echo
"$TF" --json bench --ops msm --points "${MSM_SIZES:-2^12,2^14,2^16,2^18,2^20}" --backends "$BACKENDS" --repeat 3 >"$W/msm.json"
python3 - "$W/msm.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("backends: " + "; ".join(d["backends"]))
print()
print("| group | points | " + " | ".join(b.split(" (")[0] for b in d["backends"]) + " | cpu/gpu |")
print("|---|---:|" + "---:|" * len(d["backends"]) + "---:|")
rows = {}
for r in d["results"]:
    rows.setdefault((r["group"], r["points"]), {})[r["backend"]] = r["seconds"]
for (g, n), by in sorted(rows.items()):
    cells = [f"{by[b]*1000:.1f} ms" if b in by else "—" for b in d["backends"]]
    ratio = ""
    if len(d["backends"]) >= 2 and all(b in by for b in d["backends"][:2]):
        ratio = f"{by[d['backends'][0]] / by[d['backends'][1]]:.2f}×"
    print(f"| {g} | 2^{n.bit_length()-1} | " + " | ".join(cells) + f" | {ratio} |")
PY
fi

log "building a 3 × $N transcript"
T=$W/transcript
mk() { # name r1cs ptau
    local name=$1 r1cs=$2 ptau=$3
    mkdir -p "$T/$name"; cp "$FIX/$r1cs" "$T/$name/circuit.r1cs"; [ -f "$T/$ptau" ] || cp "$FIX/$ptau" "$T/$ptau"
    "$TF" -q zkey new "$T/$name/circuit.r1cs" "$T/$ptau" "$T/$name/0000.zkey" >/dev/null
    for i in $(seq 1 "$N"); do
        prev=$(printf '%04d' $((i - 1))); cur=$(printf '%04d' "$i")
        if [ "$i" -lt "$N" ]; then "$TF" -q zkey contribute "$T/$name/$prev.zkey" "$T/$name/$cur.zkey" -e "e$i" -n "#$i" --backend cpu >/dev/null
        else "$TF" -q zkey beacon "$T/$name/$prev.zkey" "$T/$name/$cur.zkey" "$BEACON" 10 -n beacon --backend cpu >/dev/null; fi
    done
}
mk small circuits/small.r1cs pot10_final.ptau
mk merkle circuits/merkle.r1cs pot12_final.ptau
mk chain8000 circuits/chain8000.r1cs pot15_final.ptau
python3 - "$T" "$N" <<'PY'
import json, sys
t, n = sys.argv[1], int(sys.argv[2])
ptau = {"small": "pot10_final.ptau", "merkle": "pot12_final.ptau", "chain8000": "pot15_final.ptau"}
m = {"format": "tauforge-transcript", "version": 1, "ceremony": "bench", "circuits": [
    {"name": c, "r1cs": f"{c}/circuit.r1cs", "ptau": p, "zkeys": [f"{c}/{i:04d}.zkey" for i in range(n + 1)]}
    for c, p in ptau.items()]}
json.dump(m, open(f"{t}/transcript.json", "w"), indent=1)
PY
secs() { local s e; s=$(date +%s.%N); "$@" >"$W/last.log" 2>&1 || { cat "$W/last.log" >&2; exit 1; }; e=$(date +%s.%N); python3 -c "print(f'{$e - $s:.2f}')"; }
echo
echo "## transcript verify (3 circuits × $N contributions) vs snarkjs zkey verify of the 3 final zkeys"
echo
echo "| tool | what it checks | wall s |"
echo "|---|---|---:|"
for b in ${BACKENDS//,/ }; do
    t=$(secs "$TF" -q transcript verify "$T" --backend "$b" --report "$W/report.json")
    echo "| tauforge transcript verify --backend $b | 3 initial zkeys, $((3 * N)) steps, 3 finals, uncles | $t |"
done
total=0
[ "${NO_SNARKJS:-0}" = 1 ] && { echo; echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"; exit 0; }
for c in small:pot10_final.ptau merkle:pot12_final.ptau chain8000:pot15_final.ptau; do
    name=${c%%:*}; ptau=${c#*:}; last=$(printf '%04d' "$N")
    t=$(secs node "$SJ_CLI" zkey verify "$T/$name/circuit.r1cs" "$T/$ptau" "$T/$name/$last.zkey")
    grep -q "ZKey Ok" "$W/last.log" || { echo "snarkjs did not accept $name" >&2; exit 1; }
    total=$(python3 -c "print(f'{$total + $t:.2f}')")
done
echo "| snarkjs zkey verify × 3 | the 3 final zkeys (records of every step, L/H of the final only) | $total |"
echo
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
