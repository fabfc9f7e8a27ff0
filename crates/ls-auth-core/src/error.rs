//! The one error type of ls-auth: a stable kind (contract §4), an HTTP status and a human message.
//!
//! Messages never carry a token or a key: at most a claim name or a short fixed description.

use std::borrow::Cow;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Declares [`ErrorKind`] from one table: variant, stable code, HTTP status, RFC 6750 error
/// code for the challenge, and the human description. Every property of a kind lives on its
/// row, so adding a kind is one row here (then its C value in `bindings/c/src/result.rs` and
/// its Python class in `ls_auth/_errors.py`, each of which refuses to build or import without
/// it; see `docs/architecture.md`).
macro_rules! error_kinds {
    ($( $(#[$doc:meta])* $kind:ident => ($code:literal, $status:literal, $oauth:expr, $description:literal), )*) => {
        /// What went wrong, as a stable code shared by Rust, Python and C.
        ///
        /// New kinds may be added; a code is never reused for another meaning.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorKind {
            $( $(#[$doc])* $kind, )*
        }

        impl ErrorKind {
            /// Every kind, in code order; bindings use it to build their tables.
            pub const ALL: [ErrorKind; [$( stringify!($kind) ),*].len()] = [$( ErrorKind::$kind ),*];

            /// The stable snake_case code of contract §4.
            pub const fn code(self) -> &'static str {
                match self { $( ErrorKind::$kind => $code, )* }
            }

            /// The HTTP status a server answers with (contract §2): header problems are the
            /// client's request being wrong (400); token problems and absent credentials are
            /// 401; a short key or a bad argument is the host's own mistake (500).
            pub const fn http_status(self) -> u16 {
                match self { $( ErrorKind::$kind => $status, )* }
            }

            /// The OAuth 2.0 bearer-token error code (RFC 6750 §3.1) for `WWW-Authenticate`,
            /// if any. Absent credentials and foreign schemes carry none, as RFC 6750 §3.1 asks,
            /// and neither do the server's own failures.
            pub const fn oauth_error(self) -> Option<&'static str> {
                match self { $( ErrorKind::$kind => $oauth, )* }
            }

            /// A short human description of the kind, used when no detail is given. Printable
            /// ASCII without `"` or `\`, so it is also the challenge's `error_description`.
            pub const fn description(self) -> &'static str {
                match self { $( ErrorKind::$kind => $description, )* }
            }
        }
    };
}

const INVALID_REQUEST: Option<&str> = Some("invalid_request");
const INVALID_TOKEN: Option<&str> = Some("invalid_token");

error_kinds! {
    /// No `Authorization` header, or an empty one.
    NoCredentials => ("no_credentials", 401, None, "authentication credentials were not provided"),
    /// A scheme other than `Bearer` or `Token`: not ours, the host may try other authentication.
    UnsupportedScheme => ("unsupported_scheme", 401, None, "authorization scheme is not Bearer or Token"),
    /// The header does not follow `scheme 1*SP token68`.
    MalformedHeader => ("malformed_header", 400, INVALID_REQUEST, "authorization header is malformed"),
    /// The header is longer than 8 KiB.
    HeaderTooLarge => ("header_too_large", 400, INVALID_REQUEST, "authorization header is larger than 8 KiB"),
    /// The token is not a well-formed compact JWS (or a well-formed legacy key).
    MalformedToken => ("malformed_token", 401, INVALID_TOKEN, "token is malformed"),
    /// The token is longer than 4 KiB.
    TokenTooLarge => ("token_too_large", 401, INVALID_TOKEN, "token is larger than 4 KiB"),
    /// The header's `alg` is not the one the configured keys allow.
    UnsupportedAlgorithm => ("unsupported_algorithm", 401, INVALID_TOKEN, "token algorithm is not allowed"),
    /// No configured key produces the token's signature.
    InvalidSignature => ("invalid_signature", 401, INVALID_TOKEN, "token signature is invalid"),
    /// `exp` has passed.
    TokenExpired => ("token_expired", 401, INVALID_TOKEN, "token has expired"),
    /// `nbf` is in the future.
    TokenNotYetValid => ("token_not_yet_valid", 401, INVALID_TOKEN, "token is not valid yet"),
    /// `iat` is in the future.
    IssuedInFuture => ("issued_in_future", 401, INVALID_TOKEN, "token was issued in the future"),
    /// A required claim is absent.
    MissingClaim => ("missing_claim", 401, INVALID_TOKEN, "token is missing a required claim"),
    /// A claim is present but has the wrong type or value.
    InvalidClaim => ("invalid_claim", 401, INVALID_TOKEN, "token has an invalid claim"),
    /// An access token where a PAT was expected, a JWT sent as `Token`, and the like.
    WrongTokenType => ("wrong_token_type", 401, INVALID_TOKEN, "token has the wrong type"),
    /// The PAT's `jti` has been revoked.
    TokenRevoked => ("token_revoked", 401, INVALID_TOKEN, "token has been revoked"),
    /// The organisation has disabled this kind of API key.
    TokenKindDisabled => ("token_kind_disabled", 401, INVALID_TOKEN, "this kind of API token is disabled"),
    /// The PAT is older than the organisation's current PAT TTL.
    PatTtlExceeded => ("pat_ttl_exceeded", 401, INVALID_TOKEN, "token is older than the organisation's token lifetime"),
    /// An HMAC key shorter than 32 bytes without the explicit opt-in.
    KeyTooShort => ("key_too_short", 500, None, "HMAC key is shorter than 32 bytes"),
    /// A caller passed an argument the API cannot accept.
    InvalidArgument => ("invalid_argument", 500, None, "invalid argument"),
    /// The credential's user belongs to no active organisation (`OrgSettings::has_organization`
    /// false), so no organisation's settings can admit it.
    NoOrganization => ("no_organization", 401, INVALID_TOKEN, "the user has no active organisation"),
    /// The token names (or, for `EdDSA`, fails to name) a `kid` that no key of the keyring has:
    /// a service may refetch its key set, rate-limited, and try once more.
    UnknownKeyId => ("unknown_key_id", 401, INVALID_TOKEN, "token key id is not in the key set"),
    /// A JWK Set the strict rules of contract §3.10 refuse: the host's configuration is wrong.
    InvalidKeySet => ("invalid_key_set", 500, None, "key set is invalid"),
}

impl ErrorKind {
    /// Looks a kind up by its stable code.
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.code() == code)
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

    /// An error with a more precise message. Crate-private so that no caller can put a secret
    /// in a message: the core passes fixed text or claim names only.
    pub(crate) fn with_detail(kind: ErrorKind, detail: impl Into<Cow<'static, str>>) -> Self {
        Error {
            kind,
            detail: Some(detail.into()),
        }
    }

    /// The kind of failure.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable code (contract §4).
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
