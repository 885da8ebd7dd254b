#!/bin/bash
# `nscap list` with thousands of processes: NS namespaces of PER sleeping processes each, every
# namespace's processes in a Docker-named cgroup v2 scope, then three timed runs of `nscap list`
# and of `nscap list --json`, and of a completion of `-t` (the goal of issue 22: under 0.1 s
# with 200 containers: bench/list.sh 200 2). Everything is removed at exit. Run as root.
#   usage: bench/list.sh [NAMESPACES] [PROCESSES_PER_NAMESPACE]   (default 4 500)
set -euo pipefail
ns=${1:-4}; per=${2:-500}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
cargo build --release --locked -q
nscap="$here/target/release/nscap"
cg2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
top="$cg2/nscap-bench-$$"
leaders=()
cleanup() {
    for p in "${leaders[@]}"; do kill -9 -- "-$p" 2>/dev/null || true; done
    sleep 1
    if [ -d "$top" ]; then
        for d in $(find "$top" -depth -type d); do
            for p in $(cat "$d/cgroup.procs"); do echo "$p" > "$cg2/cgroup.procs" 2>/dev/null || true; done
            rmdir "$d" 2>/dev/null || true
        done
    fi
}
trap cleanup EXIT
for _ in $(seq "$ns"); do
    id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    d="$top/system.slice/docker-$id.scope"
    mkdir -p "$d"
    setsid sh -c "echo \$\$ > $d/cgroup.procs && exec unshare -n sh -c 'for j in \$(seq $per); do sleep 901 & done; wait'" \
        </dev/null >/dev/null 2>&1 &
    leaders+=($!)
done
want=$((ns * per))
for _ in $(seq 200); do
    [ "$(pgrep -c -f '^sleep 901$' || true)" -ge "$want" ] && break
    sleep 0.1
done
echo "processes on the host: $(ls /proc | grep -c '^[0-9]')"
"$nscap" list >/dev/null
for _ in 1 2 3; do /usr/bin/time -f "nscap list:        %e s, max RSS %M KiB" "$nscap" list >/dev/null; done
for _ in 1 2 3; do /usr/bin/time -f "nscap list --json: %e s, max RSS %M KiB" "$nscap" list --json >/dev/null; done
# What a shell's completion costs: `-t <TAB>` answered by the binary (COMPLETE=bash protocol),
# reading the host's state as `list` does.
complete_t() {
    COMPLETE=bash _CLAP_IFS=$'\013' _CLAP_COMPLETE_INDEX=2 _CLAP_COMPLETE_COMP_TYPE=9 \
        _CLAP_COMPLETE_SPACE=true "$nscap" -- nscap -t ""
}
echo "completion candidates for -t: $(complete_t | tr '\013' '\n' | grep -c .)"
for _ in 1 2 3; do /usr/bin/time -f "nscap -t <TAB>:    %e s, max RSS %M KiB" bash -c "$(declare -f complete_t); nscap=$nscap; complete_t" >/dev/null; done
