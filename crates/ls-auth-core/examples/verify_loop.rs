//! Verifies one Label Studio access token N times: a steady workload for profilers
//! (`valgrind --tool=callgrind`), used by `scripts/bench` for instruction counts.
//!
//! Usage: `verify_loop [ITERATIONS] [ls_auth|jsonwebtoken|floor]`

use ls_auth_core::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let which = args.next().unwrap_or_else(|| "ls_auth".into());
    let secret = "bench-secret-key-of-at-least-32-bytes!!";
    let now = 1_700_000_000;
    let issuer = Issuer::with_random(
        Keyring::hs256(secret).unwrap(),
        TokenPolicy::default(),
        dangerous::InsecureDeterministicRandom::new(1),
    );
    let s = OrgSettings::default();
    let pat = issuer.mint_pat("1", &Default::default(), &s, now).unwrap();
    let token = issuer
        .refresh(&pat, &s, &InMemoryRevocation::new(), now)
        .unwrap();
    let verifier = issuer.verifier();
    let key = jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let signing_input = token.rsplit_once('.').unwrap().0.to_owned();
    let mut ok = 0u64;
    for _ in 0..n {
        let token = std::hint::black_box(token.as_str());
        ok += match which.as_str() {
            "jsonwebtoken" => u64::from(
                jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).is_ok(),
            ),
            "floor" => u64::from(
                ring::hmac::sign(&ring_key, std::hint::black_box(signing_input.as_bytes()))
                    .as_ref()
                    .len()
                    == 32,
            ),
            _ => u64::from(verifier.verify_access(token, now + 1).is_ok()),
        };
    }
    assert_eq!(ok, n);
}
