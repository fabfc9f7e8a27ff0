//! Criterion benches: each group holds our operation and its baselines, so ratios come from
//! one run. `scripts/bench` turns the estimates into the README's table.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ls_auth_core::client::classify_api_key;
use ls_auth_core::header::parse_authorization;
use ls_auth_core::*;
use serde_json::{Map, Value};

const SECRET: &str = "bench-secret-key-of-at-least-32-bytes!!";
const NOW: i64 = 1_700_000_000;

fn issuer() -> Issuer {
    Issuer::with_random(
        Keyring::hs256(SECRET).unwrap(),
        TokenPolicy::default(),
        dangerous::InsecureDeterministicRandom::new(1),
    )
}

/// A Label Studio-shaped access token (about 230 bytes) with `n` extra claims.
fn access_token(extra: usize) -> String {
    let i = issuer();
    let s = OrgSettings::default();
    let mut claims = Map::new();
    for k in 0..extra {
        claims.insert(format!("claim_{k:03}"), Value::from(format!("value-{k}")));
    }
    let pat = i.mint_pat("1", &claims, &s, NOW).unwrap();
    i.refresh(&pat, &s, &InMemoryRevocation::new(), NOW)
        .unwrap()
}

fn jsonwebtoken_validation() -> jsonwebtoken::Validation {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.leeway = 0;
    v.validate_exp = false; // the bench token is checked at a fixed `now`; see below
    v.required_spec_claims = ["exp"].into_iter().map(String::from).collect();
    v
}

fn verify_access(c: &mut Criterion) {
    let token = access_token(0);
    let verifier = issuer().verifier().clone();
    let (input, _) = token.rsplit_once('.').unwrap();
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
    let jwt_key = jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()).unwrap();
    let validation = jsonwebtoken_validation();

    let mut g = c.benchmark_group("verify_access");
    g.bench_function("ls_auth", |b| {
        b.iter(|| verifier.verify_access(black_box(&token), NOW + 1).unwrap())
    });
    g.bench_function("floor_ring_hmac", |b| {
        b.iter(|| ring::hmac::sign(&ring_key, black_box(input.as_bytes())))
    });
    g.bench_function("jsonwebtoken", |b| {
        b.iter(|| jsonwebtoken::decode::<Value>(black_box(&token), &jwt_key, &validation).unwrap())
    });
    g.finish();
}

fn verify_refresh(c: &mut Criterion) {
    let i = issuer();
    let s = OrgSettings::default();
    let store = InMemoryRevocation::new();
    for k in 0..100_000 {
        store.revoke(&format!("{k:032x}"), NOW + 86_400);
    }
    let pat = i.mint_pat("1", &Map::new(), &s, NOW).unwrap();
    let mut g = c.benchmark_group("verify_refresh");
    g.bench_function("ls_auth_100k_revoked", |b| {
        b.iter(|| {
            i.verifier()
                .verify_refresh(black_box(&pat), &s, &store, NOW + 1)
                .unwrap()
        })
    });
    g.finish();
}

fn issue(c: &mut Criterion) {
    let i = issuer();
    let s = OrgSettings::default();
    let store = InMemoryRevocation::new();
    let pat = i.mint_pat("1", &Map::new(), &s, NOW).unwrap();
    let mut g = c.benchmark_group("issue");
    g.bench_function("mint_pat", |b| {
        b.iter(|| i.mint_pat(black_box("1"), &Map::new(), &s, NOW).unwrap())
    });
    g.bench_function("refresh", |b| {
        b.iter(|| i.refresh(black_box(&pat), &s, &store, NOW + 1).unwrap())
    });
    g.finish();
}

fn header(c: &mut Criterion) {
    let token = access_token(0);
    let header = format!("Bearer {token}");
    let i = issuer();
    let s = OrgSettings::default();
    let mut g = c.benchmark_group("header");
    g.bench_function("parse_authorization", |b| {
        b.iter(|| parse_authorization(black_box(header.as_bytes())).unwrap())
    });
    g.bench_function("authenticate", |b| {
        b.iter(|| authenticate(black_box(header.as_bytes()), i.verifier(), &s, NOW + 1).unwrap())
    });
    g.bench_function("classify_api_key", |b| {
        b.iter(|| classify_api_key(black_box(&token), NOW + 1).unwrap())
    });
    g.finish();
}

fn claims_size(c: &mut Criterion) {
    let verifier = issuer().verifier().clone();
    let mut g = c.benchmark_group("extra_claims");
    for n in [0usize, 10, 100] {
        let token = access_token(n);
        g.throughput(criterion::Throughput::Bytes(token.len() as u64));
        g.bench_function(format!("verify_{n}"), |b| {
            b.iter(|| verifier.verify_access(black_box(&token), NOW + 1).unwrap())
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    verify_access,
    verify_refresh,
    issue,
    header,
    claims_size
);
criterion_main!(benches);
