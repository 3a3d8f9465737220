#!/usr/bin/env bash
# Phase-2 wall-clock comparison: tauforge (release build, CPU backend) vs snarkjs 0.7.6, on the
# same machine in the same run, for `zkey new`, `zkey contribute`, `zkey beacon`, `zkey verify`,
# `zkey verify init` at two domain sizes:
#   merkle      merkle.r1cs     (3,647 constraints)  + pot12_final.ptau   domain 2^12 (= 2^P)
#   chain20000  chain20000.r1cs (20,000 constraints) + pot15_final.ptau   domain 2^15 (= 2^P)
#
# Usage: scripts/bench_phase2.sh [case ...]        (cases: merkle chain20000 chain8000 small;
#                                                   default: merkle chain20000)
# Environment:
#   RUNS_TF=3   tauforge runs per step (median reported)
#   RUNS_SJ=1   snarkjs runs per step (median reported)
#   TAUFORGE_BIN       use this tauforge binary instead of building target/release/tauforge
#   TAUFORGE_SNARKJS   path of snarkjs' build/cli.cjs (default: .tools/node_modules/snarkjs/...)
#   BELLMAN=1   also time zkey export bellman / bellman contribute / import bellman (the
#               export and import outputs must be byte-identical to snarkjs's)
#   KEEP=1      keep the scratch folder
#   COMMIT=abc  commit label to print (default: git rev-parse --short HEAD, for a copy without .git)
#
# Every timed command must succeed; the script also checks that tauforge's `zkey new` and
# `zkey beacon` outputs are byte-identical to snarkjs's and that both verifiers print "ZKey Ok!".
# Prints the machine description and a markdown table on stdout (progress on stderr).
set -euo pipefail
# The CPU backend unless told otherwise (auto would also probe for GPU adapters).
export TAUFORGE_BACKEND=${TAUFORGE_BACKEND:-cpu}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS_TF=${RUNS_TF:-3}
RUNS_SJ=${RUNS_SJ:-1}
SJ_CLI=${TAUFORGE_SNARKJS:-$ROOT/.tools/node_modules/snarkjs/build/cli.cjs}
FIX=$ROOT/tests/fixtures
BEACON=0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20

log() { echo "[bench] $*" >&2; }

[ -f "$SJ_CLI" ] || { echo "snarkjs not found at $SJ_CLI (run .ci/run or npm install --prefix .tools snarkjs@0.7.6)" >&2; exit 1; }

if [ -n "${TAUFORGE_BIN:-}" ]; then
    TF=$TAUFORGE_BIN
else
    log "cargo build --release"
    cargo build --release --quiet --bin tauforge >&2
    TF=${CARGO_TARGET_DIR:-$ROOT/target}/release/tauforge
fi
[ -x "$TF" ] || { echo "tauforge binary not found at $TF" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/tauforge-bench.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$W"' EXIT; else log "scratch folder: $W"; fi

# timed LABEL CMD... : runs CMD once, output to $W/LABEL.log; appends "wall cpu" to $W/LABEL.times.
timed() {
    local label=$1; shift
    local tfile=$W/$label.time
    local TIMEFORMAT='%R %U %S'
    if ! { time "$@" >"$W/$label.log" 2>&1; } 2>"$tfile"; then
        echo "FAILED: $*" >&2; cat "$W/$label.log" >&2; exit 1
    fi
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$tfile" >>"$W/$label.times"
}

# median of column $2 (1 = wall, 2 = cpu) of file $1
median() {
    sort -g -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.2f", m }'
}

sj() { node "$SJ_CLI" "$@"; }
tf() { "$TF" --quiet "$@"; }

case_files() {
    case $1 in
        small)      echo "circuits/small.r1cs pot10_final.ptau 2^10" ;;
        merkle)     echo "circuits/merkle.r1cs pot12_final.ptau 2^12" ;;
        chain8000)  echo "circuits/chain8000.r1cs pot15_final.ptau 2^13" ;;
        chain20000) echo "circuits/chain20000.r1cs pot15_final.ptau 2^15" ;;
        *) echo "unknown case $1" >&2; exit 1 ;;
    esac
}

CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(merkle chain20000)
ROWS=()
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

for c in "${CASES[@]}"; do
    read -r r1cs ptau dom <<<"$(case_files "$c")"
    R=$FIX/$r1cs; P=$FIX/$ptau; D=$W/$c; mkdir -p "$D"

    log "$c: zkey new"
    for _ in $(seq "$RUNS_TF"); do timed "$c.new.tf" tf zkey new "$R" "$P" "$D/tf_0000.zkey"; done
    for _ in $(seq "$RUNS_SJ"); do timed "$c.new.sj" sj zkey new "$R" "$P" "$D/sj_0000.zkey"; done
    cmp -s "$D/tf_0000.zkey" "$D/sj_0000.zkey" || { echo "$c: zkey new outputs differ" >&2; exit 1; }

    log "$c: zkey contribute"
    for _ in $(seq "$RUNS_TF"); do
        timed "$c.contribute.tf" tf zkey contribute "$D/sj_0000.zkey" "$D/tf_0001.zkey" --name bench --entropy "bench entropy"
    done
    for _ in $(seq "$RUNS_SJ"); do
        timed "$c.contribute.sj" sj zkey contribute "$D/sj_0000.zkey" "$D/sj_0001.zkey" --name=bench -e="bench entropy"
    done

    log "$c: zkey beacon (both on snarkjs's contribution; exp 10)"
    for _ in $(seq "$RUNS_TF"); do
        timed "$c.beacon.tf" tf zkey beacon "$D/sj_0001.zkey" "$D/tf_final.zkey" "$BEACON" 10 --name "bench beacon"
    done
    for _ in $(seq "$RUNS_SJ"); do
        timed "$c.beacon.sj" sj zkey beacon "$D/sj_0001.zkey" "$D/sj_final.zkey" "$BEACON" 10 -n="bench beacon"
    done
    cmp -s "$D/tf_final.zkey" "$D/sj_final.zkey" || { echo "$c: zkey beacon outputs differ" >&2; exit 1; }

    log "$c: zkey verify (both on the same final zkey)"
    for _ in $(seq "$RUNS_TF"); do timed "$c.verify.tf" tf zkey verify "$R" "$P" "$D/sj_final.zkey"; done
    for _ in $(seq "$RUNS_SJ"); do timed "$c.verify.sj" sj zkey verify "$R" "$P" "$D/sj_final.zkey"; done
    grep -q "ZKey Ok!" "$W/$c.verify.tf.log" || { echo "$c: tauforge verify not OK" >&2; exit 1; }
    grep -q "ZKey Ok!" "$W/$c.verify.sj.log" || { echo "$c: snarkjs verify not OK" >&2; exit 1; }

    log "$c: zkey verify init (the same final zkey against the initial one; snarkjs's alias zkvi)"
    for _ in $(seq "$RUNS_TF"); do timed "$c.verify-init.tf" tf zkey verify-init "$D/sj_0000.zkey" "$P" "$D/sj_final.zkey"; done
    for _ in $(seq "$RUNS_SJ"); do timed "$c.verify-init.sj" sj zkvi "$D/sj_0000.zkey" "$P" "$D/sj_final.zkey"; done
    grep -q "ZKey Ok!" "$W/$c.verify-init.tf.log" || { echo "$c: tauforge verify-init not OK" >&2; exit 1; }
    grep -q "ZKey Ok!" "$W/$c.verify-init.sj.log" || { echo "$c: snarkjs verify init not OK" >&2; exit 1; }

    OPS=(new contribute beacon verify verify-init)
    if [ "${BELLMAN:-0}" = 1 ]; then
        log "$c: zkey export bellman / bellman contribute / import bellman (on snarkjs's contribution)"
        for _ in $(seq "$RUNS_TF"); do timed "$c.export-bellman.tf" tf zkey export-bellman "$D/sj_0001.zkey" "$D/tf.mpc"; done
        for _ in $(seq "$RUNS_SJ"); do timed "$c.export-bellman.sj" sj zkey export bellman "$D/sj_0001.zkey" "$D/sj.mpc"; done
        cmp -s "$D/tf.mpc" "$D/sj.mpc" || { echo "$c: zkey export bellman outputs differ" >&2; exit 1; }
        for _ in $(seq "$RUNS_TF"); do
            timed "$c.bellman-contribute.tf" tf zkey bellman-contribute "$D/sj.mpc" "$D/tf_r.mpc" --entropy "bench entropy"
        done
        for _ in $(seq "$RUNS_SJ"); do
            timed "$c.bellman-contribute.sj" sj zkey bellman contribute bn128 "$D/sj.mpc" "$D/sj_r.mpc" -e="bench entropy"
        done
        for _ in $(seq "$RUNS_TF"); do
            timed "$c.import-bellman.tf" tf zkey import-bellman "$D/sj_0001.zkey" "$D/sj_r.mpc" "$D/tf_0002.zkey" --name b
        done
        for _ in $(seq "$RUNS_SJ"); do
            timed "$c.import-bellman.sj" sj zkey import bellman "$D/sj_0001.zkey" "$D/sj_r.mpc" "$D/sj_0002.zkey" -n=b
        done
        cmp -s "$D/tf_0002.zkey" "$D/sj_0002.zkey" || { echo "$c: zkey import bellman outputs differ" >&2; exit 1; }
        OPS+=(export-bellman bellman-contribute import-bellman)
    fi

    for op in "${OPS[@]}"; do
        tw=$(median "$W/$c.$op.tf.times" 1); tc=$(median "$W/$c.$op.tf.times" 2)
        sw=$(median "$W/$c.$op.sj.times" 1); sc=$(median "$W/$c.$op.sj.times" 2)
        ratio=$(awk -v s="$sw" -v t="$tw" 'BEGIN { if (t > 0) printf "%.1f×", s / t; else print "–" }')
        ROWS+=("| zkey $op | $c ($(basename "$r1cs" .r1cs) + $(basename "$ptau" .ptau)) | $dom | $tw | $tc | $sw | $sc | **$ratio** |")
    done
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=${COMMIT:-}; [ -n "$COMMIT" ] || COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (+ uncommitted changes)" || true)

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
echo "Software: tauforge $COMMIT$DIRTY (release, CPU backend), snarkjs $(node -e "console.log(require('$(dirname "$(dirname "$SJ_CLI")")/package.json').version)" 2>/dev/null || echo '?'), node $(node --version)"
echo "Run: $START, tauforge runs per step $RUNS_TF, snarkjs runs per step $RUNS_SJ; load average at start $LOAD_START, at end $LOAD_END"
echo
echo "| step | circuit + ptau | domain | tauforge wall s | tauforge cpu s | snarkjs wall s | snarkjs cpu s | snarkjs/tauforge (wall) |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
