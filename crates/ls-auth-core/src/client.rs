//! The client side (contract §5): telling what kind of API key a user has, and caching the access
//! token a PAT is exchanged for. Nothing here verifies a signature: the client has no key.

use crate::claims::TokenType;
use crate::error::{Error, ErrorKind, Result};
use crate::header::{bearer_value, token_value};
use crate::jws::{decode_unverified, UnverifiedToken};
use crate::legacy::is_legacy_key;

/// The SDK's margin: refresh when the access token has less than this many seconds left.
pub const DEFAULT_REFRESH_MARGIN: u32 = 30;

const EXPIRED_MESSAGE: &str = "API key has expired. Please obtain a new refresh token.";

/// What kind of API key a user configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiKeyKind {
    /// A legacy key, sent as `Token <key>`.
    Legacy,
    /// A personal access token, exchanged for access tokens.
    Pat,
    /// An access token, sent as `Bearer <token>` until it expires.
    Access,
}

impl ApiKeyKind {
    /// `"legacy"`, `"pat"` or `"access"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ApiKeyKind::Legacy => "legacy",
            ApiKeyKind::Pat => "pat",
            ApiKeyKind::Access => "access",
        }
    }
}

/// A JWT read without a key: its type and expiry.
struct Peek {
    kind: ApiKeyKind,
    exp: i64,
}

fn peek(key: &str) -> Option<Result<Peek>> {
    let token = decode_unverified(key).ok().filter(|t| !t.truncated)?;
    let kind = token_type_of(&token);
    let claims = token.claims;
    Some((|| {
        let exp = match claims.get("exp") {
            None => return Err(Error::with_detail(ErrorKind::MissingClaim, EXPIRED_MESSAGE)),
            Some(v) => v.as_i64().ok_or_else(|| {
                Error::with_detail(
                    ErrorKind::InvalidClaim,
                    "claim `exp` must be an integer number of seconds",
                )
            })?,
        };
        let kind =
            match kind {
                Some(TokenType::Refresh) => ApiKeyKind::Pat,
                Some(TokenType::Access) => ApiKeyKind::Access,
                None => return Err(Error::with_detail(
                    ErrorKind::WrongTokenType,
                    "API key is a JWT that is neither a personal access token nor an access token",
                )),
            };
        Ok(Peek { kind, exp })
    })())
}

/// What a string looks like, read without any key: for display and diagnosis only, never for
/// authorisation (nothing about it is verified). A usable key is an [`ApiKeyKind`]; the other
/// shapes are texts a user may paste that are not keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyShape {
    /// A key of one of the three kinds.
    Key(ApiKeyKind),
    /// `header.payload` without a signature: the server's listing form, which authenticates
    /// nothing.
    Truncated,
    /// A JWT with another or no `token_type`.
    OtherJwt,
}

impl KeyShape {
    /// `"legacy"`, `"pat"`, `"access"`, `"truncated"` or `"jwt"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyShape::Key(kind) => kind.as_str(),
            KeyShape::Truncated => "truncated",
            KeyShape::OtherJwt => "jwt",
        }
    }
}

/// Reads a key or token without a key: its shape, and for a JWT its decoded header and claims.
/// Anything that is neither a (possibly truncated) JWT nor a legacy key is `malformed_token`.
///
/// ```
/// use ls_auth_core::client::{inspect_key, KeyShape};
/// let (shape, token) = inspect_key("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9").unwrap();
/// assert_eq!(shape, KeyShape::Truncated);
/// assert_eq!(token.unwrap().claims["token_type"], "refresh");
/// ```
pub fn inspect_key(key: &str) -> Result<(KeyShape, Option<UnverifiedToken>)> {
    let token = match decode_unverified(key) {
        Ok(token) => token,
        Err(_) if is_legacy_key(key) => return Ok((KeyShape::Key(ApiKeyKind::Legacy), None)),
        Err(e) => return Err(e),
    };
    let shape = if token.truncated {
        KeyShape::Truncated
    } else {
        match token_type_of(&token) {
            Some(TokenType::Refresh) => KeyShape::Key(ApiKeyKind::Pat),
            Some(TokenType::Access) => KeyShape::Key(ApiKeyKind::Access),
            None => KeyShape::OtherJwt,
        }
    };
    Ok((shape, Some(token)))
}

fn token_type_of(token: &UnverifiedToken) -> Option<TokenType> {
    token
        .claims
        .get("token_type")
        .and_then(|v| v.as_str())
        .and_then(TokenType::from_claim)
}

/// Tells a PAT, an access token and a legacy key apart, the way the SDK does before its first
/// request. A JWT without `exp` or an expired PAT is an error the user must see; anything that
/// does not parse as a JWT is a legacy key.
///
/// ```
/// use ls_auth_core::client::{classify_api_key, ApiKeyKind};
/// assert_eq!(classify_api_key("0123456789abcdef0123456789abcdef01234567", 0).unwrap(), ApiKeyKind::Legacy);
/// ```
pub fn classify_api_key(key: &str, now: i64) -> Result<ApiKeyKind> {
    read_api_key(key, now).map(|p| p.kind)
}

/// [`classify_api_key`], keeping the JWT's `exp` (`i64::MAX` for a legacy key).
fn read_api_key(key: &str, now: i64) -> Result<Peek> {
    if key.is_empty() {
        return Err(Error::with_detail(
            ErrorKind::InvalidArgument,
            "API key is empty",
        ));
    }
    match peek(key) {
        None => Ok(Peek {
            kind: ApiKeyKind::Legacy,
            exp: i64::MAX,
        }),
        Some(Err(e)) => Err(e),
        Some(Ok(p)) if p.kind == ApiKeyKind::Pat && p.exp <= now => {
            Err(Error::with_detail(ErrorKind::TokenExpired, EXPIRED_MESSAGE))
        }
        Some(Ok(p)) => Ok(p),
    }
}

/// The SDK's access-token cache as a state machine: it holds the API key, says when a refresh
/// is due (before expiry, with a margin, so no request leaves with a token that dies in
/// flight), stores the new access token and builds the header value.
///
/// It does no I/O and takes `&mut self` to change: a host shares it behind a lock held across
/// the refresh, which also makes refreshes one at a time.
///
/// ```
/// use ls_auth_core::*;
/// use ls_auth_core::client::AccessTokenCache;
/// let issuer = Issuer::new(Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(), TokenPolicy::default());
/// let (settings, now) = (OrgSettings::default(), 1_700_000_000);
/// let pat = issuer.mint_pat("1", &Default::default(), &settings, now).unwrap();
///
/// let mut cache = AccessTokenCache::new(&pat, now).unwrap();
/// assert!(cache.needs_refresh(now));
/// let access = issuer.refresh(cache.refresh_token().unwrap(), &settings, &InMemoryRevocation::new(), now).unwrap();
/// cache.store_access(&access).unwrap();
/// assert!(!cache.needs_refresh(now + 269));
/// assert!(cache.needs_refresh(now + 270)); // 30 s before the 300 s lifetime ends
/// assert!(cache.authorization_value(now).unwrap().starts_with("Bearer "));
/// ```
#[derive(Clone)]
pub struct AccessTokenCache {
    api_key: String,
    kind: ApiKeyKind,
    key_exp: Option<i64>,
    access: Option<(String, i64)>,
    margin: i64,
}

impl std::fmt::Debug for AccessTokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokenCache")
            .field("kind", &self.kind)
            .field("api_key", &"[redacted]")
            .field("access_exp", &self.access.as_ref().map(|(_, exp)| exp))
            .field("margin", &self.margin)
            .finish()
    }
}

impl AccessTokenCache {
    /// A cache for `api_key`, classified at `now`, with the default 30 s margin.
    pub fn new(api_key: &str, now: i64) -> Result<Self> {
        let Peek { kind, exp } = read_api_key(api_key, now)?;
        Ok(AccessTokenCache {
            api_key: api_key.to_owned(),
            kind,
            key_exp: (kind != ApiKeyKind::Legacy).then_some(exp),
            access: None,
            margin: i64::from(DEFAULT_REFRESH_MARGIN),
        })
    }

    /// Sets the refresh margin in seconds.
    pub fn with_margin(mut self, margin: u32) -> Self {
        self.margin = i64::from(margin);
        self
    }

    /// The kind of the configured key.
    pub fn kind(&self) -> ApiKeyKind {
        self.kind
    }

    /// The PAT to send to `/api/token/refresh/`, when the key is a PAT.
    pub fn refresh_token(&self) -> Option<&str> {
        (self.kind == ApiKeyKind::Pat).then_some(self.api_key.as_str())
    }

    /// The cached access token's expiry, if one is held.
    pub fn access_exp(&self) -> Option<i64> {
        self.access.as_ref().map(|(_, exp)| *exp)
    }

    /// Whether a refresh must happen before the next request: only for a PAT, when no access
    /// token is held or the one held expires within the margin.
    pub fn needs_refresh(&self, now: i64) -> bool {
        self.kind == ApiKeyKind::Pat
            && self
                .access
                .as_ref()
                .is_none_or(|(_, exp)| exp.saturating_sub(self.margin) <= now)
    }

    /// Stores the access token a refresh returned. It must be an access token with an `exp`.
    pub fn store_access(&mut self, token: &str) -> Result<()> {
        if self.kind != ApiKeyKind::Pat {
            return Err(Error::with_detail(
                ErrorKind::InvalidArgument,
                "only a cache holding a personal access token stores access tokens",
            ));
        }
        match peek(token) {
            Some(Ok(Peek {
                kind: ApiKeyKind::Access,
                exp,
            })) => {
                self.access = Some((token.to_owned(), exp));
                Ok(())
            }
            Some(Ok(_)) => Err(Error::with_detail(
                ErrorKind::WrongTokenType,
                "the refresh endpoint returned a token that is not an access token",
            )),
            Some(Err(e)) => Err(e),
            None => Err(Error::with_detail(
                ErrorKind::MalformedToken,
                "the refresh endpoint returned something that is not a JWT",
            )),
        }
    }

    /// The `Authorization` value for a request at `now`: `Token <key>` for a legacy key,
    /// `Bearer <access>` otherwise. For a PAT a fresh access token must be stored first.
    pub fn authorization_value(&self, now: i64) -> Result<String> {
        match self.kind {
            ApiKeyKind::Legacy => Ok(token_value(&self.api_key)),
            ApiKeyKind::Access => {
                if self.key_exp.is_some_and(|exp| exp <= now) {
                    return Err(Error::with_detail(
                        ErrorKind::TokenExpired,
                        "the configured access token has expired",
                    ));
                }
                Ok(bearer_value(&self.api_key))
            }
            ApiKeyKind::Pat => {
                if self.needs_refresh(now) {
                    return Err(Error::with_detail(
                        ErrorKind::TokenExpired,
                        "no fresh access token is cached: refresh the personal access token first",
                    ));
                }
                let (access, _) = self
                    .access
                    .as_ref()
                    .expect("needs_refresh is false only with a token");
                Ok(bearer_value(access))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    fn jwt(claims: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn classifies() {
        let pat = jwt(r#"{"token_type":"refresh","exp":100,"jti":"j","user_id":"1"}"#);
        let access = jwt(r#"{"token_type":"access","exp":100,"jti":"j","user_id":"1"}"#);
        assert_eq!(classify_api_key(&pat, 99).unwrap(), ApiKeyKind::Pat);
        assert_eq!(classify_api_key(&access, 99).unwrap(), ApiKeyKind::Access);
        assert_eq!(classify_api_key(&access, 500).unwrap(), ApiKeyKind::Access);
        let e = classify_api_key(&pat, 100).unwrap_err();
        assert_eq!((e.code(), e.message()), ("token_expired", EXPIRED_MESSAGE));
        let no_exp = jwt(r#"{"token_type":"refresh"}"#);
        assert_eq!(
            classify_api_key(&no_exp, 0).unwrap_err().message(),
            EXPIRED_MESSAGE
        );
        for legacy in [
            "0123456789abcdef0123456789abcdef01234567",
            "a.b.c",
            "anything",
        ] {
            assert_eq!(classify_api_key(legacy, 0).unwrap(), ApiKeyKind::Legacy);
        }
        assert_eq!(
            classify_api_key("", 0).unwrap_err().code(),
            "invalid_argument"
        );
    }

    #[test]
    fn cache_state_machine() {
        let pat = jwt(r#"{"token_type":"refresh","exp":100000,"jti":"j","user_id":"1"}"#);
        let mut cache = AccessTokenCache::new(&pat, 0).unwrap().with_margin(10);
        assert!(cache.needs_refresh(0));
        assert_eq!(
            cache.authorization_value(0).unwrap_err().code(),
            "token_expired"
        );
        assert_eq!(
            cache.store_access(&pat).unwrap_err().code(),
            "wrong_token_type"
        );
        let access = jwt(r#"{"token_type":"access","exp":300,"jti":"k","user_id":"1"}"#);
        cache.store_access(&access).unwrap();
        assert!(!cache.needs_refresh(289));
        assert!(cache.needs_refresh(290));
        assert_eq!(
            cache.authorization_value(1).unwrap(),
            format!("Bearer {access}")
        );
        assert!(!format!("{cache:?}").contains(&pat));

        let legacy = AccessTokenCache::new("0123456789abcdef0123456789abcdef01234567", 0).unwrap();
        assert!(!legacy.needs_refresh(0));
        assert_eq!(
            legacy.authorization_value(0).unwrap(),
            "Token 0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(legacy.refresh_token(), None);
    }
}
