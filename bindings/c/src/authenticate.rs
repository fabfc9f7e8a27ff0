//! One request's authentication: the one-call form, and the two steps for hosts whose
//! organisation settings depend on the user.

use std::ffi::c_char;

use ls_auth_core as core;

use crate::claims::ls_auth_claims;
use crate::ffi::{bytes_in, free, guard, guard_or, into_raw, obj, out, str_out};
use crate::keys::{ls_auth_org_settings, settings_in};
use crate::now_in;
use crate::pending::Once;
use crate::result::ls_auth_result::{self, *};
use crate::revocation::{ls_auth_revocation, CRevocation};
use crate::verify::ls_auth_verifier;

/// Who a request is: a verified access token's claims, or a legacy key the host must look up.
pub struct ls_auth_principal {
    inner: Principal,
}

enum Principal {
    Jwt(ls_auth_claims),
    Legacy(String),
}

/// What `ls_auth_verifier_authenticate` found.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ls_auth_principal_kind {
    /// A verified access token: read it with `ls_auth_principal_claims`.
    LS_AUTH_PRINCIPAL_JWT = 1,
    /// A well-formed legacy key the organisation allows: the host must still look it up
    /// (`ls_auth_principal_legacy_key`, `ls_auth_legacy_keys_equal`, `ls_auth_legacy_key_digest`).
    LS_AUTH_PRINCIPAL_LEGACY = 2,
}

impl ls_auth_principal {
    fn new(principal: core::Principal<'_>) -> *mut ls_auth_principal {
        let inner = match principal {
            core::Principal::Jwt(claims) => Principal::Jwt(ls_auth_claims { inner: claims }),
            core::Principal::LegacyKey(key) => Principal::Legacy(key.into_owned()),
        };
        into_raw(ls_auth_principal { inner })
    }
}

/// Authenticates one request from its `Authorization` value (bytes; NULL/0 when absent) at
/// `now` (or `LS_AUTH_NOW`), under the organisation's `settings` (NULL: defaults). `Bearer`
/// carries an access token, verified without I/O (access tokens are never looked up, so no
/// revocation store is needed here); `Token` carries a legacy key returned for the host to
/// look up. Answer a failure with `ls_auth_result_http_status` and `ls_auth_www_authenticate`.
///
/// For a host whose settings depend on the user, see `ls_auth_verifier_begin_authenticate`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_verifier_authenticate(
    verifier: *const ls_auth_verifier,
    header: *const u8,
    header_len: usize,
    settings: *const ls_auth_org_settings,
    now: i64,
    principal_out: *mut *mut ls_auth_principal,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (verifier, header, settings, dst) = unsafe {
            (
                obj(verifier)?,
                bytes_in(header, header_len)?,
                settings_in(settings),
                out(principal_out)?,
            )
        };
        let principal = core::authenticate(header, &verifier.inner, &settings, now_in(now))?;
        dst.set(ls_auth_principal::new(principal));
        Ok(())
    })
}

/// A credential that passed every check needing no organisation settings, waiting for the
/// settings of the organisation it belongs to (`ls_auth_verifier_begin_authenticate`). It names
/// what to look up (`ls_auth_pending_principal_lookup`) and grants nothing until
/// `ls_auth_pending_principal_admit`, which may be called once. Free it with
/// `ls_auth_pending_principal_free`.
pub struct ls_auth_pending_principal {
    /// Taken by the one admission.
    inner: Once<core::PendingPrincipal<'static>>,
}

/// Step one of a request's authentication for a host whose organisation settings depend on
/// the user (a multi-organisation server): the header grammar and scheme, and for an access
/// token its signature, times and type (for a legacy key its form), at `now` (or
/// `LS_AUTH_NOW`). Failures are those of `ls_auth_verifier_authenticate`, except the
/// organisation's toggles, which step two applies. On success `*pending_out` names the user id
/// or legacy key to look up; that is not an authorisation until
/// `ls_auth_pending_principal_admit`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_verifier_begin_authenticate(
    verifier: *const ls_auth_verifier,
    header: *const u8,
    header_len: usize,
    now: i64,
    pending_out: *mut *mut ls_auth_pending_principal,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (verifier, header, dst) = unsafe {
            (
                obj(verifier)?,
                bytes_in(header, header_len)?,
                out(pending_out)?,
            )
        };
        let pending = core::begin_authenticate(header, &verifier.inner, now_in(now))?;
        dst.set(into_raw(ls_auth_pending_principal {
            inner: Once::new(pending.into_owned()),
        }));
        Ok(())
    })
}

/// What to look up to find the organisation: `*kind_out` is `LS_AUTH_PRINCIPAL_JWT` with the
/// access token's user id written to `buf`, or `LS_AUTH_PRINCIPAL_LEGACY` with the legacy key.
/// Not an authorisation. After the admission: `LS_AUTH_ALREADY_USED`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_pending_principal_lookup(
    pending: *const ls_auth_pending_principal,
    kind_out: *mut ls_auth_principal_kind,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (pending, kind_out, dst) =
            unsafe { (obj(pending)?, out(kind_out)?, str_out(buf, len, out_len)?) };
        let kind = pending.inner.read(|held| {
            let (kind, text) = match held.lookup() {
                core::Lookup::UserId(id) => (ls_auth_principal_kind::LS_AUTH_PRINCIPAL_JWT, id),
                core::Lookup::LegacyKey(key) => {
                    (ls_auth_principal_kind::LS_AUTH_PRINCIPAL_LEGACY, key)
                }
            };
            dst.write(text)?;
            Ok(kind)
        })?;
        kind_out.set(kind);
        Ok(())
    })
}

/// Step two: applies the organisation's `settings` (NULL: defaults), refusing a disabled kind
/// with `LS_AUTH_TOKEN_KIND_DISABLED`; on success `*principal_out` is the principal. A pending
/// principal is admitted once: a second call is `LS_AUTH_ALREADY_USED` (as is a call after a
/// refusal: a refused admission uses it up too). It must still be freed.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_pending_principal_admit(
    pending: *const ls_auth_pending_principal,
    settings: *const ls_auth_org_settings,
    principal_out: *mut *mut ls_auth_principal,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (pending, settings, dst) =
            unsafe { (obj(pending)?, settings_in(settings), out(principal_out)?) };
        dst.set(ls_auth_principal::new(
            pending.inner.take()?.admit(&settings)?,
        ));
        Ok(())
    })
}

/// The PAT a verified access token names (its `pat_jti` claim, contract §3.11), only so that
/// the host can read that PAT's revocation in the lookup of the user. `*names_out` is false
/// (and `buf` the empty string) for a legacy key or an access token naming no PAT. After the
/// admission: `LS_AUTH_ALREADY_USED`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_pending_principal_pat_jti(
    pending: *const ls_auth_pending_principal,
    names_out: *mut bool,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (pending, names, dst) =
            unsafe { (obj(pending)?, out(names_out)?, str_out(buf, len, out_len)?) };
        let named = pending.inner.read(|held| {
            let jti = held.lookup_pat_jti();
            dst.write(jti.as_deref().unwrap_or(""))?;
            Ok(jti.is_some())
        })?;
        names.set(named);
        Ok(())
    })
}

/// Step two with revocation (contract §3.11): as `ls_auth_pending_principal_admit`, then an
/// access token whose PAT (`ls_auth_pending_principal_pat_jti`) `revocation` says is revoked is
/// `LS_AUTH_TOKEN_REVOKED`; a `pat_jti` that is not a string is `LS_AUTH_MALFORMED_TOKEN`.
/// `revocation` is required (NULL: `LS_AUTH_NULL_PARAMETER`). Admits once (then
/// `LS_AUTH_ALREADY_USED`, like `ls_auth_pending_principal_admit`).
#[no_mangle]
pub unsafe extern "C" fn ls_auth_pending_principal_admit_unrevoked(
    pending: *const ls_auth_pending_principal,
    settings: *const ls_auth_org_settings,
    revocation: *const ls_auth_revocation,
    principal_out: *mut *mut ls_auth_principal,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (pending, settings, revocation, dst) = unsafe {
            (
                obj(pending)?,
                settings_in(settings),
                CRevocation::from_ptr(revocation)?,
                out(principal_out)?,
            )
        };
        dst.set(ls_auth_principal::new(
            pending
                .inner
                .take()?
                .admit_unrevoked(&settings, &revocation)?,
        ));
        Ok(())
    })
}

/// Frees a pending principal. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_pending_principal_free(pending: *mut ls_auth_pending_principal) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(pending) })
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
