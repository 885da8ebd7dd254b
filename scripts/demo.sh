#!/bin/sh
# The main job on a built-in example: a throwaway "container" (a network namespace with a
# sleeping process), traffic into it, and nscap capturing inside it from the host.
# Leaves nscap-demo.pcap in the current directory. Run as root.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
sh "$here/scripts/setup.sh"
nscap="$here/target/release/nscap"
out="$(pwd)/nscap-demo.pcap"

tag="d$$"
ns="nscap-$tag" peer="nscap-${tag}p"
target_pid="" traffic_pid=""
cleanup() {
    [ -n "$traffic_pid" ] && kill "$traffic_pid" 2>/dev/null || true
    [ -n "$target_pid" ] && kill "$target_pid" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    ip netns del "$peer" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip netns add "$ns"
ip netns add "$peer"
ip link add "v$tag" netns "$peer" type veth peer name "t$tag" netns "$ns"
ip -n "$ns" link set "t$tag" name eth0
ip -n "$peer" addr add 10.213.0.1/24 dev "v$tag"
ip -n "$ns" addr add 10.213.0.2/24 dev eth0
ip -n "$ns" link set lo up
ip -n "$ns" link set eth0 up
ip -n "$peer" link set "v$tag" up

# The "container": a process living in the namespace, known to nscap only by its PID.
ip netns exec "$ns" sleep 600 &
target_pid=$!
sleep 0.2

# Traffic: pings and a few UDP datagrams from the peer.
ip netns exec "$peer" bash -c '
    while :; do
        ping -q -c 1 -W 1 10.213.0.2 >/dev/null 2>&1
        echo hello 2>/dev/null >/dev/udp/10.213.0.2/9999 || true
        sleep 0.2
    done' &
traffic_pid=$!

echo "== nscap -t $target_pid -D   (the target's interfaces)"
"$nscap" -t "$target_pid" -D
echo
echo "== nscap -t $target_pid -i eth0 -c 12 -w $out --print"
"$nscap" -t "$target_pid" -i eth0 -c 12 -w "$out" --print
echo
echo "== nscap -r $out icmp"
"$nscap" -r "$out" icmp
echo
echo "capture left in $out"
