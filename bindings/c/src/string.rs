//! Strings the library owns (minted tokens, jtis), handed to C with a trailing NUL.

use std::ffi::c_char;

use crate::ffi::{free, guard_or, into_raw, obj};

/// A string the library owns (a minted token, a jti): read it with `ls_auth_string_data` and
/// `ls_auth_string_len`, release it with `ls_auth_string_free`.
pub struct ls_auth_string {
    /// The text followed by one NUL.
    with_nul: Box<str>,
}

impl ls_auth_string {
    pub(crate) fn new(s: &str) -> *mut ls_auth_string {
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
