//! One request's authentication: header, organisation settings and verification together.

use std::borrow::Cow;

use crate::claims::Claims;
use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;

use crate::claims::PAT_JTI_CLAIM;
use crate::header::{parse_authorization, Credential};
use crate::legacy::check_legacy_key;
use crate::policy::{KeyKind, OrgSettings};
use crate::revocation::Revocation;
use crate::verify::Verifier;

/// Who a request is, as far as the token alone can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal<'h> {
    /// A verified access token; nothing more to look up.
    Jwt(Claims),
    /// A well-formed legacy key, allowed by the organisation. The host must still look it up
    /// (compare with [`legacy_keys_equal`](crate::legacy::legacy_keys_equal) or by
    /// [`legacy_key_digest`](crate::legacy::legacy_key_digest)) to find the user, or refuse it.
    LegacyKey(Cow<'h, str>),
}

impl Principal<'_> {
    /// The same principal owning its legacy key, no longer borrowing the header.
    pub fn into_owned(self) -> Principal<'static> {
        match self {
            Principal::Jwt(claims) => Principal::Jwt(claims),
            Principal::LegacyKey(key) => Principal::LegacyKey(Cow::Owned(key.into_owned())),
        }
    }
}

/// Authenticates an `Authorization` header value (empty when the header is absent).
///
/// `Bearer` carries an access token, verified without I/O; `Token` carries a legacy key,
/// returned for the host to look up. A PAT is never a credential: it must be exchanged for
/// an access token first. A disabled kind authenticates nothing.
///
/// This is the form for a host with one organisation, whose settings are known before the
/// request is read. A host whose settings depend on the user uses [`begin_authenticate`].
///
/// ```
/// use ls_auth_core::*;
/// let verifier = Verifier::new(Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(), TokenPolicy::default());
/// let mut settings = OrgSettings::default();
/// let key = b"Token 0123456789abcdef0123456789abcdef01234567";
/// assert_eq!(authenticate(key, &verifier, &settings, 0).unwrap_err().code(), "token_kind_disabled");
/// settings.legacy_api_tokens_enabled = true;
/// assert!(matches!(authenticate(key, &verifier, &settings, 0), Ok(Principal::LegacyKey(_))));
/// ```
pub fn authenticate<'h>(
    header: &'h [u8],
    verifier: &Verifier,
    settings: &OrgSettings,
    now: i64,
) -> Result<Principal<'h>> {
    // The settings are known in advance: a disabled kind is refused before any crypto.
    if settings.admit(KeyKind::Jwt).is_ok() {
        if let Some(verified) = verified_bearer(header, |t| verifier.verify_access_bytes(t, now)) {
            return verified.map(Principal::Jwt);
        }
    }
    let presented = Presented::read(header)?;
    settings.admit(presented.kind())?;
    presented
        .verify(|t| verifier.verify_access_bytes(t, now))?
        .admit(settings)
}

/// The usual request, `Bearer <access token>`, verified without checking the token's
/// characters first: a token that verifies is base64url and dots, so token68 and ASCII, and
/// the two passes that check them (over the whole token, about 40 ns) are the difference
/// between authenticating and verifying. `None` when the header is not a Bearer one; when
/// verification fails, the error [`Presented::read`] would report first (a bad character,
/// a token that is no JWT) or else verification's own, so that the result is exactly that of
/// reading the header first, without verifying twice.
#[inline(always)]
fn verified_bearer(
    header: &[u8],
    verify_access: impl FnOnce(&[u8]) -> Result<Claims>,
) -> Option<Result<Claims>> {
    let token = crate::header::bearer_credentials(header)?;
    Some(match verify_access(token) {
        Ok(claims) => Ok(claims),
        Err(e) => Presented::read(header).and(Err(e)),
    })
}

/// The first step of authentication for a host whose organisation settings depend on the
/// user (a multi-organisation server): every check that needs no settings (header grammar,
/// scheme, and for a JWT its signature, times and type; for a legacy key its form).
///
/// The result names what to look up ([`PendingPrincipal::lookup`]) and grants nothing until
/// [`PendingPrincipal::admit`] applies that organisation's settings.
///
/// ```
/// use ls_auth_core::*;
/// let keyring = Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap();
/// let issuer = Issuer::new(keyring.clone(), TokenPolicy::default());
/// let now = 1_700_000_000;
/// let org = OrgSettings::default();
/// let pat = issuer.mint_pat("5", &Default::default(), &org, now).unwrap();
/// let access = issuer.refresh(&pat, &org, &InMemoryRevocation::new(), now).unwrap();
/// let header = format!("Bearer {access}");
///
/// let pending = begin_authenticate(header.as_bytes(), issuer.verifier(), now).unwrap();
/// assert_eq!(pending.lookup(), Lookup::UserId("5")); // the host finds user 5's organisation
/// let disabled = OrgSettings { api_tokens_enabled: false, ..OrgSettings::default() };
/// assert_eq!(pending.admit(&disabled).unwrap_err().code(), "token_kind_disabled");
/// ```
pub fn begin_authenticate<'h>(
    header: &'h [u8],
    verifier: &Verifier,
    now: i64,
) -> Result<PendingPrincipal<'h>> {
    begin_with(header, |token| verifier.verify_access_bytes(token, now))
}

/// [`begin_authenticate`] with access tokens verified by `verify_access`: the verifier's own
/// check, or the cache of verified tokens in front of it.
#[inline(always)]
pub(crate) fn begin_with<'h>(
    header: &'h [u8],
    verify_access: impl Fn(&[u8]) -> Result<Claims>,
) -> Result<PendingPrincipal<'h>> {
    if let Some(verified) = verified_bearer(header, &verify_access) {
        return verified.map(|claims| PendingPrincipal {
            principal: Principal::Jwt(claims),
        });
    }
    Presented::read(header)?.verify(verify_access)
}

/// What a verified credential asks the host to look up, to find the organisation whose
/// settings decide whether it is admitted. It is not an authorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// A verified access token's `user_id`: find the user and their active organisation.
    UserId(&'a str),
    /// A well-formed legacy key: find the user who owns it.
    LegacyKey(&'a str),
}

/// A credential that passed every check needing no organisation, waiting for the settings of
/// the organisation it belongs to. It hands out no claims: only [`admit`](Self::admit), which
/// consumes it, yields a [`Principal`].
///
/// A two-step type rather than a callback because hosts look the user up with their own I/O
/// (an ORM query, an async call) between the steps, which a callback called from inside the
/// library (or through Python or C) would make awkward; consuming `self` makes "verified but
/// never admitted" impossible to use by accident.
#[derive(Debug, PartialEq)]
pub struct PendingPrincipal<'h> {
    principal: Principal<'h>,
}

impl<'h> PendingPrincipal<'h> {
    /// Who to look up to find the organisation. Not an authorisation.
    pub fn lookup(&self) -> Lookup<'_> {
        match &self.principal {
            Principal::Jwt(claims) => Lookup::UserId(claims.user_id()),
            Principal::LegacyKey(key) => Lookup::LegacyKey(key),
        }
    }

    /// The same pending credential owning its legacy key, no longer borrowing the header (for
    /// hosts and bindings that keep it beyond the buffer's life).
    pub fn into_owned(self) -> PendingPrincipal<'static> {
        PendingPrincipal {
            principal: self.principal.into_owned(),
        }
    }

    /// Applies the organisation's settings: a disabled kind is refused.
    ///
    /// The PAT an access token names is not consulted: a host that can read revocation uses
    /// [`admit_unrevoked`](Self::admit_unrevoked).
    #[inline]
    pub fn admit(self, settings: &OrgSettings) -> Result<Principal<'h>> {
        settings.admit(kind_of(&self.principal))?;
        Ok(self.principal)
    }

    /// The PAT a verified access token names (its [`PAT_JTI_CLAIM`], contract §3.11), only so
    /// that the host can read that PAT's revocation in the lookup of the user (one query).
    /// `None` for a legacy key and for an access token that names no PAT (one minted by a peer
    /// or by an issuer without [`access_names_pat`](crate::TokenPolicy::access_names_pat)), or
    /// whose claim is not a string (which [`admit_unrevoked`](Self::admit_unrevoked) refuses).
    pub fn lookup_pat_jti(&self) -> Option<String> {
        match &self.principal {
            Principal::Jwt(claims) => match pat_jti(claims) {
                Ok(jti) => jti.map(str::to_owned),
                Err(_) => None,
            },
            Principal::LegacyKey(_) => None,
        }
    }

    /// [`admit`](Self::admit), then the revocation of the PAT the access token names: an access
    /// token whose PAT is revoked is `token_revoked`, so revoking a PAT stops its access tokens
    /// at once (contract §3.11). An access token that names no PAT is admitted as by `admit`;
    /// a `pat_jti` that is not a string is `malformed_token`. A legacy key has no parent.
    pub fn admit_unrevoked(
        self,
        settings: &OrgSettings,
        revocation: &dyn Revocation,
    ) -> Result<Principal<'h>> {
        settings.admit(kind_of(&self.principal))?;
        if let Principal::Jwt(claims) = &self.principal {
            // Revocation may cost the host a lookup, so it comes after every local check.
            if let Some(jti) = pat_jti(claims)? {
                if revocation.is_revoked(jti) {
                    return Err(Error::with_detail(
                        ErrorKind::TokenRevoked,
                        "the personal access token this access token was obtained with is revoked",
                    ));
                }
            }
        }
        Ok(self.principal)
    }
}

/// The `pat_jti` of verified claims: absent, or a string.
fn pat_jti(claims: &Claims) -> Result<Option<&str>> {
    if claims.extra().is_empty() {
        return Ok(None);
    }
    match claims.extra().iter().find(|(k, _)| k == PAT_JTI_CLAIM) {
        None => Ok(None),
        Some((_, Value::String(jti))) => Ok(Some(jti)),
        Some(_) => Err(Error::with_detail(
            ErrorKind::MalformedToken,
            "the pat_jti claim must be a string",
        )),
    }
}

fn kind_of(principal: &Principal<'_>) -> KeyKind {
    match principal {
        Principal::Jwt(_) => KeyKind::Jwt,
        Principal::LegacyKey(_) => KeyKind::Legacy,
    }
}

/// A credential whose scheme and shape agree, not yet verified.
enum Presented<'h> {
    Access(&'h str),
    Legacy(&'h str),
}

impl<'h> Presented<'h> {
    #[inline(always)]
    fn read(header: &'h [u8]) -> Result<Self> {
        match parse_authorization(header)? {
            Credential::Token(key) => {
                if looks_like_jwt(key) {
                    return Err(Error::with_detail(
                        ErrorKind::WrongTokenType,
                        "a JWT must be sent with the Bearer scheme, not Token",
                    ));
                }
                check_legacy_key(key)?;
                Ok(Presented::Legacy(key))
            }
            Credential::Bearer(token) => {
                if !looks_like_jwt(token) {
                    return Err(Error::with_detail(
                        ErrorKind::WrongTokenType,
                        if crate::legacy::is_legacy_key(token) {
                            "a legacy API key must be sent with the Token scheme, not Bearer"
                        } else {
                            "a Bearer credential must be a JWT access token"
                        },
                    ));
                }
                Ok(Presented::Access(token))
            }
        }
    }

    fn kind(&self) -> KeyKind {
        match self {
            Presented::Access(_) => KeyKind::Jwt,
            Presented::Legacy(_) => KeyKind::Legacy,
        }
    }

    #[inline(always)]
    fn verify(
        self,
        verify_access: impl FnOnce(&[u8]) -> Result<Claims>,
    ) -> Result<PendingPrincipal<'h>> {
        let principal = match self {
            Presented::Access(token) => Principal::Jwt(verify_access(token.as_bytes())?),
            Presented::Legacy(key) => Principal::LegacyKey(Cow::Borrowed(key)),
        };
        Ok(PendingPrincipal { principal })
    }
}

/// A JWT has dots; a legacy key (hex) never does.
fn looks_like_jwt(token: &str) -> bool {
    token.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InMemoryRevocation, Issuer, Keyring, TokenPolicy};

    const NOW: i64 = 1_700_000_000;
    const LEGACY: &str = "0123456789abcdef0123456789abcdef01234567";

    fn setup() -> (Issuer, String, String) {
        let issuer = Issuer::new(
            Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(),
            TokenPolicy::default(),
        );
        let s = OrgSettings::default();
        let pat = issuer.mint_pat("5", &Default::default(), &s, NOW).unwrap();
        let access = issuer
            .refresh(&pat, &s, &InMemoryRevocation::new(), NOW)
            .unwrap();
        (issuer, pat, access)
    }

    fn code(header: &str, settings: &OrgSettings) -> &'static str {
        let (issuer, ..) = setup();
        authenticate(header.as_bytes(), issuer.verifier(), settings, NOW)
            .unwrap_err()
            .code()
    }

    /// Authentication as the header is read: every header check, then the settings, then
    /// verification, with no shortcut.
    fn read_first<'h>(
        header: &'h [u8],
        verifier: &Verifier,
        settings: Option<&OrgSettings>,
        now: i64,
    ) -> Result<Principal<'h>> {
        let presented = Presented::read(header)?;
        if let Some(settings) = settings {
            settings.admit(presented.kind())?;
        }
        let pending = presented.verify(|t| verifier.verify_access_bytes(t, now))?;
        match settings {
            Some(settings) => pending.admit(settings),
            None => Ok(pending.principal),
        }
    }

    #[test]
    fn the_bearer_shortcut_answers_as_reading_the_header_first() {
        let (issuer, pat, access) = setup();
        let (head, _) = access.rsplit_once('.').unwrap();
        let mut headers: Vec<String> = vec![
            format!("Bearer {access}"),
            format!("bearer  {access} \t"),
            format!("BEARER {access}="),
            format!("Bearer {access}!"),
            format!("Bearer {access}x"),
            format!("Bearer {access} x"),
            format!("Bearer {head}.abc"),
            format!("Bearer {head}+abc"),
            format!("Bearer {pat}"),
            format!("Bearer {LEGACY}"),
            format!("Bearer é{access}"),
            format!("Token {access}"),
            format!("Token {LEGACY}"),
            format!("Basic {access}"),
            "Bearer".to_owned(),
            "Bearer ".to_owned(),
            String::new(),
            format!("Bearer {}", "a".repeat(9000)),
        ];
        headers.push(format!("Bearer {}", access.replace('.', "..")));
        let off = OrgSettings {
            api_tokens_enabled: false,
            ..OrgSettings::default()
        };
        let legacy_on = OrgSettings {
            legacy_api_tokens_enabled: true,
            ..OrgSettings::default()
        };
        let verifier = issuer.verifier();
        for header in &headers {
            for now in [NOW, NOW + 300] {
                for settings in [&OrgSettings::default(), &off, &legacy_on] {
                    assert_eq!(
                        authenticate(header.as_bytes(), verifier, settings, now),
                        read_first(header.as_bytes(), verifier, Some(settings), now),
                        "{header:?}"
                    );
                }
                assert_eq!(
                    begin_authenticate(header.as_bytes(), verifier, now).map(|p| p.principal),
                    read_first(header.as_bytes(), verifier, None, now),
                    "{header:?}"
                );
            }
        }
    }

    #[test]
    fn bearer_access_authenticates() {
        let (issuer, pat, access) = setup();
        let s = OrgSettings::default();
        let header = format!("Bearer {access}");
        match authenticate(header.as_bytes(), issuer.verifier(), &s, NOW + 1).unwrap() {
            Principal::Jwt(c) => assert_eq!(c.user_id(), "5"),
            other => panic!("{other:?}"),
        }
        assert_eq!(code(&format!("Bearer {pat}"), &s), "wrong_token_type");
        let off = OrgSettings {
            api_tokens_enabled: false,
            ..s.clone()
        };
        assert_eq!(
            code(&format!("Bearer {access}"), &off),
            "token_kind_disabled"
        );
    }

    #[test]
    fn two_steps_apply_the_settings_found_after_verification() {
        let (issuer, pat, access) = setup();
        let header = format!("Bearer {access}");
        let off = OrgSettings {
            api_tokens_enabled: false,
            ..OrgSettings::default()
        };
        let pending = begin_authenticate(header.as_bytes(), issuer.verifier(), NOW).unwrap();
        assert_eq!(pending.lookup(), Lookup::UserId("5"));
        assert_eq!(
            pending.admit(&off).unwrap_err().code(),
            "token_kind_disabled"
        );
        let pending = begin_authenticate(header.as_bytes(), issuer.verifier(), NOW).unwrap();
        match pending.admit(&OrgSettings::default()).unwrap() {
            Principal::Jwt(c) => assert_eq!(c.user_id(), "5"),
            other => panic!("{other:?}"),
        }
        // Nothing that needs no settings is left for the second step.
        let expired = begin_authenticate(header.as_bytes(), issuer.verifier(), NOW + 300);
        assert_eq!(expired.unwrap_err().code(), "token_expired");
        let pat_header = format!("Bearer {pat}");
        let as_bearer = begin_authenticate(pat_header.as_bytes(), issuer.verifier(), NOW);
        assert_eq!(as_bearer.unwrap_err().code(), "wrong_token_type");
        // A legacy key names itself for the lookup, and follows the legacy toggle.
        let key = format!("Token {LEGACY}");
        let pending = begin_authenticate(key.as_bytes(), issuer.verifier(), NOW).unwrap();
        assert_eq!(pending.lookup(), Lookup::LegacyKey(LEGACY));
        assert_eq!(
            pending.admit(&OrgSettings::default()).unwrap_err().code(),
            "token_kind_disabled"
        );
    }

    #[test]
    fn schemes_and_kinds_must_match() {
        let (_, _, access) = setup();
        let on = OrgSettings {
            legacy_api_tokens_enabled: true,
            ..OrgSettings::default()
        };
        assert_eq!(code(&format!("Token {access}"), &on), "wrong_token_type");
        assert_eq!(code(&format!("Bearer {LEGACY}"), &on), "wrong_token_type");
        assert_eq!(code("Token not-a-key", &on), "malformed_token");
        assert_eq!(
            code(&format!("Token {LEGACY}"), &OrgSettings::default()),
            "token_kind_disabled"
        );
        assert_eq!(code("", &on), "no_credentials");
        assert_eq!(code("Basic abc", &on), "unsupported_scheme");
    }

    #[test]
    fn revoking_the_pat_stops_its_access_tokens() {
        use crate::{InMemoryRevocation, Issuer, Keyring, RevocationStore, TokenPolicy};
        let policy = TokenPolicy {
            access_names_pat: true,
            ..TokenPolicy::default()
        };
        let issuer = Issuer::new(
            Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(),
            policy,
        );
        let now = 1_700_000_000;
        let s = OrgSettings::default();
        let store = InMemoryRevocation::new();
        let pat = issuer.mint_pat("7", &Default::default(), &s, now).unwrap();
        let header = format!("Bearer {}", issuer.refresh(&pat, &s, &store, now).unwrap());
        let pending = begin_authenticate(header.as_bytes(), issuer.verifier(), now).unwrap();
        let jti = pending.lookup_pat_jti().expect("names its PAT");
        assert!(pending.admit_unrevoked(&s, &store).is_ok());

        assert!(store.revoke_if_active(&jti, now + 10, now));
        let pending = begin_authenticate(header.as_bytes(), issuer.verifier(), now).unwrap();
        assert_eq!(
            pending.admit_unrevoked(&s, &store).unwrap_err().code(),
            "token_revoked"
        );
        // `admit` does not read revocation: the host that can must call admit_unrevoked.
        let pending = begin_authenticate(header.as_bytes(), issuer.verifier(), now).unwrap();
        assert!(pending.admit(&s).is_ok());
    }
}
