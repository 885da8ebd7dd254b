//! Which container and pod a process belongs to, read from its `/proc/PID/cgroup` lines.
//!
//! Pure text handling, so every runtime's path form is tested on literal lines. Runtime segments
//! are looked for anywhere in the path: real nodes nest them (kubepods under system slices,
//! Docker in Docker, a cgroup namespace that hides the prefix), and so do the tests.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    Docker,
    Containerd,
    Crio,
    Podman,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Containerd => "containerd",
            Runtime::Crio => "crio",
            Runtime::Podman => "podman",
        }
    }
}

/// What a process's cgroup paths say about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupInfo {
    /// The runtime and the full (64 hex digit) container ID.
    pub container: Option<(Runtime, String)>,
    /// The Kubernetes pod UID, with dashes (as in `/var/log/pods`).
    pub pod_uid: Option<String>,
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_container_id(s: &str) -> bool {
    s.len() == 64 && is_hex(s)
}

/// A pod UID is a UUID, except for static pods, whose UID is the 32-hex-digit hash of their
/// manifest.
fn is_pod_uid(s: &str) -> bool {
    if s.len() == 32 {
        return is_hex(s);
    }
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit() && !b.is_ascii_uppercase(),
        })
}

/// `pod<uid>` (cgroupfs driver) or `kubepods[-<qos>]-pod<uid_with_underscores>.slice` (systemd
/// driver, which turns the UID's dashes into underscores because a dash nests slices).
fn pod_segment(seg: &str) -> Option<String> {
    if let Some(uid) = seg.strip_prefix("pod") {
        return is_pod_uid(uid).then(|| uid.to_string());
    }
    let slice = seg.strip_suffix(".slice")?;
    if !slice.starts_with("kubepods") {
        return None;
    }
    let (_, uid) = slice.rsplit_once("-pod")?;
    let uid = uid.replace('_', "-");
    is_pod_uid(&uid).then_some(uid)
}

/// Systemd scope names (`docker-<id>.scope`) and their cgroupfs counterparts (`crio-<id>`).
/// Conmon's own scopes (`crio-conmon-<id>`, `libpod-conmon-<id>`) do not match: the monitor is
/// not the container.
fn container_segment(seg: &str, prev: Option<&str>, in_pod: bool) -> Option<(Runtime, String)> {
    let name = seg.strip_suffix(".scope").unwrap_or(seg);
    const PREFIXES: [(&str, Runtime); 5] = [
        ("docker-", Runtime::Docker),
        ("cri-containerd-", Runtime::Containerd),
        ("crio-", Runtime::Crio),
        ("libpod-", Runtime::Podman),
        ("nerdctl-", Runtime::Containerd),
    ];
    for (prefix, rt) in PREFIXES {
        if let Some(id) = name.strip_prefix(prefix) {
            if is_container_id(id) {
                return Some((rt, id.to_string()));
            }
        }
    }
    if seg.len() == 64 && is_container_id(seg) {
        if prev == Some("docker") {
            return Some((Runtime::Docker, seg.to_string()));
        }
        // Seen from a container with its own cgroup namespace, a sibling's path starts with
        // `/..` and its parent is hidden: `/../<id>` is a Docker (cgroupfs) container next to
        // the one nscap runs in. Docker's records confirm it; a pod's bare IDs keep the rule
        // below, since their `pod<uid>` segment stays visible.
        if prev == Some("..") && !in_pod {
            return Some((Runtime::Docker, seg.to_string()));
        }
        // cgroupfs kubelets name the container's cgroup by its bare ID under the pod's. The
        // runtime could be Docker (cri-dockerd) as well: the caller checks Docker's data root.
        if in_pod {
            return Some((Runtime::Containerd, seg.to_string()));
        }
    }
    None
}

/// One cgroup path, e.g. `/kubepods.slice/.../cri-containerd-<id>.scope`. The innermost
/// container wins (Docker in Docker: the inner one owns the process's namespaces).
pub fn parse_path(path: &str) -> CgroupInfo {
    let mut info = CgroupInfo::default();
    let mut prev = None;
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if let Some(uid) = pod_segment(seg) {
            info.pod_uid = Some(uid);
        } else if let Some(c) = container_segment(seg, prev, info.pod_uid.is_some()) {
            info.container = Some(c);
        }
        prev = Some(seg);
    }
    info
}

/// The contents of `/proc/PID/cgroup`: `0::/path` (v2) and `N:controllers:/path` (v1) lines.
/// The v2 line is trusted first; on hybrid hosts runtimes may only be visible in v1 lines.
pub fn parse(content: &str) -> CgroupInfo {
    let mut v2 = CgroupInfo::default();
    let mut v1 = CgroupInfo::default();
    for line in content.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(_), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let info = parse_path(path);
        let into = if id == "0" { &mut v2 } else { &mut v1 };
        if into.container.is_none() {
            into.container = info.container;
        }
        if into.pod_uid.is_none() {
            into.pod_uid = info.pod_uid;
        }
    }
    CgroupInfo {
        container: v2.container.or(v1.container),
        pod_uid: v2.pod_uid.or(v1.pod_uid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    const UID: &str = "5b1d2c3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
    const UID_: &str = "5b1d2c3e_4f50_4a6b_8c7d_9e0f1a2b3c4d";

    fn one(line: &str) -> CgroupInfo {
        parse(line)
    }

    fn c(rt: Runtime) -> Option<(Runtime, String)> {
        Some((rt, ID.to_string()))
    }

    #[test]
    fn docker_cgroupfs_and_systemd() {
        let i = one(&format!("0::/docker/{ID}\n"));
        assert_eq!(i.container, c(Runtime::Docker));
        assert_eq!(i.pod_uid, None);
        let i = one(&format!("0::/system.slice/docker-{ID}.scope"));
        assert_eq!(i.container, c(Runtime::Docker));
        // cgroup v1, on a hybrid host: the v2 line says nothing.
        let i = one(&format!(
            "12:pids:/docker/{ID}\n1:name=systemd:/docker/{ID}\n0::/"
        ));
        assert_eq!(i.container, c(Runtime::Docker));
        let i = one(&format!("4:cpu,cpuacct:/system.slice/docker-{ID}.scope"));
        assert_eq!(i.container, c(Runtime::Docker));
    }

    #[test]
    fn containerd_cri_systemd_and_cgroupfs() {
        let i = one(&format!(
            "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_}.slice/cri-containerd-{ID}.scope"
        ));
        assert_eq!(i.container, c(Runtime::Containerd));
        assert_eq!(i.pod_uid.as_deref(), Some(UID));
        let i = one(&format!("0::/kubepods/besteffort/pod{UID}/{ID}"));
        assert_eq!(i.container, c(Runtime::Containerd));
        assert_eq!(i.pod_uid.as_deref(), Some(UID));
        // Guaranteed pods have no QoS level in their path.
        let i = one(&format!(
            "0::/kubepods.slice/kubepods-pod{UID_}.slice/cri-containerd-{ID}.scope"
        ));
        assert_eq!(i.pod_uid.as_deref(), Some(UID));
        let i = one(&format!("5:memory:/kubepods/pod{UID}/{ID}"));
        assert_eq!(i.container, c(Runtime::Containerd));
        let i = one(&format!("0::/system.slice/nerdctl-{ID}.scope"));
        assert_eq!(i.container, c(Runtime::Containerd));
    }

    #[test]
    fn crio_and_its_conmon() {
        let i = one(&format!(
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_}.slice/crio-{ID}.scope"
        ));
        assert_eq!(i.container, c(Runtime::Crio));
        assert_eq!(i.pod_uid.as_deref(), Some(UID));
        let i = one(&format!("0::/kubepods/burstable/pod{UID}/crio-{ID}"));
        assert_eq!(i.container, c(Runtime::Crio));
        let i = one(&format!(
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_}.slice/crio-conmon-{ID}.scope"
        ));
        assert_eq!(i.container, None);
        assert_eq!(i.pod_uid.as_deref(), Some(UID));
    }

    #[test]
    fn podman_rootful_and_nested_and_conmon() {
        let i = one(&format!("0::/machine.slice/libpod-{ID}.scope"));
        assert_eq!(i.container, c(Runtime::Podman));
        let i = one(&format!("0::/machine.slice/libpod-{ID}.scope/container"));
        assert_eq!(i.container, c(Runtime::Podman));
        let i = one(&format!("0::/libpod_parent/libpod-{ID}"));
        assert_eq!(i.container, c(Runtime::Podman));
        let i = one(&format!("0::/machine.slice/libpod-conmon-{ID}.scope"));
        assert_eq!(i.container, None);
        let i = one(&format!(
            "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"
        ));
        assert_eq!(i.container, c(Runtime::Podman));
    }

    #[test]
    fn docker_under_kubepods() {
        let i = one(&format!(
            "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_}.slice/docker-{ID}.scope"
        ));
        assert_eq!(i.container, c(Runtime::Docker));
        assert_eq!(i.pod_uid.as_deref(), Some(UID));
    }

    #[test]
    fn static_pod_uid_is_a_hash() {
        let h = "8f5cc0a6c0a5c4c4f0b3d2a1e9f8a7b6";
        let i = one(&format!(
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{h}.slice/cri-containerd-{ID}.scope"
        ));
        assert_eq!(i.pod_uid.as_deref(), Some(h));
    }

    #[test]
    fn runtime_segments_are_found_under_any_prefix() {
        let i = one(&format!(
            "0::/nscap-test-1/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_}.slice/cri-containerd-{ID}.scope"
        ));
        assert_eq!(i.container, c(Runtime::Containerd));
        assert_eq!(i.pod_uid.as_deref(), Some(UID));
        // Docker in Docker: the inner container owns the process.
        let inner = "a".repeat(64);
        let i = one(&format!("0::/docker/{ID}/docker/{inner}"));
        assert_eq!(i.container, Some((Runtime::Docker, inner)));
    }

    #[test]
    fn paths_from_inside_a_cgroup_namespace() {
        // What `cat /proc/PID/cgroup` shows in a container with --cgroupns=private (Docker 20.10,
        // cgroup v1, cgroupfs driver): siblings hang off `/..`.
        let i = one(&format!("9:name=systemd:/../{ID}\n0::/../{ID}\n"));
        assert_eq!(i.container, c(Runtime::Docker));
        let i = one(&format!("0::/../../libpod_parent/libpod-{ID}"));
        assert_eq!(i.container, c(Runtime::Podman));
        let i = one(&format!("0::/../../../burstable/pod{UID}/{ID}"));
        assert_eq!(i.container, c(Runtime::Containerd));
        assert_eq!(i.pod_uid.as_deref(), Some(UID));
        let i = one(&format!(
            "0::/../../../kubepods-burstable.slice/kubepods-burstable-pod{UID_}.slice/cri-containerd-{ID}.scope"
        ));
        assert_eq!(i.container, c(Runtime::Containerd));
        assert_eq!(i.pod_uid.as_deref(), Some(UID));
        // The host's own processes, seen from there.
        assert_eq!(one("0::/../..\n4:memory:/../../x"), CgroupInfo::default());
    }

    #[test]
    fn ordinary_processes_and_junk_are_nothing() {
        for line in [
            "0::/",
            "0::/init.scope",
            "0::/system.slice/ssh.service",
            "4:memory:/process_api/02a8b806d567f25dbb5cba4669100b5b",
            "0::/user.slice/user-0.slice/session-3.scope",
            // A bare ID outside any pod or docker parent says nothing about who made it.
            &format!("0::/{ID}"),
            &format!("0::/system.slice/docker-{}.scope", &ID[..63]),
            &format!("0::/system.slice/docker-{}.scope", ID.to_uppercase()),
            "0::/kubepods/podnot-a-uid/x",
            "garbage",
            "",
            ":::",
        ] {
            assert_eq!(one(line), CgroupInfo::default(), "{line}");
        }
    }

    #[test]
    fn v2_line_wins_over_v1() {
        let other = "b".repeat(64);
        let i = one(&format!(
            "1:name=systemd:/docker/{other}\n0::/system.slice/crio-{ID}.scope"
        ));
        assert_eq!(i.container, c(Runtime::Crio));
    }
}
