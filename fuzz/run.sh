#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 30), seeded with the real captures that
# `cargo test --test read` writes into fuzz/corpus/<target>/ and with those of fixtures/.
# Needs a nightly toolchain (libFuzzer instrumentation); without one it says so and exits 0.
#
# Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "fuzz: no nightly toolchain here; fuzzing skipped"
    exit 0
fi
if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi

# Seeds: capture files and frames made by the integration tests, and the sample captures.
cargo test --quiet --test read writes_fuzz_seeds >/dev/null
mkdir -p fuzz/corpus/read
cp fixtures/*.pcap fixtures/*.pcapng fuzz/corpus/read/
cargo test --quiet --test hostile writes_fuzz_seeds >/dev/null
# And the application printers' comparison captures (DHCP, NTP, VRRP, text protocols, TFTP,
# RIP, RIPng, HSRP, DHCPv6, IGMP).
cargo test --quiet --test summary -- bootp_and_dhcp ntp_and_the vrrp_matches text_protocols tftp_matches \
    rip_matches ripng_matches hsrp_matches dhcp6_matches igmp_matches >/dev/null
for f in bootp ntp vrrp text tftp rip ripng hsrp dhcp6 igmp; do
    cp "${CARGO_TARGET_DIR:-target}/tmp/summary/$f.pcap" "fuzz/corpus/read/summary-$f.pcap"
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in decode read; do
    mkdir -p "fuzz/corpus/$target"
    echo "fuzz: $target for ${secs}s"
    # -rss_limit_mb: a reader that allocated per claimed length instead of per byte read
    # would trip this on the first lying header.
    if ! cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$secs" -max_len=65536 -rss_limit_mb=512 -print_final_stats=1 \
        >"$log" 2>&1; then
        grep -m 5 -E 'panicked|ERROR: |SUMMARY: |Failing input|crash-' "$log" || tail -n 40 "$log"
        echo "fuzz: $target FAILED (input saved under fuzz/artifacts/$target/)"
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
done
echo "fuzz: all targets ran ${secs}s without a finding"
