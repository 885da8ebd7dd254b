//! Every TCP and UDP socket of the calling thread's network namespace, from the kernel's
//! inet_diag dump over NETLINK_SOCK_DIAG.
//!
//! Hand-written on libc rather than through the netlink-packet-* crates: one request layout and
//! one reply layout (both fixed since Linux 3.3) are all that is needed, and the crates would
//! bring a dozen dependencies into a static binary for them.

use std::io;
use std::net::IpAddr;
use std::os::fd::{AsFd, OwnedFd};

use crate::os;

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
/// struct nlmsghdr.
const NLMSG_HDR: usize = 16;
/// struct inet_diag_sockid: ports, two 16-byte addresses, interface, cookie.
const SOCKID: usize = 4 + 16 + 16 + 4 + 8;
/// struct inet_diag_req_v2: family, protocol, ext, pad, states, id.
const REQ: usize = 8 + SOCKID;
/// struct inet_diag_msg: family, state, timer, retrans, id, expires, rqueue, wqueue, uid, inode.
const MSG: usize = 4 + SOCKID + 20;

/// TCP_LISTEN in the kernel's state numbering; UDP sockets report TCP_CLOSE (7) when
/// unconnected and TCP_ESTABLISHED (1) when connected.
pub const LISTEN: u8 = 10;

/// One socket as the kernel lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sock {
    /// 6 (TCP) or 17 (UDP).
    pub proto: u8,
    pub state: u8,
    pub local: (IpAddr, u16),
    /// Unspecified address and port 0 for listening and unconnected sockets.
    pub remote: (IpAddr, u16),
    /// The socket's inode, as `/proc/PID/fd` links name it (`socket:[INODE]`); 0 when no
    /// process holds it any more (TIME_WAIT) or not yet (a connection not yet accepted).
    pub inode: u64,
}

/// A NETLINK_SOCK_DIAG socket, opened in the namespace whose sockets it lists.
pub struct Diag {
    fd: OwnedFd,
    buf: Vec<u8>,
    seq: u32,
}

impl Diag {
    pub fn open() -> io::Result<Diag> {
        let fd = os::socket(libc::AF_NETLINK, libc::SOCK_DGRAM, libc::NETLINK_SOCK_DIAG)?;
        Ok(Diag {
            fd,
            buf: vec![0; 64 * 1024],
            seq: 0,
        })
    }

    /// Appends every TCP and UDP socket, IPv4 and IPv6, in every state, to `out`.
    pub fn dump_all(&mut self, out: &mut Vec<Sock>) -> io::Result<()> {
        for family in [libc::AF_INET as u8, libc::AF_INET6 as u8] {
            for proto in [libc::IPPROTO_TCP as u8, libc::IPPROTO_UDP as u8] {
                self.dump(family, proto, out)?;
            }
        }
        Ok(())
    }

    /// Appends the socket the kernel would deliver a `proto` packet between `local` and
    /// `remote` to (a connected socket, else a listening or unbound one), if any, to `out`.
    /// One hash lookup in the kernel: a dump walks the whole host's socket tables, every
    /// namespace's TIME_WAIT sockets included, which costs milliseconds on a busy host.
    pub fn find(
        &mut self,
        proto: u8,
        local: (IpAddr, u16),
        remote: (IpAddr, u16),
        out: &mut Vec<Sock>,
    ) -> io::Result<()> {
        let (family, l, r) = match (local.0, remote.0) {
            (IpAddr::V4(l), IpAddr::V4(r)) => (
                libc::AF_INET as u8,
                l.octets().to_vec(),
                r.octets().to_vec(),
            ),
            (IpAddr::V6(l), IpAddr::V6(r)) => (
                libc::AF_INET6 as u8,
                l.octets().to_vec(),
                r.octets().to_vec(),
            ),
            _ => return Ok(()),
        };
        let mut id = [0u8; SOCKID];
        // UDP's lookup (udp_dump_one) takes the source as the remote end, TCP's
        // (inet_diag_find_one_icsk) as the local one.
        let (src, dst) = if proto == libc::IPPROTO_UDP as u8 {
            ((&r, remote.1), (&l, local.1))
        } else {
            ((&l, local.1), (&r, remote.1))
        };
        id[0..2].copy_from_slice(&src.1.to_be_bytes());
        id[2..4].copy_from_slice(&dst.1.to_be_bytes());
        id[4..4 + src.0.len()].copy_from_slice(src.0);
        id[20..20 + dst.0.len()].copy_from_slice(dst.0);
        // INET_DIAG_NOCOOKIE: any socket on these addresses.
        id[40..48].fill(0xff);
        // No such socket: the kernel answers ENOENT, which `parse` takes for an empty answer.
        self.request(family, proto, NLM_F_REQUEST, &id, out)
    }

    fn dump(&mut self, family: u8, proto: u8, out: &mut Vec<Sock>) -> io::Result<()> {
        self.request(family, proto, NLM_F_REQUEST | NLM_F_DUMP, &[0; SOCKID], out)
    }

    fn request(
        &mut self,
        family: u8,
        proto: u8,
        flags: u16,
        id: &[u8; SOCKID],
        out: &mut Vec<Sock>,
    ) -> io::Result<()> {
        self.send(family, proto, flags, id)?;
        self.receive(proto, flags & NLM_F_DUMP != 0, out)
    }

    /// Sends a request with the next sequence number.
    fn send(&mut self, family: u8, proto: u8, flags: u16, id: &[u8; SOCKID]) -> io::Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let mut req = [0u8; NLMSG_HDR + REQ];
        req[0..4].copy_from_slice(&((NLMSG_HDR + REQ) as u32).to_ne_bytes());
        req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        req[6..8].copy_from_slice(&flags.to_ne_bytes());
        req[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        req[16] = family;
        req[17] = proto;
        req[20..24].copy_from_slice(&u32::MAX.to_ne_bytes()); // every state
        req[24..].copy_from_slice(id);
        // To the kernel, the default destination of a netlink socket.
        os::send(self.fd.as_fd(), &req)?;
        Ok(())
    }

    /// Reads the answer to the last request into `out`. Messages of other sequence numbers
    /// (a late answer to an earlier request, left queued by an error) are skipped: taking one
    /// for this answer would shift every later lookup onto its predecessor's answer.
    fn receive(&mut self, proto: u8, dump: bool, out: &mut Vec<Sock>) -> io::Result<()> {
        loop {
            let n = match os::recv(self.fd.as_fd(), &mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            // A lookup's answer is one message, or an error, with no NLMSG_DONE after it.
            match parse(&self.buf[..n], self.seq, proto, out)? {
                Reply::Done => return Ok(()),
                Reply::Some if !dump => return Ok(()),
                Reply::Some | Reply::None => {}
            }
        }
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn addr(family: u8, b: &[u8]) -> IpAddr {
    if family == libc::AF_INET6 as u8 {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[..16]);
        IpAddr::from(a)
    } else {
        IpAddr::from([b[0], b[1], b[2], b[3]])
    }
}

/// What one datagram held of the answer to request `seq`.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    /// Nothing of it (another request's messages, or none).
    None,
    /// Some of its messages.
    Some,
    /// Its end: NLMSG_DONE, or an error that leaves nothing to list.
    Done,
}

/// Reads one datagram of replies to request `seq` into `out`, skipping other requests'.
fn parse(mut b: &[u8], seq: u32, proto: u8, out: &mut Vec<Sock>) -> io::Result<Reply> {
    let mut reply = Reply::None;
    while b.len() >= NLMSG_HDR {
        let len = u32_at(b, 0) as usize;
        if len < NLMSG_HDR || len > b.len() {
            break;
        }
        let kind = u16::from_ne_bytes([b[4], b[5]]);
        let body = &b[NLMSG_HDR..len];
        if u32_at(b, 8) == seq {
            reply = Reply::Some;
            match kind {
                NLMSG_DONE => return Ok(Reply::Done),
                NLMSG_ERROR => {
                    let errno = if body.len() >= 4 {
                        -(u32_at(body, 0) as i32)
                    } else {
                        libc::EIO
                    };
                    // A kernel without UDP diagnostics (inet_diag's udp module) answers
                    // ENOENT: nothing to list, not a failure.
                    if errno == libc::ENOENT || errno == 0 {
                        return Ok(Reply::Done);
                    }
                    return Err(io::Error::from_raw_os_error(errno));
                }
                SOCK_DIAG_BY_FAMILY if body.len() >= MSG => {
                    let family = body[0];
                    let id = &body[4..4 + SOCKID];
                    out.push(Sock {
                        proto,
                        state: body[1],
                        local: (addr(family, &id[4..20]), u16::from_be_bytes([id[0], id[1]])),
                        remote: (
                            addr(family, &id[20..36]),
                            u16::from_be_bytes([id[2], id[3]]),
                        ),
                        inode: u64::from(u32_at(body, 4 + SOCKID + 16)),
                    });
                }
                _ => {}
            }
        }
        b = &b[(len + 3) & !3..];
        if b.is_empty() {
            break;
        }
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    /// Lists this test's own listening socket, with the inode /proc/self/fd names.
    #[test]
    fn lists_our_own_listener() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let mut d = Diag::open().unwrap();
        let mut socks = Vec::new();
        d.dump_all(&mut socks).unwrap();
        let me = socks
            .iter()
            .find(|s| s.proto == 6 && s.local.1 == port && s.state == LISTEN)
            .expect("our listener");
        let link = std::fs::read_link(format!("/proc/self/fd/{}", l.as_raw_fd())).unwrap();
        assert_eq!(link.to_string_lossy(), format!("socket:[{}]", me.inode));
        let u = std::net::UdpSocket::bind("[::1]:0").unwrap();
        let uport = u.local_addr().unwrap().port();
        socks.clear();
        d.dump_all(&mut socks).unwrap();
        assert!(socks
            .iter()
            .any(|s| s.proto == 17 && s.local == ("::1".parse().unwrap(), uport)));
    }

    fn inode_of(fd: &impl AsRawFd) -> String {
        std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    /// One lookup finds a connected socket by its ends, either side's; a listener for a flow
    /// it has not accepted; a UDP socket by its ends; nothing where nothing listens.
    #[test]
    fn finds_one_socket_by_its_ends() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server = l.local_addr().unwrap();
        let c = std::net::TcpStream::connect(server).unwrap();
        let (a, _) = l.accept().unwrap();
        let client = c.local_addr().unwrap();
        let ends = |s: std::net::SocketAddr| (s.ip(), s.port());
        let mut d = Diag::open().unwrap();
        let mut found = Vec::new();
        d.find(6, ends(client), ends(server), &mut found).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(format!("socket:[{}]", found[0].inode), inode_of(&c));
        assert_eq!(
            (found[0].local, found[0].remote),
            (ends(client), ends(server))
        );
        found.clear();
        d.find(6, ends(server), ends(client), &mut found).unwrap();
        assert_eq!(format!("socket:[{}]", found[0].inode), inode_of(&a));
        found.clear();
        let stranger = ("127.0.0.1".parse().unwrap(), 9);
        d.find(6, ends(server), stranger, &mut found).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].state, LISTEN);
        assert_eq!(format!("socket:[{}]", found[0].inode), inode_of(&l));
        drop(l);
        found.clear();
        d.find(6, ends(server), stranger, &mut found).unwrap();
        assert!(found.is_empty(), "{found:?}");

        let u = std::net::UdpSocket::bind("[::1]:0").unwrap();
        let peer = std::net::UdpSocket::bind("[::1]:0").unwrap();
        u.connect(peer.local_addr().unwrap()).unwrap();
        d.find(
            17,
            ends(u.local_addr().unwrap()),
            ends(peer.local_addr().unwrap()),
            &mut found,
        )
        .unwrap();
        let inodes: Vec<String> = found
            .iter()
            .map(|s| format!("socket:[{}]", s.inode))
            .collect();
        assert_eq!(inodes, [inode_of(&u)]);
    }

    /// An answer left queued (its request's reader gave up) is not taken for the next
    /// lookup's, nor does it shift the ones after.
    #[test]
    fn a_stale_answer_is_not_the_next_lookups() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server = l.local_addr().unwrap();
        let c = std::net::TcpStream::connect(server).unwrap();
        let client = c.local_addr().unwrap();
        let ends = |s: std::net::SocketAddr| (s.ip(), s.port());
        let stranger = ("127.0.0.1".parse().unwrap(), 9);
        let mut d = Diag::open().unwrap();
        // A lookup of the listener whose answer nobody reads.
        let mut id = [0u8; SOCKID];
        id[0..2].copy_from_slice(&server.port().to_be_bytes());
        id[2..4].copy_from_slice(&9u16.to_be_bytes());
        id[4..8].copy_from_slice(&[127, 0, 0, 1]);
        id[20..24].copy_from_slice(&[127, 0, 0, 1]);
        id[40..48].fill(0xff);
        d.send(libc::AF_INET as u8, 6, NLM_F_REQUEST, &id).unwrap();
        for _ in 0..2 {
            let mut found = Vec::new();
            d.find(6, ends(client), ends(server), &mut found).unwrap();
            let inodes: Vec<String> = found
                .iter()
                .map(|s| format!("socket:[{}]", s.inode))
                .collect();
            assert_eq!(inodes, [inode_of(&c)]);
        }
        let mut found = Vec::new();
        d.find(6, ends(server), stranger, &mut found).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(format!("socket:[{}]", found[0].inode), inode_of(&l));
    }
}
