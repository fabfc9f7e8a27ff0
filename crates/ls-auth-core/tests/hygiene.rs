//! Secret hygiene (contract §4: no message or log shows a key or a token).
//!
//! 1. Property tests over random keys and tokens: `Debug` of every type that holds a key or a
//!    token, and the message (`Display` and `Debug`) of every error reachable from a random
//!    token, never contain the key, the whole token, or its signature segment.
//! 2. Zeroization, as far as it is true (see SECURITY.md): the core keeps no copy of the raw
//!    HMAC secret, so after the secret-holding values are dropped no freed heap block contains
//!    the secret. A scanning global allocator checks this, with a negative control proving the
//!    scanner sees an un-zeroized copy.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ls_auth_core::client::classify_api_key;
use ls_auth_core::client::AccessTokenCache;
use ls_auth_core::header::parse_authorization;
use ls_auth_core::header::www_authenticate;
use ls_auth_core::jws::truncate;
use ls_auth_core::legacy::check_legacy_key;
use ls_auth_core::legacy::generate_legacy_key;
use ls_auth_core::*;
use proptest::prelude::*;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

const NOW: i64 = 1_700_000_000;

// ---------------------------------------------------------------------------------------------
// 1. What is shown never contains a secret.

/// Every form in which a key could leak into text.
fn key_forms(key: &[u8]) -> Vec<String> {
    let mut forms = vec![
        String::from_utf8_lossy(key).into_owned(),
        key.iter().map(|b| format!("{b:02x}")).collect(),
        URL_SAFE_NO_PAD.encode(key),
        format!("{key:?}"),
    ];
    // A key shown byte by byte would start like this.
    forms.push(format!("{:?}", &key[..key.len().min(8)]));
    forms
}

/// Every form in which a token could leak: whole, and its signature segment (the part that makes
/// it a credential; `header.payload` is the server's public listing form).
fn token_forms(token: &str) -> Vec<String> {
    let mut forms = vec![token.to_owned()];
    if let Some((_, sig)) = token.rsplit_once('.') {
        if sig.len() >= 16 {
            forms.push(sig.to_owned());
        }
    }
    forms
}

fn assert_hidden(shown: &str, secrets: &[String], what: &str) {
    for s in secrets {
        assert!(
            s.len() < 8 || !shown.contains(s.as_str()),
            "{what} shows a secret: {shown}"
        );
    }
}

fn assert_error_hidden(e: &Error, secrets: &[String], what: &str) {
    assert_hidden(&e.to_string(), secrets, what);
    assert_hidden(&format!("{e:?}"), secrets, what);
    assert_hidden(e.message(), secrets, what);
    if let Some(challenge) = www_authenticate(e.kind()) {
        assert_hidden(&challenge, secrets, what);
    }
}

/// Text keys like Django's `SECRET_KEY`, and raw random bytes.
fn any_key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[a-zA-Z0-9!@#$%^&*(\\-_=+)]{32,80}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 32..100),
    ]
}

fn keyring(key: &[u8]) -> Keyring {
    Keyring::new(SigningKey::new(Algorithm::HS256, key).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn debug_of_key_holders_never_shows_a_key_or_token(
        key in any_key(),
        fallback in any_key(),
        user in "[0-9]{1,6}",
    ) {
        let ring = keyring(&key).with_fallback(SigningKey::new(Algorithm::HS384, &fallback).unwrap());
        let issuer = Issuer::new(ring.clone(), TokenPolicy::default());
        let settings = OrgSettings::default();
        let store = InMemoryRevocation::new();
        let pat = issuer.mint_pat(&user, &Map::new(), &settings, NOW).unwrap();
        let access = issuer.refresh(&pat, &settings, &store, NOW).unwrap();
        let rotation = issuer.rotate(&pat, &settings, &store, NOW).unwrap();
        let mut cache = AccessTokenCache::new(&rotation.pat, NOW).unwrap();
        cache.store_access(&access).unwrap();
        let legacy_cache =
            AccessTokenCache::new("0123456789abcdef0123456789abcdef01234567", NOW).unwrap();

        let mut secrets = key_forms(&key);
        secrets.extend(key_forms(&fallback));
        for t in [&pat, &access, &rotation.pat] {
            secrets.extend(token_forms(t));
        }
        secrets.push("0123456789abcdef0123456789abcdef01234567".into());
        let verifier = issuer.verifier().clone();
        let claims = verifier.verify_access(&access, NOW).unwrap();
        for (what, shown) in [
            ("SigningKey", format!("{:?} {:#?}", ring.signing_key(), ring.keys()[1])),
            ("Keyring", format!("{ring:?} {ring:#?}")),
            ("Verifier", format!("{verifier:?} {verifier:#?}")),
            ("Issuer", format!("{issuer:?} {issuer:#?}")),
            ("AccessTokenCache", format!("{cache:?} {cache:#?}")),
            ("AccessTokenCache(legacy)", format!("{legacy_cache:?}")),
            ("Claims", format!("{claims:?}")),
            ("InMemoryRevocation", format!("{store:?}")),
        ] {
            assert_hidden(&shown, &secrets, what);
        }
        // The cache hands the credential out only through the calls that exist for it.
        prop_assert_eq!(cache.authorization_value(NOW).unwrap(), format!("Bearer {access}"));
        prop_assert_eq!(legacy_cache.refresh_token(), None);
    }

    #[test]
    fn no_error_message_shows_the_key_or_the_token(
        key in any_key(),
        other_key in any_key(),
        short_key in "[a-zA-Z0-9]{8,31}",
        garbage in "[A-Za-z0-9_~+/-]{20,200}",
        dotted in "[A-Za-z0-9_-]{8,60}\\.[A-Za-z0-9_-]{8,60}\\.[A-Za-z0-9_-]{8,90}",
        flip in any::<usize>(),
        user in "[0-9]{1,6}",
    ) {
        let policy = TokenPolicy { issuer: Some("ls".into()), audience: Some("api".into()), ..TokenPolicy::default() };
        let issuer = Issuer::new(keyring(&key), policy.clone());
        let settings = OrgSettings::default();
        let store = InMemoryRevocation::new();
        let pat = issuer.mint_pat(&user, &Map::new(), &settings, NOW).unwrap();
        let access = issuer.refresh(&pat, &settings, &store, NOW).unwrap();
        let v = issuer.verifier();
        let wrong = Verifier::new(keyring(&other_key), policy.clone());
        let plain = Verifier::new(keyring(&key), TokenPolicy::default());
        let other_iss = Verifier::new(keyring(&key), TokenPolicy { issuer: Some("l".into()), ..policy.clone() });

        // Tampered variants: one character of the signature changed, signature removed,
        // a claim rewritten without re-signing, the truncated form.
        let (input, sig) = access.rsplit_once('.').unwrap();
        let i = flip % sig.len();
        let c = if sig.as_bytes()[i] == b'A' { "B" } else { "A" };
        let tampered = format!("{input}.{}{c}{}", &sig[..i], &sig[i + 1..]);
        let (head, _) = input.split_once('.').unwrap();
        let forged = format!("{head}.{}.{sig}", URL_SAFE_NO_PAD.encode(
            format!(r#"{{"token_type":"access","exp":{},"jti":"j","user_id":"0"}}"#, NOW + 99)));
        let truncated = truncate(&access).unwrap().to_owned();
        let padded = format!("{access}=");

        let mut secrets = key_forms(&key);
        secrets.extend(key_forms(&other_key));
        secrets.push(short_key.clone());
        for t in [&pat, &access, &tampered, &forged, &garbage, &dotted] {
            secrets.extend(token_forms(t));
        }
        let revoked = InMemoryRevocation::new();
        let jti = v.verify_refresh(&pat, &settings, &store, NOW).unwrap().jti().to_owned();
        revoked.revoke(&jti, i64::MAX);
        let ttl = OrgSettings { pat_ttl_days: 1, ..settings.clone() };
        let off = OrgSettings { api_tokens_enabled: false, legacy_api_tokens_enabled: false, ..settings.clone() };
        let legacy_on = OrgSettings { legacy_api_tokens_enabled: true, ..settings.clone() };

        let mut seen = std::collections::BTreeSet::new();
        let mut check = |what: &str, r: Result<()>, code: Option<&str>| {
            let e = r.expect_err(what);
            if let Some(code) = code {
                assert_eq!(e.code(), code, "{}", what);
            }
            seen.insert(e.code());
            assert_error_hidden(&e, &secrets, what);
        };
        let ok = |_| ();
        check("wrong key", wrong.verify_access(&access, NOW).map(ok), Some("invalid_signature"));
        check("tampered", v.verify_access(&tampered, NOW).map(ok), None);
        check("forged", v.verify_access(&forged, NOW).map(ok), Some("invalid_signature"));
        check("truncated", v.verify_access(&truncated, NOW).map(ok), Some("malformed_token"));
        check("padded", v.verify_access(&padded, NOW).map(ok), Some("malformed_token"));
        check("garbage", v.verify_access(&garbage, NOW).map(ok), Some("malformed_token"));
        check("dotted", v.verify_access(&dotted, NOW).map(ok), None);
        check("expired", v.verify_access(&access, NOW + 300).map(ok), Some("token_expired"));
        check("future", v.verify_access(&access, NOW - 1).map(ok), Some("issued_in_future"));
        check("pat as access", v.verify_access(&pat, NOW).map(ok), Some("wrong_token_type"));
        check("access as pat", v.verify_refresh(&access, &settings, &store, NOW).map(ok), Some("wrong_token_type"));
        check("aud unexpected", plain.verify_access(&access, NOW).map(ok), Some("invalid_claim"));
        check("iss mismatch", other_iss.verify_access(&access, NOW).map(ok), Some("invalid_claim"));
        check("revoked", v.verify_refresh(&pat, &settings, &revoked, NOW).map(ok), Some("token_revoked"));
        check("ttl", v.verify_refresh(&pat, &ttl, &store, NOW + 86_400).map(ok), Some("pat_ttl_exceeded"));
        check("refresh revoked", issuer.refresh(&pat, &settings, &revoked, NOW).map(|_| ()), Some("token_revoked"));
        check("rotate revoked", issuer.rotate(&pat, &settings, &revoked, NOW).map(|_| ()), Some("token_revoked"));
        check("too large", v.verify_access(&access.repeat(40), NOW).map(ok), Some("token_too_large"));
        check("short key", SigningKey::new(Algorithm::HS256, short_key.as_bytes()).map(|_| ()), Some("key_too_short"));
        check("short text key", Keyring::hs256(&short_key).map(|_| ()), Some("key_too_short"));
        for (what, header, s, code) in [
            ("bearer ok, kind off", format!("Bearer {access}"), &off, "token_kind_disabled"),
            ("bearer pat", format!("Bearer {pat}"), &settings, "wrong_token_type"),
            ("bearer tampered", format!("Bearer {tampered}"), &settings, ""),
            ("token jwt", format!("Token {access}"), &legacy_on, "wrong_token_type"),
            ("token garbage", format!("Token {garbage}"), &legacy_on, ""),
            ("bearer garbage", format!("Bearer {garbage}"), &settings, "wrong_token_type"),
            ("two tokens", format!("Bearer {access} {pat}"), &settings, "malformed_header"),
            ("bad char", format!("Bearer {access}!"), &settings, "malformed_header"),
            ("other scheme", format!("Basic {garbage}"), &settings, "unsupported_scheme"),
            ("huge header", format!("Bearer {}", access.repeat(40)), &settings, "header_too_large"),
        ] {
            let r = authenticate(header.as_bytes(), v, s, NOW).map(|_| ());
            check(what, r, (!code.is_empty()).then_some(code));
            check(what, parse_authorization(header.as_bytes()).map(|_| ()).and(Err(Error::new(ErrorKind::InvalidArgument))), None);
        }
        check("legacy form", check_legacy_key(&garbage), Some("malformed_token"));
        check("classify expired pat", classify_api_key(&pat, i64::MAX).map(|_| ()), Some("token_expired"));
        check("cache expired pat", AccessTokenCache::new(&pat, i64::MAX).map(|_| ()), Some("token_expired"));
        let mut cache = AccessTokenCache::new(&pat, NOW).unwrap();
        check("cache stores pat", cache.store_access(&pat), Some("wrong_token_type"));
        check("cache stores garbage", cache.store_access(&garbage), Some("malformed_token"));
        check("cache not refreshed", cache.authorization_value(NOW).map(|_| ()), Some("token_expired"));
        let mut extra = Map::new();
        extra.insert("nbf".into(), Value::from(garbage.clone()));
        check("mint with bad claim", issuer.mint_pat(&user, &extra, &settings, NOW).map(|_| ()), Some("invalid_argument"));
        prop_assert!(seen.len() >= 12, "only {:?}", seen);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. No freed heap block holds the raw secret.

/// Forwards to the system allocator; while armed, scans every block being freed for PATTERN.
/// `realloc` is not overridden, so the default (alloc, copy, dealloc) routes old blocks through
/// `dealloc` and they are scanned too.
struct Scanning;

const MAX_PATTERN: usize = 64;
static ARMED: AtomicBool = AtomicBool::new(false);
static PATTERN: [AtomicU8; MAX_PATTERN] = [const { AtomicU8::new(0) }; MAX_PATTERN];
static PATTERN_LEN: AtomicUsize = AtomicUsize::new(0);
static HITS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::SeqCst) {
            let len = PATTERN_LEN.load(Ordering::SeqCst);
            let mut pattern = [0u8; MAX_PATTERN];
            for (p, a) in pattern.iter_mut().zip(&PATTERN) {
                *p = a.load(Ordering::SeqCst);
            }
            // SAFETY: the caller guarantees `ptr` is a live block of `layout.size()` bytes.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if len > 0 && block.windows(len).any(|w| w == &pattern[..len]) {
                HITS.fetch_add(1, Ordering::SeqCst);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Scanning = Scanning;

/// Only one scanning test at a time (the pattern is global).
static SCAN_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` with the scanner armed for `secret`, returning how many freed blocks held it.
fn freed_blocks_holding(secret: &[u8], f: impl FnOnce()) -> usize {
    let _guard = SCAN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    assert!(secret.len() <= MAX_PATTERN);
    for (a, &b) in PATTERN.iter().zip(secret) {
        a.store(b, Ordering::SeqCst);
    }
    PATTERN_LEN.store(secret.len(), Ordering::SeqCst);
    HITS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    f();
    ARMED.store(false, Ordering::SeqCst);
    HITS.load(Ordering::SeqCst)
}

/// A 48-byte secret from the system RNG, held in a block that is zeroized before it is freed.
fn random_secret() -> Zeroizing<Vec<u8>> {
    let mut secret = Zeroizing::new(vec![0u8; 48]);
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret[..]).unwrap();
    secret
}

#[test]
fn the_scanner_sees_an_unzeroized_copy() {
    let secret = random_secret();
    let pattern = secret.to_vec();
    let hits = freed_blocks_holding(&pattern, || {
        let leaked_copy: Vec<u8> = secret.to_vec();
        drop(std::hint::black_box(leaked_copy));
    });
    assert_eq!(
        hits, 1,
        "negative control: a plain Vec copy must be seen when freed"
    );
    let hits = freed_blocks_holding(&pattern, || {
        let zeroized_copy = Zeroizing::new(secret.to_vec());
        drop(std::hint::black_box(zeroized_copy));
    });
    assert_eq!(hits, 0, "a Zeroizing copy is wiped before it is freed");
}

#[test]
fn no_freed_block_holds_the_hmac_secret() {
    let secret = random_secret();
    let pattern = secret.to_vec();
    let text_secret = Zeroizing::new(URL_SAFE_NO_PAD.encode(&secret[..]));
    let text_pattern = text_secret.as_bytes()[..MAX_PATTERN].to_vec();

    let work = |secret: &[u8]| {
        // Every way the core takes a key, and every operation that uses it; everything is
        // dropped before the scanner is disarmed.
        let primary = SigningKey::new(Algorithm::HS256, secret).unwrap();
        let fallback = SigningKey::new_allowing_short_key(Algorithm::HS512, secret).unwrap();
        let ring = Keyring::new(primary).with_fallback(fallback);
        let issuer = Issuer::new(ring.clone(), TokenPolicy::default());
        let settings = OrgSettings::default();
        let store = InMemoryRevocation::new();
        let pat = issuer.mint_pat("1", &Map::new(), &settings, NOW).unwrap();
        let access = issuer.refresh(&pat, &settings, &store, NOW).unwrap();
        let rotated = issuer.rotate(&pat, &settings, &store, NOW).unwrap();
        let verifier = Verifier::new(ring, TokenPolicy::default());
        verifier.verify_access(&access, NOW).unwrap();
        verifier
            .verify_refresh(&rotated.pat, &settings, &store, NOW)
            .unwrap();
        let header = format!("Bearer {access}");
        authenticate(header.as_bytes(), &verifier, &settings, NOW).unwrap();
        let _ = format!("{issuer:?}{verifier:?}");
    };
    assert_eq!(freed_blocks_holding(&pattern, || work(&secret[..])), 0);
    assert_eq!(
        freed_blocks_holding(&text_pattern, || {
            let keyring = Keyring::hs256(&text_secret).unwrap();
            let issuer = Issuer::new(keyring, TokenPolicy::default());
            let pat = issuer
                .mint_pat("1", &Map::new(), &OrgSettings::default(), NOW)
                .unwrap();
            drop(std::hint::black_box(pat));
        }),
        0
    );
}

#[test]
fn generated_legacy_keys_leave_no_freed_copy() {
    // The key is the caller's to keep; the raw random bytes behind it are zeroized, and no
    // heap block holding the key is freed along the way except the caller's own String.
    let rng = dangerous::InsecureDeterministicRandom::new(7);
    let expected = generate_legacy_key(&dangerous::InsecureDeterministicRandom::new(7)).unwrap();
    let mut key = None;
    let hits = freed_blocks_holding(expected.as_bytes(), || {
        key = Some(generate_legacy_key(&rng).unwrap());
    });
    assert_eq!(key.as_deref(), Some(expected.as_str()));
    assert_eq!(hits, 0);
}

// ---------------------------------------------------------------------------------------------
// 3. The core reads no clock and does no I/O (contract §3.8): checked on its source.

#[test]
fn the_core_reads_no_clock_and_does_no_io() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = 0;
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        // A `SystemTime` the host read may be passed in (`unix_time`); reading one may not.
        for forbidden in [
            "SystemTime::now",
            "elapsed(",
            "Instant::now",
            "chrono::Utc::now",
            "Local::now",
            "std::fs",
            "std::net",
            "std::env",
            "std::process",
            "std::io::stdin",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}",
                path.display()
            );
        }
    }
    assert!(files >= 10, "found only {files} source files");
}
