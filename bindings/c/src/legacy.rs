//! Legacy `Token` keys: generating, checking, comparing and hashing them.

use std::ffi::c_char;

use ls_auth_core as core;

use crate::ffi::{guard, out, str_in, str_out};
use crate::result::ls_auth_result;

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
        if len < core::legacy::LEGACY_KEY_LEN + 1 {
            // Report the size without drawing a key.
            return dst.write(&"0".repeat(core::legacy::LEGACY_KEY_LEN));
        }
        dst.write(&core::legacy::generate_legacy_key(
            &core::SystemRandom::new(),
        )?)
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
        Ok(core::legacy::check_legacy_key(key)?)
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
        dst.set(core::legacy::legacy_keys_equal(a, b));
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
        dst.write(&core::legacy::legacy_key_digest(key))
    })
}
