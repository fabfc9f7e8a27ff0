//! The issuer: minting PATs, refreshing them into access tokens, rotating them.

use std::ffi::c_char;

use ls_auth_core as core;
use serde_json::Map;

use crate::ffi::{free, guard, guard_or, into_raw, obj, out, str_in, Out};
use crate::keys::{ls_auth_keyring, ls_auth_org_settings, ls_auth_policy, policy_in, settings_in};
use crate::now_in;
use crate::result::ls_auth_result::{self, *};
use crate::revocation::{ls_auth_revocation, CRevocation, CRevocationStore};
use crate::string::ls_auth_string;
use crate::verify::ls_auth_pending_refresh;

/// Mints PATs, refreshes them into access tokens and rotates them. Thread-safe.
pub struct ls_auth_issuer {
    inner: core::Issuer,
}

/// A rotation's three out-parameters, checked before any work and written together.
struct RotationOut {
    pat: Out<*mut ls_auth_string>,
    jti: Out<*mut ls_auth_string>,
    exp: Out<i64>,
}

impl RotationOut {
    /// # Safety
    /// Out-parameter contracts of the calling export.
    unsafe fn new(
        pat: *mut *mut ls_auth_string,
        jti: *mut *mut ls_auth_string,
        exp: *mut i64,
    ) -> Result<Self, ls_auth_result> {
        // SAFETY: forwarded from the caller.
        unsafe {
            Ok(RotationOut {
                pat: out(pat)?,
                jti: out(jti)?,
                exp: out(exp)?,
            })
        }
    }

    fn set(self, rotation: core::Rotation) {
        self.pat.set(ls_auth_string::new(&rotation.pat));
        self.jti.set(ls_auth_string::new(&rotation.revoked_jti));
        self.exp.set(rotation.revoked_exp);
    }
}

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
        #[cfg(feature = "test-hooks")]
        Some((p, n)) => {
            // SAFETY: pointer contract of the calling export.
            let jti = unsafe { str_in(p, n) }?;
            let rng = core::dangerous::InsecureFixedRandom::for_jti(jti)?;
            core::Issuer::with_random(keyring, policy, rng)
        }
        #[cfg(not(feature = "test-hooks"))]
        Some(_) => return Err(LS_AUTH_INVALID_ARGUMENT),
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

/// INSECURE, TEST BUILDS ONLY (cargo feature `test-hooks`, header macro `LS_AUTH_TEST_HOOKS`):
/// an issuer whose every token gets the same `jti` (32 lowercase hex characters of a UUID4),
/// so minted bytes can be compared with a peer's. Every token would share one `jti`, and
/// revoking one would revoke all: a release library does not export it.
#[cfg(feature = "test-hooks")]
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
/// from `now` (or `LS_AUTH_NOW`). `extra_claims_json` (NULL/0: none) is a JSON object of further claims, kept in
/// order, its member names unique (`LS_AUTH_INVALID_ARGUMENT` otherwise); `token_type`, `exp`,
/// `iat`, `jti` and `user_id` are reserved.
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
        let extra = if extra.is_empty() {
            Map::new()
        } else {
            core::Issuer::extra_claims_from_json(extra)?
        };
        let pat = issuer
            .inner
            .mint_pat(user_id, &extra, &settings, now_in(now))?;
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
        let access = issuer
            .inner
            .refresh(pat, &settings, &revocation, now_in(now))?;
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
        let (issuer, pat, settings, revocation, dst) = unsafe {
            (
                obj(issuer)?,
                str_in(pat, pat_len)?,
                settings_in(settings),
                CRevocationStore::from_ptr(revocation)?,
                RotationOut::new(pat_out, revoked_jti_out, revoked_exp_out)?,
            )
        };
        dst.set(
            issuer
                .inner
                .rotate(pat, &settings, &revocation, now_in(now))?,
        );
        Ok(())
    })
}

/// Step one of a refresh or rotation for a host whose organisation settings depend on the
/// user: verifies the PAT with this issuer's keys and policy, as
/// `ls_auth_verifier_begin_refresh` does.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_issuer_begin_refresh(
    issuer: *const ls_auth_issuer,
    pat: *const c_char,
    pat_len: usize,
    now: i64,
    pending_out: *mut *mut ls_auth_pending_refresh,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (issuer, pat, dst) =
            unsafe { (obj(issuer)?, str_in(pat, pat_len)?, out(pending_out)?) };
        let pending = issuer.inner.begin_refresh(pat, now_in(now))?;
        dst.set(ls_auth_pending_refresh::new(pending));
        Ok(())
    })
}

/// Step two of a refresh: admits the pending PAT under the organisation's `settings` (NULL:
/// defaults) and `revocation`, then mints its access token as `ls_auth_issuer_refresh` does.
/// Admits once: a second admission is `LS_AUTH_ALREADY_USED`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_issuer_finish_refresh(
    issuer: *const ls_auth_issuer,
    pending: *const ls_auth_pending_refresh,
    settings: *const ls_auth_org_settings,
    revocation: *const ls_auth_revocation,
    access_out: *mut *mut ls_auth_string,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (issuer, pending, settings, revocation, dst) = unsafe {
            (
                obj(issuer)?,
                obj(pending)?,
                settings_in(settings),
                CRevocation::from_ptr(revocation)?,
                out(access_out)?,
            )
        };
        let access = issuer
            .inner
            .finish_refresh(pending.take()?, &settings, &revocation)?;
        dst.set(ls_auth_string::new(&access));
        Ok(())
    })
}

/// Step two of a rotation: admits the pending PAT, mints its replacement with the
/// organisation's PAT TTL and revokes it through `revocation->revoke_if_active` (required), as
/// `ls_auth_issuer_rotate` does. Admits once: a second admission is `LS_AUTH_ALREADY_USED`.
#[no_mangle]
pub unsafe extern "C" fn ls_auth_issuer_finish_rotate(
    issuer: *const ls_auth_issuer,
    pending: *const ls_auth_pending_refresh,
    settings: *const ls_auth_org_settings,
    revocation: *const ls_auth_revocation,
    pat_out: *mut *mut ls_auth_string,
    revoked_jti_out: *mut *mut ls_auth_string,
    revoked_exp_out: *mut i64,
) -> ls_auth_result {
    guard(|| {
        // SAFETY: pointer contracts of the header.
        let (issuer, pending, settings, revocation, dst) = unsafe {
            (
                obj(issuer)?,
                obj(pending)?,
                settings_in(settings),
                CRevocationStore::from_ptr(revocation)?,
                RotationOut::new(pat_out, revoked_jti_out, revoked_exp_out)?,
            )
        };
        dst.set(
            issuer
                .inner
                .finish_rotate(pending.take()?, &settings, &revocation)?,
        );
        Ok(())
    })
}
