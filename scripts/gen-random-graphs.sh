#!/usr/bin/env bash
# Regenerates tests/tests/e2e/random_graphs/graphs.rs, the random pipelines of the property
# tests, with para-macros' own generator (para-macros/src/random_graphs/: the macro's parse,
# checks and ordering plan decide which graphs exist). Commit the result: `scripts/test.sh`
# runs the same generator and fails if the committed file differs.
#
#   scripts/gen-random-graphs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PARA_BLESS=1 cargo test -q -p para-macros --lib random_graphs::graphs_file_is_current
