#!/usr/bin/env bash
# Prints, per bare-metal target, the RAM the README's seed example graph occupies (measured with
# `size_of_val` by bare-metal/qemu/examples/footprint.rs, running under QEMU) and the size of the
# bare-metal test binary (llvm-size), as a markdown table; then the RP2040 example's size.
#
#   scripts/footprint.sh                 print the table
#   scripts/footprint.sh --update-readme also write it into README.md's "Embedded" section
#   scripts/footprint.sh --check         fail if README.md's RAM columns differ from the measured
#                                        ones (code sizes vary with the compiler: only a warning)
#
# Needs what scripts/bare-metal.sh installs (QEMU, the targets, llvm-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-print}

llvm_size="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-size"
[ -x "$llvm_size" ] || { echo "footprint.sh: llvm-size missing: rustup component add llvm-tools" >&2; exit 1; }

# Sizes of an ELF's allocated sections: code and read-only data (flash on a microcontroller),
# and static RAM (.data + .bss). Stacks (.stack, NOLOAD) and the heap region are not counted.
sizes() {
  "$llvm_size" -A "$1" | awk '
    NR > 2 && NF == 3 && $3 != 0 || $1 ~ /^\.(text|vector_table|boot2|init)/ {
      name = $1
      if (name ~ /^\.(data|sdata|bss|sbss|tbss|tdata|uninit)/) ram += $2
      else if (name ~ /^\.(stack|heap|comment|debug|riscv\.attributes|ARM\.attributes)/) ;
      else code += $2
    }
    END { printf "%d %d\n", code, ram }'
}

rows=()
declare -A machine=(
  [riscv32imac-unknown-none-elf]="riscv32 virt, 4 harts"
  [riscv64gc-unknown-none-elf]="riscv64 virt, 4 harts"
  [aarch64-unknown-none]="aarch64 virt (Cortex-A53), 4 cores"
  [thumbv6m-none-eabi]="microbit (Cortex-M0), 1 core, no CAS"
)
cd bare-metal
for target in riscv32imac-unknown-none-elf riscv64gc-unknown-none-elf aarch64-unknown-none thumbv6m-none-eabi; do
  line=$(cargo run -q --profile tested -p para-qemu --target "$target" --example footprint | grep '^footprint:')
  total=$(sed -n 's/.* total=\([0-9]*\).*/\1/p' <<<"$line")
  queues=$(sed -n 's/.* queues=\([0-9]*\).*/\1/p' <<<"$line")
  nodes=$(sed -n 's/.* nodes=\([0-9]*\).*/\1/p' <<<"$line")
  graph=$(sed -n 's/.* graph=\([0-9]*\).*/\1/p' <<<"$line")
  elf=$(cargo test -q --profile tested -p para-qemu --target "$target" --no-run --message-format=json \
        | grep -o '"executable":"[^"]*/graphs-[^"]*"' | sed 's/"executable":"\(.*\)"/\1/' | tail -1)
  read -r code ram < <(sizes "$elf")
  rows+=("| \`$target\` | ${machine[$target]} | $total | $queues | $nodes | $graph | $code | $ram |")
done
cargo build -q --release -p para-rp2040 --target thumbv6m-none-eabi
read -r rp_code rp_ram < <(sizes target/thumbv6m-none-eabi/release/para-rp2040)
cd ..

table=$(
  echo "| target | QEMU machine | seed graph RAM (bytes) | queues | nodes | \`Graph\` | test binary: code + rodata | test binary: .data + .bss |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "RP2040 example (\`thumbv6m-none-eabi\`, release): $rp_code bytes of flash (code + rodata + boot2), $rp_ram bytes of static RAM (.bss, of which 8 KiB is core 1's stack)."
)

readme_table() { sed -n '/<!-- footprint:start -->/,/<!-- footprint:end -->/p' README.md | sed '1d;$d'; }
ram_columns() { grep '^| `' | cut -d'|' -f2-7; }

case $mode in
  print) echo "$table" ;;
  --update-readme)
    echo "$table"
    grep -q '<!-- footprint:start -->' README.md || { echo "footprint.sh: no footprint markers in README.md" >&2; exit 1; }
    awk -v table="$table" '
      /<!-- footprint:start -->/ { print; print table; skip = 1; next }
      /<!-- footprint:end -->/ { skip = 0 }
      !skip' README.md > README.md.new && mv README.md.new README.md
    echo "README.md updated" ;;
  --check)
    echo "$table"
    if [ "$(readme_table | ram_columns)" != "$(echo "$table" | ram_columns)" ]; then
      echo "footprint.sh: README.md's footprint table is stale (RAM columns differ):" >&2
      diff <(readme_table | ram_columns) <(echo "$table" | ram_columns) >&2 || true
      echo "run scripts/footprint.sh --update-readme" >&2
      exit 1
    fi
    if [ "$(readme_table)" != "$table" ]; then
      echo "footprint.sh: warning: code sizes in README.md differ from this build (compiler version?)" >&2
    fi
    echo "footprint: README.md is current" ;;
  *) echo "usage: $0 [--update-readme|--check]" >&2; exit 2 ;;
esac
