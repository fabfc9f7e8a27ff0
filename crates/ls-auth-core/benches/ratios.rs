//! The benches whose ratios are targets, measured interleaved in one process.
//!
//! Criterion (`benches/auth.rs`) runs one function after another; on a machine whose other
//! cores come and go (CI, neighbours compiling) the floor can be measured in a quiet second
//! and our verify in a busy one, which moves a ratio by 2x. Here every case runs a short batch
//! in turn, round after round, and each keeps the least time per call of all its batches:
//! load only ever adds time, so the least is the estimate, and all cases saw the same load.
//!
//! `cargo bench -p ls-auth-core --bench ratios -- [--quick] [--json]`; `scripts/bench` reads
//! the JSON (`{"cases": {name: {"ns": f64, "bytes": n | null}}}`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use ls_auth_core::client::classify_api_key;
use ls_auth_core::header::parse_authorization;
use ls_auth_core::*;
use serde_json::{json, Map, Value};

const SECRET: &str = "bench-secret-key-of-at-least-32-bytes!!";
const NOW: i64 = 1_700_000_000;

/// Extra-claim counts of the per-byte benches: flat claims are small, nested ones larger, and
/// the largest of each stays under the 4 KiB cap.
const FLAT: [usize; 3] = [0, 10, 100];
const NESTED: [usize; 3] = [0, 10, 40];

fn issuer() -> Issuer {
    Issuer::with_random(
        Keyring::hs256(SECRET).unwrap(),
        TokenPolicy::default(),
        dangerous::InsecureDeterministicRandom::new(1),
    )
}

/// A flat custom claim: `"claim_007":"value-7"`.
fn flat_claim(k: usize) -> Value {
    Value::from(format!("value-{k}"))
}

/// A nested custom claim: an object holding an array, a bool and a number.
fn nested_claim(k: usize) -> Value {
    json!({"id": k, "tags": ["a", "b"], "on": true})
}

/// A Label Studio access token (about 230 bytes) with `n` extra claims made by `claim`.
fn access_token(n: usize, claim: fn(usize) -> Value) -> String {
    let i = issuer();
    let s = OrgSettings::default();
    let claims: Map<String, Value> = (0..n)
        .map(|k| (format!("claim_{k:03}"), claim(k)))
        .collect();
    let pat = i.mint_pat("1", &claims, &s, NOW).unwrap();
    i.refresh(&pat, &s, &InMemoryRevocation::new(), NOW)
        .unwrap()
}

struct Case {
    name: String,
    bytes: Option<usize>,
    /// Runs the operation `n` times.
    run: Box<dyn FnMut(u64)>,
    iters: u64,
    best_ns: f64,
}

fn case(name: impl Into<String>, bytes: Option<usize>, mut op: impl FnMut() + 'static) -> Case {
    Case {
        name: name.into(),
        bytes,
        run: Box::new(move |n| {
            for _ in 0..n {
                op();
            }
        }),
        iters: 1,
        best_ns: f64::INFINITY,
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    let token = access_token(0, flat_claim);
    let input = token.rsplit_once('.').unwrap().0.to_owned();
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let i = issuer();
    let verifier = i.verifier().clone();
    {
        let (verifier, token) = (verifier.clone(), token.clone());
        v.push(case(
            "verify_access/ls_auth",
            Some(token.len()),
            move || {
                black_box(verifier.verify_access(black_box(&token), NOW + 1).unwrap());
            },
        ));
    }
    {
        let (key, input) = (ring_key.clone(), input.clone());
        v.push(case(
            "verify_access/floor_ring_hmac",
            Some(token.len()),
            move || {
                black_box(ring::hmac::sign(&key, black_box(input.as_bytes())));
            },
        ));
    }
    {
        let token = token.clone();
        let key = jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = false; // the token is checked at a fixed `now`
        validation.required_spec_claims = ["exp"].into_iter().map(String::from).collect();
        v.push(case(
            "verify_access/jsonwebtoken",
            Some(token.len()),
            move || {
                black_box(
                    jsonwebtoken::decode::<Value>(black_box(&token), &key, &validation).unwrap(),
                );
            },
        ));
    }
    let header = format!("Bearer {token}");
    {
        let header = header.clone();
        v.push(case(
            "header/parse_authorization",
            Some(header.len()),
            move || {
                black_box(parse_authorization(black_box(header.as_bytes())).unwrap());
            },
        ));
    }
    {
        let (header, verifier) = (header.clone(), verifier.clone());
        let s = OrgSettings::default();
        v.push(case("header/authenticate", Some(header.len()), move || {
            black_box(authenticate(black_box(header.as_bytes()), &verifier, &s, NOW + 1).unwrap());
        }));
    }
    {
        let token = token.clone();
        v.push(case("header/classify_api_key", None, move || {
            black_box(classify_api_key(black_box(&token), NOW + 1).unwrap());
        }));
    }
    {
        let s = OrgSettings::default();
        let store = InMemoryRevocation::new();
        for k in 0..100_000 {
            store.revoke(&format!("{k:032x}"), NOW + 86_400);
        }
        let pat = i.mint_pat("1", &Map::new(), &s, NOW).unwrap();
        let verifier = verifier.clone();
        v.push(case(
            "verify_refresh/ls_auth_100k_revoked",
            None,
            move || {
                black_box(
                    verifier
                        .verify_refresh(black_box(&pat), &s, &store, NOW + 1)
                        .unwrap(),
                );
            },
        ));
    }
    {
        let (mint, s) = (issuer(), OrgSettings::default());
        v.push(case("issue/mint_pat", None, move || {
            black_box(mint.mint_pat(black_box("1"), &Map::new(), &s, NOW).unwrap());
        }));
        let (refresh, s, store) = (issuer(), OrgSettings::default(), InMemoryRevocation::new());
        let pat = refresh.mint_pat("1", &Map::new(), &s, NOW).unwrap();
        v.push(case("issue/refresh", None, move || {
            black_box(
                refresh
                    .refresh(black_box(&pat), &s, &store, NOW + 1)
                    .unwrap(),
            );
        }));
    }
    eddsa_cases(&mut v);
    for (group, counts, claim) in [
        ("extra_flat", FLAT, flat_claim as fn(usize) -> Value),
        ("extra_nested", NESTED, nested_claim),
    ] {
        for n in counts {
            let token = access_token(n, claim);
            let input = token.rsplit_once('.').unwrap().0.to_owned();
            let verifier = verifier.clone();
            let t = token.clone();
            v.push(case(
                format!("{group}/verify_{n}"),
                Some(token.len()),
                move || {
                    black_box(verifier.verify_access(black_box(&t), NOW + 1).unwrap());
                },
            ));
            let key = ring_key.clone();
            v.push(case(
                format!("{group}/floor_{n}"),
                Some(token.len()),
                move || {
                    black_box(ring::hmac::sign(&key, black_box(input.as_bytes())));
                },
            ));
        }
    }
    v
}

/// A service's check of an EdDSA access token (issue 18): ls-auth with the issuer's published
/// JWK Set (and the same token found in a `VerifiedTokenCache`), the floor (ring's Ed25519 verify of the same signing input and signature), and
/// jsonwebtoken's EdDSA decode with the same public key.
fn eddsa_cases(v: &mut Vec<Case>) {
    use base64::Engine;

    let private = SigningKey::ed25519_seed("bench-kid", &[42; 32]).unwrap();
    let public = *private.ed25519_public_key().unwrap();
    let signer = Keyring::new(private)
        .with_fallback(SigningKey::hs256(SECRET.as_bytes(), Default::default()).unwrap());
    let jwks = signer.public_jwks();
    let issuer = Issuer::new(signer, TokenPolicy::default());
    let (s, store) = (OrgSettings::default(), InMemoryRevocation::new());
    let pat = issuer.mint_pat("1", &Map::new(), &s, NOW).unwrap();
    let token = issuer.refresh(&pat, &s, &store, NOW).unwrap();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let (input, signature) = (
        input.to_owned(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .unwrap(),
    );
    {
        let verifier = Verifier::new(Keyring::from_jwks(&jwks).unwrap(), TokenPolicy::default());
        let token = token.clone();
        v.push(case(
            "eddsa/verify_access_ls_auth",
            Some(token.len()),
            move || {
                black_box(verifier.verify_access(black_box(&token), NOW + 1).unwrap());
            },
        ));
    }
    {
        // The same token used again: found in the cache of verified tokens (a hit).
        let verifier = Verifier::new(Keyring::from_jwks(&jwks).unwrap(), TokenPolicy::default());
        let cache = VerifiedTokenCache::new(verifier, DEFAULT_CACHE_CAPACITY);
        cache.verify_access(&token, NOW).unwrap();
        let token = token.clone();
        v.push(case(
            "eddsa/verify_access_cached",
            Some(token.len()),
            move || {
                black_box(cache.verify_access(black_box(&token), NOW + 1).unwrap());
            },
        ));
    }
    v.push(case(
        "eddsa/floor_ring_ed25519",
        Some(token.len()),
        move || {
            let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &public);
            key.verify(black_box(input.as_bytes()), black_box(&signature))
                .unwrap();
        },
    ));
    {
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&jwks).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(set.find("bench-kid").unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.leeway = 0;
        validation.validate_exp = false; // the token is checked at a fixed `now`
        validation.required_spec_claims = ["exp"].into_iter().map(String::from).collect();
        v.push(case("eddsa/jsonwebtoken", Some(token.len()), move || {
            black_box(jsonwebtoken::decode::<Value>(black_box(&token), &key, &validation).unwrap());
        }));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let as_json = args.iter().any(|a| a == "--json");
    // `cargo bench` passes `--bench`; a filter is any other argument.
    let filter = args[1..]
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_default();
    let (batch, total) = if quick {
        (Duration::from_micros(200), Duration::from_secs(8))
    } else {
        (Duration::from_micros(300), Duration::from_secs(40))
    };
    let mut cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.name.contains(&filter))
        .collect();
    // Calibrate each batch to about `batch` long, warming up on the way.
    for c in &mut cases {
        loop {
            let t = Instant::now();
            (c.run)(c.iters);
            if t.elapsed() >= batch / 2 {
                break;
            }
            c.iters *= 2;
        }
    }
    let started = Instant::now();
    let mut rounds = 0u64;
    while started.elapsed() < total || rounds < 3 {
        for c in &mut cases {
            let t = Instant::now();
            (c.run)(c.iters);
            let ns = t.elapsed().as_nanos() as f64 / c.iters as f64;
            c.best_ns = c.best_ns.min(ns);
        }
        rounds += 1;
    }
    if as_json {
        let results: Map<String, Value> = cases
            .iter()
            .map(|c| (c.name.clone(), json!({"ns": c.best_ns, "bytes": c.bytes})))
            .collect();
        println!("{}", json!({"rounds": rounds, "cases": results}));
    } else {
        println!("{rounds} interleaved rounds; least ns per call of each case");
        for c in &cases {
            let bytes = c.bytes.map_or(String::new(), |b| format!("{b:>6} B"));
            println!("{:<40} {:>11.1} ns  {bytes}", c.name, c.best_ns);
        }
    }
}
