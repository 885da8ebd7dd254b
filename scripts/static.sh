#!/bin/sh
# Builds a fully static x86_64 nscap: musl libc and libpcap linked in, no dynamic loader, so the
# one file runs on a node with no packages, in a distroless or busybox image, or in a node-debug
# pod. Prints the binary's path as its last line. Run as root on Debian (it may install the
# source of libpcap); results are cached under target/static, so a second run only asks cargo.
#
# Why this way:
# - musl, not glibc: a static glibc binary still wants glibc's own shared NSS modules at run time
#   and warns about getaddrinfo/getpwnam; musl links fully static by design, and Rust's
#   x86_64-unknown-linux-musl target produces a static-pie executable (no PT_INTERP).
# - libpcap built from Debian's source with musl-gcc, not Debian's libpcap.a: that archive is
#   compiled against glibc headers and its pkg-config static libs pull in dbus and systemd
#   (and libnl, libibverbs), none of which exist for musl. Built here with --disable-dbus
#   --disable-rdma --without-libnl --disable-usb --disable-bluetooth, it needs only the kernel's
#   own headers (linux-libc-dev, made visible to musl-gcc through a small include folder) and
#   loses only capture sources that nscap never opens (D-Bus, RDMA, USB, Bluetooth monitors).
#   Taking the source from the distribution keeps it the same libpcap the dynamic build uses,
#   with Debian's patches, and needs no download outside Debian's archive.
#
# Takes about 2.5 minutes from cold on 2 cores (libpcap ~20 s, nscap with its dependencies
# ~2 min); then seconds.
#
# Usage: scripts/static.sh
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
triple=x86_64-unknown-linux-musl
work=$target_dir/static
lib=$work/lib

need() {
    command -v "$1" >/dev/null 2>&1 && return
    echo "static: no $1 on PATH: run scripts/setup.sh first (it installs $2)" >&2
    exit 1
}
need musl-gcc musl-tools
need rustup rustup
if ! rustup target list --installed | grep -qx $triple; then
    echo "static: adding the Rust target $triple" >&2
    rustup target add $triple >&2
fi

if [ ! -f "$lib/libpcap.a" ] || [ ! -f "$lib/VERSION" ]; then
    need flex flex
    need bison bison
    need dpkg-source dpkg-dev
    mkdir -p "$work/src"
    src=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'libpcap-*' | head -n 1)
    if [ -z "$src" ]; then
        # apt-get source wants a deb-src entry; Debian's default images carry only deb ones.
        if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
            echo "static: adding deb-src entries to apt's sources (for libpcap's source)" >&2
            sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
                >/etc/apt/sources.list.d/nscap-deb-src.sources
            apt-get update -qq >&2
        fi
        (cd "$work/src" && apt-get source -qq libpcap >&2)
        src=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'libpcap-*' | head -n 1)
    fi
    # musl-gcc searches only musl's headers; libpcap needs the kernel's (linux/, asm/), which
    # are libc-neutral. Pointing it at /usr/include wholesale would mix in glibc's.
    headers=$work/kernel-headers
    mkdir -p "$headers"
    ln -sfn /usr/include/linux "$headers/linux"
    ln -sfn /usr/include/asm-generic "$headers/asm-generic"
    ln -sfn /usr/include/x86_64-linux-gnu/asm "$headers/asm"
    echo "static: building $(basename "$src") with musl-gcc" >&2
    (
        cd "$src"
        [ ! -f Makefile ] || make distclean >/dev/null 2>&1 || true
        CC="musl-gcc -isystem $headers" ./configure --disable-shared \
            --disable-dbus --disable-rdma --without-libnl --disable-usb --disable-bluetooth \
            --disable-netmap --disable-remote --without-dpdk \
            --without-dag --without-septel --without-snf --without-turbocap >"$work/configure.log" 2>&1 ||
            { echo "static: libpcap's configure failed: see $work/configure.log" >&2; exit 1; }
        make -j"$(nproc)" libpcap.a >"$work/make.log" 2>&1 ||
            { echo "static: libpcap's build failed: see $work/make.log" >&2; exit 1; }
    )
    mkdir -p "$lib"
    cp "$src/libpcap.a" "$lib/libpcap.a"
    # The pcap crate's build script would dlopen libpcap.so to learn the version, which a static
    # archive cannot answer; it takes LIBPCAP_VER instead.
    cat "$src/VERSION" >"$lib/VERSION"
fi

# Only libpcap.a lives in $lib, so the linker cannot pick the host's (glibc) libpcap.so.
LIBPCAP_LIBDIR=$lib LIBPCAP_VER=$(cat "$lib/VERSION") \
    cargo build --release --locked --quiet --target $triple --bin nscap >&2
bin=$target_dir/$triple/release/nscap
if file "$bin" | grep -q 'dynamically linked'; then
    echo "static: $bin is dynamically linked" >&2
    exit 1
fi
echo "$bin"
