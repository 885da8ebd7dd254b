//! `--follow` and patterns: the namespaces of a capture come and go. The host is looked over
//! every [`RESCAN_EVERY`], and at once when inotify sees a folder of namespace names change;
//! namespaces that went away leave, and new ones that the selection wants join.
//!
//! A namespace passed over is not looked at again while it lives, except while it settles: a
//! runtime names a new namespace before it moves the container in and records whose it is.

use std::collections::{HashMap, HashSet};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::unix::AsyncFd;

use super::{shown, Namespace, Session};
use crate::targets::select::{self, Holders, Member, Selection};
use crate::targets::Roots;

/// How often the host is looked over for namespaces that came or went (`--follow`, and
/// namespaces found by a pattern). inotify on the namespace folders wakes it sooner.
pub(super) const RESCAN_EVERY: Duration = Duration::from_millis(400);

impl Session<'_> {
    /// Looks the host over: namespaces that went away leave; new ones that the selection wants
    /// join (`--follow`). Without `--follow`, a namespace found by a pattern that went away ends
    /// the capture, as a target's exit does: its name comes back.
    pub(super) fn rescan(&mut self) -> Option<String> {
        let follow = self.cfg.follow;
        let (open, passed) = if follow {
            let open = self
                .spaces
                .iter()
                .filter(|s| !s.gone)
                .map(|s| s.inode)
                .collect();
            (open, self.passed.clone())
        } else {
            (HashSet::new(), HashMap::new())
        };
        let found = match &self.scanner {
            Some(t) => {
                let sel = self.sel.clone();
                match t.call(None, String::new(), move || {
                    Ok(look(follow, &sel, &open, &passed))
                }) {
                    Ok(f) => f,
                    Err(e) => return Some(format!("cannot look for namespaces: {e:#}")),
                }
            }
            None => look(follow, &self.sel, &open, &passed),
        };
        for s in 0..self.spaces.len() {
            let sp = &self.spaces[s];
            if sp.gone || found.live.contains_key(&sp.inode) {
                continue;
            }
            if !follow {
                if sp.matched {
                    return Some(format!("{} ({}) is gone", sp.name, sp.label));
                }
                continue;
            }
            // Named by a PID or a path: nothing can bring it back.
            if sp.fixed {
                return Some(format!("{} is gone", sp.label));
            }
            let ifaces = sp.open.iter().map(|(i, _)| *i).collect();
            self.leave(s, ifaces, "namespace gone".into(), true);
        }
        if !follow {
            return None;
        }
        self.passed.retain(|i, _| found.live.contains_key(i));
        for (ino, h) in found.passed {
            let now = Instant::now();
            self.passed
                .entry(ino)
                .and_modify(|p| {
                    // Its first process came, or its names changed: the runtime records whose
                    // it is only now, or it is another namespace.
                    if ((h.process && !p.held) || h.names != p.names) && p.since.is_some() {
                        p.since = Some(now);
                    }
                    p.held = h.process;
                    p.names.clone_from(&h.names);
                })
                .or_insert(Passed {
                    held: h.process,
                    names: h.names,
                    since: Some(now),
                });
        }
        for m in found.joined {
            let sp = Namespace::new(m);
            eprintln!(
                "nscap: {} joined ({})",
                shown(&sp.name),
                crate::escape::text(&sp.description)
            );
            self.spaces.push(sp);
            self.open(self.spaces.len() - 1, true);
        }
        None
    }
}

/// A namespace the selection did not want when it was seen.
#[derive(Clone)]
pub(super) struct Passed {
    /// A process held it then (not only a name in a netns folder).
    pub(super) held: bool,
    /// Its names then.
    pub(super) names: Vec<String>,
    /// When it was first passed over; `None`: never look again (the host's own).
    pub(super) since: Option<Instant>,
}

/// How long a new namespace, and again one that has just gained its first process, is looked
/// at again on every scan: a runtime creates and names it (Docker's `/run/docker/netns`, CNI's
/// `cni-*`) before it moves the container's process and cgroup in, and writes its own records
/// of the container after that; until then nothing says whose it is.
const SETTLING: Duration = Duration::from_secs(3);

impl Passed {
    /// Whether to look again at a namespace passed over, now held by `h`: while it settles,
    /// when it gains its first process (which starts the settling again), and when its names
    /// change (named anew, or a new namespace that reuses the inode of one passed over: keyed
    /// by inode alone, it was never looked at).
    fn again(&self, h: &Holders) -> bool {
        match self.since {
            None => false,
            Some(at) => {
                at.elapsed() < SETTLING || (h.process && !self.held) || h.names != self.names
            }
        }
    }
}

/// What a look over the host found.
struct Found {
    /// The namespaces something still holds, and what.
    live: HashMap<u64, Holders>,
    /// New namespaces the selection wants, open.
    joined: Vec<Member>,
    /// Namespaces it does not want, or that could not be opened, and what held each.
    passed: Vec<(u64, Holders)>,
}

/// Looks the host over; with `follow`, namespaces neither `open` nor `passed` over for good
/// are also sorted into those that join and those passed over. Reads other users'
/// `/proc/PID/ns/net` (CAP_SYS_PTRACE) and the runtimes' state (CAP_DAC_READ_SEARCH).
fn look(
    follow: bool,
    sel: &Selection,
    open: &HashSet<u64>,
    passed: &HashMap<u64, Passed>,
) -> Found {
    let live = select::live_inodes(&Roots::from_env());
    let mut found = Found {
        live,
        joined: Vec::new(),
        passed: Vec::new(),
    };
    if !follow {
        return found;
    }
    let new: Vec<(u64, Holders)> = found
        .live
        .iter()
        .filter(|(i, h)| !open.contains(i) && passed.get(i).is_none_or(|p| p.again(h)))
        .map(|(i, h)| (*i, h.clone()))
        .collect();
    if new.is_empty() {
        return found;
    }
    let snap = select::Snapshot::load();
    for (ino, holders) in new {
        let row = snap.rows.get(&ino);
        let target = match row {
            Some(r) if sel.wants(r) => select::open_row(&snap, r).ok(),
            _ => None,
        };
        let Some(target) = target else {
            found.passed.push((ino, holders));
            continue;
        };
        let (name, description) = select::identify(row, ino, None);
        found.joined.push(Member {
            target,
            name,
            description,
            matched: true,
            fixed: false,
        });
    }
    found
}

/// An inotify instance that tokio can poll.
pub(super) struct Folders(Inotify);

impl std::os::fd::AsRawFd for Folders {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// inotify on the folders where namespaces get names: a new `ip netns` or container shows up
/// at once instead of at the next scan. Folders that do not exist are not watched.
pub(super) fn watch_folders(dirs: &[std::path::PathBuf]) -> Option<AsyncFd<Folders>> {
    let ino = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok()?;
    let mut any = false;
    for d in dirs {
        let mask = AddWatchFlags::IN_CREATE | AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_TO;
        any |= ino.add_watch(d.as_path(), mask).is_ok();
    }
    if !any {
        return None;
    }
    // SAFETY: the AsyncFd owns the instance, and so its descriptor, until it is dropped.
    unsafe { AsyncFd::register_with_interest(Folders(ino), tokio::io::Interest::READABLE) }.ok()
}

/// Resolves when a watched folder changed (never when nothing is watched). A namespace file is
/// bind-mounted just after it is created: a short pause lets that happen before the rescan.
pub(super) async fn woken(wake: &Option<AsyncFd<Folders>>) {
    let Some(fd) = wake else {
        return std::future::pending().await;
    };
    loop {
        let Ok(mut guard) = fd.readable().await else {
            return std::future::pending().await;
        };
        match fd.get_ref().0.read_events() {
            Ok(ev) if !ev.is_empty() => {
                guard.clear_ready();
                tokio::time::sleep(Duration::from_millis(50)).await;
                return;
            }
            _ => guard.clear_ready(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(process: bool, names: &[&str]) -> Holders {
        Holders {
            process,
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    /// A namespace passed over is not looked at again once settled, unless it gains its first
    /// process or its names change: `ip netns add q1` that reuses the inode of a namespace
    /// passed over (keyed by inode alone, it never joined a `-t 'q*' --follow` capture).
    #[test]
    fn a_passed_namespace_is_looked_at_again_when_its_holders_change() {
        let settled = Instant::now() - SETTLING - Duration::from_millis(1);
        let p = Passed {
            held: false,
            names: vec!["other".into()],
            since: Some(settled),
        };
        assert!(!p.again(&held(false, &["other"])));
        assert!(
            p.again(&held(false, &["q1"])),
            "a new name on the same inode"
        );
        assert!(p.again(&held(true, &["other"])), "its first process");
        let fresh = Passed {
            since: Some(Instant::now()),
            ..p.clone()
        };
        assert!(fresh.again(&held(false, &["other"])), "still settling");
        let host = Passed { since: None, ..p };
        assert!(!host.again(&held(true, &["q1"])), "the host's, never");
    }
}
