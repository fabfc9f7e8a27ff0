//! # libls_auth
//!
//! The C ABI of ls-auth-core: a thin translation layer, with no rule of its own. Every rule is
//! the core's; this crate only converts C arguments in and results out.
//!
//! Conventions (see `include/ls_auth.h`, generated from this file by cbindgen):
//! - every fallible function returns `ls_auth_result` (`LS_AUTH_OK` = 0);
//! - out-parameters are written only on success;
//! - text in is `(const char *ptr, size_t len)`: UTF-8, no embedded NUL, never truncated;
//!   NULL with `len == 0` is the empty string; the `Authorization` header is bytes;
//! - text out is `(char *buf, size_t len, size_t *out_len)`: on success the text and a NUL are
//!   written and `*out_len` is the text's length; on `LS_AUTH_INSUFFICIENT_SIZE` nothing is
//!   written into `buf` and `*out_len` is the buffer size needed (length + 1);
//! - objects come from `_new` and go to `_free`; `_free(NULL)` does nothing;
//! - immutable objects (keyring, policy once built, verifier, issuer, claims, principal,
//!   string) may be shared by any number of threads; only `ls_auth_keyring_add_fallback` and
//!   the `ls_auth_policy_set_*` calls mutate, and need exclusive access;
//! - no global or thread-local state: a result code is the whole error.
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // the safety contract is the header's conventions above

use std::ffi::{c_char, c_void};

use ls_auth_core as core;
use serde_json::{Map, Value};

mod ffi;
pub mod result;

use ffi::{bytes_in, free, guard, guard_or, into_raw, obj, obj_mut, out, str_in, str_out};
pub use result::ls_auth_result;
use result::ls_auth_result::*;

// ---------------------------------------------------------------------------------------------
// Opaque objects

/// The HMAC keys a deployment trusts: the first signs, all verify. Build with
/// `ls_auth_keyring_new`, add old secrets with `ls_auth_keyring_add_fallback`.
pub struct ls_auth_keyring {
    inner: core::Keyring,
}

/// How tokens are issued and checked (access-token TTL, leeway, issuer, audience). Starts with
/// the defaults (300 s, 0 s, none, none).
pub struct ls_auth_policy {
    inner: core::TokenPolicy,
}

/// Verifies tokens. Immutable: one verifier may be shared by every thread of a server.
pub struct ls_auth_verifier {
    inner: core::Verifier,
}

/// Mints PATs, refreshes them into access tokens and rotates them. Thread-safe.
pub struct ls_auth_issuer {
    inner: core::Issuer,
}

/// The claims of a verified token. Immutable and thread-safe.
pub struct ls_auth_claims {
    inner: core::Claims,
}

/// Who a request is: a verified access token's claims, or a legacy key the host must look up.
pub struct ls_auth_principal {
    inner: Principal,
}

enum Principal {
    Jwt(ls_auth_claims),
    Legacy(String),
}

/// A string the library owns (a minted token, a jti): read it with `ls_auth_string_data` and
/// `ls_auth_string_len`, release it with `ls_auth_string_free`.
pub struct ls_auth_string {
    /// The text followed by one NUL.
    with_nul: Box<str>,
}

impl ls_auth_string {
    fn new(s: &str) -> *mut ls_auth_string {
        let mut with_nul = String::with_capacity(s.len() + 1);
        with_nul.push_str(s);
        with_nul.push('\0');
        into_raw(ls_auth_string {
            with_nul: with_nul.into_boxed_str(),
        })
    }
    fn as_str(&self) -> &str {
        &self.with_nul[..self.with_nul.len() - 1]
    }
}

// ---------------------------------------------------------------------------------------------
// Plain C types

/// An organisation's API-token settings (SPEC §1). Fill it with `ls_auth_org_settings_default`
/// and change fields. Functions taking `const ls_auth_org_settings *` treat NULL as the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ls_auth_org_settings {
    /// Personal access tokens (and their access tokens) authenticate. Default true.
    pub api_tokens_enabled: bool,
    /// Legacy `Token` keys authenticate. Default false.
    pub legacy_api_tokens_enabled: bool,
    /// Lifetime of new PATs in days. Default 73000.
    pub pat_ttl_days: u32,
    /// A PAT older than the current TTL (by `iat`) stops refreshing. Default true.
    pub enforce_ttl_on_existing: bool,
}

impl From<&ls_auth_org_settings> for core::OrgSettings {
    fn from(s: &ls_auth_org_settings) -> Self {
        core::OrgSettings {
            api_tokens_enabled: s.api_tokens_enabled,
            legacy_api_tokens_enabled: s.legacy_api_tokens_enabled,
            pat_ttl_days: s.pat_ttl_days,
            enforce_ttl_on_existing: s.enforce_ttl_on_existing,
        }
    }
}

/// Reads optional settings: NULL is the defaults.
///
/// # Safety
/// `ptr` must be NULL or point to a valid `ls_auth_org_settings`.
unsafe fn settings_in(ptr: *const ls_auth_org_settings) -> core::OrgSettings {
    // SAFETY: as promised by the caller.
    match unsafe { ptr.as_ref() } {
        Some(s) => s.into(),
        None => core::OrgSettings::default(),
    }
}

/// The host's revocation store for PAT `jti`s, as callbacks. Both must fail closed: when the
/// store cannot answer, `is_revoked` returns true and `revoke_if_active` returns false.
///
/// The `jti` passed to a callback is NOT NUL-terminated and is valid only during the call.
/// Callbacks may be called from any thread that calls into the library with this struct.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ls_auth_revocation {
    /// Passed back to the callbacks unchanged.
    pub ctx: *mut c_void,
    /// Whether `jti` is revoked. Required.
    pub is_revoked:
        Option<unsafe extern "C" fn(ctx: *mut c_void, jti: *const c_char, len: usize) -> bool>,
    /// Atomically records `jti` (expiring at `exp`) as revoked unless it already is; returns
    /// whether this call did it. Required by `ls_auth_issuer_rotate` only (may be NULL
    /// elsewhere).
    pub revoke_if_active: Option<
        unsafe extern "C" fn(
            ctx: *mut c_void,
            jti: *const c_char,
            len: usize,
            exp: i64,
            now: i64,
        ) -> bool,
    >,
}

/// The core's `Revocation` over C callbacks.
struct CRevocation {
    ctx: *mut c_void,
    is_revoked: unsafe extern "C" fn(*mut c_void, *const c_char, usize) -> bool,
}

/// The core's `RevocationStore` over C callbacks: only built when `revoke_if_active` is given,
/// so rotation can never run over a store that cannot record it.
struct CRevocationStore {
    read: CRevocation,
    revoke_if_active: unsafe extern "C" fn(*mut c_void, *const c_char, usize, i64, i64) -> bool,
}

impl CRevocation {
    /// # Safety
    /// `ptr` must be NULL or point to a valid `ls_auth_revocation` whose callbacks are safe to
    /// call with its `ctx` for the duration of the export.
    unsafe fn from_ptr(ptr: *const ls_auth_revocation) -> Result<Self, ls_auth_result> {
        // SAFETY: as promised by the caller.
        let r = unsafe { obj(ptr) }?;
        Ok(CRevocation {
            ctx: r.ctx,
            is_revoked: r.is_revoked.ok_or(LS_AUTH_NULL_PARAMETER)?,
        })
    }
}

impl CRevocationStore {
    /// # Safety
    /// As for [`CRevocation::from_ptr`].
    unsafe fn from_ptr(ptr: *const ls_auth_revocation) -> Result<Self, ls_auth_result> {
        // SAFETY: as promised by the caller.
        let r = unsafe { obj(ptr) }?;
        Ok(CRevocationStore {
            // SAFETY: as above.
            read: unsafe { CRevocation::from_ptr(ptr) }?,
            revoke_if_active: r.revoke_if_active.ok_or(LS_AUTH_NULL_PARAMETER)?,
        })
    }
}

impl core::Revocation for CRevocation {
    fn is_revoked(&self, jti: &str) -> bool {
        let (p, n) = ffi::str_parts(jti);
        // SAFETY: the callback and ctx were supplied together by the caller of the export.
        unsafe { (self.is_revoked)(self.ctx, p, n) }
    }
}

impl core::Revocation for CRevocationStore {
    fn is_revoked(&self, jti: &str) -> bool {
        self.read.is_revoked(jti)
    }
}

impl core::RevocationStore for CRevocationStore {
    fn revoke_if_active(&self, jti: &str, exp: i64, now: i64) -> bool {
        let (p, n) = ffi::str_parts(jti);
        // SAFETY: the callback and ctx were supplied together by the caller of the export.
        unsafe { (self.revoke_if_active)(self.read.ctx, p, n, exp, now) }
    }
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

/// The scheme of a parsed `Authorization` header.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ls_auth_scheme {
    /// `Bearer <access token>`.
    LS_AUTH_SCHEME_BEARER = 1,
    /// `Token <legacy key>`.
    LS_AUTH_SCHEME_TOKEN = 2,
}

/// What `ls_auth_authenticate` found.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ls_auth_principal_kind {
    /// A verified access token: read it with `ls_auth_principal_claims`.
    LS_AUTH_PRINCIPAL_JWT = 1,
    /// A well-formed legacy key the organisation allows: the host must still look it up
    /// (`ls_auth_principal_legacy_key`, `ls_auth_legacy_keys_equal`, `ls_auth_legacy_key_digest`).
    LS_AUTH_PRINCIPAL_LEGACY = 2,
}

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

fn system_now() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

// ---------------------------------------------------------------------------------------------
// Library, results, challenges

/// The library version, a static NUL-terminated string (never free it).
#[no_mangle]
pub extern "C" fn ls_auth_version() -> *const c_char {
    guard_or(std::ptr::null(), || {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// TEST BUILDS ONLY (cargo feature `test-hooks`, header macro `LS_AUTH_TEST_HOOKS`): panics
/// inside the panic guard, so a test can see `LS_AUTH_PANIC` come back instead of an unwind.
#[cfg(feature = "test-hooks")]
#[no_mangle]
pub extern "C" fn ls_auth_test_panic() -> ls_auth_result {
    guard(|| panic!("ls_auth_test_panic: a deliberate panic for the C test suite"))
}

fn result_in(code: u32) -> Result<ls_auth_result, ls_auth_result> {
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
    guard(|| {
        // SAFETY: buffer contract of the header.
        let dst = unsafe { str_out(buf, len, out_len) }?;
        dst.write(result_in(code)?.message())
    })
}

/// Writes the stable snake_case code of a result (SPEC §4, e.g. "token_expired"; the
/// binding's own are "ok", "null_parameter", "invalid_utf8", "insufficient_size", "panic").
#[no_mangle]
pub unsafe extern "C" fn ls_auth_result_code(
    code: u32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: buffer contract of the header.
        let dst = unsafe { str_out(buf, len, out_len) }?;
        dst.write(result_in(code)?.code())
    })
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
        let value = core::www_authenticate(&core::Error::new(kind)).unwrap_or_default();
        dst.write(&value)
    })
}

// ---------------------------------------------------------------------------------------------
// Keyring, policy, settings

fn signing_key(secret: &[u8], allow_short_key: bool) -> Result<core::SigningKey, core::Error> {
    if allow_short_key {
        core::SigningKey::new_allowing_short_key(core::Algorithm::HS256, secret)
    } else {
        core::SigningKey::new(core::Algorithm::HS256, secret)
    }
}

/// A keyring with one HS256 secret (e.g. Django's `SECRET_KEY` as UTF-8 bytes), which signs
/// and verifies. Secrets shorter than 32 bytes are `LS_AUTH_KEY_TOO_SHORT` unless
/// `allow_short_key` is true (an explicit opt-in for deployments with short keys); an empty
/// secret is always refused. The secret is not kept: only the HMAC state is.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_new(
    secret: *const u8,
    secret_len: usize,
    allow_short_key: bool,
    keyring_out: *mut *mut ls_auth_keyring,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (secret, keyring_out) = unsafe { (bytes_in(secret, secret_len)?, out(keyring_out)?) };
        let key = signing_key(secret, allow_short_key)?;
        keyring_out.set(into_raw(ls_auth_keyring {
            inner: core::Keyring::new(key),
        }));
        Ok(())
    })
}

/// Adds a secret that verifies but never signs (an old `SECRET_KEY` during rotation, like
/// Django's `SECRET_KEY_FALLBACKS`). Same rules as `ls_auth_keyring_new`. Mutates the keyring:
/// no other thread may use it during the call. Verifiers and issuers already built from it are
/// not changed.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_add_fallback(
    keyring: *mut ls_auth_keyring,
    secret: *const u8,
    secret_len: usize,
    allow_short_key: bool,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (keyring, secret) = unsafe { (obj_mut(keyring)?, bytes_in(secret, secret_len)?) };
        let key = signing_key(secret, allow_short_key)?;
        keyring.inner = keyring.inner.clone().with_fallback(key);
        Ok(())
    })
}

/// Frees a keyring. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_keyring_free(keyring: *mut ls_auth_keyring) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(keyring) })
}

/// A policy with the defaults: access tokens live 300 s, leeway 0 s, no issuer, no audience.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_new(
    policy_out: *mut *mut ls_auth_policy,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: out-parameter contract.
        let policy_out = unsafe { out(policy_out) }?;
        policy_out.set(into_raw(ls_auth_policy {
            inner: core::TokenPolicy::default(),
        }));
        Ok(())
    })
}

/// Sets the clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_set_leeway(
    policy: *mut ls_auth_policy,
    seconds: u32,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: object contract.
        unsafe { obj_mut(policy) }?.inner.leeway = seconds;
        Ok(())
    })
}

/// Sets the lifetime of the access tokens an issuer mints, in seconds.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_set_access_ttl(
    policy: *mut ls_auth_policy,
    seconds: u32,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: object contract.
        unsafe { obj_mut(policy) }?.inner.access_ttl = seconds;
        Ok(())
    })
}

/// Requires (and mints) exactly this `iss`. NULL with length 0 clears it.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_set_issuer(
    policy: *mut ls_auth_policy,
    issuer: *const c_char,
    issuer_len: usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (policy, value) = unsafe { (obj_mut(policy)?, str_in(issuer, issuer_len)?) };
        policy.inner.issuer = (!issuer.is_null()).then(|| value.to_owned());
        Ok(())
    })
}

/// Requires (and mints) this audience in `aud`. NULL with length 0 clears it.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_set_audience(
    policy: *mut ls_auth_policy,
    audience: *const c_char,
    audience_len: usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (policy, value) = unsafe { (obj_mut(policy)?, str_in(audience, audience_len)?) };
        policy.inner.audience = (!audience.is_null()).then(|| value.to_owned());
        Ok(())
    })
}

/// Frees a policy. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_policy_free(policy: *mut ls_auth_policy) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(policy) })
}

/// Writes Label Studio's default organisation settings: PATs on, legacy keys off, PAT TTL
/// 73000 days, TTL enforced on existing PATs.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_org_settings_default(
    settings_out: *mut ls_auth_org_settings,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: out-parameter contract.
        let settings_out = unsafe { out(settings_out) }?;
        let d = core::OrgSettings::default();
        settings_out.set(ls_auth_org_settings {
            api_tokens_enabled: d.api_tokens_enabled,
            legacy_api_tokens_enabled: d.legacy_api_tokens_enabled,
            pat_ttl_days: d.pat_ttl_days,
            enforce_ttl_on_existing: d.enforce_ttl_on_existing,
        });
        Ok(())
    })
}

/// Reads an optional policy: NULL is the defaults.
///
/// # Safety
/// `ptr` must be NULL or a live `ls_auth_policy`.
unsafe fn policy_in(ptr: *const ls_auth_policy) -> core::TokenPolicy {
    // SAFETY: as promised by the caller.
    unsafe { ptr.as_ref() }.map_or_else(core::TokenPolicy::default, |p| p.inner.clone())
}

// ---------------------------------------------------------------------------------------------
// Verifier and claims

/// A verifier trusting every key of `keyring` under `policy` (NULL: the default policy). Both
/// are copied: they may be freed or changed afterwards. The verifier is immutable and may be
/// shared by any number of threads.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_verifier_new(
    keyring: *const ls_auth_keyring,
    policy: *const ls_auth_policy,
    verifier_out: *mut *mut ls_auth_verifier,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (keyring, policy, verifier_out) =
            unsafe { (obj(keyring)?, policy_in(policy), out(verifier_out)?) };
        verifier_out.set(into_raw(ls_auth_verifier {
            inner: core::Verifier::new(keyring.inner.clone(), policy),
        }));
        Ok(())
    })
}

/// Frees a verifier. NULL is a no-op. No other thread may be using it.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_verifier_free(verifier: *mut ls_auth_verifier) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(verifier) })
}

fn claims_out(claims: core::Claims) -> *mut ls_auth_claims {
    into_raw(ls_auth_claims { inner: claims })
}

/// Verifies an access token (the credential of `Authorization: Bearer`) at `now` (seconds
/// since the epoch); on success `*claims_out` receives claims to free with
/// `ls_auth_claims_free`. Does no I/O.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_verifier_verify_access(
    verifier: *const ls_auth_verifier,
    token: *const c_char,
    token_len: usize,
    now: i64,
    claims_out_: *mut *mut ls_auth_claims,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (verifier, token, dst) =
            unsafe { (obj(verifier)?, str_in(token, token_len)?, out(claims_out_)?) };
        dst.set(claims_out(verifier.inner.verify_access(token, now)?));
        Ok(())
    })
}

/// As `ls_auth_verifier_verify_access`, at the system clock's current time.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_verifier_verify_access_now(
    verifier: *const ls_auth_verifier,
    token: *const c_char,
    token_len: usize,
    claims_out_: *mut *mut ls_auth_claims,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (verifier, token, dst) =
            unsafe { (obj(verifier)?, str_in(token, token_len)?, out(claims_out_)?) };
        dst.set(claims_out(
            verifier.inner.verify_access(token, system_now())?,
        ));
        Ok(())
    })
}

/// Verifies a PAT presented for refresh at `now`: the organisation must allow PATs
/// (`settings`, NULL: defaults), the PAT must be younger than the organisation's TTL when that
/// policy is on, and not revoked (`revocation->is_revoked` is called last, only for an
/// otherwise valid PAT).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_verifier_verify_refresh(
    verifier: *const ls_auth_verifier,
    token: *const c_char,
    token_len: usize,
    settings: *const ls_auth_org_settings,
    revocation: *const ls_auth_revocation,
    now: i64,
    claims_out_: *mut *mut ls_auth_claims,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (verifier, token, settings, revocation, dst) = unsafe {
            (
                obj(verifier)?,
                str_in(token, token_len)?,
                settings_in(settings),
                CRevocation::from_ptr(revocation)?,
                out(claims_out_)?,
            )
        };
        let claims = verifier
            .inner
            .verify_refresh(token, &settings, &revocation, now)?;
        dst.set(claims_out(claims));
        Ok(())
    })
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

/// # Safety
/// Out-parameter contracts of the calling export.
unsafe fn optional_time(
    value: Option<i64>,
    value_out: *mut i64,
    present_out: *mut bool,
) -> Result<(), ls_auth_result> {
    // SAFETY: forwarded from the caller.
    let (value_out, present_out) = unsafe { (out(value_out)?, out(present_out)?) };
    present_out.set(value.is_some());
    value_out.set(value.unwrap_or(0));
    Ok(())
}

/// The token's `iat`: `*present_out` tells whether it has one (`*iat_out` is 0 when not).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_iat(
    claims: *const ls_auth_claims,
    iat_out: *mut i64,
    present_out: *mut bool,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: object contract.
        let claims = unsafe { obj(claims) }?;
        // SAFETY: forwarded from the export's contract.
        unsafe { optional_time(claims.inner.iat(), iat_out, present_out) }
    })
}

/// The token's `nbf`: `*present_out` tells whether it has one (`*nbf_out` is 0 when not).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_nbf(
    claims: *const ls_auth_claims,
    nbf_out: *mut i64,
    present_out: *mut bool,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: object contract.
        let claims = unsafe { obj(claims) }?;
        // SAFETY: forwarded from the export's contract.
        unsafe { optional_time(claims.inner.nbf(), nbf_out, present_out) }
    })
}

/// Writes the user's id (always a string: an integer claim is given in decimal).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_user_id(
    claims: *const ls_auth_claims,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (claims, dst) = unsafe { (obj(claims)?, str_out(buf, len, out_len)?) };
        dst.write(claims.inner.user_id())
    })
}

/// Writes the token's `jti`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_claims_jti(
    claims: *const ls_auth_claims,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (claims, dst) = unsafe { (obj(claims)?, str_out(buf, len, out_len)?) };
        dst.write(claims.inner.jti())
    })
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

// ---------------------------------------------------------------------------------------------
// Authorization header and authentication

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
        let credential = core::parse_authorization(header)?;
        scheme_out.set(match credential {
            core::Credential::Bearer(_) => ls_auth_scheme::LS_AUTH_SCHEME_BEARER,
            core::Credential::Token(_) => ls_auth_scheme::LS_AUTH_SCHEME_TOKEN,
        });
        let (p, n) = ffi::str_parts(credential.token());
        token_out.set(p);
        token_len_out.set(n);
        Ok(())
    })
}

/// # Safety
/// Pointer contracts of `ls_auth_authenticate`.
unsafe fn authenticate_at(
    verifier: *const ls_auth_verifier,
    header: *const u8,
    header_len: usize,
    settings: *const ls_auth_org_settings,
    now: Option<i64>,
    principal_out: *mut *mut ls_auth_principal,
) -> Result<(), ls_auth_result> {
    // SAFETY: forwarded from the caller.
    let (verifier, header, settings, dst) = unsafe {
        (
            obj(verifier)?,
            bytes_in(header, header_len)?,
            settings_in(settings),
            out(principal_out)?,
        )
    };
    let now = now.unwrap_or_else(system_now);
    let inner = match core::authenticate(header, &verifier.inner, &settings, now)? {
        core::Principal::Jwt(claims) => Principal::Jwt(ls_auth_claims { inner: claims }),
        core::Principal::LegacyKey(key) => Principal::Legacy(key.into_owned()),
    };
    dst.set(into_raw(ls_auth_principal { inner }));
    Ok(())
}

/// Authenticates one request from its `Authorization` value (bytes; NULL/0 when absent) at
/// `now`, under the organisation's `settings` (NULL: defaults). `Bearer` carries an access
/// token, verified without I/O (access tokens are never looked up, so no revocation store is
/// needed here); `Token` carries a legacy key returned for the host to look up. Answer a
/// failure with `ls_auth_result_http_status` and `ls_auth_www_authenticate`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_authenticate(
    verifier: *const ls_auth_verifier,
    header: *const u8,
    header_len: usize,
    settings: *const ls_auth_org_settings,
    now: i64,
    principal_out: *mut *mut ls_auth_principal,
) -> ls_auth_result {
    // SAFETY: forwarded from the export's contract.
    guard(|| unsafe {
        authenticate_at(
            verifier,
            header,
            header_len,
            settings,
            Some(now),
            principal_out,
        )
    })
}

/// As `ls_auth_authenticate`, at the system clock's current time.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_authenticate_now(
    verifier: *const ls_auth_verifier,
    header: *const u8,
    header_len: usize,
    settings: *const ls_auth_org_settings,
    principal_out: *mut *mut ls_auth_principal,
) -> ls_auth_result {
    // SAFETY: forwarded from the export's contract.
    guard(|| unsafe {
        authenticate_at(verifier, header, header_len, settings, None, principal_out)
    })
}

/// What the principal is.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_principal_get_kind(
    principal: *const ls_auth_principal,
    kind_out: *mut ls_auth_principal_kind,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (principal, dst) = unsafe { (obj(principal)?, out(kind_out)?) };
        dst.set(match principal.inner {
            Principal::Jwt(_) => ls_auth_principal_kind::LS_AUTH_PRINCIPAL_JWT,
            Principal::Legacy(_) => ls_auth_principal_kind::LS_AUTH_PRINCIPAL_LEGACY,
        });
        Ok(())
    })
}

/// The claims of a JWT principal, BORROWED: valid while the principal lives; never free them.
/// A legacy principal: `LS_AUTH_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_principal_claims(
    principal: *const ls_auth_principal,
    claims_out_: *mut *const ls_auth_claims,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (principal, dst) = unsafe { (obj(principal)?, out(claims_out_)?) };
        match &principal.inner {
            Principal::Jwt(claims) => dst.set(claims),
            Principal::Legacy(_) => return Err(LS_AUTH_INVALID_ARGUMENT),
        }
        Ok(())
    })
}

/// Writes the legacy key of a legacy principal. A JWT principal: `LS_AUTH_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_principal_legacy_key(
    principal: *const ls_auth_principal,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (principal, dst) = unsafe { (obj(principal)?, str_out(buf, len, out_len)?) };
        match &principal.inner {
            Principal::Legacy(key) => dst.write(key),
            Principal::Jwt(_) => Err(LS_AUTH_INVALID_ARGUMENT),
        }
    })
}

/// Frees a principal (and the claims it lends). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_principal_free(principal: *mut ls_auth_principal) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(principal) })
}

// ---------------------------------------------------------------------------------------------
// Issuer

/// # Safety
/// Pointer contracts of `ls_auth_issuer_new` / `ls_auth_issuer_new_insecure_fixed_jti`.
unsafe fn issuer_out(
    keyring: *const ls_auth_keyring,
    policy: *const ls_auth_policy,
    fixed_jti: Option<(*const c_char, usize)>,
    issuer_out: *mut *mut ls_auth_issuer,
) -> Result<(), ls_auth_result> {
    // SAFETY: forwarded from the caller.
    let (keyring, policy, dst) = unsafe { (obj(keyring)?, policy_in(policy), out(issuer_out)?) };
    let keyring = keyring.inner.clone();
    let inner = match fixed_jti {
        None => core::Issuer::new(keyring, policy),
        Some((p, n)) => {
            // SAFETY: pointer contract of the calling export.
            let jti = unsafe { str_in(p, n) }?;
            let rng = core::InsecureFixedRandom::for_jti(jti)?;
            core::Issuer::with_random(keyring, policy, rng)
        }
    };
    dst.set(into_raw(ls_auth_issuer { inner }));
    Ok(())
}

/// An issuer signing with the keyring's first key under `policy` (NULL: defaults), drawing
/// `jti`s from the operating system's CSPRNG. Keyring and policy are copied. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_issuer_new(
    keyring: *const ls_auth_keyring,
    policy: *const ls_auth_policy,
    issuer_out_: *mut *mut ls_auth_issuer,
) -> ls_auth_result {
    // SAFETY: forwarded from the export's contract.
    guard(|| unsafe { issuer_out(keyring, policy, None, issuer_out_) })
}

/// INSECURE, FOR TESTS ONLY: an issuer whose every token gets the same `jti` (32 lowercase hex
/// characters of a UUID4), so minted bytes can be compared with a peer's. Never mint real
/// tokens with it: every token would share one `jti`, and revoking one revokes all.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_issuer_new_insecure_fixed_jti(
    keyring: *const ls_auth_keyring,
    policy: *const ls_auth_policy,
    jti: *const c_char,
    jti_len: usize,
    issuer_out_: *mut *mut ls_auth_issuer,
) -> ls_auth_result {
    // SAFETY: forwarded from the export's contract.
    guard(|| unsafe { issuer_out(keyring, policy, Some((jti, jti_len)), issuer_out_) })
}

/// Frees an issuer. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_issuer_free(issuer: *mut ls_auth_issuer) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(issuer) })
}

/// Mints a PAT for `user_id`, valid for `settings->pat_ttl_days` (NULL settings: defaults)
/// from `now`. `extra_claims_json` (NULL/0: none) is a JSON object of further claims, kept in
/// order; `token_type`, `exp`, `iat`, `jti` and `user_id` are reserved.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_issuer_mint_pat(
    issuer: *const ls_auth_issuer,
    user_id: *const c_char,
    user_id_len: usize,
    extra_claims_json: *const c_char,
    extra_claims_json_len: usize,
    settings: *const ls_auth_org_settings,
    now: i64,
    pat_out: *mut *mut ls_auth_string,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (issuer, user_id, extra, settings, dst) = unsafe {
            (
                obj(issuer)?,
                str_in(user_id, user_id_len)?,
                str_in(extra_claims_json, extra_claims_json_len)?,
                settings_in(settings),
                out(pat_out)?,
            )
        };
        let extra: Map<String, Value> = if extra.is_empty() {
            Map::new()
        } else {
            serde_json::from_str(extra).map_err(|_| LS_AUTH_INVALID_ARGUMENT)?
        };
        let pat = issuer.inner.mint_pat(user_id, &extra, &settings, now)?;
        dst.set(ls_auth_string::new(&pat));
        Ok(())
    })
}

/// Exchanges a PAT for an access token, as `POST /api/token/refresh/` does (the PAT is
/// verified as by `ls_auth_verifier_verify_refresh`).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_issuer_refresh(
    issuer: *const ls_auth_issuer,
    pat: *const c_char,
    pat_len: usize,
    settings: *const ls_auth_org_settings,
    revocation: *const ls_auth_revocation,
    now: i64,
    access_out: *mut *mut ls_auth_string,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (issuer, pat, settings, revocation, dst) = unsafe {
            (
                obj(issuer)?,
                str_in(pat, pat_len)?,
                settings_in(settings),
                CRevocation::from_ptr(revocation)?,
                out(access_out)?,
            )
        };
        let access = issuer.inner.refresh(pat, &settings, &revocation, now)?;
        dst.set(ls_auth_string::new(&access));
        Ok(())
    })
}

/// Replaces a PAT by a new one with the same claims and a fresh lifetime, and revokes the old
/// one through `revocation->revoke_if_active` (required): of concurrent rotations of one PAT
/// exactly one succeeds, the others get `LS_AUTH_TOKEN_REVOKED`. On success `*pat_out` is the
/// new PAT, `*revoked_jti_out` the old one's `jti` and `*revoked_exp_out` its `exp`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_issuer_rotate(
    issuer: *const ls_auth_issuer,
    pat: *const c_char,
    pat_len: usize,
    settings: *const ls_auth_org_settings,
    revocation: *const ls_auth_revocation,
    now: i64,
    pat_out: *mut *mut ls_auth_string,
    revoked_jti_out: *mut *mut ls_auth_string,
    revoked_exp_out: *mut i64,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (issuer, pat, settings, revocation, pat_dst, jti_dst, exp_dst) = unsafe {
            (
                obj(issuer)?,
                str_in(pat, pat_len)?,
                settings_in(settings),
                CRevocationStore::from_ptr(revocation)?,
                out(pat_out)?,
                out(revoked_jti_out)?,
                out(revoked_exp_out)?,
            )
        };
        let rotation = issuer.inner.rotate(pat, &settings, &revocation, now)?;
        pat_dst.set(ls_auth_string::new(&rotation.pat));
        jti_dst.set(ls_auth_string::new(&rotation.revoked_jti));
        exp_dst.set(rotation.revoked_exp);
        Ok(())
    })
}

/// The text of a library-owned string, NUL-terminated; NULL for a NULL string. Valid until
/// `ls_auth_string_free`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_string_data(s: *const ls_auth_string) -> *const c_char {
    guard_or(std::ptr::null(), || {
        // SAFETY: object contract.
        unsafe { obj(s) }.map_or(std::ptr::null(), |s| s.with_nul.as_ptr().cast())
    })
}

/// The length of a library-owned string, without the NUL; 0 for a NULL string.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_string_len(s: *const ls_auth_string) -> usize {
    guard_or(0, || {
        // SAFETY: object contract.
        unsafe { obj(s) }.map_or(0, |s| s.as_str().len())
    })
}

/// Frees a library-owned string. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_string_free(s: *mut ls_auth_string) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(s) })
}

// ---------------------------------------------------------------------------------------------
// Legacy keys and API-key classification

/// Writes a new legacy key (40 lowercase hex characters from the OS CSPRNG): `buf` needs at
/// least 41 bytes (`LS_AUTH_INSUFFICIENT_SIZE` is reported before any key is drawn).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_generate_legacy_key(
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: buffer contract of the header.
        let dst = unsafe { str_out(buf, len, out_len) }?;
        if len < core::LEGACY_KEY_LEN + 1 {
            // Report the size without drawing a key.
            return dst.write(&"0".repeat(core::LEGACY_KEY_LEN));
        }
        dst.write(&core::generate_legacy_key(&core::SystemRandom::new())?)
    })
}

/// `LS_AUTH_OK` when `key` has the form of a legacy key, else `LS_AUTH_MALFORMED_TOKEN`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_check_legacy_key(
    key: *const c_char,
    key_len: usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contract of the header.
        let key = unsafe { str_in(key, key_len) }?;
        Ok(core::check_legacy_key(key)?)
    })
}

/// Compares a presented legacy key with a stored one in constant time (for equal lengths).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_legacy_keys_equal(
    presented: *const c_char,
    presented_len: usize,
    stored: *const c_char,
    stored_len: usize,
    equal_out: *mut bool,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (a, b, dst) = unsafe {
            (
                str_in(presented, presented_len)?,
                str_in(stored, stored_len)?,
                out(equal_out)?,
            )
        };
        dst.set(core::legacy_keys_equal(a, b));
        Ok(())
    })
}

/// Writes SHA-256 of a legacy key as 64 lowercase hex characters, for hosts that store keys
/// hashed.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_legacy_key_digest(
    key: *const c_char,
    key_len: usize,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (key, dst) = unsafe { (str_in(key, key_len)?, str_out(buf, len, out_len)?) };
        dst.write(&core::legacy_key_digest(key))
    })
}

/// Tells a PAT, an access token and a legacy key apart without verifying anything (the client
/// side, SPEC §5). A JWT without `exp` or an expired PAT (at `now`) is an error the user must
/// see.
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
        dst.set(match core::classify_api_key(key, now)? {
            core::ApiKeyKind::Legacy => ls_auth_api_key_kind::LS_AUTH_API_KEY_LEGACY,
            core::ApiKeyKind::Pat => ls_auth_api_key_kind::LS_AUTH_API_KEY_PAT,
            core::ApiKeyKind::Access => ls_auth_api_key_kind::LS_AUTH_API_KEY_ACCESS,
        });
        Ok(())
    })
}
