//! Core errors as Python exceptions. The classes, and the one table from stable code to class,
//! live in `ls_auth/_errors.py`; that module hands the table to [`register_errors`] at import,
//! which refuses a table that does not cover every code of `ErrorKind::ALL`.

use std::borrow::Cow;
use std::sync::RwLock;

use ls_auth_core as core;
use pyo3::exceptions::{PyImportError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyDict, PyType};

use crate::convert::text_arg;

static TABLE: RwLock<Option<Py<PyDict>>> = RwLock::new(None);

/// The exception for a core error: `cls(message, code, status)` with `cls` from the table.
pub(crate) fn core_err(py: Python<'_>, e: &core::Error) -> PyErr {
    exception(py, e.kind(), e.message())
}

/// `InvalidArgument` (a `ValueError`) for an argument the core's types cannot hold. The message
/// is the binding's own (an argument's name, never its value when it may be secret): the core
/// keeps `Error::with_detail` to itself.
pub(crate) fn invalid_argument(py: Python<'_>, detail: impl Into<Cow<'static, str>>) -> PyErr {
    exception(py, core::ErrorKind::InvalidArgument, &detail.into())
}

/// The exception of `kind`'s class in the table, with `message`.
fn exception(py: Python<'_>, kind: core::ErrorKind, message: &str) -> PyErr {
    let table = TABLE
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|t| t.clone_ref(py));
    let Some(table) = table else {
        return PyRuntimeError::new_err(format!(
            "{} ({}); import ls_auth rather than ls_auth._native to get typed exceptions",
            message,
            kind.code()
        ));
    };
    let made = table
        .bind(py)
        .get_item(kind.code())
        .and_then(|cls| match cls {
            Some(cls) => cls.call1((message, kind.code(), kind.http_status())),
            None => Err(PyRuntimeError::new_err(format!(
                "no exception class for code {}",
                kind.code()
            ))),
        });
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// The core kind of a Python `AuthError` (from its code), for `www_authenticate`.
pub(crate) fn kind_of(py: Python<'_>, e: &Bound<'_, PyAny>) -> PyResult<core::ErrorKind> {
    let code = e
        .getattr("code")
        .map_err(|_| PyTypeError::new_err("error must be an ls_auth.AuthError"))?;
    let code = text_arg(&code, "error.code")?;
    core::ErrorKind::from_code(code)
        .ok_or_else(|| invalid_argument(py, format!("unknown error code {code:?}")))
}

/// Every stable code of the core with its HTTP status, in code order.
#[pyfunction]
pub(crate) fn error_codes() -> Vec<(&'static str, u16)> {
    core::ErrorKind::ALL
        .iter()
        .map(|k| (k.code(), k.http_status()))
        .collect()
}

/// Installs the code -> exception class table; every core code must map to a subclass of
/// `base`, and every key must be a core code.
#[pyfunction]
pub(crate) fn register_errors(table: &Bound<'_, PyDict>, base: &Bound<'_, PyType>) -> PyResult<()> {
    let mut problems = Vec::new();
    for kind in core::ErrorKind::ALL {
        match table.get_item(kind.code())? {
            None => problems.push(format!("{} has no exception class", kind.code())),
            Some(cls) => {
                let ok = cls
                    .cast::<PyType>()
                    .map(|t| t.is_subclass(base).unwrap_or(false))
                    .unwrap_or(false);
                if !ok {
                    problems.push(format!("{} maps to a non-AuthError", kind.code()));
                }
            }
        }
    }
    for key in table.keys() {
        let key: PyBackedStr = key.extract()?;
        if core::ErrorKind::from_code(&key).is_none() {
            problems.push(format!("{} is not a core error code", &*key));
        }
    }
    if !problems.is_empty() {
        return Err(PyImportError::new_err(format!(
            "ls_auth error table does not match the core: {}",
            problems.join("; ")
        )));
    }
    *TABLE.write().unwrap_or_else(|p| p.into_inner()) = Some(table.copy()?.unbind());
    Ok(())
}
