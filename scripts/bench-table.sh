#!/usr/bin/env bash
# Runs the para-benches benchmarks (para against a plain loop, hand-rolled channel pipelines and
# rayon, at 1 and 2 threads) and prints one markdown table of the results: the median of each
# benchmark, the para 2-thread/1-thread speed-up and para/2 against the best alternative, with a
# header describing the machine.
#
#   scripts/bench-table.sh [--no-run] [--readme] [CRITERION ARGS...]
#
#   --no-run   print the table from the results already in target/criterion
#   --readme   also replace the text between <!-- bench-table:start --> and
#              <!-- bench-table:end --> in README.md (fails if the markers are missing), and
#              the latency table between <!-- latency-table:start/end -->
#
# Then the `latency` group (stages that wait, 8 to 256 threads) as a table of its own and as a
# chart, docs/latency.svg (scripts/latency-chart.py).
#   CRITERION ARGS  passed to every bench binary: a filter such as `tiny` or `'medium|ordered'`,
#              `--quick`, `--warm-up-time 1`, … (PARA_BENCH_QUICK=1 in the environment shrinks
#              every input and time, to check that everything runs).
#
# A full run takes about 10 minutes on 2 cores; run it on a quiet machine. The script runs one
# bench binary at a time, each group's implementations back to back.
set -euo pipefail
cd "$(dirname "$0")/.."

run=1
readme=()
criterion=()
for arg in "$@"; do
  case "$arg" in
    --no-run) run=0 ;;
    --readme) readme=(--readme README.md) ;;
    -h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) criterion+=("$arg") ;;
  esac
done

extra=()
if [[ $run == 1 ]]; then
  # The load before the run says how busy the machine was (the benchmarks assume an idle one).
  extra=(--load "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)")
  # Shapes against the alternatives, the real workload, then para's fixed costs.
  for bench in shapes compress overhead latency; do
    cargo bench -p para-benches --bench "$bench" -- ${criterion[@]+"${criterion[@]}"} >&2
  done
fi

target=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
python3 scripts/bench-table.py --criterion-dir "$target/criterion" \
  ${readme[@]+"${readme[@]}"} ${extra[@]+"${extra[@]}"}
if [[ -d "$target/criterion/latency" ]]; then
  echo
  mkdir -p docs
  python3 scripts/latency-chart.py --criterion-dir "$target/criterion" --svg docs/latency.svg \
    ${readme[@]+"${readme[@]}"}
fi
