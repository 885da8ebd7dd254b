//! HTTP request and status lines on tcpdump's HTTP ports (print-http.c and txtproto_print in
//! util-print.c): `HTTP: GET / HTTP/1.1`, `HTTP: HTTP/1.1 200 OK`, or just `HTTP` for a segment
//! that starts neither; with `-v` every text line, one per output line, as tcpdump does.

use super::{n, s};
use crate::summary::kit::trunc;

/// tcpdump's HTTP_PORT and HTTP_PORT_ALT: the only ports it reads as HTTP.
pub const PORTS: [u16; 2] = [80, 8080];

/// Request methods tcpdump recognises (WebDAV's included), compared case-insensitively.
const METHODS: [&str; 38] = [
    "GET",
    "PUT",
    "COPY",
    "HEAD",
    "LOCK",
    "MOVE",
    "POLL",
    "POST",
    "BCOPY",
    "BMOVE",
    "MKCOL",
    "TRACE",
    "LABEL",
    "MERGE",
    "DELETE",
    "SEARCH",
    "UNLOCK",
    "REPORT",
    "UPDATE",
    "NOTIFY",
    "BDELETE",
    "CONNECT",
    "OPTIONS",
    "CHECKIN",
    "PROPFIND",
    "CHECKOUT",
    "CCM_POST",
    "SUBSCRIBE",
    "PROPPATCH",
    "BPROPFIND",
    "BPROPPATCH",
    "UNCHECKOUT",
    "MKACTIVITY",
    "MKWORKSPACE",
    "UNSUBSCRIBE",
    "RPC_CONNECT",
    "VERSION-CONTROL",
    "BASELINE-CONTROL",
];

const MAX_TOKEN: usize = 128;

fn printable(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

/// fetch_token: the token at `idx` (into `tok`) and the index after the blanks that follow;
/// None where tcpdump's returns 0.
fn token<'a>(p: &'a [u8], mut idx: usize, len: usize, tok: &mut &'a [u8]) -> Option<usize> {
    let start = idx;
    while idx < len {
        let c = *p.get(idx)?;
        if c & 0x80 != 0 {
            return None;
        }
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            break;
        }
        if !printable(c) || idx - start + 2 > MAX_TOKEN + 1 {
            return None;
        }
        idx += 1;
    }
    if idx == start {
        return None;
    }
    *tok = &p[start..idx];
    while idx < len {
        let Some(&c) = p.get(idx) else { break };
        if c == b'\r' || c == b'\n' || !printable(c) || (c != b' ' && c != b'\t') {
            break;
        }
        idx += 1;
    }
    Some(idx)
}

/// A read past the captured bytes: tcpdump stops the whole line there.
struct Cut;

/// print_txt_line: Ok(next index) or Ok(0) when the text stops; prints the line after
/// `prefix`.
fn line(out: &mut Vec<u8>, prefix: &str, p: &[u8], idx: usize, len: usize) -> Result<usize, Cut> {
    let start = idx;
    let mut i = idx;
    let (linelen, next) = loop {
        if i >= len {
            // Printable to the end but no line ending: tcpdump prints it as cut.
            s(out, prefix);
            out.extend_from_slice(&p[start..i]);
            trunc(out, "http");
            return Ok(0);
        }
        let c = *p.get(i).ok_or(Cut)?;
        if c == b'\n' {
            break (i - start, i + 1);
        } else if c == b'\r' {
            if i + 1 >= len {
                return Ok(0);
            }
            if *p.get(i + 1).ok_or(Cut)? == b'\n' {
                break (i - start, i + 2);
            }
            return Ok(0);
        } else if !printable(c) && c != b'\t' {
            return Ok(0);
        }
        i += 1;
    };
    s(out, prefix);
    out.extend_from_slice(&p[start..start + linelen]);
    Ok(next)
}

/// `p`: the captured payload; `len`: the payload length on the wire. The caller has written
/// the `: ` before.
pub(super) fn print(out: &mut Vec<u8>, p: &[u8], len: u32, verbose: u8) {
    let len = len as usize;
    let mut tok: &[u8] = &[];
    let mut show = false;
    if let Some(idx) = token(p, 0, len, &mut tok) {
        show = METHODS
            .iter()
            .any(|m| m.as_bytes().eq_ignore_ascii_case(tok));
        // A status line: the second token is three digits.
        if token(p, idx, len, &mut tok).is_some()
            && tok.len() == 3
            && tok.iter().all(u8::is_ascii_digit)
        {
            show = true;
        }
    }
    s(out, "HTTP");
    if !show {
        return;
    }
    let r = if verbose > 0 {
        s(out, ", length: ");
        n(out, len as u64);
        let mut idx = 0;
        loop {
            if idx >= len {
                break Ok(());
            }
            match line(out, "\n\t", p, idx, len) {
                Ok(0) => break Ok(()),
                Ok(next) => idx = next,
                Err(c) => break Err(c),
            }
        }
    } else {
        line(out, ": ", p, 0, len).map(|_| ())
    };
    if r.is_err() {
        trunc(out, "http");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(b: &[u8], len: usize, v: u8) -> String {
        let mut out = Vec::new();
        print(&mut out, b, len as u32, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn request_and_status_lines() {
        let r = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(p(r, r.len(), 0), "HTTP: GET / HTTP/1.1");
        assert_eq!(
            p(r, r.len(), 1),
            "HTTP, length: 27\n\tGET / HTTP/1.1\n\tHost: x\n\t"
        );
        let s = b"HTTP/1.0 200 OK\r\n";
        assert_eq!(p(s, s.len(), 0), "HTTP: HTTP/1.0 200 OK");
        assert_eq!(p(b"<html>", 6, 0), "HTTP");
        assert_eq!(p(b"get /x", 6, 0), "HTTP: get /x [|http]");
        assert_eq!(p(b"GET /", 40, 0), "HTTP [|http]");
    }
}
