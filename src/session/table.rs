//! The interfaces of a live capture: one entry per capture handle, and, behind an `any` handle,
//! one per interface its packets name; with several namespaces each is named `NAME/IFACE`.

use std::collections::HashMap;

use super::Namespace;
use crate::capture::{Opened, Stats};
use crate::packet::{Counters, Interface};

/// The session's interface table and what is known of each interface: entries are never
/// removed, so an index names one interface for the whole capture (sinks and `--process` key
/// on it).
#[derive(Default)]
pub(super) struct Interfaces {
    pub(super) interfaces: Vec<Interface>,
    pub(super) owner: Vec<usize>,
    pub(super) captured: Vec<u64>,
    /// Counters read when the interface left.
    pub(super) stats: Vec<Option<Stats>>,
    /// A capture handle (not an interface behind an `any` handle).
    pub(super) handle: Vec<bool>,
    /// For an `any` handle reading Linux cooked v2: (interface index, table entry), by index.
    pub(super) by_index: Vec<Option<Vec<(u32, usize)>>>,
    /// How often each NAME/IFACE was given, for `#2`.
    pub(super) given: HashMap<String, u32>,
}

impl Interfaces {
    /// Adds an interface of `space`; returns its index.
    pub(super) fn add(
        &mut self,
        space: usize,
        sp: &Namespace,
        mut i: Interface,
        many: bool,
    ) -> usize {
        if many {
            let base = format!("{}/{}", sp.name, i.name);
            let n = self.given.entry(base.clone()).or_insert(0);
            *n += 1;
            i.name = if *n == 1 { base } else { format!("{base}#{n}") };
            i.description.clone_from(&sp.description);
        }
        self.interfaces.push(i);
        self.owner.push(space);
        self.captured.push(0);
        self.stats.push(None);
        self.handle.push(true);
        self.by_index.push(None);
        self.interfaces.len() - 1
    }

    /// Adds a handle and the interfaces behind it, if it is an `any`; returns the handle's
    /// index. Statistics and failures stay the handle's; its packets go under the members.
    pub(super) fn add_opened(
        &mut self,
        space: usize,
        sp: &Namespace,
        o: &mut Opened,
        many: bool,
    ) -> usize {
        let idx = self.add(space, sp, o.interface.clone(), many);
        if !o.members.is_empty() {
            let mut map = Vec::new();
            for (index, i) in std::mem::take(&mut o.members) {
                let m = self.add(space, sp, i, many);
                self.handle[m] = false;
                map.push((index, m));
            }
            map.sort_unstable();
            self.by_index[idx] = Some(map);
        }
        idx
    }

    /// The handles' entries and their counters, for the statistics printed on stderr.
    pub(super) fn handles_only(&self, counters: &[Counters]) -> (Vec<Interface>, Vec<Counters>) {
        (0..self.interfaces.len())
            .filter(|&i| self.handle[i])
            .map(|i| (self.interfaces[i].clone(), counters[i]))
            .unzip()
    }
    /// An interface's counters, with libpcap's `st` if they could be read.
    pub(super) fn counters(&self, idx: usize, st: Option<Stats>) -> Counters {
        Counters {
            captured: self.captured[idx],
            kernel: st.map(Into::into),
        }
    }
}
