# Sourced by the bench scripts: builds nscap, then a throwaway target namespace "$ns" whose eth0
# (10.21X.0.2) faces a peer namespace "$peer" (10.21X.0.1), with an iperf3 server in the target
# ($target: its PID). Everything made here goes away on exit.
#   usage: . bench/lib.sh TAG SUBNET    (SUBNET: the third-from-last octet, e.g. 214)
tag="$1$$"; subnet=$2
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cargo build --release --locked -q
# NSCAP=PATH measures another build of nscap (an older one, to compare) in the same setting.
nscap="${NSCAP:-$here/target/release/nscap}"
tmp=$(mktemp -d)
ns="nscap-$tag"; peer="nscap-${tag}p"
pids=()
cleanup() {
    # Children first: a process started under GNU time or a shell would outlive its parent.
    for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    ip netns del "$peer" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$ns"; ip netns add "$peer"
ip link add "v$tag" netns "$peer" type veth peer name "t$tag" netns "$ns"
ip -n "$ns" link set "t$tag" name eth0
ip -n "$peer" addr add "10.$subnet.0.1/24" dev "v$tag"
ip -n "$ns" addr add "10.$subnet.0.2/24" dev eth0
for l in lo eth0; do ip -n "$ns" link set "$l" up; done
ip -n "$peer" link set "v$tag" up
ip netns exec "$ns" iperf3 -s -p 5201 >/dev/null 2>&1 &
server=$!; pids+=("$server"); sleep 0.5
target=$(pgrep -P "$server" -x iperf3 || echo "$server")
