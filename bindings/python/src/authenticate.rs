//! One request's authentication, in one step or two.

use ls_auth_core as core;
use pyo3::prelude::*;

use crate::admission::PendingPrincipal;
use crate::call::run_sized;
use crate::convert::{header_bytes, resolve_now};
use crate::values::{OrgSettings, Principal};
use crate::verifier::Verifier;

/// Authenticates one request's `Authorization` value.
#[pyfunction]
#[pyo3(signature = (header, *, verifier, settings, now=None))]
pub(crate) fn authenticate(
    py: Python<'_>,
    header: Option<&Bound<'_, PyAny>>,
    verifier: PyRef<'_, Verifier>,
    settings: PyRef<'_, OrgSettings>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<Principal> {
    let now = resolve_now(py, now)?;
    let bytes = header_bytes(header)?;
    let (v, s) = (&verifier.0, &settings.0);
    let principal = run_sized(py, bytes.len(), || {
        core::authenticate(&bytes, v, s, now).map(core::Principal::into_owned)
    })?;
    Principal::from_core(py, principal)
}

/// Step one of a request's authentication when the settings depend on the user: everything
/// that needs no settings, then a `PendingPrincipal` naming what to look up.
#[pyfunction]
#[pyo3(signature = (header, *, verifier, now=None))]
pub(crate) fn begin_authenticate(
    py: Python<'_>,
    header: Option<&Bound<'_, PyAny>>,
    verifier: PyRef<'_, Verifier>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<PendingPrincipal> {
    let now = resolve_now(py, now)?;
    let bytes = header_bytes(header)?;
    let v = &verifier.0;
    run_sized(py, bytes.len(), || {
        core::begin_authenticate(&bytes, v, now).map(core::PendingPrincipal::into_owned)
    })
    .map(PendingPrincipal::new)
}
