#!/usr/bin/env bash
# Prepares, on this machine, what scripts/device_gpu.sh needs on a lent GPU machine that can reach
# nothing outside itself: a release tauforge (stripped, xz-compressed: the device tool carries at
# most 64 MiB with the working tree) in .dev/, and the Vulkan loader packages in .gl/ (the GPU
# image has NVIDIA's driver but no libvulkan; NVIDIA's Vulkan ICD also wants glvnd's libraries).
# Both folders are git-ignored. See DEVELOPERS.md.
#
# Usage: scripts/device_stage.sh        (then the device tool: see DEVELOPERS.md)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { echo "[stage] $*" >&2; }

log "cargo build --release --locked"
cargo build --release --locked --quiet --bin tauforge
mkdir -p .dev
strip -o .dev/tauforge target/release/tauforge
glibc=$(objdump -T .dev/tauforge | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
xz -T0 -f .dev/tauforge
git rev-parse --short HEAD >.dev/commit
git status --porcelain --untracked-files=no | grep -q . && echo "+ uncommitted changes" >>.dev/commit
log ".dev/tauforge.xz: $(stat -c %s .dev/tauforge.xz) bytes, needs $glibc, commit $(tr '\n' ' ' <.dev/commit)"

if ! compgen -G ".gl/libvulkan1_*.deb" >/dev/null || ! compgen -G ".gl/libglvnd0_*.deb" >/dev/null; then
    log "downloading the Vulkan loader packages into .gl/"
    mkdir -p .gl /tmp/amd64/partial
    o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    apt-get "${o[@]}" update >/dev/null
    (cd .gl && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
fi
tracked=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
carried=$(du -cb .dev .gl | tail -1 | cut -f1)
total=$((tracked + carried))
log "working tree that travels: $((total / 1048576)) MiB (tracked $((tracked / 1048576)), .dev + .gl $((carried / 1048576))); the limit is 64"
[ "$total" -lt $((64 * 1048576)) ] || { echo "too large for the device tool" >&2; exit 1; }
