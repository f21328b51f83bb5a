#!/usr/bin/env bash
# Builds para-core for bare-metal targets with no allocator: proof that no std or alloc crept in.
# thumbv6m-none-eabi (Cortex-M0+, RP2040) has no compare-and-swap: it needs the portable-atomic
# feature (the final binary provides a critical-section implementation).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(thumbv7em-none-eabihf riscv32imac-unknown-none-elf thumbv6m-none-eabi)
installed=$(rustup target list --installed)
for target in "${targets[@]}"; do
  # One rustup command at a time: concurrent rustup calls corrupt its component records.
  grep -qx "$target" <<<"$installed" || rustup target add "$target"
done

cargo build -p para-core --target thumbv7em-none-eabihf
cargo build -p para-core --target riscv32imac-unknown-none-elf
cargo build -p para-core --target thumbv6m-none-eabi --features portable-atomic
echo "no_std builds: ok"
