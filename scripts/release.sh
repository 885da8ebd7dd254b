#!/bin/sh
# Builds the release artefacts into target/dist (or $DIST), from the static build of
# scripts/static.sh, and prints that folder's path as its last line:
#   nscap-VERSION-x86_64-linux.tar.gz   the static binary, its man page, its completions, README
#   nscap_VERSION_amd64.deb             the same installed as Debian does (dpkg -i), with the
#                                       link that makes nscap one of Wireshark's extcap programs
#   SHA256SUMS                          for `sha256sum -c`
# The binary is static (musl, libpcap linked in): the package depends on nothing.
#   usage: scripts/release.sh
set -eu
cd "$(dirname "$0")/.."
# The artefacts' modes and times are fixed, whatever the caller's umask and clock: the tarball
# and the package are the same bytes each time they are made from the same sources.
umask 022
export SOURCE_DATE_EPOCH=0
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
bin=$(sh scripts/static.sh | tail -1)
dist=${DIST:-$(pwd)/target/dist}
rm -rf "$dist"
mkdir -p "$dist"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The completion scripts call the binary by its installed path (they ask it for targets and
# interfaces as the user types): written by this build, then pointed at /usr/bin/nscap.
completions() {
    COMPLETE=$1 "$bin" | sed "s|$bin|/usr/bin/nscap|g"
}

name="nscap-$version-x86_64-linux"
t="$stage/$name"
mkdir -p "$t/completions"
cp "$bin" "$t/nscap"
"$bin" man >"$t/nscap.1"
completions bash >"$t/completions/nscap.bash"
completions zsh >"$t/completions/_nscap"
completions fish >"$t/completions/nscap.fish"
cp README.md "$t/"
# Reproducible: the files' times and owners are not the build's.
tar -C "$stage" --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name \
    --mode=u+rwX,go=rX -c "$name" |
    gzip -9n >"$dist/$name.tar.gz"

d="$stage/deb"
install -D -m 0755 "$bin" "$d/usr/bin/nscap"
mkdir -p "$d/usr/share/man/man1" "$d/usr/share/bash-completion/completions" \
    "$d/usr/share/zsh/vendor-completions" "$d/usr/share/fish/vendor_completions.d" \
    "$d/usr/share/doc/nscap" "$d/usr/lib/x86_64-linux-gnu/wireshark/extcap" "$d/DEBIAN"
"$bin" man | gzip -9n >"$d/usr/share/man/man1/nscap.1.gz"
completions bash >"$d/usr/share/bash-completion/completions/nscap"
completions zsh >"$d/usr/share/zsh/vendor-completions/_nscap"
completions fish >"$d/usr/share/fish/vendor_completions.d/nscap.fish"
gzip -9n <README.md >"$d/usr/share/doc/nscap/README.md.gz"
printf 'nscap\nLicense: MIT OR Apache-2.0\n' >"$d/usr/share/doc/nscap/copyright"
# Wireshark (Debian's) runs every program in its global extcap folder.
ln -s /usr/bin/nscap "$d/usr/lib/x86_64-linux-gnu/wireshark/extcap/nscap"
size=$(du -sk --exclude=DEBIAN "$d" | cut -f1)
cat >"$d/DEBIAN/control" <<EOF
Package: nscap
Version: $version
Architecture: amd64
Maintainer: nscap developers <nscap@localhost>
Section: net
Priority: optional
Installed-Size: $size
Suggests: wireshark | tshark, openssh-client
Description: capture packets inside a container's network namespace
 nscap enters a container's (or any) network namespace on a thread of its own,
 captures there with libpcap, and writes pcap or pcapng on the host, prints
 tcpdump-like summaries, streams to Wireshark, or merges several hosts over
 ssh into one capture. It also behaves as nsenter(1) (nscap exec).
 The binary is static: it needs no library on the host.
EOF
chmod -R u+rwX,go=rX "$d"
find "$d" -exec touch -h -d @0 {} +
dpkg-deb --root-owner-group -Zgzip --build "$d" "$dist/nscap_${version}_amd64.deb" >/dev/null
(cd "$dist" && sha256sum "$name.tar.gz" "nscap_${version}_amd64.deb" >SHA256SUMS)
echo "$dist"
