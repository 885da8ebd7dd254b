//! Whether a flow's addresses were translated, from the kernel's connection tracking (one
//! ctnetlink lookup).
//!
//! A router that masquerades sends forwarded packets from its own address, with the port the
//! client chose: on the outside interface such a packet looks like one of a local socket bound
//! to that port, and named the process that holds it, which sent nothing. Connection tracking
//! knows better: the flow's entry has its source (or destination) translated. Hand-written on
//! libc for the reason `diag` is: one request layout and one reply field.
//!
//! Every nfnetlink message needs CAP_NET_ADMIN: without it (after `-Z`) nothing is known and
//! bound sockets answer as before.

use std::io;
use std::net::IpAddr;
use std::os::fd::{AsFd, OwnedFd};

use super::table::Endpoint;
use crate::os;

const NETLINK_NETFILTER: i32 = 12;
/// (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET.
const CT_GET: u16 = (1 << 8) | 1;
const NLM_F_REQUEST: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLA_F_NESTED: u16 = 1 << 15;
const CTA_TUPLE_ORIG: u16 = 1;
const CTA_TUPLE_IP: u16 = 1;
const CTA_TUPLE_PROTO: u16 = 2;
const CTA_STATUS: u16 = 3;
const CTA_PROTO_NUM: u16 = 1;
const CTA_PROTO_SRC_PORT: u16 = 2;
const CTA_PROTO_DST_PORT: u16 = 3;
/// IPS_SRC_NAT | IPS_DST_NAT.
const NATTED: u32 = (1 << 4) | (1 << 5);

pub(super) struct Conntrack {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

/// Appends a netlink attribute (4-byte aligned) and returns where it starts, for nesting.
fn attr(out: &mut Vec<u8>, kind: u16, value: &[u8]) -> usize {
    let at = out.len();
    out.extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(value);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    at
}

/// Closes a nested attribute begun at `at`: its length covers what was appended since.
fn close(out: &mut [u8], at: usize) {
    let len = (out.len() - at) as u16;
    out[at..at + 2].copy_from_slice(&len.to_ne_bytes());
}

impl Conntrack {
    /// A ctnetlink socket in the calling thread's network namespace.
    pub(super) fn open() -> io::Result<Conntrack> {
        let fd = os::socket(libc::AF_NETLINK, libc::SOCK_DGRAM, NETLINK_NETFILTER)?;
        Ok(Conntrack {
            fd,
            seq: 0,
            buf: vec![0; 8192],
        })
    }

    /// Whether questions are answered here: one about a connection that cannot exist
    /// (0.0.0.0:0 to itself) is, with "none" (or "no connection tracking here" for a kernel
    /// without it); without CAP_NET_ADMIN it is refused.
    pub(super) fn usable(&mut self) -> bool {
        let nobody = (IpAddr::from([0u8, 0, 0, 0]), 0);
        !matches!(self.query(17, nobody, nobody), Err(e) if refused(&e))
    }

    /// Whether the tracked connection a packet from `src` to `dst` belongs to had its
    /// addresses translated; `Ok(None)`: none is tracked. A translated packet matches neither
    /// tuple of its connection as it is: after a source NAT it is the reply tuple reversed.
    pub(super) fn natted(
        &mut self,
        proto: u8,
        src: Endpoint,
        dst: Endpoint,
    ) -> io::Result<Option<bool>> {
        match self.query(proto, src, dst)? {
            Some(n) => Ok(Some(n)),
            None => self.query(proto, dst, src),
        }
    }

    /// One CT_GET for the tuple `src` → `dst`.
    fn query(&mut self, proto: u8, src: Endpoint, dst: Endpoint) -> io::Result<Option<bool>> {
        self.seq = self.seq.wrapping_add(1);
        let family = if src.0.is_ipv4() {
            libc::AF_INET
        } else {
            libc::AF_INET6
        };
        let mut m = vec![0u8; 16];
        m.extend_from_slice(&[family as u8, 0, 0, 0]);
        let orig = attr(&mut m, CTA_TUPLE_ORIG | NLA_F_NESTED, &[]);
        let ip = attr(&mut m, CTA_TUPLE_IP | NLA_F_NESTED, &[]);
        match (src.0, dst.0) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                attr(&mut m, 1, &s.octets());
                attr(&mut m, 2, &d.octets());
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                attr(&mut m, 3, &s.octets());
                attr(&mut m, 4, &d.octets());
            }
            _ => return Ok(None),
        }
        close(&mut m, ip);
        let p = attr(&mut m, CTA_TUPLE_PROTO | NLA_F_NESTED, &[]);
        attr(&mut m, CTA_PROTO_NUM, &[proto]);
        attr(&mut m, CTA_PROTO_SRC_PORT, &src.1.to_be_bytes());
        attr(&mut m, CTA_PROTO_DST_PORT, &dst.1.to_be_bytes());
        close(&mut m, p);
        close(&mut m, orig);
        let len = m.len() as u32;
        m[0..4].copy_from_slice(&len.to_ne_bytes());
        m[4..6].copy_from_slice(&CT_GET.to_ne_bytes());
        m[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
        m[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        os::send(self.fd.as_fd(), &m)?;
        loop {
            let n = os::recv(self.fd.as_fd(), &mut self.buf)?;
            let b = &self.buf[..n];
            if b.len() < 20 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "short reply"));
            }
            let seq = u32::from_ne_bytes([b[8], b[9], b[10], b[11]]);
            if seq != self.seq {
                // A late answer to an earlier request.
                continue;
            }
            let kind = u16::from_ne_bytes([b[4], b[5]]);
            if kind == NLMSG_ERROR {
                let errno = -i32::from_ne_bytes([b[16], b[17], b[18], b[19]]);
                return match errno {
                    0 | libc::ENOENT => Ok(None),
                    e => Err(io::Error::from_raw_os_error(e)),
                };
            }
            return Ok(Some(status(&b[20..]).is_some_and(|s| s & NATTED != 0)));
        }
    }
}

/// Whether `e` means connection tracking cannot be asked here at all (no right, or none in
/// this kernel), rather than a failure of one question.
pub(super) fn refused(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EPERM | libc::EACCES | libc::EOPNOTSUPP | libc::EPROTONOSUPPORT)
    )
}

/// CTA_STATUS among an entry's attributes.
fn status(mut b: &[u8]) -> Option<u32> {
    while b.len() >= 4 {
        let len = usize::from(u16::from_ne_bytes([b[0], b[1]]));
        let kind = u16::from_ne_bytes([b[2], b[3]]) & !NLA_F_NESTED;
        if len < 4 || len > b.len() {
            return None;
        }
        if kind == CTA_STATUS && len >= 8 {
            return Some(u32::from_be_bytes([b[4], b[5], b[6], b[7]]));
        }
        b = b.get(len.div_ceil(4) * 4..).unwrap_or(&[]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_is_found_among_the_attributes() {
        let mut b = Vec::new();
        attr(&mut b, CTA_TUPLE_ORIG | NLA_F_NESTED, &[0; 6]);
        attr(&mut b, CTA_STATUS, &0x1du32.to_be_bytes());
        assert_eq!(status(&b), Some(0x1d));
        assert_eq!(status(&b[..8]), None);
        assert!(status(&b).is_some_and(|s| s & NATTED != 0));
    }
}
