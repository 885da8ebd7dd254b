//! What tcpdump decodes inside TCP by port (the dispatch at the end of print-tcp.c), for the
//! protocols nscap decodes: the text protocols (SMTP, whois, FTP, HTTP, RTSP), BGP, Redis
//! (RESP), SSH version lines and DNS over TCP.

use super::http;
use super::txt::{self, Proto};
use crate::summary::kit::trunc;
use crate::summary::{dns, PrintOptions};

/// Ports tcpdump tests before HTTP and DNS, in its order (telnet, SMTP, whois, BGP, PPTP, Redis,
/// SSH, BEEP, OpenFlow, FTP): a segment on one of them is not read as HTTP or DNS, as in
/// tcpdump. NetBIOS (139) and SMB (445) come between SSH and BEEP only in builds with
/// ENABLE_SMB, which Debian's is not.
const EARLIER: [u16; 11] = [23, 25, 43, 179, 1723, 6379, 22, 10288, 6633, 6653, 21];

/// Whether a port that tcpdump tests before `p` is one of the segment's.
fn earlier(p: u16, port: impl Fn(u16) -> bool) -> bool {
    EARLIER.iter().take_while(|&&e| e != p).any(|&e| port(e))
}

/// Text protocols printed whatever the segment holds (txtproto_print with no command list).
const SMTP: Proto = Proto {
    name: "SMTP",
    trunc: "smtp",
    cmds: None,
};
const WHOIS: Proto = Proto {
    name: "WHOIS",
    trunc: "whois",
    cmds: None,
};
const FTP: Proto = Proto {
    name: "FTP",
    trunc: "ftp",
    cmds: None,
};

/// After `, length N` (N > 0): the application layer, if tcpdump would print one.
pub(super) fn tcp(out: &mut Vec<u8>, t: &etherparse::TcpSlice<'_>, len: u32, opts: &PrintOptions) {
    let (sp, dp) = (t.source_port(), t.destination_port());
    let port = |p: u16| sp == p || dp == p;
    let text = |out: &mut Vec<u8>, proto: &Proto| {
        out.extend_from_slice(b": ");
        txt::print(out, proto, t.payload(), len, opts.verbose);
    };
    // telnet comes first. Its printer (not ported) reads options while the segment starts with
    // IAC; one whose first byte was not captured ends the line at once.
    if port(23) {
        if t.payload().is_empty() {
            trunc(out, "telnet");
            super::long_jump();
        }
        return;
    }
    // SMTP comes second in tcpdump's order, whois third, FTP thirteenth.
    if port(25) {
        return text(out, &SMTP);
    }
    if port(43) && !earlier(43, port) {
        return text(out, &WHOIS);
    }
    if port(21) && !earlier(21, port) {
        return text(out, &FTP);
    }
    // BGP, fourth: print-bgp.c says only `: BGP` unless -v.
    if port(179) && !earlier(179, port) {
        return super::bgp::print(out, t.payload(), len, opts.verbose);
    }
    // Redis comes sixth, SSH seventh.
    if port(6379) && !earlier(6379, port) {
        return super::resp::print(out, t.payload(), len as usize);
    }
    if port(22) && !earlier(22, port) {
        return ssh(out, t.payload(), len as usize);
    }
    if EARLIER.iter().any(|p| port(*p)) {
        return;
    }
    if http::PORTS.iter().any(|p| port(*p)) {
        text(out, &http::HTTP);
    } else if http::RTSP_PORTS.iter().any(|p| port(*p)) {
        text(out, &http::RTSP);
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
