#!/usr/bin/env bash
# para-core on bare metal and on other CPUs, from a fresh machine:
#   1. para-core graphs on 4 emulated harts/cores (qemu-system: riscv32, riscv64, aarch64), every
#      core running the same worker loop on one graph on core 0's stack, no allocator;
#   2. the same tests on a Cortex-M0 without compare-and-swap (qemu-system-arm -machine microbit),
#      para-core built with portable-atomic;
#   3. the harness itself: a failing test must fail the run, a hang must be killed;
#   4. the RP2040 example (both Cortex-M0+ cores) must build and link;
#   5. the seed graph's RAM per target and the binaries' sizes (README.md's table must be current);
#   6. the workspace's own tests under qemu-user for aarch64 and armv7 Linux (scripts/cross-test.sh).
# Installs the apt packages, rustup targets and components it needs (one rustup call at a time).
# Exits non-zero on any failure. Set PARA_SKIP_CROSS=1 to leave out step 6.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$SECONDS
timings=()
step() { printf '\n==> %s\n' "$*"; step_name=$*; step_start=$SECONDS; }
done_step() { timings+=("$(printf '%4d s  %s' $((SECONDS - step_start)) "$step_name")"); }

step "install: apt packages, rustup targets and llvm-tools"
tools=(qemu-system-riscv32 qemu-system-riscv64 qemu-system-aarch64 qemu-system-arm qemu-aarch64 qemu-arm
       aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc)
missing=0
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || missing=1; done
if [ $missing = 1 ]; then
  # --no-install-recommends: the recommended packages pull a qemu-utils that conflicts with the
  # image's backport.
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    qemu-system-misc qemu-system-arm qemu-user gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf \
    libc6-dev-arm64-cross libc6-dev-armhf-cross >/dev/null
fi
qemu_targets=(riscv32imac-unknown-none-elf riscv64gc-unknown-none-elf aarch64-unknown-none thumbv6m-none-eabi)
installed=$(rustup target list --installed)
for target in "${qemu_targets[@]}" aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
  # One rustup command at a time: concurrent rustup calls corrupt its component records.
  grep -qx "$target" <<<"$installed" || rustup target add "$target"
done
rustup component list --installed | grep -q '^llvm-tools' || rustup component add llvm-tools
done_step

cd "$root/bare-metal"

# Each target builds in its own cargo call: the micro:bit's and the RP2040's crates enable
# different critical-section implementations and must never be unified in one build.
for target in "${qemu_targets[@]}"; do
  step "bare-metal tests: $target (cargo test; runner: bare-metal/qemu-run.sh)"
  cargo test --profile tested -p para-qemu --target "$target"
  done_step
done

step "the harness catches failures and hangs"
for target in "${qemu_targets[@]}"; do
  set +e
  cargo run -q --profile tested -p para-qemu --target "$target" --example must_fail >/tmp/para-must-fail.log 2>&1
  status=$?
  set -e
  if [ $status -ne 101 ] || ! grep -qx '1 passed, 2 failed' /tmp/para-must-fail.log; then
    cat /tmp/para-must-fail.log
    echo "bare-metal.sh: must_fail on $target exited with $status (expected 101 and '1 passed, 2 failed')" >&2
    exit 1
  fi
  echo "$target: a failing check and a panic on another core fail the run (exit $status)"
done
set +e
PARA_QEMU_TIMEOUT=3 cargo run -q --profile tested -p para-qemu --target riscv32imac-unknown-none-elf \
  --example must_hang >/tmp/para-must-hang.log 2>&1
status=$?
set -e
if [ $status -ne 124 ]; then
  cat /tmp/para-must-hang.log
  echo "bare-metal.sh: must_hang exited with $status (expected the timeout's 124)" >&2
  exit 1
fi
echo "a hang is killed by qemu-run.sh's timeout (exit $status)"
done_step

step "RP2040 example: build and link (thumbv6m-none-eabi, both cores, SIO spinlock critical section)"
cargo build --release -p para-rp2040 --target thumbv6m-none-eabi
done_step

cd "$root"

step "footprint (README.md's Embedded table)"
scripts/footprint.sh --check
done_step

if [ "${PARA_SKIP_CROSS:-0}" != 1 ]; then
  step "the workspace's tests under qemu-user (scripts/cross-test.sh)"
  scripts/cross-test.sh
  done_step
fi

printf '\n==> bare-metal.sh: all passed in %d s\n' $((SECONDS - t0))
printf '%s\n' "${timings[@]}"
