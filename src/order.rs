//! Packets of several interfaces leave in time order.
//!
//! Each source hands its packets over in batches, when its ring block fills or times out
//! (within 100 ms, see `capture`), so a packet of one interface can reach the session after
//! later packets of another: written as they come, a pcapng of two containers has negative
//! time deltas and conversations that cross them interleave wrongly. Batches therefore wait
//! here until their packets are [`HOLD`] old, by their timestamps (or by their arrival, when
//! the clock and the timestamps disagree), and leave merged by timestamp, one interface's
//! packets in the order the kernel gave them. A packet that still comes later than that,
//! behind packets already written, is written at once and counted as late.
//!
//! [`HOLD`] plus the half-second sync of the sinks keeps a SIGKILL's loss under a second.
//!
//! Streams that arrive in time order already, each from another host (`-H`, see
//! `crate::remote`), are merged by [`Order::for_streams`]: a stream's packets come late by its
//! host's own hold and the network's delay, and on another host's clock, so the wall clock
//! says nothing of them. The oldest packet held leaves once every live stream has a packet
//! waiting (nothing older can come then), or once it has waited [`STREAM_HOLD`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::packet::{Batch, Owner, Packet};

/// How long packets wait for older ones of other interfaces: twice the ring's block timeout,
/// and a margin for the hand-over.
pub const HOLD: Duration = Duration::from_millis(250);

/// How long a packet of one host waits for older ones of quieter hosts: a remote nscap holds
/// its own packets up to [`HOLD`] before sending them, and the network adds its delay.
pub const STREAM_HOLD: Duration = Duration::from_millis(400);

/// A packet's time stamp, comparable: seconds, nanoseconds.
type Stamp = (i64, u32);

/// The batches held, one queue per interface, and the oldest packet of each queue in a heap.
pub struct Order {
    queues: Vec<VecDeque<Held>>,
    /// One entry per non-empty queue: its first packet's stamp and the queue.
    heads: BinaryHeap<Reverse<(Stamp, usize)>>,
    /// The stamp of the last packet let out.
    last: Stamp,
    late: u64,
    hold: Duration,
    /// Merging ordered streams (see [`Order::for_streams`]).
    streams: Option<Streams>,
}

/// Which streams still send, and how many of those have a packet waiting.
struct Streams {
    live: Vec<bool>,
    live_count: usize,
    /// Live streams whose queue is not empty.
    waiting: usize,
}

impl Default for Order {
    fn default() -> Order {
        Order {
            queues: Vec::new(),
            heads: BinaryHeap::new(),
            last: (0, 0),
            late: 0,
            hold: HOLD,
            streams: None,
        }
    }
}

struct Held {
    batch: Batch,
    /// With `--process`: each packet's owner, as found when the batch arrived.
    owners: Option<Vec<Option<Arc<Owner>>>>,
    /// The next packet of the batch to let out.
    next: usize,
    arrived: Instant,
}

fn stamp(p: &Packet<'_>) -> Stamp {
    (p.ts_sec, p.ts_nsec)
}

impl Order {
    /// Merges `streams` streams that are each in time order already (one per remote host):
    /// see the module's text. [`Order::push_to`] names a packet's stream.
    pub fn for_streams(streams: usize) -> Order {
        Order {
            hold: STREAM_HOLD,
            streams: Some(Streams {
                live: vec![true; streams],
                live_count: streams,
                waiting: 0,
            }),
            queues: (0..streams).map(|_| VecDeque::new()).collect(),
            ..Order::default()
        }
    }

    /// Stream `stream` ended: nothing more is waited for from it, and the packets it left
    /// still leave in order.
    pub fn end_stream(&mut self, stream: usize) {
        let Some(st) = self.streams.as_mut() else {
            return;
        };
        if st.live.get(stream).copied().unwrap_or(false) {
            st.live[stream] = false;
            st.live_count -= 1;
            if !self.queues[stream].is_empty() {
                st.waiting -= 1;
            }
        }
    }

    /// How long a packet may wait for older ones.
    pub fn hold(&self) -> Duration {
        self.hold
    }

    /// Holds `batch` (and its packets' owners) until its packets are due.
    pub fn push(&mut self, batch: Batch, owners: Option<Vec<Option<Arc<Owner>>>>) {
        let q = batch.iface;
        self.push_at(q, batch, owners, Instant::now());
    }

    /// Holds `batch` as a packet of stream `stream`.
    pub fn push_to(
        &mut self,
        stream: usize,
        batch: Batch,
        owners: Option<Vec<Option<Arc<Owner>>>>,
    ) {
        self.push_at(stream, batch, owners, Instant::now());
    }

    fn push_at(
        &mut self,
        q: usize,
        batch: Batch,
        owners: Option<Vec<Option<Arc<Owner>>>>,
        arrived: Instant,
    ) {
        if batch.is_empty() {
            return;
        }
        if self.queues.len() <= q {
            self.queues.resize_with(q + 1, VecDeque::new);
        }
        if self.queues[q].is_empty() {
            self.heads.push(Reverse((stamp(&batch.get(0)), q)));
            if let Some(st) = self.streams.as_mut() {
                if st.live.get(q).copied().unwrap_or(false) {
                    st.waiting += 1;
                }
            }
        }
        self.queues[q].push_back(Held {
            batch,
            owners,
            next: 0,
            arrived,
        });
    }

    /// The queue whose first packet is the oldest held, when that packet is due at `wall`
    /// (the clock the stamps are on) and `now`: [`HOLD`] old by its stamp or by its batch's
    /// arrival; with `all`, whatever its age.
    pub fn due(&self, all: bool, wall: SystemTime, now: Instant) -> Option<usize> {
        let Reverse((ts, q)) = *self.heads.peek()?;
        if all {
            return Some(q);
        }
        let held = self.queues[q].front()?;
        if let Some(st) = &self.streams {
            // Every stream that still sends has a packet waiting: none older can come.
            let waited = now.duration_since(held.arrived) >= self.hold;
            return (st.waiting >= st.live_count || waited).then_some(q);
        }
        let cutoff = wall
            .checked_sub(self.hold)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or((0, 0), |d| (d.as_secs() as i64, d.subsec_nanos()));
        (ts <= cutoff || now.duration_since(held.arrived) >= self.hold).then_some(q)
    }

    /// Queue `q`'s first packet and its owner.
    pub fn head(&self, q: usize) -> (Packet<'_>, Option<&Owner>) {
        let held = &self.queues[q][0];
        let owner = held
            .owners
            .as_ref()
            .and_then(|o| o.get(held.next)?.as_deref());
        (held.batch.get(held.next), owner)
    }

    /// Moves past queue `q`'s first packet, which [`Order::due`] named and which was
    /// written: a packet older than the one written before it counts as late.
    pub fn advance(&mut self, q: usize) {
        self.heads.pop();
        let Some(held) = self.queues[q].front_mut() else {
            return;
        };
        let ts = stamp(&held.batch.get(held.next));
        if ts < self.last {
            self.late += 1;
        } else {
            self.last = ts;
        }
        held.next += 1;
        if held.next == held.batch.len() {
            self.queues[q].pop_front();
            if self.queues[q].is_empty() {
                if let Some(st) = self.streams.as_mut() {
                    if st.live.get(q).copied().unwrap_or(false) {
                        st.waiting -= 1;
                    }
                }
            }
        }
        if let Some(held) = self.queues[q].front() {
            self.heads
                .push(Reverse((stamp(&held.batch.get(held.next)), q)));
        }
    }

    /// Whether any packet is held.
    pub fn holding(&self) -> bool {
        !self.heads.is_empty()
    }

    /// Lets go of every packet held, unwritten (the capture stopped writing).
    pub fn clear(&mut self) {
        self.queues.iter_mut().for_each(VecDeque::clear);
        self.heads.clear();
        if let Some(st) = self.streams.as_mut() {
            st.waiting = 0;
        }
    }

    /// Packets written behind later ones, since they came after the hold.
    pub fn late(&self) -> u64 {
        self.late
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(iface: usize, stamps: &[(i64, u32)]) -> Batch {
        let mut b = Batch::new(iface);
        for &(s, ns) in stamps {
            b.push(s, ns, 1, &[iface as u8]);
        }
        b
    }

    /// Everything due, in the order it leaves: (interface, stamp).
    fn drain(o: &mut Order, all: bool, wall: SystemTime, now: Instant) -> Vec<(u8, Stamp)> {
        let mut out = Vec::new();
        while let Some(q) = o.due(all, wall, now) {
            let (p, _) = o.head(q);
            out.push((p.data[0], stamp(&p)));
            o.advance(q);
        }
        out
    }

    #[test]
    fn interfaces_merge_by_time_stamp() {
        let mut o = Order::default();
        let t0 = Instant::now();
        o.push_at(0, batch(0, &[(10, 0), (10, 300), (12, 0)]), None, t0);
        o.push_at(1, batch(1, &[(10, 100), (11, 0)]), None, t0);
        o.push_at(0, batch(0, &[(13, 0)]), None, t0);
        let wall = UNIX_EPOCH + Duration::from_secs(100);
        let got = drain(&mut o, false, wall, t0);
        assert_eq!(
            got,
            [
                (0, (10, 0)),
                (1, (10, 100)),
                (0, (10, 300)),
                (1, (11, 0)),
                (0, (12, 0)),
                (0, (13, 0))
            ]
        );
        assert!(!o.holding());
        assert_eq!(o.late(), 0);
    }

    /// A packet newer than the cutoff waits, by its stamp and its arrival both; `all` lets
    /// everything go.
    #[test]
    fn recent_packets_wait_for_the_hold() {
        let mut o = Order::default();
        let t0 = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(100);
        o.push_at(0, batch(0, &[(99, 900_000_000)]), None, t0);
        assert_eq!(o.due(false, wall, t0), None);
        // Its batch has waited HOLD: it goes, whatever its stamp says.
        assert_eq!(o.due(false, wall, t0 + HOLD), Some(0));
        assert_eq!(o.due(true, wall, t0), Some(0));
        // By its stamp: 250 ms before the wall clock.
        let mut o = Order::default();
        o.push_at(0, batch(0, &[(99, 750_000_000)]), None, t0);
        assert_eq!(o.due(false, wall, t0), Some(0));
    }

    /// A packet that comes after later ones were written is written at once, counted late.
    #[test]
    fn late_packets_are_counted() {
        let mut o = Order::default();
        let t0 = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(100);
        o.push_at(0, batch(0, &[(50, 0)]), None, t0);
        assert_eq!(drain(&mut o, false, wall, t0).len(), 1);
        o.push_at(1, batch(1, &[(49, 0), (51, 0)]), None, t0);
        assert_eq!(drain(&mut o, false, wall, t0).len(), 2);
        assert_eq!(o.late(), 1);
    }

    /// Ordered streams: the oldest packet leaves once every live stream has one waiting,
    /// whatever the clocks say; a quiet stream holds the others up for the hold only.
    #[test]
    fn streams_merge_when_each_has_a_packet() {
        let mut o = Order::for_streams(2);
        let t0 = Instant::now();
        // Stamps from long ago (another host's clock, a slow network): not due by them.
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        o.push_at(0, batch(7, &[(10, 0), (12, 0)]), None, t0);
        assert_eq!(
            o.due(false, wall, t0),
            None,
            "stream 1 may still send older packets"
        );
        o.push_at(1, batch(9, &[(11, 0)]), None, t0);
        let got = drain(&mut o, false, wall, t0);
        // (12, 0) waits: stream 1 has nothing left to compare it with.
        assert_eq!(got, [(7, (10, 0)), (9, (11, 0))]);
        assert_eq!(o.due(false, wall, t0 + STREAM_HOLD), Some(0));
        // One stream ended: the other's packets need not wait for it.
        o.end_stream(1);
        assert_eq!(o.due(false, wall, t0), Some(0));
    }

    /// An ended stream's packets left behind do not stand in for a live stream that has none
    /// waiting: three streams, the third quiet.
    #[test]
    fn an_ended_stream_does_not_stand_in_for_a_quiet_one() {
        let mut o = Order::for_streams(3);
        let t0 = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        o.push_at(0, batch(1, &[(20, 0)]), None, t0);
        o.push_at(1, batch(2, &[(21, 0)]), None, t0);
        o.end_stream(1);
        // Stream 2 is live and quiet: stream 0's packet waits for it (or for the hold).
        assert_eq!(o.due(false, wall, t0), None);
        o.push_at(2, batch(3, &[(19, 0)]), None, t0);
        // The oldest leaves; then stream 2 is quiet again, and the rest waits for it.
        assert_eq!(drain(&mut o, false, wall, t0), [(3, (19, 0))]);
        // Stream 2 ends: stream 0's packet goes, and stream 1's waits for live stream 0.
        o.end_stream(2);
        assert_eq!(drain(&mut o, false, wall, t0), [(1, (20, 0))]);
        o.end_stream(0);
        assert_eq!(drain(&mut o, false, wall, t0), [(2, (21, 0))]);
    }
}
