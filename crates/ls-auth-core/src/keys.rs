//! Keys: HMAC secrets and Ed25519 key pairs or public keys. The algorithm is bound to the key,
//! never taken from a token (contract §3.3, §3.6, §3.7, §3.10).

use std::sync::Arc;

use base64_simd::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::random::SecureRandom;

/// The shortest HMAC secret accepted without the explicit opt-in (contract §3.6).
pub const MIN_SECRET_LEN: usize = 32;

/// A JWS algorithm: HMAC, or Ed25519 signatures (RFC 8037).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC-SHA-256, what Label Studio uses.
    HS256,
    /// HMAC-SHA-384.
    HS384,
    /// HMAC-SHA-512.
    HS512,
    /// Ed25519 signatures (RFC 8037 `EdDSA` with curve Ed25519): tokens a service verifies with
    /// a public key alone.
    EdDSA,
}

impl Algorithm {
    /// The JOSE name, exactly as it appears in a header.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// Parses a JOSE name. Matching is exact: `hs256` is not `HS256` (RFC 7515 §4.1.1).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "HS256" => Some(Algorithm::HS256),
            "HS384" => Some(Algorithm::HS384),
            "HS512" => Some(Algorithm::HS512),
            "EdDSA" => Some(Algorithm::EdDSA),
            _ => None,
        }
    }

    fn hmac(self) -> Option<ring::hmac::Algorithm> {
        match self {
            Algorithm::HS256 => Some(ring::hmac::HMAC_SHA256),
            Algorithm::HS384 => Some(ring::hmac::HMAC_SHA384),
            Algorithm::HS512 => Some(ring::hmac::HMAC_SHA512),
            Algorithm::EdDSA => None,
        }
    }
}

/// Length of an Ed25519 public key and of its private seed (RFC 8032 §5.1.5).
pub const ED25519_KEY_LEN: usize = 32;

/// The PKCS#8 v1 (RFC 5958, RFC 8410 §7) encoding of an Ed25519 private key, up to its seed:
/// `SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }`.
/// What `openssl genpkey -algorithm ed25519` and `cryptography`'s `private_bytes(DER, PKCS8,
/// NoEncryption())` write.
const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The material behind a key. An Ed25519 private key keeps only its seed, zeroized on drop,
/// and expands it at each signature: ring's expanded key pair is not zeroized, so it lives
/// only for one call (signing happens once per minted token, verifying never needs it).
#[derive(Clone)]
enum Material {
    Hmac(ring::hmac::Key),
    Ed25519 {
        public: [u8; ED25519_KEY_LEN],
        seed: Option<Arc<Zeroizing<[u8; ED25519_KEY_LEN]>>>,
    },
}

/// A signature or MAC, as bytes.
pub(crate) enum Signature {
    Mac(ring::hmac::Tag),
    Ed25519(ring::signature::Signature),
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        match self {
            Signature::Mac(t) => t.as_ref(),
            Signature::Ed25519(s) => s.as_ref(),
        }
    }
}

fn check_kid(kid: &str) -> Result<Arc<str>> {
    if kid.is_empty() {
        return Err(Error::with_detail(
            ErrorKind::InvalidArgument,
            "an Ed25519 key needs a non-empty `kid`",
        ));
    }
    Ok(Arc::from(kid))
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

/// One key with its algorithm: an HMAC secret (signs and verifies), an Ed25519 private key
/// (signs and verifies, named by a `kid`) or an Ed25519 public key (verifies only, named by a
/// `kid`).
///
/// For HMAC only ring's precomputed state is kept (so the key schedule runs once per key, not
/// per call); the caller's secret bytes are not copied. An Ed25519 private key keeps its seed,
/// zeroized on drop. `Debug` never shows secret material.
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
    kid: Option<Arc<str>>,
    material: Material,
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
        let Some(hmac) = alg.hmac() else {
            return Err(Error::with_detail(
                ErrorKind::InvalidArgument,
                "EdDSA keys are built with SigningKey::ed25519_*, not from a secret",
            ));
        };
        if secret.is_empty() {
            return Err(Error::with_detail(
                ErrorKind::KeyTooShort,
                "HMAC key is empty",
            ));
        }
        Ok(SigningKey {
            alg,
            kid: None,
            material: Material::Hmac(ring::hmac::Key::new(hmac, secret)),
        })
    }

    /// An Ed25519 public key (the 32 bytes of RFC 8032 §5.1.5), named `kid`: it verifies
    /// `EdDSA` tokens whose header names the same `kid`, and never signs.
    ///
    /// ```
    /// use ls_auth_core::SigningKey;
    /// let key = SigningKey::ed25519_public("2026-01", &[7u8; 32]).unwrap();
    /// assert!(!key.can_sign());
    /// assert!(SigningKey::ed25519_public("2026-01", &[7u8; 31]).is_err());
    /// ```
    pub fn ed25519_public(kid: &str, public_key: &[u8]) -> Result<Self> {
        let public: [u8; ED25519_KEY_LEN] = public_key.try_into().map_err(|_| {
            Error::with_detail(
                ErrorKind::InvalidArgument,
                "an Ed25519 public key is 32 bytes",
            )
        })?;
        Ok(SigningKey {
            alg: Algorithm::EdDSA,
            kid: Some(check_kid(kid)?),
            material: Material::Ed25519 { public, seed: None },
        })
    }

    /// An Ed25519 private key from its 32-byte seed (RFC 8032 §5.1.5), named `kid`: it signs
    /// `EdDSA` tokens with that `kid` in their header, and verifies them. The seed is copied
    /// into memory zeroized on drop; the caller's copy is the caller's to wipe.
    pub fn ed25519_seed(kid: &str, seed: &[u8]) -> Result<Self> {
        let kid = check_kid(kid)?;
        let seed: Zeroizing<[u8; ED25519_KEY_LEN]> =
            Zeroizing::new(seed.try_into().map_err(|_| {
                Error::with_detail(ErrorKind::InvalidArgument, "an Ed25519 seed is 32 bytes")
            })?);
        let public = {
            let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed[..])
                .map_err(|_| Error::with_detail(ErrorKind::InvalidArgument, "bad Ed25519 seed"))?;
            let mut public = [0u8; ED25519_KEY_LEN];
            public.copy_from_slice(ring::signature::KeyPair::public_key(&pair).as_ref());
            public
        };
        Ok(SigningKey {
            alg: Algorithm::EdDSA,
            kid: Some(kid),
            material: Material::Ed25519 {
                public,
                seed: Some(Arc::new(seed)),
            },
        })
    }

    /// An Ed25519 private key from its unencrypted PKCS#8 v1 DER encoding (RFC 8410 §7: the
    /// 48 bytes `openssl genpkey -algorithm ed25519 -outform DER` writes), named `kid`. Other
    /// encodings (PKCS#8 v2 with the public key, PEM, encrypted) are `invalid_argument`:
    /// convert them, or pass the seed to [`SigningKey::ed25519_seed`].
    pub fn ed25519_pkcs8(kid: &str, der: &[u8]) -> Result<Self> {
        match der.strip_prefix(&PKCS8_V1_PREFIX[..]) {
            Some(seed) if seed.len() == ED25519_KEY_LEN => Self::ed25519_seed(kid, seed),
            _ => Err(Error::with_detail(
                ErrorKind::InvalidArgument,
                "not an unencrypted PKCS#8 v1 Ed25519 private key",
            )),
        }
    }

    /// A new Ed25519 private key named `kid`, its seed drawn from `rng`.
    pub fn generate_ed25519(kid: &str, rng: &dyn SecureRandom) -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; ED25519_KEY_LEN]);
        rng.fill(&mut seed[..])?;
        Self::ed25519_seed(kid, &seed[..])
    }

    /// The private key's PKCS#8 v1 DER encoding (what [`SigningKey::ed25519_pkcs8`] reads),
    /// zeroized on drop; `None` for HMAC and public keys. For a host that stores the key
    /// itself (sealed: this is the private key).
    pub fn ed25519_pkcs8_der(&self) -> Option<Zeroizing<Vec<u8>>> {
        match &self.material {
            Material::Ed25519 {
                seed: Some(seed), ..
            } => {
                let mut der = Zeroizing::new(Vec::with_capacity(48));
                der.extend_from_slice(&PKCS8_V1_PREFIX);
                der.extend_from_slice(&seed[..]);
                Some(der)
            }
            _ => None,
        }
    }

    /// The `kid` the key is named by: always present for Ed25519 keys, absent for HMAC ones.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether the key can sign: HMAC secrets and Ed25519 private keys can, public keys cannot.
    pub fn can_sign(&self) -> bool {
        match &self.material {
            Material::Hmac(_) => true,
            Material::Ed25519 { seed, .. } => seed.is_some(),
        }
    }

    /// The Ed25519 public key's 32 bytes (of a private key too); `None` for HMAC keys.
    pub fn ed25519_public_key(&self) -> Option<&[u8; ED25519_KEY_LEN]> {
        match &self.material {
            Material::Ed25519 { public, .. } => Some(public),
            Material::Hmac(_) => None,
        }
    }

    /// The public half as a JWK (RFC 8037 §2) in the order `kty, crv, kid, x, alg, use`;
    /// `None` for HMAC keys, which have no public half.
    pub fn public_jwk(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        let (public, kid) = (self.ed25519_public_key()?, self.kid.as_deref()?);
        let mut jwk = serde_json::Map::new();
        jwk.insert("kty".into(), "OKP".into());
        jwk.insert("crv".into(), "Ed25519".into());
        jwk.insert("kid".into(), kid.into());
        jwk.insert("x".into(), URL_SAFE_NO_PAD.encode_to_string(public).into());
        jwk.insert("alg".into(), "EdDSA".into());
        jwk.insert("use".into(), "sig".into());
        Some(jwk)
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

    /// The MAC or signature of `data`; `invalid_argument` for a public key.
    pub(crate) fn sign(&self, data: &[u8]) -> Result<Signature> {
        match &self.material {
            Material::Hmac(key) => Ok(Signature::Mac(ring::hmac::sign(key, data))),
            Material::Ed25519 {
                seed: Some(seed), ..
            } => {
                let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed[..])
                    .map_err(|_| Error::new(ErrorKind::InvalidArgument))?;
                Ok(Signature::Ed25519(pair.sign(data)))
            }
            Material::Ed25519 { seed: None, .. } => Err(Error::with_detail(
                ErrorKind::InvalidArgument,
                "the keyring's first key is an Ed25519 public key: it verifies, it cannot sign",
            )),
        }
    }

    /// HMAC through `ring::hmac::verify` (constant time), Ed25519 through ring's verifier.
    pub(crate) fn verify(&self, data: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Hmac(key) => ring::hmac::verify(key, data, signature).is_ok(),
            Material::Ed25519 { public, .. } => {
                ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public)
                    .verify(data, signature)
                    .is_ok()
            }
        }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("SigningKey");
        d.field("alg", &self.alg);
        if let Some(kid) = &self.kid {
            d.field("kid", kid);
        }
        match &self.material {
            Material::Hmac(_) => d.field("secret", &"[redacted]"),
            Material::Ed25519 { seed: Some(_), .. } => d.field("private", &"[redacted]"),
            Material::Ed25519 { public, .. } => {
                d.field("public", &URL_SAFE_NO_PAD.encode_to_string(public))
            }
        };
        d.finish()
    }
}

/// The keys a deployment trusts: the first signs new tokens, all of them verify (contract §3.7,
/// like Django's `SECRET_KEY_FALLBACKS`). HMAC secrets and Ed25519 keys may share a keyring: a
/// token naming a `kid` is checked with that key alone, under that key's algorithm (§3.10).
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

    /// A keyring of the public keys of a JWK Set (RFC 7517 §5), parsed strictly (contract
    /// §3.10): anything but Ed25519 public keys with unique `kid`s is `invalid_key_set`. It
    /// verifies `EdDSA` tokens and cannot sign.
    pub fn from_jwks(jwks: &str) -> Result<Self> {
        let keys = crate::jwks::parse(jwks)?;
        Ok(Keyring { keys })
    }

    /// Adds a key that verifies but never signs (an old secret during rotation). A key whose
    /// `kid` is already in the keyring is never reached: the first key with a `kid` answers
    /// for it. [`Keyring::with_keys`] refuses such a key instead.
    pub fn with_fallback(mut self, key: SigningKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds every key of `other` after this keyring's, as keys that verify (the first key
    /// still signs): `invalid_key_set` if a `kid` would be in both.
    pub fn with_keys(mut self, other: Keyring) -> Result<Self> {
        for key in other.keys {
            if let Some(kid) = key.kid() {
                if self.index_of_kid(kid).is_some() {
                    return Err(Error::with_detail(
                        ErrorKind::InvalidKeySet,
                        "a `kid` is already in the keyring",
                    ));
                }
            }
            self.keys.push(key);
        }
        Ok(self)
    }

    /// Adds the public keys of a JWK Set, parsed as [`Keyring::from_jwks`] does: an HS256
    /// keyring that also verifies `EdDSA` tokens.
    pub fn with_jwks(self, jwks: &str) -> Result<Self> {
        self.with_keys(Keyring::from_jwks(jwks)?)
    }

    /// The public JWK Set of every Ed25519 key, private or public, in keyring order (HMAC
    /// secrets never appear): what an issuer publishes for its services.
    /// [`Keyring::from_jwks`] reads it back.
    ///
    /// ```
    /// use ls_auth_core::{Keyring, SigningKey};
    /// let signer = Keyring::new(SigningKey::ed25519_seed("k1", &[1u8; 32]).unwrap());
    /// let jwks = signer.public_jwks();
    /// assert!(!jwks.contains("\"d\""));
    /// let services = Keyring::from_jwks(&jwks).unwrap();
    /// assert_eq!(services.keys()[0].kid(), Some("k1"));
    /// ```
    pub fn public_jwks(&self) -> String {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .filter_map(|k| k.public_jwk().map(serde_json::Value::Object))
            .collect();
        let mut out = String::new();
        crate::json::pyjwt_json::write(&mut out, &serde_json::json!({ "keys": keys }));
        out
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

    /// The first key named `kid`.
    pub(crate) fn index_of_kid(&self, kid: &str) -> Option<usize> {
        self.keys.iter().position(|k| k.kid() == Some(kid))
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
    fn ed25519_private_keys_are_redacted_and_round_trip_pkcs8() {
        let seed = [0x5a; 32];
        let key = SigningKey::ed25519_seed("k1", &seed).unwrap();
        let shown = format!("{key:?}");
        assert!(
            shown.contains("[redacted]") && shown.contains("k1"),
            "{shown}"
        );
        assert!(
            !shown.contains("5a5a") && !shown.contains("WlpaWl"),
            "{shown}"
        );
        let der = key.ed25519_pkcs8_der().unwrap();
        assert_eq!(der.len(), 48);
        let again = SigningKey::ed25519_pkcs8("k1", &der).unwrap();
        assert_eq!(again.ed25519_public_key(), key.ed25519_public_key());
        assert!(SigningKey::ed25519_pkcs8("k1", &der[..47]).is_err());
        assert!(SigningKey::ed25519_seed("", &seed).is_err());
        assert!(SigningKey::ed25519_seed("k1", &seed[..31]).is_err());
        assert!(SigningKey::new(Algorithm::EdDSA, &[1u8; 32]).is_err());
    }

    #[test]
    fn a_public_key_verifies_and_cannot_sign() {
        let private = SigningKey::ed25519_seed("k1", &[3; 32]).unwrap();
        let public =
            SigningKey::ed25519_public("k1", private.ed25519_public_key().unwrap()).unwrap();
        let sig = private.sign(b"msg").unwrap();
        assert!(public.verify(b"msg", sig.as_ref()));
        assert!(!public.verify(b"msh", sig.as_ref()));
        assert!(public.sign(b"msg").is_err());
        assert!(public.public_jwk().is_some() && !public.can_sign());
    }

    #[test]
    fn algorithm_names_are_exact() {
        assert_eq!(Algorithm::from_name("HS256"), Some(Algorithm::HS256));
        assert_eq!(Algorithm::from_name("hs256"), None);
        assert_eq!(Algorithm::from_name("none"), None);
    }
}
