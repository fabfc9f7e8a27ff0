//! HMAC keys: the algorithm is bound to the key, never taken from a token (contract §3.3, §3.6, §3.7).

use crate::error::{Error, ErrorKind, Result};

/// The shortest HMAC secret accepted without the explicit opt-in (contract §3.6).
pub const MIN_SECRET_LEN: usize = 32;

/// An HMAC algorithm for compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC-SHA-256, what Label Studio uses.
    HS256,
    /// HMAC-SHA-384.
    HS384,
    /// HMAC-SHA-512.
    HS512,
}

impl Algorithm {
    /// The JOSE name, exactly as it appears in a header.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }

    /// Parses a JOSE name. Matching is exact: `hs256` is not `HS256` (RFC 7515 §4.1.1).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "HS256" => Some(Algorithm::HS256),
            "HS384" => Some(Algorithm::HS384),
            "HS512" => Some(Algorithm::HS512),
            _ => None,
        }
    }

    pub(crate) fn ring(self) -> ring::hmac::Algorithm {
        match self {
            Algorithm::HS256 => ring::hmac::HMAC_SHA256,
            Algorithm::HS384 => ring::hmac::HMAC_SHA384,
            Algorithm::HS512 => ring::hmac::HMAC_SHA512,
        }
    }
}

/// Whether a secret shorter than [`MIN_SECRET_LEN`] is accepted (contract §3.6): the one switch
/// behind every binding's `allow_short_key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShortKeys {
    /// Refused with `key_too_short` (the default).
    #[default]
    Refuse,
    /// Accepted: for deployments whose Django `SECRET_KEY` is short. Such a key can be brute
    /// forced from one token.
    AllowInsecure,
}

impl ShortKeys {
    /// `AllowInsecure` when `allow_short_key` is set, the way the bindings take the flag.
    pub const fn allowed_if(allow_short_key: bool) -> Self {
        if allow_short_key {
            ShortKeys::AllowInsecure
        } else {
            ShortKeys::Refuse
        }
    }
}

/// One HMAC secret with its algorithm, ready to sign and verify.
///
/// Only ring's precomputed HMAC state is kept (so the key schedule runs once per key, not per
/// call); the caller's secret bytes are not copied. `Debug` never shows key material.
///
/// ```
/// use ls_auth_core::{Algorithm, SigningKey};
/// let key = SigningKey::new(Algorithm::HS256, b"0123456789abcdef0123456789abcdef").unwrap();
/// assert_eq!(key.algorithm(), Algorithm::HS256);
/// assert!(SigningKey::new(Algorithm::HS256, b"short").is_err());
/// ```
#[derive(Clone)]
pub struct SigningKey {
    alg: Algorithm,
    key: ring::hmac::Key,
}

impl SigningKey {
    /// A key from a secret of at least [`MIN_SECRET_LEN`] bytes; shorter ones are `key_too_short`.
    pub fn new(alg: Algorithm, secret: &[u8]) -> Result<Self> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(Error::with_detail(
                ErrorKind::KeyTooShort,
                "HMAC key is shorter than 32 bytes; use SigningKey::new_allowing_short_key to accept it",
            ));
        }
        Self::new_allowing_short_key(alg, secret)
    }

    /// A key from a secret of any non-zero length.
    ///
    /// This exists for deployments whose Django `SECRET_KEY` is short; such keys can be brute
    /// forced from one token, so prefer [`SigningKey::new`].
    pub fn new_allowing_short_key(alg: Algorithm, secret: &[u8]) -> Result<Self> {
        if secret.is_empty() {
            return Err(Error::with_detail(
                ErrorKind::KeyTooShort,
                "HMAC key is empty",
            ));
        }
        Ok(SigningKey {
            alg,
            key: ring::hmac::Key::new(alg.ring(), secret),
        })
    }

    /// An HS256 key, Label Studio's algorithm, from a secret's bytes (Django's `SECRET_KEY` as
    /// UTF-8), short secrets refused or accepted as `short_keys` says.
    ///
    /// ```
    /// use ls_auth_core::{ShortKeys, SigningKey};
    /// assert_eq!(SigningKey::hs256(b"short", ShortKeys::Refuse).unwrap_err().code(), "key_too_short");
    /// assert!(SigningKey::hs256(b"short", ShortKeys::AllowInsecure).is_ok());
    /// ```
    pub fn hs256(secret: &[u8], short_keys: ShortKeys) -> Result<Self> {
        match short_keys {
            ShortKeys::Refuse => Self::new(Algorithm::HS256, secret),
            ShortKeys::AllowInsecure => Self::new_allowing_short_key(Algorithm::HS256, secret),
        }
    }

    /// The algorithm this key signs and verifies with.
    pub const fn algorithm(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn sign(&self, data: &[u8]) -> ring::hmac::Tag {
        ring::hmac::sign(&self.key, data)
    }

    /// Constant-time check through `ring::hmac::verify`.
    pub(crate) fn verify(&self, data: &[u8], signature: &[u8]) -> bool {
        ring::hmac::verify(&self.key, data, signature).is_ok()
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The keys a deployment trusts: the first signs new tokens, all of them verify (contract §3.7,
/// like Django's `SECRET_KEY_FALLBACKS`).
///
/// ```
/// use ls_auth_core::{Keyring, SigningKey, Algorithm};
/// let current = SigningKey::new(Algorithm::HS256, &[7u8; 32]).unwrap();
/// let previous = SigningKey::new(Algorithm::HS256, &[9u8; 32]).unwrap();
/// let keyring = Keyring::new(current).with_fallback(previous);
/// assert_eq!(keyring.keys().len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<SigningKey>,
}

impl Keyring {
    /// A keyring with one key, which signs and verifies.
    pub fn new(primary: SigningKey) -> Self {
        Keyring {
            keys: vec![primary],
        }
    }

    /// A keyring for a secret given as text, the way Django holds `SECRET_KEY`: HS256 over its
    /// UTF-8 bytes, at least 32 bytes long.
    pub fn hs256(secret: &str) -> Result<Self> {
        SigningKey::hs256(secret.as_bytes(), ShortKeys::Refuse).map(Keyring::new)
    }

    /// Adds a key that verifies but never signs (an old secret during rotation).
    pub fn with_fallback(mut self, key: SigningKey) -> Self {
        self.keys.push(key);
        self
    }

    /// The key new tokens are signed with.
    pub fn signing_key(&self) -> &SigningKey {
        &self.keys[0]
    }

    /// Every key, the signing key first.
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    pub(crate) fn allows(&self, alg: Algorithm) -> bool {
        self.keys.iter().any(|k| k.alg == alg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_need_the_opt_in() {
        let err = SigningKey::new(Algorithm::HS256, &[1u8; 31]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::KeyTooShort);
        assert!(SigningKey::new(Algorithm::HS256, &[1u8; 32]).is_ok());
        assert!(SigningKey::new_allowing_short_key(Algorithm::HS256, b"django-insecure").is_ok());
        assert_eq!(
            SigningKey::new_allowing_short_key(Algorithm::HS256, b"")
                .unwrap_err()
                .kind(),
            ErrorKind::KeyTooShort
        );
    }

    #[test]
    fn debug_is_redacted() {
        let secret = "super-secret-value-that-is-long-enough";
        let ring = Keyring::hs256(secret).unwrap();
        let shown = format!("{ring:?}");
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains("super-secret"));
    }

    #[test]
    fn algorithm_names_are_exact() {
        assert_eq!(Algorithm::from_name("HS256"), Some(Algorithm::HS256));
        assert_eq!(Algorithm::from_name("hs256"), None);
        assert_eq!(Algorithm::from_name("none"), None);
    }
}
