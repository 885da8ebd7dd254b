//! `--upload`: a static nscap sent to each host over its own ssh channel, for hosts that have
//! none. The remote side is a small `sh` script: a private directory (`mktemp -d`), the binary
//! read from standard input (exactly its size), its SHA-256 checked, then run; the directory is
//! removed when the script ends, however nscap ended. After the binary, the same standard input
//! is nscap's: its end stops the capture (see `--remote-stream`).

use std::io::Write;
use std::path::Path;
use std::process::ChildStdin;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use sha2::{Digest, Sha256};

use crate::error::os_message;

/// The binary to send, read once, and what the hosts check it against.
#[derive(Debug, Clone)]
pub struct Upload {
    bytes: Arc<Vec<u8>>,
    sha256: String,
    /// `uname -m` of the machines it runs on.
    arch: &'static str,
}

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
        let kind = u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
        dynamic |= kind == 3; // PT_INTERP
    }
    Some((arch, !dynamic))
}

impl Upload {
    /// `--upload` (this nscap, when it is static) or `--upload=FILE`: read, checked to be a
    /// static nscap of this version.
    pub fn prepare(file: Option<&Path>) -> Result<Upload> {
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
            // Its version, asked of it: the hosts must speak this nscap's stream.
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
        Ok(Upload {
            bytes: Arc::new(bytes),
            sha256,
            arch,
        })
    }

    /// The command line a host runs: the script around nscap and its arguments (`args`, quoted
    /// already, each after a space), itself one quoted `sh -c` word, whatever the login shell.
    pub fn command(&self, args: &[u8]) -> Vec<u8> {
        let mut script = format!(
            "d=$(mktemp -d \"${{TMPDIR:-/tmp}}/nscap.XXXXXX\") || exit 1\n\
             trap 'rm -rf \"$d\"' EXIT\n\
             trap 'exit 1' HUP INT TERM\n\
             m=$(uname -m)\n\
             [ \"$m\" = {arch} ] || {{ echo \"nscap: this host is $m; the upload is for {arch}\" >&2; exit 1; }}\n\
             head -c {size} >\"$d/nscap\"\n\
             [ \"$(sha256sum \"$d/nscap\" | cut -d ' ' -f 1)\" = {sum} ] || \
             {{ echo 'nscap: the upload arrived damaged (its SHA-256 differs)' >&2; exit 1; }}\n\
             chmod 700 \"$d/nscap\"\n\
             \"$d/nscap\"",
            arch = self.arch,
            size = self.bytes.len(),
            sum = self.sha256,
        )
        .into_bytes();
        script.extend_from_slice(args);
        script.push(b'\n');
        [b"sh -c ".as_slice(), &super::sh_word(&script)].concat()
    }

    /// Sends the binary down `stdin` (a copy of ssh's), from a thread of its own; a host that
    /// stops reading (it refused the upload, or failed) only ends the copy.
    pub fn send(&self, stdin: &ChildStdin) -> Result<()> {
        let fd = std::os::fd::AsFd::as_fd(stdin)
            .try_clone_to_owned()
            .map_err(|e| anyhow!("--upload: {}", os_message(&e)))?;
        let bytes = self.bytes.clone();
        std::thread::Builder::new()
            .name("nscap-upload".into())
            .spawn(move || {
                crate::stop::block_in_this_thread();
                let _ = std::fs::File::from(fd).write_all(&bytes);
            })
            .map_err(|e| anyhow!("--upload: cannot start a thread: {e}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
