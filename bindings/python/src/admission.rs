//! The two-step forms for hosts whose organisation settings depend on the user: a pending
//! credential names what to look up and grants nothing until it is admitted (see the core's
//! `PendingPrincipal` and `PendingRefresh` for why this is a type and not a callback).
//!
//! A pending object is used once: admitting (or finishing) consumes the core value inside it,
//! as it does in Rust, so it cannot be admitted under one organisation's settings and then
//! under another's.

use std::sync::Mutex;

use ls_auth_core as core;
use pyo3::prelude::*;

use crate::call::guarded;
use crate::errors::{core_err, invalid_argument};
use crate::revocation::PyRevocation;
use crate::values::{Claims, OrgSettings, Principal};

/// Takes the core value out of a pending object, or says it was already used.
fn take<T>(py: Python<'_>, slot: &Mutex<Option<T>>, what: &str) -> PyResult<T> {
    slot.lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .ok_or_else(|| invalid_argument(py, format!("this {what} was already admitted")))
}

/// A credential verified without settings (`ls_auth.begin_authenticate`), waiting for its
/// organisation's.
#[pyclass(frozen, module = "ls_auth", name = "PendingPrincipal")]
pub(crate) struct PendingPrincipal {
    inner: Mutex<Option<core::PendingPrincipal<'static>>>,
    kind: &'static str,
    user_id: Option<String>,
    legacy_key: Option<String>,
    pat_jti: Option<String>,
}

impl PendingPrincipal {
    pub(crate) fn new(pending: core::PendingPrincipal<'static>) -> Self {
        let (kind, user_id, legacy_key) = match pending.lookup() {
            core::Lookup::UserId(id) => ("jwt", Some(id.to_owned()), None),
            core::Lookup::LegacyKey(key) => ("legacy", None, Some(key.to_owned())),
        };
        PendingPrincipal {
            pat_jti: pending.lookup_pat_jti(),
            inner: Mutex::new(Some(pending)),
            kind,
            user_id,
            legacy_key,
        }
    }
}

#[pymethods]
impl PendingPrincipal {
    /// `"jwt"` or `"legacy"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind
    }
    /// A verified access token's `user_id`: only to find the user and their organisation.
    #[getter]
    fn user_id_for_lookup(&self) -> Option<&str> {
        self.user_id.as_deref()
    }
    /// A well-formed legacy key: only to find its user.
    #[getter]
    fn legacy_key_for_lookup(&self) -> Option<&str> {
        self.legacy_key.as_deref()
    }
    /// The PAT a verified access token names (`pat_jti`, contract §3.11): only to read its
    /// revocation with the user, in one lookup. `None` for a legacy key or a token naming none.
    #[getter]
    fn pat_jti_for_lookup(&self) -> Option<&str> {
        self.pat_jti.as_deref()
    }
    /// Applies the organisation's settings: the principal, or `TokenKindDisabled`. With
    /// `revoked` (a store, or anything with `in`), an access token whose PAT is revoked is
    /// `TokenRevoked` (the core's `admit_unrevoked`).
    #[pyo3(signature = (settings, *, revoked=None))]
    fn admit(
        &self,
        py: Python<'_>,
        settings: PyRef<'_, OrgSettings>,
        revoked: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Principal> {
        let pending = take(py, &self.inner, "PendingPrincipal")?;
        let principal = match revoked.filter(|r| !r.is_none()) {
            None => guarded(|| pending.admit(&settings.0))?.map_err(|e| core_err(py, &e))?,
            Some(store) => {
                let settings = settings.0.clone();
                PyRevocation::new(Some(store))?
                    .run(py, |store| pending.admit_unrevoked(&settings, store))?
            }
        };
        Principal::from_core(py, principal)
    }
    fn __repr__(&self) -> String {
        match &self.user_id {
            Some(id) => format!("PendingPrincipal(kind='jwt', user_id_for_lookup={id:?})"),
            None => "PendingPrincipal(kind='legacy', legacy_key_for_lookup=<redacted>)".to_owned(),
        }
    }
}

/// A PAT verified without settings (`Verifier.begin_refresh` / `Issuer.begin_refresh`),
/// waiting for its organisation's settings and the revocation store.
#[pyclass(frozen, module = "ls_auth", name = "PendingRefresh")]
pub(crate) struct PendingRefresh {
    inner: Mutex<Option<core::PendingRefresh>>,
    user_id: String,
    jti: String,
}

impl PendingRefresh {
    pub(crate) fn new(pending: core::PendingRefresh) -> Self {
        PendingRefresh {
            user_id: pending.lookup_user_id().to_owned(),
            jti: pending.lookup_jti().to_owned(),
            inner: Mutex::new(Some(pending)),
        }
    }

    /// The core value, for the issuer's `finish_*` methods.
    pub(crate) fn take(&self, py: Python<'_>) -> PyResult<core::PendingRefresh> {
        take(py, &self.inner, "PendingRefresh")
    }
}

#[pymethods]
impl PendingRefresh {
    /// The PAT's verified `user_id`: only to find the user and their organisation.
    #[getter]
    fn user_id_for_lookup(&self) -> &str {
        &self.user_id
    }
    /// The PAT's verified `jti`: only to read its revocation state with the user, in one
    /// lookup; the store passed to `admit` / `finish_*` still decides.
    #[getter]
    fn jti_for_lookup(&self) -> &str {
        &self.jti
    }
    /// Applies the organisation's settings (PATs enabled, TTL) and revocation: the claims.
    #[pyo3(signature = (settings, *, revoked=None))]
    fn admit(
        &self,
        py: Python<'_>,
        settings: PyRef<'_, OrgSettings>,
        revoked: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Claims> {
        let pending = self.take(py)?;
        let settings = settings.0.clone();
        PyRevocation::new(revoked)?
            .run(py, |store| pending.admit(&settings, store))
            .map(Claims)
    }
    fn __repr__(&self) -> String {
        format!("PendingRefresh(user_id_for_lookup={:?})", self.user_id)
    }
}
