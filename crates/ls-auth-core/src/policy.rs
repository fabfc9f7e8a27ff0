//! The organisation's settings and the deployment's token policy, with Label Studio's defaults.

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};

/// Label Studio's default PAT lifetime: 200 × 365 days.
pub const DEFAULT_PAT_TTL_DAYS: u32 = 73_000;
/// simplejwt's default access-token lifetime, in seconds.
pub const DEFAULT_ACCESS_TTL: u32 = 300;

const SECONDS_PER_DAY: i64 = 86_400;

/// An organisation's API-token settings (contract §1), as stored by Label Studio.
///
/// ```
/// let s = ls_auth_core::OrgSettings::default();
/// assert!(s.api_tokens_enabled && !s.legacy_api_tokens_enabled);
/// assert_eq!(s.pat_ttl_days, 73_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrgSettings {
    /// Personal access tokens (and the access tokens refreshed from them) authenticate.
    pub api_tokens_enabled: bool,
    /// Legacy `Token` keys authenticate.
    pub legacy_api_tokens_enabled: bool,
    /// Lifetime of new PATs, in days.
    pub pat_ttl_days: u32,
    /// Beyond the server: a PAT older than the current TTL (by `iat`) stops refreshing even if
    /// its own `exp` is later, so shortening the TTL takes effect on existing tokens.
    pub enforce_ttl_on_existing: bool,
    /// The user belongs to an active organisation. False when the host found none (Label
    /// Studio sets `active_organization` to NULL when a member is removed from their last
    /// organisation): every credential is refused with `no_organization`, since defaults in
    /// place of the missing organisation's settings would keep a removed member's keys working.
    pub has_organization: bool,
}

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            api_tokens_enabled: true,
            legacy_api_tokens_enabled: false,
            pat_ttl_days: DEFAULT_PAT_TTL_DAYS,
            enforce_ttl_on_existing: true,
            has_organization: true,
        }
    }
}

/// The two kinds of API key an organisation enables or disables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// PATs, and the access tokens refreshed from them.
    Jwt,
    /// Legacy `Token` keys.
    Legacy,
}

impl OrgSettings {
    /// The settings of no organisation: what a host passes when the credential's user has
    /// none. Every credential is refused with `no_organization`.
    ///
    /// ```
    /// use ls_auth_core::*;
    /// let verifier = Verifier::new(Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(), TokenPolicy::default());
    /// let refused = authenticate(b"Bearer a.b.c", &verifier, &OrgSettings::no_organization(), 0).unwrap_err();
    /// assert_eq!(refused.code(), "no_organization");
    /// ```
    pub fn no_organization() -> Self {
        OrgSettings {
            has_organization: false,
            ..OrgSettings::default()
        }
    }

    /// Refuses a kind of key the organisation has disabled, and every kind when there is no
    /// organisation. A disabled kind authenticates nothing, including tokens issued before it
    /// was disabled (contract §1.2).
    pub(crate) fn admit(&self, kind: KeyKind) -> Result<()> {
        if !self.has_organization {
            return Err(Error::new(ErrorKind::NoOrganization));
        }
        match kind {
            KeyKind::Jwt if !self.api_tokens_enabled => Err(Error::with_detail(
                ErrorKind::TokenKindDisabled,
                "personal access tokens are disabled for this organization",
            )),
            KeyKind::Legacy if !self.legacy_api_tokens_enabled => Err(Error::with_detail(
                ErrorKind::TokenKindDisabled,
                "legacy API tokens are disabled for this organization",
            )),
            _ => Ok(()),
        }
    }

    /// Refuses a PAT the organisation no longer lets refresh: PATs disabled, or (beyond the
    /// server, when `enforce_ttl_on_existing`) issued longer ago than the current TTL.
    /// `earliest_valid` is `now - leeway`.
    pub(crate) fn admit_pat(&self, iat: Option<i64>, earliest_valid: i64) -> Result<()> {
        self.admit(KeyKind::Jwt)?;
        if self.enforce_ttl_on_existing {
            let iat = iat.ok_or_else(|| Error::missing_claim("iat"))?;
            if iat.saturating_add(self.pat_ttl_seconds()?) <= earliest_valid {
                return Err(Error::new(ErrorKind::PatTtlExceeded));
            }
        }
        Ok(())
    }

    /// The PAT lifetime in seconds; a zero TTL is refused because it would mint dead tokens.
    pub fn pat_ttl_seconds(&self) -> Result<i64> {
        if self.pat_ttl_days == 0 {
            return Err(Error::with_detail(
                ErrorKind::InvalidArgument,
                "pat_ttl_days must be at least 1",
            ));
        }
        Ok(i64::from(self.pat_ttl_days) * SECONDS_PER_DAY)
    }
}

/// How tokens are issued and checked by one deployment.
///
/// ```
/// let p = ls_auth_core::TokenPolicy::default();
/// assert_eq!((p.access_ttl, p.leeway), (300, 0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Lifetime of access tokens, in seconds.
    pub access_ttl: u32,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    pub leeway: u32,
    /// When set, tokens must carry exactly this `iss`, and minted tokens carry it.
    pub issuer: Option<String>,
    /// When set, a token's `aud` (a string or a list of strings) must include this audience,
    /// and minted tokens carry it. When unset, a token that names an audience is refused, as
    /// PyJWT does.
    pub audience: Option<String>,
    /// When set, every access token this issuer mints from a PAT names it: the PAT's `jti` in
    /// the [`PAT_JTI_CLAIM`](crate::PAT_JTI_CLAIM) claim, and an `exp` no later than the PAT's
    /// (contract §3.11), so a host that reads the PAT's revocation with the user
    /// ([`PendingPrincipal::admit_unrevoked`](crate::PendingPrincipal::admit_unrevoked)) stops
    /// the access tokens with their PAT. Off by default: access tokens are then the bytes
    /// simplejwt mints for the same claims.
    pub access_names_pat: bool,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy {
            access_ttl: DEFAULT_ACCESS_TTL,
            leeway: 0,
            issuer: None,
            audience: None,
            access_names_pat: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_from_json_with_defaults() {
        let s: OrgSettings = serde_json::from_str(r#"{"legacy_api_tokens_enabled":true}"#).unwrap();
        assert!(s.api_tokens_enabled && s.legacy_api_tokens_enabled);
        assert!(serde_json::from_str::<OrgSettings>(r#"{"legacy":true}"#).is_err());
        assert_eq!(s.pat_ttl_seconds().unwrap(), 73_000 * 86_400);
        let zero = OrgSettings {
            pat_ttl_days: 0,
            ..OrgSettings::default()
        };
        assert_eq!(
            zero.pat_ttl_seconds().unwrap_err().code(),
            "invalid_argument"
        );
    }
}
