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

use std::ffi::c_char;

mod authenticate;
mod claims;
mod client;
mod ffi;
mod header;
mod issue;
mod keys;
mod legacy;
mod pending;
pub mod result;
mod revocation;
mod string;
mod verify;

pub use authenticate::*;
pub use claims::*;
pub use client::*;
pub use header::*;
pub use issue::*;
pub use keys::*;
pub use legacy::*;
pub use result::{
    ls_auth_result, ls_auth_result_code, ls_auth_result_http_status, ls_auth_result_message,
};
pub use revocation::*;
pub use string::*;
pub use verify::*;

#[cfg(feature = "test-hooks")]
use ffi::guard;
use ffi::guard_or;

/// Pass as `now` to use the system clock instead of a given time (seconds since the epoch).
pub const LS_AUTH_NOW: i64 = i64::MIN;

/// `now`, or the system clock's time for [`LS_AUTH_NOW`]: the one place the binding reads it.
pub(crate) fn now_in(now: i64) -> i64 {
    if now == LS_AUTH_NOW {
        ls_auth_core::unix_time(std::time::SystemTime::now())
    } else {
        now
    }
}

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
