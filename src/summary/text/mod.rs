//! The summary line after time, interface and direction, following `tcpdump -n` (4.99) output,
//! one file per protocol layer as in tcpdump's print-*.c (DNS, shared with JSON, is
//! `summary/dns/`), then the payload dumps (`-x`, `-X`, `-A`).

// Each layer's `print` has one caller and is `#[inline]`: split into modules, they landed in
// other codegen units, where LLVM stopped inlining them (1.6% more instructions per line under
// callgrind); with the hint the machine code is that of the single file again.
mod app;
mod arp;
mod bfd;
mod bgp;
mod bootp;
mod cksum;
mod dhcp6;
mod dump;
mod geneve;
mod gre;
mod hsrp;
mod http;
mod icmp;
mod icmp6;
mod igmp;
mod ip;
mod ipsec;
mod link;
mod lldp;
mod mpls;
mod mptcp;
mod nd;
mod nflog;
mod ntp;
mod otv;
mod resp;
mod rip;
mod ripng;
mod sip;
mod syslog;
mod tcp;
mod tftp;
mod tunnel;
mod txt;
mod udp;
mod vrrp;
mod vxlan;

use etherparse::LaxNetSlice;

use super::decode::{Frame, Link};
use super::kit::trunc;
use super::{digits, names};
use crate::link::{
    LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NFLOG, LINKTYPE_RAW, LINKTYPE_RAW_12,
    LINKTYPE_RAW_14,
};
use crate::packet::Packet;
use crate::summary::PrintOptions;

fn s(out: &mut Vec<u8>, t: &str) {
    out.extend_from_slice(t.as_bytes());
}

fn n(out: &mut Vec<u8>, v: impl Into<u64>) {
    digits::u64(out, v.into());
}

/// What a line remembers from earlier packets.
pub struct State {
    seqs: tcp::Seqs,
    ifnames: link::IfNames,
}

impl State {
    /// `relative`: keep the table for relative TCP sequence numbers (not with `-S`).
    pub fn new(relative: bool) -> Self {
        State {
            seqs: tcp::Seqs::new(relative),
            ifnames: link::IfNames::default(),
        }
    }
}

thread_local! {
    /// Set by a printer that gives up where the line's end alone cannot tell how tcpdump's
    /// did (the same cut mark is printed both ways): Some(true) by a long jump, Some(false) by
    /// returning; read and cleared per packet.
    static JUMPED: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// The printer of the current packet gave up by a long jump: the dumps start at the first byte.
pub(super) fn long_jump() {
    JUMPED.with(|j| j.set(Some(true)));
}

/// Whether the printer of the current packet gave up by a long jump (a quoted packet's
/// printer ends the whole line then, as in tcpdump).
pub(super) fn jumped() -> bool {
    JUMPED.with(|j| j.get()) == Some(true)
}

/// The printer of the current packet gave up by returning: the dumps start after the link
/// header, whatever cut mark the line ends with.
pub(super) fn returned() {
    JUMPED.with(|j| j.set(Some(false)));
}

/// The summary, then the dump `-x`/`-X`/`-A` ask for (or, for a frame tcpdump cannot decode,
/// its default hex dump).
#[inline]
pub fn frame(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    pkt: &Packet<'_>,
    linktype: u16,
    opts: &PrintOptions,
    st: &mut State,
    sll2_name: Option<&str>,
) {
    if linktype == LINKTYPE_LINUX_SLL2 {
        link::sll2_prefix(out, pkt.data, &mut st.ifnames, sll2_name);
    }
    let start = out.len();
    JUMPED.with(|j| j.set(None));
    let undecoded = summary(out, f, pkt, linktype, opts, st);
    if opts.hex_ascii == 0 && opts.hex == 0 && opts.ascii == 0 {
        // No payload dump asked for: where one would start is not worked out.
        if let Some(rest) = undecoded {
            dump::hex_ascii(out, rest);
        }
        return;
    }
    let data = pkt.data;
    // A cut link header is all header: nothing after it to dump (NFLOG's is what its walk of
    // the TLVs got through). The ARP and ICMP printers
    // give up on a cut packet by a long jump, after which tcpdump dumps from the first byte.
    let line = &out[start..];
    // print-icmp6.c checks the quoted header of a port unreachable, and the neighbour
    // discovery options after a printed target, without jumping.
    let told = JUMPED.with(|j| j.get());
    let jumped = told == Some(true)
        || line.ends_with(b"[|icmp]") && icmp_jumped(f)
        || JUMPING.iter().any(|p| line.ends_with(p))
            && !line.ends_with(b", unreachable port [|icmp6]")
            && !(line.ends_with(b" [|icmp6]") && nd_options_cut(line));
    let hdr = match f.link {
        Link::Cut if matches!(linktype, LINKTYPE_LINUX_SLL | LINKTYPE_LINUX_SLL2) => 0,
        Link::Cut if linktype != LINKTYPE_NFLOG => data.len(),
        _ if line.ends_with(b"[|vlan]") => data.len(),
        _ if jumped => 0,
        _ if told == Some(false) => link::header_len(f, pkt, linktype),
        // Not one byte of the IP header: its version is read by a jumping getter.
        _ if line.ends_with(b" [|ip]") && data.len() == link::header_len(f, pkt, linktype) => 0,
        // The same inside a tunnel or label stack: a header cut after its first byte prints
        // `IP ` first (unless -e), one with none does not.
        _ if !opts.link_header
            && [&b")  [|ip]"[..], b":  [|ip]", b"\n [|ip]"]
                .iter()
                .any(|e| line.ends_with(e)) =>
        {
            0
        }
        // DNS over TCP cut inside its length prefix (read by a jumping getter).
        _ if tcp_dns_length_cut(line) => 0,
        _ => link::header_len(f, pkt, linktype),
    };
    let body = data.get(hdr..).unwrap_or(&[]);
    if opts.hex_ascii > 0 {
        dump::hex_ascii(out, if opts.hex_ascii > 1 { data } else { body });
    } else if opts.hex > 0 {
        dump::hex(out, if opts.hex > 1 { data } else { body });
    } else {
        if let Some(rest) = undecoded {
            dump::hex_ascii(out, rest);
        }
        // tcpdump dumps the payload only when there is one past the link header.
        if opts.ascii > 1 || opts.ascii > 0 && !body.is_empty() {
            dump::ascii(out, if opts.ascii > 1 { data } else { body });
        }
    }
}

/// The cut marks of tcpdump printers that give up only by a long jump (their reads and bounds
/// checks jump: ND_LONGJMP_FROM_TCHECK, or GET_ macros throughout).
pub(super) const JUMPING: [&[u8]; 10] = [
    b"[|arp]",
    b"[|frag6]",
    b"[|icmp6]",
    b"[|loopback]",
    b"[|mpls]",
    b"[|otv]",
    b"[|rt6]",
    b"[|ssh]",
    b"[|syslog]",
    b"[|vxlan]",
];

/// `…, who has fe80::2 [|icmp6]` (-v): a neighbour solicitation or advertisement cut in the
/// options that follow its target.
fn nd_options_cut(line: &[u8]) -> bool {
    [&b", who has "[..], b", tgt is "]
        .iter()
        .any(|w| line.windows(w.len()).any(|x| x == *w))
}

/// `…, length 65 [|domain]`: the cut came before the DNS message, in its TCP length prefix.
fn tcp_dns_length_cut(line: &[u8]) -> bool {
    let Some(rest) = line.strip_suffix(b" [|domain]") else {
        return false;
    };
    let digits = rest.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && rest[..rest.len() - digits].ends_with(b", length ")
}

/// A line cut in ICMP: did tcpdump's printer long-jump out (see `icmp::cut_jumps`)?
fn icmp_jumped(f: &Frame<'_>) -> bool {
    use super::decode::Transport;
    match f.ip().map(|ip| ip.transport) {
        Some(Transport::Icmp(i)) => icmp::cut_jumps(i.slice()),
        Some(Transport::Cut(b)) => icmp::cut_jumps(b),
        _ => true,
    }
}

/// The summary line; the bytes tcpdump would hex-dump as undecoded, if any.
fn summary<'a>(
    out: &mut Vec<u8>,
    f: &Frame<'a>,
    pkt: &Packet<'a>,
    linktype: u16,
    opts: &PrintOptions,
    st: &mut State,
) -> Option<&'a [u8]> {
    if opts.link_header {
        link::header(out, f, pkt, linktype, opts);
    }
    // tcpdump's raw-IP printer says `ip: ` under -e, and the IP layer then drops its `IP `.
    let raw_e = opts.link_header
        && matches!(linktype, LINKTYPE_RAW_12 | LINKTYPE_RAW_14 | LINKTYPE_RAW)
        && f.pkt.is_some();
    if raw_e {
        s(out, "ip: ");
    }
    // tcpdump's raw-IP printer names neither IPv4 nor IPv6 by the version nibble alone.
    if matches!(linktype, LINKTYPE_RAW_12 | LINKTYPE_RAW_14 | LINKTYPE_RAW) {
        if let Some(v) = pkt
            .data
            .first()
            .map(|b| b >> 4)
            .filter(|v| !matches!(v, 4 | 6))
        {
            s(out, "unknown ip ");
            n(out, v);
            return None;
        }
    }
    match f.link {
        Link::Cut => {
            trunc(out, names::link_name(linktype));
            return None;
        }
        Link::Unknown => {
            s(out, "unknown link type ");
            n(out, linktype);
            s(out, ", length ");
            n(out, pkt.len);
            return None;
        }
        Link::Ether { ethertype: et, .. } if et < 0x0600 => {
            s(out, "802.3 LLC, length ");
            n(out, f.link_payload_len);
            return None;
        }
        _ => {}
    }
    // With -e the ethertype is already on the line, and tcpdump then drops `IP `/`ARP, `.
    let prefix = !(raw_e
        || opts.link_header
            && matches!(
                f.link,
                Link::Ether { .. } | Link::Sll { .. } | Link::Nflog { .. }
            ));
    let Some(p) = &f.pkt else {
        link::fallback(out, f, pkt, linktype, prefix);
        return None;
    };
    match &p.net {
        Some(LaxNetSlice::Arp(_)) => return arp(out, f, pkt, linktype, prefix, opts),
        Some(_) => match f.ip() {
            Some(ip) => ip::print(out, f, &ip, opts, prefix, st),
            None => link::fallback(out, f, pkt, linktype, prefix),
        },
        None => {
            let body = pkt.data.get(link::header_len(f, pkt, linktype)..);
            if let Some(ip) = body.and_then(super::decode::ipv4_cut) {
                ip::print(out, f, &ip, opts, prefix, st);
            } else if f.ethertype() == Some(0x0806) {
                return arp(out, f, pkt, linktype, prefix, opts);
            } else if let Some(layer) = f.stop_layer() {
                // tcpdump's words for a cut network header, prefix and spacing included.
                let name = match (f.ethertype(), names::layer_name(layer)) {
                    (Some(0x86dd), "ip") => "ip6",
                    (_, name) => name,
                };
                // ip_print reads the version before it prints `IP `: no byte, no word.
                let hdr = link::header_len(f, pkt, linktype);
                if prefix && f.ethertype() == Some(0x0800) && pkt.data.len() > hdr {
                    s(out, "IP ");
                }
                trunc(out, name);
            } else if f.ethertype() == Some(0x88cc) {
                let body = pkt.data.get(link::header_len(f, pkt, linktype)..);
                let len = f
                    .link_payload_len
                    .saturating_sub(4 * f.vlans().count() as u32);
                lldp::print(out, body.unwrap_or(&[]), len, opts.verbose);
            } else if !tunnel::link(out, f, opts, st) {
                if let Some(body) = unknown_ethertype(out, f, pkt, linktype, opts) {
                    return Some(body);
                }
                link::fallback(out, f, pkt, linktype, prefix);
            }
        }
    }
    None
}

/// ARP (print-arp.c), whole or cut; an unknown operation ends in a dump of the message, which
/// print-arp.c prints itself (ND_DEFAULTPRINT), before any `-x` dump.
fn arp<'a>(
    out: &mut Vec<u8>,
    f: &Frame<'a>,
    pkt: &Packet<'a>,
    linktype: u16,
    prefix: bool,
    opts: &PrintOptions,
) -> Option<&'a [u8]> {
    let body = pkt
        .data
        .get(link::header_len(f, pkt, linktype)..)
        .unwrap_or(&[]);
    // tcpdump's ARP length starts after the VLAN tags.
    let len = f
        .link_payload_len
        .saturating_sub(4 * f.vlans().count() as u32);
    if let arp::Ended::Dump = arp::print(out, body, len, prefix, opts.verbose > 0) {
        dump::hex_ascii(out, body);
    }
    None
}

/// An Ethernet or cooked frame of an ethertype tcpdump has neither name nor printer for: the
/// link header as -e prints it, then (returned) the bytes after it for tcpdump's hex dump.
fn unknown_ethertype<'a>(
    out: &mut Vec<u8>,
    f: &Frame<'a>,
    pkt: &Packet<'a>,
    linktype: u16,
    opts: &PrintOptions,
) -> Option<&'a [u8]> {
    let et = f.ethertype()?;
    let plain = matches!(f.link, Link::Ether { .. })
        || matches!(f.link, Link::Sll { .. }) && linktype == LINKTYPE_LINUX_SLL;
    if !plain || f.vlans().next().is_some() || names::ethertype_name(et) != "Unknown" {
        return None;
    }
    match f.link {
        // -q words the type its own way, and prints only the addresses before it.
        Link::Ether { dst, src, .. } if opts.quick && !opts.link_header => {
            digits::mac(out, &src);
            s(out, " > ");
            digits::mac(out, &dst);
            s(out, ", Unknown Ethertype (0x");
            digits::hex_padded(out, u64::from(et), 4);
            s(out, "), length ");
            n(out, pkt.len);
            s(out, ": ");
        }
        _ if !opts.link_header => link::header(out, f, pkt, linktype, opts),
        _ => {}
    }
    // -q also drops the dump.
    let body = pkt
        .data
        .get(link::header_len(f, pkt, linktype)..)
        .unwrap_or(&[]);
    Some(if opts.quick { &[] } else { body })
}
