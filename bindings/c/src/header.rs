//! The `Authorization` header: parsing it, and the `WWW-Authenticate` challenge of a failure.

use std::ffi::c_char;

use ls_auth_core as core;

use crate::ffi::{self, bytes_in, guard, out, str_out};
use crate::result::ls_auth_result::{self, *};
use crate::result::result_in;

/// The scheme of a parsed `Authorization` header.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ls_auth_scheme {
    /// `Bearer <access token>`.
    LS_AUTH_SCHEME_BEARER = 1,
    /// `Token <legacy key>`.
    LS_AUTH_SCHEME_TOKEN = 2,
}

/// Parses an `Authorization` value (bytes; pass NULL/0 or "" when the header is absent).
/// On success `*token_out` points INTO `header` (not NUL-terminated, valid as long as
/// `header` is) and `*token_len_out` is its length. Failures: `LS_AUTH_NO_CREDENTIALS`,
/// `LS_AUTH_UNSUPPORTED_SCHEME` (not ours: try other authentication),
/// `LS_AUTH_MALFORMED_HEADER`, `LS_AUTH_HEADER_TOO_LARGE`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_parse_authorization(
    header: *const u8,
    header_len: usize,
    scheme_out: *mut ls_auth_scheme,
    token_out: *mut *const c_char,
    token_len_out: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (header, scheme_out, token_out, token_len_out) = unsafe {
            (
                bytes_in(header, header_len)?,
                out(scheme_out)?,
                out(token_out)?,
                out(token_len_out)?,
            )
        };
        let credential = core::header::parse_authorization(header)?;
        scheme_out.set(match credential {
            core::header::Credential::Bearer(_) => ls_auth_scheme::LS_AUTH_SCHEME_BEARER,
            core::header::Credential::Token(_) => ls_auth_scheme::LS_AUTH_SCHEME_TOKEN,
        });
        let (p, n) = ffi::str_parts(credential.token());
        token_out.set(p);
        token_len_out.set(n);
        Ok(())
    })
}

/// Writes the `WWW-Authenticate` value to send with a core error code, e.g.
/// `Bearer realm="api", error="invalid_token", error_description="token has expired"`.
/// Writes the empty string when the code carries no challenge (the server's own failures,
/// `key_too_short` and `invalid_argument`). Codes that are not core errors:
/// `LS_AUTH_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_www_authenticate(
    code: u32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: buffer contract of the header.
        let dst = unsafe { str_out(buf, len, out_len) }?;
        let kind = result_in(code)?.kind().ok_or(LS_AUTH_INVALID_ARGUMENT)?;
        let value = core::header::www_authenticate(kind).unwrap_or_default();
        dst.write(&value)
    })
}
