//! `--pid`, `--comm`, `--pid-tree`: only the packets `--process` attributes to these processes.
//! A packet whose process is not known (not yet found, or nobody's) is left out: nscap cannot
//! say it is theirs.

use foldhash::HashMap;

use crate::packet::Owner;

/// Which processes' packets are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wanted {
    pub pids: Vec<u32>,
    /// Command names, as `/proc/PID/comm` has them (15 bytes at most).
    pub comms: Vec<String>,
    /// The descendants of `pids` too.
    pub tree: bool,
}

/// [`Wanted`], with what is known of processes' ancestry.
pub struct Filter {
    wanted: Wanted,
    /// (PID, its parent when found) → whether it descends from a wanted one: a PID used again
    /// by a process of another parent is asked afresh.
    descends: HashMap<(u32, u32), bool>,
}

/// The parent of `pid`, from /proc/PID/stat; None when it is gone or unreadable.
pub(super) fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    u32::try_from(crate::targets::scan::ppid_of(&stat)?).ok()
}

impl Filter {
    pub fn new(wanted: Wanted) -> Filter {
        Filter {
            wanted,
            descends: HashMap::default(),
        }
    }

    /// Whether a packet of `owner` is kept.
    pub fn keeps(&mut self, owner: Option<&Owner>) -> bool {
        let Some(o) = owner else {
            return false;
        };
        if self.wanted.pids.contains(&o.pid) || self.wanted.comms.contains(&o.comm) {
            return true;
        }
        self.wanted.tree && self.descends(o)
    }

    /// Whether `o` descends from a wanted PID: its parent as recorded when it was found (it may
    /// have exited since), then the parents' parents from /proc.
    fn descends(&mut self, o: &Owner) -> bool {
        let key = (o.pid, o.parent.unwrap_or(0));
        if let Some(&d) = self.descends.get(&key) {
            return d;
        }
        if self.descends.len() >= 4096 {
            self.descends.clear();
        }
        let mut next = o.parent.or_else(|| parent(o.pid));
        let mut found = false;
        for _ in 0..64 {
            match next {
                Some(p) if self.wanted.pids.contains(&p) => {
                    found = true;
                    break;
                }
                Some(p) if p > 1 => next = parent(p),
                _ => break,
            }
        }
        self.descends.insert(key, found);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_processes_asked_for_and_nothing_unknown() {
        let mut f = Filter::new(Wanted {
            pids: vec![42],
            comms: vec!["curl".into()],
            tree: false,
        });
        assert!(f.keeps(Some(&Owner::new(42, "sh", None))));
        assert!(f.keeps(Some(&Owner::new(7, "curl", None))));
        assert!(!f.keeps(Some(&Owner::new(7, "wget", None))));
        assert!(!f.keeps(None));
    }

    /// A process that has exited is known by the parent recorded when it was found.
    #[test]
    fn an_exited_child_is_known_by_its_recorded_parent() {
        let mut f = Filter::new(Wanted {
            pids: vec![4_000_001],
            comms: vec![],
            tree: true,
        });
        let gone = Owner::new(4_000_002, "curl", None).with_parent(Some(4_000_001));
        assert!(f.keeps(Some(&gone)));
        // The same PID later, another parent: asked afresh, and not wanted.
        let other = Owner::new(4_000_002, "x", None).with_parent(Some(1));
        assert!(!f.keeps(Some(&other)));
    }

    /// This test process descends from its parent's parent: --pid-tree finds it there.
    #[test]
    fn a_tree_takes_descendants() {
        let me = std::process::id();
        let up = parent(me).unwrap();
        let mut f = Filter::new(Wanted {
            pids: vec![up],
            comms: vec![],
            tree: true,
        });
        assert!(f.keeps(Some(&Owner::new(me, "x", None))));
        let mut f = Filter::new(Wanted {
            pids: vec![me],
            comms: vec![],
            tree: true,
        });
        assert!(!f.keeps(Some(&Owner::new(up, "x", None))));
    }

    #[test]
    fn parents_are_read_past_odd_command_names() {
        assert_eq!(
            parent(std::process::id()),
            Some(std::os::unix::process::parent_id())
        );
    }
}
