//! The Rust half of the C-vs-Rust bench: the same token, key and loop as bench_verify.c, through
//! ls-auth-core directly. Prints `rust_ns_per_op=<n>`.
use std::hint::black_box;
use std::time::Instant;

use ls_auth_core::*;

fn main() {
    let iters: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let now = 1_700_000_000;
    let keyring =
        Keyring::hs256("django-insecure-ls-auth-bench-0123456789-abcdefghijklmnop").unwrap();
    let issuer = Issuer::with_random(
        keyring.clone(),
        TokenPolicy::default(),
        ls_auth_core::dangerous::InsecureFixedRandom::for_jti("6f1c0b5e2d3a4c8e9a7b1d2e3f405162")
            .unwrap(),
    );
    let settings = OrgSettings::default();
    let pat = issuer
        .mint_pat("1", &Default::default(), &settings, now)
        .unwrap();
    let access = issuer
        .refresh(&pat, &settings, &InMemoryRevocation::new(), now)
        .unwrap();
    let verifier = Verifier::new(keyring, TokenPolicy::default());
    for _ in 0..iters / 10 {
        black_box(verifier.verify_access(black_box(&access), now + 1).unwrap());
    }
    let start = Instant::now();
    for _ in 0..iters {
        black_box(verifier.verify_access(black_box(&access), now + 1).unwrap());
    }
    let per = start.elapsed().as_nanos() as f64 / f64::from(iters);
    println!("rust_ns_per_op={per:.1}");
}
