//! Memory soak: verifications and refreshes in one process, the resident set size
//! printed before and after. Run by `scripts/bench` (step `soak`), never by the tests.
//!
//! Usage: `soak [VERIFICATIONS] [REFRESHES]` (default 10,000,000 and 1,000,000). Prints
//! `rss_before_kib=`, `rss_after_kib=` and the counts; "before" is taken after a warm-up of
//! 1% of each, so that allocator pools and lazily built tables are already in place.

use std::hint::black_box;

use ls_auth_core::*;
use serde_json::{Map, Value};

/// Resident set size in KiB, from /proc/self/statm (pages).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn main() {
    let mut args = std::env::args().skip(1);
    let verifications: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let refreshes: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let now = 1_700_000_000;
    let issuer = Issuer::with_random(
        Keyring::hs256("soak-secret-key-of-at-least-32-bytes!!").unwrap(),
        TokenPolicy::default(),
        dangerous::InsecureDeterministicRandom::new(7),
    );
    let settings = OrgSettings::default();
    let revoked = InMemoryRevocation::new();
    let mut claims = Map::new();
    let org: Value = serde_json::json!({"id": 1, "roles": ["a"]});
    claims.insert("org".into(), org);
    let pat = issuer.mint_pat("1", &claims, &settings, now).unwrap();
    let access = issuer.refresh(&pat, &settings, &revoked, now).unwrap();
    let verifier = issuer.verifier();
    let run = |v: u64, r: u64| {
        for i in 0..v {
            let c = verifier.verify_access(black_box(&access), now + 1).unwrap();
            // Every 16th call reads the extra claims too, so their lazy values are soaked.
            if i % 16 == 0 {
                black_box(c.extra().len());
            }
        }
        for _ in 0..r {
            black_box(
                issuer
                    .refresh(black_box(&pat), &settings, &revoked, now + 1)
                    .unwrap(),
            );
        }
    };
    run(verifications / 100, refreshes / 100);
    let before = rss_kib();
    run(verifications, refreshes);
    let after = rss_kib();
    println!("verifications={verifications}");
    println!("refreshes={refreshes}");
    println!("rss_before_kib={before}");
    println!("rss_after_kib={after}");
}
