#!/usr/bin/env bash
# The test command of README.md: every test of the workspace (unit, integration, UI, doc).
# Concurrent tests carry their own watchdog, so a hang fails the test instead of blocking.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --profile tested "$@"
