//! `Verifier`: what a service checks on every request, and the token policy it is built with.

use ls_auth_core as core;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::admission::PendingRefresh;
use crate::call::{run, run_sized};
use crate::convert::{resolve_now, text_arg, text_owned, u32_arg};
use crate::keys::keyring;
use crate::revocation::PyRevocation;
use crate::values::{settings_or, Claims, OrgSettings};

pub(crate) fn optional_text(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<String>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(o) if o.is_instance_of::<PyString>() => text_owned(o, name).map(Some),
        Some(_) => Err(PyTypeError::new_err(format!(
            "{name} must be a str or None"
        ))),
    }
}

pub(crate) fn policy(
    py: Python<'_>,
    access_ttl: Option<&Bound<'_, PyAny>>,
    leeway: Option<&Bound<'_, PyAny>>,
    issuer: Option<&Bound<'_, PyAny>>,
    audience: Option<&Bound<'_, PyAny>>,
) -> PyResult<core::TokenPolicy> {
    let defaults = core::TokenPolicy::default();
    Ok(core::TokenPolicy {
        access_ttl: match access_ttl {
            Some(v) => u32_arg(py, v, "access_ttl")?,
            None => defaults.access_ttl,
        },
        leeway: match leeway {
            Some(v) => u32_arg(py, v, "leeway")?,
            None => defaults.leeway,
        },
        issuer: optional_text(issuer, "issuer")?,
        audience: optional_text(audience, "audience")?,
        access_names_pat: false,
    })
}

/// Verifies access tokens and PATs with a Keyring, or HS256 secrets (the first signs, all verify).
#[pyclass(frozen, module = "ls_auth", name = "Verifier")]
pub(crate) struct Verifier(pub(crate) core::Verifier);

#[pymethods]
impl Verifier {
    #[new]
    #[pyo3(signature = (secret, *, fallbacks=None, leeway=None, issuer=None, audience=None, allow_short_key=false))]
    fn new(
        py: Python<'_>,
        secret: &Bound<'_, PyAny>,
        fallbacks: Option<&Bound<'_, PyAny>>,
        leeway: Option<&Bound<'_, PyAny>>,
        issuer: Option<&Bound<'_, PyAny>>,
        audience: Option<&Bound<'_, PyAny>>,
        allow_short_key: bool,
    ) -> PyResult<Self> {
        let ring = keyring(py, secret, fallbacks, allow_short_key)?;
        let policy = policy(py, None, leeway, issuer, audience)?;
        Ok(Verifier(core::Verifier::new(ring, policy)))
    }

    /// When a revocation entry for a token expiring at `exp` may be forgotten: `exp` plus the
    /// leeway (contract §3.9). Pass it to a store, never the bare `exp`.
    fn forget_after(&self, exp: i64) -> i64 {
        self.0.forget_after(exp)
    }

    /// Verifies an access token (what `Authorization: Bearer` carries).
    #[pyo3(signature = (token, *, now=None))]
    fn verify_access(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Claims> {
        let now = resolve_now(py, now)?;
        let token = text_arg(token, "token")?;
        run_sized(py, token.len(), || self.0.verify_access(token, now)).map(Claims)
    }

    /// Verifies a PAT presented for refresh: settings, TTL policy and revocation included.
    #[pyo3(signature = (token, *, now=None, revoked=None, settings=None))]
    fn verify_refresh(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        revoked: Option<&Bound<'_, PyAny>>,
        settings: Option<PyRef<'_, OrgSettings>>,
    ) -> PyResult<Claims> {
        let now = resolve_now(py, now)?;
        let token = text_arg(token, "token")?;
        let settings = settings_or(settings);
        PyRevocation::new(revoked)?
            .run(py, |store| {
                self.0.verify_refresh(token, &settings, store, now)
            })
            .map(Claims)
    }

    /// Verifies a PAT presented for revocation: every rule but `user_id`, which may be absent.
    /// Returns `(jti, exp, user_id or None)`; nothing it returns authorises anything.
    #[pyo3(signature = (token, *, now=None))]
    fn verify_revocable(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(String, i64, Option<String>)> {
        let now = resolve_now(py, now)?;
        let token = text_arg(token, "token")?;
        let target = run(py, || self.0.verify_revocable(token, now))?;
        Ok((
            target.jti().to_owned(),
            target.exp(),
            target.user_id().map(str::to_owned),
        ))
    }

    /// Step one of a refresh when the settings depend on the user: verifies the PAT and names
    /// its user; `PendingRefresh.admit` applies the settings and revocation.
    #[pyo3(signature = (token, *, now=None))]
    fn begin_refresh(
        &self,
        py: Python<'_>,
        token: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PendingRefresh> {
        begin_refresh(py, &self.0, token, now)
    }

    fn __repr__(&self) -> String {
        format!(
            "Verifier(keys={}, leeway={}, issuer={:?}, audience={:?})",
            self.0.keyring().keys().len(),
            self.0.policy().leeway,
            self.0.policy().issuer,
            self.0.policy().audience
        )
    }
}

pub(crate) fn begin_refresh(
    py: Python<'_>,
    verifier: &core::Verifier,
    token: &Bound<'_, PyAny>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<PendingRefresh> {
    let now = resolve_now(py, now)?;
    let token = text_arg(token, "token")?;
    run(py, || verifier.begin_refresh(token, now)).map(PendingRefresh::new)
}
