//! The values the core hands back: `Claims`, `Credential`, `Principal`, `Rotation`, and the
//! organisation's `OrgSettings`.

use ls_auth_core as core;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::{json_to_py, u32_arg};

/// The claims of a verified token.
#[pyclass(frozen, module = "ls_auth", name = "Claims", eq)]
#[derive(PartialEq)]
pub(crate) struct Claims(pub(crate) core::Claims);

#[pymethods]
impl Claims {
    #[getter]
    fn token_type(&self) -> &'static str {
        self.0.token_type().as_str()
    }
    #[getter]
    fn user_id(&self) -> &str {
        self.0.user_id()
    }
    #[getter]
    fn jti(&self) -> &str {
        self.0.jti()
    }
    #[getter]
    fn exp(&self) -> i64 {
        self.0.exp()
    }
    #[getter]
    fn iat(&self) -> Option<i64> {
        self.0.iat()
    }
    #[getter]
    fn nbf(&self) -> Option<i64> {
        self.0.nbf()
    }
    #[getter]
    fn iss(&self) -> Option<&str> {
        self.0.issuer()
    }
    #[getter]
    fn aud<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.0.audience().map(|a| PyTuple::new(py, a)).transpose()
    }
    /// Every claim that is not one of the registered ones above, in the token's order.
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in self.0.extra() {
            dict.set_item(k, json_to_py(py, v)?)?;
        }
        Ok(dict)
    }
    /// All claims as a new dict, registered ones first.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in self.0.to_json() {
            dict.set_item(k, json_to_py(py, &v)?)?;
        }
        Ok(dict)
    }
    fn __repr__(&self) -> String {
        let opt = |v: Option<i64>| v.map_or_else(|| "None".to_owned(), |n| n.to_string());
        format!(
            "Claims(token_type={:?}, user_id={:?}, jti={:?}, exp={}, iat={}, nbf={}, extra=<{} claims>)",
            self.0.token_type().as_str(),
            self.0.user_id(),
            self.0.jti(),
            self.0.exp(),
            opt(self.0.iat()),
            opt(self.0.nbf()),
            self.0.extra().len()
        )
    }
}

/// A credential found in an `Authorization` header.
#[pyclass(frozen, module = "ls_auth", name = "Credential", eq)]
#[derive(PartialEq)]
pub(crate) struct Credential {
    pub(crate) scheme: &'static str,
    pub(crate) token: String,
}

#[pymethods]
impl Credential {
    /// `"bearer"` or `"token"`.
    #[getter]
    fn scheme(&self) -> &'static str {
        self.scheme
    }
    #[getter]
    fn token(&self) -> &str {
        &self.token
    }
    fn __repr__(&self) -> String {
        format!("Credential(scheme={:?}, token=<redacted>)", self.scheme)
    }
}

/// Who a request is: verified JWT claims, or a legacy key the host must still look up.
#[pyclass(frozen, module = "ls_auth", name = "Principal")]
pub(crate) struct Principal {
    pub(crate) claims: Option<Py<Claims>>,
    pub(crate) legacy_key: Option<String>,
}

impl Principal {
    pub(crate) fn from_core(py: Python<'_>, principal: core::Principal<'_>) -> PyResult<Self> {
        Ok(match principal {
            core::Principal::Jwt(c) => Principal {
                claims: Some(Py::new(py, Claims(c))?),
                legacy_key: None,
            },
            core::Principal::LegacyKey(k) => Principal {
                claims: None,
                legacy_key: Some(k.into_owned()),
            },
        })
    }
}

#[pymethods]
impl Principal {
    /// `"jwt"` or `"legacy"`.
    #[getter]
    fn kind(&self) -> &'static str {
        if self.claims.is_some() {
            "jwt"
        } else {
            "legacy"
        }
    }
    #[getter]
    fn claims(&self, py: Python<'_>) -> Option<Py<Claims>> {
        self.claims.as_ref().map(|c| c.clone_ref(py))
    }
    #[getter]
    fn legacy_key(&self) -> Option<&str> {
        self.legacy_key.as_deref()
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<Principal>() else {
            return Ok(false);
        };
        let other = other.get();
        Ok(self.legacy_key == other.legacy_key
            && match (&self.claims, &other.claims) {
                (None, None) => true,
                (Some(a), Some(b)) => a.get() == b.get(),
                _ => false,
            })
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        match &self.claims {
            Some(c) => format!("Principal(kind='jwt', claims={})", c.get().__repr__()),
            None => {
                let _ = py;
                "Principal(kind='legacy', legacy_key=<redacted>)".to_owned()
            }
        }
    }
}

/// The outcome of a rotation: the new PAT, and the old one's `jti` and `exp`, now revoked.
#[pyclass(frozen, module = "ls_auth", name = "Rotation", eq)]
#[derive(PartialEq)]
pub(crate) struct Rotation(pub(crate) core::Rotation);

#[pymethods]
impl Rotation {
    /// The replacement PAT.
    #[getter]
    fn pat(&self) -> &str {
        &self.0.pat
    }
    /// The `jti` of the PAT that was rotated, now recorded in the revocation store.
    #[getter]
    fn revoked_jti(&self) -> &str {
        &self.0.revoked_jti
    }
    /// The rotated PAT's `exp`.
    #[getter]
    fn revoked_exp(&self) -> i64 {
        self.0.revoked_exp
    }
    /// When the revocation entry may be forgotten: `revoked_exp` plus the leeway.
    #[getter]
    fn forget_after(&self) -> i64 {
        self.0.forget_after
    }
    fn __repr__(&self) -> String {
        format!(
            "Rotation(pat=<redacted>, revoked_jti={:?}, revoked_exp={}, forget_after={})",
            self.0.revoked_jti, self.0.revoked_exp, self.0.forget_after
        )
    }
}

/// An organisation's API-token settings.
#[pyclass(frozen, module = "ls_auth", name = "OrgSettings", eq)]
#[derive(PartialEq, Clone)]
pub(crate) struct OrgSettings(pub(crate) core::OrgSettings);

#[pymethods]
impl OrgSettings {
    #[new]
    /// Every argument left out (or None) takes the core's default.
    #[pyo3(signature = (*, api_tokens_enabled=None, legacy_api_tokens_enabled=None, pat_ttl_days=None, enforce_ttl_on_existing=None, has_organization=None))]
    fn new(
        py: Python<'_>,
        api_tokens_enabled: Option<bool>,
        legacy_api_tokens_enabled: Option<bool>,
        pat_ttl_days: Option<&Bound<'_, PyAny>>,
        enforce_ttl_on_existing: Option<bool>,
        has_organization: Option<bool>,
    ) -> PyResult<Self> {
        let d = core::OrgSettings::default();
        Ok(OrgSettings(core::OrgSettings {
            api_tokens_enabled: api_tokens_enabled.unwrap_or(d.api_tokens_enabled),
            legacy_api_tokens_enabled: legacy_api_tokens_enabled
                .unwrap_or(d.legacy_api_tokens_enabled),
            pat_ttl_days: match pat_ttl_days.filter(|v| !v.is_none()) {
                Some(v) => u32_arg(py, v, "pat_ttl_days")?,
                None => d.pat_ttl_days,
            },
            enforce_ttl_on_existing: enforce_ttl_on_existing.unwrap_or(d.enforce_ttl_on_existing),
            has_organization: has_organization.unwrap_or(d.has_organization),
        }))
    }
    /// The settings of no organisation: every credential is refused with `no_organization`.
    #[staticmethod]
    fn no_organization() -> Self {
        OrgSettings(core::OrgSettings::no_organization())
    }
    #[getter]
    fn api_tokens_enabled(&self) -> bool {
        self.0.api_tokens_enabled
    }
    #[getter]
    fn legacy_api_tokens_enabled(&self) -> bool {
        self.0.legacy_api_tokens_enabled
    }
    #[getter]
    fn pat_ttl_days(&self) -> u32 {
        self.0.pat_ttl_days
    }
    #[getter]
    fn enforce_ttl_on_existing(&self) -> bool {
        self.0.enforce_ttl_on_existing
    }
    #[getter]
    fn has_organization(&self) -> bool {
        self.0.has_organization
    }
    fn __repr__(&self) -> String {
        let b = |v: bool| if v { "True" } else { "False" };
        format!(
            "OrgSettings(api_tokens_enabled={}, legacy_api_tokens_enabled={}, pat_ttl_days={}, enforce_ttl_on_existing={}, has_organization={})",
            b(self.0.api_tokens_enabled),
            b(self.0.legacy_api_tokens_enabled),
            self.0.pat_ttl_days,
            b(self.0.enforce_ttl_on_existing),
            b(self.0.has_organization)
        )
    }
}

/// The given settings, or the core's defaults.
pub(crate) fn settings_or(settings: Option<PyRef<'_, OrgSettings>>) -> core::OrgSettings {
    settings.map_or_else(core::OrgSettings::default, |s| s.0.clone())
}
