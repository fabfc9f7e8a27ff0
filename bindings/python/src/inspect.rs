//! Reading keys without a key: their kind, their shape, the truncated listing form.

use ls_auth_core as core;
use pyo3::prelude::*;

use crate::call::guarded;
use crate::convert::{resolve_now, text_arg};
use crate::errors::core_err;

/// What a key or token looks like, read without a key: `"legacy"`, `"pat"`, `"access"`,
/// `"truncated"` or `"jwt"`. For display and diagnosis only: nothing is verified.
#[pyfunction]
pub(crate) fn inspect_key(py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<&'static str> {
    let key = text_arg(key, "key")?;
    guarded(|| core::client::inspect_key(key).map(|(shape, _)| shape.as_str()))?
        .map_err(|e| core_err(py, &e))
}

/// `"legacy"`, `"pat"` or `"access"`, without verifying anything.
#[pyfunction]
#[pyo3(signature = (key, *, now=None))]
pub(crate) fn classify_api_key(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<&'static str> {
    let now = resolve_now(py, now)?;
    let key = text_arg(key, "key")?;
    guarded(|| core::client::classify_api_key(key, now))?
        .map(|k| k.as_str())
        .map_err(|e| core_err(py, &e))
}

/// The server's listing form of a token, `header.payload`.
#[pyfunction]
pub(crate) fn truncate(py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<String> {
    let token = text_arg(token, "token")?;
    guarded(|| core::jws::truncate(token).map(str::to_owned))?.map_err(|e| core_err(py, &e))
}
