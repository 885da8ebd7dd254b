#!/bin/sh
# Builds the release artefacts into target/dist (or $DIST), from the static builds of
# scripts/static.sh, and prints that folder's path as its last line:
#   nscap-VERSION-x86_64-linux.tar.gz   the static binary, the kubectl-nscap link to it, its man
#                                       page, its completions, README
#   nscap-VERSION-aarch64-linux.tar.gz  the same for arm64 (64-bit ARM) machines
#   nscap_VERSION_amd64.deb             the same installed as Debian does (dpkg -i), with the
#   nscap_VERSION_arm64.deb             link that makes nscap one of Wireshark's extcap programs
#   SHA256SUMS                          for `sha256sum -c`
# The binaries are static (musl, libpcap linked in): the packages depend on nothing.
#   usage: scripts/release.sh
set -eu
cd "$(dirname "$0")/.."
# The artefacts' modes and times are fixed, whatever the caller's umask and clock: the tarballs
# and the packages are the same bytes each time they are made from the same sources.
umask 022
export SOURCE_DATE_EPOCH=0
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
# Not piped into tail: a failed build must end this script (set -e sees a command
# substitution's status, not a pipe's first command's).
out=$(sh scripts/static.sh x86_64)
bin=$(printf '%s\n' "$out" | tail -1)
out=$(sh scripts/static.sh aarch64)
arm_bin=$(printf '%s\n' "$out" | tail -1)
dist=${DIST:-$(pwd)/target/dist}
rm -rf "$dist"
mkdir -p "$dist"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The man page and the completions are the same text for both architectures (written by the
# same sources; only the binary's own path differs, and that is replaced): this machine's
# x86_64 binary writes them for both. tests/package.rs compares them with what the aarch64
# binary itself writes.
# The completion scripts call the binary by its installed path (they ask it for targets and
# interfaces as the user types): written by this build, then pointed at /usr/bin/nscap.
completions() {
    COMPLETE=$1 "$bin" | sed "s|$bin|/usr/bin/nscap|g"
}

# tarball ARCH BINARY
tarball() {
    name="nscap-$version-$1-linux"
    t="$stage/$name"
    mkdir -p "$t/completions"
    cp "$2" "$t/nscap"
    # Found on PATH as kubectl-nscap, nscap is the kubectl plugin `kubectl nscap`.
    ln -s nscap "$t/kubectl-nscap"
    "$bin" man >"$t/nscap.1"
    completions bash >"$t/completions/nscap.bash"
    completions zsh >"$t/completions/_nscap"
    completions fish >"$t/completions/nscap.fish"
    cp README.md "$t/"
    # Reproducible: the files' times and owners are not the build's.
    tar -C "$stage" --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name \
        --mode=u+rwX,go=rX -c "$name" |
        gzip -9n >"$dist/$name.tar.gz"
}

# deb DEBIAN-ARCH MULTIARCH-TRIPLET BINARY
deb() {
    d="$stage/deb-$1"
    extcap="usr/lib/$2/wireshark/extcap"
    install -D -m 0755 "$3" "$d/usr/bin/nscap"
    mkdir -p "$d/usr/share/man/man1" "$d/usr/share/bash-completion/completions" \
        "$d/usr/share/zsh/vendor-completions" "$d/usr/share/fish/vendor_completions.d" \
        "$d/usr/share/doc/nscap" "$d/$extcap" "$d/DEBIAN"
    "$bin" man | gzip -9n >"$d/usr/share/man/man1/nscap.1.gz"
    completions bash >"$d/usr/share/bash-completion/completions/nscap"
    completions zsh >"$d/usr/share/zsh/vendor-completions/_nscap"
    completions fish >"$d/usr/share/fish/vendor_completions.d/nscap.fish"
    gzip -9n <README.md >"$d/usr/share/doc/nscap/README.md.gz"
    printf 'nscap\nLicense: MIT OR Apache-2.0\n' >"$d/usr/share/doc/nscap/copyright"
    # Wireshark (Debian's) runs every program in its global extcap folder.
    ln -s /usr/bin/nscap "$d/$extcap/nscap"
    # The kubectl plugin `kubectl nscap` (kubectl finds kubectl-* programs on PATH).
    ln -s nscap "$d/usr/bin/kubectl-nscap"
    size=$(du -sk --exclude=DEBIAN "$d" | cut -f1)
    cat >"$d/DEBIAN/control" <<CONTROL
Package: nscap
Version: $version
Architecture: $1
Maintainer: nscap developers <nscap@localhost>
Section: net
Priority: optional
Installed-Size: $size
Suggests: wireshark | tshark, openssh-client
Description: capture packets inside a container's network namespace
 nscap enters a container's (or any) network namespace on a thread of its own,
 captures there with libpcap, and writes pcap or pcapng on the host, prints
 tcpdump-like summaries, streams to Wireshark, or merges several hosts over
 ssh into one capture, or pods across nodes through kubectl (kubectl nscap).
 It also behaves as nsenter(1) (nscap exec).
 The binary is static: it needs no library on the host.
CONTROL
    chmod -R u+rwX,go=rX "$d"
    find "$d" -exec touch -h -d @0 {} +
    dpkg-deb --root-owner-group -Zgzip --build "$d" "$dist/nscap_${version}_$1.deb" >/dev/null
}

tarball x86_64 "$bin"
tarball aarch64 "$arm_bin"
deb amd64 x86_64-linux-gnu "$bin"
deb arm64 aarch64-linux-gnu "$arm_bin"
(cd "$dist" && sha256sum "nscap-$version-x86_64-linux.tar.gz" "nscap-$version-aarch64-linux.tar.gz" \
    "nscap_${version}_amd64.deb" "nscap_${version}_arm64.deb" >SHA256SUMS)
echo "$dist"
