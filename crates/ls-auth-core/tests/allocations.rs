//! Heap allocations per verification, counted by a global allocator (the targets: at most
//! two for a successful verify of a Label Studio access token, none for a token refused
//! before the MAC check). One test function only: the counter is process-wide.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ls_auth_core::header::parse_authorization;
use ls_auth_core::*;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let out = f();
    (ALLOCATIONS.load(Ordering::SeqCst) - before, out)
}

#[test]
fn verification_allocates_only_the_claims() {
    const NOW: i64 = 1_700_000_000;
    let issuer = Issuer::with_random(
        Keyring::hs256("a-secret-key-of-at-least-32-bytes!").unwrap(),
        TokenPolicy::default(),
        dangerous::InsecureDeterministicRandom::new(3),
    );
    let settings = OrgSettings::default();
    let pat = issuer
        .mint_pat("1", &Default::default(), &settings, NOW)
        .unwrap();
    let access = issuer
        .refresh(&pat, &settings, &InMemoryRevocation::new(), NOW)
        .unwrap();
    let verifier = issuer.verifier();

    let (n, claims) = allocations_during(|| verifier.verify_access(&access, NOW + 1));
    let claims = claims.unwrap();
    assert_eq!(n, 1, "successful verify of a Label Studio access token");
    drop(claims);

    // Custom claims, flat and nested, stay in the claims' one text until first read.
    let custom: serde_json::Map<String, serde_json::Value> = (0..60)
        .map(|k| {
            let value = if k % 3 != 0 {
                serde_json::json!(format!("value-{k}"))
            } else {
                serde_json::json!({"id": k, "tags": ["a", "b"], "on": true})
            };
            (format!("claim_{k:03}"), value)
        })
        .collect();
    let pat = issuer.mint_pat("1", &custom, &settings, NOW).unwrap();
    let with_custom = issuer
        .refresh(&pat, &settings, &InMemoryRevocation::new(), NOW)
        .unwrap();
    let (n, claims) = allocations_during(|| verifier.verify_access(&with_custom, NOW + 1));
    let claims = claims.unwrap();
    assert_eq!(n, 1, "successful verify of a token with 60 custom claims");
    assert_eq!(claims.extra().len(), 60);

    let header = format!("Bearer {access}");
    let (n, principal) =
        allocations_during(|| authenticate(header.as_bytes(), verifier, &settings, NOW + 1));
    assert!(matches!(principal, Ok(Principal::Jwt(_))));
    assert_eq!(n, 1, "authenticate end to end");

    // Refusals before the MAC check: every error here has a static message.
    let (sig_start, _) = access.rsplit_once('.').unwrap();
    let refused = [
        ("not.a.jwt".to_owned(), "malformed_token"),
        ("a.b".to_owned(), "malformed_token"),
        (".".repeat(5000), "token_too_large"),
        (
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30.".to_owned(),
            "unsupported_algorithm",
        ),
        (format!("{sig_start}.!!"), "malformed_token"),
    ];
    for (token, code) in &refused {
        let (n, result) = allocations_during(|| verifier.verify_access(token, NOW));
        assert_eq!(result.unwrap_err().code(), *code);
        assert_eq!(n, 0, "refusing {code} before the MAC check");
    }
    let (n, result) = allocations_during(|| parse_authorization(header.as_bytes()));
    assert!(result.is_ok());
    assert_eq!(n, 0, "parse_authorization borrows the token");
}
