//! The one error type of ls-auth: a stable kind (SPEC §4), an HTTP status and a human message.
//!
//! Messages never carry a token or a key: at most a claim name or a short fixed description.

use std::borrow::Cow;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a stable code shared by Rust, Python and C.
///
/// New kinds may be added; a code is never reused for another meaning.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No `Authorization` header, or an empty one.
    NoCredentials,
    /// A scheme other than `Bearer` or `Token`: not ours, the host may try other authentication.
    UnsupportedScheme,
    /// The header does not follow `scheme 1*SP token68`.
    MalformedHeader,
    /// The header is longer than 8 KiB.
    HeaderTooLarge,
    /// The token is not a well-formed compact JWS (or a well-formed legacy key).
    MalformedToken,
    /// The token is longer than 4 KiB.
    TokenTooLarge,
    /// The header's `alg` is not the one the configured keys allow.
    UnsupportedAlgorithm,
    /// No configured key produces the token's signature.
    InvalidSignature,
    /// `exp` has passed.
    TokenExpired,
    /// `nbf` is in the future.
    TokenNotYetValid,
    /// `iat` is in the future.
    IssuedInFuture,
    /// A required claim is absent.
    MissingClaim,
    /// A claim is present but has the wrong type or value.
    InvalidClaim,
    /// An access token where a PAT was expected, a JWT sent as `Token`, and the like.
    WrongTokenType,
    /// The PAT's `jti` has been revoked.
    TokenRevoked,
    /// The organisation has disabled this kind of API key.
    TokenKindDisabled,
    /// The PAT is older than the organisation's current PAT TTL.
    PatTtlExceeded,
    /// An HMAC key shorter than 32 bytes without the explicit opt-in.
    KeyTooShort,
    /// A caller passed an argument the API cannot accept.
    InvalidArgument,
}

impl ErrorKind {
    /// Every kind, in code order; bindings use it to build their tables.
    pub const ALL: [ErrorKind; 19] = [
        ErrorKind::NoCredentials,
        ErrorKind::UnsupportedScheme,
        ErrorKind::MalformedHeader,
        ErrorKind::HeaderTooLarge,
        ErrorKind::MalformedToken,
        ErrorKind::TokenTooLarge,
        ErrorKind::UnsupportedAlgorithm,
        ErrorKind::InvalidSignature,
        ErrorKind::TokenExpired,
        ErrorKind::TokenNotYetValid,
        ErrorKind::IssuedInFuture,
        ErrorKind::MissingClaim,
        ErrorKind::InvalidClaim,
        ErrorKind::WrongTokenType,
        ErrorKind::TokenRevoked,
        ErrorKind::TokenKindDisabled,
        ErrorKind::PatTtlExceeded,
        ErrorKind::KeyTooShort,
        ErrorKind::InvalidArgument,
    ];

    /// The stable snake_case code of SPEC §4.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::NoCredentials => "no_credentials",
            ErrorKind::UnsupportedScheme => "unsupported_scheme",
            ErrorKind::MalformedHeader => "malformed_header",
            ErrorKind::HeaderTooLarge => "header_too_large",
            ErrorKind::MalformedToken => "malformed_token",
            ErrorKind::TokenTooLarge => "token_too_large",
            ErrorKind::UnsupportedAlgorithm => "unsupported_algorithm",
            ErrorKind::InvalidSignature => "invalid_signature",
            ErrorKind::TokenExpired => "token_expired",
            ErrorKind::TokenNotYetValid => "token_not_yet_valid",
            ErrorKind::IssuedInFuture => "issued_in_future",
            ErrorKind::MissingClaim => "missing_claim",
            ErrorKind::InvalidClaim => "invalid_claim",
            ErrorKind::WrongTokenType => "wrong_token_type",
            ErrorKind::TokenRevoked => "token_revoked",
            ErrorKind::TokenKindDisabled => "token_kind_disabled",
            ErrorKind::PatTtlExceeded => "pat_ttl_exceeded",
            ErrorKind::KeyTooShort => "key_too_short",
            ErrorKind::InvalidArgument => "invalid_argument",
        }
    }

    /// Looks a kind up by its stable code.
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The HTTP status a server answers with (SPEC §2).
    ///
    /// Header problems are the client's request being wrong (400); token problems and absent
    /// credentials are 401; a short key or a bad argument is the host's own mistake (500).
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorKind::MalformedHeader | ErrorKind::HeaderTooLarge => 400,
            ErrorKind::KeyTooShort | ErrorKind::InvalidArgument => 500,
            _ => 401,
        }
    }

    /// The OAuth 2.0 bearer-token error code (RFC 6750 §3.1) for `WWW-Authenticate`, if any.
    ///
    /// Absent credentials and foreign schemes carry no error code, as RFC 6750 §3.1 asks.
    pub const fn oauth_error(self) -> Option<&'static str> {
        match self {
            ErrorKind::NoCredentials | ErrorKind::UnsupportedScheme => None,
            ErrorKind::MalformedHeader | ErrorKind::HeaderTooLarge => Some("invalid_request"),
            ErrorKind::KeyTooShort | ErrorKind::InvalidArgument => None,
            _ => Some("invalid_token"),
        }
    }

    /// A short human description of the kind, used when no detail is given.
    pub const fn description(self) -> &'static str {
        match self {
            ErrorKind::NoCredentials => "authentication credentials were not provided",
            ErrorKind::UnsupportedScheme => "authorization scheme is not Bearer or Token",
            ErrorKind::MalformedHeader => "authorization header is malformed",
            ErrorKind::HeaderTooLarge => "authorization header is larger than 8 KiB",
            ErrorKind::MalformedToken => "token is malformed",
            ErrorKind::TokenTooLarge => "token is larger than 4 KiB",
            ErrorKind::UnsupportedAlgorithm => "token algorithm is not allowed",
            ErrorKind::InvalidSignature => "token signature is invalid",
            ErrorKind::TokenExpired => "token has expired",
            ErrorKind::TokenNotYetValid => "token is not valid yet",
            ErrorKind::IssuedInFuture => "token was issued in the future",
            ErrorKind::MissingClaim => "token is missing a required claim",
            ErrorKind::InvalidClaim => "token has an invalid claim",
            ErrorKind::WrongTokenType => "token has the wrong type",
            ErrorKind::TokenRevoked => "token has been revoked",
            ErrorKind::TokenKindDisabled => "this kind of API token is disabled",
            ErrorKind::PatTtlExceeded => "token is older than the organisation's token lifetime",
            ErrorKind::KeyTooShort => "HMAC key is shorter than 32 bytes",
            ErrorKind::InvalidArgument => "invalid argument",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// An ls-auth failure: a kind plus a human message that never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct Error {
    kind: ErrorKind,
    detail: Option<Cow<'static, str>>,
}

impl Error {
    /// An error with the kind's generic description.
    pub const fn new(kind: ErrorKind) -> Self {
        Error { kind, detail: None }
    }

    /// An error with a more precise message. Callers pass fixed text or claim names only.
    pub fn with_detail(kind: ErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Error {
            kind,
            detail: Some(detail.into()),
        }
    }

    /// The kind of failure.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable code (SPEC §4).
    pub const fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The HTTP status a server answers with.
    pub const fn http_status(&self) -> u16 {
        self.kind.http_status()
    }

    /// The human message.
    pub fn message(&self) -> &str {
        match &self.detail {
            Some(d) => d,
            None => self.kind.description(),
        }
    }

    pub(crate) fn missing_claim(name: &'static str) -> Self {
        Error::with_detail(
            ErrorKind::MissingClaim,
            format!("token is missing the `{name}` claim"),
        )
    }

    pub(crate) fn invalid_claim(name: &'static str, why: &'static str) -> Self {
        Error::with_detail(ErrorKind::InvalidClaim, format!("claim `{name}` {why}"))
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            assert!(seen.insert(kind.code()), "duplicate code {}", kind.code());
            assert_eq!(ErrorKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(ErrorKind::from_code("nope"), None);
    }

    #[test]
    fn statuses_follow_the_spec() {
        assert_eq!(ErrorKind::MalformedHeader.http_status(), 400);
        assert_eq!(
            ErrorKind::MalformedHeader.oauth_error(),
            Some("invalid_request")
        );
        assert_eq!(ErrorKind::TokenExpired.http_status(), 401);
        assert_eq!(ErrorKind::TokenExpired.oauth_error(), Some("invalid_token"));
        assert_eq!(ErrorKind::NoCredentials.http_status(), 401);
        assert_eq!(ErrorKind::NoCredentials.oauth_error(), None);
    }

    #[test]
    fn message_prefers_detail() {
        let e = Error::missing_claim("exp");
        assert_eq!(e.code(), "missing_claim");
        assert_eq!(e.to_string(), "token is missing the `exp` claim");
        assert_eq!(
            Error::new(ErrorKind::TokenRevoked).to_string(),
            "token has been revoked"
        );
    }
}
