#!/usr/bin/env bash
# Coordinator benchmarks (issue 6), on the same machine in the same run:
#  1. the check on the queue's critical path: `tauforge zkey verify-step` of one upload against
#     its parent (what `coordinator serve` runs) vs `snarkjs zkey verify` of the same upload
#     (what snarkjs-based coordinators ran on every upload), at 2^12 and 2^15;
#  2. a whole coordinated ceremony on loopback: `coordinator init`, `serve`, N contributors
#     started at once (`tauforge contribute --coordinator`) on the three test circuits.
#
# Usage: scripts/bench_coordinator.sh
# Environment: CONTRIBUTORS=20, RUNS_TF=3, RUNS_SJ=1, TAUFORGE_BIN, TAUFORGE_SNARKJS, KEEP=1
# Prints markdown tables on stdout (progress on stderr).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SJ_CLI=${TAUFORGE_SNARKJS:-$ROOT/.tools/node_modules/snarkjs/build/cli.cjs}
FIX=$ROOT/tests/fixtures
N=${CONTRIBUTORS:-20}
RUNS_TF=${RUNS_TF:-3}
RUNS_SJ=${RUNS_SJ:-1}
log() { echo "[bench] $*" >&2; }
[ -f "$SJ_CLI" ] || { echo "snarkjs not found at $SJ_CLI" >&2; exit 1; }
if [ -n "${TAUFORGE_BIN:-}" ]; then TF=$TAUFORGE_BIN; else
    log "cargo build --release"; cargo build --release --quiet --bin tauforge >&2
    TF=${CARGO_TARGET_DIR:-$ROOT/target}/release/tauforge
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/tauforge-bench.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$W"; [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true' EXIT; else log "scratch folder: $W"; fi
export TAUFORGE_BACKEND=cpu

best() { # runs the command $1 times, prints the best wall time in seconds
    local n=$1; shift
    local best=""
    for _ in $(seq "$n"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        t1=$(date +%s.%N)
        best=$(python3 -c "a='$best'; d=$t1-$t0; print(d if a=='' else min(float(a), d))")
    done
    echo "$best"
}

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## One upload on the critical path (best of $RUNS_TF tauforge / $RUNS_SJ snarkjs runs)"
echo
echo "| circuit | domain | tauforge zkey verify-step | snarkjs zkey verify | ratio |"
echo "|---|---|---:|---:|---:|"
for spec in "merkle:pot12_final.ptau:2^12" "chain20000:pot15_final.ptau:2^15"; do
    IFS=: read -r c ptau dom <<<"$spec"
    log "$c: building a 3-contribution chain"
    "$TF" -q zkey new "$FIX/circuits/$c.r1cs" "$FIX/$ptau" "$W/${c}_0.zkey" >/dev/null
    for i in 1 2 3; do
        "$TF" -q zkey contribute "$W/${c}_$((i - 1)).zkey" "$W/${c}_$i.zkey" -e "bench $i" --name "c$i" >/dev/null
    done
    log "$c: timing"
    tf=$(best "$RUNS_TF" "$TF" -q zkey verify-step "$W/${c}_2.zkey" "$W/${c}_3.zkey")
    sj=$(best "$RUNS_SJ" node "$SJ_CLI" zkey verify "$FIX/circuits/$c.r1cs" "$FIX/$ptau" "$W/${c}_3.zkey")
    python3 -c "print(f'| $c | $dom | {$tf:.2f} s | {$sj:.2f} s | {$sj/$tf:.1f}× |')"
done

echo
echo "## A coordinated ceremony on loopback ($N contributors at once, 3 circuits)"
echo
C=$W/ceremony
mkdir -p "$C"
cp "$FIX/pot10_final.ptau" "$C/"
{
    printf 'name = "bench"\nlisten = "127.0.0.1:0"\npoll_ms = 100\n[limits]\nrequests_per_s = 1000\nburst = 1000\n'
    printf '[beacon]\nsource = "bench"\niterations_exp = 10\n'
    for c in small chain16 chain100; do
        cp "$FIX/circuits/$c.r1cs" "$C/"
        printf '[[circuit]]\nname = "%s"\nr1cs = "%s.r1cs"\nptau = "pot10_final.ptau"\n' "$c" "$c"
    done
} >"$C/ceremony.toml"
"$TF" -q coordinator init "$C/ceremony.toml" >/dev/null
"$TF" -q coordinator serve "$C/ceremony.toml" >"$C/serve.out" 2>/dev/null &
SERVER=$!
for _ in $(seq 100); do grep -q listening "$C/serve.out" && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$C/serve.out")
t0=$(date +%s.%N)
pids=()
for i in $(seq "$N"); do
    "$TF" -q contribute --coordinator "$URL" --name "p$i" -e "p$i" >/dev/null 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
t1=$(date +%s.%N)
kill "$SERVER"; SERVER=""
"$TF" -q coordinator finalize "$C/ceremony.toml" --beacon 0102030405060708090a0b0c0d0e0f10 >/dev/null
t2=$(date +%s.%N)
"$TF" -q transcript verify "$C/data" >/dev/null
t3=$(date +%s.%N)
python3 - <<PY
n = $N
run, fin, ver = $t1 - $t0, $t2 - $t1, $t3 - $t2
print("| step | seconds |")
print("|---|---:|")
print(f"| {n} contributors × 3 circuits, join to last receipt | {run:.2f} |")
print(f"| per turn (download, contribute, upload, verify-step × 3) | {run / n:.3f} |")
print(f"| finalize (beacon on 3 circuits, transcript.json) | {fin:.2f} |")
print(f"| transcript verify ({3 * (n + 2)} zkeys) | {ver:.2f} |")
PY
