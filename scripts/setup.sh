#!/bin/sh
# Installs what nscap's build, example and tests need on Debian, then builds it. Run as root.
set -eu
cd "$(dirname "$0")/.."
PKGS="libpcap-dev pkg-config gcc tshark tcpdump iproute2 iputils-ping iperf3 util-linux procps time jq"
# For scripts/static.sh: musl's compiler, libpcap's grammar tools, apt-get source, and `file`.
PKGS="$PKGS musl-tools flex bison dpkg-dev file"
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
if command -v rustup >/dev/null 2>&1 &&
    ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
    echo "setup: adding the Rust target x86_64-unknown-linux-musl (for scripts/static.sh)" >&2
    rustup target add x86_64-unknown-linux-musl >&2
fi
cargo build --release --locked -q
