//! A cache of verified access tokens, in front of a [`Verifier`]: a token used again skips the
//! signature check (an Ed25519 verification costs about a hundred times an HMAC's).
//!
//! What it answers for a token is always what its verifier answers at the same `now`:
//!
//! - an entry is only made by a successful verification, and found again only for the same
//!   token bytes (the key is the SHA-256 digest of the whole token);
//! - a found entry still goes through the verifier's time checks at the lookup's `now` (the
//!   only checks whose answer changes for a given token and verifier), so an entry is never
//!   returned at or after its `exp` (with the verifier's leeway, exactly as the verifier);
//! - an entry remembers the key that verified it (its `kid` and public key), and
//!   [`VerifiedTokenCache::replace_verifier`] keeps only the entries whose key the new keyring
//!   still holds under the same policy: a key leaving the JWKS takes its tokens with it.
//!
//! Only tokens verified by a key their `kid` names are kept (every `EdDSA` token): an HMAC
//! token costs less to verify than to look up, so it goes to the verifier every time.

use std::sync::{Arc, Mutex, MutexGuard};

use subtle::ConstantTimeEq;

use crate::authenticate::{begin_with, PendingPrincipal};
use crate::claims::Claims;
use crate::error::{ErrorKind, Result};
use crate::keys::{Algorithm, ED25519_KEY_LEN};
use crate::verify::Verifier;

/// Entries per bucket: a lookup compares the probe with all of them.
const WAYS: usize = 4;

/// A capacity for [`VerifiedTokenCache::new`] when the host has no better figure: a few
/// thousand live tokens, about a megabyte for Label Studio's access tokens (an entry holds the
/// token's digest and claims).
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

type Digest = [u8; 32];

struct Entry {
    digest: Digest,
    claims: Claims,
    kid: Arc<str>,
    public: [u8; ED25519_KEY_LEN],
}

struct State {
    verifier: Arc<Verifier>,
    /// `buckets * WAYS` slots; bucket `b` is `slots[b * WAYS..(b + 1) * WAYS]`.
    slots: Vec<Option<Entry>>,
    len: usize,
}

/// Verified access tokens, bounded, in front of a [`Verifier`]. Shared by every thread of a
/// server (`&self` throughout): it locks for the lookup and the insertion, never across a
/// signature check.
///
/// Memory is bounded: at most [`capacity`](Self::capacity) tokens (each at most
/// [`MAX_TOKEN_LEN`](crate::jws::MAX_TOKEN_LEN) of claims), in a table allocated once. When a
/// token's bucket is full, the entry the verifier would refuse first (the earliest `exp`)
/// makes room.
///
/// ```
/// use ls_auth_core::*;
/// let now = 1_700_000_000;
/// let key = SigningKey::ed25519_seed("k1", &[7u8; 32]).unwrap();
/// let issuer = Issuer::new(Keyring::new(key.clone()), TokenPolicy::default());
/// let org = OrgSettings::default();
/// let pat = issuer.mint_pat("5", &Default::default(), &org, now).unwrap();
/// let access = issuer.refresh(&pat, &org, &InMemoryRevocation::new(), now).unwrap();
/// let header = format!("Bearer {access}");
///
/// let public = SigningKey::ed25519_public("k1", key.ed25519_public_key().unwrap()).unwrap();
/// let cache = VerifiedTokenCache::new(Verifier::new(Keyring::new(public), TokenPolicy::default()), 1024);
/// let first = cache.begin_authenticate(header.as_bytes(), now).unwrap(); // verified, kept
/// let again = cache.begin_authenticate(header.as_bytes(), now + 1).unwrap(); // found
/// assert_eq!(first, again);
/// assert_eq!(cache.len(), 1);
/// assert_eq!(cache.begin_authenticate(header.as_bytes(), now + 300).unwrap_err().code(), "token_expired");
///
/// // The key leaves the key set: its tokens leave the cache.
/// let other = SigningKey::ed25519_public("k2", &[9u8; 32]).unwrap();
/// cache.replace_verifier(Verifier::new(Keyring::new(other), TokenPolicy::default()));
/// assert!(cache.is_empty());
/// assert_eq!(cache.begin_authenticate(header.as_bytes(), now).unwrap_err().code(), "unknown_key_id");
/// ```
pub struct VerifiedTokenCache {
    state: Mutex<State>,
    buckets: usize,
}

impl std::fmt::Debug for VerifiedTokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedTokenCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

fn digest_of(token: &[u8]) -> Digest {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, token).as_ref());
    out
}

impl VerifiedTokenCache {
    /// A cache of at most `capacity` tokens (rounded up to a multiple of 4; 0 keeps nothing)
    /// in front of `verifier`.
    pub fn new(verifier: Verifier, capacity: usize) -> Self {
        let buckets = capacity.div_ceil(WAYS);
        let mut slots = Vec::new();
        slots.resize_with(buckets * WAYS, || None);
        VerifiedTokenCache {
            state: Mutex::new(State {
                verifier: Arc::new(verifier),
                slots,
                len: 0,
            }),
            buckets,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves the table consistent (no panic between a slot's change
        // and `len`'s), so a poisoned lock holds a usable table.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The most tokens it holds.
    pub fn capacity(&self) -> usize {
        self.buckets * WAYS
    }

    /// How many tokens it holds now (some may have expired: they leave when looked up, or
    /// when their slot is wanted).
    pub fn len(&self) -> usize {
        self.lock().len
    }

    /// Whether it holds no token.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The verifier it answers for.
    pub fn verifier(&self) -> Arc<Verifier> {
        Arc::clone(&self.lock().verifier)
    }

    /// Answers for `verifier` from now on: entries whose key `verifier`'s keyring no longer
    /// holds (the same `kid` with the same public key) are dropped, and all of them when the
    /// policy differs (leeway, issuer, audience decide what verifies). For a host that reloads
    /// its key set: call it with each new verifier.
    pub fn replace_verifier(&self, verifier: Verifier) {
        let mut state = self.lock();
        let same_policy = state.verifier.policy() == verifier.policy();
        let keyring = verifier.keyring();
        let mut len = 0;
        for slot in state.slots.iter_mut() {
            let keep = slot.as_ref().is_some_and(|entry| {
                same_policy
                    && keyring.index_of_kid(&entry.kid).is_some_and(|i| {
                        let key = &keyring.keys()[i];
                        key.algorithm() == Algorithm::EdDSA
                            && key.ed25519_public_key() == Some(&entry.public)
                    })
            });
            if keep {
                len += 1;
            } else {
                *slot = None;
            }
        }
        state.len = len;
        state.verifier = Arc::new(verifier);
    }

    /// Drops every entry.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.slots.iter_mut().for_each(|slot| *slot = None);
        state.len = 0;
    }

    /// [`Verifier::verify_access`] through the cache: the same answer, without the signature
    /// check for a token verified before.
    pub fn verify_access(&self, token: &str, now: i64) -> Result<Claims> {
        self.verify_access_bytes(token.as_bytes(), now)
    }

    /// [`begin_authenticate`](crate::begin_authenticate) through the cache: the same answer,
    /// without the signature check for an access token verified before.
    pub fn begin_authenticate<'h>(
        &self,
        header: &'h [u8],
        now: i64,
    ) -> Result<PendingPrincipal<'h>> {
        begin_with(header, |token| self.verify_access_bytes(token, now))
    }

    fn bucket(&self, digest: &Digest) -> std::ops::Range<usize> {
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        // `buckets` is not 0 here: the caller checked.
        let b = (u64::from_le_bytes(first) % self.buckets as u64) as usize;
        b * WAYS..(b + 1) * WAYS
    }

    fn verify_access_bytes(&self, token: &[u8], now: i64) -> Result<Claims> {
        if self.buckets == 0 || token.len() > crate::jws::MAX_TOKEN_LEN {
            return self.verifier().verify_access_bytes(token, now);
        }
        // Why the key is a digest, compared in constant time: a lookup by the token itself
        // (a map ordered or compared by its bytes) stops at the first byte that differs, so its
        // time would tell whoever sends made-up tokens how much of one matches a cached token,
        // letting them rebuild it byte by byte. The probe's SHA-256 digest chooses the bucket
        // (it depends only on the probe, which its sender knows) and is compared with every
        // entry of the bucket by `subtle`, in time independent of their bytes; a digest that
        // matches means the whole token matches (collision resistance), so a hit is the token
        // that verified, byte for byte.
        let digest = digest_of(token);
        let range = self.bucket(&digest);
        let verifier = {
            let mut state = self.lock();
            let mut found = None;
            for (i, slot) in state.slots[range.clone()].iter().enumerate() {
                if let Some(entry) = slot {
                    if bool::from(entry.digest.ct_eq(&digest)) {
                        found = Some(range.start + i);
                    }
                }
            }
            if let Some(i) = found {
                let entry = state.slots[i].as_ref().expect("found above");
                let checked = state.verifier.check_times(&entry.claims, now);
                return match checked {
                    Ok(()) => Ok(entry.claims.clone()),
                    Err(e) => {
                        if e.kind() == ErrorKind::TokenExpired {
                            // Expired at `now` with the leeway: gone.
                            state.slots[i] = None;
                            state.len -= 1;
                        }
                        Err(e)
                    }
                };
            }
            Arc::clone(&state.verifier)
        };
        // A miss: the verifier decides, with the lock released.
        let (claims, key) = verifier.verify_access_named(token, now)?;
        if let Some(key) = key {
            if let (Some(kid), Some(public)) = (key.kid(), key.ed25519_public_key()) {
                let entry = Entry {
                    digest,
                    claims: claims.clone(),
                    kid: Arc::from(kid),
                    public: *public,
                };
                let mut state = self.lock();
                // Verified by a verifier replaced meanwhile: its key may have left the set.
                if Arc::ptr_eq(&state.verifier, &verifier) {
                    insert(&mut state, range, entry);
                }
            }
        }
        Ok(claims)
    }
}

/// Puts `entry` in its bucket: in place of the same token (another thread verified it too), or
/// in an empty slot, or in place of the entry the verifier refuses first (the earliest `exp`).
fn insert(state: &mut State, range: std::ops::Range<usize>, entry: Entry) {
    let bucket = &mut state.slots[range];
    let same = bucket.iter().position(|s| {
        s.as_ref()
            .is_some_and(|e| bool::from(e.digest.ct_eq(&entry.digest)))
    });
    let empty = || bucket.iter().position(Option::is_none);
    let slot = match same.or_else(empty) {
        Some(i) => i,
        None => {
            let (i, _) = bucket
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.as_ref().map(|e| (i, e.claims.exp())))
                .min_by_key(|&(_, exp)| exp)
                .expect("a full bucket has entries");
            i
        }
    };
    if bucket[slot].is_none() {
        state.len += 1;
    }
    bucket[slot] = Some(entry);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InMemoryRevocation, Issuer, Keyring, OrgSettings, SigningKey, TokenPolicy};

    const NOW: i64 = 1_700_000_000;

    fn private(kid: &str, seed: u8) -> SigningKey {
        SigningKey::ed25519_seed(kid, &[seed; 32]).unwrap()
    }

    fn public(kid: &str, seed: u8) -> SigningKey {
        let key = private(kid, seed);
        SigningKey::ed25519_public(kid, key.ed25519_public_key().unwrap()).unwrap()
    }

    /// An access token signed by `key`, issued at `iat` (so it expires at `iat + 300`).
    fn access(key: SigningKey, iat: i64) -> String {
        let issuer = Issuer::new(Keyring::new(key), TokenPolicy::default());
        let org = OrgSettings::default();
        let pat = issuer
            .mint_pat("5", &Default::default(), &org, iat)
            .unwrap();
        issuer
            .refresh(&pat, &org, &InMemoryRevocation::new(), iat)
            .unwrap()
    }

    fn verifier(keys: &[SigningKey], policy: TokenPolicy) -> Verifier {
        let mut ring = Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap();
        for key in keys {
            ring = ring.with_fallback(key.clone());
        }
        Verifier::new(ring, policy)
    }

    impl VerifiedTokenCache {
        fn holds(&self, token: &str) -> bool {
            let digest = digest_of(token.as_bytes());
            self.lock()
                .slots
                .iter()
                .flatten()
                .any(|e| e.digest == digest)
        }
    }

    #[test]
    fn holds_at_most_its_capacity() {
        let cache = VerifiedTokenCache::new(verifier(&[public("k1", 1)], Default::default()), 9);
        assert_eq!(cache.capacity(), 12, "rounded up to whole buckets");
        let tokens: Vec<String> = (0..60).map(|i| access(private("k1", 1), NOW + i)).collect();
        for token in &tokens {
            cache.verify_access(token, NOW + 60).unwrap();
            assert!(cache.len() <= cache.capacity());
        }
        let held = tokens.iter().filter(|t| cache.holds(t)).count();
        assert_eq!(held, cache.len());
        assert!(held > 0);
        // Every token, held or evicted, still verifies.
        for token in &tokens {
            assert_eq!(cache.verify_access(token, NOW + 60).unwrap().user_id(), "5");
        }
        let none = VerifiedTokenCache::new(verifier(&[public("k1", 1)], Default::default()), 0);
        assert_eq!(none.capacity(), 0);
        none.verify_access(&tokens[0], NOW).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn a_full_bucket_evicts_the_earliest_exp() {
        // Capacity 4 is one bucket: every token lands in it.
        let cache = VerifiedTokenCache::new(verifier(&[public("k1", 1)], Default::default()), 4);
        let tokens: Vec<String> = [30, 10, 40, 20, 50]
            .iter()
            .map(|dt| access(private("k1", 1), NOW + dt))
            .collect();
        for token in &tokens[..4] {
            cache.verify_access(token, NOW + 50).unwrap();
        }
        assert_eq!(cache.len(), 4);
        cache.verify_access(&tokens[4], NOW + 50).unwrap();
        assert_eq!(cache.len(), 4);
        assert!(!cache.holds(&tokens[1]), "the earliest exp made room");
        for i in [0, 2, 3, 4] {
            assert!(cache.holds(&tokens[i]), "{i}");
        }
        // Used again, a held token stays held and is not inserted twice.
        cache.verify_access(&tokens[0], NOW + 50).unwrap();
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn an_entry_is_gone_at_exp_with_the_verifiers_leeway() {
        for leeway in [0, 60] {
            let policy = TokenPolicy {
                leeway,
                ..Default::default()
            };
            let cache = VerifiedTokenCache::new(verifier(&[public("k1", 1)], policy.clone()), 64);
            let token = access(private("k1", 1), NOW);
            let exp = NOW + 300;
            cache.verify_access(&token, NOW).unwrap();
            let last = exp + i64::from(leeway) - 1;
            assert!(cache.verify_access(&token, last).is_ok());
            assert!(cache.holds(&token));
            let refused = cache.verify_access(&token, last + 1).unwrap_err();
            assert_eq!(refused.code(), "token_expired");
            assert_eq!(
                refused,
                verifier(&[public("k1", 1)], policy)
                    .verify_access(&token, last + 1)
                    .unwrap_err()
            );
            assert!(cache.is_empty());
        }
    }

    #[test]
    fn a_found_entry_is_checked_at_the_lookups_now() {
        // Verified at NOW + 10, looked up with a clock earlier than its `iat`: refused as the
        // verifier refuses it, and kept (it is not expired).
        let cache = VerifiedTokenCache::new(verifier(&[public("k1", 1)], Default::default()), 8);
        let token = access(private("k1", 1), NOW + 10);
        cache.verify_access(&token, NOW + 10).unwrap();
        let early = cache.verify_access(&token, NOW).unwrap_err();
        assert_eq!(early.code(), "issued_in_future");
        assert!(cache.holds(&token));
    }

    #[test]
    fn replacing_the_verifier_keeps_only_entries_whose_key_remains() {
        let policy = TokenPolicy::default();
        let cache = VerifiedTokenCache::new(
            verifier(&[public("k1", 1), public("k2", 2)], policy.clone()),
            64,
        );
        let t1 = access(private("k1", 1), NOW);
        let t2 = access(private("k2", 2), NOW);
        for t in [&t1, &t2] {
            cache.verify_access(t, NOW).unwrap();
        }
        assert_eq!(cache.len(), 2);
        // A key added: both stay.
        cache.replace_verifier(verifier(
            &[public("k3", 3), public("k1", 1), public("k2", 2)],
            policy.clone(),
        ));
        assert_eq!(cache.len(), 2);
        // k2 leaves: its token goes, and is refused.
        cache.replace_verifier(verifier(&[public("k1", 1)], policy.clone()));
        assert!(cache.holds(&t1) && !cache.holds(&t2));
        assert_eq!(
            cache.verify_access(&t2, NOW).unwrap_err().code(),
            "unknown_key_id"
        );
        // k1's kid now names another key: its token goes.
        cache.replace_verifier(verifier(&[public("k1", 9)], policy.clone()));
        assert!(cache.is_empty());
        assert_eq!(
            cache.verify_access(&t1, NOW).unwrap_err().code(),
            "invalid_signature"
        );
        // Another policy: everything goes, even under the same keys.
        cache.replace_verifier(verifier(&[public("k1", 1)], policy.clone()));
        cache.verify_access(&t1, NOW).unwrap();
        assert_eq!(cache.len(), 1);
        let audience = TokenPolicy {
            audience: Some("svc".into()),
            ..policy
        };
        cache.replace_verifier(verifier(&[public("k1", 1)], audience));
        assert!(cache.is_empty());
        assert_eq!(
            cache.verify_access(&t1, NOW).unwrap_err().code(),
            "missing_claim"
        );
    }

    #[test]
    fn hmac_tokens_are_not_kept() {
        let issuer = Issuer::new(
            Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(),
            TokenPolicy::default(),
        );
        let org = OrgSettings::default();
        let pat = issuer
            .mint_pat("5", &Default::default(), &org, NOW)
            .unwrap();
        let token = issuer
            .refresh(&pat, &org, &InMemoryRevocation::new(), NOW)
            .unwrap();
        let cache = VerifiedTokenCache::new(verifier(&[], Default::default()), 8);
        assert_eq!(cache.verify_access(&token, NOW).unwrap().user_id(), "5");
        assert!(cache.is_empty());
    }
}
