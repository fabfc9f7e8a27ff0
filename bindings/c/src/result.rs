//! `ls_auth_result`: the one return type of every fallible export, and the ONE place where the
//! core's [`ErrorKind`] is mapped to a C value.

use std::ffi::c_char;

use ls_auth_core::{Error, ErrorKind};

use crate::ffi::{guard, out, str_out};

/// What a fallible `ls_auth_` function returns. `LS_AUTH_OK` (0) is success; every other value
/// is a failure whose numeric value is stable and never reused for another meaning.
///
/// Values 1-99 are the binding's own (a problem at the C boundary); values from 100 are the
/// stable error codes of the core (contract §4), in the core's code order. New codes get new
/// numbers; a removed code's number is never given to another.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ls_auth_result {
    /// Success: the out-parameters have been written.
    LS_AUTH_OK = 0,
    /// A required pointer argument was NULL (or a pointer was NULL with a non-zero length).
    LS_AUTH_NULL_PARAMETER = 1,
    /// A string argument is not valid UTF-8.
    LS_AUTH_INVALID_UTF8 = 2,
    /// The caller's output buffer is too small; `*out_len` holds the size needed (with the NUL).
    LS_AUTH_INSUFFICIENT_SIZE = 3,
    /// A Rust panic was caught at the library boundary (a bug in libls_auth; please report it).
    LS_AUTH_PANIC = 4,
    /// A pending object (`ls_auth_pending_principal`, `ls_auth_pending_refresh`) was already
    /// admitted (or refused): it is admitted once, and then only freed.
    LS_AUTH_ALREADY_USED = 5,
    /// `no_credentials`: no `Authorization` header, or an empty one.
    LS_AUTH_NO_CREDENTIALS = 100,
    /// `unsupported_scheme`: a scheme other than Bearer or Token (the host may try others).
    LS_AUTH_UNSUPPORTED_SCHEME = 101,
    /// `malformed_header`: the header does not follow `scheme 1*SP token68` (HTTP 400).
    LS_AUTH_MALFORMED_HEADER = 102,
    /// `header_too_large`: the header is longer than 8 KiB (HTTP 400).
    LS_AUTH_HEADER_TOO_LARGE = 103,
    /// `malformed_token`: not a well-formed compact JWS (or legacy key).
    LS_AUTH_MALFORMED_TOKEN = 104,
    /// `token_too_large`: the token is longer than 4 KiB.
    LS_AUTH_TOKEN_TOO_LARGE = 105,
    /// `unsupported_algorithm`: the token's `alg` is not the one the keys allow.
    LS_AUTH_UNSUPPORTED_ALGORITHM = 106,
    /// `invalid_signature`: no configured key produces the token's signature.
    LS_AUTH_INVALID_SIGNATURE = 107,
    /// `token_expired`: `exp` has passed.
    LS_AUTH_TOKEN_EXPIRED = 108,
    /// `token_not_yet_valid`: `nbf` is in the future.
    LS_AUTH_TOKEN_NOT_YET_VALID = 109,
    /// `issued_in_future`: `iat` is in the future.
    LS_AUTH_ISSUED_IN_FUTURE = 110,
    /// `missing_claim`: a required claim is absent (also: the claim asked for is absent).
    LS_AUTH_MISSING_CLAIM = 111,
    /// `invalid_claim`: a claim has the wrong type or value.
    LS_AUTH_INVALID_CLAIM = 112,
    /// `wrong_token_type`: e.g. a PAT sent as Bearer, an access token presented for refresh.
    LS_AUTH_WRONG_TOKEN_TYPE = 113,
    /// `token_revoked`: the PAT's `jti` is revoked.
    LS_AUTH_TOKEN_REVOKED = 114,
    /// `token_kind_disabled`: the organisation disabled this kind of API key.
    LS_AUTH_TOKEN_KIND_DISABLED = 115,
    /// `pat_ttl_exceeded`: the PAT is older than the organisation's current PAT TTL.
    LS_AUTH_PAT_TTL_EXCEEDED = 116,
    /// `key_too_short`: an HMAC key shorter than 32 bytes without the opt-in.
    LS_AUTH_KEY_TOO_SHORT = 117,
    /// `invalid_argument`: an argument the API cannot accept (also: a string with an embedded
    /// NUL, an unknown result code, a wrong-kind accessor).
    LS_AUTH_INVALID_ARGUMENT = 118,
    /// `no_organization`: the credential's user has no active organisation.
    LS_AUTH_NO_ORGANIZATION = 119,
    /// `unknown_key_id`: the token names (or, for EdDSA, fails to name) a `kid` no key has; a
    /// service may refetch its JWK Set (rate-limited) and try once more.
    LS_AUTH_UNKNOWN_KEY_ID = 120,
    /// `invalid_key_set`: a JWK Set the strict rules of contract §3.10 refuse.
    LS_AUTH_INVALID_KEY_SET = 121,
}

use ls_auth_result::*;

/// The binding's own results, with their snake_case names and messages.
const BINDING: [(ls_auth_result, &str, &str); 6] = [
    (LS_AUTH_OK, "ok", "success"),
    (
        LS_AUTH_NULL_PARAMETER,
        "null_parameter",
        "a required pointer argument was NULL",
    ),
    (
        LS_AUTH_INVALID_UTF8,
        "invalid_utf8",
        "a string argument is not valid UTF-8",
    ),
    (
        LS_AUTH_INSUFFICIENT_SIZE,
        "insufficient_size",
        "the output buffer is too small",
    ),
    (
        LS_AUTH_PANIC,
        "panic",
        "internal error: a panic was caught at the ls_auth boundary",
    ),
    (
        LS_AUTH_ALREADY_USED,
        "already_used",
        "this pending credential was already admitted",
    ),
];

/// THE mapping from the core's kinds to C values. Its length is `ErrorKind::ALL.len()`, so a
/// kind added to the core fails to compile here until it is given a value.
pub(crate) const KIND_RESULTS: [(ErrorKind, ls_auth_result); ErrorKind::ALL.len()] = [
    (ErrorKind::NoCredentials, LS_AUTH_NO_CREDENTIALS),
    (ErrorKind::UnsupportedScheme, LS_AUTH_UNSUPPORTED_SCHEME),
    (ErrorKind::MalformedHeader, LS_AUTH_MALFORMED_HEADER),
    (ErrorKind::HeaderTooLarge, LS_AUTH_HEADER_TOO_LARGE),
    (ErrorKind::MalformedToken, LS_AUTH_MALFORMED_TOKEN),
    (ErrorKind::TokenTooLarge, LS_AUTH_TOKEN_TOO_LARGE),
    (
        ErrorKind::UnsupportedAlgorithm,
        LS_AUTH_UNSUPPORTED_ALGORITHM,
    ),
    (ErrorKind::InvalidSignature, LS_AUTH_INVALID_SIGNATURE),
    (ErrorKind::TokenExpired, LS_AUTH_TOKEN_EXPIRED),
    (ErrorKind::TokenNotYetValid, LS_AUTH_TOKEN_NOT_YET_VALID),
    (ErrorKind::IssuedInFuture, LS_AUTH_ISSUED_IN_FUTURE),
    (ErrorKind::MissingClaim, LS_AUTH_MISSING_CLAIM),
    (ErrorKind::InvalidClaim, LS_AUTH_INVALID_CLAIM),
    (ErrorKind::WrongTokenType, LS_AUTH_WRONG_TOKEN_TYPE),
    (ErrorKind::TokenRevoked, LS_AUTH_TOKEN_REVOKED),
    (ErrorKind::TokenKindDisabled, LS_AUTH_TOKEN_KIND_DISABLED),
    (ErrorKind::PatTtlExceeded, LS_AUTH_PAT_TTL_EXCEEDED),
    (ErrorKind::KeyTooShort, LS_AUTH_KEY_TOO_SHORT),
    (ErrorKind::InvalidArgument, LS_AUTH_INVALID_ARGUMENT),
    (ErrorKind::NoOrganization, LS_AUTH_NO_ORGANIZATION),
    (ErrorKind::UnknownKeyId, LS_AUTH_UNKNOWN_KEY_ID),
    (ErrorKind::InvalidKeySet, LS_AUTH_INVALID_KEY_SET),
];

impl ls_auth_result {
    /// The result for a core error kind.
    pub fn from_kind(kind: ErrorKind) -> ls_auth_result {
        KIND_RESULTS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, r)| *r)
            // Unreachable while ErrorKind::ALL lists every kind (the table's length is checked
            // at compile time and its contents by a test); never guess a meaning.
            .unwrap_or(LS_AUTH_PANIC)
    }

    /// The core kind behind a result, for results that are core codes.
    pub fn kind(self) -> Option<ErrorKind> {
        KIND_RESULTS
            .iter()
            .find(|(_, r)| *r == self)
            .map(|(k, _)| *k)
    }

    /// The result with numeric value `code`, if there is one.
    pub fn from_u32(code: u32) -> Option<ls_auth_result> {
        BINDING
            .iter()
            .map(|(r, ..)| *r)
            .chain(KIND_RESULTS.iter().map(|(_, r)| *r))
            .find(|r| *r as u32 == code)
    }

    /// Every result value, binding codes first.
    pub fn all() -> impl Iterator<Item = ls_auth_result> {
        BINDING
            .iter()
            .map(|(r, ..)| *r)
            .chain(KIND_RESULTS.iter().map(|(_, r)| *r))
    }

    /// The stable snake_case code: the core's contract §4 code, or the binding's own name.
    pub fn code(self) -> &'static str {
        match self.kind() {
            Some(kind) => kind.code(),
            None => BINDING
                .iter()
                .find(|(r, ..)| *r == self)
                .map_or("panic", |(_, name, _)| name),
        }
    }

    /// A short human message: the core's description, or the binding's own.
    pub fn message(self) -> &'static str {
        match self.kind() {
            Some(kind) => kind.description(),
            None => BINDING
                .iter()
                .find(|(r, ..)| *r == self)
                .map_or("internal error", |(_, _, msg)| msg),
        }
    }
}

impl From<Error> for ls_auth_result {
    fn from(e: Error) -> Self {
        ls_auth_result::from_kind(e.kind())
    }
}

/// A text about a result code into the caller's buffer.
///
/// # Safety
/// Buffer contract of the header.
unsafe fn result_text(
    code: u32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
    text: fn(ls_auth_result) -> &'static str,
) -> Result<(), ls_auth_result> {
    // SAFETY: forwarded from the caller.
    let dst = unsafe { str_out(buf, len, out_len) }?;
    dst.write(text(result_in(code)?))
}

pub(crate) fn result_in(code: u32) -> Result<ls_auth_result, ls_auth_result> {
    ls_auth_result::from_u32(code).ok_or(LS_AUTH_INVALID_ARGUMENT)
}

/// Writes the human message of a result code (e.g. "token has expired") into `buf`.
/// Unknown codes: `LS_AUTH_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_result_message(
    code: u32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    // SAFETY: buffer contract of the header.
    guard(|| unsafe { result_text(code, buf, len, out_len, ls_auth_result::message) })
}

/// Writes the stable snake_case code of a result (contract §4, e.g. "token_expired"; the
/// binding's own are "ok", "null_parameter", "invalid_utf8", "insufficient_size", "panic",
/// "already_used").
#[no_mangle]
pub unsafe extern "C" fn ls_auth_result_code(
    code: u32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| unsafe { result_text(code, buf, len, out_len, ls_auth_result::code) })
}

/// The HTTP status a server answers with for a core error code (400, 401 or 500). Codes that
/// are not core errors (`LS_AUTH_OK` and the binding's own): `LS_AUTH_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_result_http_status(code: u32, status: *mut u16) -> ls_auth_result {
    guard(|| {
        // SAFETY: out-parameter contract.
        let status = unsafe { out(status) }?;
        let kind = result_in(code)?.kind().ok_or(LS_AUTH_INVALID_ARGUMENT)?;
        status.set(kind.http_status());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_core_kind_maps_to_a_distinct_value() {
        let mut seen = HashSet::new();
        for kind in ErrorKind::ALL {
            let r = ls_auth_result::from_kind(kind);
            assert!(
                !BINDING.iter().any(|(b, ..)| *b == r),
                "{kind:?} maps to a binding code"
            );
            assert!(seen.insert(r as u32), "{kind:?} shares value {}", r as u32);
            assert_eq!(r.kind(), Some(kind));
            assert_eq!(r.code(), kind.code());
            assert_eq!(ls_auth_result::from_u32(r as u32), Some(r));
        }
        for (b, ..) in BINDING {
            assert!(seen.insert(b as u32), "binding code {b:?} reused");
        }
        assert_eq!(ls_auth_result::all().count(), seen.len());
        // The table lists the kinds in the core's code order.
        let kinds: Vec<_> = KIND_RESULTS.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, ErrorKind::ALL.to_vec());
    }

    #[test]
    fn values_are_the_published_ones() {
        assert_eq!(LS_AUTH_OK as u32, 0);
        assert_eq!(LS_AUTH_PANIC as u32, 4);
        assert_eq!(LS_AUTH_NO_CREDENTIALS as u32, 100);
        assert_eq!(LS_AUTH_INVALID_ARGUMENT as u32, 118);
        assert_eq!(LS_AUTH_NO_ORGANIZATION as u32, 119);
        assert_eq!(LS_AUTH_ALREADY_USED as u32, 5);
        assert_eq!(ls_auth_result::from_u32(6), None);
        assert_eq!(LS_AUTH_UNKNOWN_KEY_ID as u32, 120);
        assert_eq!(LS_AUTH_INVALID_KEY_SET as u32, 121);
        assert_eq!(ls_auth_result::from_u32(122), None);
    }
}
