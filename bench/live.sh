#!/bin/bash
# Live capture cost: nscap against tcpdump (`nsenter -n -t PID tcpdump`, one per namespace) on the
# same offered load, into throwaway target namespaces, for four workloads:
#   udp64      a UDP flood of 64-byte datagrams (iperf3 -u -b 0 -l 64 -P 2 into each namespace)
#   tcp-s200   a TCP stream (iperf3, 64 KiB GSO packets over the veth), captured with -s 200
#   tcp        the same stream at the default snapshot length
#   conn       2 000 short TCP connections a second in all, from the namespaces to the peer
# each at 1 and at 10 namespaces (NAMESPACES="1 10"; nscap takes them all with -t … -t …, tcpdump
# runs once per namespace and their CPU is added up), and in three modes: write a file (file),
# write rotating files (rotate: -C 1 -W 3), print summaries (print). For each run it prints
# packets captured and dropped and CPU seconds (user + system of every capturing process) and per
# captured packet, then nscap's ratio to tcpdump per packet.
# Goals (issue 19): nscap drops no more than tcpdump (none where tcpdump drops none); CPU per
# packet <= 0.8 of tcpdump's writing files, <= 0.25 printing summaries.
#   usage: bench/live.sh [SECONDS_PER_RUN] [WORKLOAD...]   (default 8; all four)
# NAMESPACES="1" or "10" runs one count only; MODES="file print" picks the modes.
set -euo pipefail
secs=${1:-8}
shift || true
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(udp64 tcp-s200 tcp conn)
counts=(${NAMESPACES:-1 10})
modes=(${MODES:-file rotate print})
. "$(dirname "$0")/lib.sh" b 214

# The namespaces: the first is lib.sh's; the others (up to the largest count) each have their
# own veth to the peer, 10.214.I.2 inside and 10.214.I.1 at the peer, and an iperf3 server.
targets=("$target")
addrs=(10.214.0.2)
max=1
for n in "${counts[@]}"; do [ "$n" -gt "$max" ] && max=$n; done
for ((i = 1; i < max; i++)); do
    x="$ns-$i"
    ip netns add "$x"
    ip link add "v$tag-$i" netns "$peer" type veth peer name eth0 netns "$x"
    ip -n "$peer" addr add "10.214.$i.1/24" dev "v$tag-$i"
    ip -n "$x" addr add "10.214.$i.2/24" dev eth0
    ip -n "$x" link set lo up; ip -n "$x" link set eth0 up; ip -n "$peer" link set "v$tag-$i" up
    ip netns exec "$x" iperf3 -s -p 5201 >/dev/null 2>&1 &
    pids+=("$!")
    targets+=("$!")
    addrs+=("10.214.$i.2")
done
extra_cleanup() {
    for ((i = 1; i < max; i++)); do ip netns del "$ns-$i" 2>/dev/null || true; done
    cleanup
}
trap extra_cleanup EXIT
sleep 0.5

# The connection workload's ends: a server in the peer that closes each connection at once (so
# no TIME_WAIT piles up in the namespaces), and a generator that opens RATE a second.
cat >"$tmp/closer.py" <<'EOF'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8081))
s.listen(4096)
while True:
    s.accept()[0].close()
EOF
cat >"$tmp/conns.py" <<'EOF'
import socket, sys, time
host, rate = sys.argv[1], float(sys.argv[2])
done, start = 0, time.monotonic()
while True:
    ahead = done / rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
    try:
        c = socket.create_connection((host, 8081))
        c.recv(1)
        c.close()
        done += 1
    except OSError:
        time.sleep(0.001)
EOF
ip netns exec "$peer" python3 "$tmp/closer.py" &
pids+=("$!")

# load WORKLOAD N: the offered load on the first N namespaces, for the run's length and a margin;
# the processes are its children (run kills them).
load() {
    local i x
    for ((i = 0; i < $2; i++)); do
        x=$ns
        [ "$i" -gt 0 ] && x="$ns-$i"
        case $1 in
        udp64) ip netns exec "$peer" iperf3 -c "${addrs[$i]}" -u -b 0 -l 64 -P 2 -t $((secs + 4)) >/dev/null 2>&1 & ;;
        tcp*) ip netns exec "$peer" iperf3 -c "${addrs[$i]}" -t $((secs + 4)) >/dev/null 2>&1 & ;;
        conn) timeout $((secs + 4)) ip netns exec "$x" python3 "$tmp/conns.py" "10.214.$i.1" \
            "$(awk -v n="$2" 'BEGIN { print 2000 / n }')" >/dev/null 2>&1 & ;;
        esac
    done
    wait
}

# run NAME WORKLOAD N CMD...: CMD (one capturing process, or a shell starting one per
# namespace) under GNU time in a process group of its own for $secs under load, stopped with
# SIGINT to the group; leaves "captured dropped cpu" in $tmp/NAME, added up over the processes.
run() {
    local name=$1 work=$2 n=$3; shift 3
    load "$work" "$n" &
    local l=$!
    sleep 1
    setsid /usr/bin/time -f '%U %S' -o "$tmp/$name.time" "$@" >/dev/null 2>"$tmp/$name.err" &
    local timer=$!
    sleep "$secs"
    kill -INT -- "-$timer" 2>/dev/null || true
    wait "$timer" || true
    pkill -P "$l" 2>/dev/null || true
    kill "$l" 2>/dev/null || true
    wait "$l" 2>/dev/null || true
    sleep 0.5
    local sum='{ for (i = 2; i < NF; i++) if ($i ~ /^packets?$/ && $(i + 1) == w) s += $(i - 1) } END { print s + 0 }'
    echo "$(awk -v w=captured "$sum" "$tmp/$name.err") $(awk -v w=dropped "$sum" "$tmp/$name.err")" \
        "$(awk 'END { print $1 + $2 }' "$tmp/$name.time")" >"$tmp/$name"
    [ -n "${KEEP:-}" ] && cp "$tmp/$name.err" "$KEEP/"
    rm -f "$tmp"/out*
}

row() {
    local name=$1 c d cpu
    read -r c d cpu <"$tmp/$name"
    printf '%-30s %10s %10s %8.2f %10.3f\n' "$name" "$c" "$d" "$cpu" \
        "$(awk -v c="$c" -v t="$cpu" 'BEGIN { print (c > 0 ? t / c * 1e6 : 0) }')"
}
per_pkt() { awk '{ print ($1 > 0 ? $3 / $1 : 0) }' "$tmp/$1"; }
ratio() { awk -v a="$(per_pkt "$1")" -v b="$(per_pkt "$2")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# The tcpdump side: one per namespace, in the background of a shell that waits for them all.
tcpdumps() {
    local n=$1 mode=$2 i script=
    shift 2
    for ((i = 0; i < n; i++)); do
        case $mode in
        file) out=(-w "$tmp/out$i.pcap") ;;
        rotate) out=(-C 1 -W 3 -w "$tmp/out$i.pcap") ;;
        print) out=(-n) ;;
        esac
        # -Z root: Debian's tcpdump would otherwise become user tcpdump, which cannot create the
        # rotated files in this script's private directory.
        # Each its own stderr: their statistics lines, written at once, would interleave.
        script+="nsenter -n -t ${targets[$i]} tcpdump -Z root -i eth0 $* ${out[*]} >/dev/null 2>$tmp/td$i.err & "
    done
    # The shell ignores the group's SIGINT and waits for them (GNU time counts the CPU of waited
    # children only); tcpdump sets its own handler.
    echo "trap '' INT; ${script}wait; cat $tmp/td*.err >&2; rm -f $tmp/td*.err"
}

echo "${secs}s per run, $(nproc) cores"
printf '%-30s %10s %10s %8s %10s\n' run captured dropped cpu_s us/packet
for n in "${counts[@]}"; do
    tflags=()
    for ((i = 0; i < n; i++)); do tflags+=(-t "${targets[$i]}"); done
    for w in "${workloads[@]}"; do
        snap=()
        [ "$w" = tcp-s200 ] && snap=(-s 200)
        line="$w x$n: CPU per packet, nscap/tcpdump:"
        for m in "${modes[@]}"; do
            case $m in
            file) out=(-w "$tmp/out.pcap") ;;
            rotate) out=(-C 1 -W 3 -w "$tmp/out.pcap") ;;
            print) out=(-n) ;;
            esac
            run "$w.x$n.nscap-$m" "$w" "$n" "$nscap" "${tflags[@]}" -i eth0 "${snap[@]}" "${out[@]}"
            run "$w.x$n.tcpdump-$m" "$w" "$n" bash -c "$(tcpdumps "$n" "$m" "${snap[@]}")"
            row "$w.x$n.nscap-$m"
            row "$w.x$n.tcpdump-$m"
            goal=0.8
            [ "$m" = print ] && goal=0.25
            line+=" $m $(ratio "$w.x$n.nscap-$m" "$w.x$n.tcpdump-$m") (goal <= $goal)"
        done
        echo "$line"
    done
done
