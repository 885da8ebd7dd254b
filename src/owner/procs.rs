//! Socket inode → process, through `/proc/PID/fd` of the processes in one network namespace.
//!
//! Reading another user's `/proc/PID/fd` takes root or CAP_SYS_PTRACE: without them a process
//! simply stays unknown and its packets carry nothing.

// foldhash, as in the flow table (owner/table.rs): cheaper than SipHash, still seeded.
use foldhash::{HashMap, HashSet};
use std::ffi::CStr;
use std::fs;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Owner;
use crate::targets::cgroup;
use crate::targets::host::{self, Host};
use crate::targets::runtime::Roots;

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
/// A process holding more fds than this is read again at most every [`RESCAN_EVERY`], hot or
/// not: a busy server with thousands of fds would otherwise be read in full on every pass
/// that looks for a socket. Fewer cost less than one listing of /proc, and a client opening
/// sockets in a stream is read again at once for each new one.
const FEW_FDS: usize = 64;

/// When a process's fds were last read, and how many it held then.
#[derive(Clone, Copy)]
struct Read {
    at: Instant,
    fds: usize,
}

impl Read {
    /// Whether reading them again now is within the rate limit.
    fn due(&self, now: Instant) -> bool {
        self.fds <= FEW_FDS || now.duration_since(self.at) >= RESCAN_EVERY
    }
}

/// What is known of one PID.
enum Pid {
    /// In another network namespace (or unreadable) when last looked at; first seen then.
    Elsewhere(Instant),
    /// In the namespace; first seen, or last found with a new socket, then; its fds last read.
    Here(Arc<Owner>, Instant, Read),
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
    /// Wanted inodes the hot processes were read for already: a socket still unknown at the
    /// next pass (retried for a while) is not worth their reading again.
    hot_tried: HashSet<u64>,
    /// Reads of each PID's fds, for tests.
    #[cfg(test)]
    fd_reads: HashMap<i32, usize>,
    /// `/proc`, kept open to list the PIDs allocated since the last look.
    proc_dir: Option<OwnedFd>,
    /// When processes were last seen starting in the namespace.
    pub started: Option<Instant>,
    /// The last PID allocated when last looked (`/proc/sys/kernel/ns_last_pid`); 0 before.
    last_pid: i32,
    /// That file, kept open.
    last_pid_file: Option<fs::File>,
    dents: Vec<u8>,
    /// The socket inodes of the last fd read, kept for its allocation.
    held: Vec<u64>,
}

/// `/proc` lists processes in PID order, the entry of PID N at offset N + 258 (TGID_OFFSET in
/// fs/proc/base.c: FIRST_PROCESS_ENTRY, 256, then `self` and `thread-self`): seeking there
/// lists only PIDs from N on, a few entries where the whole list is hundreds.
const TGID_OFFSET: i64 = 256 + 2;

/// The last PID the kernel handed out in our PID namespace, read from `file`, the open
/// `/proc/sys/kernel/ns_last_pid`: a read at offset 0 is the value now, one system call
/// where opening it each pass took five.
fn last_pid(file: &fs::File) -> Option<i32> {
    use std::os::unix::fs::FileExt;
    let mut buf = [0u8; 16];
    let n = file.read_at(&mut buf, 0).ok()?;
    std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()
}

fn open_proc() -> Option<OwnedFd> {
    crate::os::open_dir(c"/proc")
}

/// Appends the PIDs from `from` on that `/proc` (open as `dir`) lists now. False when it
/// cannot be read so.
fn pids_from(dir: &OwnedFd, from: i32, buf: &mut [u8], out: &mut Vec<i32>) -> bool {
    let fd = dir.as_fd();
    crate::os::seek_dir(fd, TGID_OFFSET + i64::from(from))
        && names(fd, buf, |name| {
            if let Some(pid) = std::str::from_utf8(name.to_bytes())
                .ok()
                .and_then(|s| s.parse::<i32>().ok())
            {
                out.push(pid);
            }
        })
}

/// Calls `f` with the name of each entry a directory descriptor lists from where it stands,
/// read with getdents64 into `buf`. False when it cannot be read to the end.
fn names(fd: BorrowedFd, buf: &mut [u8], mut f: impl FnMut(&CStr)) -> bool {
    loop {
        let Ok(n) = crate::os::getdents64(fd, buf) else {
            return false;
        };
        if n == 0 {
            return true;
        }
        // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name (NUL-ended).
        let mut at = 0usize;
        while at + 19 < n {
            let reclen = usize::from(u16::from_ne_bytes([buf[at + 16], buf[at + 17]]));
            if reclen == 0 {
                return false;
            }
            let Ok(name) = CStr::from_bytes_until_nul(&buf[at + 19..(at + reclen).min(n)]) else {
                return false;
            };
            f(name);
            at += reclen;
        }
    }
}

#[cfg(test)]
fn netns_of(pid: i32) -> Option<u64> {
    netns_or_gone(pid).ok().flatten()
}

/// The network namespace of `pid`; Err when the process is gone.
fn netns_or_gone(pid: i32) -> Result<Option<u64>, ()> {
    let link = match fs::read_link(format!("/proc/{pid}/ns/net")) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(()),
        Err(_) => return Ok(None),
    };
    let s = link.to_str();
    Ok(s.and_then(|s| s.strip_prefix("net:[")?.strip_suffix(']')?.parse().ok()))
}

/// Whether process `pid` still runs: it exists and is not a zombie (an exited parent its own
/// parent has not reaped yet holds no socket any more).
pub fn running(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| crate::targets::scan::state_and_flags(&s))
        .is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

/// Adds the socket inodes `pid` holds to `into`, and lists them all in `held`. Several
/// processes may hold one socket (a listener shared over fork): the lowest PID, usually the
/// parent, keeps it. Whether it added one, and how many fds it read; None when the directory
/// cannot be read (the process exited).
fn read_fds(
    pid: i32,
    owner: &Arc<Owner>,
    into: &mut HashMap<u64, Arc<Owner>>,
    held: &mut Vec<u64>,
    dents: &mut [u8],
) -> Option<(bool, usize)> {
    // One descriptor for the directory and a readlinkat per fd: a path walk of
    // /proc/PID/fd/N per fd cost as much as the rest of the read (bench/process.sh).
    let dir = crate::os::open_dir_path(&format!("/proc/{pid}/fd"))?;
    let mut added = false;
    let mut fds = 0;
    let mut link = [0u8; 64];
    let read = names(dir.as_fd(), dents, |name| {
        if name.to_bytes().first() == Some(&b'.') {
            return;
        }
        fds += 1;
        let Some(n) = crate::os::readlinkat(dir.as_fd(), name, &mut link) else {
            return;
        };
        let Some(inode) = link[..n]
            .strip_prefix(b"socket:[")
            .and_then(|s| s.strip_suffix(b"]"))
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse::<u64>().ok())
        else {
            return;
        };
        held.push(inode);
        match into.get(&inode) {
            Some(o) if o.pid < owner.pid || Arc::ptr_eq(o, owner) => {}
            _ => {
                into.insert(inode, owner.clone());
                added = true;
            }
        }
    });
    // A directory that could not be read to its end: the process exited meanwhile.
    if !read && fds == 0 {
        return None;
    }
    Some((added, fds))
}

impl Procs {
    pub fn new(netns: u64) -> Procs {
        Procs {
            netns,
            pids: HashMap::default(),
            inodes: HashMap::default(),
            last_rescan: None,
            last_elsewhere: None,
            primed: false,
            containers: HashMap::default(),
            host: None,
            roots: Roots::from_env(),
            seen: HashSet::default(),
            hot_tried: HashSet::default(),
            #[cfg(test)]
            fd_reads: HashMap::default(),
            proc_dir: open_proc(),
            last_pid: 0,
            last_pid_file: fs::File::open("/proc/sys/kernel/ns_last_pid").ok(),
            started: None,
            dents: vec![0; 16 * 1024],
            held: Vec::new(),
        }
    }

    /// Looks at the processes started since the last look, at once: a one-shot client's
    /// socket is usually the newest process's. The kernel hands PIDs out in turn, after the
    /// last one it gave (`ns_last_pid`), until they wrap: the new ones are those between the
    /// last one then and the last one now.
    fn newcomers(&mut self, now: Instant) {
        let Some(last) = self.last_pid_file.as_ref().and_then(last_pid) else {
            return;
        };
        let prev = std::mem::replace(&mut self.last_pid, last);
        if prev == 0 || last == prev {
            return;
        }
        let Some(dir) = &self.proc_dir else {
            return;
        };
        let mut fresh = Vec::new();
        if !pids_from(dir, prev + 1, &mut self.dents, &mut fresh) {
            return;
        }
        if last < prev {
            // Wrapped: from the bottom up to the last one too.
            if !pids_from(dir, 1, &mut self.dents, &mut fresh) {
                return;
            }
            fresh.retain(|&p| p > prev || p <= last);
        } else {
            fresh.retain(|&p| p <= last);
        }
        for pid in fresh {
            // A PID known from before it was handed out again is another process.
            self.pids.remove(&pid);
            self.classify(pid, now, false);
            if matches!(self.pids.get(&pid), Some(Pid::Here(..))) {
                self.started = Some(now);
            }
        }
    }

    /// Looks for the processes holding `wanted` inodes: processes started since the last
    /// look first, then hot processes (`HOT`), then young ones still elsewhere (`YOUNG`),
    /// then, when some are still missing and the last full pass is old enough, every process
    /// of the namespace, with a listing of /proc (which also notices PIDs that wrapped).
    pub fn resolve(&mut self, wanted: &[u64]) {
        if wanted.is_empty() {
            return;
        }
        let now = Instant::now();
        let missing = |p: &Procs| !wanted.iter().all(|i| p.inodes.contains_key(i));
        self.newcomers(now);
        if !missing(self) {
            return;
        }
        // The hot ones next, the latest first (a one-shot client seen before its exec, a
        // process opening sockets in a stream): a few fd directories, not all of them; once
        // for each socket, not on each retry of one still unknown.
        let untried = wanted
            .iter()
            .any(|i| !self.inodes.contains_key(i) && !self.hot_tried.contains(i));
        if untried {
            let inodes = &self.inodes;
            self.hot_tried
                .extend(wanted.iter().filter(|i| !inodes.contains_key(i)));
            let mut hot: Vec<(Instant, i32)> = self
                .pids
                .iter()
                .filter_map(|(&pid, p)| match p {
                    Pid::Here(_, t, _) if now.duration_since(*t) < HOT => Some((*t, pid)),
                    _ => None,
                })
                .collect();
            hot.sort_unstable_by(|a, b| b.cmp(a));
            for (_, pid) in hot {
                self.classify(pid, now, true);
                if !missing(self) {
                    return;
                }
            }
        }
        let young: Vec<(i32, Instant)> = self
            .pids
            .iter()
            .filter_map(|(&pid, p)| match p {
                Pid::Elsewhere(first) if now.duration_since(*first) < YOUNG => Some((pid, *first)),
                _ => None,
            })
            .collect();
        for (pid, first) in young {
            self.classify(pid, first, false);
        }
        if (self.primed && !missing(self))
            || self.last_rescan.is_some_and(|t| t.elapsed() < RESCAN_EVERY)
        {
            return;
        }
        self.last_rescan = Some(now);
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
                _ => {}
            }
        }
        self.primed = true;
        // PIDs that exited: a reused PID is then read afresh.
        self.pids.retain(|pid, _| self.seen.contains(pid));
        for (pid, first) in look {
            self.classify(pid, first, false);
        }
        if !missing(self) {
            return;
        }
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
        let (owner, hot) = match self.pids.get(&pid) {
            // Known in the namespace: not looked at again there (a socket found by its inode
            // is the namespace's, whoever holds it), only its command when it may have
            // changed (exec; below), and the rest of it only when it has; not at all when its
            // fds were read too recently.
            Some(Pid::Here(_, _, read)) if !read.due(Instant::now()) => return,
            Some(Pid::Here(o, t, _)) => (o.clone(), *t),
            _ => {
                match netns_or_gone(pid) {
                    Ok(Some(n)) if n == self.netns => {}
                    Ok(_) => {
                        self.pids.insert(pid, Pid::Elsewhere(first));
                        return;
                    }
                    // Exited: forgotten, rather than looked at again while hot or young.
                    Err(()) => {
                        self.pids.remove(&pid);
                        return;
                    }
                }
                match self.owner(pid) {
                    Some(o) => (o, Instant::now()),
                    None => {
                        self.pids.insert(pid, Pid::Elsewhere(first));
                        return;
                    }
                }
            }
        };
        #[cfg(test)]
        {
            *self.fd_reads.entry(pid).or_default() += 1;
        }
        let known = matches!(self.pids.get(&pid), Some(Pid::Here(..)));
        let mut held = std::mem::take(&mut self.held);
        held.clear();
        let read = read_fds(pid, &owner, &mut self.inodes, &mut held, &mut self.dents);
        let (added, fds) = match read {
            Some(r) => r,
            // A known one that exited: forgotten.
            None if known => {
                self.pids.remove(&pid);
                self.held = held;
                return;
            }
            None => (false, 0),
        };
        // Its command is read again only when it gave a new socket, the only time it names
        // something: a process with a socket in a stream would otherwise cost a read of
        // `comm` per pass. Changed (exec): it names every socket it holds.
        let mut owner = owner;
        if refresh && known && added {
            match fs::read(format!("/proc/{pid}/comm")) {
                Ok(c) if crate::escape::name(c.strip_suffix(b"\n").unwrap_or(&c)) == owner.comm => {
                }
                Ok(_) => {
                    if let Some(n) = self.owner(pid) {
                        for i in &held {
                            if let Some(o) = self.inodes.get_mut(i) {
                                if Arc::ptr_eq(o, &owner) {
                                    *o = n.clone();
                                }
                            }
                        }
                        owner = n;
                    }
                }
                // Exited since: what it held a moment ago was its.
                Err(_) => {}
            }
        }
        self.held = held;
        let at = Instant::now();
        let hot = if added { at } else { hot };
        self.pids
            .insert(pid, Pid::Here(owner, hot, Read { at, fds }));
    }

    /// Forgets the sockets of processes that exited. A socket outlives its process when
    /// another holds it too (a child after fork, the receiver of an SCM_RIGHTS message) and is
    /// then that one's: kept, the process that exited went on naming its packets. Forgotten,
    /// they are looked for again, and found with their holder now.
    pub fn forget_exited(&mut self) {
        let mut alive: HashMap<u32, bool> = HashMap::default();
        self.inodes
            .retain(|_, o| *alive.entry(o.pid).or_insert_with(|| running(o.pid)));
        // Their fds are to be read again, however recently they were.
        self.hot_tried.clear();
    }

    /// Keeps only the inodes in `listed` (the sockets that still exist).
    pub fn retain(&mut self, listed: &HashSet<u64>) {
        self.inodes.retain(|i, _| listed.contains(i));
        self.hot_tried.retain(|i| listed.contains(i));
    }

    fn owner(&mut self, pid: i32) -> Option<Arc<Owner>> {
        let comm = fs::read(format!("/proc/{pid}/comm")).ok()?;
        let comm = comm.strip_suffix(b"\n").unwrap_or(&comm);
        let container = fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .ok()
            .and_then(|c| self.container(&cgroup::parse(&c)));
        Some(Arc::new(
            Owner::new(pid as u32, &crate::escape::name(comm), container)
                .with_parent(super::filter::parent(pid as u32)),
        ))
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

    /// The tests below count this process's fds against FEW_FDS: the one that opens many
    /// runs alone.
    static FDS: std::sync::RwLock<()> = std::sync::RwLock::new(());

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
        let _few = FDS.read().unwrap_or_else(|e| e.into_inner());
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

    /// A socket still unknown at the next pass does not have the hot processes read again:
    /// only a new one does.
    #[test]
    fn hot_processes_are_read_once_per_unknown_socket() {
        let _few = FDS.read().unwrap_or_else(|e| e.into_inner());
        let me = std::process::id() as i32;
        let mut p = Procs::new(netns_of(me).unwrap());
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        p.resolve(&[inode(&a)]);
        assert!(p.inodes.contains_key(&inode(&a)));
        let nobody = u64::from(u32::MAX);
        std::thread::sleep(RESCAN_EVERY);
        p.resolve(&[nobody]);
        let reads = p.fd_reads[&me];
        // Retried before the rescan is due: nothing new to look for in the hot ones.
        p.resolve(&[nobody]);
        p.resolve(&[nobody]);
        assert_eq!(p.fd_reads[&me], reads);
        let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        p.resolve(&[nobody, inode(&b)]);
        assert_eq!(p.inodes.get(&inode(&b)).map(|o| o.pid), Some(me as u32));
    }

    /// A process holding many fds is read again at most every RESCAN_EVERY, even hot.
    #[test]
    fn a_process_with_many_fds_is_read_at_most_every_rescan() {
        let _many = FDS.write().unwrap_or_else(|e| e.into_inner());
        let me = std::process::id();
        let many: Vec<std::fs::File> = (0..=FEW_FDS)
            .map(|_| std::fs::File::open("/dev/null").unwrap())
            .collect();
        let mut p = Procs::new(netns_of(me as i32).unwrap());
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        p.resolve(&[inode(&a)]);
        assert_eq!(p.inodes.get(&inode(&a)).map(|o| o.pid), Some(me));
        // Hot (it just got a socket), but read a moment ago.
        let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let start = Instant::now();
        p.resolve(&[inode(&b)]);
        if start.elapsed() < RESCAN_EVERY / 2 {
            assert!(!p.inodes.contains_key(&inode(&b)));
        }
        std::thread::sleep(RESCAN_EVERY);
        p.resolve(&[inode(&b)]);
        assert_eq!(p.inodes.get(&inode(&b)).map(|o| o.pid), Some(me));
        drop(many);
    }
}

#[cfg(test)]
mod newcomers {
    use super::*;

    /// Seeking /proc to a PID lists that PID and later ones only.
    #[test]
    fn proc_lists_pids_from_an_offset() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let dir = open_proc().unwrap();
        let mut buf = vec![0u8; 4096];
        let mut out = Vec::new();
        assert!(pids_from(&dir, pid, &mut buf, &mut out));
        let _ = child.kill();
        let _ = child.wait();
        assert!(out.contains(&pid), "{pid} not in {out:?}");
        assert!(out.iter().all(|&p| p >= pid), "{out:?}");
    }
}
