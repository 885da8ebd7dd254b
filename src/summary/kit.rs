//! The printers' kit, as tcpdump's extract.h: big-endian reads of a field at an offset, and
//! the ` [|proto]` mark a printer leaves where the packet ends before its fields do.
//!
//! Every read is checked and says `None` past the end, whatever the caller then does (give
//! up with a cut mark, or print 0 where it has checked the length already): one behaviour for
//! short input, instead of one per printer. They are `#[inline]` and compile to one length
//! compare, which LLVM drops where the caller has checked the length itself.

/// The end of a read of `n` bytes at `at`: wraps instead of overflowing, and a wrapped end
/// lies before `at`, which `get` refuses (so no separate overflow check on the hot path).
#[inline]
fn end(at: usize, n: usize) -> usize {
    at.wrapping_add(n)
}

/// The byte at `at` (tcpdump's GET_U_1).
#[inline]
pub fn byte(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

/// The 16-bit big-endian field at `at` (GET_BE_U_2).
#[inline]
pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    let v = b.get(at..end(at, 2))?;
    Some(u16::from_be_bytes([v[0], v[1]]))
}

/// The 24-bit big-endian field at `at` (GET_BE_U_3), as the low bits of a u32.
#[inline]
pub fn be24(b: &[u8], at: usize) -> Option<u32> {
    let v = b.get(at..end(at, 3))?;
    Some(u32::from_be_bytes([0, v[0], v[1], v[2]]))
}

/// The 32-bit big-endian field at `at` (GET_BE_U_4).
#[inline]
pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    let v = b.get(at..end(at, 4))?;
    Some(u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
}

/// The 64-bit big-endian field at `at` (GET_BE_U_8).
#[inline]
pub fn be64(b: &[u8], at: usize) -> Option<u64> {
    let v = b.get(at..end(at, 8))?;
    let mut w = [0u8; 8];
    w.copy_from_slice(v);
    Some(u64::from_be_bytes(w))
}

/// The IPv6 address at `at` (the read of GET_IP6ADDR_STRING).
#[inline]
pub fn ip6(b: &[u8], at: usize) -> Option<[u8; 16]> {
    b.get(at..end(at, 16))?.try_into().ok()
}

/// tcpdump's truncation mark, ` [|proto]` (nd_print_trunc and the `[|` of its printers).
#[inline]
pub fn trunc(out: &mut Vec<u8>, proto: &str) {
    out.extend_from_slice(b" [|");
    out.extend_from_slice(proto.as_bytes());
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(byte(&b, 7), Some(8));
        assert_eq!(byte(&b, 8), None);
        assert_eq!(be16(&b, 6), Some(0x0708));
        assert_eq!(be16(&b, 7), None);
        assert_eq!(be24(&b, 5), Some(0x06_0708));
        assert_eq!(be24(&b, 6), None);
        assert_eq!(be32(&b, 4), Some(0x0506_0708));
        assert_eq!(be32(&b, 5), None);
        assert_eq!(be64(&b, 0), Some(0x0102_0304_0506_0708));
        assert_eq!(be64(&b, 1), None);
        assert_eq!(be32(&b, usize::MAX - 1), None);
    }

    #[test]
    fn trunc_mark() {
        let mut out = b"IP".to_vec();
        trunc(&mut out, "ip");
        assert_eq!(out, b"IP [|ip]");
    }
}
