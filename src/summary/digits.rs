//! Number and address formatting straight into the caller's buffer: `write!` goes through
//! `std::fmt::Arguments` and is several times slower than these on the per-packet path.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `N` zero bytes and returns where they start: the caller writes its bytes there and
/// truncates `out` to their end. Both steps are a few moves, where `extend_from_slice` of a
/// length known only at run time is a call to memcpy (an eighth of `-r`'s instructions), and
/// composing in a stack array copied over as one block stalled on store forwarding (bytes
/// stored one by one, then loaded 16 at a time: a third of `u64`'s time).
#[inline(always)]
fn room<const N: usize>(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0u8; N]);
    at
}

/// The eight decimal digits of `n` (< 10^8), zero-padded, as ASCII bytes in the order they
/// are written (little-endian), computed in a register: 4+4 digits, then 2+2 in each half,
/// then 1+1, each step a multiply-shift in every lane at once.
#[inline(always)]
fn eight_digits(n: u32) -> u64 {
    let n = u64::from(n);
    let v = (n / 10_000) | ((n % 10_000) << 32);
    // x / 100 for x < 10^4 is (x * 5243) >> 19.
    let q = ((v * 5243) >> 19) & 0x0000_007f_0000_007f;
    let v = q | (v - q * 100) << 16;
    // x / 10 for x < 100 is (x * 103) >> 10.
    let q = ((v * 103) >> 10) & 0x000f_000f_000f_000f;
    let v = q | (v - q * 10) << 8;
    v | 0x3030_3030_3030_3030
}

/// Appends the first `len` (at most 8) bytes of `ascii`: one 8-byte store from a register,
/// then a truncation (see [`room`] for why not a copy of `len` bytes).
#[inline(always)]
fn put8(out: &mut Vec<u8>, ascii: u64, len: usize) {
    let at = out.len();
    out.extend_from_slice(&ascii.to_le_bytes());
    out.truncate(at + len);
}

pub fn u64(out: &mut Vec<u8>, n: u64) {
    if n < 10 {
        out.push(b'0' + n as u8);
        return;
    }
    if n < 100_000_000 {
        let len = (n as u32).ilog10() as usize + 1;
        put8(out, eight_digits(n as u32) >> (8 * (8 - len)), len);
        return;
    }
    u64(out, n / 100_000_000);
    padded(out, n, 8);
}

pub fn i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    u64(out, n.unsigned_abs());
}

/// Exactly `width` digits, zero-padded (the lowest ones if `n` is wider).
pub fn padded(out: &mut Vec<u8>, n: u64, width: usize) {
    if width > 8 {
        padded(out, n / 100_000_000, width - 8);
        put8(out, eight_digits((n % 100_000_000) as u32), 8);
    } else if width > 0 {
        put8(
            out,
            eight_digits((n % 100_000_000) as u32) >> (8 * (8 - width)),
            width,
        );
    }
}

/// Right-aligned in `width` columns, as printf's `%5u`.
pub fn right(out: &mut Vec<u8>, n: u64, width: usize) {
    let digits = n.checked_ilog10().map_or(1, |l| l as usize + 1);
    for _ in digits..width {
        out.push(b' ');
    }
    u64(out, n);
}

/// How many hex digits `n` takes without leading zeros (1 for zero).
fn hex_digits(n: u64) -> usize {
    (64 - n.leading_zeros() as usize).div_ceil(4).max(1)
}

/// Lower-case hex, no leading zeros (`0` for zero).
pub fn hex(out: &mut Vec<u8>, n: u64) {
    let len = hex_digits(n);
    let at = room::<16>(out);
    let mut n = n;
    for slot in out[at..at + len].iter_mut().rev() {
        *slot = HEX[(n & 15) as usize];
        n >>= 4;
    }
    out.truncate(at + len);
}

/// Lower-case hex, zero-padded to at least `width` digits (`%04x`).
pub fn hex_padded(out: &mut Vec<u8>, n: u64, width: usize) {
    for _ in hex_digits(n)..width {
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

/// Each byte value's decimal digits as ASCII, little-endian in the low three bytes, and their
/// count in the top byte.
const OCTETS: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let d = [(i / 100) as u32, (i / 10 % 10) as u32, (i % 10) as u32];
        t[i] = if i >= 100 {
            (b'0' as u32 + d[0]) | (b'0' as u32 + d[1]) << 8 | (b'0' as u32 + d[2]) << 16 | 3 << 24
        } else if i >= 10 {
            (b'0' as u32 + d[1]) | (b'0' as u32 + d[2]) << 8 | 2 << 24
        } else {
            (b'0' as u32 + d[2]) | 1 << 24
        };
        i += 1;
    }
    t
};

/// A dotted quad: each octet's digits and a dot after them as one 4-byte store (the last dot
/// is cut off).
pub fn ipv4(out: &mut Vec<u8>, a: [u8; 4]) {
    let mut at = room::<16>(out);
    for b in a {
        let e = OCTETS[usize::from(b)];
        let len = (e >> 24) as usize;
        let word = (e & 0x00ff_ffff) | u32::from(b'.') << (8 * len);
        out[at..at + 4].copy_from_slice(&word.to_le_bytes());
        at += len + 1;
    }
    out.truncate(at - 1);
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
    let mut i = 0;
    while i < 8 {
        if i == best {
            out.extend_from_slice(b"::");
            i += best_len;
            continue;
        }
        // Dotted tail for ::a.b.c.d and ::ffff:a.b.c.d, as inet_ntop does.
        if i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            ipv4(out, [a[12], a[13], a[14], a[15]]);
            return;
        }
        hex(out, u64::from(w[i]));
        i += 1;
        if i < 8 && i != best {
            out.push(b':');
        }
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
        let mut p = 1u64;
        for _ in 0..20 {
            for n in [
                p - 1,
                p,
                p + 1,
                p.saturating_mul(7) / 3,
                p.wrapping_mul(10).wrapping_sub(1),
            ] {
                assert_eq!(s(|o| u64(o, n)), n.to_string());
            }
            p = p.saturating_mul(10);
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
