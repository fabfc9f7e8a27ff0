//! The bodies of ls-auth's fuzz targets.
//!
//! Each `pub fn <target>(data: &[u8])` is what the libFuzzer binary of the same name runs, and
//! what `tests/replay.rs` runs on every file of `corpus/<target>/` and `regressions/<target>/`
//! on the stable toolchain. A body never returns an error: it panics when the core misbehaves.
//!
//! Besides "never panic", the bodies check the core against an independent oracle written here
//! from contract §2–§3 (not from the core's code): whenever the core accepts something, the oracle
//! must agree that every rule holds, and the MAC is recomputed with `ring::hmac` from the raw
//! key bytes. A fuzzer cannot forge MACs, so each JWS input is also tried *re-signed* with the
//! fixed key, and as a raw JSON payload wrapped into a signed token: the claim rules then get
//! exercised behind a valid signature.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ls_auth_core::{authenticate as core_authenticate, Algorithm, Claims, Error, ErrorKind, InMemoryRevocation, Keyring, OrgSettings, Principal, SigningKey, TokenPolicy, TokenType, Verifier};
use ls_auth_core::client::{classify_api_key as core_classify, AccessTokenCache, ApiKeyKind};
use ls_auth_core::header::{parse_authorization as core_parse_authorization, Credential, MAX_HEADER_LEN};
use ls_auth_core::jws::{decode_unverified, truncate, MAX_TOKEN_LEN};
use ls_auth_core::legacy::{check_legacy_key, is_legacy_key, legacy_key_digest, legacy_keys_equal};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

mod c_abi;
pub use c_abi::c_abi;

/// The clock of every target.
pub const NOW: i64 = 1_700_000_000;
/// The key that signs: HS256 over these bytes. `scripts/seed-fuzz-corpus` mints seeds with it.
pub const KEY: &[u8] = b"ls-auth-fuzz-primary-key-0123456789";
/// A fallback key (contract §3.7): verifies, never signs.
pub const FALLBACK_KEY: &[u8] = b"ls-auth-fuzz-fallback-key-0123456789";
/// A `jti` the revocation store of the refresh checks holds.
pub const REVOKED_JTI: &str = "0000000000000000000000000000dead";
/// `{"alg":"HS256","typ":"JWT"}`, the header of wrapped payloads.
const HS256_HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// A target: its name (the libFuzzer binary's and the corpus directory's) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name: the replay test iterates over this.
pub const TARGETS: &[Target] = &[
    ("parse_authorization", parse_authorization),
    ("verify_jws", verify_jws),
    ("classify_api_key", classify_api_key),
    ("authenticate", authenticate),
    ("legacy_key", legacy_key),
    ("c_abi", c_abi),
];

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let keyring = Keyring::new(SigningKey::new(Algorithm::HS256, KEY).unwrap())
            .with_fallback(SigningKey::new(Algorithm::HS256, FALLBACK_KEY).unwrap());
        Verifier::new(keyring, TokenPolicy::default())
    })
}

fn revocation() -> &'static InMemoryRevocation {
    static R: OnceLock<InMemoryRevocation> = OnceLock::new();
    R.get_or_init(|| {
        let r = InMemoryRevocation::new();
        r.revoke(REVOKED_JTI, i64::MAX);
        r
    })
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&k, data).as_ref().to_vec()
}

/// `input.<HS256 MAC of input under KEY>`.
pub fn resign(signing_input: &str) -> String {
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(mac(KEY, signing_input.as_bytes()))
    )
}

/// A signed token whose payload is exactly `payload` (any bytes).
pub fn wrap_payload(payload: &[u8]) -> String {
    resign(&format!(
        "{HS256_HEADER}.{}",
        URL_SAFE_NO_PAD.encode(payload)
    ))
}

/// A signed token from `header \n payload` (both any bytes), when `data` has a newline.
fn wrap_header_and_payload(data: &[u8]) -> Option<String> {
    let nl = data.iter().position(|&b| b == b'\n')?;
    Some(resign(&format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&data[..nl]),
        URL_SAFE_NO_PAD.encode(&data[nl + 1..])
    )))
}

/// The JWS inputs derived from one fuzz input: as is, re-signed, and wrapped.
fn jws_candidates(data: &[u8]) -> Vec<String> {
    let mut out = Vec::with_capacity(4);
    if let Ok(s) = std::str::from_utf8(data) {
        out.push(s.to_owned());
        // Re-sign whatever stands before the last dot (or the whole input).
        let input = s.rsplit_once('.').map_or(s, |(head, _)| head);
        out.push(resign(input));
    }
    out.push(wrap_payload(data));
    out.extend(wrap_header_and_payload(data));
    out
}

// ---------------------------------------------------------------------------------------------
// The oracle: contract §3, written independently of the core.

/// A JSON object read with every member kept in order, duplicates included.
struct Members(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    v.push(entry);
                }
                Ok(Members(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON object with unique keys, or `None`.
fn unique_object(bytes: &[u8]) -> Option<Vec<(String, Value)>> {
    let Members(members) = serde_json::from_slice(bytes).ok()?;
    let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    (names.len() == before).then_some(members)
}

fn get<'a>(members: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A canonical unpadded base64url segment, decoded.
fn canonical_b64(segment: &str) -> Option<Vec<u8>> {
    if segment
        .bytes()
        .any(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    (URL_SAFE_NO_PAD.encode(&bytes) == segment).then_some(bytes)
}

/// A JSON integer that fits i64 (never a float, a string, a bool or null).
fn json_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) if !n.is_f64() => n.as_i64(),
        _ => None,
    }
}

/// Panics unless `token` satisfies every rule of contract §3 for `expected` at `NOW` under the
/// fuzz keyring and the default policy (leeway 0, no issuer, no audience), and `claims` is
/// what it says.
fn assert_valid(token: &str, expected: TokenType, claims: &Claims) {
    // §3.1 size cap.
    assert!(token.len() <= MAX_TOKEN_LEN, "accepted a token over 4 KiB");
    // §3.2 three canonical segments.
    let segments: Vec<&str> = token.split('.').collect();
    assert_eq!(segments.len(), 3, "accepted {} segments", segments.len());
    let header = canonical_b64(segments[0]).expect("accepted a non-canonical header segment");
    let payload = canonical_b64(segments[1]).expect("accepted a non-canonical payload segment");
    let signature = canonical_b64(segments[2]).expect("accepted a non-canonical signature segment");
    // §3.3 header.
    let header = unique_object(&header).expect("accepted a header that is not a unique-key object");
    assert_eq!(
        get(&header, "alg"),
        Some(&Value::from("HS256")),
        "accepted an alg other than HS256"
    );
    if let Some(typ) = get(&header, "typ") {
        assert_eq!(typ, &Value::from("JWT"), "accepted a typ other than JWT");
    }
    assert!(get(&header, "crit").is_none(), "accepted a crit header");
    // §3.4 the MAC, recomputed from the raw key bytes.
    let signing_input = &token[..segments[0].len() + 1 + segments[1].len()];
    let valid = [KEY, FALLBACK_KEY].iter().any(|key| {
        ring::hmac::verify(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key),
            signing_input.as_bytes(),
            &signature,
        )
        .is_ok()
    });
    assert!(valid, "accepted a token whose MAC no key produces");
    // §3.5 claims.
    let c = unique_object(&payload).expect("accepted a payload that is not a unique-key object");
    let exp = get(&c, "exp").map(|v| json_int(v).expect("accepted a non-integer exp"));
    let exp = exp.expect("accepted a token without exp");
    assert!(
        exp > NOW,
        "accepted an expired token (exp {exp} <= now {NOW})"
    );
    let iat = get(&c, "iat").map(|v| json_int(v).expect("accepted a non-integer iat"));
    assert!(
        iat.is_none_or(|iat| iat <= NOW),
        "accepted an iat in the future"
    );
    let nbf = get(&c, "nbf").map(|v| json_int(v).expect("accepted a non-integer nbf"));
    assert!(
        nbf.is_none_or(|nbf| nbf <= NOW),
        "accepted an nbf in the future"
    );
    assert_eq!(
        get(&c, "token_type"),
        Some(&Value::from(expected.as_str())),
        "accepted the wrong token_type"
    );
    let jti = match get(&c, "jti") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        other => panic!("accepted jti {other:?}"),
    };
    let user_id = match get(&c, "user_id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(v) if json_int(v).is_some() => json_int(v).unwrap().to_string(),
        other => panic!("accepted user_id {other:?}"),
    };
    // Identifiers never carry a NUL, which would truncate them as C strings.
    assert!(
        !jti.contains('\0') && !user_id.contains('\0'),
        "accepted a NUL in an identifier"
    );
    if let Some(iss) = get(&c, "iss") {
        assert!(iss.is_string(), "accepted a non-string iss");
    }
    assert!(
        get(&c, "aud").is_none(),
        "accepted an aud with no audience configured"
    );
    // What the core reports is what the token says.
    assert_eq!(claims.token_type(), expected);
    assert_eq!(claims.exp(), exp);
    assert_eq!(claims.iat(), iat);
    assert_eq!(claims.nbf(), nbf);
    assert_eq!(claims.jti(), jti);
    assert_eq!(claims.user_id(), user_id);
    // Extra claims are read from the payload text on first use: the same members, in order.
    let registered = ls_auth_core::REGISTERED_CLAIMS;
    let extra: Vec<(String, Value)> = c
        .iter()
        .filter(|(k, _)| !registered.contains(&k.as_str()))
        .cloned()
        .collect();
    assert_eq!(claims.extra(), extra.as_slice(), "extra claims differ");
    if expected == TokenType::Refresh {
        // Default settings: the TTL policy applies to existing PATs, and REVOKED_JTI is revoked.
        let iat = iat.expect("accepted a PAT without iat while the TTL policy is on");
        let ttl = i64::from(OrgSettings::default().pat_ttl_days) * 86_400;
        assert!(
            iat.saturating_add(ttl) > NOW,
            "accepted a PAT older than the TTL"
        );
        assert_ne!(jti, REVOKED_JTI, "accepted a revoked PAT");
    }
}

/// Error messages never carry the input (contract §4). Fixed messages contain spaces,
/// so any space-free input of 20+ bytes found in one would be a leak.
fn assert_no_leak(error: &Error, input: &str) {
    assert!(
        ErrorKind::from_code(error.code()) == Some(error.kind()),
        "unstable code"
    );
    if input.len() >= 20 && !input.contains(' ') {
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains(input),
            "an error message contains the input"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The targets.

/// `parse_authorization` on raw header bytes.
pub fn parse_authorization(data: &[u8]) {
    match core_parse_authorization(data) {
        Ok(cred) => {
            assert!(data.len() <= MAX_HEADER_LEN);
            let token = cred.token();
            // token68: 1*(ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/") *"="
            let body = token.trim_end_matches('=');
            assert!(!body.is_empty(), "accepted an empty token68");
            assert!(
                body.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)),
                "accepted a character outside token68"
            );
            // The scheme is the first word of the trimmed value, matched case-insensitively.
            let trimmed = data
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .map_or(&data[..0], |i| &data[i..]);
            let scheme = &trimmed[..trimmed.iter().position(|&b| b == b' ').unwrap()];
            match cred {
                Credential::Bearer(_) => assert!(scheme.eq_ignore_ascii_case(b"bearer")),
                Credential::Token(_) => assert!(scheme.eq_ignore_ascii_case(b"token")),
            }
            // What we build parses back to the same credential.
            let rebuilt = cred.header_value();
            assert_eq!(core_parse_authorization(rebuilt.as_bytes()).unwrap(), cred);
        }
        Err(e) => {
            let expected = [
                ErrorKind::NoCredentials,
                ErrorKind::UnsupportedScheme,
                ErrorKind::MalformedHeader,
                ErrorKind::HeaderTooLarge,
            ];
            assert!(expected.contains(&e.kind()), "unexpected {}", e.code());
            assert_eq!(
                e.kind() == ErrorKind::HeaderTooLarge,
                data.len() > MAX_HEADER_LEN
            );
            if e.kind() == ErrorKind::NoCredentials {
                assert!(data.iter().all(|&b| b == b' ' || b == b'\t'));
            }
            assert!(matches!(e.http_status(), 400 | 401));
            if let Ok(s) = std::str::from_utf8(data) {
                assert_no_leak(&e, s);
            }
        }
    }
}

/// contract §3.2: a token under the cap, in three segments, one of which is not canonical
/// unpadded base64url. Its error is `malformed_token` whatever its header and signature say:
/// structure is checked before the header is read and before the MAC.
fn structurally_broken(token: &str) -> bool {
    let segments: Vec<&str> = token.split('.').collect();
    token.len() <= MAX_TOKEN_LEN
        && segments.len() == 3
        && segments.iter().any(|s| canonical_b64(s).is_none())
}

fn assert_refusal(e: &Error, token: &str) {
    assert_no_leak(e, token);
    if structurally_broken(token) {
        assert_eq!(
            e.kind(),
            ErrorKind::MalformedToken,
            "a structurally broken token refused as {}",
            e.code()
        );
    }
}

fn check_verify(token: &str) {
    let v = verifier();
    match v.verify_access(token, NOW) {
        Ok(claims) => assert_valid(token, TokenType::Access, &claims),
        Err(e) => assert_refusal(&e, token),
    }
    match v.verify_refresh(token, &OrgSettings::default(), revocation(), NOW) {
        Ok(claims) => assert_valid(token, TokenType::Refresh, &claims),
        Err(e) => assert_refusal(&e, token),
    }
    // Shape-only readers must not panic either.
    let _ = decode_unverified(token);
    if let Ok(t) = truncate(token) {
        assert!(token.starts_with(t) && t.matches('.').count() == 1);
    }
}

/// JWS decode and verify with the fixed keyring, for access tokens and PATs.
pub fn verify_jws(data: &[u8]) {
    for token in jws_candidates(data) {
        check_verify(&token);
    }
    // Wrapped tokens are canonical base64url by construction (encoded by the base64 crate):
    // the core's decoder must never refuse them as such.
    let wrapped = [Some(wrap_payload(data)), wrap_header_and_payload(data)];
    for token in wrapped.into_iter().flatten() {
        if let Err(e) = verifier().verify_access(&token, NOW) {
            assert!(
                !(e.kind() == ErrorKind::MalformedToken && e.message().contains("base64")),
                "canonical base64url refused: {e}"
            );
        }
    }
}

/// The SDK's classification and the access-token cache, on any string.
pub fn classify_api_key(data: &[u8]) {
    let Ok(key) = std::str::from_utf8(data) else {
        return;
    };
    let wrapped = wrap_payload(data);
    for key in [key, wrapped.as_str()] {
        let peeked = decode_unverified(key).ok().filter(|t| !t.truncated);
        match core_classify(key, NOW) {
            Ok(ApiKeyKind::Legacy) => assert!(peeked.is_none(), "a JWT classified as legacy"),
            Ok(kind) => {
                let t = peeked.expect("a non-JWT classified as a JWT");
                let exp = t.claims.get("exp").and_then(Value::as_i64).expect("no exp");
                let tt = t.claims.get("token_type").and_then(Value::as_str);
                match kind {
                    ApiKeyKind::Pat => {
                        assert_eq!(tt, Some("refresh"));
                        assert!(exp > NOW, "an expired PAT classified as usable");
                    }
                    ApiKeyKind::Access => assert_eq!(tt, Some("access")),
                    ApiKeyKind::Legacy => unreachable!(),
                }
            }
            Err(e) => {
                assert!(key.is_empty() || peeked.is_some(), "{}", e.code());
                assert_no_leak(&e, key);
            }
        }
        if let Ok(mut cache) = AccessTokenCache::new(key, NOW) {
            let shown = format!("{cache:?}");
            // A JWT has dots and a legacy key is 40 hex characters; the redacted Debug text has
            // neither, so finding such a key in it is a leak. (Any other string might simply be
            // a piece of the Debug text itself: the fuzzer found that one.)
            if key.contains('.') || is_legacy_key(key) {
                assert!(!shown.contains(key), "Debug shows the API key");
            }
            let _ = cache.needs_refresh(NOW);
            let _ = cache.store_access(key);
            let _ = cache.store_access(&wrapped);
            if let Ok(value) = cache.authorization_value(NOW) {
                assert!(value.starts_with("Bearer ") || value.starts_with("Token "));
            }
        }
    }
}

fn check_authenticate(header: &[u8]) {
    let parsed = core_parse_authorization(header);
    for (api, legacy) in [(true, false), (true, true), (false, true), (false, false)] {
        let settings = OrgSettings {
            api_tokens_enabled: api,
            legacy_api_tokens_enabled: legacy,
            ..OrgSettings::default()
        };
        match core_authenticate(header, verifier(), &settings, NOW) {
            Ok(Principal::Jwt(claims)) => {
                assert!(api, "a JWT authenticated with PATs disabled");
                match parsed {
                    Ok(Credential::Bearer(t)) => assert_valid(t, TokenType::Access, &claims),
                    other => panic!("a JWT authenticated from {other:?}"),
                }
            }
            Ok(Principal::LegacyKey(key)) => {
                assert!(
                    legacy,
                    "a legacy key authenticated with legacy keys disabled"
                );
                assert_eq!(parsed, Ok(Credential::Token(&key)));
                assert!(
                    key.len() == 40 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                    "a malformed legacy key authenticated"
                );
            }
            Err(e) => {
                if let Err(p) = &parsed {
                    assert_eq!(e.kind(), p.kind(), "header errors are the parser's");
                }
                if let Ok(s) = std::str::from_utf8(header) {
                    assert_no_leak(&e, s);
                }
                if let Ok(c) = parsed {
                    assert_no_leak(&e, c.token());
                }
            }
        }
    }
}

/// `authenticate` on raw header bytes, under every combination of enabled kinds; a Bearer
/// token is also tried re-signed with the fixed key.
pub fn authenticate(data: &[u8]) {
    check_authenticate(data);
    if let Ok(Credential::Bearer(t)) = core_parse_authorization(data) {
        let input = t.rsplit_once('.').map_or(t, |(head, _)| head);
        check_authenticate(format!("Bearer {}", resign(input)).as_bytes());
    }
    let wrapped = format!("Bearer {}", wrap_payload(data));
    check_authenticate(wrapped.as_bytes());
}

/// The legacy key form check, constant-time comparison and digest.
pub fn legacy_key(data: &[u8]) {
    let Ok(key) = std::str::from_utf8(data) else {
        return;
    };
    let form = key.len() == 40 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    assert_eq!(is_legacy_key(key), form);
    match check_legacy_key(key) {
        Ok(()) => assert!(form),
        Err(e) => {
            assert!(!form);
            assert_eq!(e.kind(), ErrorKind::MalformedToken);
            assert_no_leak(&e, key);
        }
    }
    assert!(legacy_keys_equal(key, key));
    let mid = (0..=key.len() / 2)
        .rev()
        .find(|&i| key.is_char_boundary(i))
        .unwrap_or(0);
    let (a, b) = key.split_at(mid);
    assert_eq!(legacy_keys_equal(a, b), a == b);
    let digest = legacy_key_digest(key);
    assert_eq!(digest.len(), 64);
    assert!(digest
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    assert_ne!(digest, key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_tokens_verify() {
        let payload = format!(
            r#"{{"token_type":"access","exp":{},"jti":"j","user_id":"1"}}"#,
            NOW + 10
        );
        let token = wrap_payload(payload.as_bytes());
        let claims = verifier().verify_access(&token, NOW).unwrap();
        assert_valid(&token, TokenType::Access, &claims);
        verify_jws(payload.as_bytes());
    }

    #[test]
    fn structure_comes_before_the_signature() {
        let token = wrap_payload(br#"{"token_type":"access","exp":1,"jti":"j","user_id":"1"}"#);
        let (head, sig) = token.rsplit_once('.').unwrap();
        let (h, p) = head.split_once('.').unwrap();
        for damaged in [format!("{h}.{p}=.{sig}"), format!("{h}.{p} .{sig}")] {
            assert!(structurally_broken(&damaged));
            check_verify(&damaged);
        }
        assert!(!structurally_broken(&token));
    }

    #[test]
    #[should_panic(expected = "accepted an expired token")]
    fn the_oracle_catches_an_expired_token() {
        let payload = format!(r#"{{"token_type":"access","exp":{NOW},"jti":"j","user_id":"1"}}"#);
        let token = wrap_payload(payload.as_bytes());
        // Verified one second earlier, it is valid; the oracle judges it at NOW.
        let claims = verifier().verify_access(&token, NOW - 1).unwrap();
        assert_valid(&token, TokenType::Access, &claims);
    }
}
