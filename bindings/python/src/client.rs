//! The client side: `AccessTokenCache` and `CredentialScope` (where a credential may go).

use std::sync::Mutex;

use ls_auth_core as core;
use pyo3::prelude::*;
use pyo3::sync::MutexExt;

use crate::call::guarded;
use crate::convert::{resolve_now, text_arg, u32_arg};
use crate::errors::core_err;

/// The SDK's access-token cache: thread-safe. One refresh at a time is the caller's
/// (`ls_auth.contrib`'s key holder does it, around its HTTP call).
#[pyclass(frozen, module = "ls_auth", name = "AccessTokenCache")]
pub(crate) struct AccessTokenCache {
    pub(crate) inner: Mutex<core::client::AccessTokenCache>,
}

impl AccessTokenCache {
    fn lock(
        &self,
        py: Python<'_>,
    ) -> PyResult<std::sync::MutexGuard<'_, core::client::AccessTokenCache>> {
        Ok(self
            .inner
            .lock_py_attached(py)
            .unwrap_or_else(|e| e.into_inner()))
    }
}

#[pymethods]
impl AccessTokenCache {
    #[new]
    #[pyo3(signature = (api_key, *, margin=None, now=None))]
    fn new(
        py: Python<'_>,
        api_key: &Bound<'_, PyAny>,
        margin: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let now = resolve_now(py, now)?;
        let key = text_arg(api_key, "api_key")?;
        let margin = match margin {
            Some(m) => u32_arg(py, m, "margin")?,
            None => core::client::DEFAULT_REFRESH_MARGIN,
        };
        let cache = guarded(|| core::client::AccessTokenCache::new(key, now))?
            .map_err(|e| core_err(py, &e))?
            .with_margin(margin);
        Ok(AccessTokenCache {
            inner: Mutex::new(cache),
        })
    }

    /// `"legacy"`, `"pat"` or `"access"`.
    #[getter]
    fn kind(&self, py: Python<'_>) -> PyResult<&'static str> {
        Ok(self.lock(py)?.kind().as_str())
    }

    /// The PAT to exchange at `/api/token/refresh/`, when the key is a PAT.
    #[getter]
    fn refresh_token(&self, py: Python<'_>) -> PyResult<Option<String>> {
        Ok(self.lock(py)?.refresh_token().map(str::to_owned))
    }

    /// The cached access token's `exp`, if one is held.
    #[getter]
    fn access_exp(&self, py: Python<'_>) -> PyResult<Option<i64>> {
        Ok(self.lock(py)?.access_exp())
    }

    /// Whether a refresh is due before the next request.
    #[pyo3(signature = (*, now=None))]
    fn needs_refresh(&self, py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let now = resolve_now(py, now)?;
        let held = self.lock(py)?;
        guarded(|| held.needs_refresh(now))
    }

    /// Stores the access token a refresh returned.
    fn store_access(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<()> {
        let token = text_arg(token, "token")?;
        let mut held = self.lock(py)?;
        guarded(|| held.store_access(token))?.map_err(|e| core_err(py, &e))
    }

    /// The header value for a request now, without refreshing (raises when a refresh is due).
    #[pyo3(signature = (*, now=None))]
    fn authorization_value(
        &self,
        py: Python<'_>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let now = resolve_now(py, now)?;
        let held = self.lock(py)?;
        guarded(|| held.authorization_value(now))?.map_err(|e| core_err(py, &e))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let held = self.lock(py)?;
        Ok(format!(
            "AccessTokenCache(kind={:?}, access_exp={:?})",
            held.kind().as_str(),
            held.access_exp()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Where a credential may go (contract §5.1)

/// The Label Studio a credential belongs to, named by its base URL; `allows(url)` says whether
/// the credential may be sent to a request or redirect target.
#[pyclass(frozen, module = "ls_auth", name = "CredentialScope", eq)]
#[derive(PartialEq)]
pub(crate) struct CredentialScope {
    pub(crate) inner: core::origin::CredentialScope,
}

#[pymethods]
impl CredentialScope {
    #[new]
    fn new(py: Python<'_>, base_url: &Bound<'_, PyAny>) -> PyResult<Self> {
        let base_url = text_arg(base_url, "base_url")?;
        guarded(|| core::origin::CredentialScope::new(base_url))?
            .map(|inner| CredentialScope { inner })
            .map_err(|e| core_err(py, &e))
    }

    fn allows(&self, url: &Bound<'_, PyAny>) -> PyResult<bool> {
        let url = text_arg(url, "url")?;
        guarded(|| self.inner.allows(url))
    }

    #[getter]
    fn origin(&self) -> String {
        self.inner.origin()
    }

    #[getter]
    fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    #[getter]
    fn refresh_url(&self) -> String {
        self.inner.refresh_url()
    }

    #[getter]
    fn is_cleartext_remote(&self) -> bool {
        self.inner.is_cleartext_remote()
    }

    fn __repr__(&self) -> String {
        format!("CredentialScope({:?})", self.inner.base_url())
    }
}

/// `scheme://host[:port]` of a URL, for a message; `None` when the origin rule cannot read it.
#[pyfunction]
pub(crate) fn origin_of(url: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let url = text_arg(url, "url")?;
    guarded(|| core::origin::origin_of(url))
}

// ---------------------------------------------------------------------------------------------
