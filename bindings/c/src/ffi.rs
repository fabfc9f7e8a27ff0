//! The audited helpers: every raw-pointer operation of the binding lives here, and every
//! export reaches C's memory only through them.
//!
//! Conventions the helpers enforce:
//! - inputs are pointer + length; NULL with length 0 is the empty input, NULL with a non-zero
//!   length is `LS_AUTH_NULL_PARAMETER`;
//! - text inputs must be UTF-8 (`LS_AUTH_INVALID_UTF8`) without an embedded NUL
//!   (`LS_AUTH_INVALID_ARGUMENT`), and are never truncated;
//! - out-parameters are checked before any work and written only on success;
//! - strings out go to a caller buffer with a terminating NUL, or `LS_AUTH_INSUFFICIENT_SIZE`
//!   with `*out_len` set to the size needed.

use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::result::ls_auth_result::{self, *};

/// What an export's body returns: `Ok(())` is `LS_AUTH_OK`.
pub(crate) type FfiResult = Result<(), ls_auth_result>;

/// The panic guard of every fallible export: a panic becomes `LS_AUTH_PANIC`, never an unwind
/// into C.
pub(crate) fn guard(body: impl FnOnce() -> FfiResult) -> ls_auth_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => LS_AUTH_OK,
        Ok(Err(r)) => r,
        Err(_) => LS_AUTH_PANIC,
    }
}

/// The panic guard of an infallible export (getters, `_free`): a panic returns `fallback`.
pub(crate) fn guard_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Borrows `len` bytes at `ptr`.
///
/// # Safety
/// When `ptr` is non-NULL it must point to `len` readable bytes that stay valid and unchanged
/// for `'a`.
pub(crate) unsafe fn bytes_in<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], ls_auth_result> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(LS_AUTH_NULL_PARAMETER)
        };
    }
    if len > isize::MAX as usize {
        return Err(LS_AUTH_INVALID_ARGUMENT);
    }
    // SAFETY: non-NULL, length bounded, validity promised by the caller.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a text argument: UTF-8 without an embedded NUL.
///
/// # Safety
/// As [`bytes_in`].
pub(crate) unsafe fn str_in<'a>(ptr: *const c_char, len: usize) -> Result<&'a str, ls_auth_result> {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { bytes_in(ptr.cast(), len) }?;
    // Both checks run on every token a C service verifies: vectorised (runtime dispatch),
    // they cost a few ns where std's word-at-a-time loops cost ~25 (the target: C <= 1.10x Rust).
    let text = simdutf8::basic::from_utf8(bytes).map_err(|_| LS_AUTH_INVALID_UTF8)?;
    if memchr::memchr(0, bytes).is_some() {
        return Err(LS_AUTH_INVALID_ARGUMENT);
    }
    Ok(text)
}

/// Borrows an object the library handed out.
///
/// # Safety
/// `ptr` must be NULL or a live pointer obtained from this library for type `T`.
pub(crate) unsafe fn obj<'a, T>(ptr: *const T) -> Result<&'a T, ls_auth_result> {
    // SAFETY: as promised by the caller.
    unsafe { ptr.as_ref() }.ok_or(LS_AUTH_NULL_PARAMETER)
}

/// Borrows an optional argument: NULL is `None` (the caller then uses its defaults).
///
/// # Safety
/// `ptr` must be NULL or point to a valid `T` that stays valid for `'a`.
pub(crate) unsafe fn opt_obj<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: as promised by the caller.
    unsafe { ptr.as_ref() }
}

/// Borrows an object the library handed out, for the one mutating builder call.
///
/// # Safety
/// As [`obj`], and no other reference to the object may be in use during the call.
pub(crate) unsafe fn obj_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, ls_auth_result> {
    // SAFETY: as promised by the caller.
    unsafe { ptr.as_mut() }.ok_or(LS_AUTH_NULL_PARAMETER)
}

/// An out-parameter checked for NULL before any work is done, written at the end.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Writes the value without reading or dropping what was there.
    pub(crate) fn set(self, value: T) {
        // SAFETY: `out` checked non-NULL, and its caller promised it is writable.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// Checks an out-parameter.
///
/// # Safety
/// `ptr` must be NULL or valid for a write of `T` until the export returns.
pub(crate) unsafe fn out<T>(ptr: *mut T) -> Result<Out<T>, ls_auth_result> {
    NonNull::new(ptr).map(Out).ok_or(LS_AUTH_NULL_PARAMETER)
}

/// A caller buffer `(buf, len, out_len)` for a string out, checked before any work.
pub(crate) struct StrOut {
    buf: *mut c_char,
    len: usize,
    out_len: NonNull<usize>,
}

/// Checks a string-out buffer: `out_len` is required; `buf` may be NULL only with `len == 0`
/// (a size query).
///
/// # Safety
/// `buf` must be NULL or valid for writes of `len` bytes; `out_len` NULL or writable.
pub(crate) unsafe fn str_out(
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> Result<StrOut, ls_auth_result> {
    let out_len = NonNull::new(out_len).ok_or(LS_AUTH_NULL_PARAMETER)?;
    if buf.is_null() && len != 0 {
        return Err(LS_AUTH_NULL_PARAMETER);
    }
    Ok(StrOut { buf, len, out_len })
}

impl StrOut {
    /// Copies `s` and a NUL into the buffer and sets `*out_len = s.len()`; or, when it does not
    /// fit, writes nothing into the buffer, sets `*out_len = s.len() + 1` and fails.
    pub(crate) fn write(self, s: &str) -> FfiResult {
        let needed = s.len() + 1;
        if self.len < needed {
            // SAFETY: checked non-NULL in `str_out`, writable as promised.
            unsafe { self.out_len.as_ptr().write(needed) };
            return Err(LS_AUTH_INSUFFICIENT_SIZE);
        }
        // SAFETY: `buf` is non-NULL here (len >= 1) and valid for `len >= needed` bytes; the
        // source is a Rust string, which cannot overlap C's buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.cast::<u8>(), s.len());
            self.buf.add(s.len()).write(0);
            self.out_len.as_ptr().write(s.len());
        }
        Ok(())
    }
}

/// Hands a new object to C.
pub(crate) fn into_raw<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes an object back from C and drops it; NULL is a no-op.
///
/// # Safety
/// `ptr` must be NULL or a pointer from [`into_raw`] for `T` not freed before, and not used
/// after this call.
pub(crate) unsafe fn free<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: as promised by the caller.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// Borrows a string passed to a C callback's result or to C: `(ptr, len)` of a Rust `&str`.
pub(crate) fn str_parts(s: &str) -> (*const c_char, usize) {
    (s.as_ptr().cast(), s.len())
}

/// A host callback `is_revoked(ctx, jti, len)`.
pub(crate) type IsRevokedFn = unsafe extern "C" fn(*mut c_void, *const c_char, usize) -> bool;
/// A host callback `revoke_if_active(ctx, jti, len, forget_after, now)`.
pub(crate) type RevokeIfActiveFn =
    unsafe extern "C" fn(*mut c_void, *const c_char, usize, i64, i64) -> bool;

/// A host callback with the `ctx` it was given with, checked non-NULL before any work: calling
/// it passes a Rust string as `(ptr, len)`, valid only during the call.
pub(crate) struct Callback<F> {
    ctx: *mut c_void,
    f: F,
}

/// Checks a host callback (NULL is `LS_AUTH_NULL_PARAMETER`) and binds it to its `ctx`.
///
/// # Safety
/// `f` must be safe to call with `ctx` (and any string) until the export returns.
pub(crate) unsafe fn callback<F>(
    ctx: *mut c_void,
    f: Option<F>,
) -> Result<Callback<F>, ls_auth_result> {
    Ok(Callback {
        ctx,
        f: f.ok_or(LS_AUTH_NULL_PARAMETER)?,
    })
}

impl Callback<IsRevokedFn> {
    /// `is_revoked(ctx, jti, len)`.
    pub(crate) fn is_revoked(&self, jti: &str) -> bool {
        let (p, n) = str_parts(jti);
        // SAFETY: `f` and `ctx` were supplied together, valid for the export (see `callback`).
        unsafe { (self.f)(self.ctx, p, n) }
    }
}

impl Callback<RevokeIfActiveFn> {
    /// `revoke_if_active(ctx, jti, len, forget_after, now)`.
    pub(crate) fn revoke_if_active(&self, jti: &str, forget_after: i64, now: i64) -> bool {
        let (p, n) = str_parts(jti);
        // SAFETY: `f` and `ctx` were supplied together, valid for the export (see `callback`).
        unsafe { (self.f)(self.ctx, p, n, forget_after, now) }
    }
}
