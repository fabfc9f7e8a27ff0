//! Verification of access tokens and PATs: every rule of contract §3, with the clock passed in.

use crate::claims::{Claims, TokenType};
use crate::error::{Error, ErrorKind, Result};
use crate::jws;
use crate::keys::Keyring;
use crate::policy::{KeyKind, OrgSettings, TokenPolicy};
use crate::revocation::Revocation;

/// Checks tokens against a keyring and a policy. Immutable, so one instance can be shared by
/// every thread of a server.
///
/// ```
/// use ls_auth_core::*;
/// let keyring = Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap();
/// let issuer = Issuer::new(keyring.clone(), TokenPolicy::default());
/// let settings = OrgSettings::default();
/// let now = 1_700_000_000;
/// let pat = issuer.mint_pat("1", &Default::default(), &settings, now).unwrap();
/// let access = issuer.refresh(&pat, &settings, &InMemoryRevocation::new(), now).unwrap();
///
/// let verifier = Verifier::new(keyring, TokenPolicy::default());
/// let claims = verifier.verify_access(&access, now + 10).unwrap();
/// assert_eq!(claims.user_id(), "1");
/// assert_eq!(verifier.verify_access(&pat, now).unwrap_err().code(), "wrong_token_type");
/// assert_eq!(verifier.verify_access(&access, now + 300).unwrap_err().code(), "token_expired");
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    keyring: Keyring,
    policy: TokenPolicy,
}

impl Verifier {
    /// A verifier trusting `keyring` under `policy`.
    pub fn new(keyring: Keyring, policy: TokenPolicy) -> Self {
        Verifier { keyring, policy }
    }

    /// The keys this verifier trusts.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The policy this verifier applies.
    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// Verifies an access token (`Authorization: Bearer`) at time `now` (seconds since the
    /// epoch). Access tokens are never looked up: this does no I/O.
    pub fn verify_access(&self, token: &str, now: i64) -> Result<Claims> {
        self.verify_access_bytes(token.as_bytes(), now)
    }

    /// Verifies a PAT presented for refresh: the organisation must allow PATs, the PAT must be
    /// younger than the organisation's TTL when that policy is on, and not revoked.
    ///
    /// For a host that knows the organisation only once the PAT names its user, the same
    /// checks run in two steps: [`Verifier::begin_refresh`], then [`PendingRefresh::admit`].
    pub fn verify_refresh(
        &self,
        token: &str,
        settings: &OrgSettings,
        revocation: &dyn Revocation,
        now: i64,
    ) -> Result<Claims> {
        // The settings are known in advance: a disabled kind is refused before any crypto.
        settings.admit(KeyKind::Jwt)?;
        self.begin_refresh(token, now)?.admit(settings, revocation)
    }

    /// The first step of a refresh for a multi-organisation host: every check that needs no
    /// organisation (structure, signature, times, type). The result names the user to look up
    /// and grants nothing until [`PendingRefresh::admit`] (or
    /// [`Issuer::finish_refresh`](crate::Issuer::finish_refresh) /
    /// [`Issuer::finish_rotate`](crate::Issuer::finish_rotate)) applies the user's
    /// organisation settings and the revocation store.
    ///
    /// ```
    /// use ls_auth_core::*;
    /// let issuer = Issuer::new(Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(), TokenPolicy::default());
    /// let now = 1_700_000_000;
    /// let pat = issuer.mint_pat("7", &Default::default(), &OrgSettings::default(), now).unwrap();
    ///
    /// let pending = issuer.verifier().begin_refresh(&pat, now).unwrap();
    /// assert_eq!(pending.lookup_user_id(), "7"); // find user 7's organisation...
    /// let jti = issuer.verifier().verify_refresh(&pat, &OrgSettings::default(), &InMemoryRevocation::new(), now).unwrap().jti().to_owned();
    /// assert_eq!(pending.lookup_jti(), jti); // ...and whether this PAT is revoked, in one lookup
    /// let org = OrgSettings { api_tokens_enabled: false, ..OrgSettings::default() };
    /// let refused = pending.admit(&org, &InMemoryRevocation::new()).unwrap_err();
    /// assert_eq!(refused.code(), "token_kind_disabled");
    /// ```
    pub fn begin_refresh(&self, token: &str, now: i64) -> Result<PendingRefresh> {
        // Claims::parse has checked that the payload is UTF-8 JSON.
        let (claims, payload) =
            self.verify_parts(token.as_bytes(), TokenType::Refresh, now, |json| {
                String::from_utf8_lossy(json).into_owned().into_boxed_str()
            })?;
        Ok(PendingRefresh {
            claims,
            payload,
            now,
            earliest_valid: self.earliest_valid(now),
        })
    }

    /// When a revocation entry for a token expiring at `exp` may be forgotten: `exp` plus the
    /// leeway, the first time at which this verifier refuses the token as expired (contract
    /// §3.9). Rotation passes it to [`RevocationStore::revoke_if_active`]; a host revoking by
    /// hand passes it too, never the bare `exp`.
    ///
    /// [`RevocationStore::revoke_if_active`]: crate::RevocationStore::revoke_if_active
    ///
    /// ```
    /// use ls_auth_core::*;
    /// let policy = TokenPolicy { leeway: 60, ..TokenPolicy::default() };
    /// let verifier = Verifier::new(Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(), policy);
    /// assert_eq!(verifier.forget_after(1_000), 1_060);
    /// ```
    pub fn forget_after(&self, exp: i64) -> i64 {
        exp.saturating_add(i64::from(self.policy.leeway))
    }

    /// Verifies a PAT presented for revocation (`POST /api/token/blacklist/`): every check of
    /// contract §3 (structure, signature, times, type, `iss`/`aud`) except that `user_id` may
    /// be absent. Revoking grants nothing, and a validly signed token that names no user can
    /// authenticate nowhere, so refusing to revoke one would protect nothing (contract §3.9).
    /// No settings apply: whoever holds the whole PAT may revoke it.
    ///
    /// ```
    /// use ls_auth_core::*;
    /// let issuer = Issuer::new(Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(), TokenPolicy::default());
    /// let now = 1_700_000_000;
    /// let pat = issuer.mint_pat("7", &Default::default(), &OrgSettings::default(), now).unwrap();
    /// let target = issuer.verifier().verify_revocable(&pat, now).unwrap();
    /// assert_eq!(target.user_id(), Some("7"));
    /// assert_eq!(target.jti().len(), 32);
    /// ```
    pub fn verify_revocable(&self, token: &str, now: i64) -> Result<RevocableToken> {
        let claims = jws::verify(token.as_bytes(), &self.keyring, |_, _, json| {
            Claims::parse_revocable(json)
        })?;
        self.check_times(&claims, now)?;
        self.check_issuer_and_audience(&claims)?;
        let user_id = claims.user_id();
        Ok(RevocableToken {
            jti: claims.jti().to_owned(),
            exp: claims.exp(),
            user_id: (!user_id.is_empty()).then(|| user_id.to_owned()),
        })
    }

    /// `now - leeway`: a time at or before which `exp` means expired.
    fn earliest_valid(&self, now: i64) -> i64 {
        now.saturating_sub(i64::from(self.policy.leeway))
    }

    /// [`Verifier::verify_access`] for a token given as bytes: an `Authorization` header's
    /// credentials, which need no check as text (a token that verifies is ASCII).
    pub(crate) fn verify_access_bytes(&self, token: &[u8], now: i64) -> Result<Claims> {
        self.verify_parts(token, TokenType::Access, now, |_| ())
            .map(|(claims, _)| claims)
    }

    /// Every check of contract §3; `keep` also sees the decoded payload, once, for a caller
    /// that needs more of it than the claims (a refresh copies the PAT's members in order).
    pub(crate) fn verify_parts<T>(
        &self,
        token: &[u8],
        expected: TokenType,
        now: i64,
        keep: impl FnOnce(&[u8]) -> T,
    ) -> Result<(Claims, T)> {
        let (claims, kept) = jws::verify(token, &self.keyring, |_, _, json| {
            Ok((Claims::parse(json, expected)?, keep(json)))
        })?;
        self.check_times(&claims, now)?;
        self.check_issuer_and_audience(&claims)?;
        Ok((claims, kept))
    }

    /// [`Verifier::verify_access_bytes`], also naming the key that verified the token when its
    /// `kid` named one (every `EdDSA` token): what the cache of verified tokens remembers.
    pub(crate) fn verify_access_named(
        &self,
        token: &[u8],
        now: i64,
    ) -> Result<(Claims, Option<&crate::keys::SigningKey>)> {
        let (claims, named) = jws::verify(token, &self.keyring, |_, named, json| {
            Ok((Claims::parse(json, TokenType::Access)?, named))
        })?;
        self.check_times(&claims, now)?;
        self.check_issuer_and_audience(&claims)?;
        Ok((claims, named.map(|i| &self.keyring.keys()[i])))
    }

    /// The checks of contract §3.8 (`exp`, `nbf`, `iat` against `now` and the leeway): the only
    /// ones whose answer for a given token and verifier changes with time.
    pub(crate) fn check_times(&self, claims: &Claims, now: i64) -> Result<()> {
        let latest = now.saturating_add(i64::from(self.policy.leeway));
        if claims.exp() <= self.earliest_valid(now) {
            return Err(Error::new(ErrorKind::TokenExpired));
        }
        if claims.nbf().is_some_and(|nbf| nbf > latest) {
            return Err(Error::new(ErrorKind::TokenNotYetValid));
        }
        if claims.iat().is_some_and(|iat| iat > latest) {
            return Err(Error::new(ErrorKind::IssuedInFuture));
        }
        Ok(())
    }

    fn check_issuer_and_audience(&self, claims: &Claims) -> Result<()> {
        if let Some(expected) = &self.policy.issuer {
            match claims.issuer() {
                None => return Err(Error::missing_claim("iss")),
                Some(iss) if iss != expected => {
                    return Err(Error::invalid_claim("iss", "is not the expected issuer"))
                }
                Some(_) => {}
            }
        }
        match (&self.policy.audience, claims.audience()) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(Error::invalid_claim(
                "aud",
                "names an audience but this verifier has none configured",
            )),
            (Some(_), None) => Err(Error::missing_claim("aud")),
            (Some(expected), Some(auds)) => {
                if auds.iter().any(|a| a == expected) {
                    Ok(())
                } else {
                    Err(Error::invalid_claim(
                        "aud",
                        "does not include the expected audience",
                    ))
                }
            }
        }
    }
}

/// What revoking a verified PAT needs ([`Verifier::verify_revocable`]): its `jti`, its expiry
/// (after which the revocation may be forgotten) and the user it names, if any. It carries no
/// claims, so it cannot be mistaken for an authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocableToken {
    jti: String,
    exp: i64,
    user_id: Option<String>,
}

impl RevocableToken {
    /// The PAT's `jti`: what the revocation store records.
    pub fn jti(&self) -> &str {
        &self.jti
    }
    /// The PAT's expiry.
    pub fn exp(&self) -> i64 {
        self.exp
    }
    /// The user the PAT names; `None` for a token minted for no user.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }
}

/// A PAT whose signature, times and type have been verified, waiting for its organisation's
/// settings. It names the user to look up ([`lookup_user_id`](Self::lookup_user_id)) and hands
/// out no claims until it is admitted: the claims come only from [`admit`](Self::admit), which
/// applies the settings and the revocation store, or from the issuer's `finish_*` methods.
///
/// A type rather than a callback because hosts look the user up with their own I/O (an ORM
/// query, an async call) between the two steps; consuming `self` in every finishing step makes
/// "verified but never admitted" impossible to use by accident.
#[derive(Debug)]
pub struct PendingRefresh {
    claims: Claims,
    /// The verified payload's JSON text, decoded once, for re-issuing the PAT's claims in
    /// their order.
    payload: Box<str>,
    now: i64,
    earliest_valid: i64,
}

impl PendingRefresh {
    /// The verified `user_id`, only to find the user and their organisation: it is not an
    /// authorisation until the PAT is admitted.
    pub fn lookup_user_id(&self) -> &str {
        self.claims.user_id()
    }

    /// The verified `jti`, only so that a host can read the PAT's revocation state in the same
    /// lookup as the user (one database query): the revocation store passed to
    /// [`admit`](Self::admit) still decides, and nothing is granted until then.
    pub fn lookup_jti(&self) -> &str {
        self.claims.jti()
    }

    /// Applies the organisation's settings (PATs enabled, TTL-on-existing) and revocation;
    /// the PAT's claims on success.
    pub fn admit(self, settings: &OrgSettings, revocation: &dyn Revocation) -> Result<Claims> {
        self.check(settings, revocation)?;
        Ok(self.claims)
    }

    pub(crate) fn check(&self, settings: &OrgSettings, revocation: &dyn Revocation) -> Result<()> {
        settings.admit_pat(self.claims.iat(), self.earliest_valid)?;
        // Revocation may cost the host a lookup, so it comes after every local check.
        if revocation.is_revoked(self.claims.jti()) {
            return Err(Error::new(ErrorKind::TokenRevoked));
        }
        Ok(())
    }

    /// The admitted parts, for the issuer: claims, payload segment and the time of step one.
    pub(crate) fn into_parts(self) -> (Claims, Box<str>, i64) {
        (self.claims, self.payload, self.now)
    }
}
