//! Revocation under concurrency (contract §3.9): rotation of a PAT is single-use even when many
//! requests race, and the in-memory store forgets entries once their token has expired.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;

use ls_auth_core::{
    ErrorKind, InMemoryRevocation, Issuer, Keyring, OrgSettings, Revocation, RevocationStore,
    Rotation, TokenPolicy,
};
use serde_json::Map;

const NOW: i64 = 1_700_000_000;
const THREADS: usize = 16;
const ROUNDS: usize = 50;
const SECRET: &str = "concurrency-test-secret-of-at-least-32-bytes";

fn issuer() -> Issuer {
    Issuer::new(Keyring::hs256(SECRET).unwrap(), TokenPolicy::default())
}

/// Rotates `pat` from `THREADS` threads released together by a barrier.
fn race(
    issuer: &Issuer,
    pat: &str,
    settings: &OrgSettings,
    store: &(dyn RevocationStore + Sync),
) -> Vec<ls_auth_core::Result<Rotation>> {
    let start = Barrier::new(THREADS);
    thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    issuer.rotate(pat, settings, store, NOW + 1)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Exactly one `Ok`; every other result is `token_revoked`. Returns the winner.
fn one_winner(results: Vec<ls_auth_core::Result<Rotation>>, round: usize) -> Rotation {
    let mut winners = Vec::new();
    for r in results {
        match r {
            Ok(rotation) => winners.push(rotation),
            Err(e) => assert_eq!(
                e.kind(),
                ErrorKind::TokenRevoked,
                "round {round}: a loser got {}",
                e.code()
            ),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "round {round}: {} of {THREADS} concurrent rotations won",
        winners.len()
    );
    winners.pop().unwrap()
}

#[test]
fn sixteen_concurrent_rotations_have_exactly_one_winner() {
    let issuer = issuer();
    let settings = OrgSettings::default();
    let store = InMemoryRevocation::new();
    for round in 0..ROUNDS {
        let pat = issuer
            .mint_pat(&round.to_string(), &Map::new(), &settings, NOW)
            .unwrap();
        let winner = one_winner(race(&issuer, &pat, &settings, &store), round);
        assert!(store.is_revoked(&winner.revoked_jti));
        // The old PAT is dead for every use; the winner's replacement works.
        assert_eq!(
            issuer
                .refresh(&pat, &settings, &store, NOW + 2)
                .unwrap_err()
                .kind(),
            ErrorKind::TokenRevoked
        );
        assert!(issuer
            .refresh(&winner.pat, &settings, &store, NOW + 2)
            .is_ok());
    }
    assert_eq!(store.len(), ROUNDS);
}

/// A store that makes every thread pass the `is_revoked` check before any of them may revoke:
/// the worst interleaving, forced rather than hoped for, so all 16 reach `revoke_if_active`.
struct Gated<S> {
    inner: S,
    gate: Barrier,
    attempts: AtomicUsize,
}

impl<S: Revocation> Revocation for Gated<S> {
    fn is_revoked(&self, jti: &str) -> bool {
        let revoked = self.inner.is_revoked(jti);
        self.gate.wait();
        revoked
    }
}

impl<S: RevocationStore> RevocationStore for Gated<S> {
    fn revoke_if_active(&self, jti: &str, exp: i64, now: i64) -> bool {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        self.inner.revoke_if_active(jti, exp, now)
    }
}

#[test]
fn the_atomic_step_alone_decides_when_all_threads_pass_the_check() {
    let issuer = issuer();
    let settings = OrgSettings::default();
    for round in 0..ROUNDS {
        let store = Gated {
            inner: InMemoryRevocation::new(),
            gate: Barrier::new(THREADS),
            attempts: AtomicUsize::new(0),
        };
        let pat = issuer.mint_pat("1", &Map::new(), &settings, NOW).unwrap();
        one_winner(race(&issuer, &pat, &settings, &store), round);
        assert_eq!(store.attempts.load(Ordering::SeqCst), THREADS);
    }
}

/// A check-then-insert store, the bug `revoke_if_active` exists to prevent.
struct CheckThenInsert {
    set: Mutex<Vec<String>>,
    gate: Barrier,
}

impl Revocation for CheckThenInsert {
    fn is_revoked(&self, jti: &str) -> bool {
        self.set.lock().unwrap().iter().any(|j| j == jti)
    }
}

impl RevocationStore for CheckThenInsert {
    fn revoke_if_active(&self, jti: &str, _exp: i64, _now: i64) -> bool {
        let already = self.is_revoked(jti);
        self.gate.wait(); // every thread checks before any inserts
        if already {
            return false;
        }
        self.set.lock().unwrap().push(jti.to_owned());
        true
    }
}

#[test]
fn the_race_test_catches_a_non_atomic_store() {
    let issuer = issuer();
    let settings = OrgSettings::default();
    let store = CheckThenInsert {
        set: Mutex::new(Vec::new()),
        gate: Barrier::new(THREADS),
    };
    let pat = issuer.mint_pat("1", &Map::new(), &settings, NOW).unwrap();
    let wins = race(&issuer, &pat, &settings, &store)
        .iter()
        .filter(|r| r.is_ok())
        .count();
    assert_eq!(wins, THREADS, "a non-atomic store lets every racer win");
}

#[test]
fn concurrent_rotation_chains_on_one_store_never_interfere() {
    let issuer = issuer();
    let settings = OrgSettings::default();
    let store = InMemoryRevocation::new();
    let start = Barrier::new(THREADS);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (issuer, settings, store, start) = (&issuer, &settings, &store, &start);
            s.spawn(move || {
                let mut pat = issuer
                    .mint_pat(&t.to_string(), &Map::new(), settings, NOW)
                    .unwrap();
                start.wait();
                for step in 0..20 {
                    let r = issuer.rotate(&pat, settings, store, NOW + step).unwrap();
                    pat = r.pat;
                }
            });
        }
    });
    assert_eq!(store.len(), THREADS * 20);
}

#[test]
fn entries_are_forgotten_once_their_token_has_expired() {
    let issuer = issuer();
    let settings = OrgSettings {
        pat_ttl_days: 1,
        ..OrgSettings::default()
    };
    let store = InMemoryRevocation::new();
    let pat = issuer.mint_pat("1", &Map::new(), &settings, NOW).unwrap();
    let exp = NOW + 86_400;
    let rotation = issuer.rotate(&pat, &settings, &store, NOW + 1).unwrap();
    assert_eq!(rotation.revoked_exp, exp);

    // Still within the old PAT's lifetime: the entry must be kept.
    store.forget_expired(exp - 1);
    assert!(store.is_revoked(&rotation.revoked_jti));
    assert_eq!(
        issuer
            .refresh(&pat, &settings, &store, exp - 1)
            .unwrap_err()
            .kind(),
        ErrorKind::TokenRevoked
    );

    // At `exp` the token is expired (exp == now is expired), so the entry may go...
    store.forget_expired(exp);
    assert!(store.is_empty());
    // ...and forgetting it does not bring the PAT back.
    assert_eq!(
        issuer
            .refresh(&pat, &settings, &store, exp)
            .unwrap_err()
            .kind(),
        ErrorKind::TokenExpired
    );
}

/// Issue 17, finding 4, as reported: leeway 60, a one-day PAT rotated at `NOW + 1`, the store
/// told to forget at the PAT's `exp`, a refresh ten seconds later (inside the leeway). Before
/// the fix the store forgot the entry at `exp` and the refresh returned an access token.
#[test]
fn forgetting_honours_the_leeway() {
    let issuer = Issuer::new(
        Keyring::hs256(SECRET).unwrap(),
        TokenPolicy {
            leeway: 60,
            ..TokenPolicy::default()
        },
    );
    let settings = OrgSettings {
        pat_ttl_days: 1,
        ..OrgSettings::default()
    };
    let store = InMemoryRevocation::new();
    let pat = issuer.mint_pat("1", &Map::new(), &settings, NOW).unwrap();
    let rotation = issuer.rotate(&pat, &settings, &store, NOW + 1).unwrap();
    assert_eq!(rotation.revoked_exp, NOW + 86_400);
    assert_eq!(rotation.forget_after, NOW + 86_460);

    store.forget_expired(NOW + 86_400);
    assert!(store.is_revoked(&rotation.revoked_jti));
    assert_eq!(
        issuer
            .refresh(&pat, &settings, &store, NOW + 86_410)
            .unwrap_err()
            .kind(),
        ErrorKind::TokenRevoked
    );
    // Once the leeway has passed too, the entry goes and the PAT stays refused, as expired.
    store.forget_expired(NOW + 86_460);
    assert!(store.is_empty());
    assert_eq!(
        issuer
            .refresh(&pat, &settings, &store, NOW + 86_460)
            .unwrap_err()
            .kind(),
        ErrorKind::TokenExpired
    );
}

#[test]
fn inserts_sweep_expired_entries_without_an_explicit_call() {
    let store = InMemoryRevocation::new();
    for i in 0..1024 {
        assert!(store.revoke_if_active(&format!("old-{i}"), NOW + 10, NOW));
    }
    assert!(store.revoke_if_active("live", NOW + 1_000, NOW));
    for i in 0..1024 {
        assert!(store.revoke_if_active(&format!("new-{i}"), NOW + 1_000, NOW + 20));
    }
    // The sweep ran while inserting, at a time when every `old-` entry had expired.
    assert!(store.len() <= 1025, "{} entries kept", store.len());
    assert!(store.is_revoked("live"));
    assert!(!store.is_revoked("old-0"));
    // An unexpired entry is never forgotten: a second revocation of it still loses.
    assert!(!store.revoke_if_active("live", NOW + 1_000, NOW + 999));
}
