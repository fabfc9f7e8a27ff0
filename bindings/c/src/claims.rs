//! The claims of a verified token, read field by field or as JSON.

use std::ffi::c_char;

use ls_auth_core as core;
use serde_json::Value;

use crate::ffi::{free, guard, guard_or, into_raw, obj, out, str_in, str_out};
use crate::result::ls_auth_result::{self, *};

/// The claims of a verified token. Immutable and thread-safe.
pub struct ls_auth_claims {
    pub(crate) inner: core::Claims,
}

/// The `token_type` of a verified token.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ls_auth_token_type {
    /// A short-lived access token (`Authorization: Bearer`).
    LS_AUTH_TOKEN_TYPE_ACCESS = 1,
    /// A personal access token (a simplejwt refresh token).
    LS_AUTH_TOKEN_TYPE_REFRESH = 2,
}

pub(crate) fn claims_out(claims: core::Claims) -> *mut ls_auth_claims {
    into_raw(ls_auth_claims { inner: claims })
}

/// The token's `token_type`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_token_type(
    claims: *const ls_auth_claims,
    token_type_out: *mut ls_auth_token_type,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (claims, dst) = unsafe { (obj(claims)?, out(token_type_out)?) };
        dst.set(match claims.inner.token_type() {
            core::TokenType::Access => ls_auth_token_type::LS_AUTH_TOKEN_TYPE_ACCESS,
            core::TokenType::Refresh => ls_auth_token_type::LS_AUTH_TOKEN_TYPE_REFRESH,
        });
        Ok(())
    })
}

/// The token's `exp` (always present in a verified token).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_exp(
    claims: *const ls_auth_claims,
    exp_out: *mut i64,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (claims, dst) = unsafe { (obj(claims)?, out(exp_out)?) };
        dst.set(claims.inner.exp());
        Ok(())
    })
}

/// An optional time claim into `(value_out, present_out)`.
///
/// # Safety
/// Pointer contracts of the calling export.
unsafe fn time_claim(
    claims: *const ls_auth_claims,
    value_out: *mut i64,
    present_out: *mut bool,
    read: fn(&core::Claims) -> Option<i64>,
) -> Result<(), ls_auth_result> {
    // SAFETY: forwarded from the caller.
    let (claims, value_out, present_out) =
        unsafe { (obj(claims)?, out(value_out)?, out(present_out)?) };
    let value = read(&claims.inner);
    present_out.set(value.is_some());
    value_out.set(value.unwrap_or(0));
    Ok(())
}

/// A text claim into the caller's buffer.
///
/// # Safety
/// Pointer contracts of the calling export.
unsafe fn text_claim(
    claims: *const ls_auth_claims,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
    read: fn(&core::Claims) -> &str,
) -> Result<(), ls_auth_result> {
    // SAFETY: forwarded from the caller.
    let (claims, dst) = unsafe { (obj(claims)?, str_out(buf, len, out_len)?) };
    dst.write(read(&claims.inner))
}

/// The token's `iat`: `*present_out` tells whether it has one (`*iat_out` is 0 when not).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_iat(
    claims: *const ls_auth_claims,
    iat_out: *mut i64,
    present_out: *mut bool,
) -> ls_auth_result {
    // SAFETY (all of this file's exports): pointer contracts of the header.
    guard(|| unsafe { time_claim(claims, iat_out, present_out, core::Claims::iat) })
}

/// The token's `nbf`: `*present_out` tells whether it has one (`*nbf_out` is 0 when not).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_nbf(
    claims: *const ls_auth_claims,
    nbf_out: *mut i64,
    present_out: *mut bool,
) -> ls_auth_result {
    guard(|| unsafe { time_claim(claims, nbf_out, present_out, core::Claims::nbf) })
}

/// Writes the user's id (always a string: an integer claim is given in decimal).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_user_id(
    claims: *const ls_auth_claims,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| unsafe { text_claim(claims, buf, len, out_len, core::Claims::user_id) })
}

/// Writes the token's `jti`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_jti(
    claims: *const ls_auth_claims,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| unsafe { text_claim(claims, buf, len, out_len, core::Claims::jti) })
}

/// Writes any claim, registered or extra, as compact JSON (`"1"`, `1700000000`, `{"a":1}`).
/// A claim the token does not have: `LS_AUTH_MISSING_CLAIM`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_get_json(
    claims: *const ls_auth_claims,
    name: *const c_char,
    name_len: usize,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (claims, name, dst) = unsafe {
            (
                obj(claims)?,
                str_in(name, name_len)?,
                str_out(buf, len, out_len)?,
            )
        };
        let value = claims.inner.get(name).ok_or(LS_AUTH_MISSING_CLAIM)?;
        dst.write(&value.to_string())
    })
}

/// Writes every claim as one compact JSON object (registered claims first, then the others
/// in the token's order).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_to_json(
    claims: *const ls_auth_claims,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (claims, dst) = unsafe { (obj(claims)?, str_out(buf, len, out_len)?) };
        dst.write(&Value::Object(claims.inner.to_json()).to_string())
    })
}

/// Frees claims. NULL is a no-op. Never pass claims borrowed from a principal.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_free(claims: *mut ls_auth_claims) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(claims) })
}
