//! Number and address formatting straight into the caller's buffer: `write!` goes through
//! `std::fmt::Arguments` and is several times slower than these on the per-packet path.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// "00" to "99": two digits per division halves the work of the digit loop.
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Appends all of `buf` and keeps its first `len` bytes: a copy of a size known when compiling
/// is a few moves, where `extend_from_slice(&buf[..len])` is a call to memcpy, and those calls
/// were an eighth of `-r`'s instructions.
#[inline(always)]
fn put_first<const N: usize>(out: &mut Vec<u8>, buf: &[u8; N], len: usize) {
    let at = out.len();
    out.extend_from_slice(buf);
    out.truncate(at + len);
}

/// How many decimal digits `n` has.
#[inline(always)]
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// Writes the lowest `len` decimal digits of `n` into the front of `buf`, two at a time.
#[inline(always)]
fn fill_digits(buf: &mut [u8], mut n: u64, len: usize) {
    let mut i = len;
    while i >= 2 {
        let r = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i] = PAIRS[r];
        buf[i + 1] = PAIRS[r + 1];
    }
    if i == 1 {
        buf[0] = b'0' + (n % 10) as u8;
    }
}

pub fn u64(out: &mut Vec<u8>, n: u64) {
    if n < 10 {
        out.push(b'0' + n as u8);
        return;
    }
    if n < 100 {
        let r = n as usize * 2;
        out.extend_from_slice(&[PAIRS[r], PAIRS[r + 1]]);
        return;
    }
    // Lengths, ports and relative sequence numbers: most numbers on a line have 3 or 4 digits.
    if n < 10_000 {
        let (hi, lo) = (n as usize / 100, n as usize % 100 * 2);
        let len = if hi < 10 { 3 } else { 4 };
        let buf = if hi < 10 {
            [b'0' + hi as u8, PAIRS[lo], PAIRS[lo + 1], 0]
        } else {
            [PAIRS[hi * 2], PAIRS[hi * 2 + 1], PAIRS[lo], PAIRS[lo + 1]]
        };
        put_first(out, &buf, len);
        return;
    }
    let len = digits(n);
    let mut buf = [0u8; 20];
    fill_digits(&mut buf, n, len);
    put_first(out, &buf, len);
}

pub fn i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    u64(out, n.unsigned_abs());
}

/// Exactly `width` digits, zero-padded (the lowest ones if `n` is wider).
pub fn padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut buf = [0u8; 20];
    let width = width.min(buf.len());
    fill_digits(&mut buf, n, width);
    put_first(out, &buf, width);
}

/// Right-aligned in `width` columns, as printf's `%5u`.
pub fn right(out: &mut Vec<u8>, n: u64, width: usize) {
    let digits = n.checked_ilog10().map_or(1, |l| l as usize + 1);
    for _ in digits..width {
        out.push(b' ');
    }
    u64(out, n);
}

/// Lower-case hex, no leading zeros (`0` for zero).
pub fn hex(out: &mut Vec<u8>, n: u64) {
    let len = if n == 0 {
        1
    } else {
        (64 - n.leading_zeros() as usize).div_ceil(4)
    };
    let mut buf = [0u8; 16];
    let mut n = n;
    for slot in buf[..len].iter_mut().rev() {
        *slot = HEX[(n & 15) as usize];
        n >>= 4;
    }
    put_first(out, &buf, len);
}

/// Lower-case hex, zero-padded to at least `width` digits (`%04x`).
pub fn hex_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    let digits = if n == 0 {
        1
    } else {
        (64 - n.leading_zeros() as usize).div_ceil(4)
    };
    for _ in digits..width {
        out.push(b'0');
    }
    hex(out, n);
}

/// `0x` and exactly four hex digits, as tcpdump prints ethertypes.
pub fn hex16(out: &mut Vec<u8>, n: u16) {
    out.extend_from_slice(b"0x");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((n >> shift) & 15) as usize]);
    }
}

pub fn byte_hex(out: &mut Vec<u8>, b: u8) {
    out.push(HEX[(b >> 4) as usize]);
    out.push(HEX[(b & 15) as usize]);
}

pub fn mac(out: &mut Vec<u8>, m: &[u8]) {
    for (i, b) in m.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        byte_hex(out, *b);
    }
}

pub fn ipv4(out: &mut Vec<u8>, a: [u8; 4]) {
    let mut buf = [0u8; 16];
    let mut at = 0;
    for (i, &b) in a.iter().enumerate() {
        if i > 0 {
            buf[at] = b'.';
            at += 1;
        }
        let b = usize::from(b);
        if b >= 100 {
            buf[at] = b'0' + (b / 100) as u8;
            at += 1;
        }
        if b >= 10 {
            buf[at] = PAIRS[b % 100 * 2];
            at += 1;
        }
        buf[at] = PAIRS[b % 100 * 2 + 1];
        at += 1;
    }
    put_first(out, &buf, at);
}

/// RFC 5952 form, as glibc's inet_ntop writes it (tcpdump's reference): longest run of two or
/// more zero groups becomes `::`, and IPv4-mapped/compatible addresses end in a dotted quad.
pub fn ipv6(out: &mut Vec<u8>, a: [u8; 16]) {
    let mut w = [0u16; 8];
    for (i, g) in w.iter_mut().enumerate() {
        *g = u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
    }
    let (mut best, mut best_len, mut cur, mut cur_len) = (usize::MAX, 0, usize::MAX, 0);
    for (i, g) in w.iter().enumerate() {
        if *g == 0 {
            if cur == usize::MAX {
                cur = i;
                cur_len = 0;
            }
            cur_len += 1;
            if cur_len > best_len {
                best = cur;
                best_len = cur_len;
            }
        } else {
            cur = usize::MAX;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    // The dotted tail is written apart; the groups go to one buffer appended as one copy.
    let dotted = best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff));
    let groups = if dotted { 6 } else { 8 };
    let mut buf = [0u8; 40];
    let mut at = 0;
    let mut i = 0;
    while i < groups {
        if i == best {
            buf[at] = b':';
            buf[at + 1] = b':';
            at += 2;
            i += best_len;
            continue;
        }
        let g = w[i];
        let len = (16 - g.leading_zeros() as usize).div_ceil(4).max(1);
        for k in 0..len {
            buf[at + k] = HEX[usize::from(g >> (4 * (len - 1 - k)) & 15)];
        }
        at += len;
        i += 1;
        if i < 8 && i != best {
            buf[at] = b':';
            at += 1;
        }
    }
    put_first(out, &buf, at);
    if dotted {
        ipv4(out, [a[12], a[13], a[14], a[15]]);
    }
}

/// Doubles every backslash in `out[from..]`, in place: text written with `\ddd` escapes (DNS
/// names) becomes a valid JSON string body without a second buffer.
pub fn json_backslashes_from(out: &mut Vec<u8>, from: usize) {
    backslash_from(out, from, |b| b == b'\\');
}

/// Puts a backslash before every byte of `out[from..]` that `needs` picks, in place, working
/// from the end so that nothing is copied twice.
pub fn backslash_from(out: &mut Vec<u8>, from: usize, needs: impl Fn(u8) -> bool) {
    let extra = out[from..].iter().filter(|&&b| needs(b)).count();
    if extra == 0 {
        return;
    }
    let old = out.len();
    out.resize(old + extra, 0);
    let (mut r, mut w) = (old, old + extra);
    while r > from {
        r -= 1;
        w -= 1;
        out[w] = out[r];
        if needs(out[r]) {
            w -= 1;
            out[w] = b'\\';
        }
    }
}

/// A JSON string body (without quotes): escapes what JSON requires, passes UTF-8 through and
/// replaces invalid bytes so the output always parses.
pub fn json_str(out: &mut Vec<u8>, s: &[u8]) {
    for chunk in s.utf8_chunks() {
        for &b in chunk.valid().as_bytes() {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                0..=0x1f => {
                    out.extend_from_slice(b"\\u00");
                    byte_hex(out, b);
                }
                _ => out.push(b),
            }
        }
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn numbers() {
        assert_eq!(s(|o| u64(o, 0)), "0");
        assert_eq!(s(|o| u64(o, u64::MAX)), "18446744073709551615");
        for n in [
            1,
            9,
            10,
            99,
            100,
            101,
            109,
            999,
            1000,
            1009,
            9999,
            10_000,
            65535,
            1_000_000_007,
        ] {
            assert_eq!(s(|o| u64(o, n)), n.to_string());
        }
        assert_eq!(s(|o| i64(o, -42)), "-42");
        assert_eq!(s(|o| i64(o, i64::MIN)), "-9223372036854775808");
        assert_eq!(s(|o| padded(o, 7, 6)), "000007");
        assert_eq!(s(|o| hex(o, 0x2a)), "2a");
        assert_eq!(s(|o| hex16(o, 0x800)), "0x0800");
        for n in [0, 1, 0xf, 0x10, 0xabc, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(s(|o| hex(o, n)), format!("{n:x}"));
        }
        for n in [0, 5, 10, 99, 100, 999, 1000, 123_456, u64::MAX] {
            for w in [1, 3, 6, 9, 20] {
                let want = format!("{n:0w$}");
                assert_eq!(s(|o| padded(o, n, w)), want[want.len() - w..]);
            }
        }
        // Appending keeps what the buffer held.
        let mut v = b"x=".to_vec();
        u64(&mut v, 1234);
        ipv4(&mut v, [10, 0, 200, 9]);
        assert_eq!(v, b"x=123410.0.200.9");
    }

    #[test]
    fn ipv4_matches_the_standard_library() {
        for a in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 0, 99, 100],
            [1, 22, 133, 9],
        ] {
            assert_eq!(s(|o| ipv4(o, a)), std::net::Ipv4Addr::from(a).to_string());
        }
    }

    #[test]
    fn ipv6_matches_the_standard_library() {
        let cases: [&str; 12] = [
            "::",
            "::1",
            "fe80::1",
            "ff02::1:ff00:2",
            "2001:db8::1:0:0:1",
            "2001:db8:0:1:1:1:1:1",
            "1::",
            "1:0:0:2::3",
            "::ffff:1.2.3.4",
            "2001:db8:85a3::8a2e:370:7334",
            "1:2:3:4:5:6:7:8",
            "0:1::",
        ];
        for c in cases {
            let a: std::net::Ipv6Addr = c.parse().unwrap();
            assert_eq!(s(|o| ipv6(o, a.octets())), a.to_string(), "{c}");
        }
        // Addresses with zero groups in every place (a cheap generator, no crate): each group
        // zero, small or large by turns.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut a = [0u8; 16];
            for g in a.chunks_mut(2) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = match x % 4 {
                    0 | 1 => 0,
                    2 => (x >> 8) as u16 & 0xf,
                    _ => (x >> 16) as u16,
                };
                g.copy_from_slice(&v.to_be_bytes());
            }
            if a[..12].iter().all(|&b| b == 0) {
                continue; // the IPv4-compatible form, below
            }
            let want = std::net::Ipv6Addr::from(a).to_string();
            assert_eq!(s(|o| ipv6(o, a)), want);
        }
        // glibc writes IPv4-compatible addresses with a dotted tail; Rust no longer does.
        let a: std::net::Ipv6Addr = "::102:304".parse().unwrap();
        assert_eq!(s(|o| ipv6(o, a.octets())), "::1.2.3.4");
    }

    #[test]
    fn json_strings_always_parse() {
        assert_eq!(s(|o| json_str(o, b"a\"b\\c\n")), "a\\\"b\\\\c\\u000a");
        assert_eq!(s(|o| json_str(o, b"x\xffy")), "x\u{fffd}y");
    }
}
