#!/bin/sh
# Builds a fully static nscap for x86_64 (the default) or aarch64: musl libc and libpcap linked
# in, no dynamic loader, so the one file runs on a node with no packages, in a distroless or
# busybox image, or in a node-debug pod. Prints the binary's path as its last line. Run as root
# on Debian (it may install the source of libpcap); results are cached under target/static
# (x86_64) and target/static-aarch64, so a second run only asks cargo.
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
# - aarch64: the same libpcap source and options, compiled by `zig cc -target aarch64-linux-musl`
#   (zig from PyPI's ziglang, installed by scripts/setup.sh). One self-contained download is a
#   whole cross C compiler with musl's headers and the kernel's headers for aarch64; Debian's
#   cross gcc targets glibc, and musl-gcc only the host. zig's own `ar` and `ranlib` write the
#   archive: the host's binutils do not read aarch64 objects to index them. Rust links with its
#   bundled rust-lld and its self-contained musl (crt objects and libc.a of the Rust target), so
#   zig is needed for libpcap alone and the link needs no cross gcc. Rust's aarch64 musl target
#   offers no static-pie: the result is a plain static executable (ELF type EXEC, no PT_INTERP
#   either), whatever the linker. Its own cache folder, so objects of the two architectures
#   never mix.
#
# Takes about 2.5 minutes from cold on 2 cores (libpcap ~20 s, nscap with its dependencies
# ~2 min); then seconds. The aarch64 build: 2 to 3 minutes, libpcap ~1 min of it (zig builds
# its aarch64 musl once, for configure's link checks; cached in target/static-aarch64/zig-cache).
#
# Usage: scripts/static.sh [x86_64|aarch64]
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
arch=${1:-x86_64}
case $arch in
x86_64)
    triple=x86_64-unknown-linux-musl
    work=$target_dir/static
    machine=x86-64
    ;;
aarch64)
    triple=aarch64-unknown-linux-musl
    work=$target_dir/static-aarch64
    machine='ARM aarch64'
    ;;
*)
    echo "usage: scripts/static.sh [x86_64|aarch64]" >&2
    exit 2
    ;;
esac
lib=$work/lib

need() {
    command -v "$1" >/dev/null 2>&1 && return
    echo "static: no $1 on PATH: run scripts/setup.sh first (it installs $2)" >&2
    exit 1
}
need rustup rustup
need file file
if [ $arch = x86_64 ]; then
    need musl-gcc musl-tools
else
    # Where scripts/setup.sh puts PyPI's ziglang (pip install --target); NSCAP_ZIG names another.
    zig=${NSCAP_ZIG:-/usr/local/lib/nscap-zig/ziglang/zig}
    if [ ! -x "$zig" ]; then
        echo "static: no zig at $zig: run scripts/setup.sh first (it installs ziglang from PyPI)" >&2
        exit 1
    fi
fi
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
    if [ $arch = x86_64 ]; then
        # musl-gcc searches only musl's headers; libpcap needs the kernel's (linux/, asm/), which
        # are libc-neutral. Pointing it at /usr/include wholesale would mix in glibc's.
        headers=$work/kernel-headers
        mkdir -p "$headers"
        ln -sfn /usr/include/linux "$headers/linux"
        ln -sfn /usr/include/asm-generic "$headers/asm-generic"
        ln -sfn /usr/include/x86_64-linux-gnu/asm "$headers/asm"
        cc="musl-gcc -isystem $headers"
        cross=""
        compiler=musl-gcc
    else
        # zig cc brings musl's and the kernel's headers for its target (asm/ of aarch64, not the
        # host's x86_64 ones). Small scripts rather than "zig cc -target ..." in CC: libtool and
        # configure's checks split and re-quote CC. zig's cache stays in this folder, not $HOME.
        # configure takes it for a gcc (it is clang) and gives it gcc's "-g -O2", as musl-gcc.
        mkdir -p "$work/bin"
        for tool in cc ar ranlib; do
            flags=""
            [ $tool != cc ] || flags="-target aarch64-linux-musl"
            printf '#!/bin/sh\nZIG_GLOBAL_CACHE_DIR=%s ZIG_LOCAL_CACHE_DIR=%s exec %s %s %s "$@"\n' \
                "$work/zig-cache" "$work/zig-cache" "$zig" $tool "$flags" >"$work/bin/$tool"
            chmod +x "$work/bin/$tool"
        done
        cc=$work/bin/cc
        cross="--host=aarch64-linux-musl AR=$work/bin/ar RANLIB=$work/bin/ranlib"
        compiler="zig cc $("$zig" version) (aarch64-linux-musl)"
    fi
    echo "static: building $(basename "$src") with $compiler" >&2
    (
        cd "$src"
        [ ! -f Makefile ] || make distclean >/dev/null 2>&1 || true
        # $cross is empty or whole words without spaces: split on purpose.
        # shellcheck disable=SC2086
        CC="$cc" ./configure $cross --disable-shared \
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
# rust-lld is found in the toolchain's own folder; it is the linker for aarch64 only (x86_64
# keeps the host's cc, as before).
LIBPCAP_LIBDIR=$lib LIBPCAP_VER=$(cat "$lib/VERSION") \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
    cargo build --release --locked --quiet --target $triple --bin nscap >&2
bin=$target_dir/$triple/release/nscap
info=$(file -b "$bin")
case $info in
*"dynamically linked"*)
    echo "static: $bin is dynamically linked" >&2
    exit 1
    ;;
*"$machine"*) ;;
*)
    echo "static: $bin is not a $machine binary: $info" >&2
    exit 1
    ;;
esac
echo "$bin"
