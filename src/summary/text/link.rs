//! The link layer: `-e` headers and the frames nothing above decodes (print-ether.c,
//! print-sll.c, print-null.c).

use super::{n, s};
use crate::link::{LINKTYPE_LINUX_SLL2, LINKTYPE_NFLOG};
use crate::packet::Packet;
use crate::summary::decode::{self, Frame, Link};
use crate::summary::kit::trunc;
use crate::summary::PrintOptions;
use crate::summary::{digits, names};

/// `ethertype IPv4 (0x0800)`; under -q only the name (print-ether.c's ether_type_print).
fn ethertype(out: &mut Vec<u8>, t: u16, quick: bool) {
    if quick {
        match names::ethertype_name(t) {
            "Unknown" => {
                s(out, "Unknown Ethertype (");
                digits::hex16(out, t);
                out.push(b')');
            }
            name => s(out, name),
        }
        return;
    }
    s(out, "ethertype ");
    s(out, names::ethertype_name(t));
    s(out, " (");
    digits::hex16(out, t);
    out.push(b')');
}

/// The ethertypes print-ether.c takes as VLAN tags.
fn is_tag(t: u16) -> bool {
    matches!(t, 0x8100 | 0x88a8 | 0x9100 | 0x9200)
}

/// tcpdump's words for the Linux packet types (print-sll.c).
fn pkttype_word(t: u16) -> &'static str {
    match t {
        0 => "In",
        1 => "B",
        2 => "M",
        3 => "P",
        4 => "Out",
        _ => "?",
    }
}

/// Left-aligned in `width` columns, as printf's `%-5s`.
fn left(out: &mut Vec<u8>, t: &[u8], width: usize) {
    out.extend_from_slice(t);
    for _ in t.len()..width {
        out.push(b' ');
    }
}

/// [`left`] for a name straight from the kernel (the names the session hands over are escaped
/// already, by the line sink).
fn left_escaped(out: &mut Vec<u8>, t: &[u8], width: usize) {
    let start = out.len();
    crate::escape::bytes_into(out, t, &[]);
    for _ in out.len() - start..width {
        out.push(b' ');
    }
}

/// Interface names by index, as tcpdump finds them for SLL2 (if_indextoname, in the reading
/// process's network namespace), asked once per index.
#[derive(Default)]
pub(super) struct IfNames {
    known: Vec<(u32, [u8; libc::IF_NAMESIZE], usize)>,
}

/// More indexes than this in one capture are looked up every time rather than remembered.
const IFNAMES_KEPT: usize = 64;

impl IfNames {
    fn name(&mut self, index: u32, out: &mut Vec<u8>) {
        if let Some((_, b, l)) = self.known.iter().find(|k| k.0 == index) {
            left_escaped(out, &b[..*l], 5);
            return;
        }
        let mut b = [0u8; libc::IF_NAMESIZE];
        let l = crate::os::if_indextoname(index, &mut b).unwrap_or_else(|| {
            b[0] = b'?';
            1
        });
        left_escaped(out, &b[..l], 5);
        if self.known.len() < IFNAMES_KEPT {
            self.known.push((index, b, l));
        }
    }
}

/// SLL2 lines start with the interface and the direction, with or without `-e`. `name`: the
/// interface as the capture named it, else looked up by index as tcpdump does.
pub(super) fn sll2_prefix(out: &mut Vec<u8>, data: &[u8], names: &mut IfNames, name: Option<&str>) {
    if data.len() < 20 {
        return;
    }
    match name {
        Some(n) => left(out, n.as_bytes(), 5),
        None => names.name(
            u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
            out,
        ),
    }
    out.push(b' ');
    left(out, pkttype_word(u16::from(data[10])).as_bytes(), 3);
    out.push(b' ');
}

/// Bytes of link header tcpdump skips before `-x`/`-X`/`-A` (VLAN tags included).
pub(super) fn header_len(f: &Frame<'_>, pkt: &Packet<'_>, linktype: u16) -> usize {
    let tags = 4 * f.vlans().count();
    match f.link {
        Link::Nflog { .. } => decode::nflog_header_len(pkt.data, pkt.len),
        Link::Cut if linktype == LINKTYPE_NFLOG => decode::nflog_header_len(pkt.data, pkt.len),
        Link::Ether { .. } => 14 + tags,
        Link::Sll { .. } if linktype == LINKTYPE_LINUX_SLL2 => 20 + tags,
        Link::Sll { .. } => 16 + tags,
        Link::Null { .. } => 4,
        Link::Raw | Link::Cut | Link::Unknown => 0,
    }
}

/// `-e`: the link-level header, tcpdump style, ending in `: `.
pub(super) fn header(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    pkt: &Packet<'_>,
    linktype: u16,
    opts: &PrintOptions,
) {
    let wire_len = pkt.len;
    match f.link {
        Link::Ether {
            dst,
            src,
            ethertype: et,
        } => {
            digits::mac(out, &src);
            s(out, " > ");
            digits::mac(out, &dst);
            s(out, ", ");
            // print-ether.c names a tag's type only once it has read the tag: a cut one leaves
            // the line at the addresses, or after the last whole tag.
            let tags = f.vlans().count();
            if is_tag(et) && tags == 0 {
                return;
            }
            if et < 0x0600 {
                s(out, "802.3");
            } else {
                ethertype(out, et, opts.quick);
            }
            s(out, ", length ");
            n(out, wire_len);
            s(out, ": ");
            for (i, (id, pcp, next)) in f.vlans().enumerate() {
                s(out, "vlan ");
                n(out, id);
                s(out, ", p ");
                n(out, pcp);
                s(out, ", ");
                if i + 1 == tags && is_tag(next) {
                    break;
                }
                ethertype(out, next, opts.quick);
                s(out, ", ");
            }
        }
        Link::Sll {
            pkttype,
            addr,
            proto,
            ..
        } => {
            let d = pkt.data;
            if linktype == LINKTYPE_LINUX_SLL2 {
                s(out, "ifindex ");
                n(out, u32::from_be_bytes([d[4], d[5], d[6], d[7]]));
                out.push(b' ');
            } else {
                let w = pkttype_word(pkttype);
                for _ in w.len()..3 {
                    out.push(b' ');
                }
                s(out, w);
                out.push(b' ');
            }
            if addr.len() == 6 {
                digits::mac(out, addr);
                out.push(b' ');
            }
            if !opts.quick {
                match proto {
                    1 => s(out, "802.3"),
                    4 => s(out, "802.2"),
                    p if p < 0x0600 => {
                        s(out, "ethertype Unknown (");
                        digits::hex16(out, p);
                        out.push(b')');
                    }
                    p => ethertype(out, p, false),
                }
                s(out, ", length ");
                n(out, wire_len);
                s(out, ": ");
            }
        }
        Link::Null { family } => {
            s(out, "AF ");
            n(out, family);
            s(out, ", length ");
            n(out, wire_len);
            s(out, ": ");
        }
        Link::Nflog { family, rid } => super::nflog::header(out, family, rid, wire_len, opts.quick),
        // tcpdump prints NFLOG's header before it walks the TLVs that turn out cut.
        Link::Cut if linktype == LINKTYPE_NFLOG && pkt.data.len() >= 4 => {
            let d = pkt.data;
            let rid = u16::from_be_bytes([d[2], d[3]]);
            super::nflog::header(out, d[0], rid, wire_len, opts.quick);
        }
        Link::Raw | Link::Cut | Link::Unknown => {}
    }
}

/// Anything we do not decode: say what it is by number, and how long.
/// `prefix` false: `-e` already printed the ethertype, so only its name is repeated.
pub(super) fn fallback(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    pkt: &Packet<'_>,
    linktype: u16,
    prefix: bool,
) {
    match (f.link, f.ethertype()) {
        (Link::Ether { .. } | Link::Sll { .. }, Some(0x9000)) => {
            let body = pkt.data.get(header_len(f, pkt, linktype)..).unwrap_or(&[]);
            let len = f
                .link_payload_len
                .saturating_sub(4 * f.vlans().count() as u32);
            loopback(out, body, len as usize);
        }
        (_, Some(et)) => {
            if prefix || f.vlans().next().is_some() {
                ethertype(out, et, false);
            } else {
                s(out, names::ethertype_name(et));
            }
            s(out, ", length ");
            n(out, f.link_payload_len);
        }
        (Link::Sll { proto, hatype, .. }, None) => {
            s(out, "Linux cooked, hatype ");
            n(out, hatype);
            s(out, ", protocol ");
            digits::hex16(out, proto);
            s(out, ", length ");
            n(out, f.link_payload_len);
        }
        (Link::Null { family }, None) => {
            s(out, "AF ");
            n(out, family);
            s(out, ", length ");
            n(out, f.link_payload_len);
        }
        _ => {
            s(out, "link type ");
            n(out, linktype);
            s(out, ", length ");
            n(out, pkt.len);
        }
    }
}

/// Ethernet configuration testing protocol (print-loopback.c): little-endian fields, `len` on
/// the wire, `b` what was captured of it.
fn loopback(out: &mut Vec<u8>, b: &[u8], len: usize) {
    s(out, "Loopback");
    let le16 = |at: usize| b.get(at..at + 2).map(|v| u16::from_le_bytes([v[0], v[1]]));
    let end = |out: &mut Vec<u8>, at: usize, invalid: bool| {
        if invalid {
            s(out, " (invalid)");
        }
        // tcpdump checks that the rest was captured before it leaves.
        if b.len() < at + len.saturating_sub(at) {
            trunc(out, "loopback");
        }
    };
    if len < 2 {
        return end(out, 0, true);
    }
    let Some(skip) = le16(0) else {
        return trunc(out, "loopback");
    };
    s(out, ", skipCount ");
    n(out, skip);
    if skip % 8 != 0 {
        s(out, " (bogus)");
    }
    let skip = usize::from(skip);
    if skip > len - 2 {
        return end(out, 2, true);
    }
    let at = 2 + skip;
    if len - at < 2 {
        return end(out, at, true);
    }
    let Some(function) = le16(at) else {
        return trunc(out, "loopback");
    };
    let at = at + 2;
    match function {
        1 => {
            s(out, ", Reply");
            if len - at < 2 {
                return end(out, at, true);
            }
            let Some(receipt) = le16(at) else {
                return trunc(out, "loopback");
            };
            s(out, ", receipt number ");
            n(out, receipt);
            s(out, ", data (");
            n(out, (len - at - 2) as u32);
            s(out, " octets)");
            end(out, at + 2, false);
        }
        2 => {
            s(out, ", Forward Data");
            if len - at < 6 {
                return end(out, at, true);
            }
            let Some(mac) = b.get(at..at + 6) else {
                return trunc(out, "loopback");
            };
            s(out, ", forwarding address ");
            digits::mac(out, mac);
            s(out, ", data (");
            n(out, (len - at - 6) as u32);
            s(out, " octets)");
            end(out, at + 6, false);
        }
        _ => {
            s(out, ",  invalid (");
            n(out, function);
            out.push(b')');
            end(out, at, false);
        }
    }
}
