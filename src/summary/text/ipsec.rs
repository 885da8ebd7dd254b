//! IPsec headers (print-ah.c, print-esp.c): named with their SPI and sequence number; ESP's
//! payload stays opaque (tcpdump decrypts only with a secret, which nscap does not take).

use super::{n, s};
use crate::summary::digits;
use crate::summary::kit::{be16, be32, trunc};

/// An authentication header at the start of `b` (the bytes captured from it on), as
/// print-ah.c writes it; its length, to go on with the header after it, or None when the line
/// ends here (cut). `ip-demux` checks for one byte without jumping; ah_print's reads jump.
pub(super) fn ah(out: &mut Vec<u8>, b: &[u8], verbose: bool) -> Option<usize> {
    if b.is_empty() {
        trunc(out, "ah");
        return None;
    }
    let cut = |out: &mut Vec<u8>| {
        trunc(out, "ah");
        super::long_jump();
        None
    };
    s(out, "AH");
    let Some(&len) = b.get(1) else {
        return cut(out);
    };
    let whole = (usize::from(len) + 2) * 4;
    out.push(b'(');
    if verbose {
        s(out, "length=");
        n(out, len);
        out.push(b'(');
        n(out, whole as u64);
        s(out, "-bytes),");
    }
    let Some(reserved) = be16(b, 2) else {
        return cut(out);
    };
    if reserved != 0 {
        s(out, "reserved=0x");
        digits::hex(out, u64::from(reserved));
        s(out, "[MustBeZero],");
    }
    let Some(spi) = be32(b, 4) else {
        return cut(out);
    };
    s(out, "spi=0x");
    digits::hex_padded(out, u64::from(spi), 8);
    out.push(b',');
    let Some(seq) = be32(b, 8) else {
        return cut(out);
    };
    s(out, "seq=0x");
    digits::hex(out, u64::from(seq));
    s(out, ",icv=0x");
    for i in 12..whole {
        let Some(&x) = b.get(i) else {
            return cut(out);
        };
        digits::byte_hex(out, x);
    }
    s(out, "): ");
    Some(whole)
}

/// `ESP(spi=0x…,seq=0x…), length N`; `len`: the IP payload's length. tcpdump wants more than the
/// 8-byte header captured.
pub(super) fn esp(out: &mut Vec<u8>, b: &[u8], len: u32) {
    let (Some(spi), Some(seq), true) = (be32(b, 0), be32(b, 4), b.len() > 8) else {
        return trunc(out, "esp");
    };
    s(out, "ESP(spi=0x");
    digits::hex_padded(out, u64::from(spi), 8);
    s(out, ",seq=0x");
    digits::hex(out, u64::from(seq));
    s(out, "), length ");
    n(out, len);
}
