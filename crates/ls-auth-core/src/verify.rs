//! Verification of access tokens and PATs: every rule of SPEC §3, with the clock passed in.

use crate::claims::{Claims, TokenType};
use crate::error::{Error, ErrorKind, Result};
use crate::jws::{self, Compact};
use crate::keys::Keyring;
use crate::policy::{OrgSettings, TokenPolicy};
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
        self.verify_parts(token, TokenType::Access, now)
            .map(|(claims, _)| claims)
    }

    /// Verifies a PAT presented for refresh: the organisation must allow PATs, the PAT must be
    /// younger than the organisation's TTL when that policy is on, and not revoked.
    pub fn verify_refresh(
        &self,
        token: &str,
        settings: &OrgSettings,
        revocation: &dyn Revocation,
        now: i64,
    ) -> Result<Claims> {
        self.verify_refresh_parts(token, settings, revocation, now)
            .map(|(claims, _)| claims)
    }

    pub(crate) fn verify_refresh_parts<'t>(
        &self,
        token: &'t str,
        settings: &OrgSettings,
        revocation: &dyn Revocation,
        now: i64,
    ) -> Result<(Claims, Compact<'t>)> {
        if !settings.api_tokens_enabled {
            return Err(Error::with_detail(
                ErrorKind::TokenKindDisabled,
                "personal access tokens are disabled for this organization",
            ));
        }
        let (claims, parts) = self.verify_parts(token, TokenType::Refresh, now)?;
        if settings.enforce_ttl_on_existing {
            let iat = claims.iat().ok_or_else(|| Error::missing_claim("iat"))?;
            let ttl = settings.pat_ttl_seconds()?;
            if iat.saturating_add(ttl) <= self.earliest_valid(now) {
                return Err(Error::new(ErrorKind::PatTtlExceeded));
            }
        }
        // Revocation may cost the host a lookup, so it comes after every local check.
        if revocation.is_revoked(claims.jti()) {
            return Err(Error::new(ErrorKind::TokenRevoked));
        }
        Ok((claims, parts))
    }

    /// `now - leeway`: a time at or before which `exp` means expired.
    fn earliest_valid(&self, now: i64) -> i64 {
        now.saturating_sub(i64::from(self.policy.leeway))
    }

    pub(crate) fn verify_parts<'t>(
        &self,
        token: &'t str,
        expected: TokenType,
        now: i64,
    ) -> Result<(Claims, Compact<'t>)> {
        let parts = jws::verify(token, &self.keyring)?;
        let claims = jws::with_decoded(parts.payload, |json| Claims::parse(json, expected))?;
        self.check_times(&claims, now)?;
        self.check_issuer_and_audience(&claims)?;
        Ok((claims, parts))
    }

    fn check_times(&self, claims: &Claims, now: i64) -> Result<()> {
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
