//! The host's revocation store, as C callbacks, in the shapes the core asks for: a reader for
//! verification and refresh, and a store that records atomically for rotation.

use std::ffi::{c_char, c_void};

use ls_auth_core as core;

use crate::ffi::{callback, obj, Callback, IsRevokedFn, RevokeIfActiveFn};
use crate::result::ls_auth_result;

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
    /// Atomically records `jti` as revoked unless it already is; returns whether this call did
    /// it. Keep the entry while `now < forget_after`: the token's `exp` plus the issuer's
    /// leeway, computed by the library (an entry dropped at the bare `exp` would let the PAT
    /// refresh again inside the leeway). Required by `ls_auth_issuer_rotate` only (may be NULL
    /// elsewhere).
    pub revoke_if_active: Option<
        unsafe extern "C" fn(
            ctx: *mut c_void,
            jti: *const c_char,
            len: usize,
            forget_after: i64,
            now: i64,
        ) -> bool,
    >,
}

/// The core's `Revocation` over C callbacks.
pub(crate) struct CRevocation {
    is_revoked: Callback<IsRevokedFn>,
}

/// The core's `RevocationStore` over C callbacks: only built when `revoke_if_active` is given,
/// so rotation can never run over a store that cannot record it.
pub(crate) struct CRevocationStore {
    read: CRevocation,
    revoke_if_active: Callback<RevokeIfActiveFn>,
}

impl CRevocation {
    /// # Safety
    /// `ptr` must be NULL or point to a valid `ls_auth_revocation` whose callbacks are safe to
    /// call with its `ctx` for the duration of the export.
    pub(crate) unsafe fn from_ptr(ptr: *const ls_auth_revocation) -> Result<Self, ls_auth_result> {
        // SAFETY: as promised by the caller.
        let r = unsafe { obj(ptr) }?;
        Ok(CRevocation {
            // SAFETY: as promised by the caller.
            is_revoked: unsafe { callback(r.ctx, r.is_revoked) }?,
        })
    }
}

impl CRevocationStore {
    /// # Safety
    /// As for [`CRevocation::from_ptr`].
    pub(crate) unsafe fn from_ptr(ptr: *const ls_auth_revocation) -> Result<Self, ls_auth_result> {
        // SAFETY: as promised by the caller.
        let r = unsafe { obj(ptr) }?;
        Ok(CRevocationStore {
            // SAFETY: as above.
            read: unsafe { CRevocation::from_ptr(ptr) }?,
            // SAFETY: as above.
            revoke_if_active: unsafe { callback(r.ctx, r.revoke_if_active) }?,
        })
    }
}

impl core::Revocation for CRevocation {
    fn is_revoked(&self, jti: &str) -> bool {
        self.is_revoked.is_revoked(jti)
    }
}

impl core::Revocation for CRevocationStore {
    fn is_revoked(&self, jti: &str) -> bool {
        self.read.is_revoked(jti)
    }
}

impl core::RevocationStore for CRevocationStore {
    fn revoke_if_active(&self, jti: &str, forget_after: i64, now: i64) -> bool {
        self.revoke_if_active
            .revoke_if_active(jti, forget_after, now)
    }
}
