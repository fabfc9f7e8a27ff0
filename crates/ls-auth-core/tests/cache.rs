//! The cache of verified tokens answers exactly as its verifier at every `now`: it never
//! accepts a token the verifier refuses (tampered bytes, expired or not yet valid at `now`, a
//! key that left the keyring, another keyring or policy), and refuses with the same error.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use ls_auth_core::{Keyring, SigningKey, TokenPolicy, VerifiedTokenCache, Verifier};
use proptest::prelude::*;
use serde_json::json;

const NOW: i64 = 1_700_000_000;
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The keys tokens are signed with: `k2` twice, under two seeds (a kid that comes back naming
/// another key), and `k3`, which no verifier holds.
const SIGNERS: [(&str, u8); 4] = [("k1", 1), ("k2", 2), ("k2", 12), ("k3", 3)];

fn private(kid: &str, seed: u8) -> SigningKey {
    SigningKey::ed25519_seed(kid, &[seed; 32]).unwrap()
}

fn public(kid: &str, seed: u8) -> SigningKey {
    SigningKey::ed25519_public(kid, private(kid, seed).ed25519_public_key().unwrap()).unwrap()
}

#[derive(Debug, Clone)]
struct Spec {
    signer: usize,
    exp: i64,
    nbf: Option<i64>,
    iat: Option<i64>,
    user: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..SIGNERS.len(),
        -200i64..400,
        proptest::option::of(-100i64..200),
        proptest::option::of(-100i64..200),
        0u8..3,
    )
        .prop_map(|(signer, exp, nbf, iat, user)| Spec {
            signer,
            exp: NOW + exp,
            nbf: nbf.map(|t| NOW + t),
            iat: iat.map(|t| NOW + t),
            user,
        })
}

fn sign(spec: &Spec) -> String {
    let (kid, seed) = SIGNERS[spec.signer];
    let der = private(kid, seed).ed25519_pkcs8_der().unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.into());
    let mut claims = json!({"token_type": "access", "exp": spec.exp,
                            "jti": format!("{:032x}", spec.exp), "user_id": spec.user.to_string()});
    if let Some(nbf) = spec.nbf {
        claims["nbf"] = nbf.into();
    }
    if let Some(iat) = spec.iat {
        claims["iat"] = iat.into();
    }
    encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap()
}

/// A verifier: the HS256 secret always, and the public halves `keys` selects (bit i: `k1`,
/// `k2`, `k2` under its other seed; both `k2`s: the first).
fn verifier(keys: u8, leeway: u32) -> Verifier {
    let mut ring = Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap();
    for (bit, (kid, seed)) in SIGNERS[..3].iter().enumerate() {
        let taken = ring.keys().iter().any(|k| k.kid() == Some(kid));
        if keys & (1 << bit) != 0 && !taken {
            ring = ring.with_fallback(public(kid, *seed));
        }
    }
    Verifier::new(
        ring,
        TokenPolicy {
            leeway,
            ..TokenPolicy::default()
        },
    )
}

#[derive(Debug, Clone)]
enum Op {
    /// Token `token`, its byte `at` replaced by another base64url character when `tamper`,
    /// presented at `NOW + dt`.
    Use {
        token: usize,
        tamper: Option<(usize, usize)>,
        dt: i64,
    },
    /// The host reloads its keys (and maybe its leeway).
    Replace { keys: u8, leeway: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..8, proptest::option::of((any::<usize>(), 1usize..64)), -150i64..500)
            .prop_map(|(token, tamper, dt)| Op::Use { token, tamper, dt }),
        1 => (0u8..8, prop_oneof![Just(0u32), Just(30), Just(120)])
            .prop_map(|(keys, leeway)| Op::Replace { keys, leeway }),
    ]
}

fn tampered(token: &str, at: usize, shift: usize) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let at = at % bytes.len();
    if bytes[at] == b'.' {
        bytes.insert(at, b'A');
    } else {
        let i = B64URL.iter().position(|&c| c == bytes[at]).unwrap();
        bytes[at] = B64URL[(i + shift) % B64URL.len()];
    }
    String::from_utf8(bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_cache_answers_as_its_verifier(
        specs in proptest::collection::vec(spec(), 1..8),
        start_keys in 0u8..8,
        capacity in prop_oneof![Just(0usize), Just(4), Just(8), Just(64)],
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let tokens: Vec<String> = specs.iter().map(sign).collect();
        let mut current = verifier(start_keys, 0);
        let cache = VerifiedTokenCache::new(current.clone(), capacity);
        for op in ops {
            match op {
                Op::Replace { keys, leeway } => {
                    current = verifier(keys, leeway);
                    cache.replace_verifier(current.clone());
                }
                Op::Use { token, tamper, dt } => {
                    let token = &tokens[token % tokens.len()];
                    let token = match tamper {
                        Some((at, shift)) => tampered(token, at, shift),
                        None => token.clone(),
                    };
                    let now = NOW + dt;
                    prop_assert_eq!(
                        cache.verify_access(&token, now),
                        current.verify_access(&token, now),
                        "{}", token
                    );
                    let header = format!("Bearer {token}");
                    prop_assert_eq!(
                        cache.begin_authenticate(header.as_bytes(), now),
                        ls_auth_core::begin_authenticate(header.as_bytes(), &current, now)
                    );
                }
            }
            prop_assert!(cache.len() <= cache.capacity());
        }
    }
}

/// The property's generator does reach the cache: a token used twice is found, and answers
/// as the verifier after its key leaves.
#[test]
fn a_token_used_again_is_found_until_its_key_leaves() {
    let spec = Spec {
        signer: 1,
        exp: NOW + 300,
        nbf: None,
        iat: Some(NOW),
        user: 1,
    };
    let token = sign(&spec);
    let cache = VerifiedTokenCache::new(verifier(0b011, 0), 16);
    cache.verify_access(&token, NOW).unwrap();
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.verify_access(&token, NOW + 1).unwrap().user_id(), "1");
    cache.replace_verifier(verifier(0b101, 0));
    assert!(cache.is_empty());
    assert_eq!(
        cache.verify_access(&token, NOW + 1).unwrap_err(),
        verifier(0b101, 0)
            .verify_access(&token, NOW + 1)
            .unwrap_err()
    );
}

/// Shared by threads: once `replace_verifier` has returned, no thread is answered from an entry
/// of the key that left, even one whose verification (under the old verifier) was under way
/// during the replacement and whose insertion came after it.
#[test]
fn after_a_replacement_no_thread_accepts_a_removed_keys_token() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    let cache = Arc::new(VerifiedTokenCache::new(verifier(0b011, 0), 4096));
    let replaced = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4u8)
        .map(|w| {
            // Fresh k2 tokens: each first use is a miss, an Ed25519 verification under way.
            let tokens: Vec<String> = (0..150i64)
                .map(|i| {
                    sign(&Spec {
                        signer: 1,
                        exp: NOW + 300 + i,
                        nbf: None,
                        iat: Some(NOW),
                        user: w,
                    })
                })
                .collect();
            let (cache, replaced) = (Arc::clone(&cache), Arc::clone(&replaced));
            let progress = Arc::clone(&progress);
            std::thread::spawn(move || {
                let mut checked = 0;
                for token in &tokens {
                    let _ = cache.verify_access(token, NOW);
                    progress.fetch_add(1, Ordering::SeqCst);
                    if replaced.load(Ordering::SeqCst) {
                        let again = cache.verify_access(token, NOW);
                        assert_eq!(again.unwrap_err().code(), "unknown_key_id");
                        checked += 1;
                    }
                }
                checked
            })
        })
        .collect();
    // Replace once the workers are well under way (a quarter of their tokens).
    while progress.load(Ordering::SeqCst) < 150 {
        std::thread::yield_now();
    }
    cache.replace_verifier(verifier(0b001, 0));
    replaced.store(true, Ordering::SeqCst);
    let checked: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(checked > 0, "no lookup came after the replacement");
    assert!(cache.is_empty());
}
