//! Throwaway cgroup trees laid out the way container runtimes lay them out.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{unique, Proc};

/// Where a cgroup hierarchy is mounted: the cgroup2 one (`None`), or the v1 one whose mount
/// options include `option` (`pids`, `name=systemd`).
fn cgroup_mount(option: Option<&str>) -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        let mut r = right.split_whitespace();
        let fstype = r.next()?;
        let opts = r.nth(1)?;
        let mount = left.split_whitespace().nth(4)?;
        let hit = match option {
            None => fstype == "cgroup2",
            Some(o) => fstype == "cgroup" && opts.split(',').any(|x| x == o),
        };
        hit.then(|| PathBuf::from(mount))
    })
}

/// A throwaway cgroup tree `<mount>/nscap-test-<unique>/...`: runtimes' real directory names
/// under a test-unique parent. On drop its processes are moved back to the root and every
/// directory is removed, deepest first.
pub struct CgroupTree {
    pub mount: PathBuf,
    pub top: PathBuf,
}

impl CgroupTree {
    /// On the cgroup2 hierarchy.
    pub fn v2() -> CgroupTree {
        Self::on(cgroup_mount(None).expect("a cgroup2 hierarchy is mounted"))
    }

    /// On the v1 hierarchy mounted with `option`, when there is one.
    pub fn v1(option: &str) -> Option<CgroupTree> {
        cgroup_mount(Some(option)).map(Self::on)
    }

    fn on(mount: PathBuf) -> CgroupTree {
        let top = mount.join(format!("nscap-test-{}", unique("")));
        std::fs::create_dir(&top).unwrap();
        CgroupTree { mount, top }
    }

    /// `<top>/<rel>`, created.
    pub fn dir(&self, rel: &str) -> PathBuf {
        let d = self.top.join(rel);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Moves `pid` into `<top>/<rel>`.
    pub fn add(&self, rel: &str, pid: i32) {
        std::fs::write(self.dir(rel).join("cgroup.procs"), pid.to_string()).unwrap();
    }

    /// Runs `cmd` (via `sh -c`, which execs it) inside `<top>/<rel>` from its first instruction,
    /// so everything it starts is in there too.
    pub fn spawn(&self, rel: &str, cmd: &str) -> Proc {
        let procs = self.dir(rel).join("cgroup.procs");
        Proc::spawn(&format!("echo $$ > {} && exec {cmd}", procs.display()))
    }

    /// The path a process inside `<top>/<rel>` sees in /proc/PID/cgroup.
    pub fn cgroup_path(&self, rel: &str) -> String {
        format!(
            "/{}",
            self.top
                .join(rel)
                .strip_prefix(&self.mount)
                .unwrap()
                .display()
        )
    }
}

impl Drop for CgroupTree {
    fn drop(&mut self) {
        let mut dirs = Vec::new();
        let mut stack = vec![self.top.clone()];
        while let Some(d) = stack.pop() {
            if let Ok(rd) = std::fs::read_dir(&d) {
                stack.extend(
                    rd.filter_map(|e| e.ok())
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| e.path()),
                );
            }
            dirs.push(d);
        }
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        let root_procs = self.mount.join("cgroup.procs");
        for d in dirs {
            let deadline = Instant::now() + Duration::from_secs(2);
            loop {
                if let Ok(pids) = std::fs::read_to_string(d.join("cgroup.procs")) {
                    for pid in pids.split_whitespace() {
                        let _ = std::fs::write(&root_procs, pid);
                    }
                }
                if std::fs::remove_dir(&d).is_ok() || Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}
