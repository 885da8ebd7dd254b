//! txtproto_print (util-print.c): the text protocols tcpdump prints by their first line, or
//! with `-v` by every text line: HTTP, RTSP and SIP (request and status lines only), SMTP,
//! FTP and whois (any text).

use super::{n, s};
use crate::summary::kit::trunc;

/// A text protocol as tcpdump's printer for it calls txtproto_print.
pub struct Proto {
    /// What is printed (nd_print_protocol_caps): `HTTP`.
    pub name: &'static str,
    /// In the truncation mark: `[|http]`.
    pub trunc: &'static str,
    /// The request names: a segment is printed only when it starts with one, or with a
    /// status line. `None`: every segment is (SMTP, FTP, whois).
    pub cmds: Option<&'static [&'static str]>,
}

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
fn line(
    out: &mut Vec<u8>,
    proto: &Proto,
    prefix: &str,
    p: &[u8],
    idx: usize,
    len: usize,
) -> Result<usize, Cut> {
    let start = idx;
    let mut i = idx;
    let (linelen, next) = loop {
        if i >= len {
            // Printable to the end but no line ending: tcpdump prints it as cut.
            s(out, prefix);
            out.extend_from_slice(&p[start..i]);
            trunc(out, proto.trunc);
            super::returned();
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
pub(super) fn print(out: &mut Vec<u8>, proto: &Proto, p: &[u8], len: u32, verbose: u8) {
    let len = len as usize;
    let mut show = proto.cmds.is_none();
    if let Some(cmds) = proto.cmds {
        let mut tok: &[u8] = &[];
        if let Some(idx) = token(p, 0, len, &mut tok) {
            show = cmds.iter().any(|m| m.as_bytes().eq_ignore_ascii_case(tok));
            // A status line: the second token is three digits (RESP_CODE_SECOND_TOKEN, as
            // both HTTP and RTSP ask).
            if token(p, idx, len, &mut tok).is_some()
                && tok.len() == 3
                && tok.iter().all(u8::is_ascii_digit)
            {
                show = true;
            }
        }
    }
    s(out, proto.name);
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
            match line(out, proto, "\n\t", p, idx, len) {
                Ok(0) => break Ok(()),
                Ok(next) => idx = next,
                Err(c) => break Err(c),
            }
        }
    } else {
        line(out, proto, ": ", p, 0, len).map(|_| ())
    };
    if r.is_err() {
        // print_txt_line's GET_U_1 jumped.
        trunc(out, proto.trunc);
        super::long_jump();
    }
}
