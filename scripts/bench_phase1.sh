#!/usr/bin/env bash
# Phase-1 wall-clock comparison: tauforge (release build, CPU backend) vs snarkjs 0.7.6 on the same
# machine in the same run: `ptau contribute`, `ptau beacon`, `ptau verify` (of the prepared file)
# and `ptau prepare-phase2`, at the powers given (default: 10 12).
#
# Usage: scripts/bench_phase1.sh [power ...]
# Environment: TAUFORGE_BIN (a built binary), TAUFORGE_SNARKJS (snarkjs build/cli.cjs), KEEP=1,
#   RUNS_TF (tauforge runs per step, median; default 3), RUNS_SJ (snarkjs runs, median; default 1),
#   VERIFY_ONLY=1 (only `ptau verify` of the committed snarkjs-made tests/fixtures/potP_final.ptau,
#   both tools on the same file; powers 10, 12 and 15 exist).
# Checks that both tools' beacon and prepare outputs are byte-identical and that both verifiers
# accept every file; prints the machine and a markdown table on stdout.
set -euo pipefail
# The CPU backend unless told otherwise (auto would also probe for GPU adapters).
export TAUFORGE_BACKEND=${TAUFORGE_BACKEND:-cpu}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SJ_CLI=${TAUFORGE_SNARKJS:-$ROOT/.tools/node_modules/snarkjs/build/cli.cjs}
BEACON=0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
[ -f "$SJ_CLI" ] || { echo "snarkjs not found at $SJ_CLI (run .ci/run)" >&2; exit 1; }
if [ -n "${TAUFORGE_BIN:-}" ]; then TF=$TAUFORGE_BIN; else
    cargo build --release --quiet --bin tauforge >&2
    TF=${CARGO_TARGET_DIR:-$ROOT/target}/release/tauforge
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/tauforge-bench1.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$W"' EXIT; fi

# once CMD...: runs CMD, prints its wall-clock seconds; fails loudly if CMD fails.
once() {
    local TIMEFORMAT='%R' t
    if ! t=$( { time "$@" >"$W/last.log" 2>&1; } 2>&1 ); then echo "FAILED: $*" >&2; cat "$W/last.log" >&2; exit 1; fi
    echo "$t"
}
# secs RUNS CMD...: the median wall-clock seconds of RUNS runs of CMD.
secs() {
    local runs=$1 i
    shift
    for i in $(seq "$runs"); do once "$@"; done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
TFR=${RUNS_TF:-3}
SJR=${RUNS_SJ:-1}
sj() { node "$SJ_CLI" "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "tauforge $(git rev-parse --short HEAD 2>/dev/null || echo '?'), snarkjs $(node -e "console.log(require('$(dirname "$(dirname "$SJ_CLI")")/package.json').version)")"
echo
echo "tauforge: median of $TFR runs per step; snarkjs: median of $SJR"
echo
echo "| step | power | tauforge s | snarkjs s | snarkjs/tauforge |"
echo "|---|---:|---:|---:|---:|"
if [ "${VERIFY_ONLY:-0}" = 1 ]; then
    for p in ${@:-10 12}; do
        F=$ROOT/tests/fixtures/pot${p}_final.ptau
        [ -f "$F" ] || { echo "no fixture $F" >&2; exit 1; }
        a=$(secs "$TFR" "$TF" ptau verify "$F" -q)
        b=$(secs "$SJR" sj powersoftau verify "$F")
        grep -q "Powers of Tau Ok" "$W/last.log" || { echo "snarkjs rejected $F" >&2; exit 1; }
        echo "| ptau verify (prepared fixture) | $p | $a | $b | $(ratio "$b" "$a") |"
    done
    exit 0
fi
for P in "${@:-10 12}"; do
    for p in $P; do
        "$TF" ptau new bn128 "$p" "$W/n.ptau" -q >/dev/null
        a=$(secs "$TFR" "$TF" ptau contribute "$W/n.ptau" "$W/tf1.ptau" -e bench -q)
        b=$(secs "$SJR" sj powersoftau contribute "$W/n.ptau" "$W/sj1.ptau" -e=bench)
        echo "| ptau contribute | $p | $a | $b | $(ratio "$b" "$a") |"
        a=$(secs "$TFR" "$TF" ptau beacon "$W/sj1.ptau" "$W/tfb.ptau" $BEACON 10 -q)
        b=$(secs "$SJR" sj powersoftau beacon "$W/sj1.ptau" "$W/sjb.ptau" $BEACON 10)
        cmp -s "$W/tfb.ptau" "$W/sjb.ptau" || { echo "beacon outputs differ" >&2; exit 1; }
        echo "| ptau beacon | $p | $a | $b | $(ratio "$b" "$a") |"
        a=$(secs "$TFR" "$TF" ptau prepare-phase2 "$W/tfb.ptau" "$W/tff.ptau" -q)
        b=$(secs "$SJR" sj powersoftau prepare phase2 "$W/sjb.ptau" "$W/sjf.ptau")
        cmp -s "$W/tff.ptau" "$W/sjf.ptau" || { echo "prepare outputs differ" >&2; exit 1; }
        echo "| ptau prepare-phase2 | $p | $a | $b | $(ratio "$b" "$a") |"
        a=$(secs "$TFR" "$TF" ptau verify "$W/sjf.ptau" -q)
        b=$(secs "$SJR" sj powersoftau verify "$W/tff.ptau")
        grep -q "Powers of Tau Ok" "$W/last.log" || { echo "snarkjs rejected tauforge's file" >&2; exit 1; }
        echo "| ptau verify (prepared) | $p | $a | $b | $(ratio "$b" "$a") |"
    done
done
