#!/bin/sh
# Every check and test nscap has: formatting, lints, unit and end-to-end tests, short fuzz runs.
# Run as root on Linux: the end-to-end tests build throwaway network namespaces.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
# The static builds take minutes each from cold: done here, once, so that tests/static.rs and
# tests/arm64.rs (which runs the aarch64 one under qemu) find them cached instead of spending
# their test time on them.
sh scripts/static.sh x86_64 >/dev/null
sh scripts/static.sh aarch64 >/dev/null
log=$(mktemp)
rc=$(mktemp)
trap 'rm -f "$log" "$rc"' EXIT
status=0
# Bounded: a test that hangs must fail the run with its name on record ("has been running for
# over 60 seconds"), not stall it until CI gives up. A whole run takes about 5 minutes.
# timeout(1) gives cargo its own process group: an interactive Ctrl-C stops this script, and
# the tests only when they next write to the closed pipe; `pkill cargo` stops them at once.
{
    if timeout -k 30 2400 cargo test --locked --all-targets --no-fail-fast 2>&1; then
        echo 0 >"$rc"
    else
        echo $? >"$rc"
    fi
} | tee "$log"
if [ "$(cat "$rc")" = 124 ]; then
    echo "scripts/test.sh: the tests did not finish within 2400 s" >&2
fi
[ "$(cat "$rc")" = 0 ] && grep -q '^test result: ok' "$log" || status=1
# The crate builds from its packaged sources alone (what `cargo install` gets). In a target
# folder of its own: the check's build must not stand in for the tests' binary. --allow-dirty:
# this checks the packaging, it publishes nothing.
if ! CARGO_TARGET_DIR=target/package-check cargo package --locked --allow-dirty --quiet; then
    echo "scripts/test.sh: cargo package failed" >&2
    status=1
fi
if [ -x fuzz/run.sh ]; then
    fuzz/run.sh "${NSCAP_FUZZ_SECONDS:-30}" || status=1
fi
# One closing line for the whole run.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit $status
