//! `ls_auth._native`: the Python face of `ls-auth-core`.
//!
//! This crate translates; it never decides. Every rule (what verifies, which code an error
//! has, what a header means) lives in the core. What is here: converting Python arguments into
//! core types (and refusing arguments the core's types cannot hold), reading the system clock
//! when the caller passes none, releasing the GIL around work that takes time, and turning core
//! errors into the exception classes of `ls_auth._errors` through the one table registered at
//! import time.

mod admission;
mod convert;
mod errors;
mod revocation;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use ls_auth_core as core;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use admission::{PendingPrincipal, PendingRefresh};
use convert::{
    header_bytes, json_to_py, py_to_claims_map, resolve_now, secret_bytes, text_arg, text_owned,
    u32_arg,
};
use errors::{core_err, invalid_argument};
use revocation::{InMemoryRevocation, PyRevocation};

/// Runs core code, turning a panic (a bug) into `RuntimeError` so that no `PanicException`
/// ever reaches a user.
fn guarded<T>(f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        PyRuntimeError::new_err(format!(
            "internal error in ls_auth (please report it): {what}"
        ))
    })
}

/// Core work with the GIL released and panics contained.
fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.detach(|| guarded(f))
}

/// Both halves of a result: a panic becomes RuntimeError, a core error its exception.
fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> core::Result<T> + Send) -> PyResult<T> {
    detached(py, f)?.map_err(|e| core_err(py, &e))
}

/// Releasing and re-taking the GIL costs about as much as verifying a typical 230-byte token,
/// so verification of inputs this small runs with the GIL held; larger ones release it.
const DETACH_ABOVE_BYTES: usize = 1024;

/// [`run`] for per-request work whose cost grows with `input_len`.
fn run_sized<T: Send>(
    py: Python<'_>,
    input_len: usize,
    f: impl FnOnce() -> core::Result<T> + Send,
) -> PyResult<T> {
    if input_len > DETACH_ABOVE_BYTES {
        run(py, f)
    } else {
        guarded(f)?.map_err(|e| core_err(py, &e))
    }
}

fn keyring(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    fallbacks: Option<&Bound<'_, PyAny>>,
    allow_short_key: bool,
) -> PyResult<core::Keyring> {
    if let Ok(ring) = secret.cast::<Keyring>() {
        if fallbacks.is_some_and(|f| !f.is_none()) {
            return Err(PyTypeError::new_err(
                "fallbacks go into the Keyring (Keyring(secret, fallbacks=...) or with_keys)",
            ));
        }
        return Ok(ring.get().0.clone());
    }
    let build = |obj: &Bound<'_, PyAny>| -> PyResult<core::SigningKey> {
        let bytes = secret_bytes(obj)?;
        core::SigningKey::hs256(&bytes, core::ShortKeys::allowed_if(allow_short_key))
            .map_err(|e| core_err(py, &e))
    };
    let mut ring = core::Keyring::new(build(secret)?);
    if let Some(fallbacks) = fallbacks.filter(|f| !f.is_none()) {
        if fallbacks.is_instance_of::<PyString>() || fallbacks.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err(
                "fallbacks must be a sequence of secrets, not a single secret",
            ));
        }
        for item in fallbacks.try_iter()? {
            ring = ring.with_fallback(build(&item?)?);
        }
    }
    Ok(ring)
}

fn optional_text(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Option<String>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(o) if o.is_instance_of::<PyString>() => text_owned(o, name).map(Some),
        Some(_) => Err(PyTypeError::new_err(format!(
            "{name} must be a str or None"
        ))),
    }
}

fn policy(
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

// ---------------------------------------------------------------------------------------------
// Claims, Credential, Principal, OrgSettings

/// The claims of a verified token.
#[pyclass(frozen, module = "ls_auth", name = "Claims", eq)]
#[derive(PartialEq)]
struct Claims(core::Claims);

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
struct Credential {
    scheme: &'static str,
    token: String,
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
struct Principal {
    claims: Option<Py<Claims>>,
    legacy_key: Option<String>,
}

impl Principal {
    fn from_core(py: Python<'_>, principal: core::Principal<'_>) -> PyResult<Self> {
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
struct Rotation(core::Rotation);

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
struct OrgSettings(core::OrgSettings);

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
fn settings_or(settings: Option<PyRef<'_, OrgSettings>>) -> core::OrgSettings {
    settings.map_or_else(core::OrgSettings::default, |s| s.0.clone())
}

// ---------------------------------------------------------------------------------------------
// Verifier and Issuer

/// HS256 secrets and Ed25519 keys: the first key signs, all verify (contract §3.10).
#[pyclass(frozen, module = "ls_auth", name = "Keyring")]
struct Keyring(core::Keyring);

fn bytes_arg<'a>(obj: &'a Bound<'_, PyAny>, name: &str) -> PyResult<&'a [u8]> {
    obj.cast::<PyBytes>()
        .map(|b| b.as_bytes())
        .map_err(|_| PyTypeError::new_err(format!("{name} must be bytes")))
}

#[pymethods]
impl Keyring {
    /// An HS256 keyring: `secret` signs, `fallbacks` verify.
    #[new]
    #[pyo3(signature = (secret, *, fallbacks=None, allow_short_key=false))]
    fn new(
        py: Python<'_>,
        secret: &Bound<'_, PyAny>,
        fallbacks: Option<&Bound<'_, PyAny>>,
        allow_short_key: bool,
    ) -> PyResult<Self> {
        keyring(py, secret, fallbacks, allow_short_key).map(Keyring)
    }

    /// The public Ed25519 keys of a JWK Set, read strictly (`InvalidKeySet`); verifies only.
    #[staticmethod]
    fn from_jwks(py: Python<'_>, jwks: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = text_arg(jwks, "jwks")?;
        run(py, || core::Keyring::from_jwks(text)).map(Keyring)
    }

    /// An Ed25519 private key named `kid`, from its 32-byte `seed` or its PKCS#8 v1 DER
    /// (`pkcs8`): exactly one of them. It signs (as the first key) and verifies.
    #[staticmethod]
    #[pyo3(signature = (kid, *, seed=None, pkcs8=None))]
    fn ed25519(
        py: Python<'_>,
        kid: &Bound<'_, PyAny>,
        seed: Option<&Bound<'_, PyAny>>,
        pkcs8: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let kid = text_arg(kid, "kid")?;
        let key = match (
            seed.filter(|o| !o.is_none()),
            pkcs8.filter(|o| !o.is_none()),
        ) {
            (Some(seed), None) => core::SigningKey::ed25519_seed(kid, bytes_arg(seed, "seed")?),
            (None, Some(der)) => core::SigningKey::ed25519_pkcs8(kid, bytes_arg(der, "pkcs8")?),
            _ => return Err(invalid_argument(py, "give exactly one of seed and pkcs8")),
        };
        key.map(|k| Keyring(core::Keyring::new(k)))
            .map_err(|e| core_err(py, &e))
    }

    /// A new Ed25519 private key named `kid`, from the system's secure random generator.
    #[staticmethod]
    fn generate_ed25519(py: Python<'_>, kid: &Bound<'_, PyAny>) -> PyResult<Self> {
        let kid = text_arg(kid, "kid")?;
        core::SigningKey::generate_ed25519(kid, &core::SystemRandom::new())
            .map(|k| Keyring(core::Keyring::new(k)))
            .map_err(|e| core_err(py, &e))
    }

    /// This keyring's keys, then `other`'s (which only verify): `InvalidKeySet` on a shared kid.
    fn with_keys(&self, py: Python<'_>, other: PyRef<'_, Keyring>) -> PyResult<Self> {
        self.0
            .clone()
            .with_keys(other.0.clone())
            .map(Keyring)
            .map_err(|e| core_err(py, &e))
    }

    /// This keyring's keys, then the public keys of a JWK Set.
    fn with_jwks(&self, py: Python<'_>, jwks: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = text_arg(jwks, "jwks")?;
        run(py, || self.0.clone().with_jwks(text)).map(Keyring)
    }

    /// The public JWK Set of every Ed25519 key (HMAC secrets never appear).
    fn public_jwks(&self) -> String {
        self.0.public_jwks()
    }

    /// The signing key's PKCS#8 v1 DER if it is an Ed25519 private key, else None. The bytes
    /// are the private key, and Python does not wipe them: seal them at once.
    fn signing_key_pkcs8<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.0
            .signing_key()
            .ed25519_pkcs8_der()
            .map(|der| PyBytes::new(py, &der))
    }

    /// Each key's kid, None for HMAC secrets, in keyring order.
    #[getter]
    fn kids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.0.keys().iter().map(|k| k.kid()))
    }

    fn __repr__(&self) -> String {
        let kids: Vec<String> = self
            .0
            .keys()
            .iter()
            .map(|k| match k.kid() {
                Some(kid) => format!("{:?} ({})", kid, k.algorithm().name()),
                None => k.algorithm().name().to_owned(),
            })
            .collect();
        format!("Keyring([{}])", kids.join(", "))
    }
}

/// Verifies access tokens and PATs with a Keyring, or HS256 secrets (the first signs, all verify).
#[pyclass(frozen, module = "ls_auth", name = "Verifier")]
struct Verifier(core::Verifier);

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

fn begin_refresh(
    py: Python<'_>,
    verifier: &core::Verifier,
    token: &Bound<'_, PyAny>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<PendingRefresh> {
    let now = resolve_now(py, now)?;
    let token = text_arg(token, "token")?;
    run(py, || verifier.begin_refresh(token, now)).map(PendingRefresh::new)
}

/// Mints PATs, refreshes them into access tokens and rotates them.
#[pyclass(frozen, module = "ls_auth", name = "Issuer")]
struct Issuer {
    inner: core::Issuer,
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
        let rng =
            core::dangerous::InsecureFixedRandom::for_jti(jti).map_err(|e| core_err(py, &e))?;
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
        let user_id = convert::user_id_arg(user_id)?;
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

// ---------------------------------------------------------------------------------------------
// Functions

/// Parses an `Authorization` value into a Credential; every other outcome is the core's
/// error (`NoCredentials`, `UnsupportedScheme`, `MalformedHeader`, `HeaderTooLarge`).
#[pyfunction]
#[pyo3(signature = (value))]
fn parse_authorization(py: Python<'_>, value: Option<&Bound<'_, PyAny>>) -> PyResult<Credential> {
    let bytes = header_bytes(value)?;
    guarded(|| {
        core::parse_authorization(&bytes).map(|c| Credential {
            scheme: c.scheme(),
            token: c.token().to_owned(),
        })
    })?
    .map_err(|e| core_err(py, &e))
}

/// What a key or token looks like, read without a key: `"legacy"`, `"pat"`, `"access"`,
/// `"truncated"` or `"jwt"`. For display and diagnosis only: nothing is verified.
#[pyfunction]
fn inspect_key(py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<&'static str> {
    let key = text_arg(key, "key")?;
    guarded(|| core::inspect_key(key).map(|(shape, _)| shape.as_str()))?
        .map_err(|e| core_err(py, &e))
}

/// Authenticates one request's `Authorization` value.
#[pyfunction]
#[pyo3(signature = (header, *, verifier, settings, now=None))]
fn authenticate(
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
fn begin_authenticate(
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

/// `"legacy"`, `"pat"` or `"access"`, without verifying anything.
#[pyfunction]
#[pyo3(signature = (key, *, now=None))]
fn classify_api_key(
    py: Python<'_>,
    key: &Bound<'_, PyAny>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<&'static str> {
    let now = resolve_now(py, now)?;
    let key = text_arg(key, "key")?;
    guarded(|| core::classify_api_key(key, now))?
        .map(|k| k.as_str())
        .map_err(|e| core_err(py, &e))
}

/// A new legacy key (40 lowercase hex characters).
#[pyfunction]
fn generate_legacy_token(py: Python<'_>) -> PyResult<String> {
    guarded(|| core::generate_legacy_key(&core::SystemRandom::new()))?.map_err(|e| core_err(py, &e))
}

/// The server's listing form of a token, `header.payload`.
#[pyfunction]
fn truncate(py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<String> {
    let token = text_arg(token, "token")?;
    guarded(|| core::truncate(token).map(str::to_owned))?.map_err(|e| core_err(py, &e))
}

/// Raises `MalformedToken` unless `key` has the form of a legacy key.
#[pyfunction]
fn check_legacy_key(py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<()> {
    let key = text_arg(key, "key")?;
    guarded(|| core::check_legacy_key(key))?.map_err(|e| core_err(py, &e))
}

/// SHA-256 of a legacy key as hex, for hosts that store keys hashed.
#[pyfunction]
fn legacy_key_digest(key: &Bound<'_, PyAny>) -> PyResult<String> {
    let key = text_arg(key, "key")?;
    guarded(|| core::legacy_key_digest(key))
}

/// Compares a presented legacy key with a stored one in constant time.
#[pyfunction]
fn legacy_keys_equal(presented: &Bound<'_, PyAny>, stored: &Bound<'_, PyAny>) -> PyResult<bool> {
    let (a, b) = (
        text_arg(presented, "presented")?,
        text_arg(stored, "stored")?,
    );
    guarded(|| core::legacy_keys_equal(a, b))
}

/// The `WWW-Authenticate` challenge for an error's kind (or for absent credentials when
/// `None`); the same bytes every binding sends.
#[pyfunction]
#[pyo3(signature = (error=None))]
fn www_authenticate(py: Python<'_>, error: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    let kind = match error.filter(|e| !e.is_none()) {
        None => core::ErrorKind::NoCredentials,
        Some(e) => errors::kind_of(py, e)?,
    };
    guarded(|| core::www_authenticate(kind))
}

// ---------------------------------------------------------------------------------------------
// AccessTokenCache

thread_local! {
    static THREAD_MARK: u8 = const { 0 };
}

fn thread_id() -> u64 {
    THREAD_MARK.with(|m| m as *const u8 as u64)
}

/// The SDK's access-token cache: thread-safe, one refresh at a time.
#[pyclass(frozen, module = "ls_auth", name = "AccessTokenCache")]
struct AccessTokenCache {
    inner: Mutex<core::AccessTokenCache>,
    /// The thread holding `inner` (0 when free), to refuse re-entry from a refresh callback
    /// instead of deadlocking.
    holder: AtomicU64,
}

struct Held<'a> {
    guard: std::sync::MutexGuard<'a, core::AccessTokenCache>,
    holder: &'a AtomicU64,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.holder.store(0, Ordering::Release);
    }
}

impl AccessTokenCache {
    fn lock(&self, py: Python<'_>) -> PyResult<Held<'_>> {
        let me = thread_id();
        if self.holder.load(Ordering::Acquire) == me {
            return Err(PyRuntimeError::new_err(
                "AccessTokenCache used from inside its own refresh callback",
            ));
        }
        let guard = self
            .inner
            .lock_py_attached(py)
            .unwrap_or_else(|e| e.into_inner());
        self.holder.store(me, Ordering::Release);
        Ok(Held {
            guard,
            holder: &self.holder,
        })
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
            None => core::DEFAULT_REFRESH_MARGIN,
        };
        let cache = guarded(|| core::AccessTokenCache::new(key, now))?
            .map_err(|e| core_err(py, &e))?
            .with_margin(margin);
        Ok(AccessTokenCache {
            inner: Mutex::new(cache),
            holder: AtomicU64::new(0),
        })
    }

    /// `"legacy"`, `"pat"` or `"access"`.
    #[getter]
    fn kind(&self, py: Python<'_>) -> PyResult<&'static str> {
        Ok(self.lock(py)?.guard.kind().as_str())
    }

    /// The PAT to exchange at `/api/token/refresh/`, when the key is a PAT.
    #[getter]
    fn refresh_token(&self, py: Python<'_>) -> PyResult<Option<String>> {
        Ok(self.lock(py)?.guard.refresh_token().map(str::to_owned))
    }

    /// The cached access token's `exp`, if one is held.
    #[getter]
    fn access_exp(&self, py: Python<'_>) -> PyResult<Option<i64>> {
        Ok(self.lock(py)?.guard.access_exp())
    }

    /// Whether a refresh is due before the next request.
    #[pyo3(signature = (*, now=None))]
    fn needs_refresh(&self, py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let now = resolve_now(py, now)?;
        let held = self.lock(py)?;
        guarded(|| held.guard.needs_refresh(now))
    }

    /// Stores the access token a refresh returned.
    fn store_access(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<()> {
        let token = text_arg(token, "token")?;
        let mut held = self.lock(py)?;
        guarded(|| held.guard.store_access(token))?.map_err(|e| core_err(py, &e))
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
        guarded(|| held.guard.authorization_value(now))?.map_err(|e| core_err(py, &e))
    }

    /// The header value for a request now, calling `refresh(pat) -> access_token` first when
    /// the cache says so. The lock is held across the call: one refresh at a time.
    #[pyo3(signature = (refresh, *, now=None))]
    fn authorization(
        &self,
        py: Python<'_>,
        refresh: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let now = resolve_now(py, now)?;
        let mut held = self.lock(py)?;
        if guarded(|| held.guard.needs_refresh(now))? {
            let pat = held.guard.refresh_token().map(str::to_owned);
            if let Some(pat) = pat {
                let access = refresh.call1((pat,))?;
                if !access.is_instance_of::<PyString>() {
                    return Err(PyTypeError::new_err(
                        "the refresh callback must return the access token as a str",
                    ));
                }
                let access = text_arg(&access, "the access token")?;
                guarded(|| held.guard.store_access(access))?.map_err(|e| core_err(py, &e))?;
            }
        }
        guarded(|| held.guard.authorization_value(now))?.map_err(|e| core_err(py, &e))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let held = self.lock(py)?;
        Ok(format!(
            "AccessTokenCache(kind={:?}, access_exp={:?})",
            held.guard.kind().as_str(),
            held.guard.access_exp()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Where a credential may go (contract §5.1)

/// The Label Studio a credential belongs to, named by its base URL; `allows(url)` says whether
/// the credential may be sent to a request or redirect target.
#[pyclass(frozen, module = "ls_auth", name = "CredentialScope", eq)]
#[derive(PartialEq)]
struct CredentialScope {
    inner: core::CredentialScope,
}

#[pymethods]
impl CredentialScope {
    #[new]
    fn new(py: Python<'_>, base_url: &Bound<'_, PyAny>) -> PyResult<Self> {
        let base_url = text_arg(base_url, "base_url")?;
        guarded(|| core::CredentialScope::new(base_url))?
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
fn origin_of(url: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let url = text_arg(url, "url")?;
    guarded(|| core::origin_of(url))
}

// ---------------------------------------------------------------------------------------------

#[pymodule(gil_used = false)]
#[pyo3(name = "_native")]
fn ls_auth_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Claims>()?;
    m.add_class::<Credential>()?;
    m.add_class::<Principal>()?;
    m.add_class::<OrgSettings>()?;
    m.add_class::<Keyring>()?;
    m.add_class::<Verifier>()?;
    m.add_class::<Issuer>()?;
    m.add_class::<AccessTokenCache>()?;
    m.add_class::<InMemoryRevocation>()?;
    m.add_class::<Rotation>()?;
    m.add_class::<PendingPrincipal>()?;
    m.add_class::<PendingRefresh>()?;
    m.add_class::<CredentialScope>()?;
    m.add("REFRESH_PATH", core::REFRESH_PATH)?;
    m.add("DEFAULT_ACCESS_TTL", core::DEFAULT_ACCESS_TTL)?;
    m.add("DEFAULT_PAT_TTL_DAYS", core::DEFAULT_PAT_TTL_DAYS)?;
    m.add("DEFAULT_REFRESH_MARGIN", core::DEFAULT_REFRESH_MARGIN)?;
    m.add_function(wrap_pyfunction!(parse_authorization, m)?)?;
    m.add_function(wrap_pyfunction!(authenticate, m)?)?;
    m.add_function(wrap_pyfunction!(begin_authenticate, m)?)?;
    m.add_function(wrap_pyfunction!(classify_api_key, m)?)?;
    m.add_function(wrap_pyfunction!(inspect_key, m)?)?;
    m.add_function(wrap_pyfunction!(generate_legacy_token, m)?)?;
    m.add_function(wrap_pyfunction!(truncate, m)?)?;
    m.add_function(wrap_pyfunction!(check_legacy_key, m)?)?;
    m.add_function(wrap_pyfunction!(legacy_key_digest, m)?)?;
    m.add_function(wrap_pyfunction!(legacy_keys_equal, m)?)?;
    m.add_function(wrap_pyfunction!(www_authenticate, m)?)?;
    m.add_function(wrap_pyfunction!(origin_of, m)?)?;
    m.add_function(wrap_pyfunction!(errors::error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(errors::register_errors, m)?)?;
    Ok(())
}
