//! Revocation of PATs by `jti`: a trait the host implements over its own store.

use std::collections::HashMap;
use std::sync::Mutex;

/// Where revoked PAT `jti`s are read from. Implement it over the host's database or cache; a
/// fleet of services shares revocation by sharing that store.
///
/// It must fail closed: when the store cannot answer, `is_revoked` returns `true`.
pub trait Revocation {
    /// Whether `jti` has been revoked.
    fn is_revoked(&self, jti: &str) -> bool;
}

/// A revocation store that can also record a revocation, atomically. Rotation needs one: a
/// store that can only be read (or only checked, then written in a second step) would let two
/// concurrent rotations of one PAT both succeed, so [`Issuer::rotate`](crate::Issuer::rotate)
/// takes this trait and nothing weaker.
pub trait RevocationStore: Revocation {
    /// Atomically records `jti` as revoked unless it already is, returning whether this call
    /// did it (a conditional insert: of concurrent calls for one `jti`, exactly one returns
    /// `true`). `forget_after` is the time from which no verifier accepts the token any more:
    /// its `exp` plus the leeway, computed by the core ([`Verifier::forget_after`]); the entry
    /// must be kept while `now < forget_after`, since forgetting it earlier lets the PAT
    /// refresh again inside the leeway (contract §3.9). `now` is the current time. It must
    /// fail closed: when the store cannot record, return `false`.
    ///
    /// [`Verifier::forget_after`]: crate::Verifier::forget_after
    fn revoke_if_active(&self, jti: &str, forget_after: i64, now: i64) -> bool;
}

/// A thread-safe in-memory store, for tests and single-process deployments. Entries are
/// forgotten at their `forget_after` (the token's `exp` plus the verifier's leeway), once no
/// verifier accepts the token anyway.
///
/// ```
/// use ls_auth_core::{InMemoryRevocation, Revocation, RevocationStore};
/// let store = InMemoryRevocation::new();
/// assert!(store.revoke_if_active("abc", 2_000, 1_000));
/// assert!(!store.revoke_if_active("abc", 2_000, 1_000));
/// store.forget_expired(1_999);
/// assert!(store.is_revoked("abc"));
/// ```
#[derive(Debug, Default)]
pub struct InMemoryRevocation {
    entries: Mutex<Store>,
}

#[derive(Debug, Default)]
struct Store {
    /// `jti` -> `forget_after`.
    by_jti: HashMap<String, i64>,
    /// Size after the last sweep; sweeping again once it doubles keeps inserts amortised O(1).
    swept_len: usize,
}

impl InMemoryRevocation {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Revokes `jti` unconditionally, until `forget_after`: for a PAT whose claims the host
    /// holds, [`Verifier::forget_after`](crate::Verifier::forget_after) of its `exp`, never
    /// the bare `exp` when the verifier has a leeway. A later time than the one held is kept.
    pub fn revoke(&self, jti: &str, forget_after: i64) {
        let mut store = self.lock();
        let held = store.by_jti.entry(jti.to_owned()).or_insert(forget_after);
        *held = (*held).max(forget_after);
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.lock().by_jti.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the entries no verifier needs any more: those whose `forget_after` is at or
    /// before `now` (the token is then expired even with the leeway).
    pub fn forget_expired(&self, now: i64) {
        self.lock().sweep(now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the map half-written, so carry on.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store {
    fn sweep(&mut self, now: i64) {
        self.by_jti.retain(|_, forget_after| *forget_after > now);
        self.swept_len = self.by_jti.len();
    }
}

impl Revocation for InMemoryRevocation {
    fn is_revoked(&self, jti: &str) -> bool {
        self.lock().by_jti.contains_key(jti)
    }
}

impl RevocationStore for InMemoryRevocation {
    fn revoke_if_active(&self, jti: &str, forget_after: i64, now: i64) -> bool {
        let mut store = self.lock();
        if store.by_jti.len() >= 2 * store.swept_len.max(512) {
            store.sweep(now);
        }
        if store.by_jti.contains_key(jti) {
            return false;
        }
        store.by_jti.insert(jti.to_owned(), forget_after);
        true
    }
}

impl<T: Revocation + ?Sized> Revocation for &T {
    fn is_revoked(&self, jti: &str) -> bool {
        (**self).is_revoked(jti)
    }
}

impl<T: RevocationStore + ?Sized> RevocationStore for &T {
    fn revoke_if_active(&self, jti: &str, forget_after: i64, now: i64) -> bool {
        (**self).revoke_if_active(jti, forget_after, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_expired_entries() {
        let store = InMemoryRevocation::new();
        for i in 0..2000 {
            assert!(store.revoke_if_active(&format!("old{i}"), 10, 5));
        }
        assert!(store.revoke_if_active("live", 1_000, 100));
        // The sweep ran at 1024 entries with now = 5: nothing had expired yet.
        assert_eq!(store.len(), 2001);
        store.forget_expired(100);
        assert_eq!(store.len(), 1);
        assert!(store.is_revoked("live"));
        assert!(!store.is_revoked("old1"));
    }
}
