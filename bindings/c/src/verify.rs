//! The verifier: access tokens, and PATs presented for refresh (in one step or two).

use std::ffi::c_char;

use ls_auth_core as core;

use crate::claims::{claims_out, ls_auth_claims};
use crate::ffi::{free, guard, guard_or, into_raw, obj, out, str_in, str_out};
use crate::keys::{ls_auth_keyring, ls_auth_org_settings, ls_auth_policy, policy_in, settings_in};
use crate::now_in;
use crate::pending::Once;
use crate::result::ls_auth_result;
use crate::revocation::{ls_auth_revocation, CRevocation};

/// Verifies tokens. Immutable: one verifier may be shared by every thread of a server.
pub struct ls_auth_verifier {
    pub(crate) inner: core::Verifier,
}

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

/// Verifies an access token (the credential of `Authorization: Bearer`) at `now` (seconds
/// since the epoch, or `LS_AUTH_NOW`); on success `*claims_out` receives claims to free with
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
        dst.set(claims_out(
            verifier.inner.verify_access(token, now_in(now))?,
        ));
        Ok(())
    })
}

/// Verifies a PAT presented for refresh at `now` (or `LS_AUTH_NOW`): the organisation must allow PATs
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
            .verify_refresh(token, &settings, &revocation, now_in(now))?;
        dst.set(claims_out(claims));
        Ok(())
    })
}

/// A PAT whose signature, times and type are verified, waiting for its organisation's
/// settings (`ls_auth_verifier_begin_refresh`, `ls_auth_issuer_begin_refresh`). It names the
/// user to look up (`ls_auth_pending_refresh_user_id`) and grants nothing until it is admitted
/// once: by `ls_auth_pending_refresh_admit`, `ls_auth_issuer_finish_refresh` or
/// `ls_auth_issuer_finish_rotate`. Free it with `ls_auth_pending_refresh_free`.
pub struct ls_auth_pending_refresh {
    /// Taken by the one admission.
    inner: Once<core::PendingRefresh>,
}

impl ls_auth_pending_refresh {
    pub(crate) fn new(pending: core::PendingRefresh) -> *mut ls_auth_pending_refresh {
        into_raw(ls_auth_pending_refresh {
            inner: Once::new(pending),
        })
    }

    /// The core value for the one admission; `LS_AUTH_ALREADY_USED` once it was taken.
    pub(crate) fn take(&self) -> Result<core::PendingRefresh, ls_auth_result> {
        self.inner.take()
    }
}

/// Step one of a refresh for a host whose organisation settings depend on the user: verifies
/// the PAT's structure, signature, times and type at `now` (or `LS_AUTH_NOW`). Step two applies
/// the settings and revocation.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_verifier_begin_refresh(
    verifier: *const ls_auth_verifier,
    token: *const c_char,
    token_len: usize,
    now: i64,
    pending_out: *mut *mut ls_auth_pending_refresh,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (verifier, token, dst) =
            unsafe { (obj(verifier)?, str_in(token, token_len)?, out(pending_out)?) };
        let pending = verifier.inner.begin_refresh(token, now_in(now))?;
        dst.set(ls_auth_pending_refresh::new(pending));
        Ok(())
    })
}

/// Writes the pending PAT's verified user id: only to find the user and their organisation.
/// After the admission: `LS_AUTH_ALREADY_USED`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_pending_refresh_user_id(
    pending: *const ls_auth_pending_refresh,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (pending, dst) = unsafe { (obj(pending)?, str_out(buf, len, out_len)?) };
        pending.inner.read(|held| dst.write(held.lookup_user_id()))
    })
}

/// Step two, as `ls_auth_verifier_verify_refresh` would finish: the organisation's `settings`
/// (NULL: defaults; PATs enabled, TTL) and `revocation`; on success `*claims_out` is the PAT's
/// claims. Admits once: a second admission is `LS_AUTH_ALREADY_USED`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_pending_refresh_admit(
    pending: *const ls_auth_pending_refresh,
    settings: *const ls_auth_org_settings,
    revocation: *const ls_auth_revocation,
    claims_out_: *mut *mut ls_auth_claims,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (pending, settings, revocation, dst) = unsafe {
            (
                obj(pending)?,
                settings_in(settings),
                CRevocation::from_ptr(revocation)?,
                out(claims_out_)?,
            )
        };
        dst.set(claims_out(pending.take()?.admit(&settings, &revocation)?));
        Ok(())
    })
}

/// Frees a pending refresh. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_pending_refresh_free(pending: *mut ls_auth_pending_refresh) {
    // SAFETY: `_free` contract of the header.
    guard_or((), || unsafe { free(pending) })
}
