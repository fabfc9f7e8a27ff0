//! Legacy `Token` keys: generation, form, digest, constant-time comparison.

use ls_auth_core as core;
use pyo3::prelude::*;

use crate::call::guarded;
use crate::convert::text_arg;
use crate::errors::core_err;

/// A new legacy key (40 lowercase hex characters).
#[pyfunction]
pub(crate) fn generate_legacy_key(py: Python<'_>) -> PyResult<String> {
    guarded(|| core::legacy::generate_legacy_key(&core::SystemRandom::new()))?
        .map_err(|e| core_err(py, &e))
}

/// Raises `MalformedToken` unless `key` has the form of a legacy key.
#[pyfunction]
pub(crate) fn check_legacy_key(py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<()> {
    let key = text_arg(key, "key")?;
    guarded(|| core::legacy::check_legacy_key(key))?.map_err(|e| core_err(py, &e))
}

/// SHA-256 of a legacy key as hex, for hosts that store keys hashed.
#[pyfunction]
pub(crate) fn legacy_key_digest(key: &Bound<'_, PyAny>) -> PyResult<String> {
    let key = text_arg(key, "key")?;
    guarded(|| core::legacy::legacy_key_digest(key))
}

/// Compares a presented legacy key with a stored one in constant time.
#[pyfunction]
pub(crate) fn legacy_keys_equal(
    presented: &Bound<'_, PyAny>,
    stored: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let (a, b) = (
        text_arg(presented, "presented")?,
        text_arg(stored, "stored")?,
    );
    guarded(|| core::legacy::legacy_keys_equal(a, b))
}
