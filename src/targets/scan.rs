//! One pass over `/proc`: every process's network namespace and cgroup membership.
//!
//! Processes come and go while we read; one that vanishes mid-read is simply left out.

use std::fs;
use std::os::unix::fs::MetadataExt;

use super::cgroup::{self, CgroupInfo};

#[derive(Debug, Clone)]
pub struct ProcInfo {
    pub pid: i32,
    /// Inode of the network namespace.
    pub netns: u64,
    /// Parent PID; read only for processes in a container (to find its init), else 0.
    pub ppid: i32,
    pub cgroup: CgroupInfo,
}

/// `/proc/PID/stat` field 4; the command name before it may contain spaces and parentheses.
pub fn ppid_of(stat: &str) -> Option<i32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// `/proc/PID/stat` fields 3 and 9: the state letter (`Z` for a zombie) and the kernel's
/// `PF_*` flags.
pub fn state_and_flags(stat: &str) -> Option<(char, u64)> {
    let mut rest = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let flags = rest.nth(5)?.parse().ok()?;
    Some((state, flags))
}

/// When process `pid` started, in seconds since the epoch: `/proc/PID/stat` field 22 (clock
/// ticks after boot) and the boot time of `/proc/stat`.
pub fn started(pid: i32) -> Option<i64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks: i64 = stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()?;
    let boot: i64 = fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    Some(boot + ticks / crate::os::clock_ticks())
}

/// One process, or None when it is gone or unreadable.
pub fn read(pid: i32) -> Option<ProcInfo> {
    let netns = fs::metadata(format!("/proc/{pid}/ns/net")).ok()?.ino();
    let cg = cgroup::parse(&fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?);
    let ppid = if cg.container.is_some() || cg.pod_uid.is_some() {
        ppid_of(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?
    } else {
        0
    };
    Some(ProcInfo {
        pid,
        netns,
        ppid,
        cgroup: cg,
    })
}

/// Every process (thread-group leaders only: threads share their leader's network namespace
/// as far as a target is concerned), sorted by PID.
pub fn scan() -> Vec<ProcInfo> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut v: Vec<ProcInfo> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read)
        .collect();
    v.sort_by_key(|p| p.pid);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppid_survives_odd_command_names() {
        assert_eq!(ppid_of("42 (sleep) S 7 42 42 0"), Some(7));
        assert_eq!(ppid_of("42 (a) b) (c) R 9 1"), Some(9));
        assert_eq!(ppid_of("42 (x"), None);
        assert_eq!(ppid_of(""), None);
    }

    #[test]
    fn state_and_flags_survive_odd_command_names() {
        let kthreadd = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0";
        assert_eq!(state_and_flags(kthreadd), Some(('S', 2_129_984)));
        assert_eq!(
            state_and_flags("42 (a) Z (b) Z 1 42 42 0 -1 4194560"),
            Some(('Z', 4_194_560))
        );
        assert_eq!(state_and_flags("42 (x) S 1"), None);
    }

    #[test]
    fn finds_ourselves() {
        let me = std::process::id() as i32;
        let all = scan();
        let p = all.iter().find(|p| p.pid == me).expect("our own pid");
        let ino = fs::metadata("/proc/self/ns/net").unwrap().ino();
        assert_eq!(p.netns, ino);
        assert!(all.windows(2).all(|w| w[0].pid < w[1].pid));
    }
}
