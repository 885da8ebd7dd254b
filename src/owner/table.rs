//! What a namespace's lookup thread found, shared with the writer: connected sockets by
//! flow, bound sockets by port, and the namespace's own addresses; the writer's questions and
//! the probe's misses.

use std::net::IpAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use foldhash::HashMap;

use crate::packet::Owner;
use crate::summary::decode::{self, Transport};

/// One side's address and port.
pub(super) type Endpoint = (IpAddr, u16);

/// A connected socket's flow, as the socket sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Flow {
    pub(super) proto: u8,
    pub(super) local: Endpoint,
    pub(super) remote: Endpoint,
}

pub(super) struct Known {
    pub(super) owner: Arc<Owner>,
    pub(super) seen: Instant,
}

/// A bound socket's address (unspecified for all) and its process.
pub(super) type Bound = (IpAddr, Arc<Owner>);

/// What the thread found, read by the writer.
#[derive(Default)]
pub(super) struct Sockets {
    pub(super) flows: HashMap<Flow, Known>,
    /// Listening TCP and unconnected UDP sockets, by protocol and port: the address each is
    /// bound to (unspecified for all) and its process.
    pub(super) bound: HashMap<(u8, u16), Vec<Bound>>,
    /// The namespace's own addresses.
    pub(super) addrs: Vec<IpAddr>,
    /// Passes begun and finished.
    pub(super) begun: u64,
    pub(super) done: u64,
    /// The thread stopped (it could not list sockets): nobody waits for it.
    pub(super) gone: bool,
    /// The namespace left: the thread ends.
    pub(super) quit: bool,
    /// Writers waiting for a pass: a pass wakes them only when there are (a condvar's
    /// notify is a futex system call even with nobody to wake, once per pass).
    pub(super) waiting: usize,
    /// Flows the writer wants looked up, taken by the next pass; each once, at most
    /// [`WANTED_MAX`].
    pub(super) wanted: Vec<(u8, Endpoint, Endpoint)>,
    /// Flows, as their first packet carried them, that the probe looked up without finding
    /// their process, and when: the writer does not wait for them.
    pub(super) tried: HashMap<(u8, Endpoint, Endpoint), Instant>,
    /// Connection tracking answers in this namespace: a bound socket then answers only for
    /// flows in `checked`.
    pub(super) tracked: bool,
    /// Flows whose addresses connection tracking says were not translated, and when: a bound
    /// socket may answer for them. A translated one (a router's masquerade) is nobody's here.
    pub(super) checked: HashMap<(u8, Endpoint, Endpoint), Instant>,
}

impl Sockets {
    /// The process of a packet from `src` to `dst`: the sender's socket, else the receiver's.
    pub(super) fn lookup(&self, proto: u8, src: Endpoint, dst: Endpoint) -> Option<&Arc<Owner>> {
        let exact = |local, remote| {
            self.flows.get(&Flow {
                proto,
                local,
                remote,
            })
        };
        if let Some(k) = exact(src, dst).or_else(|| exact(dst, src)) {
            return Some(&k.owner);
        }
        if self.tracked
            && !self.checked.contains_key(&(proto, src, dst))
            && !self.checked.contains_key(&(proto, dst, src))
        {
            return None;
        }
        self.bound_to(proto, src)
            .or_else(|| self.bound_to(proto, dst))
    }

    /// Whether the probe looked this flow up lately, in either direction.
    pub(super) fn tried(&self, proto: u8, src: Endpoint, dst: Endpoint) -> bool {
        self.tried.contains_key(&(proto, src, dst)) || self.tried.contains_key(&(proto, dst, src))
    }

    pub(super) fn bound_to(&self, proto: u8, (ip, port): Endpoint) -> Option<&Arc<Owner>> {
        if !self.addrs.contains(&ip) {
            return None;
        }
        let socks = self.bound.get(&(proto, port))?;
        // The socket bound to this very address before a wildcard one; a wildcard IPv6
        // socket takes IPv4 too (dual stack, Linux's default).
        socks
            .iter()
            .find(|(a, _)| *a == ip)
            .or_else(|| {
                socks.iter().find(|(a, _)| {
                    a.is_unspecified() && (a.is_ipv4() == ip.is_ipv4() || a.is_ipv6())
                })
            })
            .map(|(_, o)| o)
    }
}

pub(super) type Shared = Arc<(Mutex<Sockets>, Condvar)>;

pub(super) fn lock(s: &Shared) -> MutexGuard<'_, Sockets> {
    s.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// Marks the thread gone when dropped, however it ends (an error, a panic, a failed `setns`
/// that drops its closure uncalled): otherwise the writer would keep asking it and waiting.
pub(super) struct Gone(pub(super) Shared);

impl Drop for Gone {
    fn drop(&mut self) {
        let mut t = lock(&self.0);
        t.gone = true;
        t.wanted = Vec::new();
        self.0 .1.notify_all();
    }
}

/// A packet's protocol and ends, when it is TCP or UDP over IP.
pub(super) fn ends(
    linktype: u16,
    mac: Option<[u8; 6]>,
    data: &[u8],
    len: u32,
) -> Option<(u8, Endpoint, Endpoint)> {
    let frame = decode::decode(linktype, data, len, mac);
    let ip = frame.ip()?;
    let proto = match ip.transport {
        Transport::Tcp(_) => 6,
        Transport::Udp(_) => 17,
        _ => return None,
    };
    let (sp, dp) = ip.ports()?;
    let (src, dst) = if ip.v6 {
        (IpAddr::from(ip.src), IpAddr::from(ip.dst))
    } else {
        (IpAddr::from(ip.src4()), IpAddr::from(ip.dst4()))
    };
    Some((proto, (src, sp), (dst, dp)))
}
