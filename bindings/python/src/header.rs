//! The `Authorization` header: parsing it, and the challenge of a refusal.

use ls_auth_core as core;
use pyo3::prelude::*;

use crate::call::guarded;
use crate::convert::header_bytes;
use crate::errors::core_err;
use crate::values::Credential;

/// Parses an `Authorization` value into a Credential; every other outcome is the core's
/// error (`NoCredentials`, `UnsupportedScheme`, `MalformedHeader`, `HeaderTooLarge`).
#[pyfunction]
#[pyo3(signature = (value))]
pub(crate) fn parse_authorization(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Credential> {
    let bytes = header_bytes(value)?;
    guarded(|| {
        core::header::parse_authorization(&bytes).map(|c| Credential {
            scheme: c.scheme(),
            token: c.token().to_owned(),
        })
    })?
    .map_err(|e| core_err(py, &e))
}

/// The `WWW-Authenticate` challenge for an error's kind (or for absent credentials when
/// `None`); the same bytes every binding sends.
#[pyfunction]
#[pyo3(signature = (error=None))]
pub(crate) fn www_authenticate(
    py: Python<'_>,
    error: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<String>> {
    let kind = match error.filter(|e| !e.is_none()) {
        None => core::ErrorKind::NoCredentials,
        Some(e) => crate::errors::kind_of(py, e)?,
    };
    guarded(|| core::header::www_authenticate(kind))
}
