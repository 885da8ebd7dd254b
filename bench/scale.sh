#!/bin/bash
# Many namespaces at once: for 10, 100 and 500 namespaces with a veth each, nscap -t 'PATTERN'
# writing pcapng; prints the time until the listening line, peak RSS, threads and descriptors
# while capturing, and CPU time per packet under a ping flood into one namespace while the
# others are idle. Run as root.
#   usage: bench/scale.sh [COUNTS...]   (default 10 100 500)
set -euo pipefail
counts=("$@")
[ $# -eq 0 ] && counts=(10 100 500)
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cargo build --release --locked -q
nscap="$here/target/release/nscap"
tmp=$(mktemp -d)
tag="s$$"
made=()
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
    for n in "${made[@]}"; do echo "netns del $n"; done | ip -force -b - 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

printf '%-10s %10s %10s %8s %6s %12s\n' namespaces ready_ms peak_rss_MB threads fds cpu_us_per_pkt
for count in "${counts[@]}"; do
    names=()
    for i in $(seq 0 $((count - 1))); do names+=("${tag}n${count}y$i"); done
    made+=("${names[@]}")
    for n in "${names[@]}"; do echo "netns add $n"; done | ip -b -
    for i in "${!names[@]}"; do
        n=${names[$i]}
        echo "link add eth0 netns $n type veth peer name p0 netns $n"
    done | ip -b -
    for i in "${!names[@]}"; do
        n=${names[$i]}
        ip -n "$n" addr add "10.81.$((i / 250)).$((i % 250 + 2))/16" dev eth0
        ip -n "$n" link set p0 up
        ip -n "$n" link set eth0 up
    done
    # The previous count's lines must not be taken for this one's before the shell truncates.
    rm -f "$tmp/err"
    start=$(date +%s%N)
    "$nscap" -t "netns:${tag}n${count}y*" -i eth0 -w "$tmp/out.pcapng" 2>"$tmp/err" &
    pid=$!
    until grep -q "listening on" "$tmp/err" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { cat "$tmp/err"; exit 1; }
        sleep 0.01
    done
    ready=$((($(date +%s%N) - start) / 1000000))
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
    fds=$(ls "/proc/$pid/fd" | wc -l)
    cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    # Load on the first namespace: 3000 broadcast pings out of its eth0, 1 ms apart.
    ip netns exec "${names[0]}" ping -q -b -i 0.001 -c 3000 -w 10 10.81.255.255 >/dev/null 2>&1 || true
    sleep 0.3
    cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    rss=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
    kill -INT "$pid"; wait "$pid" || true; pid=
    captured=$(awk -v n="${names[0]}/eth0:" '$1 == n && /packets? captured/ {print $2}' "$tmp/err")
    hz=$(getconf CLK_TCK)
    per=$(awk -v c="$captured" -v t=$((cpu1 - cpu0)) -v hz="$hz" 'BEGIN { print (c > 0 ? t / hz / c * 1e6 : 0) }')
    printf '%-10s %10s %10s %8s %6s %12.2f\n' "$count" "$ready" "$rss" "$threads" "$fds" "$per"
    for n in "${names[@]}"; do echo "netns del $n"; done | ip -force -b - 2>/dev/null || true
done
