#!/usr/bin/env bash
# The GPU example (examples/gpu, its own cargo workspace, so wgpu stays out of the main
# workspace's builds): CPU stage => async GPU stage (a wgpu compute shader) => CPU stage =>
# ordered sink, over a 64 MiB image, checked pixel for pixel against the same pipeline with the
# CPU filter in the middle, with both throughputs printed.
# Without a GPU it runs on Mesa's lavapipe (Vulkan on the CPU): installs `mesa-vulkan-drivers`
# (it brings the Vulkan loader, `libvulkan1`) when no Vulkan driver is there.
# Runs the crate's tests (GPU against CPU on odd shapes), then the example in release mode.
# Exits non-zero if no GPU adapter is found, if the results differ, or if the GPU stage never
# had more than one dispatch in flight. Arguments go to the example: [MiB] [threads] [rounds]
# (default: 64 MiB, every core, 3 rounds).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS

if ! ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1 || ! dpkg -s libvulkan1 >/dev/null 2>&1; then
  echo "==> installing Mesa's Vulkan drivers (lavapipe) and the Vulkan loader"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    mesa-vulkan-drivers libvulkan1 >/dev/null
fi
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

# Mesa's device-select layer looks for a display and warns without one.
export NODEVICE_SELECT=${NODEVICE_SELECT:-1}

cd examples/gpu
echo "==> examples/gpu: format, build, tests"
cargo fmt --check
cargo build --release --locked
cargo test --release --locked

echo "==> examples/gpu: the example"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
[ $# -gt 0 ] || set -- 64 "$(nproc)" 3
cargo run --release --locked -q -- "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
case $status in
  0) ;;
  2) echo "gpu.sh: no GPU adapter (or bad arguments): see above" >&2; exit 1 ;;
  *) echo "gpu.sh: the example failed (exit $status): see above" >&2; exit 1 ;;
esac
grep -q '^results match' "$log" || { echo "gpu.sh: no 'results match' line" >&2; exit 1; }
if ! grep -Eq 'at most ([2-9]|[1-9][0-9]+) in flight' "$log"; then
  echo "gpu.sh: the async GPU stage never had two dispatches in flight" >&2
  exit 1
fi
printf '==> gpu.sh: passed in %d s\n' $((SECONDS - t0))
