//! `Issuer`: minting PATs, refreshing and rotating them (the server's token endpoints).

use ls_auth_core as core;
use pyo3::prelude::*;

use crate::admission::PendingRefresh;
use crate::call::run;
use crate::convert::{py_to_claims_map, resolve_now, text_arg};
use crate::keys::keyring;
use crate::revocation::PyRevocation;
use crate::values::{settings_or, OrgSettings, Rotation};
use crate::verifier::{begin_refresh, policy, Verifier};

/// Mints PATs, refreshes them into access tokens and rotates them.
#[pyclass(frozen, module = "ls_auth", name = "Issuer")]
pub(crate) struct Issuer {
    pub(crate) inner: core::Issuer,
}

#[pymethods]
impl Issuer {
    #[new]
    #[pyo3(signature = (secret, *, fallbacks=None, access_ttl=None, leeway=None, issuer=None, audience=None, allow_short_key=false, access_names_pat=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        secret: &Bound<'_, PyAny>,
        fallbacks: Option<&Bound<'_, PyAny>>,
        access_ttl: Option<&Bound<'_, PyAny>>,
        leeway: Option<&Bound<'_, PyAny>>,
        issuer: Option<&Bound<'_, PyAny>>,
        audience: Option<&Bound<'_, PyAny>>,
        allow_short_key: bool,
        access_names_pat: bool,
    ) -> PyResult<Self> {
        let ring = keyring(py, secret, fallbacks, allow_short_key)?;
        let mut policy = policy(py, access_ttl, leeway, issuer, audience)?;
        // Contract §3.11: access tokens name their PAT (`pat_jti`) and never outlive it.
        policy.access_names_pat = access_names_pat;
        Ok(Issuer {
            inner: core::Issuer::new(ring, policy),
        })
    }

    /// INSECURE, TEST BUILDS ONLY (cargo feature `dangerous`): this issuer, minting every token
    /// with the same `jti`, so minted bytes can be compared with a peer's.
    #[cfg(feature = "dangerous")]
    fn _insecure_with_fixed_jti(&self, py: Python<'_>, jti: &Bound<'_, PyAny>) -> PyResult<Issuer> {
        let jti = text_arg(jti, "jti")?;
        let rng = core::dangerous::InsecureFixedRandom::for_jti(jti)
            .map_err(|e| crate::errors::core_err(py, &e))?;
        let v = self.inner.verifier();
        Ok(Issuer {
            inner: core::Issuer::with_random(v.keyring().clone(), v.policy().clone(), rng),
        })
    }

    /// A verifier with this issuer's keys and policy.
    #[getter]
    fn verifier(&self) -> Verifier {
        Verifier(self.inner.verifier().clone())
    }

    /// Mints a PAT for `user_id`, valid for `settings.pat_ttl_days` (default: the core's).
    #[pyo3(signature = (user_id, *, now=None, claims=None, settings=None))]
    fn mint_pat(
        &self,
        py: Python<'_>,
        user_id: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        claims: Option<&Bound<'_, PyAny>>,
        settings: Option<PyRef<'_, OrgSettings>>,
    ) -> PyResult<String> {
        let now = resolve_now(py, now)?;
        let user_id = crate::convert::user_id_arg(user_id)?;
        let extra = match claims.filter(|c| !c.is_none()) {
            None => serde_json::Map::new(),
            Some(c) => py_to_claims_map(py, c)?,
        };
        let settings = settings_or(settings);
        run(py, || self.inner.mint_pat(&user_id, &extra, &settings, now))
    }

    /// Exchanges a PAT for an access token, as `POST /api/token/refresh/` does.
    #[pyo3(signature = (pat, *, now=None, revoked=None, settings=None))]
    fn refresh(
        &self,
        py: Python<'_>,
        pat: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        revoked: Option<&Bound<'_, PyAny>>,
        settings: Option<PyRef<'_, OrgSettings>>,
    ) -> PyResult<String> {
        let now = resolve_now(py, now)?;
        let pat = text_arg(pat, "pat")?;
        let settings = settings_or(settings);
        PyRevocation::new(revoked)?.run(py, |store| self.inner.refresh(pat, &settings, store, now))
    }

    /// Replaces a PAT by a new one and revokes the old one in `revoked`, which must be able to
    /// record it atomically (see `revocation.rs`).
    #[pyo3(signature = (pat, *, revoked, now=None, settings=None))]
    fn rotate(
        &self,
        py: Python<'_>,
        pat: &Bound<'_, PyAny>,
        revoked: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
        settings: Option<PyRef<'_, OrgSettings>>,
    ) -> PyResult<Rotation> {
        let now = resolve_now(py, now)?;
        let pat = text_arg(pat, "pat")?;
        let settings = settings_or(settings);
        PyRevocation::new(Some(revoked))?
            .writable(py)?
            .run(py, |store| self.inner.rotate(pat, &settings, store, now))
            .map(Rotation)
    }

    /// Step one of a refresh or rotation when the settings depend on the user.
    #[pyo3(signature = (pat, *, now=None))]
    fn begin_refresh(
        &self,
        py: Python<'_>,
        pat: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PendingRefresh> {
        begin_refresh(py, self.inner.verifier(), pat, now)
    }

    /// Step two of a refresh: admits the pending PAT under `settings` and `revoked`, then
    /// mints its access token.
    #[pyo3(signature = (pending, *, settings, revoked=None))]
    fn finish_refresh(
        &self,
        py: Python<'_>,
        pending: PyRef<'_, PendingRefresh>,
        settings: PyRef<'_, OrgSettings>,
        revoked: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let store = PyRevocation::new(revoked)?;
        let (pending, settings) = (pending.take(py)?, settings.0.clone());
        store.run(py, |store| {
            self.inner.finish_refresh(pending, &settings, store)
        })
    }

    /// Step two of a rotation: admits the pending PAT, mints its replacement with the
    /// organisation's TTL and revokes it in `revoked`, which must record atomically.
    #[pyo3(signature = (pending, *, settings, revoked))]
    fn finish_rotate(
        &self,
        py: Python<'_>,
        pending: PyRef<'_, PendingRefresh>,
        settings: PyRef<'_, OrgSettings>,
        revoked: &Bound<'_, PyAny>,
    ) -> PyResult<Rotation> {
        let store = PyRevocation::new(Some(revoked))?.writable(py)?;
        let (pending, settings) = (pending.take(py)?, settings.0.clone());
        store
            .run(py, |store| {
                self.inner.finish_rotate(pending, &settings, store)
            })
            .map(Rotation)
    }

    fn __repr__(&self) -> String {
        let p = self.inner.verifier().policy();
        format!(
            "Issuer(keys={}, access_ttl={})",
            self.inner.verifier().keyring().keys().len(),
            p.access_ttl,
        )
    }
}
