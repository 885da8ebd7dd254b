#!/bin/bash
# Live capture cost: nscap against `nsenter -n -t PID tcpdump` on the same offered load, into a
# throwaway target namespace, for three workloads:
#   udp64      a UDP flood of 64-byte datagrams (iperf3 -u -b 0 -l 64 -P 2)
#   tcp-s200   a TCP stream (iperf3, 64 KiB GSO packets over the veth), captured with -s 200
#   tcp        the same stream at the default snapshot length
# For each tool and mode (write a file; print summaries) it prints packets captured and
# dropped and CPU time per captured packet, then nscap's ratios to tcpdump. Run as root.
#   usage: bench/live.sh [SECONDS_PER_RUN] [WORKLOAD...]   (default 8; all three)
set -euo pipefail
secs=${1:-8}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(udp64 tcp-s200 tcp)
. "$(dirname "$0")/lib.sh" b 214

# load WORKLOAD: the offered load, in the background, for the run's length and a margin.
load() {
    case $1 in
    udp64) ip netns exec "$peer" iperf3 -c 10.214.0.2 -u -b 0 -l 64 -P 2 -t $((secs + 4)) ;;
    tcp*) ip netns exec "$peer" iperf3 -c 10.214.0.2 -t $((secs + 4)) ;;
    esac >/dev/null 2>&1
}

# run NAME WORKLOAD OUTFILE CMD... : captures for $secs under load; leaves "captured dropped
# cpu" in $tmp/NAME
run() {
    local name=$1 work=$2 out=$3; shift 3
    load "$work" &
    local l=$!; pids+=("$l")
    sleep 1
    /usr/bin/time -f '%U %S' -o "$tmp/$name.time" "$@" >"$out" 2>"$tmp/$name.err" &
    local timer=$!
    sleep "$secs"
    pkill -INT -P "$timer" || true
    wait "$timer" || true
    pkill -P "$l" 2>/dev/null || true; kill "$l" 2>/dev/null || true; wait "$l" 2>/dev/null || true
    local captured dropped cpu
    captured=$(awk '/packets? captured/ {print $1}' "$tmp/$name.err" | tail -1)
    dropped=$(awk '/packets? dropped by kernel/ {print $1}' "$tmp/$name.err" | tail -1)
    cpu=$(awk 'END {print $1 + $2}' "$tmp/$name.time")
    echo "${captured:-0} ${dropped:-0} $cpu" >"$tmp/$name"
}

row() {
    local name=$1 c d cpu
    read -r c d cpu <"$tmp/$name"
    printf '%-26s %10s %10s %8.2f %10.3f\n' "$name" "$c" "$d" "$cpu" \
        "$(awk -v c="$c" -v t="$cpu" 'BEGIN { print (c > 0 ? t / c * 1e6 : 0) }')"
}
per_pkt() { awk '{ print ($1 > 0 ? $3 / $1 : 0) }' "$tmp/$1"; }
ratio() { awk -v a="$(per_pkt "$1")" -v b="$(per_pkt "$2")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "${secs}s per run, $(nproc) cores"
printf '%-26s %10s %10s %8s %10s\n' run captured dropped cpu_s us/packet
for w in "${workloads[@]}"; do
    snap=()
    [ "$w" = tcp-s200 ] && snap=(-s 200)
    run "$w.nscap-file" "$w" "$tmp/out" "$nscap" -t "$target" -i eth0 "${snap[@]}" -w "$tmp/nscap.pcap"
    run "$w.tcpdump-file" "$w" "$tmp/out" nsenter -n -t "$target" tcpdump -i eth0 "${snap[@]}" -w "$tmp/tcpdump.pcap"
    run "$w.nscap-print" "$w" /dev/null "$nscap" -t "$target" -i eth0 "${snap[@]}" -n
    run "$w.tcpdump-print" "$w" /dev/null nsenter -n -t "$target" tcpdump -i eth0 "${snap[@]}" -n
    for r in nscap-file tcpdump-file nscap-print tcpdump-print; do row "$w.$r"; done
    echo "$w: CPU per packet, nscap/tcpdump: write file $(ratio "$w.nscap-file" "$w.tcpdump-file") (goal <= 0.8), print summaries $(ratio "$w.nscap-print" "$w.tcpdump-print") (goal <= 0.25)"
done
