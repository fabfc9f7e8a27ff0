//! One request's authentication: header, organisation settings and verification together.

use crate::claims::Claims;
use crate::error::{Error, ErrorKind, Result};
use crate::header::{parse_authorization, Credential};
use crate::legacy::check_legacy_key;
use crate::policy::OrgSettings;
use crate::verify::Verifier;

/// Who a request is, as far as the token alone can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal<'h> {
    /// A verified access token; nothing more to look up.
    Jwt(Claims),
    /// A well-formed legacy key, allowed by the organisation. The host must still look it up
    /// (compare with [`legacy_keys_equal`](crate::legacy_keys_equal) or by
    /// [`legacy_key_digest`](crate::legacy_key_digest)) to find the user, or refuse it.
    LegacyKey(&'h str),
}

/// Authenticates an `Authorization` header value (empty when the header is absent).
///
/// `Bearer` carries an access token, verified without I/O; `Token` carries a legacy key,
/// returned for the host to look up. A PAT is never a credential: it must be exchanged for
/// an access token first. A disabled kind authenticates nothing.
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
    match parse_authorization(header)? {
        Credential::Token(key) => {
            if looks_like_jwt(key) {
                return Err(Error::with_detail(
                    ErrorKind::WrongTokenType,
                    "a JWT must be sent with the Bearer scheme, not Token",
                ));
            }
            check_legacy_key(key)?;
            if !settings.legacy_api_tokens_enabled {
                return Err(Error::with_detail(
                    ErrorKind::TokenKindDisabled,
                    "legacy API tokens are disabled for this organization",
                ));
            }
            Ok(Principal::LegacyKey(key))
        }
        Credential::Bearer(token) => {
            if !looks_like_jwt(token) {
                return Err(Error::with_detail(
                    ErrorKind::WrongTokenType,
                    if crate::is_legacy_key(token) {
                        "a legacy API key must be sent with the Token scheme, not Bearer"
                    } else {
                        "a Bearer credential must be a JWT access token"
                    },
                ));
            }
            if !settings.api_tokens_enabled {
                return Err(Error::with_detail(
                    ErrorKind::TokenKindDisabled,
                    "personal access tokens are disabled for this organization",
                ));
            }
            verifier.verify_access(token, now).map(Principal::Jwt)
        }
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
}
