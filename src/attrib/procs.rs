//! Socket inode → process, through `/proc/PID/fd` of the processes in one network namespace.
//!
//! Reading another user's `/proc/PID/fd` takes root or CAP_SYS_PTRACE: without them a process
//! simply stays unknown and its packets carry nothing.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Owner;
use crate::target::cgroup;
use crate::target::host::{self, Host};
use crate::target::runtime::Roots;

/// The fds of every known process are read again at most this often; processes seen for the
/// first time are read at once. A process that opens a new socket is thus found within this
/// long, and a short-lived one (a new PID) at the next lookup.
pub const RESCAN_EVERY: Duration = Duration::from_millis(20);
/// Runtime records are read again for an unknown container at most this often.
const HOST_EVERY: Duration = Duration::from_secs(1);

/// A process first seen this recently is looked at again on every pass while it is in
/// another namespace: `ip netns exec`, nsenter and runtimes' exec start a process on the host
/// and move it into the namespace moments later.
const YOUNG: Duration = Duration::from_secs(2);
/// Older processes in other namespaces are looked at again at most this often.
const ELSEWHERE_EVERY: Duration = Duration::from_secs(1);
/// A process of the namespace first seen, or last found with a new socket, this recently is
/// read again whenever a socket is still unknown, ahead of the rate-limited rescan: a
/// one-shot client (often first seen as the shell that execs it) and a process that opens
/// sockets in a stream are the usual owners of new sockets, and their sockets may live
/// shorter than [`RESCAN_EVERY`].
const HOT: Duration = Duration::from_secs(1);

/// What is known of one PID.
enum Pid {
    /// In another network namespace (or unreadable) when last looked at; first seen then.
    Elsewhere(Instant),
    /// In the namespace; first seen, or last found with a new socket, then.
    Here(Arc<Owner>, Instant),
}

pub struct Procs {
    /// The namespace's inode, as `/proc/PID/ns/net` names it.
    netns: u64,
    pids: HashMap<i32, Pid>,
    /// Socket inode → its process; kept only for inodes the last dump listed.
    pub inodes: HashMap<u64, Arc<Owner>>,
    last_rescan: Option<Instant>,
    last_elsewhere: Option<Instant>,
    /// The first listing of /proc was made.
    primed: bool,
    /// Container ID → its label (`web`, `web, pod default/web`); from the runtimes' records.
    containers: HashMap<String, Option<String>>,
    host: Option<(Instant, Host)>,
    roots: Roots,
    seen: HashSet<i32>,
}

fn netns_of(pid: i32) -> Option<u64> {
    let link = fs::read_link(format!("/proc/{pid}/ns/net")).ok()?;
    let s = link.to_str()?;
    s.strip_prefix("net:[")?.strip_suffix(']')?.parse().ok()
}

/// Adds the socket inodes `pid` holds to `into`. Several processes may hold one socket (a
/// listener shared over fork): the lowest PID, usually the parent, keeps it. True when it
/// added one.
fn read_fds(pid: i32, owner: &Arc<Owner>, into: &mut HashMap<u64, Arc<Owner>>) -> bool {
    let Ok(rd) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    let mut added = false;
    let mut link = String::new();
    for e in rd.flatten() {
        let Ok(target) = fs::read_link(e.path()) else {
            continue;
        };
        link.clear();
        link.push_str(&target.to_string_lossy());
        let Some(inode) = link
            .strip_prefix("socket:[")
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.parse::<u64>().ok())
        else {
            continue;
        };
        match into.get(&inode) {
            Some(o) if o.pid < owner.pid || Arc::ptr_eq(o, owner) => {}
            _ => {
                into.insert(inode, owner.clone());
                added = true;
            }
        }
    }
    added
}

impl Procs {
    pub fn new(netns: u64) -> Procs {
        Procs {
            netns,
            pids: HashMap::new(),
            inodes: HashMap::new(),
            last_rescan: None,
            last_elsewhere: None,
            primed: false,
            containers: HashMap::new(),
            host: None,
            roots: Roots::from_env(),
            seen: HashSet::new(),
        }
    }

    /// Looks for the processes holding `wanted` inodes: hot processes (`HOT`) first, then
    /// new PIDs, then, when some are still missing and the last full pass is old enough,
    /// every process of the namespace.
    pub fn resolve(&mut self, wanted: &[u64]) {
        if wanted.is_empty() {
            return;
        }
        let now = Instant::now();
        // The hot ones first: reading a few fd directories is cheaper than listing /proc.
        let hot: Vec<i32> = self
            .pids
            .iter()
            .filter_map(|(&pid, p)| match p {
                Pid::Here(_, t) if now.duration_since(*t) < HOT => Some(pid),
                _ => None,
            })
            .collect();
        for pid in hot {
            self.classify(pid, now, true);
        }
        if wanted.iter().all(|i| self.inodes.contains_key(i)) {
            return;
        }
        let Ok(rd) = fs::read_dir("/proc") else {
            return;
        };
        self.seen.clear();
        let mut look = Vec::new();
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            self.seen.insert(pid);
            match self.pids.get(&pid) {
                // Those already running when nscap started are not young.
                None if self.primed => look.push((pid, now)),
                None => look.push((pid, now.checked_sub(YOUNG).unwrap_or(now))),
                Some(Pid::Elsewhere(first)) if now.duration_since(*first) < YOUNG => {
                    look.push((pid, *first))
                }
                _ => {}
            }
        }
        self.primed = true;
        // PIDs that exited: a reused PID is then read afresh.
        self.pids.retain(|pid, _| self.seen.contains(pid));
        for (pid, first) in look {
            self.classify(pid, first, false);
        }
        if wanted.iter().all(|i| self.inodes.contains_key(i)) {
            return;
        }
        if self.last_rescan.is_some_and(|t| t.elapsed() < RESCAN_EVERY) {
            return;
        }
        self.last_rescan = Some(now);
        let elsewhere_too = self
            .last_elsewhere
            .is_none_or(|t| t.elapsed() >= ELSEWHERE_EVERY);
        if elsewhere_too {
            self.last_elsewhere = Some(now);
        }
        let pids: Vec<(i32, Option<Instant>)> = self
            .pids
            .iter()
            .map(|(&pid, p)| match p {
                Pid::Here(..) => (pid, None),
                Pid::Elsewhere(first) => (pid, Some(*first)),
            })
            .collect();
        for (pid, first) in pids {
            match first {
                // Its command may have changed since (exec): read afresh.
                None => self.classify(pid, now, true),
                Some(first) if elsewhere_too => self.classify(pid, first, false),
                Some(_) => {}
            }
        }
    }

    /// Looks at `pid`: in the namespace, its sockets are read (with its command name afresh
    /// when `refresh`, kept otherwise).
    fn classify(&mut self, pid: i32, first: Instant, refresh: bool) {
        if netns_of(pid) != Some(self.netns) {
            self.pids.insert(pid, Pid::Elsewhere(first));
            return;
        }
        let (known, hot) = match self.pids.get(&pid) {
            Some(Pid::Here(o, t)) => (Some(o.clone()), *t),
            _ => (None, Instant::now()),
        };
        let owner = match known {
            Some(o) if !refresh => Some(o),
            Some(o) => match self.owner(pid) {
                Some(n) if n.comm == o.comm => Some(o),
                other => other,
            },
            None => self.owner(pid),
        };
        match owner {
            Some(o) => {
                let hot = if read_fds(pid, &o, &mut self.inodes) {
                    Instant::now()
                } else {
                    hot
                };
                self.pids.insert(pid, Pid::Here(o, hot));
            }
            None => {
                self.pids.insert(pid, Pid::Elsewhere(first));
            }
        }
    }

    /// Keeps only the inodes in `listed` (the sockets that still exist).
    pub fn retain(&mut self, listed: &HashSet<u64>) {
        self.inodes.retain(|i, _| listed.contains(i));
    }

    fn owner(&mut self, pid: i32) -> Option<Arc<Owner>> {
        let comm = fs::read(format!("/proc/{pid}/comm")).ok()?;
        let comm = comm.strip_suffix(b"\n").unwrap_or(&comm);
        let container = fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .ok()
            .and_then(|c| self.container(&cgroup::parse(&c)));
        Some(Arc::new(Owner::new(
            pid as u32,
            &crate::escape::name(comm),
            container,
        )))
    }

    /// The label of the container (and pod) a process's cgroups name.
    fn container(&mut self, info: &cgroup::CgroupInfo) -> Option<String> {
        let (_, id) = info.container.as_ref()?;
        if let Some(label) = self.containers.get(id) {
            return label.clone();
        }
        if self
            .host
            .as_ref()
            .is_none_or(|(t, _)| t.elapsed() >= HOST_EVERY)
        {
            self.host = Some((Instant::now(), Host::load(&self.roots)));
        }
        let (_, h) = self.host.as_ref()?;
        let c = h.containers.iter().find(|c| &c.id == id);
        let name = c
            .and_then(|c| c.name.clone())
            .unwrap_or_else(|| host::short(id).to_string());
        let name = crate::escape::name(name.trim_start_matches('/').as_bytes());
        let label = match info.pod_uid.as_deref().and_then(|u| h.pod(u)) {
            Some(p) => format!("{name}, pod {}/{}", p.namespace, p.name),
            None => name,
        };
        // Named ones are final; an unnamed one is asked again when the records are reread.
        if c.is_some_and(|c| c.name.is_some()) {
            self.containers.insert(id.clone(), Some(label.clone()));
        }
        Some(label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    fn inode(fd: &impl AsRawFd) -> u64 {
        let l = fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
        let l = l.to_string_lossy();
        l["socket:[".len()..l.len() - 1].parse().unwrap()
    }

    /// A process that just got a socket is read again at once for the next one, although
    /// the rate-limited rescan of every process has just run: a stream of short connections
    /// from one process is found while each lives.
    #[test]
    fn a_process_with_a_new_socket_is_read_again_at_once() {
        let me = std::process::id();
        let mut p = Procs::new(netns_of(me as i32).unwrap());
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        p.resolve(&[inode(&a)]);
        assert_eq!(p.inodes.get(&inode(&a)).map(|o| o.pid), Some(me));
        // Nobody holds this one: the rescan runs, and is not due again for RESCAN_EVERY.
        p.resolve(&[u64::from(u32::MAX)]);
        let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        p.resolve(&[inode(&b)]);
        assert_eq!(p.inodes.get(&inode(&b)).map(|o| o.pid), Some(me));
    }
}
