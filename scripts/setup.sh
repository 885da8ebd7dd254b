#!/bin/sh
# Installs what nscap's build, example and tests need on Debian, then builds it. Run as root.
set -eu
cd "$(dirname "$0")/.."
# docker.io (with containerd), podman, runc and busybox-static: tests/runtimes.rs runs real
# containers from a busybox image built here.
PKGS="libpcap-dev pkg-config gcc tshark tcpdump iproute2 iputils-ping iperf3 util-linux procps time jq
      docker.io podman runc busybox-static"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # tshark asks whether non-root users may capture; the default answer is fine.
    apt-get install -y -qq $missing >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: no cargo on PATH: install a Rust toolchain (1.85 or newer) first" >&2
    exit 1
fi
# No init system in CI containers: start containerd and dockerd unless something already did.
sh scripts/runtimes.sh
cargo build --release --locked -q
