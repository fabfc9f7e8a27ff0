//! The host's revocation store, as the core's `Revocation` (reads) and `RevocationStore`
//! (reads plus an atomic conditional insert, which rotation requires).
//!
//! What `revoked=` may be, in the order it is recognised:
//! - `ls_auth.InMemoryRevocation`: the core's own store, used without re-entering Python;
//! - an object with `is_revoked(jti)` (and, to be writable,
//!   `revoke_if_active(jti, forget_after, now)`),
//!   e.g. a store over the host's database: atomicity of `revoke_if_active` is its promise;
//! - a callable `jti -> bool`, or a container (`jti in revoked`): read-only.
//!
//! Read-only sources are refused for rotation rather than emulated: a check followed by an
//! `add` is two steps, and two concurrent rotations of one PAT could both pass the check.

use std::sync::Mutex;

use ls_auth_core as core;
use pyo3::prelude::*;

use crate::call::{detached, guarded};
use crate::convert::text_arg;
use crate::errors::{core_err, invalid_argument};

/// A thread-safe, atomic in-memory revocation store (the core's), for tests and single-process
/// hosts. Entries are forgotten at their `forget_after` (the token's `exp` plus the leeway).
#[pyclass(frozen, module = "ls_auth", name = "InMemoryRevocation")]
#[derive(Default)]
pub(crate) struct InMemoryRevocation(core::InMemoryRevocation);

#[pymethods]
impl InMemoryRevocation {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Whether `jti` is revoked.
    fn is_revoked(&self, jti: &Bound<'_, PyAny>) -> PyResult<bool> {
        let jti = text_arg(jti, "jti")?;
        guarded(|| core::Revocation::is_revoked(&self.0, jti))
    }

    /// Records `jti` (kept until `forget_after`) unless it already is; whether this call did.
    fn revoke_if_active(
        &self,
        jti: &Bound<'_, PyAny>,
        forget_after: i64,
        now: i64,
    ) -> PyResult<bool> {
        let jti = text_arg(jti, "jti")?;
        guarded(|| core::RevocationStore::revoke_if_active(&self.0, jti, forget_after, now))
    }

    /// Revokes `jti` unconditionally until `forget_after` (`Verifier.forget_after(exp)`).
    fn revoke(&self, jti: &Bound<'_, PyAny>, forget_after: i64) -> PyResult<()> {
        let jti = text_arg(jti, "jti")?;
        guarded(|| self.0.revoke(jti, forget_after))
    }

    /// Drops the entries whose `forget_after` is at or before `now`.
    fn forget_expired(&self, now: i64) -> PyResult<()> {
        guarded(|| self.0.forget_expired(now))
    }

    fn __len__(&self) -> PyResult<usize> {
        guarded(|| self.0.len())
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!("InMemoryRevocation(<{} entries>)", self.__len__()?))
    }
}

/// Where answers come from.
enum Source {
    Nothing,
    Native(Py<InMemoryRevocation>),
    /// An object with `is_revoked`; `writable` when it also has `revoke_if_active`.
    Store {
        obj: Py<PyAny>,
        writable: bool,
    },
    Callable(Py<PyAny>),
    Container(Py<PyAny>),
}

/// The host's object as the core's revocation traits. An exception raised by the host's
/// object fails closed (revoked / not recorded) and is re-raised once the core returns.
pub(crate) struct PyRevocation {
    source: Source,
    error: Mutex<Option<PyErr>>,
}

/// The same object, checked to be able to record a revocation atomically.
pub(crate) struct PyRevocationStore(PyRevocation);

impl PyRevocation {
    pub(crate) fn new(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let source = match obj.filter(|o| !o.is_none()) {
            None => Source::Nothing,
            Some(o) => {
                if let Ok(native) = o.cast::<InMemoryRevocation>() {
                    Source::Native(native.clone().unbind())
                } else if o.hasattr("is_revoked")? {
                    Source::Store {
                        obj: o.clone().unbind(),
                        writable: o.hasattr("revoke_if_active")?,
                    }
                } else if o.is_callable() {
                    Source::Callable(o.clone().unbind())
                } else {
                    Source::Container(o.clone().unbind())
                }
            }
        };
        Ok(PyRevocation {
            source,
            error: Mutex::new(None),
        })
    }

    /// This store for rotation, or `InvalidArgument` when it cannot record atomically.
    pub(crate) fn writable(self, py: Python<'_>) -> PyResult<PyRevocationStore> {
        let what = match &self.source {
            Source::Native(_) | Source::Store { writable: true, .. } => {
                return Ok(PyRevocationStore(self))
            }
            Source::Nothing => "no revocation store was given",
            Source::Store { .. } => "the store has is_revoked but no revoke_if_active",
            Source::Callable(_) => "a callable can only be read",
            Source::Container(_) => "a container such as a set can only be read",
        };
        Err(invalid_argument(
            py,
            format!(
                "rotation needs a revocation store with an atomic \
                 revoke_if_active(jti, forget_after, now) \
                 such as ls_auth.InMemoryRevocation ({what}); checking and then adding in two \
                 steps would let two concurrent rotations of one PAT both succeed"
            ),
        ))
    }

    fn fail(&self, err: PyErr) {
        let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(err);
    }

    fn take_error(&self) -> Option<PyErr> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// A Python answer, or the fail-closed `fallback` with the exception kept for later.
    fn answer(&self, fallback: bool, ask: impl FnOnce(Python<'_>) -> PyResult<bool>) -> bool {
        Python::attach(|py| {
            ask(py).unwrap_or_else(|e| {
                self.fail(e);
                fallback
            })
        })
    }
}

impl core::Revocation for PyRevocation {
    fn is_revoked(&self, jti: &str) -> bool {
        match &self.source {
            Source::Nothing => false,
            Source::Native(store) => core::Revocation::is_revoked(&store.get().0, jti),
            Source::Store { obj, .. } => self.answer(true, |py| {
                obj.bind(py)
                    .call_method1("is_revoked", (jti,))
                    .and_then(|v| v.is_truthy())
            }),
            Source::Callable(f) => self.answer(true, |py| {
                f.bind(py).call1((jti,)).and_then(|v| v.is_truthy())
            }),
            Source::Container(c) => self.answer(true, |py| c.bind(py).contains(jti)),
        }
    }
}

impl core::Revocation for PyRevocationStore {
    fn is_revoked(&self, jti: &str) -> bool {
        self.0.is_revoked(jti)
    }
}

impl core::RevocationStore for PyRevocationStore {
    fn revoke_if_active(&self, jti: &str, forget_after: i64, now: i64) -> bool {
        match &self.0.source {
            Source::Native(store) => {
                core::RevocationStore::revoke_if_active(&store.get().0, jti, forget_after, now)
            }
            Source::Store {
                obj,
                writable: true,
            } => self.0.answer(false, |py| {
                obj.bind(py)
                    .call_method1("revoke_if_active", (jti, forget_after, now))
                    .and_then(|v| v.is_truthy())
            }),
            // `writable` admits nothing else; refusing is the fail-closed answer.
            _ => false,
        }
    }
}

/// Runs `f` with the GIL released, the host's own exception (if its store raised) taking
/// precedence over the core's fail-closed answer.
pub(crate) fn run_with<S: Send + Sync, T: Send>(
    py: Python<'_>,
    store: &S,
    error_of: impl Fn(&S) -> Option<PyErr>,
    f: impl FnOnce(&S) -> core::Result<T> + Send,
) -> PyResult<T> {
    let outcome = detached(py, || f(store))?;
    if let Some(err) = error_of(store) {
        return Err(err);
    }
    outcome.map_err(|e| core_err(py, &e))
}

impl PyRevocation {
    /// [`run_with`] over this reader.
    pub(crate) fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Self) -> core::Result<T> + Send,
    ) -> PyResult<T> {
        run_with(py, self, PyRevocation::take_error, f)
    }
}

impl PyRevocationStore {
    /// [`run_with`] over this store.
    pub(crate) fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Self) -> core::Result<T> + Send,
    ) -> PyResult<T> {
        run_with(py, self, |s| s.0.take_error(), f)
    }
}
