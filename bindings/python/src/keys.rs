//! `Keyring`: HS256 secrets and Ed25519 keys (from a JWK Set or a seed), and the keyring a
//! `Verifier` or `Issuer` is built from.

use ls_auth_core as core;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::call::run;
use crate::convert::{secret_bytes, text_arg};
use crate::errors::{core_err, invalid_argument};

pub(crate) fn keyring(
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

#[pyclass(frozen, module = "ls_auth", name = "Keyring")]
pub(crate) struct Keyring(pub(crate) core::Keyring);

pub(crate) fn bytes_arg<'a>(obj: &'a Bound<'_, PyAny>, name: &str) -> PyResult<&'a [u8]> {
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
