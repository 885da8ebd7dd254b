//! scripts/release.sh: the release tarballs and the Debian packages, checked as users meet them
//! (the aarch64 ones under qemu-aarch64-static).
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
    let made = [
        format!("nscap-{version}-x86_64-linux.tar.gz"),
        format!("nscap-{version}-aarch64-linux.tar.gz"),
        format!("nscap_{version}_amd64.deb"),
        format!("nscap_{version}_arm64.deb"),
    ];
    // Every artefact is in the sums, and nothing else is.
    let sums = std::fs::read_to_string(format!("{dist}/SHA256SUMS")).unwrap();
    let mut summed: Vec<&str> = sums
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    summed.sort_unstable();
    let mut want: Vec<&str> = made.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(summed, want, "{sums}");
    for made in &made {
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

    // The aarch64 tarball: the same layout and texts around a static ARM binary, which runs
    // under qemu-user and writes those texts itself as the x86_64 binary wrote them.
    let arm_top = format!("{x}/nscap-{version}-aarch64-linux");
    let arm_tarball = format!("{dist}/nscap-{version}-aarch64-linux.tar.gz");
    ok_stdout(Command::new("tar").args(["-C", &x, "-xzf", &arm_tarball]));
    let list = |top: &str| {
        let l = ok_stdout(Command::new("find").arg(".").current_dir(top));
        let mut l: Vec<String> = l.lines().map(String::from).collect();
        l.sort();
        l
    };
    assert_eq!(list(&arm_top), list(&top));
    let arm_bin = format!("{arm_top}/nscap");
    let file = ok_stdout(Command::new("file").args(["-b", &arm_bin]));
    assert!(
        file.contains("ARM aarch64") && file.contains("static"),
        "{file}"
    );
    let qemu = |env: Option<&str>, args: &[&str]| {
        let mut c = Command::new("qemu-aarch64-static");
        c.arg(&arm_bin).args(args);
        if let Some(shell) = env {
            c.env("COMPLETE", shell);
        }
        ok_stdout(&mut c)
    };
    let v = qemu(None, &["--version"]);
    assert!(v.starts_with(&format!("nscap {version}\n")), "{v}");
    let read = |f: &str| std::fs::read_to_string(format!("{arm_top}/{f}")).unwrap();
    assert_eq!(read("nscap.1"), qemu(None, &["man"]));
    for (shell, f) in [
        ("bash", "completions/nscap.bash"),
        ("zsh", "completions/_nscap"),
        ("fish", "completions/nscap.fish"),
    ] {
        let own = qemu(Some(shell), &[]).replace(&arm_bin, "/usr/bin/nscap");
        assert_eq!(read(f), own, "{f} is not what the aarch64 binary writes");
        assert_eq!(
            read(f),
            std::fs::read_to_string(format!("{top}/{f}")).unwrap()
        );
    }

    // The arm64 package: the aarch64 binary, Debian's arm64 extcap folder, the same files.
    let arm_deb = format!("{dist}/nscap_{version}_arm64.deb");
    let info =
        ok_stdout(Command::new("dpkg-deb").args(["-f", &arm_deb, "Package", "Architecture"]));
    assert_eq!(info, "Package: nscap\nArchitecture: arm64\n");
    let contents = |deb: &str| {
        let c = ok_stdout(Command::new("dpkg-deb").args(["-c", deb]));
        // Modes, owners and names (the binaries' sizes differ); the x86_64 folder named as
        // the arm64 one is.
        let mut c: Vec<String> = c
            .lines()
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                format!("{} {} {}", w[0], w[1], w[5..].join(" "))
                    .replace("x86_64-linux-gnu", "aarch64-linux-gnu")
            })
            .collect();
        c.sort();
        c
    };
    let arm_contents = contents(&arm_deb);
    assert!(
        arm_contents
            .iter()
            .any(|l| l
                .ends_with("./usr/lib/aarch64-linux-gnu/wireshark/extcap/nscap -> /usr/bin/nscap")),
        "{arm_contents:?}"
    );
    assert_eq!(
        arm_contents,
        contents(&format!("{dist}/nscap_{version}_amd64.deb"))
    );
    let unpacked = d.file("arm-deb");
    ok_stdout(Command::new("dpkg-deb").args(["-x", &arm_deb, &unpacked]));
    assert!(
        std::fs::read(format!("{unpacked}/usr/bin/nscap")).unwrap()
            == std::fs::read(&arm_bin).unwrap(),
        "the arm64 package's nscap is not the aarch64 tarball's"
    );

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
    // The kubectl plugin: the installed nscap under kubectl's plugin name.
    let plugin = format!("{root}/usr/bin/kubectl-nscap");
    assert_eq!(std::fs::read_link(&plugin).unwrap(), Path::new("nscap"));
    let help = ok_stdout(Command::new(&plugin).arg("--help"));
    assert!(help.starts_with("usage: kubectl nscap"), "{help}");
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
    assert!(
        std::fs::symlink_metadata(&plugin).is_err(),
        "kubectl-nscap left"
    );
}
