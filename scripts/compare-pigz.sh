#!/usr/bin/env bash
# The compress example against pigz, as whole processes on the same input: `pigz -p 2 -6` and
# `compress -t 2 -l 6`, interleaved (the order alternates every round, so that load from other
# processes on a shared machine falls on both alike), after one warm-up round each. Prints the
# median wall-clock time of each (and median user+sys CPU time), the output sizes, and the ratio
# para/pigz of the median times (below 1: para is faster). Both outputs are checked to
# decompress to the input byte for byte.
#
#   scripts/compare-pigz.sh [INPUT]    # default: the example's generated 64 MiB text
#
# Environment: RUNS (timed rounds, default 7), THREADS (default 2), LEVEL (default 6).
# Installs pigz with apt when it is missing. hyperfine is not used: it runs all of one
# command's runs before the other's and cannot interleave them.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-7}
threads=${THREADS:-2}
level=${LEVEL:-6}

if ! command -v pigz >/dev/null; then
    echo "installing pigz" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pigz >/dev/null
fi

cargo build --release --quiet -p para-std --example compress
para=target/release/examples/compress

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ $# -ge 1 ]]; then
    input=$1
else
    # The example's own generated input (the one `cargo run --example compress` uses), restored
    # from its compressed form.
    input=$work/input.txt
    "$para" -o "$work/generated.gz" >/dev/null 2>&1
    pigz -dc "$work/generated.gz" >"$input"
fi
size=$(stat -c %s "$input")

run_pigz() { pigz -p "$threads" "-$level" -c "$input" >"$work/pigz.gz"; }
run_para() { "$para" "$input" -t "$threads" -l "$level" -o "$work/para.gz" >/dev/null; }

# Times one command: appends "real user+sys" (seconds) to the file named by $2.
measure() {
    local TIMEFORMAT='%R %U %S' t
    t=$({ time "$1" 2>&3; } 3>&2 2>&1)
    awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$t" >>"$2"
}

median() { # column $2 of file $1
    sort -g -k"$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END {
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "input: $input, $size bytes; $threads threads, level $level; $runs interleaved rounds" \
     "after one warm-up; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# Warm-up (also fills the page cache with the input), then check both outputs.
run_pigz
run_para
for tool in pigz para; do
    if ! pigz -dc "$work/$tool.gz" | cmp -s - "$input"; then
        echo "FAIL: $tool's output does not decompress to the input" >&2
        exit 1
    fi
done
echo "both outputs decompress to the input byte for byte"

: >"$work/pigz.times"
: >"$work/para.times"
for ((i = 0; i < runs; i++)); do
    if ((i % 2 == 0)); then
        measure run_pigz "$work/pigz.times"
        measure run_para "$work/para.times"
    else
        measure run_para "$work/para.times"
        measure run_pigz "$work/pigz.times"
    fi
done

pigz_real=$(median "$work/pigz.times" 1)
para_real=$(median "$work/para.times" 1)
pigz_cpu=$(median "$work/pigz.times" 2)
para_cpu=$(median "$work/para.times" 2)
pigz_size=$(stat -c %s "$work/pigz.gz")
para_size=$(stat -c %s "$work/para.gz")

echo "all runs (real s, user+sys s):"
paste -d' ' <(sed 's/^/  pigz /' "$work/pigz.times") <(sed 's/^/| para /' "$work/para.times")
awk -v size="$size" -v threads="$threads" -v level="$level" \
    -v pr="$pigz_real" -v pc="$pigz_cpu" -v ps="$pigz_size" \
    -v qr="$para_real" -v qc="$para_cpu" -v qs="$para_size" 'BEGIN {
    printf "%-22s %10s %8s %14s %12s\n", "", "median s", "MB/s", "median cpu s", "output B"
    printf "%-22s %10.3f %8.1f %14.3f %12d\n", "pigz -p " threads " -" level, pr, size / 1e6 / pr, pc, ps
    printf "%-22s %10.3f %8.1f %14.3f %12d\n", "compress -t " threads " -l " level, qr, size / 1e6 / qr, qc, qs
    printf "ratio para/pigz: time %.3f (below 1: para is faster), throughput %.3f, output size %.3f\n",
        qr / pr, pr / qr, qs / ps
}'
