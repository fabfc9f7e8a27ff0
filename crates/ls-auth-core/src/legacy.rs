//! Legacy `Token` keys: Django REST framework's 40 lowercase hex characters (20 random bytes).

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::hex;
use crate::random::SecureRandom;

/// Length of a legacy key in characters.
pub const LEGACY_KEY_LEN: usize = 40;

/// A new legacy key, as DRF's `Token.generate_key` makes it.
///
/// ```
/// let key = ls_auth_core::legacy::generate_legacy_key(&ls_auth_core::SystemRandom::new()).unwrap();
/// assert!(ls_auth_core::legacy::is_legacy_key(&key));
/// ```
pub fn generate_legacy_key(rng: &dyn SecureRandom) -> Result<String> {
    let mut bytes = Zeroizing::new([0u8; LEGACY_KEY_LEN / 2]);
    rng.fill(&mut bytes[..])?;
    Ok(hex::encode(&bytes[..]))
}

/// Whether `key` has the form of a legacy key.
pub fn is_legacy_key(key: &str) -> bool {
    key.len() == LEGACY_KEY_LEN && hex::is_lowercase(key)
}

/// Refuses anything that is not a well-formed legacy key, with `malformed_token`.
pub fn check_legacy_key(key: &str) -> Result<()> {
    if is_legacy_key(key) {
        Ok(())
    } else {
        Err(Error::with_detail(
            ErrorKind::MalformedToken,
            "a legacy API key is 40 lowercase hexadecimal characters",
        ))
    }
}

/// Compares a presented key with a stored one in constant time (for equal lengths).
pub fn legacy_keys_equal(presented: &str, stored: &str) -> bool {
    presented.as_bytes().ct_eq(stored.as_bytes()).into()
}

/// SHA-256 of a key as lowercase hex, for hosts that store keys hashed rather than in clear.
/// A hash of 160 random bits needs no salt or stretching.
pub fn legacy_key_digest(key: &str) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, key.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dangerous::InsecureDeterministicRandom;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let rng = InsecureDeterministicRandom::new(1);
        let a = generate_legacy_key(&rng).unwrap();
        let b = generate_legacy_key(&rng).unwrap();
        assert!(is_legacy_key(&a) && is_legacy_key(&b));
        assert_ne!(a, b);
    }

    #[test]
    fn form_is_strict() {
        let good = "0123456789abcdef0123456789abcdef01234567";
        assert!(check_legacy_key(good).is_ok());
        for bad in [
            &good[1..],
            &good.to_uppercase(),
            &format!("{good}0"),
            "",
            &good.replace('0', "g"),
        ] {
            assert_eq!(
                check_legacy_key(bad).unwrap_err().code(),
                "malformed_token",
                "{bad}"
            );
        }
    }

    #[test]
    fn comparison_and_digest() {
        let k = "0123456789abcdef0123456789abcdef01234567";
        assert!(legacy_keys_equal(k, k));
        assert!(!legacy_keys_equal(k, &k.replace('7', "8")));
        assert!(!legacy_keys_equal(k, &k[..39]));
        // sha256("abc")
        assert_eq!(
            legacy_key_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
