//! Strict base64url (RFC 4648 §5): alphabet `[A-Za-z0-9_-]`, no padding, no
//! whitespace, canonical trailing bits. The reference (Node `Buffer.from(s, "base64")`)
//! skips junk characters; we do not (security.md JW-9).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Decodes a strict base64url segment. `None` for any deviation.
pub fn decode(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment.as_bytes()).ok()
}

/// Decodes into a fixed-size array; `None` unless the decoded length is exactly `N`.
pub fn decode_array<const N: usize>(segment: &str) -> Option<[u8; N]> {
    // Strict base64url of N bytes has exactly this many characters.
    if segment.len() != (N * 4).div_ceil(3) {
        return None;
    }
    let mut out = [0u8; N];
    match URL_SAFE_NO_PAD.decode_slice(segment.as_bytes(), &mut out) {
        Ok(n) if n == N => Some(out),
        _ => None,
    }
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
    fn fixed_size() {
        let iv = [7u8; 12];
        let s = encode(&iv);
        assert_eq!(decode_array::<12>(&s), Some(iv));
        assert_eq!(decode_array::<16>(&s), None);
        assert_eq!(decode_array::<12>(&(s.clone() + "A")), None);
    }
}
