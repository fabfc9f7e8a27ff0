//! How a call crosses into the core: panics contained, the GIL released around work that
//! takes time, core errors turned into their exceptions.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ls_auth_core as core;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::errors::core_err;

/// Runs core code, turning a panic (a bug) into `RuntimeError` so that no `PanicException`
/// ever reaches a user.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        PyRuntimeError::new_err(format!(
            "internal error in ls_auth (please report it): {what}"
        ))
    })
}

/// Core work with the GIL released and panics contained.
pub(crate) fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.detach(|| guarded(f))
}

/// Both halves of a result: a panic becomes RuntimeError, a core error its exception.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> core::Result<T> + Send,
) -> PyResult<T> {
    detached(py, f)?.map_err(|e| core_err(py, &e))
}

/// Releasing and re-taking the GIL costs about as much as verifying a typical 230-byte token,
/// so verification of inputs this small runs with the GIL held; larger ones release it.
pub(crate) const DETACH_ABOVE_BYTES: usize = 1024;

/// [`run`] for per-request work whose cost grows with `input_len`.
pub(crate) fn run_sized<T: Send>(
    py: Python<'_>,
    input_len: usize,
    f: impl FnOnce() -> core::Result<T> + Send,
) -> PyResult<T> {
    if input_len > DETACH_ABOVE_BYTES {
        run(py, f)
    } else {
        guarded(f)?.map_err(|e| core_err(py, &e))
    }
}
