//! The slot of a pending object (`ls_auth_pending_principal`, `ls_auth_pending_refresh`): the
//! core's `Pending*` value, admitted once. After the admission every use of the object is
//! `LS_AUTH_ALREADY_USED`.

use std::sync::{Mutex, MutexGuard};

use crate::result::ls_auth_result::{self, *};

/// A core value taken by its one admission; shared by C threads, so behind a lock.
pub(crate) struct Once<T>(Mutex<Option<T>>);

impl<T> Once<T> {
    pub(crate) fn new(value: T) -> Self {
        Once(Mutex::new(Some(value)))
    }

    /// The value, for the one admission; `LS_AUTH_ALREADY_USED` once it was taken.
    pub(crate) fn take(&self) -> Result<T, ls_auth_result> {
        self.lock().take().ok_or(LS_AUTH_ALREADY_USED)
    }

    /// Reads the value before its admission; `LS_AUTH_ALREADY_USED` after it.
    pub(crate) fn read<R>(
        &self,
        f: impl FnOnce(&T) -> Result<R, ls_auth_result>,
    ) -> Result<R, ls_auth_result> {
        f(self.lock().as_ref().ok_or(LS_AUTH_ALREADY_USED)?)
    }

    /// The slot; a panic while it was held cannot leave it half-written.
    fn lock(&self) -> MutexGuard<'_, Option<T>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
