//! An OpenSSH server in a namespace: a "remote host" for sshdump and for `nscap -H`.

use std::process::{Command, Stdio};

use super::{sh, wait_until, Proc, TempDir, World};

/// An sshd in the world's peer namespace (on each of its addresses), port 2222, that takes
/// one key for root;
/// its files in a folder of its own. Stops on drop (its process group is killed).
pub struct Sshd {
    dir: TempDir,
    pub key: String,
    /// The namespace it listens in.
    pub netns: String,
    proc: Option<Proc>,
}

impl Sshd {
    pub fn in_peer(w: &World) -> Sshd {
        let dir = TempDir::new();
        let f = |n: &str| dir.file(n);
        sh(&format!(
            "mkdir -p /run/sshd && ssh-keygen -q -t ed25519 -f {hk} -N '' && \
             ssh-keygen -q -t ed25519 -f {ck} -N '' && cp {ck}.pub {ak}",
            hk = f("hostkey"),
            ck = f("client"),
            ak = f("authorized")
        ));
        std::fs::write(
            f("config"),
            format!(
                "Port 2222\nListenAddress 0.0.0.0\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n\
                 PermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\n\
                 StrictModes no\n",
                f("hostkey"),
                f("pid"),
                f("authorized")
            ),
        )
        .unwrap();
        let proc = Proc::spawn(
            &w.peer
                .exec(&format!("exec /usr/sbin/sshd -D -e -f {}", f("config"))),
        );
        // Listening once its port answers.
        let dev = format!("exec 3<>/dev/tcp/{}/2222", w.peer_ip);
        wait_until(
            10,
            || "sshd did not start".into(),
            || {
                Command::new("ip")
                    .args(["netns", "exec", &w.ns.name, "bash", "-c", &dev])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
                    .then_some(())
            },
        );
        Sshd {
            key: f("client"),
            dir,
            netns: w.peer.name.clone(),
            proc: Some(proc),
        }
    }

    /// An ssh_config entry that reaches this sshd at `ip` as `alias`: no prompt, no
    /// known_hosts.
    pub fn config_entry(&self, alias: &str, ip: &str) -> String {
        format!(
            "Host {alias}\n  HostName {ip}\n  Port 2222\n  User root\n  IdentityFile {key}\n  \
             IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  \
             LogLevel ERROR\n",
            key = self.key,
        )
    }

    /// The connection drops: the listening sshd and every session it started are killed.
    pub fn kill(&mut self) {
        self.proc = None;
        // OpenSSH 9.8 and later run each session as `sshd-session`.
        let sessions = pids_in(&self.netns, "sshd-session");
        for pid in pids_in(&self.netns, "sshd").into_iter().chain(sessions) {
            // SAFETY: a process of the test's own sshd, in its namespace.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }

    pub fn dir(&self) -> &TempDir {
        &self.dir
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The processes named `comm` whose network namespace is the ip-netns `netns`.
pub fn pids_in(netns: &str, comm: &str) -> Vec<i32> {
    use std::os::unix::fs::MetadataExt;
    let Ok(ns) = std::fs::metadata(format!("/run/netns/{netns}")) else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let same = std::fs::metadata(format!("/proc/{pid}/ns/net"))
            .is_ok_and(|m| m.ino() == ns.ino() && m.dev() == ns.dev());
        let named = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim_end() == comm);
        if same && named {
            pids.push(pid);
        }
    }
    pids
}
