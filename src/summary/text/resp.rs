//! print-resp.c: Redis's protocol (RESP) on TCP port 6379, as tcpdump 4.99 prints it:
//! `RESP "LRANGE" "mylist" "0" "9"`. Every item of the segment in turn (pipelined commands
//! too): simple strings, errors and integers and bulk strings quoted, arrays as their items,
//! `empty`, `null`, and anything else as an inline command line. Whatever runs past the segment
//! or the capture ends the line with ` [|resp]`, as tcpdump's longjmp does.

use crate::summary::dns::print_char;
use crate::summary::kit::trunc;

/// The segment's captured bytes; what the TCP header says is left goes along as `left`.
struct Seg<'a> {
    b: &'a [u8],
}

/// `resp_get_length`'s answers that are not a length.
const TRUNCATED: i64 = -2;
const TOO_LARGE: i64 = -3;
const NEGATIVE: i64 = -4;
const INVALID: i64 = -5;

impl Seg<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    /// A read by tcpdump's GET_U_1, which gives up by a long jump when the capture ends there
    /// (its other checks return): the dumps then start at the frame's first byte.
    fn get(&self, i: usize) -> Option<u8> {
        let c = self.at(i);
        if c.is_none() {
            super::long_jump();
        }
        c
    }

    /// ` "<bytes>"`, each byte as tcpdump's fn_print_char shows it; `None` when the capture
    /// ends inside.
    fn segment(&self, out: &mut Vec<u8>, from: usize, len: usize) -> Option<()> {
        out.extend_from_slice(b" \"");
        let end = from.checked_add(len)?;
        for &c in self.b.get(from..end.min(self.b.len())).unwrap_or(&[]) {
            print_char(out, c);
        }
        if end > self.b.len() {
            return None;
        }
        out.push(b'"');
        Some(())
    }

    /// FIND_CRLF: the index of the next `\r\n` from `p`, with `left` counting down.
    fn find_crlf(&self, mut p: usize, left: &mut usize) -> Option<usize> {
        loop {
            if *left < 2 {
                return None;
            }
            match (self.at(p)?, self.at(p + 1)?) {
                (b'\r', b'\n') => return Some(p),
                _ => {
                    p += 1;
                    *left -= 1;
                }
            }
        }
    }

    /// CONSUME_CR_OR_LF: past every `\r` and `\n` at `p`; at least one must be there when the
    /// data ends.
    fn consume_cr_or_lf(&self, mut p: usize, left: &mut usize) -> Option<usize> {
        let mut found = false;
        loop {
            let c = match self.at(p) {
                Some(c) if *left > 0 => c,
                _ if found => return Some(p),
                _ => return None,
            };
            if c != b'\r' && c != b'\n' {
                return Some(p);
            }
            found = true;
            p += 1;
            *left -= 1;
        }
    }

    /// One item at `p` (an array with all its items); how many bytes it took, `None` to end
    /// the line truncated. Arrays nest without recursion: a segment of `*1\r\n` repeated
    /// thousands of times would otherwise run out of stack. What enclosing arrays still hold
    /// is kept on a list that grows only when an array is not their last item.
    fn parse(&self, out: &mut Vec<u8>, mut p: usize, left: usize) -> Option<usize> {
        let mut cur = left;
        // Items still to come at this level, and at the levels around it.
        let mut remaining: i64 = 1;
        let mut outer: Vec<i64> = Vec::new();
        loop {
            if remaining == 0 {
                match outer.pop() {
                    Some(r) => {
                        remaining = r;
                        continue;
                    }
                    None => break,
                }
            }
            remaining -= 1;
            if cur < 1 {
                return None;
            }
            let took = match self.get(p)? {
                b'+' | b'-' | b':' => self.string_error_integer(out, p, cur)?,
                b'$' => self.bulk_string(out, p, cur)?,
                b'*' => {
                    let (n, body, rest) = self.counted(p, cur);
                    match n {
                        1.. => {
                            if remaining > 0 {
                                outer.push(remaining);
                            }
                            remaining = n;
                        }
                        0 => out.extend_from_slice(b" empty"),
                        TRUNCATED => return None,
                        _ => self.not_a_length(out, n),
                    }
                    let _ = rest;
                    body - p
                }
                _ => self.inline(out, p, cur)?,
            };
            p += took;
            cur -= took;
        }
        Some(left - cur)
    }

    fn string_error_integer(&self, out: &mut Vec<u8>, p: usize, left: usize) -> Option<usize> {
        let mut cur = left - 1;
        let start = p + 1;
        let end = self.find_crlf(start, &mut cur)?;
        self.segment(out, start, end - start)?;
        Some(1 + (end - start) + 2)
    }

    fn bulk_string(&self, out: &mut Vec<u8>, p: usize, left: usize) -> Option<usize> {
        let (n, mut p, mut cur) = self.counted(p, left);
        match n {
            0.. => {
                let n = n as usize;
                if n == 0 {
                    out.extend_from_slice(b" empty");
                } else {
                    if cur < n || p + n > self.b.len() {
                        return None;
                    }
                    self.segment(out, p, n)?;
                    p += n;
                    cur -= n;
                }
                // The `\r\n` that ends it, wherever it is.
                self.find_crlf(p, &mut cur)?;
                cur -= 2;
            }
            TRUNCATED => return None,
            _ => self.not_a_length(out, n),
        }
        Some(left - cur)
    }

    /// `$` or `*` at `p` and the count after it (GET_LENGTH): the count (or a code), where the
    /// item's body starts, and what is left of the segment from there.
    fn counted(&self, p: usize, left: usize) -> (i64, usize, usize) {
        let from = p + 1;
        let (n, body) = self.length(from, left - 1);
        (n, body, (left - 1).saturating_sub(body - from))
    }

    fn not_a_length(&self, out: &mut Vec<u8>, n: i64) {
        out.extend_from_slice(match n {
            -1 => b" null".as_slice(),
            TOO_LARGE => b" length too large",
            NEGATIVE => b" length negative and not -1",
            _ => b" invalid",
        });
    }

    /// A line of its own (telnet-style commands): up to the next `\r` or `\n`.
    fn inline(&self, out: &mut Vec<u8>, p: usize, left: usize) -> Option<usize> {
        let mut cur = left;
        let start = self.consume_cr_or_lf(p, &mut cur)?;
        let mut q = start;
        loop {
            if cur < 1 {
                return None;
            }
            match self.get(q)? {
                b'\r' | b'\n' => break,
                _ => {
                    q += 1;
                    cur -= 1;
                }
            }
        }
        self.segment(out, start, q - start)?;
        self.consume_cr_or_lf(q, &mut cur)?;
        Some(left - cur)
    }

    /// resp_get_length: `<digits>\r\n` (or `-1`) at `p`, within `l` bytes of the segment:
    /// the length or one of the codes above, and where the reading stopped (GET_LENGTH takes
    /// that much off what is left, whatever it said).
    fn length(&self, mut p: usize, mut l: usize) -> (i64, usize) {
        const MAX: i64 = i32::MAX as i64;
        if l == 0 {
            return (TRUNCATED, p);
        }
        let Some(first) = self.get(p) else {
            return (TRUNCATED, p);
        };
        let neg = first == b'-';
        if neg {
            p += 1;
            l -= 1;
        }
        let (mut result, mut saw_digit, mut too_large) = (0i64, false, false);
        loop {
            if l == 0 {
                return (TRUNCATED, p);
            }
            let Some(c) = self.get(p) else {
                return (TRUNCATED, p);
            };
            if !c.is_ascii_digit() {
                if !saw_digit {
                    return (INVALID, p + 1);
                }
                break;
            }
            let c = i64::from(c - b'0');
            if result > MAX / 10 {
                too_large = true;
            } else {
                result *= 10;
                if result == (MAX / 10) * 10 && c > MAX % 10 {
                    too_large = true;
                } else {
                    result += c;
                }
            }
            p += 1;
            l -= 1;
            saw_digit = true;
        }
        if self.at(p) != Some(b'\r') {
            return (INVALID, p + 1);
        }
        p += 1;
        l -= 1;
        if l == 0 {
            return (TRUNCATED, p);
        }
        match self.get(p) {
            None => return (TRUNCATED, p),
            Some(b'\n') => {}
            Some(_) => return (INVALID, p + 1),
        }
        p += 1;
        if neg {
            return (
                if too_large || result != 1 {
                    NEGATIVE
                } else {
                    -1
                },
                p,
            );
        }
        (if too_large { TOO_LARGE } else { result }, p)
    }
}

/// After `: ` would come: ` RESP` and every item of the segment (`b`, captured; `len`, its
/// length in the TCP header).
pub(super) fn print(out: &mut Vec<u8>, b: &[u8], len: usize) {
    out.extend_from_slice(b": RESP");
    let seg = Seg { b };
    let (mut p, mut left) = (0, len);
    while left > 0 {
        match seg.parse(out, p, left) {
            Some(took) => {
                p += took;
                left -= took;
            }
            None => return trunc(out, "resp"),
        }
    }
}
