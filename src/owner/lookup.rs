//! The lookup thread of one namespace: it learns of new flows from its probe and from the
//! writer's questions, finds their sockets over NETLINK_SOCK_DIAG and their processes in
//! `/proc`, and publishes what it found in the shared [`Sockets`] table.

use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use crate::os;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use foldhash::HashSet;

use super::table::{ends, lock, Endpoint, Flow, Known, Shared};

/// How long a flow stays checked as untranslated, for bound sockets to answer for it.
const CHECKED_FOR: Duration = Duration::from_secs(60);
use super::*;

/// An eventfd: the writer rings it, the thread polls it.
pub(super) struct Wake(pub(super) OwnedFd);

impl Wake {
    pub(super) fn new() -> std::io::Result<Wake> {
        Ok(Wake(os::eventfd()?))
    }

    pub(super) fn ring(&self) {
        os::eventfd_ring(self.0.as_fd());
    }

    pub(super) fn clear(&self) {
        os::eventfd_clear(self.0.as_fd());
    }
}

/// The namespace's own addresses, read in it (on this thread).
pub(super) fn own_addrs() -> Vec<IpAddr> {
    let Ok(list) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    let mut v: Vec<IpAddr> = list
        .filter_map(|i| {
            let a = i.address?;
            if let Some(s) = a.as_sockaddr_in() {
                Some(IpAddr::from(s.ip()))
            } else {
                a.as_sockaddr_in6().map(|s| IpAddr::from(s.ip()))
            }
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The probe: a capture of what starts a flow, on `any` in the thread's namespace.
pub(super) struct Probe {
    pub(super) cap: pcap::Capture<pcap::Active>,
    pub(super) linktype: u16,
}

impl Probe {
    /// Opens it on the calling thread, which is in the namespace.
    pub(super) fn open() -> std::result::Result<Probe, String> {
        let e = |e: pcap::Error| e.to_string();
        let mut cap = pcap::Capture::from_device("any")
            .map_err(e)?
            .snaplen(PROBE_SNAPLEN)
            .buffer_size(PROBE_BUFFER)
            .immediate_mode(true)
            .open()
            .map_err(e)?;
        cap.filter(PROBE_FILTER, true).map_err(e)?;
        let cap = cap.setnonblock().map_err(e)?;
        let linktype = u16::try_from(cap.get_datalink().0).unwrap_or(0);
        Ok(Probe { cap, linktype })
    }

    /// Appends the flow of each packet that arrived since the last call: (protocol, source,
    /// destination).
    pub(super) fn read(&mut self, out: &mut Vec<(u8, Endpoint, Endpoint)>) {
        let linktype = self.linktype;
        // Non-blocking: returns at once when the ring is empty. An error (the namespace's
        // interfaces gone) leaves the flows to the writer's questions.
        let _ = self.cap.dispatch(None, |p| {
            if let Some(f) = ends(linktype, None, p.data, p.header.len) {
                out.push(f);
            }
        });
    }
}

/// Waits until `fds` has something to read or `timeout` passes (at once when zero): whether
/// the first one (the eventfd) is readable. ppoll, for a gap shorter than a millisecond.
pub(super) fn wait(fds: &mut [libc::pollfd], timeout: Duration) -> bool {
    for f in fds.iter_mut() {
        f.revents = 0;
    }
    os::ppoll(fds, timeout) > 0 && fds[0].revents != 0
}

/// Appends the socket of a packet from `a` to `b`, looked up from the end that is one of the
/// namespace's addresses (`ours`), or from either when both or neither are (loopback, an
/// address added since they were read). One end only is half the netlink requests of a flow
/// whose socket is already gone, the usual miss (bench/process.sh). A failed lookup is a
/// flow left unknown, not an end of attribution.
pub(super) fn find(
    diag: &mut diag::Diag,
    ours: &[IpAddr],
    (proto, a, b): (u8, Endpoint, Endpoint),
    out: &mut Vec<diag::Sock>,
) {
    let is_ours = |e: Endpoint| ours.contains(&e.0.to_canonical());
    let (from_a, from_b) = match (is_ours(a), is_ours(b)) {
        (true, false) => (true, false),
        (false, true) => (false, true),
        _ => (true, true),
    };
    let n = out.len();
    if from_a {
        let _ = diag.find(proto, a, b, out);
    }
    if from_b && out.len() == n {
        let _ = diag.find(proto, b, a, out);
    }
}

/// Runs on the namespace's thread until `stop` or its namespace leaves: a pass when the probe
/// saw a new flow, when the writer asks, while flows wait for their process, and every
/// [`FULL_EVERY`] (with a probe) or [`POLL`] (without).
pub(super) fn resolve_loop(
    netns: u64,
    shared: &Shared,
    woken: &Wake,
    stop: &AtomicBool,
    mut probe: Option<Probe>,
) -> std::io::Result<()> {
    let mut diag = diag::Diag::open()?;
    // Connection tracking, to tell a router's forwarded, masqueraded packets from its own
    // sockets' (see `conntrack`); none without CAP_NET_ADMIN.
    // One question first: without CAP_NET_ADMIN (after -Z) every one is refused, and bound
    // sockets must answer as before from the start, not from the first refusal.
    let mut ct = super::conntrack::Conntrack::open()
        .ok()
        .and_then(|mut c| c.usable().then_some(c));
    lock(shared).tracked = ct.is_some();
    let mut checked: Vec<(u8, Endpoint, Endpoint)> = Vec::new();
    // SYNs to a listener of ours, seen by the probe: checked, not looked up.
    let mut to_listeners: Vec<(u8, Endpoint, Endpoint)> = Vec::new();
    let mut procs = procs::Procs::new(netns);
    let full_every = if probe.is_some() { FULL_EVERY } else { POLL };
    let mut socks = Vec::new();
    let mut listed = HashSet::default();
    let mut wanted = Vec::new();
    let mut addrs_at: Option<Instant> = None;
    let mut addrs = Vec::new();
    let mut full_at: Option<Instant> = None;
    let mut asked = Vec::new();
    let mut starts = Vec::new();
    let mut looks: Vec<(u8, Endpoint, Endpoint)> = Vec::new();
    // Sockets found whose process was not, until when they are looked for.
    let mut pending: Vec<(diag::Sock, (u8, Endpoint, Endpoint), Instant)> = Vec::new();
    let mut fresh = Vec::new();
    let mut last: Option<Instant> = None;
    // The last pass took a new flow from the probe: more may follow within MIN_GAP, and one
    // pass then takes them all (at 2 000 connections/s, one wake-up for two, not for each).
    let mut streaming = false;
    let mut fds = [
        woken.0.as_raw_fd(),
        probe.as_ref().map_or(-1, |p| p.cap.as_raw_fd()),
    ]
    .map(|fd| libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    });
    let polled = if probe.is_some() { 2 } else { 1 };
    loop {
        if stop.load(Ordering::Relaxed) || lock(shared).quit {
            return Ok(());
        }
        // Under a stream of new flows, passes at most every MIN_GAP, each taking what came
        // meanwhile: one read of a process's fds answers for all of its new sockets. Not
        // while processes start in the namespace: a one-shot client may be gone by then.
        // In a stream the gap is waited out first, on the eventfd alone (the writer's
        // questions do not wait for it), and the probe's flows are there after it: one
        // wake-up per pass, where waking on the first SYN and sleeping after took two.
        let starting = procs.started.is_some_and(|t| t.elapsed() < STARTING);
        let gap = |last: Option<Instant>| {
            last.map_or(Duration::ZERO, |t| MIN_GAP.saturating_sub(t.elapsed()))
        };
        let mut rung = false;
        if streaming && !starting && !gap(last).is_zero() {
            rung = wait(&mut fds[..1], gap(last));
        }
        let now = Instant::now();
        let due = full_at.map_or(Duration::ZERO, |t| {
            full_every.saturating_sub(now.duration_since(t))
        });
        let timeout = if rung {
            Duration::ZERO
        } else if pending.is_empty() {
            due
        } else {
            due.min(PENDING_GAP)
        };
        // The eventfd is cleared only when it rang: a read of an empty one is a system call
        // per pass for nothing.
        rung |= wait(&mut fds[..polled], timeout);
        if !rung && !starting && !gap(last).is_zero() {
            std::thread::sleep(gap(last));
        }
        last = Some(Instant::now());
        if rung {
            woken.clear();
        }
        starts.clear();
        if let Some(p) = probe.as_mut() {
            p.read(&mut starts);
        }
        streaming = !starts.is_empty();
        let now = Instant::now();
        looks.clear();
        {
            let mut t = lock(shared);
            if t.quit {
                return Ok(());
            }
            t.begun += 1;
            std::mem::swap(&mut asked, &mut t.wanted);
            t.wanted.clear();
            for &(proto, src, dst) in &starts {
                if proto == 6 {
                    // A SYN: a new connection, whatever the table says of these addresses
                    // (an old one's process must not name it).
                    for f in [
                        Flow {
                            proto,
                            local: src,
                            remote: dst,
                        },
                        Flow {
                            proto,
                            local: dst,
                            remote: src,
                        },
                    ] {
                        t.flows.remove(&f);
                    }
                    // To one of our listeners: the listener's process answers for it (the
                    // accepted socket is found by the next full pass), once connection
                    // tracking says it was not translated (below).
                    if t.bound_to(proto, dst).is_some() {
                        to_listeners.push((proto, src, dst));
                        continue;
                    }
                } else if t.lookup(proto, src, dst).is_some() || t.tried(proto, src, dst) {
                    // A UDP flow known already; a new socket on its addresses is found by
                    // the next full pass.
                    continue;
                }
                if !looks.contains(&(proto, src, dst)) {
                    looks.push((proto, src, dst));
                }
            }
        }
        looks.append(&mut asked);
        checked.clear();
        if let Some(c) = ct.as_mut() {
            for &(proto, src, dst) in &to_listeners {
                match c.natted(proto, src, dst) {
                    Ok(Some(true)) => {}
                    Ok(_) => checked.push((proto, src, dst)),
                    Err(e) if super::conntrack::refused(&e) => {
                        ct = None;
                        lock(shared).tracked = false;
                        break;
                    }
                    // A failure of the moment: this flow stays unchecked, asked again.
                    Err(_) => {}
                }
            }
        }
        to_listeners.clear();
        if addrs_at.is_none_or(|t| t.elapsed() >= ADDRS_EVERY) {
            addrs = own_addrs();
            addrs_at = Some(Instant::now());
        }
        socks.clear();
        let full = full_at.is_none_or(|t| now.duration_since(t) >= full_every);
        // Each looked-up flow: the index of its socket in `socks`, if found.
        let mut found: Vec<((u8, Endpoint, Endpoint), Option<usize>)> =
            Vec::with_capacity(looks.len());
        if full {
            diag.dump_all(&mut socks)?;
            full_at = Some(now);
        }
        // One kernel lookup each, even in a full pass: a flow's socket must be told from the
        // others for `tried`, and the dump may have been read before its SYN went out.
        for &l in &looks {
            let n = socks.len();
            find(&mut diag, &addrs, l, &mut socks);
            found.push((l, (socks.len() > n).then_some(n)));
        }
        // The sockets still waiting for their process, unless gone since: looked up again,
        // kept while the same socket is there.
        pending.retain(|(_, _, until)| now < *until);
        pending.retain(|&(s, l, _)| {
            let n = socks.len();
            find(&mut diag, &addrs, l, &mut socks);
            let same = socks.len() > n && socks[n].inode == s.inode;
            socks.truncate(n + usize::from(same));
            same
        });
        wanted.clear();
        if full {
            listed.clear();
            procs.forget_exited();
        }
        for s in &socks {
            if s.inode != 0 {
                if full {
                    listed.insert(s.inode);
                }
                if !procs.inodes.contains_key(&s.inode) {
                    wanted.push(s.inode);
                }
            }
        }
        procs.resolve(&wanted);
        if full {
            for (s, _, _) in &pending {
                listed.insert(s.inode);
            }
            procs.retain(&listed);
        }
        fresh.clear();
        // Which flows a bound socket could answer for: only those need connection tracking's
        // word (one or two netlink round trips each).
        let bindable: Vec<bool> = {
            let t = lock(shared);
            found
                .iter()
                .map(|((p, a, b), _)| {
                    t.bound.contains_key(&(*p, a.1)) || t.bound.contains_key(&(*p, b.1))
                })
                .collect()
        };
        for (k, (l, at)) in found.iter_mut().enumerate() {
            // A bound socket answers only for the namespace's own addresses: one found for a
            // packet between two others (the reversed lookup finds a wildcard listener on the
            // far end's port) is not this flow's.
            let mut exact = false;
            let mut bindable = bindable[k];
            if let Some(i) = *at {
                let s = socks[i];
                let bound = if s.proto == 6 {
                    s.state == diag::LISTEN
                } else {
                    s.remote.1 == 0
                };
                let ours = |ip: IpAddr| addrs.contains(&ip.to_canonical());
                if bound && !ours(l.1 .0) && !ours(l.2 .0) {
                    *at = None;
                }
                exact = !bound;
                bindable |= bound;
            }
            // Without a socket of its very own, a flow whose addresses were translated (a
            // router masquerading a client's packets as its own) is nobody's here, whatever
            // local socket is bound to its port.
            if !exact && bindable {
                if let Some(c) = ct.as_mut() {
                    match c.natted(l.0, l.1, l.2) {
                        Ok(Some(true)) => *at = None,
                        Ok(_) => checked.push(*l),
                        // No right to ask (CAP_NET_ADMIN), or no ctnetlink: as before.
                        Err(e) if super::conntrack::refused(&e) => {
                            ct = None;
                            lock(shared).tracked = false;
                        }
                        // A failure of the moment: this flow stays unchecked.
                        Err(_) => {}
                    }
                }
            }
        }
        for &(l, at) in &found {
            match at.map(|i| socks[i]) {
                Some(s) if s.inode != 0 && !procs.inodes.contains_key(&s.inode) => {
                    if !pending.iter().any(|(p, _, _)| p.inode == s.inode) {
                        pending.push((s, l, now + PENDING));
                    }
                    fresh.push(l);
                }
                Some(_) => {}
                None => fresh.push(l),
            }
        }
        pending.retain(|(s, _, _)| !procs.inodes.contains_key(&s.inode));
        // Before the pass is published: a writer woken by it finds them checked.
        if !checked.is_empty() || full {
            let mut t = lock(shared);
            for &f in &checked {
                t.checked.insert(f, now);
            }
            if full {
                t.checked
                    .retain(|_, at| now.duration_since(*at) < CHECKED_FOR);
            }
        }
        publish(shared, &socks, &procs, &addrs, full, &fresh);
    }
}

/// A socket's address as packets carry it: IPv4 for IPv4-mapped IPv6.
pub(super) fn canonical((ip, port): Endpoint) -> Endpoint {
    (ip.to_canonical(), port)
}

/// Puts what a pass found into the table: all of it when `full` (the complete list of the
/// namespace's sockets), else added to what is there.
pub(super) fn publish(
    shared: &Shared,
    socks: &[diag::Sock],
    procs: &procs::Procs,
    addrs: &[IpAddr],
    full: bool,
    tried: &[(u8, Endpoint, Endpoint)],
) {
    let now = Instant::now();
    let mut t = lock(shared);
    t.addrs.clear();
    t.addrs.extend_from_slice(addrs);
    if full {
        t.bound.clear();
        t.tried.retain(|_, at| now.duration_since(*at) < ASKED_FOR);
    }
    for &f in tried {
        t.tried.insert(f, now);
    }
    for s in socks {
        let owner = procs.inodes.get(&s.inode);
        let (local, remote) = (canonical(s.local), canonical(s.remote));
        let bound = if s.proto == 6 {
            s.state == diag::LISTEN
        } else {
            remote.1 == 0
        };
        if bound {
            if let Some(o) = owner {
                let v = t.bound.entry((s.proto, local.1)).or_default();
                // A lookup finds again what the table may hold already.
                if full || !v.iter().any(|(a, _)| *a == local.0) {
                    v.push((local.0, o.clone()));
                }
            }
            continue;
        }
        let flow = Flow {
            proto: s.proto,
            local,
            remote,
        };
        match (owner, t.flows.get_mut(&flow)) {
            // A new socket on the same addresses replaces the old flow's process.
            (Some(o), Some(k)) => {
                if k.owner != *o {
                    k.owner = o.clone();
                }
                k.seen = now;
            }
            (Some(o), None) => {
                t.flows.insert(
                    flow,
                    Known {
                        owner: o.clone(),
                        seen: now,
                    },
                );
            }
            // No process holds it (TIME_WAIT, the process exited): the flow lives on.
            (None, Some(k)) if s.inode == 0 => k.seen = now,
            _ => {}
        }
    }
    if full {
        t.flows.retain(|_, k| now.duration_since(k.seen) < LINGER);
    }
    t.done = t.begun;
    if t.waiting > 0 {
        shared.1.notify_all();
    }
}
