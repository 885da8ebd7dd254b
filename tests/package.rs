//! scripts/release.sh: the release tarball and the Debian package, checked as users meet them.
//! The package is installed and removed with the real dpkg, in a root of its own (`dpkg
//! --root`), so the test neither needs nor touches the machine's own /usr.
mod common;
use common::*;

use std::path::Path;
use std::process::Command;

#[test]
fn release_artefacts_install_run_and_remove() {
    let d = TempDir::new();
    let dist = d.file("dist");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/release.sh");
    let out = ok_stdout(Command::new("sh").arg(script).env("DIST", &dist));
    assert_eq!(out.lines().last(), Some(dist.as_str()));
    let version = env!("CARGO_PKG_VERSION");

    // The sums check; and the tarball is the same, byte for byte, when made again.
    ok_stdout(
        Command::new("sha256sum")
            .args(["-c", "SHA256SUMS"])
            .current_dir(&dist),
    );
    let again = d.file("again");
    ok_stdout(Command::new("sh").arg(script).env("DIST", &again));
    for made in [
        format!("nscap-{version}-x86_64-linux.tar.gz"),
        format!("nscap_{version}_amd64.deb"),
    ] {
        assert!(
            std::fs::read(format!("{dist}/{made}")).unwrap()
                == std::fs::read(format!("{again}/{made}")).unwrap(),
            "{made} differs when made again"
        );
    }

    // The tarball: the static binary runs, with its man page and completions beside it.
    let x = d.file("x");
    std::fs::create_dir(&x).unwrap();
    let tarball = format!("{dist}/nscap-{version}-x86_64-linux.tar.gz");
    ok_stdout(Command::new("tar").args(["-C", &x, "-xzf", &tarball]));
    let top = format!("{x}/nscap-{version}-x86_64-linux");
    for f in [
        "nscap",
        "nscap.1",
        "README.md",
        "completions/nscap.bash",
        "completions/_nscap",
    ] {
        assert!(Path::new(&format!("{top}/{f}")).exists(), "{f} missing");
    }
    let v = ok_stdout(Command::new(format!("{top}/nscap")).arg("--version"));
    assert!(v.starts_with(&format!("nscap {version}")), "{v}");
    let bash = std::fs::read_to_string(format!("{top}/completions/nscap.bash")).unwrap();
    assert!(bash.contains("\"/usr/bin/nscap\""), "{bash}");

    // The package, in a root of its own.
    let deb = format!("{dist}/nscap_{version}_amd64.deb");
    let info = ok_stdout(Command::new("dpkg-deb").args(["-f", &deb, "Package", "Version"]));
    assert_eq!(info, format!("Package: nscap\nVersion: {version}\n"));
    let root = d.file("root");
    sh(&format!(
        "mkdir -p {root}/var/lib/dpkg/info {root}/var/lib/dpkg/updates && touch {root}/var/lib/dpkg/status"
    ));
    let dpkg = |args: &[&str]| {
        let mut c = Command::new("dpkg");
        c.arg(format!("--root={root}"))
            .args(["--force-script-chrootless", "--force-not-root"])
            .args(args);
        ok_stdout(&mut c)
    };
    dpkg(&["-i", &deb]);
    let installed = format!("{root}/usr/bin/nscap");
    let v = ok_stdout(Command::new(&installed).arg("--version"));
    assert!(v.starts_with(&format!("nscap {version}")), "{v}");
    // Fully static: it runs where no library is.
    let file = ok_stdout(Command::new("file").arg(&installed));
    assert!(file.contains("static"), "{file}");
    for f in [
        "usr/share/man/man1/nscap.1.gz",
        "usr/share/bash-completion/completions/nscap",
        "usr/share/zsh/vendor-completions/_nscap",
        "usr/share/fish/vendor_completions.d/nscap.fish",
        "usr/share/doc/nscap/copyright",
    ] {
        assert!(
            Path::new(&format!("{root}/{f}")).exists(),
            "{f} not installed"
        );
    }
    let link = std::fs::read_link(format!(
        "{root}/usr/lib/x86_64-linux-gnu/wireshark/extcap/nscap"
    ))
    .unwrap();
    assert_eq!(link, Path::new("/usr/bin/nscap"));
    let status = dpkg(&["-s", "nscap"]);
    assert!(status.contains("Status: install ok installed"), "{status}");
    // The binary answers Wireshark's call through that link's name as it does by its own.
    let ifs = ok_stdout(Command::new(&installed).arg("--extcap-interfaces"));
    assert!(ifs.starts_with("extcap {version="), "{ifs}");

    dpkg(&["-r", "nscap"]);
    assert!(
        !Path::new(&installed).exists(),
        "removed, yet /usr/bin/nscap is there"
    );
    assert!(!Path::new(&format!("{root}/usr/share/man/man1/nscap.1.gz")).exists());
}
