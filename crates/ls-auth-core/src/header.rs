//! The `Authorization` header (contract §2): parsing into a credential, and building header values.

use crate::error::{Error, ErrorKind};

/// The longest `Authorization` value accepted.
pub const MAX_HEADER_LEN: usize = 8192;

/// A credential found in an `Authorization` header, borrowing the token from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// `Bearer <access token>`.
    Bearer(&'a str),
    /// `Token <legacy key>`.
    Token(&'a str),
}

impl<'a> Credential<'a> {
    /// The token or key itself.
    pub fn token(&self) -> &'a str {
        match *self {
            Credential::Bearer(t) | Credential::Token(t) => t,
        }
    }

    /// `"bearer"` or `"token"`.
    pub fn scheme(&self) -> &'static str {
        match self {
            Credential::Bearer(_) => "bearer",
            Credential::Token(_) => "token",
        }
    }

    /// The header value that carries this credential.
    pub fn header_value(&self) -> String {
        match *self {
            Credential::Bearer(t) => bearer_value(t),
            Credential::Token(t) => token_value(t),
        }
    }
}

/// Parses an `Authorization` value: `scheme 1*SP token68`, schemes matched case-insensitively.
///
/// The distinct outcomes are errors with their own kinds: `no_credentials` (absent or empty),
/// `unsupported_scheme` (not ours: the host may try other authentication), `malformed_header`
/// and `header_too_large`. An absent header is passed as an empty value.
///
/// ```
/// use ls_auth_core::header::{parse_authorization, Credential};
/// assert_eq!(parse_authorization(b"bearer abc.def.ghi").unwrap(), Credential::Bearer("abc.def.ghi"));
/// assert_eq!(parse_authorization(b"Basic dXNlcjpwdw==").unwrap_err().code(), "unsupported_scheme");
/// assert_eq!(parse_authorization(b"Token a b").unwrap_err().code(), "malformed_header");
/// assert_eq!(parse_authorization(b"").unwrap_err().code(), "no_credentials");
/// ```
pub fn parse_authorization(value: &[u8]) -> Result<Credential<'_>, Error> {
    let (bearer, token) = scheme_and_credentials(value)?;
    if !is_token68(token) {
        return Err(malformed(if token.contains(&b' ') {
            "authorization header has more than one credential"
        } else {
            "credentials contain characters outside token68"
        }));
    }
    // token68 is ASCII, so this never fails.
    let token = std::str::from_utf8(token).map_err(|_| malformed("credentials are not ASCII"))?;
    Ok(if bearer {
        Credential::Bearer(token)
    } else {
        Credential::Token(token)
    })
}

/// Everything [`parse_authorization`] checks but the credentials' characters: the size, the
/// scheme (true for `Bearer`, false for `Token`) and the credentials' place.
#[inline]
fn scheme_and_credentials(value: &[u8]) -> Result<(bool, &[u8]), Error> {
    if value.len() > MAX_HEADER_LEN {
        return Err(Error::new(ErrorKind::HeaderTooLarge));
    }
    let value = trim_ows(value);
    if value.is_empty() {
        return Err(Error::new(ErrorKind::NoCredentials));
    }
    let scheme_end = value.iter().position(|&b| b == b' ').unwrap_or(value.len());
    let scheme = &value[..scheme_end];
    let bearer = scheme.eq_ignore_ascii_case(b"bearer");
    // Our two schemes are tokens; only another scheme needs its characters checked.
    if !bearer && !scheme.eq_ignore_ascii_case(b"token") {
        if !scheme.iter().all(|&b| is_tchar(b)) {
            return Err(malformed("authorization scheme is not a valid token"));
        }
        return Err(Error::new(ErrorKind::UnsupportedScheme));
    }
    let rest = &value[scheme_end..];
    let token = &rest[rest.iter().take_while(|&&b| b == b' ').count()..];
    if token.is_empty() {
        return Err(malformed("authorization scheme has no credentials"));
    }
    Ok((bearer, token))
}

/// The credentials of a `Bearer` value, unchecked: the same bytes [`parse_authorization`]
/// would return as [`Credential::Bearer`] if they are token68, else `None`. For a caller that
/// checks them more strictly anyway (a compact JWS that verifies is token68 and ASCII).
#[inline]
pub(crate) fn bearer_credentials(value: &[u8]) -> Option<&[u8]> {
    match scheme_and_credentials(value) {
        Ok((true, token)) => Some(token),
        _ => None,
    }
}

fn malformed(detail: &'static str) -> Error {
    Error::with_detail(ErrorKind::MalformedHeader, detail)
}

fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9110 §11.2 `token68`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(t: &[u8]) -> bool {
    let body = t.len() - t.iter().rev().take_while(|&&b| b == b'=').count();
    body > 0 && all_token68(&t[..body])
}

/// Whether every byte is a token68 character (before the padding). A fold without early exit
/// over branch-free tests, in fixed 32-byte blocks that the compiler vectorises with the
/// baseline SSE2; the last, partial block is checked as the overlapping final 32 bytes rather
/// than byte by byte (the scalar tail was a fifth of the time for a 230-byte token).
fn all_token68(t: &[u8]) -> bool {
    const BLOCK: usize = 32;
    let block = |b: &[u8]| b.iter().fold(true, |ok, &c| ok & is_token68_char(c));
    if t.len() < BLOCK {
        return block(t);
    }
    let mut blocks = t.chunks_exact(BLOCK);
    let mut ok = (&mut blocks).fold(true, |ok, b| {
        let b: &[u8; BLOCK] = b.try_into().unwrap_or(&[b'a'; BLOCK]);
        ok & block(b)
    });
    if !blocks.remainder().is_empty() {
        let last: &[u8; BLOCK] = t[t.len() - BLOCK..].try_into().unwrap_or(&[b'a'; BLOCK]);
        ok &= block(last);
    }
    ok
}

fn is_token68_char(b: u8) -> bool {
    // `+` `-` `.` `/` and the digits are the range 0x2B..=0x39 without `,` (0x2C).
    ((b.wrapping_sub(b'+') < 15) & (b != b','))
        | ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b == b'_')
        | (b == b'~')
}

/// `Bearer <token>`.
pub fn bearer_value(token: &str) -> String {
    format!("Bearer {token}")
}

/// `Token <key>`.
pub fn token_value(key: &str) -> String {
    format!("Token {key}")
}

/// The `WWW-Authenticate` challenge a server sends with a failure of this kind (RFC 6750 §3),
/// or `None` for failures that are the server's own (a short key, a bad argument).
///
/// The challenge depends on the kind alone, so every binding sends the same bytes for the
/// same failure; the specific message ([`Error::message`]) belongs in the response body.
///
/// ```
/// use ls_auth_core::ErrorKind;
/// use ls_auth_core::header::www_authenticate;
/// assert_eq!(www_authenticate(ErrorKind::NoCredentials).unwrap(), r#"Bearer realm="api""#);
/// assert_eq!(
///     www_authenticate(ErrorKind::TokenExpired).unwrap(),
///     r#"Bearer realm="api", error="invalid_token", error_description="token has expired""#
/// );
/// ```
pub fn www_authenticate(kind: ErrorKind) -> Option<String> {
    if kind.http_status() >= 500 {
        return None;
    }
    Some(match kind.oauth_error() {
        None => "Bearer realm=\"api\"".to_owned(),
        Some(code) => format!(
            "Bearer realm=\"api\", error=\"{code}\", error_description=\"{}\"",
            kind.description()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(v: &[u8]) -> &'static str {
        parse_authorization(v).unwrap_err().code()
    }

    #[test]
    fn accepts_what_the_grammar_allows() {
        assert_eq!(
            parse_authorization(b"Bearer a.b.c").unwrap(),
            Credential::Bearer("a.b.c")
        );
        assert_eq!(
            parse_authorization(b"BEARER   a.b.c").unwrap(),
            Credential::Bearer("a.b.c")
        );
        assert_eq!(
            parse_authorization(b" \tToken abc \t").unwrap(),
            Credential::Token("abc")
        );
        assert_eq!(
            parse_authorization(b"tOkEn ab+/c~=").unwrap(),
            Credential::Token("ab+/c~=")
        );
        assert_eq!(
            parse_authorization(b"Bearer abc==").unwrap().token(),
            "abc=="
        );
    }

    #[test]
    fn distinguishes_the_outcomes() {
        assert_eq!(code(b""), "no_credentials");
        assert_eq!(code(b" \t "), "no_credentials");
        assert_eq!(code(b"Basic Zm9vOmJhcg=="), "unsupported_scheme");
        assert_eq!(code(b"Bearer"), "malformed_header");
        assert_eq!(code(b"Bearer    "), "malformed_header");
        assert_eq!(code(b"Bearer a b"), "malformed_header");
        assert_eq!(code(b"Bearer a,b"), "malformed_header");
        assert_eq!(code(b"Bearer a=b"), "malformed_header");
        assert_eq!(code(b"Bearer =abc"), "malformed_header");
        assert_eq!(code(b"Bearer\ta.b.c"), "malformed_header");
        assert_eq!(code(b"Bearer a\0b"), "malformed_header");
        assert_eq!(code("Bearer tökén".as_bytes()), "malformed_header");
        assert_eq!(code(b"Bear\xffer abc"), "malformed_header");
        let big = [b"Bearer ".as_slice(), &vec![b'a'; MAX_HEADER_LEN]].concat();
        assert_eq!(code(&big), "header_too_large");
    }

    #[test]
    fn every_position_of_a_long_token_is_checked() {
        for len in [1, 31, 32, 33, 63, 64, 65, 231] {
            let good = vec![b'a'; len];
            assert!(all_token68(&good));
            for at in 0..len {
                let mut bad = good.clone();
                bad[at] = b',';
                assert!(!all_token68(&bad), "{len} {at}");
            }
        }
    }

    #[test]
    fn token68_alphabet_is_exact() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(is_token68_char(b), expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn builds_values_that_parse_back() {
        let c = Credential::Bearer("x.y.z");
        assert_eq!(parse_authorization(c.header_value().as_bytes()).unwrap(), c);
        let c = Credential::Token("abc");
        assert_eq!(parse_authorization(c.header_value().as_bytes()).unwrap(), c);
    }

    #[test]
    fn challenges() {
        assert_eq!(
            www_authenticate(ErrorKind::MalformedHeader).unwrap(),
            r#"Bearer realm="api", error="invalid_request", error_description="authorization header is malformed""#
        );
        assert_eq!(www_authenticate(ErrorKind::KeyTooShort), None);
        // Every description is a valid quoted-string: printable ASCII without `"` or `\`.
        for kind in ErrorKind::ALL {
            let d = kind.description();
            assert!(
                d.chars()
                    .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'),
                "{d}"
            );
        }
    }
}
