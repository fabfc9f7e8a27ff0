//! `ls_auth._native`: the Python face of `ls-auth-core`.
//!
//! This crate translates; it never decides. Every rule (what verifies, which code an error
//! has, what a header means) lives in the core. What is here: converting Python arguments into
//! core types (and refusing arguments the core's types cannot hold), reading the system clock
//! when the caller passes none, releasing the GIL around work that takes time, and turning core
//! errors into the exception classes of `ls_auth._errors` through the one table registered at
//! import time.

#![forbid(unsafe_code)]

mod admission;
mod authenticate;
mod cache;
mod call;
mod client;
mod convert;
mod errors;
mod header;
mod inspect;
mod issuer;
mod keys;
mod legacy;
mod revocation;
mod values;
mod verifier;

use pyo3::prelude::*;

/// The module `ls_auth._native`; `ls_auth/__init__.py` re-exports it with the exception
/// classes.
#[pymodule(gil_used = false)]
#[pyo3(name = "_native")]
mod ls_auth_native {
    use ls_auth_core as core;
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::admission::{PendingPrincipal, PendingRefresh};
    #[pymodule_export]
    use crate::authenticate::{authenticate, begin_authenticate};
    #[pymodule_export]
    use crate::cache::VerifiedTokenCache;
    #[pymodule_export]
    use crate::client::{origin_of, AccessTokenCache, CredentialScope};
    #[pymodule_export]
    use crate::errors::{error_codes, register_errors};
    #[pymodule_export]
    use crate::header::{parse_authorization, www_authenticate};
    #[pymodule_export]
    use crate::inspect::{classify_api_key, inspect_key, truncate};
    #[pymodule_export]
    use crate::issuer::Issuer;
    #[pymodule_export]
    use crate::keys::Keyring;
    #[pymodule_export]
    use crate::legacy::{
        check_legacy_key, generate_legacy_key, legacy_key_digest, legacy_keys_equal,
    };
    #[pymodule_export]
    use crate::revocation::InMemoryRevocation;
    #[pymodule_export]
    use crate::values::{Claims, Credential, OrgSettings, Principal, Rotation};
    #[pymodule_export]
    use crate::verifier::Verifier;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add("REFRESH_PATH", core::origin::REFRESH_PATH)?;
        m.add("DEFAULT_ACCESS_TTL", core::DEFAULT_ACCESS_TTL)?;
        m.add("DEFAULT_PAT_TTL_DAYS", core::DEFAULT_PAT_TTL_DAYS)?;
        m.add("DEFAULT_CACHE_CAPACITY", core::DEFAULT_CACHE_CAPACITY)?;
        m.add(
            "DEFAULT_REFRESH_MARGIN",
            core::client::DEFAULT_REFRESH_MARGIN,
        )?;
        Ok(())
    }
}
