#!/bin/sh
# Every check and test nscap has: formatting, lints, unit and end-to-end tests, short fuzz runs.
# Run as root on Linux: the end-to-end tests build throwaway network namespaces.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
if [ -x fuzz/run.sh ]; then
    fuzz/run.sh "${NSCAP_FUZZ_SECONDS:-30}"
fi
