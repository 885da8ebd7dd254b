#!/usr/bin/env bash
# Times `nscap -r` against `tcpdump -n -r` and `tshark -r` on one generated capture (TCP, UDP,
# DNS, ICMP over IPv4 and IPv6, ARP, 802.1Q, and the application printers: RESP, syslog, HTTP,
# DHCP, NTP, VRRP, SMTP, SIP) and prints the ratios. A benchmark, not a test:
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

# Wall-clock time of one run, in milliseconds; output goes to /dev/null, as a pipe into a
# pager or grep would cost all programs the same.
once_ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}

# The programs take turns, run after run, and each keeps its best time: on a shared VM whose
# speed drifts by the minute, a block of runs per program would compare different machines.
names=("nscap -r" "nscap -r --json")
cmds=("./target/release/nscap -r $file" "./target/release/nscap -r $file --json")
if command -v tcpdump >/dev/null; then names+=("tcpdump -n -r"); cmds+=("tcpdump -n -r $file"); fi
if command -v tshark >/dev/null; then names+=("tshark -n -r"); cmds+=("tshark -n -r $file"); fi
best=()
for _ in $(seq "$runs"); do
    for i in "${!cmds[@]}"; do
        # shellcheck disable=SC2086 # the command line is split on purpose
        ms=$(once_ms ${cmds[$i]})
        if [[ -z ${best[$i]:-} || $ms -lt ${best[$i]} ]]; then best[i]=$ms; fi
    done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1) }'; }
lines=$(./target/release/nscap -r "$file" | wc -l)
printf '%-22s %8s ms  (%s lines)\n' "${names[0]}" "${best[0]}" "$lines"
for i in "${!names[@]}"; do
    case ${names[$i]} in
    "nscap -r") ;;
    "nscap -r --json") printf '%-22s %8s ms\n' "${names[$i]}" "${best[$i]}" ;;
    *) printf '%-22s %8s ms  nscap is %sx faster\n' "${names[$i]}" "${best[$i]}" "$(ratio "${best[$i]}" "${best[0]}")" ;;
    esac
done
