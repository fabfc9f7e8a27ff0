//! Lowercase hexadecimal: the one form of every id and key ls-auth makes or reads (`jti`s,
//! legacy keys, digests), as Python's `uuid4().hex` and `secrets.token_hex` write them.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lowercase hex.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Whether `s` is only lowercase hex digits (uppercase is another key).
pub(crate) fn is_lowercase(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The bytes of an even-length lowercase-hex string.
#[cfg(any(test, feature = "dangerous"))]
pub(crate) fn decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !is_lowercase(s) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_forms() {
        assert_eq!(encode(&[0x00, 0x9f, 0xff]), "009fff");
        assert_eq!(decode("009fff"), Some(vec![0x00, 0x9f, 0xff]));
        assert_eq!(decode("009FFF"), None);
        assert_eq!(decode("abc"), None);
        assert!(is_lowercase("0123456789abcdef") && !is_lowercase("g") && !is_lowercase("A"));
    }
}
