#!/usr/bin/env bash
# The GPU measurements of issues 3 and 5 in one prepared run on a lent GPU machine (see
# DEVELOPERS.md): the scaling kernels, a whole 2^20 `zkey contribute` (bench and the verb as a
# process, its output accepted by `zkey verify-step`), the MSM at 2^12..2^20 and `transcript
# verify` of a 3 × 20 transcript, each GPU figure next to the CPU backend on the same machine.
# Every step has its own time limit and a failed step does not stop the next. The device tool
# brings back at most 8 files, so $OUT holds steps.log, machine.txt, results.tgz (every step's
# output and log, refreshed after each step, so a killed run still returns what it finished)
# and summary.md, the table printed last.
#
# Needs .dev/tauforge.xz and .gl/ from scripts/device_stage.sh (carried by the device tool).
# Environment:
#   OUT                 where results go (the device tool sets it; default: a new temp folder)
#   STEP_TIMEOUT=150    seconds per step
#   SCALE_SIZES=2^16,2^18,2^20   MSM_SIZES=2^12,2^14,2^16,2^18,2^20   ZKEY_SIZE=2^20
#   ALLOW_SOFTWARE=1    accept a software adapter (lavapipe): a dry run on a machine without a GPU
#   TAUFORGE_BIN        a tauforge to use instead of .dev/tauforge.xz
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
W=$(mktemp -d "${TMPDIR:-/tmp}/tauforge-device.XXXXXX")
trap 'rm -rf "$W"' EXIT
R=$W/results
mkdir -p "$R"
LIMIT=${STEP_TIMEOUT:-150}
log() { echo "[device $(date +%T)] $*" | tee -a "$OUT/steps.log" >&2; }

# --- the Vulkan loader and NVIDIA's driver --------------------------------------------------------
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$icd" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then export VK_DRIVER_FILES=$icd; fi
export WGPU_BACKEND=vulkan XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || true
  echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  grep -o -m1 'avx512ifma' /proc/cpuinfo || echo "no avx512ifma"; } >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# --- tauforge --------------------------------------------------------------------------------
if [ -n "${TAUFORGE_BIN:-}" ]; then TF=$TAUFORGE_BIN; else
    TF=$W/tauforge
    python3 -c 'import lzma,sys; open(sys.argv[2],"wb").write(lzma.open(sys.argv[1]).read())' .dev/tauforge.xz "$TF"
    chmod +x "$TF"
    log "tauforge of commit $(tr '\n' ' ' <.dev/commit)"
fi

# step NAME CMD...: runs CMD with the step limit, stdout to NAME.out, stderr to NAME.log, wall
# seconds to NAME.wall (in results.tgz).
step() {
    local name=$1 s e rc
    shift
    log "step $name: $*"
    s=$(date +%s.%N)
    timeout "$LIMIT" "$@" >"$R/$name.out" 2>"$R/$name.log"
    rc=$?
    e=$(date +%s.%N)
    python3 -c "print(f'{$e - $s:.3f}')" >"$R/$name.wall"
    log "step $name: rc=$rc, $(cat "$R/$name.wall") s"
    [ $rc -eq 0 ] || tail -n 5 "$R/$name.log" >&2
    tar -czf "$OUT/results.tgz" -C "$R" .
    return $rc
}

step probe "$TF" --json bench --points 2^10 --ops scale-fixed --groups g1 --backends gpu --repeat 1 || exit 1
adapter=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["backends"][0])' "$R/probe.out")
log "adapter: $adapter"
case "$adapter" in
*llvmpipe* | *lavapipe* | *SwiftShader*)
    [ "${ALLOW_SOFTWARE:-0}" = 1 ] || { log "a software adapter, not a GPU: stopping (ALLOW_SOFTWARE=1 for a dry run)"; exit 1; } ;;
esac

Z=${ZKEY_SIZE:-2^20}
n=$(python3 -c "print(2**int('$Z'.split('^')[1]) if '^' in '$Z' else int('$Z'))")
# The headline numbers first, so that a short lease still brings them back.
step zkey "$TF" --json bench --ops zkey-contribute --points "$Z" --backends gpu-checked,cpu --repeat 2 --dir "$W/zk"
if [ -f "$W/zk/synthetic-$n.zkey" ]; then
    step verb "$TF" --json zkey contribute "$W/zk/synthetic-$n.zkey" "$W/zk/verb.zkey" --backend gpu -e "device run" -n device
    step verb_step "$TF" --json zkey verify-step "$W/zk/synthetic-$n.zkey" "$W/zk/verb.zkey" --backend gpu
fi
step scale_g1 "$TF" --json bench --points "${SCALE_SIZES:-2^16,2^18,2^20}" --ops scale-fixed,scale-each,scale-powers --groups g1 --backends gpu,gpu-checked,cpu
step msm "$TF" --json bench --ops msm --points "${MSM_SIZES:-2^12,2^14,2^16,2^18,2^20}" --groups g1,g2 --backends gpu,gpu-checked,cpu
step scale_g2 "$TF" --json bench --points "${SCALE_SIZES:-2^16,2^18,2^20}" --ops scale-fixed,scale-each,scale-powers --groups g2 --backends gpu,gpu-checked,cpu
step transcript env NO_SNARKJS=1 TAUFORGE_BIN="$TF" BACKENDS=gpu,cpu SKIP_MSM=1 bash scripts/bench_verify.sh
# The portable u32-only arithmetic on the same GPU: says whether `auto`'s choice of the SHADER_INT64
# path (when the adapter offers it) is also the faster one there.
step arith_u32 env TAUFORGE_GPU_ARITH=u32 "$TF" --json bench --points "${ARITH_SIZES:-2^18,2^20}" --ops scale-fixed,msm --groups g1 --backends gpu

# --- summary ---------------------------------------------------------------------------------
python3 - "$R" "$OUT" <<'PY' | tee "$OUT/summary.md"
import json, os, sys
out, top = sys.argv[1], sys.argv[2]
def load(name):
    try:
        return json.load(open(os.path.join(out, name + ".out")))
    except Exception:
        return None
print("\n## summary (" + open(os.path.join(top, "machine.txt")).read().strip().replace("\n", "; ") + ")\n")
print("| what | backend | points | seconds | points/s |")
print("|---|---|---:|---:|---:|")
for name in ["zkey", "scale_g1", "scale_g2", "msm", "arith_u32"]:
    d = load(name)
    for r in (d or {}).get("results", []):
        b = r["backend"].split(" (")[0] + (" +check" if "cross-checked" in r["backend"] else "")
        b += " u32 path" if name == "arith_u32" else ""
        print(f"| {r['op']} {r['group']} | {b} | 2^{r['points'].bit_length()-1} | {r['seconds']:.4f} | {r['points_per_second']:,.0f} |")
v = load("verb")
if v:
    wall = open(os.path.join(out, "verb.wall")).read().strip()
    sec = v.get("seconds", {})
    print(f"| `zkey contribute --backend gpu`, the process | {v.get('backend', '?').split(' (')[0]} | {v.get('points_scaled', '?')} scaled | {wall} wall | scale {sec.get('scale', 0):.3f} s, verb {sec.get('total', 0):.3f} s |")
rc = open(os.path.join(top, "steps.log")).read()
print("\nverify-step of the verb's output: " + ("accepted" if "step verb_step: rc=0" in rc else "NOT accepted or not run: see verb_step.log"))
t = os.path.join(out, "transcript.out")
if os.path.exists(t):
    print("\n" + "\n".join(l for l in open(t).read().splitlines() if l.startswith("|") or l.startswith("#")))
PY
