#!/bin/bash
# -H across three hosts (issue 21): each "host" is a namespace with its own sshd, joined by a
# veth pair to a "laptop" namespace where nscap runs; ssh connects over TCP. Measures:
#   start    time from starting `nscap -H h1 -H h2 -H h3` to its "listening on 3 hosts" line
#            (fresh connections; and with the user's ssh ControlMaster already up: reuse)
#   rate     a UDP flood of 64-byte datagrams (iperf3 -u -l 64) from a sender namespace into
#            each host over its lan0, at several offered rates in all: one local nscap
#            capturing the whole rate in one host (`ip netns exec HOST nscap -i lan0`) against
#            nscap -H capturing the three hosts (a third each) into one file here; packets
#            written per second, kernel drops, packets the hosts' kernels passed that never
#            reached the file, and the CPU the capturing nscap used here per packet
#   memory   the peak resident set of the local nscap -H (GNU time's %M)
# Every host runs on this machine's two cores: the hosts' nscap and sshd and the laptop's ssh
# compete with the capture here, which no real set of hosts does; the CPU per packet of the
# local nscap is the part that stays when the hosts are machines of their own.
# Goals: listening on all within 2 s; merged output at >= 90 % of the packet rate a single
# local capture sustains without drops; memory bounded by the hold window.
#   usage: bench/hosts.sh [SECONDS_PER_RUN] [RATES_KPPS...]   (default 5; 30 60 120 240)
set -euo pipefail
secs=${1:-5}
shift || true
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(30 60 120 240)
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cargo build --release --locked -q
nscap="${NSCAP:-$here/target/release/nscap}"
tmp=$(mktemp -d)
tag=$$
laptop="nscap-l$tag"
hosts=(1 2 3)
pids=()
cleanup() {
    for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
    for i in "${hosts[@]}"; do
        # Every sshd (and its sessions) of the host, then the host.
        ip netns pids "nscap-h$i$tag" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns pids "nscap-h$i$tag-s" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "nscap-h$i$tag" 2>/dev/null || true
        ip netns del "nscap-h$i$tag-s" 2>/dev/null || true
    done
    ip netns pids "$laptop" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$laptop" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$laptop"
ip -n "$laptop" link set lo up
ssh-keygen -q -t ed25519 -f "$tmp/client" -N ''
mkdir -p /run/sshd
: >"$tmp/ssh_config"
for i in "${hosts[@]}"; do
    h="nscap-h$i$tag"
    ip netns add "$h"
    ip -n "$h" link set lo up
    ip link add "bl$i$tag" netns "$laptop" type veth peer name "bh$i$tag" netns "$h"
    ip -n "$laptop" addr add "10.231.$i.1/24" dev "bl$i$tag"
    ip -n "$h" addr add "10.231.$i.2/24" dev "bh$i$tag"
    ip -n "$laptop" link set "bl$i$tag" up
    ip -n "$h" link set "bh$i$tag" up
    ssh-keygen -q -t ed25519 -f "$tmp/hostkey$i" -N ''
    cat >"$tmp/sshd$i" <<EOF
Port 22
ListenAddress 10.231.$i.2
HostKey $tmp/hostkey$i
PidFile $tmp/sshd$i.pid
AuthorizedKeysFile $tmp/client.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
UsePAM no
StrictModes no
EOF
    ip netns exec "$h" /usr/sbin/sshd -f "$tmp/sshd$i"
    # The traffic's sender, behind the host's lan0.
    ip netns add "$h-s"
    ip link add lan0 netns "$h" type veth peer name eth0 netns "$h-s"
    ip -n "$h" addr add "10.232.$i.1/24" dev lan0
    ip -n "$h-s" addr add "10.232.$i.2/24" dev eth0
    ip -n "$h" link set lan0 up; ip -n "$h-s" link set eth0 up; ip -n "$h-s" link set lo up
    ip netns exec "$h" iperf3 -s -p 5201 -D
    cat >>"$tmp/ssh_config" <<EOF
Host h$i
  HostName 10.231.$i.2
  User root
  IdentityFile $tmp/client
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  ControlPath $tmp/cm-%C
EOF
done
sleep 0.5
ssh_cmd="ssh -F $tmp/ssh_config"
H=(-H h1 -H h2 -H h3 --ssh "$ssh_cmd" --nscap-path "$nscap")

# Seconds from start to the "listening on 3 hosts" line, over 5 runs: the median.
start_time() {
    local t=()
    for _ in 1 2 3 4 5; do
        local t0 t1
        t0=$(date +%s.%N)
        ip netns exec "$laptop" "$nscap" "${H[@]}" -i lan0 -w /dev/null udp 2>"$tmp/start.err" &
        local p=$!
        until grep -q "listening on 3 hosts" "$tmp/start.err" 2>/dev/null; do
            kill -0 $p 2>/dev/null || { cat "$tmp/start.err" >&2; exit 1; }
            sleep 0.01
        done
        t1=$(date +%s.%N)
        kill -INT $p
        # A stop that does not come is a finding, not a reason to hang the benchmark.
        if ! timeout 15 tail --pid=$p -f /dev/null; then
            echo "nscap -H did not stop within 15 s of SIGINT:" >&2
            grep -E "SigPnd|ShdPnd|SigCgt" /proc/$p/status >&2 || true
            ls -l /proc/$p/fd >&2 || true
            kill -9 $p
        fi
        wait $p || true
        t+=("$(echo "$t1 - $t0" | bc)")
    done
    printf '%s\n' "${t[@]}" | sort -n | sed -n 3p
}

echo "start: listening on 3 hosts, median of 5 (s)"
printf '  fresh connections   %s\n' "$(start_time)"
# The user's ssh keeps a master connection per host (ControlMaster), as ~/.ssh/config may.
for i in "${hosts[@]}"; do
    ip netns exec "$laptop" ssh -F "$tmp/ssh_config" -o ControlMaster=yes -o ControlPersist=60 -fN "h$i"
done
ssh_cmd="ssh -F $tmp/ssh_config -o ControlMaster=auto"
H=(-H h1 -H h2 -H h3 --ssh "$ssh_cmd" --nscap-path "$nscap")
printf '  reused connections  %s\n' "$(start_time)"

# Floods host I with KPPS thousand 64-byte datagrams a second from its sender (two streams).
flood() {
    local i=$1 kpps=$2
    local bits=$((kpps * 1000 * 64 * 8))
    ip netns exec "nscap-h$i$tag-s" iperf3 -c "10.232.$i.1" -p 5201 -u -l 64 -b "$((bits / 2))" \
        -P 2 -t "$((secs + 3))" >/dev/null 2>&1 &
    pids+=("$!")
}

# The closing statistics' sums: captured, received, dropped.
sums() {
    awk '/packets? captured/ {c += $(NF-2)} /received by filter/ {r += $(NF-4)}
         /dropped by kernel/ {d += $(NF-4)} END {printf "%d %d %d", c, r, d}' "$1"
}

# Runs a capture under GNU time, its standard error into ERR, for SECS from its "listening"
# line (so that -H is not charged its connection time): "$tmp/t" gets peak RSS (KiB) and CPU.
timed() {
    local err=$1
    shift
    /usr/bin/time -f "%M %U %S" -o "$tmp/t" "$@" 2>"$err" &
    local t=$!
    until grep -q "listening on" "$err" 2>/dev/null; do
        kill -0 $t 2>/dev/null || break
        sleep 0.01
    done
    sleep "$secs"
    pkill -INT -P $t || true
    wait $t || true
}

echo
echo "rate: 64-byte UDP, $secs s per run (kpps: thousands of packets a second)"
printf '%-7s | %-40s | %s\n' "offered" "one host, local nscap: all of it" "three hosts, nscap -H here: a third each"
printf '%-7s | %-40s | %s\n' "" "written  drop  lost  us/pkt" "written  drop  lost  us/pkt  rss"
for r in "${rates[@]}"; do
    flood 1 "$r"
    sleep 0.5
    timed "$tmp/local.err" ip netns exec "nscap-h1$tag" "$nscap" -i lan0 -w /dev/null udp
    wait
    read -r lc lr ld <<<"$(sums "$tmp/local.err")"
    read -r _ lu ls < <(tail -1 "$tmp/t")
    for i in "${hosts[@]}"; do flood "$i" "$((r / 3))"; done
    sleep 0.5
    timed "$tmp/h.err" ip netns exec "$laptop" "$nscap" "${H[@]}" -i lan0 -w "$tmp/merged.pcapng" udp
    wait
    read -r hc hr hd <<<"$(sums "$tmp/h.err")"
    read -r rss hu hs < <(tail -1 "$tmp/t")
    printf '%-7s | %-40s | %s\n' "${r}k" \
        "$(printf '%6.1fk  %5d  %5d  %5.2f' "$(echo "$lc / $secs / 1000" | bc -l)" "$ld" \
            "$((lr - ld - lc))" "$(echo "($lu + $ls) * 1000000 / ($lc + 1)" | bc -l)")" \
        "$(printf '%6.1fk  %5d  %5d  %5.2f  %sK' "$(echo "$hc / $secs / 1000" | bc -l)" "$hd" \
            "$((hr - hd - hc))" "$(echo "($hu + $hs) * 1000000 / ($hc + 1)" | bc -l)" "$rss")"
    grep -v "packets\? \(captured\|received\|dropped\)\|listening on" "$tmp/h.err" | sed 's/^/        /' || true
done
echo
echo "lost: passed by a host's kernel filter, neither dropped there nor written here (the"
echo "packets in flight when the capture was stopped included). us/pkt: CPU of the capturing"
echo "nscap (for -H, the one here, not the hosts') per packet written."
