//! Network namespaces, and the veth-joined pair of them that most capture tests run in.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use super::{sh, unique, wait_until, Proc};

/// A named network namespace (`ip netns add`), deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(prefix: &str) -> Netns {
        Self::named(&unique(prefix))
    }

    /// Named exactly `name` (a pattern test needs a known prefix).
    pub fn named(name: &str) -> Netns {
        sh(&format!(
            "ip netns add {name} && ip -n {name} link set lo up"
        ));
        Netns {
            name: name.to_string(),
        }
    }

    pub fn path(&self) -> String {
        format!("/run/netns/{}", self.name)
    }

    /// `ip netns exec NAME sh -c CMD` as a string, for spawning.
    pub fn exec(&self, cmd: &str) -> String {
        format!("ip netns exec {} sh -c '{}'", self.name, cmd)
    }
}

/// A veth pair from `peer` into `target`, where its end is named eth0: `NET.1/24` on the peer's
/// end, `NET.2/24` on eth0, both up. The peer's end is named from `prefix` (unique); its name
/// comes back.
pub fn veth(target: &Netns, peer: &Netns, net: &str, prefix: &str) -> String {
    let (a, b) = (unique(prefix), unique(prefix));
    sh(&format!(
        "ip link add {a} netns {p} type veth peer name {b} netns {t} && \
         ip -n {t} link set {b} name eth0 && \
         ip -n {p} addr add {net}.1/24 dev {a} && \
         ip -n {t} addr add {net}.2/24 dev eth0 && \
         ip -n {p} link set {a} up && ip -n {t} link set eth0 up",
        p = peer.name,
        t = target.name
    ));
    a
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stderr(Stdio::null())
            .status();
    }
}

/// Waits until `pid`'s `kind` namespace differs from ours (the target has entered its own).
pub fn wait_ns_change(pid: i32, kind: &str) {
    let mine = std::fs::read_link(format!("/proc/self/ns/{kind}")).unwrap();
    wait_until(
        5,
        || format!("pid {pid} never left our {kind} namespace"),
        || {
            std::fs::read_link(format!("/proc/{pid}/ns/{kind}"))
                .is_ok_and(|l| l != mine)
                .then_some(())
        },
    )
}

/// Two namespaces joined by a veth pair: `peer` (10.77.N.1) and the target's (10.77.N.2), with a
/// sleeping target process inside the latter. The target's end is named `eth0`, like a
/// container's, whatever the host has under that name. No address or route touches the host.
pub struct World {
    pub target: Proc,
    pub target_pid: i32,
    pub ns: Netns,
    pub peer: Netns,
    pub peer_ip: String,
    pub target_ip: String,
    pub peer_if: String,
}

impl World {
    pub fn new() -> World {
        Self::with_target_cmd("sleep 600")
    }

    /// `cmd` runs inside the target namespace; its `sleep` descendant is the target PID.
    pub fn with_target_cmd(cmd: &str) -> World {
        static SUBNET: AtomicU32 = AtomicU32::new(0);
        let n = (std::process::id() + SUBNET.fetch_add(1, Ordering::Relaxed)) % 250 + 1;
        let ns = Netns::new("nsct");
        let peer = Netns::new("nscp");
        let peer_if = veth(&ns, &peer, &format!("10.77.{n}"), "vp");
        let mut target = Proc::spawn(&format!("exec {}", ns.exec(cmd)));
        let target_pid = target.descendant("sleep");
        wait_ns_change(target_pid, "net");
        World {
            target,
            target_pid,
            ns,
            peer,
            peer_ip: format!("10.77.{n}.1"),
            target_ip: format!("10.77.{n}.2"),
            peer_if,
        }
    }

    /// Pings the target from the peer namespace: `count` echo requests, 10 ms apart.
    pub fn ping(&self, count: u32) {
        sh(&self.peer.exec(&format!(
            "ping -q -c {count} -i 0.01 -W 1 {} >/dev/null",
            self.target_ip
        )));
    }

    /// Pings in the background until the returned guard drops.
    pub fn ping_forever(&self) -> Proc {
        Proc::spawn(
            &self
                .peer
                .exec(&format!("ping -q -i 0.05 {}", self.target_ip)),
        )
    }
}
