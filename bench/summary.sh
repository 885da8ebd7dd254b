#!/usr/bin/env bash
# Times `nscap -r` against `tcpdump -n -r` and `tshark -r` on one generated capture (TCP, UDP,
# DNS, ICMP over IPv4 and IPv6, ARP, 802.1Q) and prints the ratios. A benchmark, not a test:
# run it by hand on a quiet machine.
#
# Usage: bench/summary.sh [PACKETS] [RUNS]     (defaults: 200000 packets, best of 3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-200000}
runs=${2:-3}

cargo build --release --quiet --bin nscap --example gen_capture
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
file=$dir/bench.pcap
./target/release/examples/gen_capture "$file" "$packets"
echo "capture: $packets packets, $(stat -c %s "$file") bytes"

# Best wall-clock time of $runs runs, in milliseconds; output goes to /dev/null, as a pipe
# into a pager or grep would cost all three programs the same.
best_ms() {
    local best=""
    for _ in $(seq "$runs"); do
        local t0 t1 ms
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1
        t1=$(date +%s%N)
        ms=$(((t1 - t0) / 1000000))
        if [[ -z $best || $ms -lt $best ]]; then best=$ms; fi
    done
    echo "$best"
}

nscap_ms=$(best_ms ./target/release/nscap -r "$file")
lines=$(./target/release/nscap -r "$file" | wc -l)
printf '%-22s %8s ms  (%s lines)\n' "nscap -r" "$nscap_ms" "$lines"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1) }'; }
if command -v tcpdump >/dev/null; then
    tcpdump_ms=$(best_ms tcpdump -n -r "$file")
    printf '%-22s %8s ms  nscap is %sx faster\n' "tcpdump -n -r" "$tcpdump_ms" "$(ratio "$tcpdump_ms" "$nscap_ms")"
fi
if command -v tshark >/dev/null; then
    tshark_ms=$(best_ms tshark -n -r "$file")
    printf '%-22s %8s ms  nscap is %sx faster\n' "tshark -n -r" "$tshark_ms" "$(ratio "$tshark_ms" "$nscap_ms")"
fi
nscap_json_ms=$(best_ms ./target/release/nscap -r "$file" --json)
printf '%-22s %8s ms\n' "nscap -r --json" "$nscap_json_ms"
