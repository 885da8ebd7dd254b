//! The data passed between the stages: packets from capture sources and file readers, the
//! interfaces they came from, their counters, and (with `--process`) their owners.

use std::fmt::Write as _;
use std::sync::Mutex;

/// One captured frame, borrowed from a batch or a file buffer.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Index of the interface (capture source) in the session's interface table.
    pub iface: usize,
    /// Capture time: seconds since the epoch.
    pub ts_sec: i64,
    /// Capture time: nanoseconds within the second (always nanoseconds, whatever the source had).
    pub ts_nsec: u32,
    /// Length of the frame on the wire.
    pub len: u32,
    /// The captured bytes (at most the snapshot length).
    pub data: &'a [u8],
}

/// What sinks need to know about one capture source.
#[derive(Debug, Clone)]
pub struct Interface {
    /// Interface name inside the target (`eth0`, `any`), or the name a file gave it.
    pub name: String,
    /// libpcap / pcapng link type (1 Ethernet, 113 Linux SLL, 276 SLL2, 101 raw IP, ...).
    pub linktype: u16,
    /// Snapshot length in force.
    pub snaplen: u32,
    /// Who the interface belongs to, e.g. `pid 4242, net:[4026532281]` (pcapng if_description).
    pub description: String,
    /// The interface's own MAC address, when known: lets Ethernet frames show a direction.
    pub mac: Option<[u8; 6]>,
}

#[cfg(test)]
impl Interface {
    /// A plain interface for unit tests: no description, no MAC, snapshot length 65535.
    pub(crate) fn for_test(name: &str, linktype: u16) -> Interface {
        Interface {
            name: name.into(),
            linktype,
            snaplen: 65535,
            description: String::new(),
            mac: None,
        }
    }
}

/// One interface's counters: what nscap handed to the sinks, and what libpcap says the kernel
/// saw, when they could be read. Never 0 for "not read": a file or a line that says nothing
/// was dropped must know it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Packets passed to the sinks.
    pub captured: u64,
    /// The kernel's counts; `None` when they could not be read.
    pub kernel: Option<Kernel>,
}

/// What libpcap reports of the kernel's side of one handle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kernel {
    /// Packets that passed the filter in the kernel ("received by filter").
    pub received: u64,
    /// Packets the kernel dropped for lack of buffer space.
    pub dropped: u64,
    /// Packets the interface or driver dropped.
    pub if_dropped: u64,
}

/// Packets read from one capture source in one go: one allocation per batch, not per packet.
#[derive(Debug, Default)]
pub struct Batch {
    pub iface: usize,
    data: Vec<u8>,
    meta: Vec<Meta>,
}

#[derive(Debug, Clone, Copy)]
struct Meta {
    ts_sec: i64,
    ts_nsec: u32,
    len: u32,
    start: u32,
    end: u32,
}

/// Room a capture batch is made with: the byte bound the pump keeps a batch to (see
/// `capture`), plus one largest packet. Made this large at once, a batch never reallocates as it
/// fills; pages are only touched as packets fill them.
pub const CAPTURE_BYTES: usize = (1 << 20) + (256 << 10);

/// Buffers of capture batches that were written and dropped, for the next ones: their pages stay
/// mapped, where each fresh batch of large packets paid a page fault per 4 KiB (bench/live.sh,
/// workload tcp). As many are kept as the session's channel holds (a writer held up by the disk
/// lets that many pile up, then frees them at once); those not taken for a whole
/// [`trim_spare`] period are freed.
struct Spare {
    bufs: Vec<(Vec<u8>, Vec<Meta>)>,
    /// The fewest `bufs` held since the last trim: that many were not needed.
    low: usize,
}

static SPARE: Mutex<Spare> = Mutex::new(Spare {
    bufs: Vec::new(),
    low: 0,
});
const SPARE_BATCHES: usize = 64;

/// Frees the spare batch buffers that were not needed since the last call (the session calls it
/// every second).
pub fn trim_spare() {
    if let Ok(mut s) = SPARE.lock() {
        let keep = s.bufs.len() - s.low.min(s.bufs.len());
        s.bufs.truncate(keep);
        s.low = s.bufs.len();
    }
}

impl Batch {
    pub fn new(iface: usize) -> Self {
        Batch {
            iface,
            data: Vec::with_capacity(64 * 1024),
            meta: Vec::with_capacity(256),
        }
    }

    /// A batch for a capture source: [`CAPTURE_BYTES`] of room, a spare one's when there is one.
    pub fn for_capture(iface: usize) -> Self {
        if let Ok(mut s) = SPARE.lock() {
            if let Some((data, meta)) = s.bufs.pop() {
                s.low = s.low.min(s.bufs.len());
                return Batch { iface, data, meta };
            }
        }
        Batch {
            iface,
            data: Vec::with_capacity(CAPTURE_BYTES),
            meta: Vec::with_capacity(1024),
        }
    }

    pub fn push(&mut self, ts_sec: i64, ts_nsec: u32, len: u32, bytes: &[u8]) {
        let start = self.data.len() as u32;
        self.data.extend_from_slice(bytes);
        self.meta.push(Meta {
            ts_sec,
            ts_nsec,
            len,
            start,
            end: self.data.len() as u32,
        });
    }

    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// Bytes held, to decide when a batch is worth sending.
    pub fn bytes(&self) -> usize {
        self.data.len()
    }

    pub fn get(&self, i: usize) -> Packet<'_> {
        let m = self.meta[i];
        Packet {
            iface: self.iface,
            ts_sec: m.ts_sec,
            ts_nsec: m.ts_nsec,
            len: m.len,
            data: &self.data[m.start as usize..m.end as usize],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Packet<'_>> {
        (0..self.len()).map(move |i| self.get(i))
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        // Only capture batches, and not one that grew past its room.
        if self.data.capacity() != CAPTURE_BYTES {
            return;
        }
        // Never waits: a batch dropped while another thread takes one is simply freed.
        if let Ok(mut spare) = SPARE.try_lock() {
            if spare.bufs.len() < SPARE_BATCHES {
                let mut data = std::mem::take(&mut self.data);
                let mut meta = std::mem::take(&mut self.meta);
                data.clear();
                meta.clear();
                spare.bufs.push((data, meta));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_keeps_packets_apart() {
        let mut b = Batch::new(3);
        b.push(10, 5, 60, b"abc");
        b.push(11, 6, 2, b"de");
        assert_eq!(b.len(), 2);
        let p: Vec<_> = b.iter().collect();
        assert_eq!(p[0].data, b"abc");
        assert_eq!(
            (p[0].ts_sec, p[0].ts_nsec, p[0].len, p[0].iface),
            (10, 5, 60, 3)
        );
        assert_eq!(p[1].data, b"de");
        assert_eq!(b.bytes(), 5);
    }
}

/// The process a packet belongs to, with its texts made once: the per-packet path only copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    /// The command name (`/proc/PID/comm`), escaped.
    pub comm: String,
    /// The container (and pod) the process runs in, when it runs in one.
    pub container: Option<String>,
    /// The pcapng packet comment: `pid 1234 curl (container web)`.
    pub comment: String,
    /// In summary lines: `curl[1234]`.
    pub tag: String,
    /// Its parent when it was found (`--pid-tree` asks after processes that may have exited).
    pub parent: Option<u32>,
}

impl Owner {
    pub fn new(pid: u32, comm: &str, container: Option<String>) -> Owner {
        let mut comment = format!("pid {pid} {comm}");
        if let Some(c) = &container {
            let _ = write!(comment, " (container {c})");
        }
        Owner {
            pid,
            comm: comm.to_string(),
            container,
            comment,
            tag: format!("{comm}[{pid}]"),
            parent: None,
        }
    }

    /// With its parent's PID, read when it was found.
    pub fn with_parent(mut self, parent: Option<u32>) -> Owner {
        self.parent = parent;
        self
    }
}
