#!/usr/bin/env bash
# The declared minimum Rust version (`rust-version` in Cargo.toml), checked without that
# toolchain (rustup's servers are out of reach here): clippy's `incompatible_msrv` (warn by
# default, so an error under `.ci/run`'s `-D warnings`) refuses standard-library items
# stabilised after it, and this script refuses any dependency of a published crate, for any
# target (but the `--cfg loom` model checks), that declares a newer `rust-version` in the
# lockfile's versions.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo metadata --locked --format-version 1 | python3 -c '
import json, sys
meta = json.load(sys.stdin)
packages = {p["id"]: p for p in meta["packages"]}
msrv = next(p["rust_version"] for p in meta["packages"] if p["name"] == "para-core")
def parse(v):
    return tuple(int(x) for x in (v.split(".") + ["0", "0"])[:3])
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
published = [p["id"] for p in meta["packages"] if p["name"] in ("para-core", "para-macros", "para-std")]
seen, stack, bad = set(), list(published), []
while stack:
    pid = stack.pop()
    if pid in seen:
        continue
    seen.add(pid)
    for dep in nodes[pid]["deps"]:
        # Normal and build dependencies only: dev-dependencies never reach a user, nor do those
        # of the `--cfg loom` builds of the model checks.
        if any(k["kind"] in (None, "build") and k.get("target") != "cfg(loom)"
               for k in dep["dep_kinds"]):
            stack.append(dep["pkg"])
for pid in sorted(seen):
    p = packages[pid]
    if p.get("rust_version") and parse(p["rust_version"]) > parse(msrv):
        bad.append("%s %s needs Rust %s" % (p["name"], p["version"], p["rust_version"]))
if bad:
    sys.exit(f"msrv: the published crates declare Rust {msrv}, but:\n  " + "\n  ".join(bad))
print("msrv: the %d crates of the published crates\x27 dependency trees declare Rust %s or older" % (len(seen), msrv))
'
