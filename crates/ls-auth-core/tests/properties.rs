//! Property tests: mint→verify round trips, single-byte tampering (contract §3), and the
//! parsers' totality on arbitrary input.

use ls_auth_core::client::classify_api_key;
use ls_auth_core::header::{parse_authorization, Credential};
use ls_auth_core::jws::{decode_unverified, MAX_TOKEN_LEN};
use ls_auth_core::{
    InMemoryRevocation, Issuer, Keyring, OrgSettings, RevocationStore, TokenPolicy,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

const SECRET: &str = "property-test-secret-key-0123456789abcdef";

/// Names an issuer sets itself or that carry registered meaning (and so a type rule).
const REGISTERED: [&str; 8] = [
    "token_type",
    "exp",
    "iat",
    "jti",
    "user_id",
    "nbf",
    "iss",
    "aud",
];

fn issuer(seed: u64) -> Issuer {
    Issuer::with_random(
        Keyring::hs256(SECRET).unwrap(),
        TokenPolicy::default(),
        ls_auth_core::dangerous::InsecureDeterministicRandom::new(seed),
    )
}

/// Any JSON value a host might put in a claim: finite numbers, any text, nesting.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn extra_claims() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec(
        (
            any::<String>().prop_filter("not registered", |k| !REGISTERED.contains(&k.as_str())),
            json_value(),
        ),
        0..6,
    )
    .prop_map(|kv| kv.into_iter().collect())
}

fn user_id() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u64..10_000_000).prop_map(|n| n.to_string()),
        any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// What we mint verifies, with the same user and extra claims in the same order; so does the
    /// access token refreshed from it. A token over the size cap is never minted.
    #[test]
    fn mint_verify_round_trip(
        user in user_id(),
        extra in extra_claims(),
        now in 0i64..4_000_000_000,
        ttl_days in 1u32..=73_000,
        later in 0i64..86_400,
        seed in any::<u64>(),
    ) {
        let issuer = issuer(seed);
        let settings = OrgSettings { pat_ttl_days: ttl_days, ..OrgSettings::default() };
        let store = InMemoryRevocation::new();
        let pat = match issuer.mint_pat(&user, &extra, &settings, now) {
            Ok(pat) => pat,
            Err(e) => {
                // The only refusal for valid input: the token would exceed the cap.
                prop_assert_eq!(e.code(), "invalid_argument");
                return Ok(());
            }
        };
        prop_assert!(pat.len() <= MAX_TOKEN_LEN, "minted a {}-byte PAT", pat.len());
        let at = now + later.min(i64::from(ttl_days) * 86_400 - 1);
        let claims = issuer.verifier().verify_refresh(&pat, &settings, &store, at)
            .map_err(|e| TestCaseError::fail(format!("{}: {}", e.code(), e)))?;
        prop_assert_eq!(claims.user_id(), user.as_str());
        prop_assert_eq!(claims.iat(), Some(now));
        prop_assert_eq!(claims.exp(), now + i64::from(ttl_days) * 86_400);
        let got: Vec<(String, Value)> = claims.extra().to_vec();
        let want: Vec<(String, Value)> = extra.clone().into_iter().collect();
        prop_assert_eq!(&got, &want);

        match issuer.refresh(&pat, &settings, &store, at) {
            Ok(access) => {
                prop_assert!(access.len() <= MAX_TOKEN_LEN);
                let a = issuer.verifier().verify_access(&access, at)
                    .map_err(|e| TestCaseError::fail(format!("{}: {}", e.code(), e)))?;
                prop_assert_eq!(a.user_id(), user.as_str());
                prop_assert_eq!(a.exp(), at + 300);
                prop_assert_eq!(a.extra(), claims.extra());
            }
            Err(e) => prop_assert_eq!(e.code(), "invalid_argument"),
        }
    }

    /// Issue 17, finding 4: a rotated (so revoked) PAT never refreshes again, whatever the
    /// leeway, however the store forgets (explicitly or by the sweep of a later insert), as
    /// long as forgetting and refreshing read one clock. Before the fix the store forgot at
    /// `exp` and the PAT refreshed again until `exp + leeway`.
    #[test]
    fn a_revoked_pat_never_refreshes_again(
        leeway in 0u32..7_200,
        ttl_days in 1u32..3,
        rotate_after in 0i64..(3 * 86_400),
        forget_after_rotation in 0i64..(4 * 86_400),
        refresh_after_forget in 0i64..7_300,
        sweep_by_insert in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let issuer = Issuer::with_random(
            Keyring::hs256(SECRET).unwrap(),
            TokenPolicy { leeway, ..TokenPolicy::default() },
            ls_auth_core::dangerous::InsecureDeterministicRandom::new(seed),
        );
        let settings = OrgSettings { pat_ttl_days: ttl_days, ..OrgSettings::default() };
        let store = InMemoryRevocation::new();
        let now = 1_700_000_000;
        let pat = issuer.mint_pat("1", &Map::new(), &settings, now).unwrap();
        let rotated_at = now + rotate_after;
        let Ok(rotation) = issuer.rotate(&pat, &settings, &store, rotated_at) else {
            return Ok(()); // already expired (with the leeway): nothing to revoke
        };
        prop_assert_eq!(rotation.forget_after, rotation.revoked_exp + i64::from(leeway));
        let forgotten_at = rotated_at + forget_after_rotation;
        if sweep_by_insert {
            // Enough inserts to make the store sweep by itself, at `forgotten_at`.
            for i in 0..1_100 {
                store.revoke_if_active(&format!("other-{i}"), forgotten_at + 1, forgotten_at);
            }
        } else {
            store.forget_expired(forgotten_at);
        }
        let refreshed_at = forgotten_at + refresh_after_forget;
        let refused = issuer.refresh(&pat, &settings, &store, refreshed_at);
        prop_assert!(refused.is_err(), "a revoked PAT refreshed at {} (exp {}, leeway {}, forgotten at {})",
            refreshed_at, rotation.revoked_exp, leeway, forgotten_at);
    }

    /// Any single changed byte of a valid token is refused.
    #[test]
    fn any_changed_byte_is_refused(
        user in user_id(),
        extra in extra_claims(),
        pos in any::<prop::sample::Index>(),
        byte in 0u8..0x80,
        seed in any::<u64>(),
    ) {
        let issuer = issuer(seed);
        let settings = OrgSettings::default();
        let now = 1_700_000_000;
        let Ok(pat) = issuer.mint_pat(&user, &extra, &settings, now) else { return Ok(()) };
        let Ok(access) = issuer.refresh(&pat, &settings, &InMemoryRevocation::new(), now) else {
            return Ok(()); // over the size cap: refused with invalid_argument, checked above
        };
        for token in [&access, &pat] {
            let i = pos.index(token.len());
            prop_assume!(token.as_bytes()[i] != byte);
            let mut bytes = token.clone().into_bytes();
            bytes[i] = byte;
            let tampered = String::from_utf8(bytes).unwrap();
            let store = InMemoryRevocation::new();
            prop_assert!(issuer.verifier().verify_access(&tampered, now).is_err(),
                "accepted {tampered}");
            prop_assert!(issuer.verifier()
                .verify_refresh(&tampered, &settings, &store, now).is_err(),
                "accepted {tampered}");
        }
    }

    /// The header parser is total on arbitrary bytes, and what it accepts it rebuilds.
    #[test]
    fn parse_authorization_is_total(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(c) = parse_authorization(&bytes) {
            let value = c.header_value();
            prop_assert_eq!(parse_authorization(value.as_bytes()).unwrap(), c);
        }
    }

    /// Header-like input: a scheme, separators and token68-ish text.
    #[test]
    fn parse_authorization_header_like(
        scheme in prop::sample::select(vec!["Bearer", "bearer", "TOKEN", "Token", "Basic", "", "Bearer\t"]),
        sep in "[ \t]{0,3}",
        token in "[A-Za-z0-9._~+/=, \t\u{0}-]{0,40}",
        pad in "[ \t]{0,2}",
    ) {
        let value = format!("{pad}{scheme}{sep}{token}{pad}");
        if let Ok(c) = parse_authorization(value.as_bytes()) {
            let value = c.header_value();
            prop_assert_eq!(parse_authorization(value.as_bytes()).unwrap(), c);
        }
    }

    /// Credentials we build parse back to themselves.
    #[test]
    fn header_value_round_trips(
        bearer in any::<bool>(),
        token in "[A-Za-z0-9._~+/-]{1,64}={0,3}",
    ) {
        let c = if bearer { Credential::Bearer(&token) } else { Credential::Token(&token) };
        let value = c.header_value();
        prop_assert_eq!(parse_authorization(value.as_bytes()).unwrap(), c);
    }

    /// Reading a key without verifying it never panics, whatever the text.
    #[test]
    fn unverified_readers_are_total(s in any::<String>(), now in any::<i64>()) {
        let _ = decode_unverified(&s);
        let _ = classify_api_key(&s, now);
    }

    /// ... including text that is shaped like a JWT.
    #[test]
    fn unverified_readers_on_jwt_shapes(
        header in any::<String>(),
        payload in json_value(),
        raw_payload in any::<String>(),
        sig in "[A-Za-z0-9_-]{0,50}",
        use_raw in any::<bool>(),
        truncated in any::<bool>(),
        now in any::<i64>(),
    ) {
        use base64::Engine;
        let b64 = |s: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let body = if use_raw { raw_payload.into_bytes() } else { payload.to_string().into_bytes() };
        let mut token = format!("{}.{}", b64(header.as_bytes()), b64(&body));
        if !truncated {
            token = format!("{token}.{sig}");
        }
        let _ = decode_unverified(&token);
        let _ = classify_api_key(&token, now);
    }
}
