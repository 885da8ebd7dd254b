//! print-bgp.c: BGP on TCP port 179 as tcpdump 4.99 prints it: `: BGP` alone by default; with
//! `-v` each message found in the segment (by its marker): Open with its optional parameters
//! and capabilities, Keepalive, Notification with its codes (and a shutdown communication),
//! Route Refresh, Update with its withdrawn and announced IPv4 routes, its path attributes
//! (origin, AS paths, next hop, MED, local preference, aggregators, communities and large
//! ones, originator, cluster list) and multiprotocol routes for IPv4 and IPv6 unicast and
//! multicast. Where tcpdump decodes more (extended communities, PMSI tunnels, AIGP, attribute
//! sets, VPN, labelled and other address families), nscap prints that attribute's line and
//! no more of the message: less than tcpdump, never something else.

use super::nd::{check, get16, get32, get8, Stop};
use super::{n, s};
use crate::summary::digits;
use crate::summary::dns::print_char;

/// The marker every message starts with.
const MARKER: [u8; 16] = [0xff; 16];
/// BGP_SIZE: marker, length, type.
const HEADER: usize = 19;

/// `b`: the captured payload (to the end of the IP datagram); `len`: the segment's length.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], _len: u32, verbose: u8) {
    s(out, ": BGP");
    if verbose == 0 {
        return;
    }
    if let Err(how) = messages(out, b, verbose) {
        super::nd::stopped(out, "bgp", how);
    }
}

fn messages(out: &mut Vec<u8>, b: &[u8], verbose: u8) -> Result<(), Stop> {
    let mut p = 0;
    let mut start = 0;
    while p < b.len() {
        if b[p] != 0xff {
            p += 1;
            continue;
        }
        if p + 16 > b.len() {
            break;
        }
        if b[p..p + 16] != MARKER {
            p += 1;
            continue;
        }
        check(b, p, HEADER)?;
        if start != p {
            crate::summary::kit::trunc(out, "bgp");
        }
        let hlen = usize::from(get16(b, p + 16)?);
        if hlen < HEADER {
            s(out, "\nmessage length ");
            n(out, hlen as u64);
            s(out, " < 19 (invalid)");
            break;
        }
        if p + hlen <= b.len() {
            // The message's printers may read past its end, into what was captured after it,
            // as tcpdump's do (their bounds are the capture's).
            pdu(out, &b[p..], hlen, verbose)?;
            p += hlen;
            start = p;
        } else {
            s(out, "\n[|BGP ");
            let t = b[p + 18];
            s(
                out,
                if t > 5 || t == 0 {
                    "Unknown Message Type"
                } else {
                    message_name(t)
                },
            );
            s(out, "]");
            break;
        }
    }
    Ok(())
}

fn message_name(t: u8) -> &'static str {
    match t {
        1 => "Open",
        2 => "Update",
        3 => "Notification",
        4 => "Keepalive",
        5 => "Route Refresh",
        _ => "Unknown",
    }
}

/// bgp_pdu_print: one message, `m` the capture from its start, `len` its declared length (all
/// captured).
fn pdu(out: &mut Vec<u8>, m: &[u8], len: usize, verbose: u8) -> Result<(), Stop> {
    let t = m[18];
    s(out, "\n\t");
    s(out, message_name(t));
    s(out, " Message (");
    n(out, t);
    s(out, "), length: ");
    n(out, len as u64);
    // Each kind's own cut ends its line (` [|bgp]`) and the next message goes on.
    let r = match t {
        1 => open(out, m, len, verbose),
        2 => update(out, m, len, verbose),
        3 => notification(out, m, len),
        4 => Ok(()),
        5 => route_refresh(out, m, len, verbose),
        _ => {
            s(out, "\n\t  no Message ");
            n(out, t);
            s(out, " decoder");
            super::dump::hex_after(out, &m[..len], "\n\t  ");
            Ok(())
        }
    };
    match r {
        Err(Stop::Trunc) => {
            crate::summary::kit::trunc(out, "bgp");
            Ok(())
        }
        other => other,
    }
}

fn safi_name(safi: u8) -> &'static str {
    match safi {
        0 => "Reserved",
        1 => "Unicast",
        2 => "Multicast",
        3 => "Unicast+Multicast",
        4 => "labeled Unicast",
        64 => "Tunnel",
        65 => "VPLS",
        66 => "MDT",
        70 => "EVPN",
        128 => "labeled VPN Unicast",
        129 => "labeled VPN Multicast",
        130 => "labeled VPN Unicast+Multicast",
        132 => "Route Target Routing Information",
        5 => "Multicast VPN",
        _ => "Unknown",
    }
}

/// `AFI IPv4 (1), SAFI Unicast (1)` as the capabilities and Route Refresh print it.
fn afi_safi(out: &mut Vec<u8>, af: u16, safi: u8) {
    s(out, "AFI ");
    s(out, crate::summary::names::address_family(af));
    s(out, " (");
    n(out, af);
    s(out, "), SAFI ");
    s(out, safi_name(safi));
    s(out, " (");
    n(out, safi);
    s(out, ")");
}

fn open(out: &mut Vec<u8>, m: &[u8], len: usize, verbose: u8) -> Result<(), Stop> {
    check(m, 0, 29)?;
    if len < 29 {
        return Err(Stop::Trunc);
    }
    s(out, "\n\t  Version ");
    n(out, get8(m, 19)?);
    s(out, ", my AS ");
    n(out, get16(m, 20)?);
    s(out, ", Holdtime ");
    n(out, get16(m, 22)?);
    s(out, "s, ID ");
    digits::ipv4(out, get32(m, 24)?.to_be_bytes());
    let optslen = usize::from(get8(m, 28)?);
    s(out, "\n\t  Optional parameters, length: ");
    n(out, optslen as u64);
    let opt = 29;
    let length = len - 29;
    let mut i = 0;
    while i < optslen {
        check(m, opt + i, 2)?;
        if length < 2 + i {
            return Err(Stop::Trunc);
        }
        let (t, l) = (get8(m, opt + i)?, usize::from(get8(m, opt + i + 1)?));
        if 2 + i + l > optslen {
            s(out, "\n\t     Option ");
            n(out, t);
            s(out, ", length: ");
            n(out, l as u64);
            s(out, ", goes past the end of the options");
            break;
        }
        s(out, "\n\t    Option ");
        s(
            out,
            match t {
                1 => "Authentication Information",
                2 => "Capabilities Advertisement",
                _ => "Unknown",
            },
        );
        s(out, " (");
        n(out, t);
        s(out, "), length: ");
        n(out, l as u64);
        if t == 2 {
            capabilities(out, m, opt + i + 2, l, verbose)?;
        } else {
            s(out, "\n\t      no decoder for option ");
            n(out, t);
        }
        i += 2 + l;
    }
    Ok(())
}

fn capability_name(t: u8) -> &'static str {
    match t {
        1 => "Multiprotocol Extensions",
        2 => "Route Refresh",
        3 => "Cooperative Route Filtering",
        4 => "Multiple Routes to a Destination",
        5 => "Extended Next Hop Encoding",
        8 => "Multiple Labels",
        64 => "Graceful Restart",
        65 => "32-Bit AS Number",
        67 => "Dynamic Capability",
        68 => "Multisession BGP",
        69 => "Multiple Paths",
        70 => "Enhanced Route Refresh",
        71 => "Long-lived Graceful Restart",
        128 => "Route Refresh (Cisco)",
        _ => "Unknown",
    }
}

/// bgp_capabilities_print: the capabilities in `caps_len` bytes at `at`. A capability too short
/// for what it says ends the list (tcpdump returns there).
fn capabilities(
    out: &mut Vec<u8>,
    m: &[u8],
    at: usize,
    caps_len: usize,
    verbose: u8,
) -> Result<(), Stop> {
    let mut i = 0;
    while i < caps_len {
        check(m, at + i, 2)?;
        let t = get8(m, at + i)?;
        let l = usize::from(get8(m, at + i + 1)?);
        s(out, "\n\t      ");
        s(out, capability_name(t));
        s(out, " (");
        n(out, t);
        s(out, "), length: ");
        n(out, l as u64);
        check(m, at + i + 2, l)?;
        let v = at + i + 2;
        match t {
            1 => {
                if l < 4 {
                    s(out, " (too short, < 4)");
                    return Ok(());
                }
                s(out, "\n\t\t");
                afi_safi(out, get16(m, v)?, get8(m, v + 3)?);
            }
            8 => {
                let mut o = 0;
                while l - o >= 4 {
                    s(out, "\n\t\t");
                    afi_safi(out, get16(m, v + o)?, get8(m, v + o + 2)?);
                    s(out, ", Count: ");
                    n(out, get8(m, v + o + 3)?);
                    o += 4;
                }
            }
            64 => {
                if l < 2 {
                    s(out, " (too short, < 2)");
                    return Ok(());
                }
                s(out, "\n\t\tRestart Flags: [");
                s(out, if get8(m, v)? & 0x80 != 0 { "R" } else { "none" });
                s(out, "], Restart Time ");
                n(out, get16(m, v)? & 0xfff);
                s(out, "s");
                let mut o = 2;
                while l - o >= 4 {
                    s(out, "\n\t\t  ");
                    afi_safi(out, get16(m, v + o)?, get8(m, v + o + 2)?);
                    s(out, ", Forwarding state preserved: ");
                    s(
                        out,
                        if get8(m, v + o + 3)? & 0x80 != 0 {
                            "yes"
                        } else {
                            "no"
                        },
                    );
                    o += 4;
                }
            }
            2 | 71 | 128 => {}
            65 => {
                if l < 4 {
                    s(out, " (too short, < 4)");
                    return Ok(());
                }
                s(out, "\n\t\t 4 Byte AS ");
                n(out, get32(m, v)?);
            }
            69 => {
                if l == 0 {
                    s(out, " (bogus)");
                } else {
                    let mut left = l;
                    let mut o = 0;
                    while left != 0 {
                        if left < 4 {
                            s(out, " (invalid)");
                            break;
                        }
                        s(out, "\n\t\t");
                        afi_safi(out, get16(m, v + o)?, get8(m, v + o + 2)?);
                        s(out, ", Send/Receive: ");
                        let sr = get8(m, v + o + 3)?;
                        match sr {
                            1 => s(out, "Receive"),
                            2 => s(out, "Send"),
                            3 => s(out, "Both"),
                            _ => {
                                s(out, "Bogus (0x");
                                digits::byte_hex(out, sr);
                                s(out, ")");
                            }
                        }
                        left -= 4;
                        o += 4;
                    }
                }
            }
            _ => {
                s(out, "\n\t\tno decoder for Capability ");
                n(out, t);
                if verbose <= 1 {
                    super::dump::hex_after(out, &m[v..v + l], "\n\t\t");
                }
            }
        }
        if verbose > 1 && l != 0 {
            super::dump::hex_after(out, &m[v..v + l], "\n\t\t");
        }
        i += 2 + l;
    }
    Ok(())
}

/// decode_prefix4 and decode_prefix6 (`bits` 32 or 128): `lead`, then `10.1.0.0/16` at `at`
/// within `item` bytes; how many bytes it took, `None` for an illegal length, a cut (`Trunc`)
/// when the item is too short for it (ITEMCHECK). Nothing is printed unless the prefix is.
fn prefix(
    out: &mut Vec<u8>,
    m: &[u8],
    at: usize,
    item: usize,
    bits: usize,
    lead: &str,
) -> Result<Option<usize>, Stop> {
    if item < 1 {
        return Err(Stop::Trunc);
    }
    let plen = usize::from(get8(m, at)?);
    if plen > bits {
        return Ok(None);
    }
    let bytes = plen.div_ceil(8);
    if item - 1 < bytes {
        return Err(Stop::Trunc);
    }
    let src = m.get(at + 1..at + 1 + bytes).ok_or(super::nd::Jump)?;
    let mut a = [0u8; 16];
    a[..bytes].copy_from_slice(src);
    if plen % 8 != 0 {
        a[bytes - 1] &= (0xff00u16 >> (plen % 8)) as u8;
    }
    s(out, lead);
    if bits == 32 {
        digits::ipv4(out, [a[0], a[1], a[2], a[3]]);
    } else {
        digits::ipv6(out, a);
    }
    s(out, "/");
    n(out, plen as u64);
    Ok(Some(1 + bytes))
}

/// check_add_path: whether routes of `length` bytes at `at` carry path IDs (RFC 7911), as
/// tcpdump guesses it: they parse with them (prefixes of at most `max` bits) and do not parse
/// without.
fn add_path(m: &[u8], at: usize, length: usize, max: usize) -> bool {
    if length < 5 {
        return false;
    }
    let mut o = 0;
    while o < length {
        o += 4;
        let Some(&plen) = m.get(at + o) else { break };
        if usize::from(plen) > max {
            return false;
        }
        o += 1 + usize::from(plen).div_ceil(8);
    }
    if o > length {
        return false;
    }
    let mut o = 0;
    while o < length {
        let Some(&plen) = m.get(at + o) else { break };
        if plen < 1 || usize::from(plen) > max {
            return true;
        }
        o += 1 + usize::from(plen).div_ceil(8);
    }
    o > length
}

/// bgp_update_print as far as it is ported: the withdrawn routes and the End-of-RIB marker.
fn update(out: &mut Vec<u8>, m: &[u8], len: usize, verbose: u8) -> Result<(), Stop> {
    let mut length = len - HEADER;
    let mut p = HEADER;
    check(m, p, 2)?;
    if length < 2 {
        return Err(Stop::Trunc);
    }
    let mut withdrawn = usize::from(get16(m, p)?);
    p += 2;
    length -= 2;
    if withdrawn > 1 {
        check(m, p, withdrawn)?;
        if length < withdrawn {
            return Err(Stop::Trunc);
        }
        s(out, "\n\t  Withdrawn routes:");
        let paths = add_path(m, p, withdrawn, 32);
        while withdrawn != 0 {
            let mut id = 0;
            if paths {
                if withdrawn < 4 {
                    // Left as it is (not zero), as in tcpdump: no End-of-RIB then.
                    p += withdrawn;
                    length -= withdrawn;
                    break;
                }
                id = get32(m, p)?;
                p += 4;
                length -= 4;
                withdrawn -= 4;
            }
            match prefix(out, m, p, withdrawn, 32, "\n\t    ")? {
                None => {
                    s(out, "\n\t    (illegal prefix length)");
                    break;
                }
                Some(used) => {
                    if paths {
                        s(out, "   Path Id: ");
                        n(out, id);
                    }
                    p += used;
                    length -= used;
                    withdrawn -= used;
                }
            }
        }
    } else {
        check(m, p, withdrawn)?;
        if length < withdrawn {
            return Err(Stop::Trunc);
        }
        p += withdrawn;
        length -= withdrawn;
    }
    check(m, p, 2)?;
    if length < 2 {
        return Err(Stop::Trunc);
    }
    let mut attrs = usize::from(get16(m, p)?);
    p += 2;
    length -= 2;
    if withdrawn == 0 && attrs == 0 && length == 0 {
        s(out, "\n\t  End-of-Rib Marker (empty NLRI)");
        return Ok(());
    }
    if attrs > 0 {
        if length < attrs {
            return Err(Stop::Trunc);
        }
        while attrs > 0 {
            check(m, p, 2)?;
            if length < 2 {
                return Err(Stop::Trunc);
            }
            if attrs < 2 {
                s(out, "\n\t  [path attrs too short]");
                p += attrs;
                length -= attrs;
                break;
            }
            let (flags, kind) = (get8(m, p)?, get8(m, p + 1)?);
            p += 2;
            attrs -= 2;
            length -= 2;
            let lenlen = if flags & 0x10 != 0 { 2 } else { 1 };
            check(m, p, lenlen)?;
            if length < lenlen {
                return Err(Stop::Trunc);
            }
            if attrs < lenlen {
                s(out, "\n\t  [path attrs too short]");
                p += attrs;
                length -= attrs;
                break;
            }
            let alen = if lenlen == 2 {
                usize::from(get16(m, p)?)
            } else {
                usize::from(get8(m, p)?)
            };
            p += lenlen;
            attrs -= lenlen;
            length -= lenlen;
            s(out, "\n\t  ");
            s(out, attribute_name(kind));
            s(out, " (");
            n(out, kind);
            s(out, "), length: ");
            n(out, alen as u64);
            if flags != 0 {
                s(out, ", Flags [");
                for (bit, c) in [(0x80, "O"), (0x40, "T"), (0x20, "P"), (0x10, "E")] {
                    if flags & bit != 0 {
                        s(out, c);
                    }
                }
                if flags & 0xf != 0 {
                    s(out, "+");
                    digits::hex(out, (flags & 0xf).into());
                }
                s(out, "]: ");
            }
            if attrs < alen {
                s(out, " [path attrs too short]");
                p += attrs;
                length -= attrs;
                break;
            }
            if length < alen {
                return Err(Stop::Trunc);
            }
            // A path attribute tcpdump decodes and nscap does not: its line, then nothing more
            // of this message (less than tcpdump prints, never something else).
            if matches!(kind, 16 | 22 | 26 | 128) {
                return Ok(());
            }
            if !attribute(out, m, kind, p, alen, verbose)? {
                return Ok(());
            }
            p += alen;
            attrs -= alen;
            length -= alen;
        }
    }
    if length > 0 {
        let paths = add_path(m, p, length, 32);
        s(out, "\n\t  Updated routes:");
        while length != 0 {
            let mut id = 0;
            if paths {
                check(m, p, 4)?;
                if length < 4 {
                    return Err(Stop::Trunc);
                }
                id = get32(m, p)?;
                p += 4;
                length -= 4;
            }
            match prefix(out, m, p, length, 32, "\n\t    ")? {
                None => {
                    s(out, "\n\t    (illegal prefix length)");
                    break;
                }
                Some(used) => {
                    if paths {
                        s(out, "   Path Id: ");
                        n(out, id);
                    }
                    p += used;
                    length -= used;
                }
            }
        }
    }
    Ok(())
}

fn attribute_name(kind: u8) -> &'static str {
    match kind {
        1 => "Origin",
        2 => "AS Path",
        17 => "AS4 Path",
        3 => "Next Hop",
        4 => "Multi Exit Discriminator",
        5 => "Local Preference",
        6 => "Atomic Aggregate",
        7 => "Aggregator",
        18 => "Aggregator4",
        8 => "Community",
        9 => "Originator ID",
        10 => "Cluster List",
        11 => "DPA",
        12 => "Advertisers",
        13 => "RCID Path / Cluster ID",
        14 => "Multi-Protocol Reach NLRI",
        15 => "Multi-Protocol Unreach NLRI",
        16 => "Extended Community",
        22 => "PMSI Tunnel",
        23 => "Tunnel Encapsulation",
        24 => "Traffic Engineering",
        25 => "IPv6 Extended Community",
        26 => "Accumulated IGP Metric",
        27 => "PE Distinguisher Label",
        28 => "Entropy Label",
        32 => "Large Community",
        128 => "Attribute Set",
        255 => "Reserved for development",
        _ => "Unknown Attribute",
    }
}

fn ipv4_at(out: &mut Vec<u8>, m: &[u8], at: usize) -> Result<(), Stop> {
    digits::ipv4(out, get32(m, at)?.to_be_bytes());
    Ok(())
}

/// bgp_attr_print for the attributes nscap decodes; false where tcpdump decodes more than
/// nscap does (an address family's routes it does not port): nothing more of the message.
fn attribute(
    out: &mut Vec<u8>,
    m: &[u8],
    kind: u8,
    at: usize,
    len: usize,
    verbose: u8,
) -> Result<bool, Stop> {
    let mut dump = len;
    match kind {
        1 => {
            if len != 1 {
                s(out, "invalid len");
            } else {
                s(
                    out,
                    match get8(m, at)? {
                        0 => "IGP",
                        1 => "EGP",
                        2 => "Incomplete",
                        _ => "Unknown Origin Typecode",
                    },
                );
            }
        }
        2 | 17 => {
            if len % 2 != 0 {
                s(out, "invalid len");
            } else if len == 0 {
                s(out, "empty");
            } else {
                let size = as_size(m, kind, at, len)?;
                let mut p = at;
                while p < at + len {
                    let seg = get8(m, p)?;
                    s(
                        out,
                        match seg {
                            2 => "",
                            1 => "{ ",
                            3 => "( ",
                            4 => "({ ",
                            _ => "?",
                        },
                    );
                    let count = usize::from(get8(m, p + 1)?);
                    let mut i = 0;
                    while i < count * size {
                        check(m, p + 2 + i, size)?;
                        let asn = if size == 2 {
                            u32::from(get16(m, p + 2 + i)?)
                        } else {
                            get32(m, p + 2 + i)?
                        };
                        n(out, asn);
                        s(out, " ");
                        i += size;
                    }
                    s(
                        out,
                        match seg {
                            2 => "",
                            1 => "}",
                            3 => ")",
                            4 => "})",
                            _ => "?",
                        },
                    );
                    p += 2 + count * size;
                }
            }
        }
        3 | 9 => {
            if len != 4 {
                s(out, "invalid len");
            } else {
                ipv4_at(out, m, at)?;
            }
        }
        4 | 5 => {
            if len != 4 {
                s(out, "invalid len");
            } else {
                n(out, get32(m, at)?);
            }
        }
        6 => {
            if len != 0 {
                s(out, "invalid len");
            }
        }
        7 | 18 => {
            if (kind == 7 && len != 6 && len != 8) || (kind == 18 && len != 8) {
                s(out, "invalid len");
            } else {
                check(m, at, len)?;
                s(out, " AS #");
                if len == 6 {
                    n(out, get16(m, at)?);
                    s(out, ", origin ");
                    ipv4_at(out, m, at + 2)?;
                } else {
                    n(out, get32(m, at)?);
                    s(out, ", origin ");
                    ipv4_at(out, m, at + 4)?;
                }
            }
        }
        8 => {
            if len % 4 != 0 {
                s(out, "invalid len");
            } else {
                let mut t = len;
                let mut p = at;
                while t != 0 {
                    check(m, p, 4)?;
                    let c = get32(m, p)?;
                    match c {
                        0xffff_ff01 => s(out, " NO_EXPORT"),
                        0xffff_ff02 => s(out, " NO_ADVERTISE"),
                        0xffff_ff03 => s(out, " NO_EXPORT_SUBCONFED"),
                        _ => {
                            n(out, c >> 16);
                            s(out, ":");
                            n(out, c & 0xffff);
                            if t > 4 {
                                s(out, ", ");
                            }
                        }
                    }
                    t -= 4;
                    p += 4;
                }
            }
        }
        10 => {
            if len % 4 != 0 {
                s(out, "invalid len");
            } else {
                let mut t = len;
                let mut p = at;
                while t != 0 {
                    ipv4_at(out, m, p)?;
                    if t > 4 {
                        s(out, ", ");
                    }
                    t -= 4;
                    p += 4;
                }
            }
        }
        14 => {
            check(m, at, 3)?;
            if len < 3 {
                return Err(Stop::Trunc);
            }
            let Some((af, _)) = mp_family(out, m, at, len, verbose)? else {
                return Ok(false);
            };
            if af == 0 {
                // No decoder for it: told, with the hex at -v.
                return vv_dump(out, m, at, len, verbose).map(|()| true);
            }
            let mut p = at + 3;
            let mut t = len - 3;
            check(m, p, 1)?;
            if t < 1 {
                return Err(Stop::Trunc);
            }
            let nhlen = usize::from(get8(m, p)?);
            p += 1;
            t -= 1;
            if nhlen > 0 {
                if t < nhlen {
                    return Err(Stop::Trunc);
                }
                s(out, "\n\t    nexthop: ");
                let size = if af == 1 { 4 } else { 16 };
                let mut left = nhlen;
                let mut first = true;
                while left != 0 {
                    if !first {
                        s(out, ", ");
                    }
                    first = false;
                    if left < size {
                        s(out, "invalid len");
                        p += left;
                        t -= left;
                        left = 0;
                    } else {
                        if size == 4 {
                            ipv4_at(out, m, p)?;
                        } else {
                            let a: [u8; 16] = m
                                .get(p..p + 16)
                                .ok_or(super::nd::Jump)?
                                .try_into()
                                .map_err(|_| super::nd::Jump)?;
                            digits::ipv6(out, a);
                        }
                        p += size;
                        t -= size;
                        left -= size;
                    }
                }
            }
            s(out, ", nh-length: ");
            n(out, nhlen as u64);
            if t < 1 {
                return Err(Stop::Trunc);
            }
            let snpa = get8(m, p)?;
            p += 1;
            t -= 1;
            if snpa != 0 {
                s(out, "\n\t    ");
                n(out, snpa);
                s(out, " SNPA");
                for _ in 0..snpa {
                    if t < 1 {
                        return Err(Stop::Trunc);
                    }
                    let l = usize::from(get8(m, p)?);
                    s(out, "\n\t      ");
                    n(out, l as u64);
                    s(out, " bytes");
                    p += 1;
                    t -= 1;
                    if t < l {
                        return Err(Stop::Trunc);
                    }
                    check(m, p, l)?;
                    p += l;
                    t -= l;
                }
            } else {
                s(out, ", no SNPA");
            }
            routes(out, m, af, p, at, len)?;
        }
        15 => {
            check(m, at, 3)?;
            let Some((af, _)) = mp_family(out, m, at, len, verbose)? else {
                return Ok(false);
            };
            if af == 0 {
                return vv_dump(out, m, at, len, verbose).map(|()| true);
            }
            if len == 3 {
                s(out, "\n\t      End-of-Rib Marker (empty NLRI)");
            }
            routes(out, m, af, at + 3, at, len)?;
        }
        32 => {
            if len == 0 || len % 12 != 0 {
                s(out, "invalid len");
            } else {
                s(out, "\n\t    ");
                let mut p = at;
                let mut t = len;
                while t != 0 {
                    let (a, b, c) = (get32(m, p)?, get32(m, p + 4)?, get32(m, p + 8)?);
                    n(out, a);
                    s(out, ":");
                    n(out, b);
                    s(out, ":");
                    n(out, c);
                    if t > 12 {
                        s(out, ", ");
                    }
                    p += 12;
                    t -= 12;
                }
                // tcpdump counts `len` down here: no -vv dump follows.
                dump = 0;
            }
        }
        _ => {
            check(m, at, len)?;
            s(out, "\n\t    no Attribute ");
            n(out, kind);
            s(out, " decoder");
            if verbose <= 1 {
                super::dump::hex_after(out, &m[at..at + len], "\n\t    ");
            }
        }
    }
    vv_dump(out, m, at, dump, verbose)?;
    Ok(true)
}

/// An attribute's hex at -vv (not for an empty one).
fn vv_dump(out: &mut Vec<u8>, m: &[u8], at: usize, len: usize, verbose: u8) -> Result<(), Stop> {
    if verbose > 1 && len != 0 {
        check(m, at, len)?;
        super::dump::hex_after(out, &m[at..at + len], "\n\t    ");
    }
    Ok(())
}

/// bgp_attr_get_as_size: 2-byte AS numbers if the path parses with them, else 4.
fn as_size(m: &[u8], kind: u8, at: usize, len: usize) -> Result<usize, Stop> {
    if kind == 17 {
        return Ok(4);
    }
    let mut p = at;
    while p < at + len {
        let seg = get8(m, p)?;
        if !(1..=4).contains(&seg) {
            return Ok(4);
        }
        p += 2 + usize::from(get8(m, p + 1)?) * 2;
    }
    Ok(if p == at + len { 2 } else { 4 })
}

/// bgp_mp_af_print: the AFI and SAFI line. `Some((af, safi))` for IPv4 and IPv6 unicast and
/// multicast (ported); `Some((0, 0))` where tcpdump has no decoder (told, with the hex at -v);
/// `None` where tcpdump decodes a family nscap does not.
fn mp_family(
    out: &mut Vec<u8>,
    m: &[u8],
    at: usize,
    len: usize,
    verbose: u8,
) -> Result<Option<(u16, u8)>, Stop> {
    let af = get16(m, at)?;
    let safi = get8(m, at + 2)?;
    let known = matches!(
        (af, safi),
        (1, 1..=5 | 66 | 128..=130 | 132)
            | (2, 1..=4 | 128..=130)
            | (3, 1..=3 | 128..=130)
            | (196, 128..=130)
            | (25, 65)
    );
    let ported = matches!((af, safi), (1 | 2, 1..=3));
    if known && !ported {
        return Ok(None);
    }
    s(out, "\n\t    AFI: ");
    s(
        out,
        match crate::summary::names::address_family(af) {
            "Unknown" => "Unknown AFI",
            name => name,
        },
    );
    s(out, " (");
    n(out, af);
    s(out, "), ");
    if safi > 128 {
        s(out, "vendor specific ");
    }
    s(out, "SAFI: ");
    s(
        out,
        match safi_name(safi) {
            "Unknown" => "Unknown SAFI",
            name => name,
        },
    );
    s(out, " (");
    n(out, safi);
    s(out, ")");
    if ported {
        return Ok(Some((af, safi)));
    }
    check(m, at, len)?;
    s(out, "\n\t    no AFI ");
    n(out, af);
    s(out, " / SAFI ");
    n(out, safi);
    s(out, " decoder");
    if verbose <= 1 {
        super::dump::hex_after(out, &m[at..at + len], "\n\t    ");
    }
    Ok(Some((0, 0)))
}

/// The routes of an MP_REACH or MP_UNREACH attribute (`at`, `len`: the attribute), from `p`.
fn routes(
    out: &mut Vec<u8>,
    m: &[u8],
    af: u16,
    mut p: usize,
    at: usize,
    len: usize,
) -> Result<(), Stop> {
    let rest = len.saturating_sub(p - at);
    let bits = if af == 1 { 32 } else { 128 };
    let paths = add_path(m, p, rest, bits);
    while p < at + len {
        let mut id = 0;
        if paths {
            id = get32(m, p)?;
            p += 4;
        }
        // bgp_nlri_print gives the prefix decoder the attribute's whole length.
        let step: isize = match prefix(out, m, p, len, bits, "\n\t      ")? {
            Some(used) => used as isize,
            None => {
                s(out, "\n\t    (illegal prefix length)");
                -1
            }
        };
        if paths {
            // tcpdump adds the ID's 4 bytes even to an illegal prefix's -1, and goes on from
            // the 3 bytes that makes.
            s(out, "   Path Id: ");
            n(out, id);
        } else if step < 0 {
            break;
        }
        p = p.wrapping_add_signed(step);
    }
    Ok(())
}

fn notification(out: &mut Vec<u8>, m: &[u8], len: usize) -> Result<(), Stop> {
    check(m, 0, 21)?;
    if len < 21 {
        return Ok(());
    }
    let (major, minor) = (get8(m, 19)?, get8(m, 20)?);
    s(out, ", ");
    s(
        out,
        match major {
            1 => "Message Header Error",
            2 => "OPEN Message Error",
            3 => "UPDATE Message Error",
            4 => "Hold Timer Expired",
            5 => "Finite State Machine Error",
            6 => "Cease",
            7 => "Capability Message Error",
            _ => "Unknown Error",
        },
    );
    s(out, " (");
    n(out, major);
    s(out, ")");
    let sub = |out: &mut Vec<u8>, sep: &str, name: &str| {
        s(out, sep);
        s(out, "subcode ");
        s(out, name);
        s(out, " (");
        n(out, minor);
        s(out, ")");
    };
    match major {
        1 => sub(
            out,
            ", ",
            match minor {
                1 => "Connection Not Synchronized",
                2 => "Bad Message Length",
                3 => "Bad Message Type",
                _ => "Unknown",
            },
        ),
        2 => sub(
            out,
            ", ",
            match minor {
                1 => "Unsupported Version Number",
                2 => "Bad Peer AS",
                3 => "Bad BGP Identifier",
                4 => "Unsupported Optional Parameter",
                5 => "Authentication Failure",
                6 => "Unacceptable Hold Time",
                7 => "Capability Message Error",
                _ => "Unknown",
            },
        ),
        3 => sub(
            out,
            ", ",
            match minor {
                1 => "Malformed Attribute List",
                2 => "Unrecognized Well-known Attribute",
                3 => "Missing Well-known Attribute",
                4 => "Attribute Flags Error",
                5 => "Attribute Length Error",
                6 => "Invalid ORIGIN Attribute",
                7 => "AS Routing Loop",
                8 => "Invalid NEXT_HOP Attribute",
                9 => "Optional Attribute Error",
                10 => "Invalid Network Field",
                11 => "Malformed AS_PATH",
                _ => "Unknown",
            },
        ),
        5 => sub(
            out,
            " ",
            match minor {
                0 => "Unspecified Error",
                1 => "In OpenSent State",
                2 => "In OpenConfirm State",
                3 => "In Established State",
                _ => "Unknown",
            },
        ),
        7 => sub(
            out,
            " ",
            match minor {
                1 => "Invalid Action Value",
                2 => "Invalid Capability Length",
                3 => "Malformed Capability Value",
                4 => "Unsupported Capability Code",
                _ => "Unknown",
            },
        ),
        6 => {
            sub(
                out,
                ", ",
                match minor {
                    1 => "Maximum Number of Prefixes Reached",
                    2 => "Administrative Shutdown",
                    3 => "Peer Unconfigured",
                    4 => "Administrative Reset",
                    5 => "Connection Rejected",
                    6 => "Other Configuration Change",
                    7 => "Connection Collision Resolution",
                    _ => "Unknown",
                },
            );
            cease(out, m, len, minor)?;
        }
        _ => {}
    }
    Ok(())
}

/// A Cease's data: the prefix limit (RFC 4486) or a shutdown communication (RFC 9003).
fn cease(out: &mut Vec<u8>, m: &[u8], length: usize, minor: u8) -> Result<(), Stop> {
    if minor == 1 && length >= 21 + 7 {
        let af = get16(m, 21)?;
        let safi = get8(m, 23)?;
        let max = get32(m, 24)?;
        s(out, ", ");
        afi_safi(out, af, safi);
        s(out, ", Max Prefixes: ");
        n(out, max);
    }
    if (minor == 2 || minor == 4) && length > 21 {
        let comm = usize::from(get8(m, 21)?);
        let mut rest = 0;
        if comm > length - 22 {
            s(out, ", invalid Shutdown Communication length");
        } else if comm == 0 {
            s(out, ", empty Shutdown Communication");
            rest = 1;
        } else {
            s(out, ", Shutdown Communication (length: ");
            n(out, comm as u64);
            s(out, "): \"");
            for i in 0..comm {
                print_char(out, get8(m, 22 + i)?);
            }
            s(out, "\"");
            rest = comm + 1;
        }
        let left = length - (rest + 21);
        if left > 0 {
            s(out, ", Data: (length: ");
            n(out, left as u64);
            s(out, ")");
            // hex_print reads with GET_: a cut jumps.
            let data = m.get(21 + rest..21 + rest + left).ok_or(super::nd::Jump)?;
            super::dump::hex_after(out, data, "\n\t\t");
        }
    }
    Ok(())
}

fn route_refresh(out: &mut Vec<u8>, m: &[u8], len: usize, verbose: u8) -> Result<(), Stop> {
    check(m, 0, 23)?;
    if len < 23 {
        return Ok(());
    }
    s(out, "\n\t  ");
    afi_safi(out, get16(m, 19)?, get8(m, 22)?);
    if verbose > 1 {
        check(m, 0, len)?;
        super::dump::hex_after(out, &m[..len], "\n\t  ");
    }
    Ok(())
}
