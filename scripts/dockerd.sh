#!/bin/sh
# Starts dockerd when no init system did (CI containers, these VMs) and waits until it answers.
# Safe to run concurrently: one caller starts it, the others wait for the same daemon.
set -eu
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=docker
if "$DOCKER" info >/dev/null 2>&1; then
    exit 0
fi
exec 9>/run/nscap-dockerd.lock
flock 9
if ! "$DOCKER" info >/dev/null 2>&1 && ! pgrep -x dockerd >/dev/null; then
    # setsid: the daemon must outlive the test run that started it.
    setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null &
fi
i=0
while ! "$DOCKER" info >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 60 ]; then
        echo "dockerd.sh: dockerd did not answer within 30 s; last lines of /var/log/dockerd.log:" >&2
        tail -n 5 /var/log/dockerd.log >&2 || true
        exit 1
    fi
    sleep 0.5
done
