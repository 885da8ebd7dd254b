//! What tcpdump decodes inside TCP by port (the dispatch at the end of print-tcp.c), for the
//! protocols nscap decodes: Redis (RESP), SSH version lines, HTTP and DNS over TCP.

use super::http;
use crate::summary::kit::trunc;
use crate::summary::{dns, PrintOptions};

/// Ports tcpdump tests before HTTP and DNS (telnet, SMTP, whois, BGP, PPTP, Redis, SSH,
/// NetBIOS, SMB, BEEP, OpenFlow, FTP): a segment on one of them is not read as HTTP or DNS, as
/// in tcpdump. Of these nscap decodes Redis (RESP) and SSH's version line.
const EARLIER: [u16; 13] = [
    23, 25, 43, 179, 1723, 6379, 22, 139, 445, 10288, 6633, 6653, 21,
];

/// After `, length N` (N > 0): the application layer, if tcpdump would print one.
pub(super) fn tcp(out: &mut Vec<u8>, t: &etherparse::TcpSlice<'_>, len: u32, opts: &PrintOptions) {
    let (sp, dp) = (t.source_port(), t.destination_port());
    let port = |p: u16| sp == p || dp == p;
    // Redis comes sixth in tcpdump's order, SSH seventh.
    if port(6379) && !EARLIER[..5].iter().any(|p| port(*p)) {
        return super::resp::print(out, t.payload(), len as usize);
    }
    if port(22) && !EARLIER[..6].iter().any(|p| port(*p)) {
        return ssh(out, t.payload(), len as usize);
    }
    if EARLIER.iter().any(|p| port(*p)) {
        return;
    }
    if http::PORTS.iter().any(|p| port(*p)) {
        out.extend_from_slice(b": ");
        http::print(out, t.payload(), len, opts.verbose);
    } else if port(dns::PORT) {
        dns::print(out, t.payload(), len, opts.verbose, true, false);
    }
}

/// print-ssh.c: the version line (`SSH-2.0-OpenSSH_9.2`) when the segment starts with one and
/// holds its end; nothing for anything else. Its reads jump when the capture ends first.
fn ssh(out: &mut Vec<u8>, b: &[u8], len: usize) {
    for (i, c) in b"SSH-".iter().enumerate() {
        match b.get(i) {
            None => return trunc(out, "ssh"),
            Some(x) if x != c => return,
            Some(_) => {}
        }
    }
    let mut end = 4;
    while end < len {
        let Some(&c) = b.get(end) else {
            return trunc(out, "ssh");
        };
        match c {
            b'\n' => break,
            b'\r' => match b.get(end + 1) {
                _ if end + 1 >= len => return,
                Some(b'\n') => break,
                Some(_) => return,
                None => return trunc(out, "ssh"),
            },
            0x20..=0x7e => end += 1,
            _ => return,
        }
    }
    // A line that fills the segment without an end is not printed either.
    if end >= len {
        return;
    }
    out.extend_from_slice(b": SSH: ");
    out.extend_from_slice(&b[..end]);
}
