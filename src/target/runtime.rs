//! What container runtimes and the kubelet leave on disk: names, init PIDs, pods, and ip-netns
//! names. Read directly (no runtime socket or CLI), so nscap works offline with any runtime.
//! A missing or unreadable file means "nothing known from there", never an error: a node
//! without Podman has no Podman root.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

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
}

impl Default for Roots {
    fn default() -> Roots {
        Roots {
            docker: "/var/lib/docker".into(),
            podman: "/var/lib/containers/storage".into(),
            containerd: "/run/containerd".into(),
            pods: "/var/log/pods".into(),
            netns: "/run/netns".into(),
        }
    }
}

impl Roots {
    /// The defaults, each overridden by its environment variable when set and non-empty.
    pub fn from_env() -> Roots {
        Self::from_lookup(|k| std::env::var_os(k))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<OsString>) -> Roots {
        let mut r = Roots::default();
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
}

/// A container Docker knows about, running or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerContainer {
    pub id: String,
    pub name: String,
    /// Docker's record of the init PID (0 when stopped).
    pub pid: i32,
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
            let text = fs::read(dir.join("config.v2.json")).ok()?;
            let c: DockerConfig = serde_json::from_slice(&text).ok()?;
            Some(DockerContainer {
                // Docker stores names with a leading slash (`/web`); users type `web`.
                name: c.name.trim_start_matches('/').to_string(),
                id: c.id,
                pid: c.state.pid,
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
        .filter_map(|(_, dir)| fs::read(dir.join("containers.json")).ok())
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
            let Ok(text) = fs::read_to_string(dir.join("init.pid")) else {
                continue;
            };
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
                pid: 4242
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
