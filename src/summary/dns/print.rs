//! A DNS message as tcpdump 4.99 prints it (print-domain.c, ported function by function so the
//! quirks match; the tcpdump name of each function is in its comment). Offsets index the
//! captured message; reading past its end is tcpdump's truncation (` [|domain]`).

use super::wire::{extended_rcode, skip_name, Header, T_OPT};
use crate::summary::digits;
use crate::summary::kit::{be16, be32, byte, trunc};

/// tcpdump's MAXCDNAME: characters of a name printed before `<DOMAIN NAME TOO LONG>`.
const MAXCDNAME: usize = 255;

/// tcpdump's ns_type2str.
fn tcpdump_type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAP_PTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        31 => "EID",
        32 => "NIMLOC",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        99 => "SPF",
        100 => "UINFO",
        101 => "UID",
        102 => "GID",
        103 => "UNSPEC",
        104 => "UNSPECA",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return None,
    })
}

fn print_type(o: &mut Vec<u8>, t: u16) {
    match tcpdump_type_name(t) {
        Some(n) => o.extend_from_slice(n.as_bytes()),
        None => {
            o.extend_from_slice(b"Type");
            digits::u64(o, u64::from(t));
        }
    }
}

fn print_class(o: &mut Vec<u8>, c: u16) {
    match c {
        1 => o.extend_from_slice(b"IN"),
        3 => o.extend_from_slice(b"CHAOS"),
        4 => o.extend_from_slice(b"HS"),
        255 => o.extend_from_slice(b"ANY"),
        _ => {
            o.extend_from_slice(b"(Class ");
            digits::u64(o, u64::from(c));
            o.push(b')');
        }
    }
}

const RESP: [&str; 24] = [
    "",
    " FormErr",
    " ServFail",
    " NXDomain",
    " NotImp",
    " Refused",
    " YXDomain",
    " YXRRSet",
    " NXRRSet",
    " NotAuth",
    " NotZone",
    " Resp11",
    " Resp12",
    " Resp13",
    " Resp14",
    " NoChange",
    " BadVers",
    "Resp17",
    " Resp18",
    " Resp19",
    " Resp20",
    "Resp21",
    " Resp22",
    " BadCookie",
];

const OPS: [&str; 16] = [
    "",
    " inv_q",
    " stat",
    " op3",
    " notify",
    " update",
    " op6",
    " op7",
    " op8",
    " updateA",
    " updateD",
    " updateDA",
    " updateM",
    " updateMA",
    " zoneInit",
    " zoneRef",
];

/// tcpdump's fn_print_char: `M-` for the high bit, `^` for control characters.
pub fn print_char(o: &mut Vec<u8>, mut c: u8) {
    if c & 0x80 != 0 {
        c &= 0x7f;
        o.extend_from_slice(b"M-");
    }
    if !(0x20..0x7f).contains(&c) {
        c ^= 0x40;
        o.push(b'^');
    }
    o.push(c);
}

/// nd_printn: `n` bytes from `at`, stopping at the end of the capture; true when cut.
fn print_bytes(o: &mut Vec<u8>, m: &[u8], at: usize, n: usize) -> bool {
    let avail = m.len().saturating_sub(at);
    for &c in m.get(at..at + n.min(avail)).unwrap_or(&[]) {
        print_char(o, c);
    }
    n > avail
}

thread_local! {
    /// A bit-string label ran past the capture: print-domain.c's blabel_print reads its bits
    /// with GET_ macros, whose long jump ends the whole line (every other way fqdn_print
    /// gives up returns NULL): see [`fqdn`].
    static JUMPED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A byte of a bit-string label's bits, read as blabel_print's GET_U_1 reads it.
fn bit_byte(m: &[u8], at: usize) -> Option<u8> {
    let b = byte(m, at);
    if b.is_none() {
        JUMPED.with(|j| j.set(true));
    }
    b
}

fn bitstring_label(o: &mut Vec<u8>, m: &[u8], cp: usize) -> Option<()> {
    let bitlen = match byte(m, cp)? {
        0 => 256,
        b => u32::from(b),
    };
    let lim = cp + 1 + (bitlen as usize).div_ceil(4);
    o.extend_from_slice(b"\\[x");
    let (mut bitp, mut b) = (cp + 1, bitlen);
    while bitp < lim && b > 7 {
        digits::byte_hex(o, bit_byte(m, bitp)?);
        b -= 8;
        bitp += 1;
    }
    if b > 4 {
        digits::byte_hex(o, bit_byte(m, bitp)? & (0xffu32 << (8 - b)) as u8);
    } else if b > 0 {
        digits::hex(o, u64::from((bit_byte(m, bitp)? >> 4) & (0x0f << (4 - b))));
    }
    o.push(b'/');
    digits::u64(o, u64::from(bitlen));
    o.push(b']');
    Some(())
}

fn label_len(o: &mut Vec<u8>, m: &[u8], cp: usize) -> Option<usize> {
    let i = byte(m, cp)?;
    match i & 0xc0 {
        0x40 => {
            if i & 0x3f != 1 {
                o.extend_from_slice(b"<ELT ");
                digits::u64(o, u64::from(i & 0x3f));
                o.push(b'>');
                return None;
            }
            let bitlen = match byte(m, cp + 1)? {
                0 => 256,
                b => usize::from(b),
            };
            Some(bitlen.div_ceil(8) + 1)
        }
        0x80 => {
            o.extend_from_slice(b"<BAD LABEL TYPE>");
            None
        }
        _ => Some(usize::from(i)),
    }
}

/// How fqdn_print ended.
pub enum Name {
    /// The offset after the name.
    After(usize),
    /// It returned NULL (a marker such as `<BAD PTR>`, a label past the capture): the caller
    /// goes on.
    Null,
    /// A bit-string label's bits ran past the capture: a GET_ macro ends the whole line.
    Jumped,
}

/// fqdn_print for other printers: the name at `cp` in `m` (which ends where the capture
/// does), pointers relative to `base`.
pub fn fqdn(o: &mut Vec<u8>, m: &[u8], cp: usize, base: usize) -> Name {
    JUMPED.with(|j| j.set(false));
    match print_name(o, m, cp, base) {
        Some(after) => Name::After(after),
        None if JUMPED.with(|j| j.get()) => Name::Jumped,
        None => Name::Null,
    }
}

/// fqdn_print: the name at `cp`, pointers relative to `base`; returns the offset after the
/// name where it lies (not where pointers led).
fn print_name(o: &mut Vec<u8>, m: &[u8], mut cp: usize, base: usize) -> Option<usize> {
    let mut l = label_len(o, m, cp)?;
    let mut i = byte(m, cp)?;
    let mut max_offset = cp.wrapping_sub(base);
    cp += 1;
    // None until known: a name that starts with a pointer cut right after its first byte
    // leaves it unset, and tcpdump then calls the message cut.
    let mut rp = None;
    let mut compress = false;
    if i & 0xc0 != 0xc0 {
        rp = Some(cp + l);
    }
    if i == 0 {
        o.push(b'.');
        return rp;
    }
    let mut name_chars = 0usize;
    while i != 0 && cp < m.len() {
        match i & 0xc0 {
            0xc0 => {
                if !compress {
                    rp = Some(cp + 1);
                    compress = true;
                }
                let offset = ((usize::from(i) << 8) | usize::from(byte(m, cp)?)) & 0x3fff;
                if offset >= max_offset {
                    o.extend_from_slice(b"<BAD PTR>");
                    return None;
                }
                max_offset = offset;
                cp = base.wrapping_add(offset);
                i = byte(m, cp)?;
                l = label_len(o, m, cp)?;
                cp += 1;
                continue;
            }
            0x40 => {
                // label_len accepted only the bit-string label here.
                bitstring_label(o, m, cp)?;
            }
            0x80 => {
                o.extend_from_slice(b"<BAD LABEL TYPE>");
                return None;
            }
            _ => {
                if name_chars + l <= MAXCDNAME {
                    if print_bytes(o, m, cp, l) {
                        return None;
                    }
                } else if name_chars < MAXCDNAME && print_bytes(o, m, cp, MAXCDNAME - name_chars) {
                    return None;
                }
                name_chars += l;
            }
        }
        cp += l;
        if name_chars <= MAXCDNAME {
            o.push(b'.');
        }
        name_chars += 1;
        i = byte(m, cp)?;
        l = label_len(o, m, cp)?;
        cp += 1;
        if !compress {
            rp = rp.map(|r| r + l + 1);
        }
    }
    if name_chars > MAXCDNAME {
        o.extend_from_slice(b"<DOMAIN NAME TOO LONG>");
    }
    rp
}

/// ns_cprint: one length-prefixed character string.
fn char_string(o: &mut Vec<u8>, m: &[u8], cp: usize) -> Option<usize> {
    let i = usize::from(byte(m, cp)?);
    if print_bytes(o, m, cp + 1, i) {
        return None;
    }
    Some(cp + 1 + i)
}

fn alg_list(o: &mut Vec<u8>, d: &[u8], name: fn(u8) -> Option<&'static str>) {
    for (i, &a) in d.iter().enumerate() {
        if i > 0 {
            o.push(b' ');
        }
        match name(a) {
            Some(n) => o.extend_from_slice(n.as_bytes()),
            None => {
                o.extend_from_slice(b"Alg_");
                digits::u64(o, u64::from(a));
            }
        }
    }
}

fn dau_name(a: u8) -> Option<&'static str> {
    Some(match a {
        0 => "DELETE",
        1 => "RSAMD5",
        2 => "DH",
        3 => "DS",
        5 => "RSASHA1",
        6 => "DSA-NSEC3-SHA1",
        7 => "RSASHA1-NSEC3-SHA1",
        8 => "RSASHA256",
        10 => "RSASHA512",
        12 => "ECC-GOST",
        13 => "ECDSAP256SHA256",
        14 => "ECDSAP384SHA384",
        15 => "ED25519",
        16 => "ED448",
        252 => "INDIRECT",
        253 => "PRIVATEDNS",
        254 => "PRIVATEOID",
        _ => return None,
    })
}

fn dhu_name(a: u8) -> Option<&'static str> {
    Some(match a {
        1 => "SHA-1",
        2 => "SHA-256",
        3 => "GOST_R_34.11-94",
        4 => "SHA-384",
        _ => return None,
    })
}

fn n3u_name(a: u8) -> Option<&'static str> {
    (a == 1).then_some("SHA-1")
}

fn invalid(o: &mut Vec<u8>) {
    o.extend_from_slice(b" (invalid)");
}

fn ecs(o: &mut Vec<u8>, d: &[u8]) {
    if d.len() < 4 {
        return invalid(o);
    }
    let family = u16::from_be_bytes([d[0], d[1]]);
    let (src, scope) = (usize::from(d[2]), usize::from(d[3]));
    let bits = match family {
        1 => 32,
        2 => 128,
        _ => return invalid(o),
    };
    let alen = d.len() - 4;
    if alen > bits / 8 || src > bits || scope > bits || src.div_ceil(8) != alen {
        return invalid(o);
    }
    let mut a = [0u8; 16];
    a[..alen].copy_from_slice(&d[4..]);
    if family == 1 {
        digits::ipv4(o, [a[0], a[1], a[2], a[3]]);
    } else {
        digits::ipv6(o, a);
    }
    o.push(b'/');
    digits::u64(o, src as u64);
    o.push(b'/');
    digits::u64(o, scope as u64);
}

/// eopt_print: one EDNS option.
fn edns_option(o: &mut Vec<u8>, m: &[u8], cp: usize) -> Option<usize> {
    let opt = be16(m, cp)?;
    let name = match opt {
        1 => "LLQ",
        2 => "UL",
        3 => "NSID",
        5 => "DAU",
        6 => "DHU",
        7 => "N3U",
        8 => "ECS",
        9 => "EXPIRE",
        10 => "COOKIE",
        11 => "KEEPALIVE",
        12 => "PADDING",
        13 => "CHAIN",
        14 => "KEY-TAG",
        16 => "CLIENT-TAG",
        17 => "SERVER-TAG",
        _ => "",
    };
    if name.is_empty() {
        o.extend_from_slice(b"Opt");
        digits::u64(o, u64::from(opt));
    } else {
        o.extend_from_slice(name.as_bytes());
    }
    let len = usize::from(be16(m, cp + 2)?);
    let at = cp + 4;
    let d = m.get(at..at + len)?;
    if len > 0 {
        o.push(b' ');
        match opt {
            8 => ecs(o, d),
            10 => {
                if len < 8 || (len > 8 && len < 16) || len > 40 {
                    invalid(o);
                } else {
                    for (i, b) in d.iter().enumerate() {
                        if i == 8 {
                            o.push(b' ');
                        }
                        digits::byte_hex(o, *b);
                    }
                }
            }
            11 => {
                if len != 2 {
                    invalid(o);
                } else {
                    let v = u16::from_be_bytes([d[0], d[1]]);
                    digits::u64(o, u64::from(v / 10));
                    o.push(b'.');
                    digits::u64(o, u64::from(v % 10));
                    o.extend_from_slice(b" sec");
                }
            }
            9 => {
                if len != 4 {
                    invalid(o);
                } else {
                    digits::u64(o, u64::from(u32::from_be_bytes([d[0], d[1], d[2], d[3]])));
                    o.extend_from_slice(b" sec");
                }
            }
            12 => {
                o.push(b'(');
                digits::u64(o, len as u64);
                o.push(b')');
            }
            14 => {
                if len % 2 != 0 {
                    invalid(o);
                } else {
                    for (i, c) in d.chunks_exact(2).enumerate() {
                        if i > 0 {
                            o.push(b' ');
                        }
                        digits::u64(o, u64::from(u16::from_be_bytes([c[0], c[1]])));
                    }
                }
            }
            5 => alg_list(o, d, dau_name),
            6 => alg_list(o, d, dhu_name),
            7 => alg_list(o, d, n3u_name),
            13 => {
                // tcpdump ignores the result here, truncation included.
                let _ = print_name(o, m, at, at + len);
            }
            _ => {
                for b in d {
                    digits::byte_hex(o, *b);
                }
            }
        }
    }
    Some(at + len)
}

/// ns_qprint: ` A? example.com.`; returns the offset after the question.
fn question(o: &mut Vec<u8>, m: &[u8], cp: usize, mdns: bool) -> Option<usize> {
    let np = cp;
    let cp = skip_name(m, cp)?;
    m.get(cp..cp + 4)?;
    let t = be16(m, cp)?;
    o.push(b' ');
    print_type(o, t);
    let i = be16(m, cp + 2)?;
    let class = if mdns { i & 0x7fff } else { i };
    if class != 1 {
        o.push(b' ');
        print_class(o, class);
    }
    if mdns {
        o.extend_from_slice(if i & 0x8000 != 0 { b" (QU)" } else { b" (QM)" });
    }
    o.extend_from_slice(b"? ");
    print_name(o, m, np, 0).map(|c| c + 4)
}

/// ns_rprint: one resource record. Some(m.len()) is tcpdump's "give up quietly" (a record
/// whose fixed part is cut), None its truncation.
pub(super) fn record(o: &mut Vec<u8>, m: &[u8], cp: usize, vflag: u8, mdns: bool) -> Option<usize> {
    let cp = if vflag > 0 {
        o.push(b' ');
        print_name(o, m, cp, 0)?
    } else {
        match skip_name(m, cp) {
            Some(c) => c,
            None => return Some(m.len()),
        }
    };
    if m.get(cp..cp + 10).is_none() {
        return Some(m.len());
    }
    let typ = be16(m, cp)?;
    let i = be16(m, cp + 2)?;
    let class = if mdns { i & 0x7fff } else { i };
    if class != 1 && typ != T_OPT {
        o.push(b' ');
        print_class(o, class);
    }
    if mdns && i & 0x8000 != 0 {
        o.extend_from_slice(b" (Cache flush)");
    }
    let mut opt_flags = 0;
    if typ == T_OPT {
        opt_flags = be16(m, cp + 6)?;
    } else if vflag > 2 {
        o.extend_from_slice(b" [");
        duration(o, be32(m, cp + 4)?);
        o.push(b']');
    }
    let len = usize::from(be16(m, cp + 8)?);
    let cp = cp + 10;
    let rp = cp + len;
    o.push(b' ');
    print_type(o, typ);
    if rp > m.len() {
        return None;
    }
    rdata(o, m, typ, cp, rp, class, opt_flags, vflag)?;
    Some(rp)
}

/// A record's data from `cp` to `rp`, after its type: None where tcpdump calls it cut.
#[allow(clippy::too_many_arguments)]
fn rdata(
    o: &mut Vec<u8>,
    m: &[u8],
    typ: u16,
    cp: usize,
    rp: usize,
    class: u16,
    opt_flags: u16,
    vflag: u8,
) -> Option<()> {
    let len = rp - cp;
    match typ {
        1 => {
            let a = m.get(cp..cp + 4)?;
            o.push(b' ');
            digits::ipv4(o, [a[0], a[1], a[2], a[3]]);
        }
        2 | 5 | 12 | 39 => {
            o.push(b' ');
            print_name(o, m, cp, 0)?;
        }
        6 if vflag > 0 => soa(o, m, cp)?,
        15 => {
            o.push(b' ');
            m.get(cp..cp + 2)?;
            print_name(o, m, cp + 2, 0)?;
            o.push(b' ');
            digits::u64(o, u64::from(be16(m, cp)?));
        }
        16 => {
            let mut c = cp;
            while c < rp {
                o.extend_from_slice(b" \"");
                c = char_string(o, m, c)?;
                o.push(b'"');
            }
        }
        33 => srv(o, m, cp)?,
        28 => {
            let a = m.get(cp..cp + 16)?;
            let mut b = [0u8; 16];
            b.copy_from_slice(a);
            o.push(b' ');
            digits::ipv6(o, b);
        }
        38 => a6(o, m, cp)?,
        256 => uri(o, m, cp, len)?,
        T_OPT => opt(o, m, cp, rp, class, opt_flags)?,
        104 => {
            m.get(cp..cp + len)?;
            if print_bytes(o, m, cp, len) {
                return None;
            }
        }
        250 if vflag > 0 => tsig(o, m, cp)?,
        _ => {}
    }
    Some(())
}

/// SOA with -v: the two names, then serial, refresh, retry, expire and minimum.
fn soa(o: &mut Vec<u8>, m: &[u8], cp: usize) -> Option<()> {
    o.push(b' ');
    let c = print_name(o, m, cp, 0)?;
    o.push(b' ');
    let c = print_name(o, m, c, 0)?;
    m.get(c..c + 20)?;
    for k in 0..5 {
        o.push(b' ');
        digits::u64(o, u64::from(be32(m, c + 4 * k)?));
    }
    Some(())
}

/// SRV: `target:port priority weight`.
fn srv(o: &mut Vec<u8>, m: &[u8], cp: usize) -> Option<()> {
    o.push(b' ');
    m.get(cp..cp + 6)?;
    print_name(o, m, cp + 6, 0)?;
    o.push(b':');
    digits::u64(o, u64::from(be16(m, cp + 4)?));
    o.push(b' ');
    digits::u64(o, u64::from(be16(m, cp)?));
    o.push(b' ');
    digits::u64(o, u64::from(be16(m, cp + 2)?));
    Some(())
}

/// A6: prefix length, the address bits carried, then the prefix name.
fn a6(o: &mut Vec<u8>, m: &[u8], cp: usize) -> Option<()> {
    let pbit = byte(m, cp)?;
    let pbyte = usize::from(pbit & !7) / 8;
    if pbit > 128 {
        o.push(b' ');
        digits::u64(o, u64::from(pbit));
        o.extend_from_slice(b"(bad plen)");
    } else {
        if pbit < 128 {
            let mut a = [0u8; 16];
            a[pbyte..].copy_from_slice(m.get(cp + 1..cp + 1 + 16 - pbyte)?);
            o.push(b' ');
            digits::u64(o, u64::from(pbit));
            o.push(b' ');
            digits::ipv6(o, a);
        }
        if pbit > 0 {
            o.push(b' ');
            print_name(o, m, cp + 1 + 16 - pbyte, 0)?;
        }
    }
    Some(())
}

/// URI: priority, weight, then the target's bytes.
fn uri(o: &mut Vec<u8>, m: &[u8], cp: usize, len: usize) -> Option<()> {
    m.get(cp..cp + len)?;
    o.push(b' ');
    digits::u64(o, u64::from(be16(m, cp)?));
    o.push(b' ');
    digits::u64(o, u64::from(be16(m, cp + 2)?));
    o.push(b' ');
    // len - 4 is unsigned in tcpdump: a shorter record prints to the end, then is cut.
    let n = len.checked_sub(4).unwrap_or(usize::MAX / 2);
    if print_bytes(o, m, cp + 4, n) {
        return None;
    }
    Some(())
}

/// OPT: `UDPsize=N`, `DO`, then the EDNS options in brackets up to `rp`.
fn opt(o: &mut Vec<u8>, m: &[u8], cp: usize, rp: usize, class: u16, opt_flags: u16) -> Option<()> {
    o.extend_from_slice(b" UDPsize=");
    digits::u64(o, u64::from(class));
    if opt_flags & 0x8000 != 0 {
        o.extend_from_slice(b" DO");
    }
    if cp < rp {
        o.extend_from_slice(b" [");
        let mut c = cp;
        while c < rp {
            c = edns_option(o, m, c)?;
            if c < rp {
                o.push(b',');
            }
        }
        o.push(b']');
    }
    Some(())
}

/// TSIG with -v: the algorithm name, fudge, MAC length, then original id, error and other
/// length.
fn tsig(o: &mut Vec<u8>, m: &[u8], cp: usize) -> Option<()> {
    o.push(b' ');
    let mut c = print_name(o, m, cp, 0)? + 6;
    o.extend_from_slice(b" fudge=");
    digits::u64(o, u64::from(be16(m, c)?));
    c += 2;
    o.extend_from_slice(b" maclen=");
    let maclen = be16(m, c)?;
    digits::u64(o, u64::from(maclen));
    c += 2 + usize::from(maclen);
    for w in [&b" origid="[..], b" error=", b" otherlen="] {
        o.extend_from_slice(w);
        digits::u64(o, u64::from(be16(m, c)?));
        c += 2;
    }
    Some(())
}

/// unsigned_relts_print: `1h2m3s`, `0s`.
pub fn duration(o: &mut Vec<u8>, mut secs: u32) {
    const UNITS: [(&[u8], u32); 6] = [
        (b"y", 31_536_000),
        (b"w", 604_800),
        (b"d", 86_400),
        (b"h", 3_600),
        (b"m", 60),
        (b"s", 1),
    ];
    if secs == 0 {
        o.extend_from_slice(b"0s");
        return;
    }
    for (name, len) in UNITS {
        if secs >= len {
            digits::u64(o, u64::from(secs / len));
            o.extend_from_slice(name);
            secs %= len;
        }
    }
}

/// Records `count` from `cp` as `first`, `,` between; Some(cp) after them, None when cut.
fn records(
    o: &mut Vec<u8>,
    m: &[u8],
    mut cp: usize,
    mut count: u16,
    first: &[u8],
    vflag: u8,
    mdns: bool,
) -> Option<usize> {
    if count > 0 && (first.is_empty() || cp < m.len()) {
        o.extend_from_slice(first);
        cp = record(o, m, cp, vflag, mdns)?;
        count -= 1;
        while cp < m.len() && count > 0 {
            o.push(b',');
            cp = record(o, m, cp, vflag, mdns)?;
            count -= 1;
        }
    }
    (count == 0).then_some(cp)
}

/// A DNS message in tcpdump's words. `len`: the payload length on the wire (UDP payload, or
/// TCP payload with its two-byte prefix when `over_tcp`); `m`: the bytes captured of it.
pub fn print(o: &mut Vec<u8>, m: &[u8], len: u32, vflag: u8, over_tcp: bool, mdns: bool) {
    if body(o, m, len, vflag, over_tcp, mdns).is_none() {
        trunc(o, "domain");
    }
}

fn body(o: &mut Vec<u8>, m: &[u8], mut len: u32, vflag: u8, tcp: bool, mdns: bool) -> Option<()> {
    let mut m = m;
    if tcp {
        if len < 2 {
            o.extend_from_slice(b" [DNS over TCP: length ");
            digits::u64(o, u64::from(len));
            o.extend_from_slice(b" < 2] (invalid)");
            return Some(());
        }
        len -= 2;
        let prefix = be16(m, 0)?;
        if u32::from(prefix) != len {
            o.extend_from_slice(b" [prefix length(");
            digits::u64(o, u64::from(prefix));
            o.extend_from_slice(b") != length(");
            digits::u64(o, u64::from(len));
            o.extend_from_slice(b")] (invalid)");
            return Some(());
        }
        m = &m[2..];
        o.push(b' ');
    }
    if len < 12 {
        o.extend_from_slice(b"domain [length ");
        digits::u64(o, u64::from(len));
        o.extend_from_slice(b" < 12] (invalid)");
        return Some(());
    }
    let h = Header::parse(m)?;
    let rcode = u32::from(h.rcode()) | (extended_rcode(m, &h).unwrap_or(0) << 4);
    if h.response() {
        response(o, m, &h, rcode, vflag, mdns)?;
    } else {
        query(o, m, &h, vflag, mdns)?;
    }
    o.extend_from_slice(b" (");
    digits::u64(o, u64::from(len));
    o.push(b')');
    Some(())
}

/// A response: id, opcode, rcode and flags, the questions (with -vv), the section counts,
/// then the records.
fn response(
    o: &mut Vec<u8>,
    m: &[u8],
    h: &Header,
    rcode: u32,
    vflag: u8,
    mdns: bool,
) -> Option<()> {
    digits::u64(o, u64::from(h.id));
    o.extend_from_slice(OPS[usize::from(h.opcode())].as_bytes());
    match RESP.get(rcode as usize) {
        Some(r) => o.extend_from_slice(r.as_bytes()),
        None => {
            o.extend_from_slice(b" Resp");
            digits::u64(o, u64::from(rcode & 0xfff));
        }
    }
    let f = h.flags;
    if f & 0x0400 != 0 {
        o.push(b'*');
    }
    if f & 0x0080 == 0 {
        o.push(b'-');
    }
    if f & 0x0200 != 0 {
        o.push(b'|');
    }
    if f & 0x0020 != 0 {
        o.push(b'$');
    }
    if h.qd != 1 {
        bracket(o, h.qd, b"q]");
    }
    let mut cp = 12;
    for i in 0..h.qd {
        if i != 0 {
            o.push(b',');
        }
        if vflag > 1 {
            o.extend_from_slice(b" q:");
            cp = question(o, m, cp, mdns)?;
        } else {
            cp = skip_name(m, cp)? + 4;
        }
    }
    o.push(b' ');
    digits::u64(o, u64::from(h.an));
    o.push(b'/');
    digits::u64(o, u64::from(h.ns));
    o.push(b'/');
    digits::u64(o, u64::from(h.ar));
    cp = records(o, m, cp, h.an, b"", vflag, mdns)?;
    if vflag > 1 {
        cp = records(o, m, cp, h.ns, b" ns:", vflag, mdns)?;
        records(o, m, cp, h.ar, b" ar:", vflag, mdns)?;
    }
    Some(())
}

/// A query: id, opcode and flags, the counts tcpdump notes, the questions, then (with -vv)
/// any records.
fn query(o: &mut Vec<u8>, m: &[u8], h: &Header, vflag: u8, mdns: bool) -> Option<()> {
    digits::u64(o, u64::from(h.id));
    o.extend_from_slice(OPS[usize::from(h.opcode())].as_bytes());
    if h.flags & 0x0100 != 0 {
        o.push(b'+');
    }
    if h.flags & 0x0010 != 0 {
        o.push(b'%');
    }
    if h.flags & 0x6cf != 0 {
        o.extend_from_slice(b" [b2&3=0x");
        digits::hex(o, u64::from(h.flags));
        o.push(b']');
    }
    if h.opcode() == 1 {
        if h.qd != 0 {
            bracket(o, h.qd, b"q]");
        }
        if h.an != 1 {
            bracket(o, h.an, b"a]");
        }
    } else {
        if h.an != 0 {
            bracket(o, h.an, b"a]");
        }
        if h.qd != 1 {
            bracket(o, h.qd, b"q]");
        }
    }
    if h.ns != 0 {
        bracket(o, h.ns, b"n]");
    }
    if h.ar != 0 {
        bracket(o, h.ar, b"au]");
    }
    let mut cp = 12;
    let mut qd = h.qd;
    if qd > 0 {
        cp = question(o, m, cp, mdns)?;
        qd -= 1;
        while cp < m.len() && qd > 0 {
            cp = question(o, m, cp, mdns)?;
            qd -= 1;
        }
    }
    if qd > 0 {
        return None;
    }
    if vflag > 1 {
        cp = records(o, m, cp, h.an, b"", vflag, mdns)?;
        cp = records(o, m, cp, h.ns, b" ns:", vflag, mdns)?;
        records(o, m, cp, h.ar, b" ar:", vflag, mdns)?;
    }
    Some(())
}

fn bracket(out: &mut Vec<u8>, n: u16, suffix: &[u8]) {
    out.extend_from_slice(b" [");
    digits::u64(out, u64::from(n));
    out.extend_from_slice(suffix);
}
