#!/usr/bin/env bash
# Regenerates fixtures/: the sample captures (examples/fixtures.rs), then for every line of
# fixtures/TESTLIST the expected stdout (NAME.out) and, when the run wrote to stderr or failed,
# its stderr followed by `exit N` (NAME.err). Deterministic: a second run changes no byte, so
# a change of output shows as a diff of fixtures/ to review. tests/fixtures.rs checks them.
#
# Usage: scripts/fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# Summary lines print local time: UTC makes them the same on every machine.
export TZ=UTC LC_ALL=C

cargo run --quiet --example fixtures -- fixtures
cargo build --quiet --bin nscap
nscap=${CARGO_TARGET_DIR:-target}/debug/nscap

rm -rf fixtures/expected
mkdir fixtures/expected
# Flags are words, split as the test splits them; no globbing of filters like tcp[13].
set -f
while read -r capture expected flags; do
    [[ -z $capture || $capture == \#* ]] && continue
    stem=fixtures/expected/${expected%.out}
    status=0
    # shellcheck disable=SC2086
    "$nscap" -r "fixtures/$capture" $flags >"$stem.out" 2>"$stem.err" || status=$?
    if [[ $status -ne 0 || -s $stem.err ]]; then
        echo "exit $status" >>"$stem.err"
    else
        rm "$stem.err"
    fi
done <fixtures/TESTLIST
echo "fixtures: $(grep -cv -e '^#' -e '^$' fixtures/TESTLIST) cases written"
