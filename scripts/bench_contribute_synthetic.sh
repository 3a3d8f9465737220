#!/usr/bin/env bash
# `zkey contribute` at domain sizes no committed fixture reaches (2^16..2^20), tauforge vs
# snarkjs on the same machine in the same run, on the synthetic zkeys of `tauforge bench --ops
# zkey-contribute` (n wires, one public input, random valid points). snarkjs's contribution is
# then checked by `tauforge zkey verify-step`, tauforge's was checked the same way by the bench.
#
# Usage: scripts/bench_contribute_synthetic.sh [SIZES]      (default 2^16,2^20)
# Environment: BACKENDS=cpu (tauforge bench --backends), REPEAT=3, TAUFORGE_BIN, TAUFORGE_SNARKJS
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SIZES=${1:-2^16,2^20}
SJ_CLI=${TAUFORGE_SNARKJS:-$ROOT/.tools/node_modules/snarkjs/build/cli.cjs}
[ -f "$SJ_CLI" ] || { echo "snarkjs not found at $SJ_CLI" >&2; exit 1; }
if [ -n "${TAUFORGE_BIN:-}" ]; then TF=$TAUFORGE_BIN; else
    cargo build --release --quiet --bin tauforge >&2
    TF=${CARGO_TARGET_DIR:-$ROOT/target}/release/tauforge
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/tauforge-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| domain | points scaled | tauforge bench backend | tauforge s (best of ${REPEAT:-3}) | snarkjs s (1 run) | snarkjs/tauforge |"
echo "|---:|---:|---|---:|---:|---:|"
for size in ${SIZES//,/ }; do
    n=$(python3 -c "print(2**int('$size'.split('^')[1]) if '^' in '$size' else int('$size'))")
    for b in ${BACKENDS:-cpu}; do
        "$TF" --json bench --ops zkey-contribute --points "$n" --backends "$b" --repeat "${REPEAT:-3}" --dir "$W" >"$W/tf.json"
        tf=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f" % r["seconds"])' "$W/tf.json")
        be=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["backends"][0].split(" (")[0])' "$W/tf.json")
        "$TF" -q zkey verify-step "$W/synthetic-$n.zkey" "$W/synthetic-$n-contributed.zkey" --backend cpu >/dev/null
        s=$(date +%s.%N)
        node "$SJ_CLI" zkey contribute "$W/synthetic-$n.zkey" "$W/sj.zkey" -e="bench" -n="snarkjs" >/dev/null
        e=$(date +%s.%N)
        "$TF" -q zkey verify-step "$W/synthetic-$n.zkey" "$W/sj.zkey" --backend cpu >/dev/null
        sj=$(python3 -c "print(f'{$e - $s:.2f}')")
        ratio=$(python3 -c "print(f'{$sj / $tf:.1f}')")
        echo "| 2^$(python3 -c "print(($n).bit_length() - 1)") | $((2 * n - 2)) | $be | $tf | $sj | **${ratio}×** |"
    done
done
echo
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
