//! One snapshot of the host: processes joined with what the runtimes and the kubelet left on
//! disk. Built once per lookup or `nscap list`, then only read.

use std::collections::{BTreeMap, HashSet};

use super::cgroup::Runtime;
use super::runtime::{self, Pod, Roots};
use super::scan::{self, ProcInfo};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub runtime: Runtime,
    /// Full ID (64 hex digits for every runtime nscap knows).
    pub id: String,
    pub name: Option<String>,
    /// Its processes, ascending; empty when it is not running.
    pub pids: Vec<i32>,
    /// The process whose namespaces the container was created with.
    pub init: Option<i32>,
    pub pod_uid: Option<String>,
}

impl Container {
    pub fn short_id(&self) -> &str {
        short(&self.id)
    }

    /// `docker web (3f2a9c1b4d5e)`, or `containerd 3f2a9c1b4d5e` when it has no name.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{} {n} ({})", self.runtime.name(), self.short_id()),
            None => format!("{} {}", self.runtime.name(), self.short_id()),
        }
    }
}

/// The first 12 characters, as runtimes print IDs. IDs read from disk are not trusted to be
/// ASCII, so the cut respects character boundaries.
pub fn short(id: &str) -> &str {
    id.char_indices().nth(12).map_or(id, |(i, _)| &id[..i])
}

#[derive(Debug, Clone)]
pub struct Host {
    pub roots: Roots,
    /// Every process, ascending by PID.
    pub procs: Vec<ProcInfo>,
    /// Every container seen in cgroups or in a runtime's records, by ID.
    pub containers: Vec<Container>,
    pub pods: Vec<Pod>,
    /// ip-netns names and their inodes, by name.
    pub netns_names: Vec<(String, u64)>,
}

impl Host {
    pub fn load(roots: &Roots) -> Host {
        Self::build(roots.clone(), scan::scan())
    }

    /// Joins a process list (ascending by PID) with the on-disk records under `roots`.
    pub fn build(roots: Roots, procs: Vec<ProcInfo>) -> Host {
        let mut by_id: BTreeMap<String, Container> = BTreeMap::new();
        for p in &procs {
            let Some((rt, id)) = &p.cgroup.container else {
                continue;
            };
            let c = by_id.entry(id.clone()).or_insert_with(|| Container {
                runtime: *rt,
                id: id.clone(),
                name: None,
                pids: Vec::new(),
                init: None,
                pod_uid: None,
            });
            c.pids.push(p.pid);
            if c.pod_uid.is_none() {
                c.pod_uid.clone_from(&p.cgroup.pod_uid);
            }
        }
        let alive = |pid: i32| procs.binary_search_by_key(&pid, |p| p.pid).is_ok();
        let mut state_pid: BTreeMap<String, i32> = BTreeMap::new();

        for d in runtime::docker(&roots.docker) {
            let c = by_id.entry(d.id.clone()).or_insert_with(|| Container {
                runtime: Runtime::Docker,
                id: d.id.clone(),
                name: None,
                // A layout we do not recognise still has Docker's record of its init, trusted
                // only when it is that container's (see `docker_init`).
                pids: if alive(d.pid) && docker_init(&d) {
                    vec![d.pid]
                } else {
                    Vec::new()
                },
                init: None,
                pod_uid: None,
            });
            // A bare ID under a cgroupfs pod is Docker's when Docker has a record of it.
            c.runtime = Runtime::Docker;
            if !d.name.is_empty() {
                c.name = Some(d.name);
            }
            if d.pid > 0 && d.running {
                state_pid.insert(d.id, d.pid);
            }
        }
        for (id, names) in runtime::podman(&roots.podman) {
            let c = by_id.entry(id.clone()).or_insert_with(|| Container {
                runtime: Runtime::Podman,
                id,
                name: None,
                pids: Vec::new(),
                init: None,
                pod_uid: None,
            });
            if c.name.is_none() {
                c.name = names.into_iter().next();
            }
        }
        for (_ns, id, pid) in runtime::containerd_tasks(&roots.containerd) {
            if !alive(pid) {
                continue;
            }
            by_id.entry(id.clone()).or_insert_with(|| Container {
                runtime: Runtime::Containerd,
                id: id.clone(),
                name: None,
                pids: vec![pid],
                init: None,
                pod_uid: None,
            });
            state_pid.insert(id, pid);
        }

        for c in by_id.values_mut() {
            c.pids.sort_unstable();
            c.pids.dedup();
            c.init = pick_init(c, state_pid.get(&c.id).copied(), &procs);
        }
        let pods = runtime::pods(&roots.pods);
        let netns_names = runtime::netns_names(&roots.netns);
        Host {
            roots,
            procs,
            containers: by_id.into_values().collect(),
            pods,
            netns_names,
        }
    }

    pub fn proc(&self, pid: i32) -> Option<&ProcInfo> {
        self.procs
            .binary_search_by_key(&pid, |p| p.pid)
            .ok()
            .map(|i| &self.procs[i])
    }

    /// The network namespace a container's processes live in.
    pub fn container_netns(&self, c: &Container) -> Option<u64> {
        c.init
            .or_else(|| c.pids.first().copied())
            .and_then(|p| self.proc(p))
            .map(|p| p.netns)
    }

    /// Processes of the pod with `uid`, ascending.
    pub fn pod_procs(&self, uid: &str) -> impl Iterator<Item = &ProcInfo> {
        let uid = uid.to_string();
        self.procs
            .iter()
            .filter(move |p| p.cgroup.pod_uid.as_deref() == Some(uid.as_str()))
    }

    pub fn pod(&self, uid: &str) -> Option<&Pod> {
        self.pods.iter().find(|p| p.uid == uid)
    }

    pub fn running(&self) -> usize {
        self.containers
            .iter()
            .filter(|c| !c.pids.is_empty())
            .count()
    }
}

/// Whether Docker's record of a container's init PID, which no cgroup path confirms, is that
/// container's: the record says it runs, and the process started when the record says the
/// container did (the init starts a moment before Docker notes the time). A record left from
/// before a reboot, or written before dockerd went down, may name a PID that any process has
/// now: trusting it sent `-t NAME` to the host's own namespace.
fn docker_init(d: &runtime::DockerContainer) -> bool {
    if d.pid <= 0 || !d.running {
        return false;
    }
    let (Some(record), Some(process)) = (d.started, scan::started(d.pid)) else {
        return false;
    };
    (record - 60..=record + 5).contains(&process)
}

/// The runtime's record when it agrees with the cgroups; otherwise the lowest PID whose parent
/// is outside the container (the child of the shim or conmon), otherwise the lowest PID.
fn pick_init(c: &Container, state: Option<i32>, procs: &[ProcInfo]) -> Option<i32> {
    if let Some(s) = state {
        if c.pids.binary_search(&s).is_ok() {
            return Some(s);
        }
    }
    let inside: HashSet<i32> = c.pids.iter().copied().collect();
    let parent = |pid: i32| {
        procs
            .binary_search_by_key(&pid, |p| p.pid)
            .ok()
            .map(|i| procs[i].ppid)
    };
    c.pids
        .iter()
        .copied()
        .find(|&p| parent(p).is_some_and(|pp| !inside.contains(&pp)))
        .or_else(|| c.pids.first().copied())
}

#[cfg(test)]
mod tests {
    use super::super::cgroup::CgroupInfo;
    use super::*;

    fn p(pid: i32, ppid: i32, netns: u64, id: Option<&str>) -> ProcInfo {
        ProcInfo {
            pid,
            netns,
            ppid,
            cgroup: CgroupInfo {
                container: id.map(|i| (Runtime::Containerd, i.repeat(64))),
                pod_uid: None,
            },
        }
    }

    fn nowhere() -> Roots {
        let none = std::path::PathBuf::from("/nonexistent/nscap");
        Roots {
            docker: none.clone(),
            podman: none.clone(),
            containerd: none.clone(),
            pods: none.clone(),
            netns: none,
            host: None,
        }
    }

    #[test]
    fn init_is_the_child_of_the_shim() {
        // 10 is the shim (outside the container), 20 its child, 21 and 30 descendants.
        let procs = vec![
            p(10, 1, 1, None),
            p(20, 10, 2, Some("a")),
            p(21, 20, 2, Some("a")),
            p(30, 21, 2, Some("a")),
        ];
        let h = Host::build(nowhere(), procs);
        assert_eq!(h.containers.len(), 1);
        let c = &h.containers[0];
        assert_eq!(c.pids, vec![20, 21, 30]);
        assert_eq!(c.init, Some(20));
        assert_eq!(h.container_netns(c), Some(2));
        assert_eq!(c.short_id(), "aaaaaaaaaaaa");
        assert_eq!(c.label(), "containerd aaaaaaaaaaaa");
        assert_eq!(short("abc"), "abc");
        assert_eq!(short("ééééééééééééé"), "éééééééééééé");
    }

    #[test]
    fn state_pid_wins_when_it_agrees() {
        let procs = vec![p(20, 1, 2, Some("a")), p(21, 20, 2, Some("a"))];
        let c = Container {
            runtime: Runtime::Containerd,
            id: "a".repeat(64),
            name: None,
            pids: vec![20, 21],
            init: None,
            pod_uid: None,
        };
        assert_eq!(pick_init(&c, Some(21), &procs), Some(21));
        // A stale record (a PID not in the container) is ignored.
        assert_eq!(pick_init(&c, Some(99), &procs), Some(20));
    }
}
