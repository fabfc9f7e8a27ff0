//! `VerifiedTokenCache`: verified EdDSA access tokens kept in front of a `Verifier`.

use ls_auth_core as core;
use pyo3::prelude::*;

use crate::admission::PendingPrincipal;
use crate::call::{detached, run};
use crate::convert::{header_bytes, resolve_now, text_arg, u32_arg};
use crate::values::Claims;
use crate::verifier::Verifier;

/// Verified EdDSA access tokens in front of a Verifier: a token used again skips the signature
/// check, and answers exactly as the verifier would at that `now`.
#[pyclass(frozen, module = "ls_auth", name = "VerifiedTokenCache")]
pub(crate) struct VerifiedTokenCache(core::VerifiedTokenCache);

#[pymethods]
impl VerifiedTokenCache {
    #[new]
    #[pyo3(signature = (verifier, *, capacity=None))]
    fn new(
        py: Python<'_>,
        verifier: PyRef<'_, Verifier>,
        capacity: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let capacity = match capacity.filter(|c| !c.is_none()) {
            None => core::DEFAULT_CACHE_CAPACITY,
            Some(c) => u32_arg(py, c, "capacity")? as usize,
        };
        let verifier = verifier.0.clone();
        detached(py, move || {
            VerifiedTokenCache(core::VerifiedTokenCache::new(verifier, capacity))
        })
    }

    /// Answers for `verifier` from now on: entries whose key it no longer holds are dropped
    /// (all of them when its policy differs).
    fn replace_verifier(&self, py: Python<'_>, verifier: PyRef<'_, Verifier>) -> PyResult<()> {
        let verifier = verifier.0.clone();
        detached(py, || self.0.replace_verifier(verifier))
    }

    /// `Verifier.verify_access` through the cache.
    #[pyo3(signature = (token, *, now=None))]
    fn verify_access(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Claims> {
        let now = resolve_now(py, now)?;
        let token = text_arg(token, "token")?;
        // A miss is an Ed25519 verification (tens of microseconds): the GIL is released.
        run(py, || self.0.verify_access(token, now)).map(Claims)
    }

    /// `ls_auth.begin_authenticate` through the cache.
    #[pyo3(signature = (header, *, now=None))]
    fn begin_authenticate(
        &self,
        py: Python<'_>,
        header: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PendingPrincipal> {
        let now = resolve_now(py, now)?;
        let bytes = header_bytes(header)?;
        run(py, || {
            self.0
                .begin_authenticate(&bytes, now)
                .map(core::PendingPrincipal::into_owned)
        })
        .map(PendingPrincipal::new)
    }

    /// Drops every entry.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        detached(py, || self.0.clear())
    }

    /// The most tokens it holds.
    #[getter]
    fn capacity(&self) -> usize {
        self.0.capacity()
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "VerifiedTokenCache(len={}, capacity={})",
            self.0.len(),
            self.0.capacity()
        )
    }
}
