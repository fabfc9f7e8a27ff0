//! The client side (contract §5): what kind of API key a user holds, and what a key looks like.

use std::ffi::c_char;

use ls_auth_core as core;

use crate::ffi::{guard, out, str_in};
use crate::result::ls_auth_result;

/// What kind of API key a client holds (`ls_auth_classify_api_key`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ls_auth_api_key_kind {
    /// A legacy key, sent as `Token <key>`.
    LS_AUTH_API_KEY_LEGACY = 1,
    /// A personal access token, exchanged for access tokens.
    LS_AUTH_API_KEY_PAT = 2,
    /// An access token.
    LS_AUTH_API_KEY_ACCESS = 3,
}

/// Tells a PAT, an access token and a legacy key apart without verifying anything (the client
/// side, contract §5). A JWT without `exp` or an expired PAT (at `now`, or `LS_AUTH_NOW`) is an
/// error the user must see.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_classify_api_key(
    key: *const c_char,
    key_len: usize,
    now: i64,
    kind_out: *mut ls_auth_api_key_kind,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (key, dst) = unsafe { (str_in(key, key_len)?, out(kind_out)?) };
        dst.set(match core::classify_api_key(key, crate::now_in(now))? {
            core::ApiKeyKind::Legacy => ls_auth_api_key_kind::LS_AUTH_API_KEY_LEGACY,
            core::ApiKeyKind::Pat => ls_auth_api_key_kind::LS_AUTH_API_KEY_PAT,
            core::ApiKeyKind::Access => ls_auth_api_key_kind::LS_AUTH_API_KEY_ACCESS,
        });
        Ok(())
    })
}

/// What a key or token looks like, read without a key (`ls_auth_inspect_key`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ls_auth_key_shape {
    /// 40 lowercase hex characters: a legacy key.
    LS_AUTH_KEY_SHAPE_LEGACY = 1,
    /// A JWT whose `token_type` is `refresh`: a personal access token.
    LS_AUTH_KEY_SHAPE_PAT = 2,
    /// A JWT whose `token_type` is `access`.
    LS_AUTH_KEY_SHAPE_ACCESS = 3,
    /// `header.payload` without a signature: the server's listing form.
    LS_AUTH_KEY_SHAPE_TRUNCATED = 4,
    /// A JWT with another or no `token_type`.
    LS_AUTH_KEY_SHAPE_OTHER_JWT = 5,
}

/// What a key or token looks like, for display and diagnosis only: nothing is verified.
/// Anything that is neither a (possibly truncated) JWT nor a legacy key is
/// `LS_AUTH_MALFORMED_TOKEN`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_inspect_key(
    key: *const c_char,
    key_len: usize,
    shape_out: *mut ls_auth_key_shape,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (key, dst) = unsafe { (str_in(key, key_len)?, out(shape_out)?) };
        let (shape, _) = core::inspect_key(key)?;
        dst.set(match shape {
            core::KeyShape::Legacy => ls_auth_key_shape::LS_AUTH_KEY_SHAPE_LEGACY,
            core::KeyShape::Pat => ls_auth_key_shape::LS_AUTH_KEY_SHAPE_PAT,
            core::KeyShape::Access => ls_auth_key_shape::LS_AUTH_KEY_SHAPE_ACCESS,
            core::KeyShape::Truncated => ls_auth_key_shape::LS_AUTH_KEY_SHAPE_TRUNCATED,
            core::KeyShape::OtherJwt => ls_auth_key_shape::LS_AUTH_KEY_SHAPE_OTHER_JWT,
        });
        Ok(())
    })
}
