//! `--upload`: a static nscap sent to each host over its own channel (ssh, or `kubectl exec`),
//! for hosts that have none. The remote side is a small `sh` script: a private directory
//! (`mktemp -d`); the host's `uname -m` told on standard output; the build for that machine
//! read from standard input (exactly its size, announced in a line before it), its SHA-256 and
//! its version checked, then run; the directory is removed when the script ends, however
//! nscap ended. After the binary, the same standard input is nscap's: its end stops the
//! capture (see `--remote-stream`). Several builds (one per machine kind) may be given: each
//! host gets the one that runs there.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use sha2::{Digest, Sha256};

use crate::error::os_message;

/// The builds to send, each read once, and what the hosts check them against.
#[derive(Debug, Clone)]
pub struct Upload {
    builds: Vec<Build>,
}

#[derive(Debug, Clone)]
struct Build {
    bytes: Arc<Vec<u8>>,
    sha256: String,
    /// `uname -m` of the machines it runs on.
    arch: &'static str,
}

/// The line the script writes first: `nscap-upload MACHINE`.
const HELLO: &str = "nscap-upload ";

/// What an ELF file is for, and whether it needs a dynamic loader (`PT_INTERP`).
fn elf(bytes: &[u8]) -> Option<(&'static str, bool)> {
    if bytes.get(..5)? != b"\x7fELF\x02" || bytes.get(5) != Some(&1) {
        return None; // only 64-bit little-endian ELF is built
    }
    let u16_at = |o: usize| Some(u16::from_le_bytes(bytes.get(o..o + 2)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(bytes.get(o..o + 8)?.try_into().ok()?));
    let arch = match u16_at(18)? {
        62 => "x86_64",
        183 => "aarch64",
        _ => return None,
    };
    let (phoff, phentsize, phnum) = (
        usize::try_from(u64_at(32)?).ok()?,
        usize::from(u16_at(54)?),
        usize::from(u16_at(56)?),
    );
    let mut dynamic = false;
    for i in 0..phnum {
        let at = phoff.checked_add(i.checked_mul(phentsize)?)?;
        let kind = u32::from_le_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?);
        dynamic |= kind == 3; // PT_INTERP
    }
    Some((arch, !dynamic))
}

impl Upload {
    /// `--upload` (this nscap, when it is static: `None`) and each `--upload=FILE`: read,
    /// checked to be static nscap builds, one per machine kind.
    pub fn prepare(files: &[Option<PathBuf>]) -> Result<Upload> {
        let mut builds: Vec<Build> = Vec::new();
        for file in files {
            let b = Build::read(file.as_deref())?;
            if builds.iter().any(|o| o.arch == b.arch) {
                bail!(
                    "--upload: two builds for {} given: give one per machine kind",
                    b.arch
                );
            }
            builds.push(b);
        }
        if builds.is_empty() {
            builds.push(Build::read(None)?);
        }
        Ok(Upload { builds })
    }

    /// The machine kinds the builds are for: `x86_64, aarch64`.
    fn machines(&self) -> String {
        let v: Vec<&str> = self.builds.iter().map(|b| b.arch).collect();
        v.join(", ")
    }

    /// The script a host runs: the upload, then nscap with its arguments (`args`, quoted
    /// already, each after a space). Given to `sh -c`.
    pub fn script(&self, args: &[u8]) -> Vec<u8> {
        let mine = concat!("nscap ", env!("CARGO_PKG_VERSION"));
        let mut script = format!(
            "d=$(mktemp -d \"${{TMPDIR:-/tmp}}/nscap.XXXXXX\") || exit 1\n\
             trap 'rm -rf \"$d\"' EXIT\n\
             trap 'exit 1' HUP INT TERM\n\
             echo \"{HELLO}$(uname -m)\"\n\
             read -r size sum || exit 1\n\
             [ \"$size\" -gt 0 ] 2>/dev/null || exit 1\n\
             head -c \"$size\" >\"$d/nscap\"\n\
             [ \"$(sha256sum \"$d/nscap\" | cut -d ' ' -f 1)\" = \"$sum\" ] || \
             {{ echo 'nscap: the upload arrived damaged (its SHA-256 differs)' >&2; exit 1; }}\n\
             chmod 700 \"$d/nscap\"\n\
             v=$(\"$d/nscap\" --version 2>&1 | head -n 1)\n\
             [ \"$v\" = '{mine}' ] || \
             {{ echo \"nscap: the upload for $(uname -m) says '$v', not '{mine}'\" >&2; exit 1; }}\n\
             \"$d/nscap\"",
        )
        .into_bytes();
        script.extend_from_slice(args);
        script.push(b'\n');
        script
    }

    /// The command line an ssh host runs: [`Upload::script`] as one quoted `sh -c` word,
    /// whatever the login shell.
    pub fn command(&self, args: &[u8]) -> Vec<u8> {
        [b"sh -c ".as_slice(), &super::sh_word(&self.script(args))].concat()
    }

    /// Reads the host's first line (its machine) from `out`, then sends the build for it down
    /// `to` (a copy of the channel's standard input), or tells it none fits. `Err(None)`: the
    /// channel ended before the script spoke (what ssh or the host said on standard error
    /// tells why); `Err(Some(line))`: why this host gets no nscap.
    pub fn deliver(&self, out: &mut impl Read, to: OwnedFd) -> Result<(), Option<String>> {
        // Byte by byte, to the end of the line and no further: what follows is the stream.
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        loop {
            match out.read(&mut b) {
                Ok(0) => return Err(None),
                Ok(_) if b[0] == b'\n' => break,
                Ok(_) if line.len() < 80 => line.push(b[0]),
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(None),
            }
        }
        let line = String::from_utf8_lossy(&line);
        let Some(machine) = line.strip_prefix(HELLO) else {
            return Err(Some(format!(
                "the host answered the upload with '{}', not its machine",
                crate::escape::text(&line)
            )));
        };
        let mut to = std::fs::File::from(to);
        let Some(build) = self.builds.iter().find(|b| b.arch == machine) else {
            let _ = to.write_all(b"0 -\n");
            return Err(Some(format!(
                "this host is {}; --upload has builds for {} only",
                crate::escape::text(machine),
                self.machines()
            )));
        };
        let head = format!("{} {}\n", build.bytes.len(), build.sha256);
        // A host that stops reading (it failed) only ends the copy: it says why itself.
        let _ = to
            .write_all(head.as_bytes())
            .and_then(|()| to.write_all(&build.bytes));
        Ok(())
    }
}

impl Build {
    /// FILE, or this nscap (`None`), read and checked.
    fn read(file: Option<&Path>) -> Result<Build> {
        let path = match file {
            Some(f) => f.to_path_buf(),
            None => std::env::current_exe()
                .map_err(|e| anyhow!("--upload: cannot find this nscap: {}", os_message(&e)))?,
        };
        let bytes = std::fs::read(&path).map_err(|e| {
            anyhow!(
                "--upload: cannot read {}: {}",
                path.display(),
                os_message(&e)
            )
        })?;
        let Some((arch, fixed)) = elf(&bytes) else {
            bail!(
                "--upload: {} is not an x86_64 or aarch64 program",
                path.display()
            );
        };
        if !fixed {
            match file {
                None => bail!("--upload: this nscap is dynamically linked and would not run on a host without its libraries; give --upload=FILE, a static build (scripts/static.sh prints its path)"),
                Some(_) => bail!("--upload: {} is dynamically linked; give a static build (scripts/static.sh prints its path)", path.display()),
            }
        }
        if file.is_some() && arch == std::env::consts::ARCH {
            // Its version, asked of it here when it runs here (a host asks the others'): the
            // hosts must speak this nscap's stream.
            let out = std::process::Command::new(&path)
                .arg("--version")
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| {
                    anyhow!(
                        "--upload: cannot run {}: {}",
                        path.display(),
                        os_message(&e)
                    )
                })?;
            let said = String::from_utf8_lossy(&out.stdout);
            let first = said.lines().next().unwrap_or("");
            let mine = concat!("nscap ", env!("CARGO_PKG_VERSION"));
            if first != mine {
                bail!(
                    "--upload: {} is {}, this is {mine}: give a static build of this version",
                    path.display(),
                    crate::escape::text(if first.is_empty() { "not nscap" } else { first })
                );
            }
        }
        let sha256 = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Build {
            bytes: Arc::new(bytes),
            sha256,
            arch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn elf_says_arch_and_linking() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let (arch, _) = elf(&me).unwrap();
        assert_eq!(arch, std::env::consts::ARCH);
        // The test binary is linked dynamically (glibc); /bin/sh too.
        let sh = std::fs::read("/bin/sh").unwrap();
        assert_eq!(elf(&sh).map(|e| e.1), Some(false));
        assert!(elf(b"#!/bin/sh\n").is_none());
        assert!(elf(b"\x7fELF\x02\x01").is_none());
    }

    fn build(arch: &'static str, bytes: &[u8]) -> Build {
        Build {
            bytes: Arc::new(bytes.to_vec()),
            sha256: "ab".repeat(32),
            arch,
        }
    }

    /// What `deliver` sends down a pipe for the host's first line, and what it says.
    fn delivered(u: &Upload, said: &[u8]) -> (Result<(), Option<String>>, Vec<u8>, Vec<u8>) {
        let (r, w) = nix::unistd::pipe().unwrap();
        let mut out = std::io::Cursor::new(said.to_vec());
        let res = u.deliver(&mut out, w);
        let mut sent = Vec::new();
        std::fs::File::from(r).read_to_end(&mut sent).unwrap();
        let rest = said[usize::try_from(out.position()).unwrap()..].to_vec();
        (res, sent, rest)
    }

    #[test]
    fn each_host_gets_the_build_for_its_machine() {
        let u = Upload {
            builds: vec![build("x86_64", b"X86"), build("aarch64", b"ARM64")],
        };
        let sum = "ab".repeat(32);
        // The line is read to its end and no further: the stream that follows is left.
        let (res, sent, rest) = delivered(&u, b"nscap-upload aarch64\n\n\x0a\x0d\x0d\x0a");
        assert_eq!(res, Ok(()));
        assert_eq!(sent, format!("5 {sum}\nARM64").into_bytes());
        assert_eq!(rest, b"\n\x0a\x0d\x0d\x0a");
        let (res, sent, _) = delivered(&u, b"nscap-upload x86_64\n");
        assert_eq!(res, Ok(()));
        assert_eq!(sent, format!("3 {sum}\nX86").into_bytes());
        // A machine with no build: told so (size 0), and the reason names both sides.
        let (res, sent, _) = delivered(&u, b"nscap-upload riscv64\n");
        assert_eq!(
            res,
            Err(Some(
                "this host is riscv64; --upload has builds for x86_64, aarch64 only".into()
            ))
        );
        assert_eq!(sent, b"0 -\n");
        // Something else first (a noisy login script), escaped; the end before a line.
        let (res, sent, _) = delivered(&u, b"Welcome\x1b[31m\n");
        assert_eq!(
            res,
            Err(Some(
                "the host answered the upload with 'Welcome\\027[31m', not its machine".into()
            ))
        );
        assert!(sent.is_empty());
        assert_eq!(delivered(&u, b"nscap-up").0, Err(None));
    }

    /// The script a host runs: reads the size line, checks what it gets, runs it with the
    /// arguments; run here by a real sh, fed as `deliver` feeds it.
    #[test]
    fn the_script_checks_what_arrives() {
        let dir = std::env::temp_dir().join(format!("nscap-upload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = format!(
            "#!/bin/sh\n[ \"$1\" = --version ] && {{ echo 'nscap {}'; exit; }}\necho ran \"$@\"\n",
            env!("CARGO_PKG_VERSION")
        );
        let sum: String = Sha256::digest(fake.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let run = |input: Vec<u8>| {
            let mut c = std::process::Command::new("sh")
                .arg("-c")
                .arg(std::ffi::OsStr::from_bytes(
                    &Upload { builds: vec![] }.script(b" -D 'a b'"),
                ))
                .env("TMPDIR", &dir)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            c.stdin.take().unwrap().write_all(&input).unwrap();
            let o = c.wait_with_output().unwrap();
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        };
        let machine = String::from_utf8(
            std::process::Command::new("uname")
                .arg("-m")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let hello = format!("nscap-upload {machine}");
        let good = [
            format!("{} {sum}\n", fake.len()).into_bytes(),
            fake.clone().into_bytes(),
        ]
        .concat();
        assert_eq!(
            run(good),
            (Some(0), format!("{hello}ran -D a b\n"), String::new())
        );
        let damaged = [
            format!("{} {}\n", fake.len(), "0".repeat(64)).into_bytes(),
            fake.clone().into_bytes(),
        ]
        .concat();
        let (code, _, err) = run(damaged);
        assert_eq!(code, Some(1));
        assert!(err.contains("arrived damaged"), "{err}");
        assert_eq!(
            run(b"0 -\n".to_vec()),
            (Some(1), hello.clone(), String::new())
        );
        let old = fake.replace(env!("CARGO_PKG_VERSION"), "0.0.0-old");
        let sum_old: String = Sha256::digest(old.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let (code, _, err) = run([
            format!("{} {sum_old}\n", old.len()).into_bytes(),
            old.into_bytes(),
        ]
        .concat());
        assert_eq!(code, Some(1));
        assert!(err.contains("says 'nscap 0.0.0-old'"), "{err}");
        // Every run removed its directory.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir(&dir).unwrap();
    }
}
