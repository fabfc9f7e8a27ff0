//! The client side (contract §5): what kind of API key a user holds, and what a key looks like.

use std::ffi::c_char;

use ls_auth_core as core;

use crate::ffi::{free, guard, guard_or, into_raw, obj, out, str_in, str_out};
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
        dst.set(
            match core::client::classify_api_key(key, crate::now_in(now))? {
                core::client::ApiKeyKind::Legacy => ls_auth_api_key_kind::LS_AUTH_API_KEY_LEGACY,
                core::client::ApiKeyKind::Pat => ls_auth_api_key_kind::LS_AUTH_API_KEY_PAT,
                core::client::ApiKeyKind::Access => ls_auth_api_key_kind::LS_AUTH_API_KEY_ACCESS,
            },
        );
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
        let (shape, _) = core::client::inspect_key(key)?;
        dst.set(match shape {
            core::client::KeyShape::Key(core::client::ApiKeyKind::Legacy) => {
                ls_auth_key_shape::LS_AUTH_KEY_SHAPE_LEGACY
            }
            core::client::KeyShape::Key(core::client::ApiKeyKind::Pat) => {
                ls_auth_key_shape::LS_AUTH_KEY_SHAPE_PAT
            }
            core::client::KeyShape::Key(core::client::ApiKeyKind::Access) => {
                ls_auth_key_shape::LS_AUTH_KEY_SHAPE_ACCESS
            }
            core::client::KeyShape::Truncated => ls_auth_key_shape::LS_AUTH_KEY_SHAPE_TRUNCATED,
            core::client::KeyShape::OtherJwt => ls_auth_key_shape::LS_AUTH_KEY_SHAPE_OTHER_JWT,
        });
        Ok(())
    })
}

/// The Label Studio a client's credential belongs to, named by its base URL (contract §5.1).
/// Build with `ls_auth_credential_scope_new`, free with `ls_auth_credential_scope_free`.
/// Immutable: may be shared between threads.
pub struct ls_auth_credential_scope {
    inner: core::origin::CredentialScope,
}

/// Reads a base URL (`http`/`https`, a host, an optional port and path; no user info, query or
/// fragment). Anything else is `LS_AUTH_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_credential_scope_new(
    base_url: *const c_char,
    base_url_len: usize,
    scope_out: *mut *mut ls_auth_credential_scope,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (base_url, dst) = unsafe { (str_in(base_url, base_url_len)?, out(scope_out)?) };
        let inner = core::origin::CredentialScope::new(base_url)?;
        dst.set(into_raw(ls_auth_credential_scope { inner }));
        Ok(())
    })
}

/// Frees a scope. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_credential_scope_free(scope: *mut ls_auth_credential_scope) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(scope) })
}

/// Whether the credential may be sent to `url` (a request's URL, a redirect's absolute target):
/// same scheme, host and port as the base URL, a path at or below its path. A URL the rule
/// cannot read without doubt is `false`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_credential_scope_allows(
    scope: *const ls_auth_credential_scope,
    url: *const c_char,
    url_len: usize,
    allowed_out: *mut bool,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (scope, url, dst) = unsafe { (obj(scope)?, str_in(url, url_len)?, out(allowed_out)?) };
        dst.set(scope.inner.allows(url));
        Ok(())
    })
}

/// Where a PAT is refreshed, `<base URL>/api/token/refresh/`, copied NUL-terminated into `buf`
/// (`*out_len` = its length; `LS_AUTH_INSUFFICIENT_SIZE` with the size needed when too small).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_credential_scope_refresh_url(
    scope: *const ls_auth_credential_scope,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (scope, dst) = unsafe { (obj(scope)?, str_out(buf, buf_len, out_len)?) };
        dst.write(&scope.inner.refresh_url())
    })
}

/// The base URL's origin, `scheme://host[:port]`, the part of a URL a message may name; copied
/// as by `ls_auth_credential_scope_refresh_url`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_credential_scope_origin(
    scope: *const ls_auth_credential_scope,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (scope, dst) = unsafe { (obj(scope)?, str_out(buf, buf_len, out_len)?) };
        dst.write(&scope.inner.origin())
    })
}
