//! # ls-auth-core
//!
//! Label Studio's API-key authentication as a pure library: personal access tokens (JWT
//! refresh tokens), the access tokens they are exchanged for, legacy `Token` keys, the
//! organisation's TTL policy and `Authorization` header parsing. Wire-compatible with a Label
//! Studio 1.23 server (djangorestframework-simplejwt 5.5), and stricter than it where the
//! contract (`docs/contract.md`) says so.
//!
//! The core does no I/O and reads no clock: time is always an argument (seconds since the
//! epoch), randomness comes through [`SecureRandom`], and revocation through [`Revocation`],
//! which the host implements over its own store.
//!
//! ```
//! use ls_auth_core::*;
//!
//! let keyring = Keyring::hs256("the-servers-SECRET_KEY-at-least-32-bytes").unwrap();
//! let issuer = Issuer::new(keyring.clone(), TokenPolicy::default());
//! let settings = OrgSettings::default();
//! let revoked = InMemoryRevocation::new();
//! let now = 1_700_000_000;
//!
//! // The user's PAT is exchanged for a five-minute access token...
//! let pat = issuer.mint_pat("1", &Default::default(), &settings, now).unwrap();
//! let access = issuer.refresh(&pat, &settings, &revoked, now).unwrap();
//!
//! // ...which a service authenticates on every request, without I/O.
//! let verifier = Verifier::new(keyring, TokenPolicy::default());
//! let header = format!("Bearer {access}");
//! match authenticate(header.as_bytes(), &verifier, &settings, now + 1) {
//!     Ok(Principal::Jwt(claims)) => assert_eq!(claims.user_id(), "1"),
//!     Ok(Principal::LegacyKey(_)) => unreachable!("legacy keys are disabled by default"),
//!     Err(e) => panic!("{}: {}", e.code(), e),
//! }
//! ```
#![forbid(unsafe_code)]

mod authenticate;
mod claims;
mod claims_scanner;
mod client;
mod clock;
#[cfg(any(test, feature = "dangerous"))]
pub mod dangerous;
mod duplicate_keys;
mod error;
mod header;
mod hex;
mod issue;
mod jwks;
mod jws;
mod keys;
mod legacy;
mod origin;
mod policy;
mod pyjwt_json;
mod random;
mod revocation;
mod value_kind;
mod verify;

pub use authenticate::{authenticate, begin_authenticate, Lookup, PendingPrincipal, Principal};
pub use claims::{Claims, TokenType, REGISTERED_CLAIMS};
pub use client::{
    classify_api_key, inspect_key, AccessTokenCache, ApiKeyKind, KeyShape, DEFAULT_REFRESH_MARGIN,
};
pub use clock::unix_time;
pub use error::{Error, ErrorKind, Result};
pub use header::{
    bearer_value, parse_authorization, token_value, www_authenticate, Credential, MAX_HEADER_LEN,
};
pub use issue::{Issuer, Rotation, PAT_JTI_CLAIM};
pub use jws::{decode_unverified, truncate, UnverifiedToken, MAX_TOKEN_LEN};
pub use keys::{Algorithm, Keyring, ShortKeys, SigningKey, ED25519_KEY_LEN, MIN_SECRET_LEN};
pub use legacy::{
    check_legacy_key, generate_legacy_key, is_legacy_key, legacy_key_digest, legacy_keys_equal,
    LEGACY_KEY_LEN,
};
pub use origin::{origin_of, CredentialScope, REFRESH_PATH};
pub use policy::{OrgSettings, TokenPolicy, DEFAULT_ACCESS_TTL, DEFAULT_PAT_TTL_DAYS};
pub use random::{SecureRandom, SystemRandom};
pub use revocation::{InMemoryRevocation, Revocation, RevocationStore};
pub use verify::{PendingRefresh, RevocableToken, Verifier};

/// The README's Rust example, compiled and run by `cargo test --doc` so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
