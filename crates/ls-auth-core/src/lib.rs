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
#![deny(missing_docs)]

mod authenticate;
mod cache;
mod claims;
pub mod client;
mod clock;
#[cfg(any(test, feature = "dangerous"))]
pub mod dangerous;
mod error;
pub mod header;
mod hex;
mod issue;
mod json;
mod jwks;
pub mod jws;
mod keys;
pub mod legacy;
pub mod origin;
mod policy;
mod random;
mod revocation;
mod verify;

pub use authenticate::{authenticate, begin_authenticate, Lookup, PendingPrincipal, Principal};
pub use cache::{VerifiedTokenCache, DEFAULT_CACHE_CAPACITY};
pub use claims::{Claims, TokenType, PAT_JTI_CLAIM, REGISTERED_CLAIMS};
pub use clock::unix_time;
pub use error::{Error, ErrorKind, Result};
pub use issue::{Issuer, Rotation};
pub use keys::{Algorithm, Keyring, ShortKeys, SigningKey, ED25519_KEY_LEN, MIN_SECRET_LEN};
pub use policy::{OrgSettings, TokenPolicy, DEFAULT_ACCESS_TTL, DEFAULT_PAT_TTL_DAYS};
pub use random::{SecureRandom, SystemRandom};
pub use revocation::{InMemoryRevocation, Revocation, RevocationStore};
pub use verify::{PendingRefresh, RevocableToken, Verifier};

/// The README's Rust example, compiled and run by `cargo test --doc` so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
