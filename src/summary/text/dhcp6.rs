//! print-dhcp6.c: DHCPv6 (UDP ports 546 and 547) as tcpdump 4.99 prints it: `dhcp6 solicit`;
//! with `-v` the transaction ID (or a relay's addresses) and every option, nested ones in
//! their parents' parentheses.

use super::{n, s};
use crate::summary::digits;
use crate::summary::dns::{fqdn, print_char, Name};
use crate::summary::kit::{be16, be32, byte, ip6, trunc};

const MSG_TYPES: [&str; 15] = [
    "solicit",
    "advertise",
    "request",
    "confirm",
    "renew",
    "rebind",
    "reply",
    "release",
    "decline",
    "reconfigure",
    "inf-req",
    "relay-fwd",
    "relay-reply",
    "leasequery",
    "leasequery-reply",
];

const RELAY_FORW: u8 = 12;
const RELAY_REPLY: u8 = 13;

/// dh6opt_str.
fn option_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "client-ID",
        2 => "server-ID",
        3 => "IA_NA",
        4 => "IA_TA",
        5 => "IA_ADDR",
        6 => "option-request",
        7 => "preference",
        8 => "elapsed-time",
        9 => "relay-message",
        11 => "authentication",
        12 => "server-unicast",
        13 => "status-code",
        14 => "rapid-commit",
        15 => "user-class",
        16 => "vendor-class",
        17 => "vendor-specific-info",
        18 => "interface-ID",
        19 => "reconfigure-message",
        20 => "reconfigure-accept",
        21 => "SIP-servers-domain",
        22 => "SIP-servers-address",
        23 => "DNS-server",
        24 => "DNS-search-list",
        25 => "IA_PD",
        26 => "IA_PD-prefix",
        27 => "NIS-server",
        28 => "NIS+-server",
        29 => "NIS-domain-name",
        30 => "NIS+-domain-name",
        31 => "SNTP-servers",
        32 => "lifetime",
        33 => "BCMCS-domain-name",
        34 => "BCMCS-server",
        36 => "Geoconf-Civic",
        37 => "Remote-ID",
        38 => "Subscriber-ID",
        39 => "Client-FQDN",
        40 => "PANA-agent",
        41 => "POSIX-timezone",
        42 => "POSIX-tz-database",
        43 => "Echo-request-option",
        44 => "Lease-query",
        45 => "LQ-client-data",
        46 => "Clt-time",
        47 => "LQ-relay-data",
        48 => "LQ-client-link",
        56 => "NTP-server",
        64 => "AFTR-Name",
        112 => "MUD-URL",
        _ => return None,
    })
}

/// tok2str(dh6opt_str, "opt_%u", t).
fn option(out: &mut Vec<u8>, t: u16) {
    match option_name(t) {
        Some(name) => s(out, name),
        None => {
            s(out, "opt_");
            n(out, t);
        }
    }
}

/// dhcp6stcode.
fn status(out: &mut Vec<u8>, code: u16) {
    const CODES: [&str; 11] = [
        "Success",
        "UnspecFail",
        "NoAddrsAvail",
        "NoBinding",
        "NotOnLink",
        "UseMulticast",
        "NoPrefixAvail",
        "UnknownQueryType",
        "MalformedQuery",
        "NotConfigured",
        "NotAllowed",
    ];
    if code > 255 {
        s(out, "INVALID code");
    } else if let Some(name) = CODES.get(usize::from(code)) {
        s(out, name);
    } else {
        s(out, "code");
        n(out, code);
    }
}

/// A GET_ macro read past the capture: tcpdump's printer ends by a long jump, and nothing
/// more is printed on the line.
struct Jumped;

/// `b`: the captured bytes from the message on; `len`: its length from UDP.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) {
    let _ = message(out, b, len as usize, verbose);
}

/// dhcp6_print: the message at the start of `b` (whose end is the capture's), `len` long.
fn message(out: &mut Vec<u8>, b: &[u8], len: usize, verbose: u8) -> Result<(), Jumped> {
    s(out, "dhcp6");
    let end = b.len().min(len);
    if b.len() < 4 {
        stop(out);
        return Ok(());
    }
    let kind = b[0];
    if verbose == 0 {
        s(out, " ");
        msg_type(out, kind);
        return Ok(());
    }
    s(out, " ");
    msg_type(out, kind);
    s(out, " (");
    if kind != RELAY_FORW && kind != RELAY_REPLY {
        let xid = be32(b, 0).unwrap_or(0) & 0x00ff_ffff;
        s(out, "xid=");
        digits::hex(out, u64::from(xid));
        options(out, b, 4, end)?;
    } else {
        // GET_IP6ADDR_STRING: a cut here ends the whole line.
        let Some(link) = ip6(b, 2) else {
            return jump(out);
        };
        s(out, "linkaddr=");
        digits::ipv6(out, link);
        let Some(peer) = ip6(b, 18) else {
            return jump(out);
        };
        s(out, " peeraddr=");
        digits::ipv6(out, peer);
        options(out, b, 34, end)?;
    }
    s(out, ")");
    Ok(())
}

fn msg_type(out: &mut Vec<u8>, kind: u8) {
    match MSG_TYPES.get(usize::from(kind).wrapping_sub(1)) {
        Some(name) => s(out, name),
        None => {
            s(out, "msgtype-");
            n(out, kind);
        }
    }
}

/// nd_print_trunc where print-dhcp6.c goes to `trunc`: the printer returns, and its caller
/// carries on.
fn stop(out: &mut Vec<u8>) {
    trunc(out, "dhcp6");
    super::returned();
}

/// A GET_ macro that read past the capture: the line ends here.
fn jump(out: &mut Vec<u8>) -> Result<(), Jumped> {
    trunc(out, "dhcp6");
    super::long_jump();
    Err(Jumped)
}

/// dhcp6opt_print: the options from `at` to `end` (a parent option's end, or the message's).
fn options(out: &mut Vec<u8>, b: &[u8], mut at: usize, end: usize) -> Result<(), Jumped> {
    while at < end {
        if end < at + 4 {
            stop(out);
            return Ok(());
        }
        // Within `end`, so within the capture: every read of an option below is too.
        let optlen = usize::from(be16(b, at + 2).unwrap_or(0));
        if end < at + 4 + optlen {
            stop(out);
            return Ok(());
        }
        let kind = be16(b, at).unwrap_or(0);
        s(out, " (");
        option(out, kind);
        let tp = at + 4;
        let opt = &b[tp..tp + optlen];
        let u16_at = |i: usize| be16(opt, i).unwrap_or(0);
        let u32_at = |i: usize| be32(opt, i).unwrap_or(0);
        let hex_bytes = |out: &mut Vec<u8>, from: usize, to: usize| {
            for &c in &opt[from.min(to)..to] {
                digits::byte_hex(out, c);
            }
        };
        let bad = |out: &mut Vec<u8>| s(out, " ?)");
        match kind {
            1 | 2 => {
                if optlen < 2 {
                    bad(out);
                } else {
                    match u16_at(0) {
                        1 if optlen >= 8 => {
                            s(out, " hwaddr/time type ");
                            n(out, u16_at(2));
                            s(out, " time ");
                            n(out, u32_at(4));
                            s(out, " ");
                            hex_bytes(out, 8, optlen);
                            s(out, ")");
                        }
                        2 if optlen >= 10 => {
                            s(out, " vid ");
                            hex_bytes(out, 2, 10);
                            s(out, ")");
                        }
                        3 if optlen >= 4 => {
                            s(out, " hwaddr type ");
                            n(out, u16_at(2));
                            s(out, " ");
                            hex_bytes(out, 4, optlen);
                            s(out, ")");
                        }
                        1..=3 => bad(out),
                        t => {
                            s(out, " type ");
                            n(out, t);
                            s(out, ")");
                        }
                    }
                }
            }
            5 => {
                if optlen < 24 {
                    bad(out);
                } else {
                    s(out, " ");
                    digits::ipv6(out, ip6(opt, 0).unwrap_or_default());
                    s(out, " pltime:");
                    n(out, u32_at(16));
                    s(out, " vltime:");
                    n(out, u32_at(20));
                    if optlen > 24 {
                        options(out, b, tp + 24, tp + optlen)?;
                    }
                    s(out, ")");
                }
            }
            6 | 43 => {
                if optlen % 2 != 0 {
                    bad(out);
                } else {
                    for i in (0..optlen).step_by(2) {
                        s(out, " ");
                        option(out, u16_at(i));
                    }
                    s(out, ")");
                }
            }
            7 => {
                if optlen != 1 {
                    bad(out);
                } else {
                    s(out, " ");
                    n(out, opt[0]);
                    s(out, ")");
                }
            }
            8 => {
                if optlen != 2 {
                    bad(out);
                } else {
                    s(out, " ");
                    n(out, u16_at(0));
                    s(out, ")");
                }
            }
            9 => {
                s(out, " (");
                // The nested message ends with the option: the capture's end is moved there.
                message(out, &b[tp..tp + optlen], optlen, 1)?;
                s(out, ")");
            }
            11 => auth(out, opt),
            14 | 20 => s(out, ")"),
            18 | 38 => {
                s(out, " ");
                hex_bytes(out, 0, optlen.min(10));
                s(out, "...)");
            }
            19 => {
                if optlen != 1 {
                    bad(out);
                } else {
                    match opt[0] {
                        5 => s(out, " for renew)"),
                        11 => s(out, " for inf-req)"),
                        t => {
                            s(out, " for ???(");
                            digits::byte_hex(out, t);
                            s(out, "))");
                        }
                    }
                }
            }
            22 | 23 | 31 | 27 | 28 | 34 | 40 | 48 => {
                if optlen % 16 != 0 {
                    bad(out);
                } else {
                    for a in opt.chunks_exact(16) {
                        s(out, " ");
                        digits::ipv6(out, ip6(a, 0).unwrap_or_default());
                    }
                    s(out, ")");
                }
            }
            21 | 24 => {
                let stop_at = tp + optlen;
                let mut cp = tp;
                while cp < stop_at {
                    s(out, " ");
                    match fqdn(out, b, cp, stop_at) {
                        Name::After(next) => cp = next,
                        Name::Null => {
                            stop(out);
                            return Ok(());
                        }
                        Name::Jumped => return jump(out),
                    }
                }
                s(out, ")");
            }
            13 => {
                if optlen < 2 {
                    bad(out);
                } else {
                    s(out, " ");
                    status(out, u16_at(0));
                    s(out, ")");
                }
            }
            3 | 25 => {
                if optlen < 12 {
                    bad(out);
                } else {
                    s(out, " IAID:");
                    n(out, u32_at(0));
                    s(out, " T1:");
                    n(out, u32_at(4));
                    s(out, " T2:");
                    n(out, u32_at(8));
                    if optlen > 12 {
                        options(out, b, tp + 12, tp + optlen)?;
                    }
                    s(out, ")");
                }
            }
            4 => {
                if optlen < 4 {
                    bad(out);
                } else {
                    s(out, " IAID:");
                    n(out, u32_at(0));
                    if optlen > 4 {
                        options(out, b, tp + 4, tp + optlen)?;
                    }
                    s(out, ")");
                }
            }
            26 => {
                if optlen < 25 {
                    bad(out);
                } else {
                    s(out, " ");
                    digits::ipv6(out, ip6(opt, 9).unwrap_or_default());
                    s(out, "/");
                    n(out, opt[8]);
                    s(out, " pltime:");
                    n(out, u32_at(0));
                    s(out, " vltime:");
                    n(out, u32_at(4));
                    if optlen > 25 {
                        options(out, b, tp + 25, tp + optlen)?;
                    }
                    s(out, ")");
                }
            }
            32 | 46 => {
                if optlen != 4 {
                    bad(out);
                } else {
                    s(out, " ");
                    n(out, u32_at(0));
                    s(out, ")");
                }
            }
            37 => {
                if optlen < 4 {
                    bad(out);
                } else {
                    s(out, " ");
                    n(out, u32_at(0));
                    s(out, " ");
                    hex_bytes(out, 4, optlen.min(14));
                    s(out, "...)");
                }
            }
            44 => {
                if optlen < 17 {
                    bad(out);
                } else {
                    match opt[0] {
                        1 => s(out, " by-address"),
                        2 => s(out, " by-clientID"),
                        t => {
                            s(out, " type_");
                            n(out, t);
                        }
                    }
                    s(out, " ");
                    digits::ipv6(out, ip6(opt, 1).unwrap_or_default());
                    if optlen > 17 {
                        options(out, b, tp + 17, tp + optlen)?;
                    }
                    s(out, ")");
                }
            }
            45 => {
                if optlen > 0 {
                    options(out, b, tp, tp + optlen)?;
                }
                s(out, ")");
            }
            47 => {
                if optlen < 16 {
                    bad(out);
                } else {
                    s(out, " ");
                    digits::ipv6(out, ip6(opt, 0).unwrap_or_default());
                    s(out, " ");
                    hex_bytes(out, 16, optlen.min(26));
                    s(out, "...)");
                }
            }
            56 => {
                if optlen < 4 {
                    bad(out);
                } else if !ntp_server(out, b, tp, tp + optlen)? {
                    stop(out);
                    return Ok(());
                } else {
                    s(out, ")");
                }
            }
            64 => {
                if optlen < 3 {
                    bad(out);
                } else {
                    aftr_name(out, opt);
                    s(out, ")");
                }
            }
            41 | 42 | 112 => {
                if optlen < 5 {
                    bad(out);
                } else {
                    s(out, " ");
                    printjnp(out, opt);
                    s(out, ")");
                }
            }
            _ => s(out, ")"),
        }
        at = tp + optlen;
    }
    Ok(())
}

/// nd_printjnp: the bytes up to a NUL, escaped.
fn printjnp(out: &mut Vec<u8>, b: &[u8]) {
    for &c in b.iter().take_while(|&&c| c != 0) {
        print_char(out, c);
    }
}

/// The authentication option (RFC 3315 section 22.11).
fn auth(out: &mut Vec<u8>, opt: &[u8]) {
    if opt.len() < 11 {
        s(out, " ?)");
        return;
    }
    let proto = opt[0];
    match proto {
        2 => s(out, " proto: delayed"),
        3 => s(out, " proto: reconfigure"),
        p => {
            s(out, " proto: ");
            n(out, p);
        }
    }
    match opt[1] {
        1 => s(out, ", alg: HMAC-MD5"),
        a => {
            s(out, ", alg: ");
            n(out, a);
        }
    }
    match opt[2] {
        0 => s(out, ", RDM: mono"),
        r => {
            s(out, ", RDM: ");
            n(out, r);
        }
    }
    s(out, ", RD:");
    for i in 0..4 {
        s(out, " ");
        digits::hex_padded(out, u64::from(be16(opt, 3 + 2 * i).unwrap_or(0)), 4);
    }
    let words = |out: &mut Vec<u8>, from: usize| {
        for i in 0..4 {
            s(out, " ");
            digits::hex_padded(out, u64::from(be32(opt, from + 4 * i).unwrap_or(0)), 8);
        }
    };
    let info = opt.len() - 11;
    match proto {
        2 if info == 0 => {}
        2 if info < 20 => s(out, " ??"),
        2 => {
            let realm = info - 20;
            if realm > 0 {
                s(out, ", realm: ");
            }
            for &c in &opt[11..11 + realm] {
                digits::byte_hex(out, c);
            }
            let at = 11 + realm;
            s(out, ", key ID: ");
            digits::hex_padded(out, u64::from(be32(opt, at).unwrap_or(0)), 8);
            s(out, ", HMAC-MD5:");
            words(out, at + 4);
        }
        3 if info != 17 => s(out, " ??"),
        3 => {
            match opt[11] {
                1 => s(out, " reconfig-key"),
                2 => s(out, " type: HMAC-MD5"),
                _ => s(out, " type: ??"),
            }
            s(out, " value:");
            words(out, 12);
        }
        _ => s(out, " ??"),
    }
    s(out, ")");
}

/// The NTP server option's suboptions (RFC 5908), from `at` to `end` in `b`; false where
/// print-dhcp6.c goes to `trunc`.
fn ntp_server(out: &mut Vec<u8>, b: &[u8], mut at: usize, end: usize) -> Result<bool, Jumped> {
    while at < end - 4 {
        let code = be16(b, at).unwrap_or(0);
        let len = usize::from(be16(b, at + 2).unwrap_or(0));
        at += 4;
        if at + len > end {
            return Ok(false);
        }
        s(out, " subopt:");
        n(out, code);
        match code {
            1 | 2 if len != 16 => s(out, " ?"),
            1 | 2 => {
                s(out, " ");
                digits::ipv6(out, ip6(b, at).unwrap_or_default());
            }
            3 => {
                s(out, " ");
                match fqdn(out, b, at, at + len) {
                    Name::After(_) => {}
                    Name::Null => return Ok(false),
                    Name::Jumped => {
                        jump(out)?;
                    }
                }
            }
            _ => s(out, " ?"),
        }
        at += len;
    }
    Ok(true)
}

/// The AFTR name (RFC 6334): DNS labels, printed as print-dhcp6.c walks them.
fn aftr_name(out: &mut Vec<u8>, opt: &[u8]) {
    s(out, " ");
    let mut remain = opt.len();
    let mut tp = 0;
    while remain > 0 && byte(opt, tp).unwrap_or(0) != 0 {
        let label = usize::from(opt[tp]);
        tp += 1;
        if label < remain - 1 {
            printjnp(out, &opt[tp..tp + label]);
            tp += label;
            remain -= label + 1;
            if byte(opt, tp).unwrap_or(0) != 0 {
                s(out, ".");
            }
        } else {
            s(out, " ?");
            break;
        }
    }
}
