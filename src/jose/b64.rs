//! Strict base64url (RFC 4648 §5): alphabet `[A-Za-z0-9_-]`, no padding, no
//! whitespace, canonical trailing bits. The reference (Node `Buffer.from(s, "base64")`)
//! skips junk characters; we do not (docs/security.md JW-9).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

const INVALID: u8 = 0xFF;

/// base64url alphabet value of each byte, or `INVALID`.
static TABLE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Decodes a strict base64url segment. `None` for any deviation.
///
/// The hot path of every token read (the ciphertext segment), so it is a
/// table-driven loop rather than the general-purpose engine, which stays the
/// reference in the tests.
pub fn decode(segment: &str) -> Option<Vec<u8>> {
    let mut out = vec![0u8; decoded_len(segment.len())?];
    decode_into(segment.as_bytes(), &mut out)?;
    Some(out)
}

/// Decodes into a fixed-size array; `None` unless the decoded length is exactly `N`.
pub fn decode_array<const N: usize>(segment: &str) -> Option<[u8; N]> {
    if decoded_len(segment.len())? != N {
        return None;
    }
    let mut out = [0u8; N];
    decode_into(segment.as_bytes(), &mut out)?;
    Some(out)
}

/// Bytes that `len` characters of unpadded base64 carry; `None` for a length
/// no encoding has.
fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        1 => None,
        rem => Some(len / 4 * 3 + rem.saturating_sub(1)),
    }
}

/// Decodes `b` into `out`, which is exactly [`decoded_len`] bytes long.
fn decode_into(b: &[u8], out: &mut [u8]) -> Option<()> {
    let rem = b.len() % 4;
    let (full, tail) = b.split_at(b.len() - rem);
    let (out_full, out_tail) = out.split_at_mut(full.len() / 4 * 3);
    let mut bad = 0u8;
    for (q, o) in full.chunks_exact(4).zip(out_full.chunks_exact_mut(3)) {
        let (a, b, c, d) = (
            TABLE[q[0] as usize],
            TABLE[q[1] as usize],
            TABLE[q[2] as usize],
            TABLE[q[3] as usize],
        );
        bad |= a | b | c | d;
        let n = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
        o[0] = (n >> 16) as u8;
        o[1] = (n >> 8) as u8;
        o[2] = n as u8;
    }
    if bad & 0xC0 != 0 {
        return None;
    }
    match (tail, out_tail) {
        ([], []) => {}
        (&[x, y], [o0]) => {
            let (a, b) = (TABLE[x as usize], TABLE[y as usize]);
            // 12 bits carry 8: the last 4 must be zero (canonical encoding).
            if (a | b) & 0xC0 != 0 || b & 0x0F != 0 {
                return None;
            }
            *o0 = (a << 2) | (b >> 4);
        }
        (&[x, y, z], [o0, o1]) => {
            let (a, b, c) = (TABLE[x as usize], TABLE[y as usize], TABLE[z as usize]);
            // 18 bits carry 16: the last 2 must be zero.
            if (a | b | c) & 0xC0 != 0 || c & 0x03 != 0 {
                return None;
            }
            *o0 = (a << 2) | (b >> 4);
            *o1 = (b << 4) | (c >> 2);
        }
        _ => return None,
    }
    Some(())
}

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_padding_whitespace_and_junk() {
        assert_eq!(decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(decode("YQ=="), None);
        assert_eq!(decode("Y Q"), None);
        assert_eq!(decode("Y!Q"), None);
        assert_eq!(decode("YQ+/"), None);
        // Non-canonical trailing bits ("YR" also decodes to "a" in lenient decoders).
        assert_eq!(decode("YR"), None);
        assert_eq!(decode("Y"), None);
    }

    #[test]
    fn agrees_with_the_base64_crate() {
        let mut x: u64 = 0x243F_6A88_85A3_08D3;
        let chars = b"ABCXYZabcxyz0189-_+/= .!\xc3";
        for len in 0..40 {
            for _ in 0..400 {
                let mut s = Vec::with_capacity(len);
                for _ in 0..len {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // mostly alphabet bytes, sometimes junk
                    let c = if x % 8 == 0 {
                        chars[(x >> 8) as usize % chars.len()]
                    } else {
                        chars[(x >> 8) as usize % 18]
                    };
                    s.push(c);
                }
                let s = String::from_utf8_lossy(&s).into_owned();
                assert_eq!(
                    decode(&s),
                    URL_SAFE_NO_PAD.decode(s.as_bytes()).ok(),
                    "{s:?}"
                );
            }
        }
        let bytes: Vec<u8> = (0..=255).collect();
        for n in 0..bytes.len() {
            assert_eq!(decode(&encode(&bytes[..n])).as_deref(), Some(&bytes[..n]));
        }
    }

    #[test]
    fn fixed_size() {
        let iv = [7u8; 12];
        let s = encode(&iv);
        assert_eq!(decode_array::<12>(&s), Some(iv));
        assert_eq!(decode_array::<16>(&s), None);
        assert_eq!(decode_array::<12>(&(s.clone() + "A")), None);
        assert_eq!(decode_array::<1>("YR"), None);
        assert_eq!(decode_array::<1>("YQ"), Some(*b"a"));
        assert_eq!(decode_array::<16>(&"A".repeat(21)), None);
    }
}
