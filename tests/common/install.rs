//! The privileged (capture-only) install of nscap for a throwaway group, and users in and out
//! of it: tests/privileged.rs and the static binary's test.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

use super::{nscap_bin, sh, unique, TempDir};

/// A user in a group of its own, another user outside it, the privileged copy installed for
/// the group, and a folder the member may write to; all removed on drop.
pub struct Install {
    pub member: String,
    pub outsider: String,
    pub group: String,
    pub dir: TempDir,
    pub copy: String,
    pub extcap: String,
    pub home: String,
}

impl Install {
    pub fn new() -> Install {
        Self::from(nscap_bin())
    }

    /// Installed by `bin` (the static build, say).
    pub fn from(bin: &str) -> Install {
        let tag = unique("");
        let (member, outsider, group) = (
            format!("nscm{tag}"),
            format!("nsco{tag}"),
            format!("nscg{tag}"),
        );
        sh(&format!(
            "groupadd {group} && useradd -M -N -s /bin/sh -G {group} {member} && \
             useradd -M -N -s /bin/sh {outsider}"
        ));
        let dir = TempDir::new();
        std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = dir.file("home");
        std::fs::create_dir(&home).unwrap();
        sh(&format!("chown {member} {home}"));
        let lib = dir.file("lib");
        let extcap = dir.file("extcap");
        let out = Command::new(bin)
            .args([
                "extcap",
                "install",
                "--privileged",
                "--group",
                &group,
                "--privileged-dir",
                &lib,
                "--dir",
                &extcap,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        Install {
            copy: format!("{lib}/nscap"),
            extcap,
            member,
            outsider,
            group,
            dir,
            home,
        }
    }

    /// Runs the privileged copy as `user` with `args`, with `env` added.
    pub fn run_as(&self, user: &str, env: &[(&str, &str)], args: &[&str]) -> Command {
        let mut c = Command::new("runuser");
        c.args(["-u", user, "--", "env"]);
        for (k, v) in env {
            c.arg(format!("{k}={v}"));
        }
        c.arg(&self.copy).args(args).stdin(Stdio::null());
        c
    }

    pub fn member(&self, args: &[&str]) -> Output {
        self.run_as(&self.member, &[], args).output().unwrap()
    }
}

impl Drop for Install {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.member).status();
        let _ = Command::new("userdel").arg(&self.outsider).status();
        let _ = Command::new("groupdel").arg(&self.group).status();
    }
}
