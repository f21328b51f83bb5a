#!/usr/bin/env bash
# cargo's runner for the bare-metal targets (see .cargo/config.toml):
#   qemu-run.sh MACHINE ELF [ARGS cargo appends, ignored]
# Boots ELF on the emulated MACHINE with semihosting (the program prints and sets QEMU's exit
# code through it) and kills it after PARA_QEMU_TIMEOUT seconds (default 120): a hang fails.
set -uo pipefail
machine=$1 elf=$2
limit=${PARA_QEMU_TIMEOUT:-120}
case $machine in
  riscv32) qemu=(qemu-system-riscv32 -machine virt -smp 4 -m 128M -bios none) ;;
  riscv64) qemu=(qemu-system-riscv64 -machine virt -smp 4 -m 128M -bios none) ;;
  aarch64) qemu=(qemu-system-aarch64 -machine virt -cpu cortex-a53 -smp 4 -m 128M) ;;
  microbit) qemu=(qemu-system-arm -machine microbit) ;;
  *) echo "qemu-run.sh: unknown machine '$machine'" >&2; exit 2 ;;
esac
qemu+=(-display none -monitor none -serial none -nic none
       -semihosting-config enable=on,target=native -kernel "$elf")
timeout --kill-after=5 "$limit" "${qemu[@]}" </dev/null
status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "qemu-run.sh: $(basename "$elf") on $machine timed out after ${limit}s (hang)" >&2
fi
exit "$status"
