#!/bin/bash
# Live capture cost: nscap against `nsenter -n -t PID tcpdump` on the same offered load, a UDP
# flood of 64-byte datagrams (iperf3 -u -b 0 -l 64 -P 2) into a throwaway target namespace.
# For each tool and mode (write a file; print summaries) it prints packets captured and dropped
# and CPU time per captured packet, then nscap's ratio to tcpdump. Run as root.
#   usage: bench/live.sh [SECONDS_PER_RUN]   (default 8)
set -euo pipefail
secs=${1:-8}
. "$(dirname "$0")/lib.sh" b 214

# run NAME OUTFILE CMD... : captures for $secs under load; leaves "captured dropped cpu" in $tmp/NAME
run() {
    local name=$1 out=$2; shift 2
    ip netns exec "$peer" iperf3 -c 10.214.0.2 -u -b 0 -l 64 -P 2 -t $((secs + 4)) >/dev/null 2>&1 &
    local load=$!; pids+=("$load")
    sleep 1
    /usr/bin/time -f '%U %S' -o "$tmp/$name.time" "$@" >"$out" 2>"$tmp/$name.err" &
    local timer=$!
    sleep "$secs"
    pkill -INT -P "$timer" || true
    wait "$timer" || true
    kill "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true
    local captured dropped cpu
    captured=$(awk '/packets? captured/ {print $1}' "$tmp/$name.err" | tail -1)
    dropped=$(awk '/packets? dropped by kernel/ {print $1}' "$tmp/$name.err" | tail -1)
    cpu=$(awk 'END {print $1 + $2}' "$tmp/$name.time")
    echo "$captured $dropped $cpu" >"$tmp/$name"
}

row() {
    local name=$1 c d cpu
    read -r c d cpu <"$tmp/$name"
    printf '%-22s %10s %10s %8.2f %10.3f\n' "$name" "$c" "$d" "$cpu" \
        "$(awk -v c="$c" -v t="$cpu" 'BEGIN { print (c > 0 ? t / c * 1e6 : 0) }')"
}
per_pkt() { awk '{ print ($1 > 0 ? $3 / $1 : 0) }' "$tmp/$1"; }
ratio() { awk -v a="$(per_pkt "$1")" -v b="$(per_pkt "$2")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

run nscap-file "$tmp/out" "$nscap" -t "$target" -i eth0 -w "$tmp/nscap.pcap"
run tcpdump-file "$tmp/out" nsenter -n -t "$target" tcpdump -i eth0 -w "$tmp/tcpdump.pcap"
run nscap-print /dev/null "$nscap" -t "$target" -i eth0 -n
run tcpdump-print /dev/null nsenter -n -t "$target" tcpdump -i eth0 -n

echo "offered load: iperf3 -u -b 0 -l 64 -P 2, ${secs}s per run, $(nproc) cores"
printf '%-22s %10s %10s %8s %10s\n' run captured dropped cpu_s us/packet
for r in nscap-file tcpdump-file nscap-print tcpdump-print; do row "$r"; done
echo "CPU per packet, nscap/tcpdump: write file $(ratio nscap-file tcpdump-file) (goal <= 0.8), print summaries $(ratio nscap-print tcpdump-print) (goal <= 0.25)"
