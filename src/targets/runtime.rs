//! What container runtimes and the kubelet leave on disk: names, init PIDs, pods, and ip-netns
//! names. Read directly (no runtime socket or CLI), so nscap works offline with any runtime.
//! A missing or unreadable file means "nothing known from there", never an error: a node
//! without Podman has no Podman root.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use anyhow::{bail, Result};

use serde::Deserialize;

/// Where each source lives; every path can be moved (tests build trees in the real formats).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roots {
    /// Docker's data root: `containers/<id>/config.v2.json`.
    pub docker: PathBuf,
    /// containers/storage graph root (Podman, CRI-O): `<driver>-containers/containers.json`.
    pub podman: PathBuf,
    /// containerd's state directory: `io.containerd.runtime.v2.task/<ns>/<id>/init.pid`.
    pub containerd: PathBuf,
    /// The kubelet's pod log directory: `<namespace>_<name>_<uid>/`.
    pub pods: PathBuf,
    /// ip-netns names.
    pub netns: PathBuf,
    /// Where the host's root is mounted when nscap runs in a container (`--host-root`): the
    /// default roots above lie under it.
    pub host: Option<PathBuf>,
}

impl Default for Roots {
    fn default() -> Roots {
        Roots::under(None)
    }
}

/// `--host-root`, from the command line; it outranks `NSCAP_HOST_ROOT`.
static HOST_ROOT: RwLock<Option<PathBuf>> = RwLock::new(None);

/// Records `--host-root DIR` for every later [`Roots::from_env`] of this process (the last
/// one given wins, as with any repeated option).
pub fn set_host_root(dir: PathBuf) {
    if let Ok(mut slot) = HOST_ROOT.write() {
        *slot = Some(dir);
    }
}

/// `--host-root DIR` as given, wherever on the command line.
pub fn host_root_option() -> Option<PathBuf> {
    HOST_ROOT.read().ok().and_then(|slot| slot.clone())
}

/// `path` as seen through the host's root mounted at `host` (`/host/run/netns`), or as it is.
pub fn under_host(host: Option<&Path>, path: &str) -> PathBuf {
    match host {
        Some(h) => h.join(path.trim_start_matches('/')),
        None => PathBuf::from(path),
    }
}

impl Roots {
    /// The default roots, under `host` when the host's root is mounted there (`/host` in a
    /// node-debug pod): `/host/var/lib/docker`, `/host/run/netns`, ...
    pub fn under(host: Option<&Path>) -> Roots {
        let at = |p: &str| under_host(host, p);
        Roots {
            docker: at("/var/lib/docker"),
            podman: at("/var/lib/containers/storage"),
            containerd: at("/run/containerd"),
            pods: at("/var/log/pods"),
            netns: at("/run/netns"),
            host: host.map(Path::to_path_buf),
        }
    }

    /// The defaults (under `--host-root` or `NSCAP_HOST_ROOT`), each overridden by its
    /// environment variable when set and non-empty.
    pub fn from_env() -> Roots {
        let option = host_root_option();
        Self::from_lookup(|k| match &option {
            Some(dir) if k == "NSCAP_HOST_ROOT" => Some(dir.clone().into_os_string()),
            _ => std::env::var_os(k),
        })
    }

    /// [`Roots::from_env`] with another environment. A root given by its own variable is taken
    /// as it is, not put under the host root: it names a path as nscap sees it.
    pub fn from_lookup(get: impl Fn(&str) -> Option<OsString>) -> Roots {
        let host = get("NSCAP_HOST_ROOT")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let mut r = Roots::under(host.as_deref());
        for (var, slot) in [
            ("NSCAP_DOCKER_ROOT", &mut r.docker),
            ("NSCAP_PODMAN_ROOT", &mut r.podman),
            ("NSCAP_CONTAINERD_STATE", &mut r.containerd),
            ("NSCAP_PODS_LOG_DIR", &mut r.pods),
            ("NSCAP_NETNS_DIR", &mut r.netns),
        ] {
            if let Some(v) = get(var).filter(|v| !v.is_empty()) {
                *slot = v.into();
            }
        }
        r
    }

    /// With a host root: that it is a directory, and that `/proc` shows the host's PID
    /// namespace, since the runtimes record host PIDs. Without one, nothing to check.
    pub fn check(&self) -> Result<()> {
        let Some(host) = &self.host else {
            return Ok(());
        };
        match fs::metadata(host) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => bail!("host root {}: not a directory", host.display()),
            Err(_) => bail!("host root {}: no such directory", host.display()),
        }
        // The host's /proc, mounted under its root, shows the host's PID namespace; ours shows
        // the host's only when the container shares it. `self` in each is nscap's PID as that
        // namespace numbers it (readable without ptrace rights, unlike `1/ns/pid` of a host
        // process). Unreadable (no /proc under the root): nothing to compare.
        let theirs = fs::read_link(host.join("proc/self")).ok();
        let ours = fs::read_link("/proc/self").ok();
        if let (Some(theirs), Some(ours)) = (theirs, ours) {
            if theirs != ours {
                bail!(
                    "host root {}: nscap does not share the host's PID namespace, whose PIDs the runtimes record: run its container with --pid=host (hostPID in a pod)",
                    host.display()
                );
            }
        }
        Ok(())
    }
}

/// A container Docker knows about, running or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerContainer {
    pub id: String,
    pub name: String,
    /// Docker's record of the init PID (0 when stopped).
    pub pid: i32,
    /// The record says the container runs (stale after a reboot, or while dockerd is down).
    pub running: bool,
    /// When the record says it started, seconds since the epoch.
    pub started: Option<i64>,
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "State", default)]
    state: DockerState,
}

#[derive(Deserialize, Default)]
struct DockerState {
    #[serde(rename = "Pid", default)]
    pid: i32,
    #[serde(rename = "Running", default)]
    running: bool,
    #[serde(rename = "StartedAt", default)]
    started_at: String,
}

/// An RFC 3339 time as Docker writes it (`2026-11-29T14:00:00.123456789Z`, or with an offset),
/// in whole seconds since the epoch.
pub fn rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // The fraction of a second, then the zone.
    let mut at = 19;
    if b[at] == b'.' {
        at += 1;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    let offset = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if at + 6 == b.len() && b[at + 3] == b':' => {
            let o = num(at + 1..at + 3)? * 3600 + num(at + 4..at + 6)? * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss - offset)
}

/// The most a runtime's state file may hold: a Docker `config.v2.json` is a few KiB, and
/// containers/storage's `containers.json` lists every container of the node.
const STATE_MAX: u64 = 16 << 20;

/// A runtime's state file, read with [`crate::os::read_bounded`]. One that is missing or out
/// of reach means "nothing known from there"; one that is not a regular file or too large is
/// skipped with one warning (once per file): a FIFO or a link to `/dev/zero` among the
/// records must neither hang nor exhaust nscap.
fn read_state(path: &Path, max: u64) -> Option<Vec<u8>> {
    match crate::os::read_bounded(path, max) {
        Ok(b) => Some(b),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            None
        }
        Err(e) => {
            warn_once(path, &e);
            None
        }
    }
}

fn warn_once(path: &Path, e: &std::io::Error) {
    static WARNED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    if warned.iter().any(|p| p == path) {
        return;
    }
    warned.push(path.to_path_buf());
    eprintln!(
        "nscap: warning: skipping {}: {}",
        crate::escape::name(path.as_os_str().as_encoded_bytes()),
        crate::error::os_message(e)
    );
}

fn dirs(path: &Path) -> Vec<(String, PathBuf)> {
    let Ok(rd) = fs::read_dir(path) else {
        return Vec::new();
    };
    let mut v: Vec<(String, PathBuf)> = rd
        .filter_map(|e| {
            let e = e.ok()?;
            Some((e.file_name().into_string().ok()?, e.path()))
        })
        .collect();
    v.sort();
    v
}

pub fn docker(root: &Path) -> Vec<DockerContainer> {
    dirs(&root.join("containers"))
        .into_iter()
        .filter_map(|(_, dir)| {
            let text = read_state(&dir.join("config.v2.json"), STATE_MAX)?;
            let c: DockerConfig = serde_json::from_slice(&text).ok()?;
            Some(DockerContainer {
                // Docker stores names with a leading slash (`/web`); users type `web`.
                name: c.name.trim_start_matches('/').to_string(),
                id: c.id,
                pid: c.state.pid,
                running: c.state.running,
                started: rfc3339(&c.state.started_at),
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct StorageContainer {
    id: String,
    #[serde(default)]
    names: Vec<String>,
}

/// containers/storage's records (Podman, and CRI-O's `k8s_...` names): ID → names.
pub fn podman(root: &Path) -> Vec<(String, Vec<String>)> {
    dirs(root)
        .into_iter()
        .filter(|(name, _)| name.ends_with("-containers"))
        .filter_map(|(_, dir)| read_state(&dir.join("containers.json"), STATE_MAX))
        .filter_map(|text| serde_json::from_slice::<Vec<StorageContainer>>(&text).ok())
        .flatten()
        .map(|c| (c.id, c.names))
        .collect()
}

/// containerd's running tasks: (namespace, ID, init PID).
pub fn containerd_tasks(state: &Path) -> Vec<(String, String, i32)> {
    let mut v = Vec::new();
    for (ns, ns_dir) in dirs(&state.join("io.containerd.runtime.v2.task")) {
        for (id, dir) in dirs(&ns_dir) {
            let Some(text) = read_state(&dir.join("init.pid"), 64) else {
                continue;
            };
            let text = String::from_utf8_lossy(&text);
            if let Ok(pid) = text.trim().parse::<i32>() {
                if pid > 0 {
                    v.push((ns.clone(), id, pid));
                }
            }
        }
    }
    v
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pod {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// `<namespace>_<name>_<uid>`: Kubernetes names cannot contain `_`, so the split is exact.
pub fn parse_pod_dir(dir: &str) -> Option<Pod> {
    let mut parts = dir.split('_');
    let (ns, name, uid) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || ns.is_empty() || name.is_empty() || uid.is_empty() {
        return None;
    }
    Some(Pod {
        namespace: ns.into(),
        name: name.into(),
        uid: uid.to_ascii_lowercase(),
    })
}

pub fn pods(log_dir: &Path) -> Vec<Pod> {
    dirs(log_dir)
        .iter()
        .filter_map(|(name, _)| parse_pod_dir(name))
        .collect()
}

/// The device number of nsfs, to tell a mounted namespace from a leftover plain file.
pub fn nsfs_dev() -> Option<u64> {
    fs::metadata("/proc/self/ns/net").ok().map(|m| m.dev())
}

/// ip-netns names with their namespace inodes, by name. Files that are not mounted namespaces
/// (left behind by a failed `ip netns add`) are skipped.
pub fn netns_names(dir: &Path) -> Vec<(String, u64)> {
    let Some(dev) = nsfs_dev() else {
        return Vec::new();
    };
    dirs(dir)
        .into_iter()
        .filter_map(|(name, path)| {
            let m = fs::metadata(path).ok()?;
            (m.dev() == dev).then(|| (name, m.ino()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("nscap-rt-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        p
    }

    #[test]
    fn docker_times_are_read_as_rfc3339() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339("2026-11-29T14:00:00.000000000Z"),
            Some(1_795_960_800)
        );
        assert_eq!(rfc3339("2026-11-29T15:30:00+01:30"), Some(1_795_960_800));
        assert_eq!(rfc3339("2000-02-29T12:00:00.5-00:00"), Some(951_825_600));
        for bad in [
            "0001-01-01",
            "2026-13-01T00:00:00Z",
            "2026-11-29 14:00:00Z",
            "2026-11-29T14:00:00",
        ] {
            assert_eq!(rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn pod_dirs() {
        let p = parse_pod_dir("default_web-7d9c_5b1d2c3e-4f50-4a6b-8c7d-9e0f1a2b3c4d").unwrap();
        assert_eq!(p.namespace, "default");
        assert_eq!(p.name, "web-7d9c");
        assert_eq!(p.uid, "5b1d2c3e-4f50-4a6b-8c7d-9e0f1a2b3c4d");
        assert!(parse_pod_dir("default_web").is_none());
        assert!(parse_pod_dir("a_b_c_d").is_none());
        assert!(parse_pod_dir("__").is_none());
    }

    #[test]
    fn env_overrides_only_what_is_set() {
        let r = Roots::from_lookup(|k| (k == "NSCAP_DOCKER_ROOT").then(|| "/d".into()));
        assert_eq!(r.docker, PathBuf::from("/d"));
        assert_eq!(r.netns, PathBuf::from("/run/netns"));
        let r = Roots::from_lookup(|_| Some(OsString::new()));
        assert_eq!(r, Roots::default());
    }

    #[test]
    fn host_root_prefixes_the_defaults_only() {
        let env = |host: &'static str, docker: Option<&'static str>| {
            move |k: &str| match k {
                "NSCAP_HOST_ROOT" => Some(host.into()),
                "NSCAP_DOCKER_ROOT" => docker.map(OsString::from),
                _ => None,
            }
        };
        let r = Roots::from_lookup(env("/host", None));
        assert_eq!(r.docker, PathBuf::from("/host/var/lib/docker"));
        assert_eq!(r.podman, PathBuf::from("/host/var/lib/containers/storage"));
        assert_eq!(r.containerd, PathBuf::from("/host/run/containerd"));
        assert_eq!(r.pods, PathBuf::from("/host/var/log/pods"));
        assert_eq!(r.netns, PathBuf::from("/host/run/netns"));
        assert_eq!(r.host, Some(PathBuf::from("/host")));
        // A root named on its own is a path as nscap sees it.
        let r = Roots::from_lookup(env("/host/", Some("/data/docker")));
        assert_eq!(r.docker, PathBuf::from("/data/docker"));
        assert_eq!(r.netns, PathBuf::from("/host/run/netns"));
        assert_eq!(Roots::from_lookup(env("", None)), Roots::default());
    }

    #[test]
    fn host_root_must_be_a_directory() {
        let r = Roots::under(Some(Path::new("/nonexistent/nscap")));
        let e = r.check().unwrap_err().to_string();
        assert_eq!(e, "host root /nonexistent/nscap: no such directory");
        let e = Roots::under(Some(Path::new("/etc/hostname")))
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("not a directory"), "{e}");
        // Our own root is the host's as far as this process can tell: same PID namespace.
        Roots::under(Some(Path::new("/"))).check().unwrap();
        Roots::default().check().unwrap();
    }

    #[test]
    fn docker_and_podman_records() {
        let root = tmp("records");
        let id = "c".repeat(64);
        let dir = root.join("docker/containers").join(&id);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("config.v2.json"),
            format!(r#"{{"StreamConfig":{{}},"State":{{"Running":true,"Pid":4242}},"ID":"{id}","Name":"/web","Config":{{}}}}"#),
        )
        .unwrap();
        // Junk next to it is ignored, not fatal.
        fs::create_dir_all(root.join("docker/containers/junk")).unwrap();
        fs::write(root.join("docker/containers/junk/config.v2.json"), "{").unwrap();
        let d = docker(&root.join("docker"));
        assert_eq!(
            d,
            vec![DockerContainer {
                id: id.clone(),
                name: "web".into(),
                pid: 4242,
                running: true,
                started: None,
            }]
        );
        let p = root.join("storage/overlay-containers");
        fs::create_dir_all(&p).unwrap();
        fs::write(
            p.join("containers.json"),
            format!(r#"[{{"id":"{id}","names":["db"],"image":"x","layer":"y","metadata":"{{}}","created":"2026-01-01T00:00:00Z"}}]"#),
        )
        .unwrap();
        assert_eq!(podman(&root.join("storage")), vec![(id, vec!["db".into()])]);
        assert!(podman(&root.join("nonexistent")).is_empty());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn containerd_init_pids() {
        let root = tmp("ctd");
        let dir = root.join("io.containerd.runtime.v2.task/k8s.io/abc");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("init.pid"), "4242").unwrap();
        let bad = root.join("io.containerd.runtime.v2.task/k8s.io/bad");
        fs::create_dir_all(&bad).unwrap();
        fs::write(bad.join("init.pid"), "x").unwrap();
        assert_eq!(
            containerd_tasks(&root),
            vec![("k8s.io".into(), "abc".into(), 4242)]
        );
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn plain_files_are_not_namespaces() {
        let root = tmp("netns");
        fs::write(root.join("stale"), "").unwrap();
        assert!(netns_names(&root).is_empty());
        fs::remove_dir_all(&root).unwrap();
    }
}
