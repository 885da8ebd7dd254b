#!/bin/sh
# Starts containerd and dockerd when no init system did (CI containers, these VMs) and waits
# until each answers. Safe to run concurrently: one caller starts a daemon, the others wait.
set -eu
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=docker

# wait_for NAME LOG CHECK...: runs CHECK every half second for 30 s.
wait_for() {
    name=$1 log=$2
    shift 2
    i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -gt 60 ]; then
            echo "runtimes.sh: $name did not answer within 30 s; last lines of $log:" >&2
            tail -n 5 "$log" >&2 || true
            exit 1
        fi
        sleep 0.5
    done
}

exec 9>/run/nscap-runtimes.lock
# Bounded: a lock that is never released must fail the run, not hang it.
if ! flock -w 120 9; then
    echo "runtimes.sh: /run/nscap-runtimes.lock still held after 120 s by these processes" \
        "(a daemon started by an older runtimes.sh holds it: restart it):" >&2
    for fd in /proc/[0-9]*/fd/*; do
        pid=${fd#/proc/}
        pid=${pid%%/*}
        [ "$pid" != $$ ] && [ "$(readlink "$fd" 2>/dev/null)" = /run/nscap-runtimes.lock ] &&
            echo "  $pid $(cat "/proc/$pid/comm" 2>/dev/null)" >&2
    done
    exit 1
fi
# A daemon that is still starting (begun by someone else) makes a second one give up on its
# pid file or socket; either way, what answers is waited for.
# setsid: the daemons must outlive the test run that started them. 9>&-: they must not inherit
# the lock, or it stays held for as long as they live and every later caller waits for ever.
if ! ctr version >/dev/null 2>&1; then
    setsid containerd >/var/log/containerd.log 2>&1 </dev/null 9>&- &
    wait_for containerd /var/log/containerd.log ctr version
fi
if ! "$DOCKER" info >/dev/null 2>&1; then
    setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null 9>&- &
    wait_for dockerd /var/log/dockerd.log "$DOCKER" info
fi
