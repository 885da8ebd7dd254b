#!/bin/bash
# Soak: a long capture with rotation under load. A UDP flood (iperf3 -u -b 0 -l 64 -P 2) goes
# into a throwaway target namespace while nscap writes a ring of five 10 MB files
# (-C 10 -W 5); nscap's RSS is sampled every second. Then tcpdump runs the same ring under the
# same load, for the drops. Prints RSS in MiB (after 1 s, after 10 s once rings and buffers are
# warm, the largest, the last), files left, captured and dropped.
#   usage: bench/soak.sh [MINUTES]   (default 1; fractions allowed)   Run as root.
set -euo pipefail
minutes=${1:-1}
secs=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
. "$(dirname "$0")/lib.sh" s 215

# run NAME CMD... : captures for $secs under load, RSS of the capturing process sampled into
# $tmp/NAME.rss (KiB), its statistics in $tmp/NAME.err
run() {
    local name=$1; shift
    mkdir -p "$tmp/$name"
    ip netns exec "$peer" iperf3 -c 10.215.0.2 -u -b 0 -l 64 -P 2 -t $((secs + 4)) >/dev/null 2>&1 &
    local load=$!; pids+=("$load")
    sleep 1
    "$@" 2>"$tmp/$name.err" &
    local cap=$!
    : >"$tmp/$name.rss"
    for ((i = 0; i < secs; i++)); do
        sleep 1
        awk '/^VmRSS/ {print $2}' "/proc/$cap/status" >>"$tmp/$name.rss" 2>/dev/null || true
    done
    kill -INT "$cap" 2>/dev/null || true
    wait "$cap" || true
    kill "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true
    ls "$tmp/$name" | wc -l >"$tmp/$name.files"
    rm -rf "${tmp:?}/$name"
}

run nscap "$nscap" -t "$target" -i eth0 -w "$tmp/nscap/ring" -C 10 -W 5 -q
run tcpdump nsenter -n -t "$target" tcpdump -Z root -i eth0 -w "$tmp/tcpdump/ring" -C 10 -W 5 -q

row() {
    local name=$1 captured dropped
    captured=$(awk '/packets? captured/ {print $1}' "$tmp/$name.err" | tail -1)
    dropped=$(awk '/packets? dropped by kernel/ {print $1}' "$tmp/$name.err" | tail -1)
    awk -v n="$name" -v c="$captured" -v d="$dropped" -v f="$(cat "$tmp/$name.files")" '
        NR == 1 { first = $1; max = $1 }
        NR == 10 { warm = $1 }
        { if ($1 > max) max = $1; last = $1 }
        END { printf "%-8s %8.1f %8.1f %8.1f %8.1f %6d %12s %12s %7.3f%%\n", n, first/1024, warm/1024,
              max/1024, last/1024, f, c, d, (c + d > 0 ? 100 * d / (c + d) : 0) }' "$tmp/$name.rss"
}
echo "soak: ${secs}s per tool, iperf3 -u -b 0 -l 64 -P 2, -C 10 -W 5, $(nproc) cores"
printf '%-8s %8s %8s %8s %8s %6s %12s %12s %8s\n' tool rss_1s rss_10s rss_max rss_last files captured dropped drop
row nscap
row tcpdump
echo "nscap RSS every 10 s (MiB): $(awk 'NR % 10 == 0 { printf "%.1f ", $1 / 1024 }' "$tmp/nscap.rss")"
