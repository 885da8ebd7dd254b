//! print-syslog.c: syslog on UDP port 514, as tcpdump 4.99 prints it: `SYSLOG user.notice,
//! length: 42`; with -v the facility and severity by name and number and the message, with -vv
//! the payload in hex as well. A priority that is not `<0>` to `<999>` is ` (invalid)`; what the
//! capture cuts short ends with ` [|syslog]`.

use super::dump;
use crate::summary::digits;
use crate::summary::dns::print_char;
use crate::summary::kit::trunc;

const SEVERITY: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "info",
    "debug",
];

/// Facilities 0 to 23, as tcpdump names them (15 is `cron` again).
const FACILITY: [&str; 24] = [
    "kernel", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "cron", "local0", "local1", "local2",
    "local3", "local4", "local5", "local6", "local7",
];

/// tok2str: the name, or `unknown (N)`.
fn name(out: &mut Vec<u8>, names: &[&str], v: u16) {
    match names.get(usize::from(v)) {
        Some(n) => out.extend_from_slice(n.as_bytes()),
        None => {
            out.extend_from_slice(b"unknown (");
            digits::u64(out, u64::from(v));
            out.push(b')');
        }
    }
}

/// After `IP a > b: `: the syslog message `b` (captured) of `len` bytes.
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: u32, verbose: u8) {
    // The priority: up to three digits between `<` and `>`.
    let Some(&first) = b.first() else {
        return trunc(out, "syslog");
    };
    if first != b'<' {
        return out.extend_from_slice(b" (invalid)");
    }
    let mut off = 1;
    let mut pri: u16 = 0;
    loop {
        let Some(&c) = b.get(off) else {
            return trunc(out, "syslog");
        };
        if !(c.is_ascii_digit() && off <= 3) {
            if c != b'>' {
                return out.extend_from_slice(b" (invalid)");
            }
            break;
        }
        pri = pri * 10 + u16::from(c - b'0');
        off += 1;
    }
    off += 1;
    let (facility, severity) = ((pri & 0x03f8) >> 3, pri & 7);
    if verbose < 1 {
        out.extend_from_slice(b"SYSLOG ");
        name(out, &FACILITY, facility);
        out.push(b'.');
        name(out, &SEVERITY, severity);
        out.extend_from_slice(b", length: ");
        digits::u64(out, u64::from(len));
        return;
    }
    out.extend_from_slice(b"SYSLOG, length: ");
    digits::u64(out, u64::from(len));
    out.extend_from_slice(b"\n\tFacility ");
    name(out, &FACILITY, facility);
    out.extend_from_slice(b" (");
    digits::u64(out, u64::from(facility));
    out.extend_from_slice(b"), Severity ");
    name(out, &SEVERITY, severity);
    out.extend_from_slice(b" (");
    digits::u64(out, u64::from(severity));
    out.extend_from_slice(b")\n\tMsg: ");
    let len = len as usize;
    for i in off..len {
        let Some(&c) = b.get(i) else {
            return trunc(out, "syslog");
        };
        print_char(out, c);
    }
    if verbose > 1 {
        dump::unknown_data(out, b, 0, len, "\n\t");
    }
}
