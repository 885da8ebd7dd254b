//! print-bootp.c: BOOTP and DHCP on UDP ports 67 and 68 as tcpdump 4.99 prints them:
//! `BOOTP/DHCP, Request from 52:54:00:12:34:56, length 300`; with `-v` the header's fields
//! and the RFC 1048 options (DHCP's), one per line, or CMU's vendor area.

use super::nd::{check, get16, get32, get8, get_ip, Jump, Stop};
use super::{n, s};
use crate::summary::digits;
use crate::summary::dns::print_char;

// Offsets in struct bootp.
const CHADDR: usize = 28;
const SNAME: usize = 44;
const FILE: usize = 108;
const VEND: usize = 236;

/// `b`: the captured UDP payload, on to the end of the IP datagram (tcpdump's snapshot end
/// there); `len`: the payload length.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) {
    if let Err(how) = body(out, b, len, verbose) {
        super::nd::stopped(out, "bootp", how);
    }
}

fn body(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) -> Result<(), Stop> {
    let op = get8(b, 0)?;
    s(out, "BOOTP/DHCP, ");
    match op {
        1 => s(out, "Request"),
        2 => s(out, "Reply"),
        _ => {
            s(out, "unknown (0x");
            digits::byte_hex(out, op);
            s(out, ")");
        }
    }
    let htype = get8(b, 1)?;
    let hlen = get8(b, 2)?;
    let ether = htype == 1 && hlen == 6;
    if ether && op == 1 {
        let m = mac_at(b, CHADDR)?;
        s(out, " from ");
        digits::mac(out, &m);
    }
    s(out, ", length ");
    n(out, len);
    if verbose == 0 {
        return Ok(());
    }
    check(b, 8, 2)?;
    if htype != 1 {
        s(out, ", htype ");
        n(out, htype);
    }
    if !ether {
        s(out, ", hlen ");
        n(out, hlen);
    }
    let hops = get8(b, 3)?;
    if hops != 0 {
        s(out, ", hops ");
        n(out, hops);
    }
    let xid = get32(b, 4)?;
    if xid != 0 {
        s(out, ", xid 0x");
        digits::hex(out, xid.into());
    }
    let secs = get16(b, 8)?;
    if secs != 0 {
        s(out, ", secs ");
        n(out, secs);
    }
    let flags = get16(b, 10)?;
    s(
        out,
        if flags & 0x8000 != 0 {
            ", Flags [Broadcast]"
        } else {
            ", Flags [none]"
        },
    );
    if verbose > 1 {
        s(out, " (0x");
        digits::hex_padded(out, flags.into(), 4);
        s(out, ")");
    }
    for (at, name) in [
        (12, "\n\t  Client-IP "),
        (16, "\n\t  Your-IP "),
        (20, "\n\t  Server-IP "),
        (24, "\n\t  Gateway-IP "),
    ] {
        let a = get_ip(b, at)?;
        if a != [0; 4] {
            s(out, name);
            digits::ipv4(out, a);
        }
    }
    if ether {
        let m = mac_at(b, CHADDR)?;
        s(out, "\n\t  Client-Ethernet-Address ");
        digits::mac(out, &m);
    }
    for (at, size, name) in [(SNAME, 64, "\n\t  sname \""), (FILE, 128, "\n\t  file \"")] {
        if get8(b, at)? != 0 {
            s(out, name);
            let done = super::nd::printztn(out, b, at, size) != 0;
            s(out, "\"");
            if !done {
                return Err(Stop::Trunc);
            }
        }
    }
    check(b, VEND, 4)?;
    match &b[VEND..VEND + 4] {
        [99, 130, 83, 99] => rfc1048(out, b, VEND, verbose),
        b"CMU\0" => cmu(out, b, VEND),
        _ => {
            let v = get32(b, VEND)?;
            if v != 0 {
                s(out, "\n\t  Vendor-#0x");
                digits::hex(out, v.into());
            }
            Ok(())
        }
    }
}

fn mac_at(b: &[u8], at: usize) -> Result<[u8; 6], Jump> {
    let m = b.get(at..at + 6).ok_or(Jump)?;
    Ok([m[0], m[1], m[2], m[3], m[4], m[5]])
}

/// nd_printn over bytes already checked as captured.
fn printn(out: &mut Vec<u8>, b: &[u8]) {
    for &c in b {
        print_char(out, c);
    }
}

/// tag2str: the option's format letter and name.
fn tag(t: u8) -> (u8, &'static str) {
    let e: &str = match t {
        0 => " PAD",
        1 => "iSubnet-Mask",
        2 => "LTime-Zone",
        3 => "iDefault-Gateway",
        4 => "iTime-Server",
        5 => "iIEN-Name-Server",
        6 => "iDomain-Name-Server",
        7 => "iLOG",
        8 => "iCS",
        9 => "iLPR-Server",
        10 => "iIM",
        11 => "iRL",
        12 => "aHostname",
        13 => "sBS",
        255 => " END",
        14 => "aDP",
        15 => "aDomain-Name",
        16 => "iSS",
        17 => "aRP",
        18 => "aEP",
        19 => "BIPF",
        20 => "BSRT",
        21 => "pPF",
        22 => "sRSZ",
        23 => "bTTL",
        24 => "lMTU-Timeout",
        25 => "sMTU-Table",
        26 => "sMTU",
        27 => "BLSN",
        28 => "iBR",
        29 => "BMD",
        30 => "BMS",
        31 => "BRouter-Discovery",
        32 => "iRSA",
        33 => "pStatic-Route",
        34 => "BUT",
        35 => "lAT",
        36 => "BIE",
        37 => "bTT",
        38 => "lKI",
        39 => "BKG",
        40 => "aYD",
        41 => "iYS",
        42 => "iNTP",
        43 => "bVendor-Option",
        44 => "iNetbios-Name-Server",
        45 => "iWDD",
        46 => "$Netbios-Node",
        47 => "aNetbios-Scope",
        48 => "iXFS",
        49 => "iXDM",
        64 => "sN+D",
        65 => "iN+S",
        68 => "iMH",
        69 => "iSMTP",
        70 => "iPOP3",
        71 => "iNNTP",
        72 => "iWWW",
        73 => "iFG",
        74 => "iIRC",
        75 => "iSTS",
        76 => "iSTDA",
        50 => "iRequested-IP",
        51 => "lLease-Time",
        52 => "$OO",
        66 => "aTFTP",
        67 => "aBF",
        53 => " DHCP-Message",
        54 => "iServer-ID",
        55 => "bParameter-Request",
        56 => "aMSG",
        57 => "sMSZ",
        58 => "lRN",
        59 => "lRB",
        60 => "aVendor-Class",
        61 => "$Client-ID",
        98 => "aUAP",
        116 => "BNOAUTO",
        78 => "bSLP-DA",
        79 => "bSLP-SCOPE",
        117 => "sNSSEARCH",
        77 => "$User-Class",
        118 => "iSUBNET",
        121 => "$Classless-Static-Route",
        249 => "$Classless-Static-Route-Microsoft",
        150 => "iTFTP-Server-Address",
        80 => "aSLP-NA",
        81 => "$FQDN",
        82 => "$Agent-Information",
        83 => "bARMT",
        88 => "aTZSTR",
        89 => "bFQDNS",
        90 => "bAUTH",
        91 => "LLast-Transaction-Time",
        92 => "iAssociated-IP",
        93 => "sARCH",
        94 => "bNDI",
        97 => "bGUID",
        95 => "aLDAP",
        100 => "aPOSIX-TZ",
        101 => "aTZ-Name",
        112 => "iNI",
        113 => "aNITAG",
        114 => "aURL",
        161 => "aMUD-URL",
        _ => "?Unknown",
    };
    (e.as_bytes()[0], &e[1..])
}

fn dhcp_message(v: u8) -> Option<&'static str> {
    Some(match v {
        1 => "Discover",
        2 => "Offer",
        3 => "Request",
        4 => "Decline",
        5 => "ACK",
        6 => "NACK",
        7 => "Release",
        8 => "Inform",
        10 => "LeaseQuery",
        11 => "LeaseUnassigned",
        12 => "LeaseUnknown",
        13 => "LeaseActive",
        _ => return None,
    })
}

fn hex2(out: &mut Vec<u8>, v: u8) {
    digits::byte_hex(out, v);
}

/// rfc1048_print: the options after the magic cookie at `at`, to the end of what was captured.
fn rfc1048(out: &mut Vec<u8>, b: &[u8], at: usize, verbose: u8) -> Result<(), Stop> {
    s(out, "\n\t  Vendor-rfc1048 Extensions");
    s(out, "\n\t    Magic Cookie 0x");
    digits::hex_padded(out, get32(b, at)?.into(), 8);
    let mut p = at + 4;
    while p < b.len() {
        let t = b[p];
        p += 1;
        if t == 0 && verbose < 3 {
            continue;
        }
        if t == 255 && verbose < 3 {
            return Ok(());
        }
        let (mut c, name) = tag(t);
        let mut len = if t == 0 || t == 255 {
            0
        } else {
            let l = get8(b, p)?;
            p += 1;
            usize::from(l)
        };
        s(out, "\n\t    ");
        s(out, name);
        s(out, " (");
        n(out, t);
        s(out, "), length ");
        n(out, len as u64);
        if len > 0 {
            s(out, ": ");
        }
        if t == 0 && verbose > 2 {
            let mut count = 1u32;
            while b.get(p) == Some(&0) {
                p += 1;
                count += 1;
            }
            if count > 1 {
                s(out, ", occurs ");
                n(out, count);
            }
        }
        check(b, p, len)?;
        if t == 53 && len == 1 {
            match dhcp_message(b[p]) {
                Some(m) => s(out, m),
                None => {
                    s(out, "Unknown (");
                    n(out, b[p]);
                    s(out, ")");
                }
            }
            p += 1;
            continue;
        }
        if t == 55 {
            for (i, &inner) in b[p..p + len].iter().enumerate() {
                s(out, if i % 4 == 0 { "\n\t      " } else { ", " });
                s(out, tag(inner).1);
                s(out, " (");
                n(out, inner);
                s(out, ")");
            }
            p += len;
            continue;
        }
        if c == b'?' {
            c = if len & 1 != 0 {
                b'b'
            } else if len & 2 != 0 {
                b's'
            } else {
                b'l'
            };
        }
        let v = &b[p..p + len];
        match c {
            b'a' => {
                s(out, "\"");
                printn(out, v);
                s(out, "\"");
                p += len;
                len = 0;
            }
            b'i' | b'l' | b'L' => {
                let words = len / 4;
                for (i, w) in v.chunks_exact(4).enumerate() {
                    if i > 0 {
                        s(out, ",");
                    }
                    let x = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
                    match c {
                        b'i' => digits::ipv4(out, [w[0], w[1], w[2], w[3]]),
                        b'L' => digits::i64(out, (x as i32).into()),
                        _ => n(out, x),
                    }
                }
                p += 4 * words;
                len -= 4 * words;
            }
            b'p' => {
                let pairs = len / 8;
                for (i, w) in v.chunks_exact(8).enumerate() {
                    if i > 0 {
                        s(out, ",");
                    }
                    s(out, "(");
                    digits::ipv4(out, [w[0], w[1], w[2], w[3]]);
                    s(out, ":");
                    digits::ipv4(out, [w[4], w[5], w[6], w[7]]);
                    s(out, ")");
                }
                p += 8 * pairs;
                len -= 8 * pairs;
            }
            b's' => {
                let shorts = len / 2;
                for (i, w) in v.chunks_exact(2).enumerate() {
                    if i > 0 {
                        s(out, ",");
                    }
                    n(out, u16::from_be_bytes([w[0], w[1]]));
                }
                p += 2 * shorts;
                len -= 2 * shorts;
            }
            b'B' => {
                for (i, &x) in v.iter().enumerate() {
                    if i > 0 {
                        s(out, ",");
                    }
                    match x {
                        0 => s(out, "N"),
                        1 => s(out, "Y"),
                        _ => {
                            n(out, x);
                            s(out, "?");
                        }
                    }
                }
                p += len;
                len = 0;
            }
            b'$' => {
                let (used, rest) = special(out, t, v)?;
                p += used;
                len = rest;
            }
            // 'b', 'x' and anything else: bytes.
            _ => {
                for (i, &x) in v.iter().enumerate() {
                    if i > 0 {
                        s(out, if c == b'x' { ":" } else { "." });
                    }
                    if c == b'x' {
                        hex2(out, x);
                    } else {
                        n(out, x);
                    }
                }
                p += len;
                len = 0;
            }
        }
        if len > 0 {
            s(out, "\n\t  trailing data length ");
            n(out, len as u64);
            p += len;
        }
    }
    Ok(())
}

/// The `$` options, `v` their captured value: how many bytes they read, and how many of the
/// option's are left (tcpdump then reports them as trailing data).
fn special(out: &mut Vec<u8>, t: u8, v: &[u8]) -> Result<(usize, usize), Stop> {
    let len = v.len();
    match t {
        46 | 52 => {
            let Some(&x) = v.first() else {
                s(out, "[ERROR: length < 1 bytes]");
                return Ok((0, 0));
            };
            let name = if t == 46 {
                match x {
                    1 => "b-node",
                    2 => "p-node",
                    4 => "m-node",
                    8 => "h-node",
                    _ => "",
                }
            } else {
                match x {
                    1 => "file",
                    2 => "sname",
                    3 => "file+sname",
                    _ => "",
                }
            };
            // tok2str with no default: `#N` for an unknown value.
            if name.is_empty() {
                s(out, "#");
                n(out, x);
            } else {
                s(out, name);
            }
            Ok((1, len - 1))
        }
        81 => {
            if len < 3 {
                s(out, "[ERROR: length < 3 bytes]");
                return Ok((len, 0));
            }
            if v[0] & 0xf0 != 0 {
                s(out, "[ERROR: MBZ nibble 0x");
                digits::hex(out, ((v[0] & 0xf0) >> 4).into());
                s(out, " != 0] ");
            }
            if v[0] & 0x0f != 0 {
                s(out, "[");
                for (bit, c) in [(1, "S"), (2, "O"), (4, "E"), (8, "N")] {
                    if v[0] & bit != 0 {
                        s(out, c);
                    }
                }
                s(out, "] ");
            }
            if v[1] != 0 || v[2] != 0 {
                n(out, v[1]);
                s(out, "/");
                n(out, v[2]);
                s(out, " ");
            }
            s(out, "\"");
            printn(out, &v[3..]);
            s(out, "\"");
            Ok((len, 0))
        }
        61 => {
            let Some(&kind) = v.first() else {
                s(out, "[ERROR: length < 1 bytes]");
                return Ok((0, 0));
            };
            if kind == 0 {
                s(out, "\"");
                printn(out, &v[1..]);
                s(out, "\"");
            } else {
                match kind {
                    0x1 => s(out, "ether"),
                    0x6 => s(out, "ieee802"),
                    0x7 => s(out, "arcnet"),
                    0xf => s(out, "frelay"),
                    0x17 => s(out, "strip"),
                    0x18 => s(out, "ieee1394"),
                    _ => {
                        s(out, "hardware-type ");
                        n(out, kind);
                        s(out, ",");
                    }
                }
                s(out, " ");
                for (i, &x) in v[1..].iter().enumerate() {
                    if i > 0 {
                        s(out, ":");
                    }
                    hex2(out, x);
                }
            }
            Ok((len, 0))
        }
        82 => {
            let mut p = 0;
            while len - p >= 2 {
                let (sub, sublen) = (v[p], usize::from(v[p + 1]));
                p += 2;
                let name = match sub {
                    1 => "Circuit-ID",
                    2 => "Remote-ID",
                    6 => "Subscriber-ID",
                    _ => "Unknown",
                };
                s(out, "\n\t      ");
                s(out, name);
                s(out, " SubOption ");
                n(out, sub);
                s(out, ", length ");
                n(out, sublen as u64);
                if sublen > len - p {
                    s(out, ": length goes past end of option");
                    return Ok((len, 0));
                }
                s(out, ": ");
                let value = &v[p..p + sublen];
                if matches!(sub, 1 | 2 | 6) {
                    printn(out, value);
                } else {
                    super::dump::hex_after(out, value, "\n\t\t");
                }
                p += sublen;
            }
            Ok((p, len - p))
        }
        121 | 249 => {
            if len < 5 {
                s(out, "[ERROR: length < 5 bytes]");
                return Ok((len, 0));
            }
            let mut p = 0;
            let mut first = true;
            while p < len {
                if !first {
                    s(out, ",");
                }
                let width = usize::from(v[p]);
                p += 1;
                if width > 32 {
                    s(out, "[ERROR: Mask width (");
                    n(out, width as u64);
                    s(out, ") > 32]");
                    return Ok((len, 0));
                }
                let octets = width.div_ceil(8);
                if len - p < octets + 4 {
                    s(out, "[ERROR: Remaining length (");
                    n(out, (len - p) as u64);
                    s(out, ") < ");
                    n(out, (octets + 4) as u64);
                    s(out, " bytes]");
                    return Ok((len, 0));
                }
                s(out, "(");
                if width == 0 {
                    s(out, "default");
                } else {
                    for i in 0..octets {
                        if i > 0 {
                            s(out, ".");
                        }
                        n(out, v[p + i]);
                    }
                    for _ in octets..4 {
                        s(out, ".0");
                    }
                    s(out, "/");
                    n(out, width as u64);
                }
                p += octets;
                s(out, ":");
                digits::ipv4(out, [v[p], v[p + 1], v[p + 2], v[p + 3]]);
                s(out, ")");
                p += 4;
                first = false;
            }
            Ok((len, 0))
        }
        77 => {
            if len < 2 {
                s(out, "[ERROR: length < 2 bytes]");
                return Ok((len, 0));
            }
            let mut p = 0;
            let mut number = 1u32;
            while p < len {
                let sublen = usize::from(v[p]);
                p += 1;
                s(out, "\n\t      instance#");
                n(out, number);
                s(out, ": ");
                if sublen == 0 {
                    s(out, "[ERROR: suboption length must be non-zero]");
                    return Ok((len, 0));
                }
                if len - p < sublen {
                    s(out, "[ERROR: invalid option]");
                    return Ok((len, 0));
                }
                s(out, "\"");
                printn(out, &v[p..p + sublen]);
                s(out, "\", length ");
                n(out, sublen as u64);
                number += 1;
                p += sublen;
            }
            Ok((len, 0))
        }
        _ => {
            s(out, "[unknown special tag ");
            n(out, t);
            s(out, ", size ");
            n(out, len as u64);
            s(out, "]");
            Ok((len, 0))
        }
    }
}

/// cmu_print: CMU's vendor area (addresses by name).
fn cmu(out: &mut Vec<u8>, b: &[u8], at: usize) -> Result<(), Stop> {
    s(out, " vend-cmu");
    check(b, at + 4, 4)?;
    let flags = get8(b, at + 4)?;
    // VF_SMASK: the subnet mask is valid.
    if flags & !1 != 0 {
        s(out, " F:0x");
        digits::hex(out, flags.into());
    }
    let sm = if flags & 1 != 0 { "SM" } else { "SM*" };
    for (off, name) in [
        (12, "DG"),
        (8, sm),
        (16, "NS1"),
        (20, "NS2"),
        (24, "IEN1"),
        (28, "IEN2"),
        (32, "TS1"),
        (36, "TS2"),
    ] {
        check(b, at + off, 4)?;
        let a = get_ip(b, at + off)?;
        if a != [0; 4] {
            s(out, " ");
            s(out, name);
            s(out, ":");
            digits::ipv4(out, a);
        }
    }
    Ok(())
}
