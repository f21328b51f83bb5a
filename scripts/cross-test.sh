#!/usr/bin/env bash
# The workspace's own tests (para-core, para-std, and the para-tests package's end-to-end tests)
# cross-compiled for aarch64 and armv7 Linux and run under qemu-user. The trybuild UI test is
# skipped: compiler diagnostics are a property of the host compiler, not of the target.
#
# Linker and runner come from CARGO_TARGET_<TRIPLE>_{LINKER,RUNNER}, so no cargo configuration
# changes for anyone else. Installs what it needs (apt packages, rustup targets) when missing.
# Usage: scripts/cross-test.sh [TARGET...]   (default: both targets)
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf)

need_apt=()
command -v qemu-aarch64 >/dev/null || need_apt+=(qemu-user)
command -v aarch64-linux-gnu-gcc >/dev/null || need_apt+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v arm-linux-gnueabihf-gcc >/dev/null || need_apt+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
if [ ${#need_apt[@]} -gt 0 ]; then
  # --no-install-recommends: the recommended qemu packages conflict with the image's qemu-utils.
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
installed=$(rustup target list --installed)
for target in "${targets[@]}"; do
  # One rustup command at a time: concurrent rustup calls corrupt its component records.
  grep -qx "$target" <<<"$installed" || rustup target add "$target"
done

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER=arm-linux-gnueabihf-gcc
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_RUNNER="qemu-arm -L /usr/arm-linux-gnueabihf"

# The end-to-end tests (one binary, tests/tests/e2e), not the UI test: trybuild compiles
# crates for the host.
e2e=(--lib --test e2e)

for target in "${targets[@]}"; do
  start=$SECONDS
  echo "==> $target: para-core, para-std (unit, integration and doc tests)"
  cargo test --profile tested --target "$target" -p para-core -p para-std
  echo "==> $target: para-tests (${e2e[*]})"
  # Tests that re-run themselves in a child process start it through the same emulator, and
  # their watchdogs allow the emulator's slowdown (tests/tests/e2e/common).
  runner_var="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$target")_RUNNER"
  PARA_TEST_RUNNER="${!runner_var}" PARA_TEST_SLOWDOWN=3 \
    cargo test --profile tested --target "$target" -p para-tests "${e2e[@]}"
  echo "==> $target: all passed in $((SECONDS - start)) s"
done
