//! One host's pcapng stream, read as it comes: its interfaces, its packets in batches, its
//! counters at the end.
//!
//! Packets are gathered into a batch while more are already waiting in the pipe, and the batch
//! is handed over when the pipe runs dry (or the batch fills, or the interface changes): under
//! load a batch carries many packets, and a lone packet is not held back waiting for company.

use std::cell::RefCell;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::process::ChildStdout;
use std::rc::Rc;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::Msg;
use crate::packet::{Batch, Owner};
use crate::reader::FileReader;

/// A batch is handed over at this many packets or bytes, whatever the pipe holds.
const BATCH_PACKETS: usize = 1024;
const BATCH_BYTES: usize = 1 << 20;

/// The packets read and not yet handed over.
struct Pending {
    host: usize,
    batch: Option<Batch>,
    owners: Option<Vec<Option<Arc<Owner>>>>,
    tx: SyncSender<Msg>,
    /// The loop is gone: stop reading.
    closed: bool,
}

impl Pending {
    fn hand_over(&mut self) {
        let Some(batch) = self.batch.take() else {
            return;
        };
        let owners = self.owners.take();
        let msg = Msg::Packets {
            host: self.host,
            batch,
            owners,
        };
        if self.tx.send(msg).is_err() {
            self.closed = true;
        }
    }
}

/// The stream's pipe: before a read would wait, what was read so far is handed over.
struct Pipe {
    out: ChildStdout,
    pending: Rc<RefCell<Pending>>,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut fds = [PollFd::new(self.out.as_fd(), PollFlags::POLLIN)];
        if !matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0) {
            let mut p = self.pending.borrow_mut();
            p.hand_over();
            if p.closed {
                return Ok(0);
            }
        }
        self.out.read(buf)
    }
}

/// `pid 1234 curl (container web)`, as a remote nscap wrote it for `--process`: the process.
pub(super) fn owner_of(comment: &[u8]) -> Option<Owner> {
    let text = std::str::from_utf8(comment).ok()?;
    let (pid, rest) = text.strip_prefix("pid ")?.split_once(' ')?;
    let pid: u32 = pid.parse().ok()?;
    let (comm, container) = match rest
        .strip_suffix(')')
        .and_then(|r| r.rsplit_once(" (container "))
    {
        Some((comm, c)) => (comm, Some(c.to_string())),
        None => (rest, None),
    };
    Some(Owner::new(pid, comm, container))
}

/// Reads host `host`'s stream to its end, telling the loop on `tx`.
pub(super) fn read(host: usize, out: ChildStdout, tx: &SyncSender<Msg>) {
    let pending = Rc::new(RefCell::new(Pending {
        host,
        batch: None,
        owners: None,
        tx: tx.clone(),
        closed: false,
    }));
    let pipe = Pipe {
        out,
        pending: pending.clone(),
    };
    let (broke, kernel) = match FileReader::new(pipe) {
        Err(e) => {
            if pending.borrow().closed {
                return;
            }
            // Nothing came: ssh or the remote nscap failed before the stream began, and
            // said why on standard error.
            let e = format!("{e:#}");
            let broke = (!e.starts_with("empty file")).then(|| format!("not an nscap stream: {e}"));
            (broke, Vec::new())
        }
        Ok(mut r) => {
            let application = r.application().map(String::from);
            if tx.send(Msg::Started { host, application }).is_err() {
                return;
            }
            let broke = pump(&mut r, &pending, tx);
            pending.borrow_mut().hand_over();
            let kernel = (0..r.interfaces().len()).map(|i| r.kernel(i)).collect();
            (broke, kernel)
        }
    };
    let _ = tx.send(Msg::Ended {
        host,
        broke,
        kernel,
    });
}

/// Packets until the stream ends; how it broke, if it did.
fn pump(
    r: &mut FileReader<Pipe>,
    pending: &Rc<RefCell<Pending>>,
    tx: &SyncSender<Msg>,
) -> Option<String> {
    loop {
        let more = match r.advance() {
            Ok(more) => more,
            Err(e) => return Some(format!("its stream broke: {e:#}")),
        };
        if pending.borrow().closed {
            return None;
        }
        let added = r.take_new_interfaces();
        if !added.is_empty() {
            // Declared before the packets that name them.
            let mut p = pending.borrow_mut();
            p.hand_over();
            let msg = Msg::Interfaces {
                host: p.host,
                added: added.to_vec(),
            };
            if tx.send(msg).is_err() {
                return None;
            }
        }
        if !more {
            return None;
        }
        let pkt = r.packet();
        let owner = r.comment().and_then(owner_of).map(Arc::new);
        let mut p = pending.borrow_mut();
        let full = p.batch.as_ref().is_some_and(|b| {
            b.iface != pkt.iface || b.len() >= BATCH_PACKETS || b.bytes() >= BATCH_BYTES
        });
        if full {
            p.hand_over();
        }
        let n = p.batch.as_ref().map_or(0, Batch::len);
        if owner.is_some() && p.owners.is_none() {
            p.owners = Some(vec![None; n]);
        }
        if let Some(o) = p.owners.as_mut() {
            o.push(owner);
        }
        p.batch.get_or_insert_with(|| Batch::new(pkt.iface)).push(
            pkt.ts_sec,
            pkt.ts_nsec,
            pkt.len,
            pkt.data,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_come_back_from_their_comments() {
        let o = owner_of(b"pid 1234 curl (container web)").unwrap();
        assert_eq!(
            (o.pid, o.comm.as_str(), o.container.as_deref()),
            (1234, "curl", Some("web"))
        );
        assert_eq!(o.comment, "pid 1234 curl (container web)");
        let o = owner_of(b"pid 7 my prog").unwrap();
        assert_eq!((o.pid, o.comm.as_str(), o.container), (7, "my prog", None));
        assert!(owner_of(b"hello").is_none());
        assert!(owner_of(b"pid x curl").is_none());
    }
}
