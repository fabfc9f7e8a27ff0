//! Differential test against `jsonwebtoken` 12 (`rust_crypto` backend), the reference oracle.
//!
//! On valid tokens and on many mutated ones both verifiers must agree on accept/refuse, except
//! where a difference is listed below by name, with the rule that causes it. Every listed
//! difference must actually be observed (so the list cannot go stale), and a disagreement that
//! no listed difference explains fails the test.
//!
//! jsonwebtoken reads the system clock, so this test passes the same clock to ls-auth and
//! retries a case when the second changed while it ran.

use std::collections::BTreeMap;

use jsonwebtoken::{decode, get_current_timestamp, Algorithm, DecodingKey, Validation};
use ls_auth_core::{Keyring, TokenPolicy, Verifier};
use proptest::prelude::*;
use serde_json::Value;

const SECRET: &str = "differential-test-secret-0123456789abcdef";

/// Where contract §3 makes ls-auth refuse what jsonwebtoken accepts.
const STRICTER: &[(&str, &str)] = &[
    (
        "crit_header",
        "contract §3.3: any `crit` is refused. jsonwebtoken accepts crit:[\"b64\"] with b64:true.",
    ),
    (
        "typ_not_jwt",
        "contract §3.3: `typ`, if present, is `JWT`. jsonwebtoken does not look at typ.",
    ),
    (
        "duplicate_keys",
        "contract §3.3: duplicate keys in header or claims are refused. jsonwebtoken's serde_json \
         Value keeps the last one (it only notices duplicates of the members it types).",
    ),
    (
        "non_integer_time",
        "contract §3.5: exp and nbf must be JSON integers. jsonwebtoken rounds a float.",
    ),
    (
        "time_beyond_i64",
        "contract §3.5: times are integer seconds held as i64; an exp above i64::MAX is refused. \
         jsonwebtoken reads times as u64.",
    ),
    (
        "iat_checked",
        "contract §3.5: iat must be an integer and not later than now + leeway. jsonwebtoken \
         ignores iat.",
    ),
    (
        "required_claims",
        "contract §3.5: token_type, jti and user_id are required with their types. jsonwebtoken \
         requires only exp.",
    ),
    (
        "wrong_token_type",
        "contract §1, §3.5: an access token has token_type \"access\". jsonwebtoken has no notion \
         of it.",
    ),
    (
        "exp_equal_now",
        "contract §1: a token is expired when exp <= now - leeway. jsonwebtoken expires it only \
         when exp < now - leeway.",
    ),
    (
        "size_cap",
        "contract §3.1: tokens over 4 KiB are refused before any decoding. jsonwebtoken has no cap.",
    ),
    (
        "claims_not_object",
        "contract §3.5: the claims are a JSON object. jsonwebtoken deserialises its validation \
         struct from a JSON array as well, so [exp, nbf, sub, iss, aud] passes.",
    ),
    (
        "registered_claim_types",
        "contract §3.5 strict types: iss (and aud) must have their JSON types even when no \
         issuer is configured. jsonwebtoken checks iss only when one is configured.",
    ),
];

/// Where jsonwebtoken refuses what ls-auth accepts, and why that is deliberate.
const LENIENT: &[(&str, &str)] = &[
    (
        "header_member_types",
        "jsonwebtoken types every registered header member (kid, jku, jwk, x5c, ...) and refuses \
         a wrong type. ls-auth reads only alg, kid, typ and crit and ignores the rest by design \
         (contract §3.3: the token never chooses its key), whatever their type.",
    ),
    (
        "b64_false",
        "jsonwebtoken refuses b64:false even outside crit. ls-auth ignores b64: without crit it \
         is not an extension in use (RFC 7797 §6), and the MAC always covers the standard \
         signing input, so nothing is weakened.",
    ),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Diff {
    Agree,
    /// We refuse, jsonwebtoken accepts, for this named reason.
    Stricter(&'static str),
    /// jsonwebtoken refuses, we accept, for this named reason.
    Lenient(&'static str),
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn sign(header: &str, payload: &str, alg: ring::hmac::Algorithm, secret: &str) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let key = ring::hmac::Key::new(alg, secret.as_bytes());
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn tok(header: &str, payload: &str) -> String {
    sign(header, payload, ring::hmac::HMAC_SHA256, SECRET)
}

/// Access-token claims as JSON text, with `over` replacing (raw JSON literal), adding, or
/// (None) removing members. Times are relative to `now`.
fn claims(now: u64, over: &[(&str, Option<String>)]) -> String {
    let mut members: Vec<(String, String)> = vec![
        ("token_type".into(), "\"access\"".into()),
        ("exp".into(), (now + 300).to_string()),
        ("iat".into(), (now - 10).to_string()),
        ("jti".into(), "\"0f2b7c1e9d8a4b6c8e1f2a3b4c5d6e7f\"".into()),
        ("user_id".into(), "\"1\"".into()),
    ];
    for (name, value) in over {
        let pos = members.iter().position(|(k, _)| k == name);
        match (pos, value) {
            (Some(i), Some(v)) => members[i].1 = v.clone(),
            (Some(i), None) => {
                members.remove(i);
            }
            (None, Some(v)) => members.push(((*name).into(), v.clone())),
            (None, None) => {}
        }
    }
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn set(name: &str, literal: impl ToString) -> (&str, Option<String>) {
    (name, Some(literal.to_string()))
}

fn drop(name: &str) -> (&str, Option<String>) {
    (name, None)
}

fn ours(token: &str, now: u64) -> bool {
    our_code(token, now).is_none()
}

/// ls-auth's error code for `token`, or `None` when it verifies.
fn our_code(token: &str, now: u64) -> Option<&'static str> {
    let verifier = Verifier::new(Keyring::hs256(SECRET).unwrap(), TokenPolicy::default());
    verifier
        .verify_access(token, now as i64)
        .err()
        .map(|e| e.code())
}

/// contract §3.2, written here from the rule: a token under the cap that splits into three
/// segments, one of which is not canonical unpadded base64url. Such a token must be refused
/// as `malformed_token` whatever its header and signature say.
fn structurally_broken(token: &str) -> bool {
    use base64::Engine;
    let canonical = |seg: &str| {
        seg.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(seg)
                .is_ok_and(|bytes| b64(&bytes) == seg)
    };
    let segments: Vec<&str> = token.split('.').collect();
    token.len() <= ls_auth_core::jws::MAX_TOKEN_LEN
        && segments.len() == 3
        && !segments.iter().all(|s| canonical(s))
}

fn theirs(token: &str) -> bool {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_required_spec_claims(&["exp"]);
    let key = DecodingKey::from_secret(SECRET.as_bytes()).unwrap();
    decode::<Value>(token, &key, &validation).is_ok()
}

/// Runs both verifiers on the token `make(now)` builds, on one clock second.
fn both(make: &mut dyn FnMut(u64) -> String) -> (bool, bool) {
    for _ in 0..10 {
        let now = get_current_timestamp();
        let token = make(now);
        let (a, b) = (ours(&token, now), theirs(&token));
        if get_current_timestamp() == now {
            return (a, b);
        }
    }
    panic!("the clock kept moving");
}

struct Case {
    name: &'static str,
    diff: Diff,
    make: Box<dyn Fn(u64) -> String>,
}

fn case(name: &'static str, diff: Diff, make: impl Fn(u64) -> String + 'static) -> Case {
    Case {
        name,
        diff,
        make: Box::new(make),
    }
}

fn with_header(header: &'static str) -> impl Fn(u64) -> String {
    move |now| tok(header, &claims(now, &[]))
}

fn with_claims(over: Vec<(&'static str, Option<String>)>) -> impl Fn(u64) -> String {
    move |now| tok(HEADER, &claims(now, &over))
}

fn deterministic_cases() -> Vec<Case> {
    use Diff::*;
    let mut v = vec![
        // --- valid tokens ------------------------------------------------------------------
        case("valid", Agree, with_claims(vec![])),
        case("valid_no_typ", Agree, with_header(r#"{"alg":"HS256"}"#)),
        case(
            "valid_kid_jku_x5u_ignored",
            Agree,
            with_header(r#"{"alg":"HS256","kid":"k","jku":"https://x","x5u":"https://y"}"#),
        ),
        case(
            "valid_extras",
            Agree,
            with_claims(vec![set("org", r#"{"id":1,"n":[1,2]}"#), set("f", "1.5")]),
        ),
        case(
            "valid_user_id_integer",
            Agree,
            with_claims(vec![set("user_id", 7)]),
        ),
        case("valid_nbf_past", Agree, |now| {
            tok(HEADER, &claims(now, &[set("nbf", now - 5)]))
        }),
        case("valid_whitespace_json", Agree, |now| {
            tok(
                " { \"alg\" : \"HS256\" } ",
                &format!(" {} \n", claims(now, &[])),
            )
        }),
        case("valid_escaped_alg", Agree, |now| {
            tok(r#"{"alg":"HS\u0032\u00356"}"#, &claims(now, &[]))
        }),
        // --- structure ---------------------------------------------------------------------
        case("two_segments", Agree, |now| {
            let t = tok(HEADER, &claims(now, &[]));
            t[..t.rfind('.').unwrap()].to_owned()
        }),
        case("four_segments", Agree, |now| {
            format!("{}.e30", tok(HEADER, &claims(now, &[])))
        }),
        case("padded_signature", Agree, |now| {
            format!("{}=", tok(HEADER, &claims(now, &[])))
        }),
        case("empty_signature", Agree, |now| {
            let t = tok(HEADER, &claims(now, &[]));
            format!("{}.", &t[..t.rfind('.').unwrap()])
        }),
        case("non_canonical_signature", Agree, |now| {
            let t = tok(HEADER, &claims(now, &[]));
            let last = t.chars().last().unwrap();
            const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let twin = A.as_bytes()[A.find(last).unwrap() | 1] as char;
            format!("{}{twin}", &t[..t.len() - 1])
        }),
        case("standard_alphabet_payload", Agree, |now| {
            use base64::Engine;
            let p = claims(now, &[set("x", "\"~~~>>>???\"")]);
            let std = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&p);
            let input = format!("{}.{std}", b64(HEADER.as_bytes()));
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
            format!(
                "{input}.{}",
                b64(ring::hmac::sign(&key, input.as_bytes()).as_ref())
            )
        }),
        case("bom_payload", Agree, |now| {
            tok(HEADER, &format!("\u{feff}{}", claims(now, &[])))
        }),
        case("payload_trailing_garbage", Agree, |now| {
            tok(HEADER, &format!("{}x", claims(now, &[])))
        }),
        case("payload_is_string", Agree, |now| {
            tok(HEADER, &serde_json::to_string(&claims(now, &[])).unwrap())
        }),
        case("deep_nesting", Agree, |now| {
            let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
            tok(HEADER, &claims(now, &[set("deep", deep)]))
        }),
        case("lone_surrogate", Agree, |now| {
            tok(HEADER, &claims(now, &[set("x", r#""\ud800""#)]))
        }),
        case("claims_array", Stricter("claims_not_object"), |now| {
            tok(HEADER, &format!("[{},0,null,null,null]", now + 300))
        }),
        case("size_cap", Stricter("size_cap"), |now| {
            tok(
                HEADER,
                &claims(now, &[set("pad", format!("\"{}\"", "p".repeat(4000)))]),
            )
        }),
        // --- header ------------------------------------------------------------------------------
        case("alg_none", Agree, |now| {
            let t = tok(r#"{"alg":"none"}"#, &claims(now, &[]));
            format!("{}.", &t[..t.rfind('.').unwrap()])
        }),
        case("alg_lowercase", Agree, with_header(r#"{"alg":"hs256"}"#)),
        case("alg_missing", Agree, with_header(r#"{"typ":"JWT"}"#)),
        case("alg_hs512", Agree, |now| {
            sign(
                r#"{"alg":"HS512"}"#,
                &claims(now, &[]),
                ring::hmac::HMAC_SHA512,
                SECRET,
            )
        }),
        case("wrong_key", Agree, |now| {
            sign(
                HEADER,
                &claims(now, &[]),
                ring::hmac::HMAC_SHA256,
                "another-secret-entirely-0123456789abcdef",
            )
        }),
        case("header_array", Agree, with_header(r#"["HS256"]"#)),
        case(
            "duplicate_alg",
            Agree,
            with_header(r#"{"alg":"HS256","alg":"HS256"}"#),
        ),
        case(
            "duplicate_unknown_header_member",
            Stricter("duplicate_keys"),
            with_header(r#"{"alg":"HS256","x":1,"x":2}"#),
        ),
        case(
            "crit_b64",
            Stricter("crit_header"),
            with_header(r#"{"alg":"HS256","crit":["b64"],"b64":true}"#),
        ),
        case(
            "crit_exp",
            Agree,
            with_header(r#"{"alg":"HS256","crit":["exp"]}"#),
        ),
        case(
            "crit_empty",
            Agree,
            with_header(r#"{"alg":"HS256","crit":[]}"#),
        ),
        case(
            "typ_lowercase",
            Stricter("typ_not_jwt"),
            with_header(r#"{"alg":"HS256","typ":"jwt"}"#),
        ),
        case(
            "typ_other",
            Stricter("typ_not_jwt"),
            with_header(r#"{"alg":"HS256","typ":"at+jwt"}"#),
        ),
        case(
            "typ_null",
            Stricter("typ_not_jwt"),
            with_header(r#"{"alg":"HS256","typ":null}"#),
        ),
        case(
            "typ_number",
            Agree,
            with_header(r#"{"alg":"HS256","typ":1}"#),
        ),
        case(
            "kid_number",
            Agree,
            with_header(r#"{"alg":"HS256","kid":1}"#),
        ),
        case(
            "jwk_injection_ignored",
            Agree,
            with_header(r#"{"alg":"HS256","jwk":{"k":"x"}}"#),
        ),
        case(
            "x5c_not_a_list",
            Lenient("header_member_types"),
            with_header(r#"{"alg":"HS256","x5c":"cert"}"#),
        ),
        case(
            "b64_false_without_crit",
            Lenient("b64_false"),
            with_header(r#"{"alg":"HS256","b64":false}"#),
        ),
        // --- claims --------------------------------------------------------------------------------
        case("exp_missing", Agree, with_claims(vec![drop("exp")])),
        case("exp_past", Agree, |now| {
            tok(HEADER, &claims(now, &[set("exp", now - 1)]))
        }),
        case("exp_equal_now", Stricter("exp_equal_now"), |now| {
            tok(HEADER, &claims(now, &[set("exp", now)]))
        }),
        case("exp_one_second_left", Agree, |now| {
            tok(HEADER, &claims(now, &[set("exp", now + 1)]))
        }),
        case("exp_string", Agree, |now| {
            tok(
                HEADER,
                &claims(now, &[set("exp", format!("\"{}\"", now + 300))]),
            )
        }),
        case("exp_float", Stricter("non_integer_time"), |now| {
            tok(
                HEADER,
                &claims(now, &[set("exp", format!("{}.5", now + 300))]),
            )
        }),
        case("exp_integral_float", Stricter("non_integer_time"), |now| {
            tok(
                HEADER,
                &claims(now, &[set("exp", format!("{}.0", now + 300))]),
            )
        }),
        case("exp_bool", Agree, with_claims(vec![set("exp", "true")])),
        case("exp_null", Agree, with_claims(vec![set("exp", "null")])),
        case("exp_negative", Agree, with_claims(vec![set("exp", -1)])),
        case("exp_1e300", Agree, with_claims(vec![set("exp", "1e300")])),
        case(
            "exp_beyond_i64",
            Stricter("time_beyond_i64"),
            with_claims(vec![set("exp", "9223372036854775808")]),
        ),
        case(
            "exp_duplicate",
            Agree,
            with_claims(vec![set("exp", "1"), set("pad", 0)]),
        ),
        case("nbf_future", Agree, |now| {
            tok(HEADER, &claims(now, &[set("nbf", now + 60)]))
        }),
        case("nbf_string", Agree, with_claims(vec![set("nbf", "\"0\"")])),
        case("nbf_float_past", Stricter("non_integer_time"), |now| {
            tok(
                HEADER,
                &claims(now, &[set("nbf", format!("{}.5", now - 60))]),
            )
        }),
        case("iat_future", Stricter("iat_checked"), |now| {
            tok(HEADER, &claims(now, &[set("iat", now + 60)]))
        }),
        case(
            "iat_string",
            Stricter("iat_checked"),
            with_claims(vec![set("iat", "\"0\"")]),
        ),
        case(
            "token_type_refresh",
            Stricter("wrong_token_type"),
            with_claims(vec![set("token_type", "\"refresh\"")]),
        ),
        case(
            "token_type_missing",
            Stricter("required_claims"),
            with_claims(vec![drop("token_type")]),
        ),
        case(
            "jti_missing",
            Stricter("required_claims"),
            with_claims(vec![drop("jti")]),
        ),
        case(
            "user_id_missing",
            Stricter("required_claims"),
            with_claims(vec![drop("user_id")]),
        ),
        case(
            "user_id_float",
            Stricter("required_claims"),
            with_claims(vec![set("user_id", "1.5")]),
        ),
        case(
            "duplicate_user_id",
            Stricter("duplicate_keys"),
            with_claims(vec![set("role", "\"user\""), set("user_id_dup", 0)]),
        ),
        case(
            "iss_number_unconfigured",
            Stricter("registered_claim_types"),
            with_claims(vec![set("iss", 1)]),
        ),
        case(
            "iss_string_unconfigured",
            Agree,
            with_claims(vec![set("iss", "\"x\"")]),
        ),
        case(
            "aud_unconfigured",
            Agree,
            with_claims(vec![set("aud", "\"label-studio\"")]),
        ),
        case("aud_empty_list", Agree, |now| {
            tok(HEADER, &claims(now, &[set("aud", "[]")]))
        }),
    ];
    // `exp_duplicate` and `duplicate_user_id` need real duplicates, which the builder cannot
    // express: patch their text.
    for c in &mut v {
        match c.name {
            "exp_duplicate" => {
                c.make = Box::new(|now| {
                    let body = claims(now, &[]);
                    tok(
                        HEADER,
                        &format!("{},\"exp\":{}}}", &body[..body.len() - 1], now + 9),
                    )
                })
            }
            "duplicate_user_id" => {
                c.make = Box::new(|now| {
                    let body = claims(now, &[]);
                    tok(
                        HEADER,
                        &format!("{},\"user_id\":\"2\"}}", &body[..body.len() - 1]),
                    )
                })
            }
            _ => {}
        }
    }
    v
}

#[test]
fn agrees_with_jsonwebtoken_except_documented_differences() {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    let cases = deterministic_cases();
    for c in &cases {
        let (a, b) = both(&mut |now| (c.make)(now));
        let observed = match (a, b) {
            (true, true) | (false, false) => Diff::Agree,
            (false, true) => Diff::Stricter("?"),
            (true, false) => Diff::Lenient("?"),
        };
        let ok = match (c.diff, observed) {
            (Diff::Agree, Diff::Agree) => true,
            (Diff::Stricter(n), Diff::Stricter(_)) | (Diff::Lenient(n), Diff::Lenient(_)) => {
                *seen.entry(n).or_default() += 1;
                true
            }
            _ => false,
        };
        if !ok {
            problems.push(format!(
                "{}: expected {:?}, got ls-auth {} / jsonwebtoken {}",
                c.name,
                c.diff,
                if a { "accepts" } else { "refuses" },
                if b { "accepts" } else { "refuses" },
            ));
        }
    }
    for (name, _) in STRICTER.iter().chain(LENIENT) {
        if !seen.contains_key(name) {
            problems.push(format!("documented difference `{name}` was never observed"));
        }
    }
    for name in seen.keys() {
        assert!(
            STRICTER.iter().chain(LENIENT).any(|(n, _)| n == name),
            "case uses undocumented difference {name}"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let total: usize = seen.values().sum();
    eprintln!(
        "{} cases; {} documented differences ({} stricter, {} lenient), observed {total} times: {seen:?}",
        cases.len(),
        STRICTER.len() + LENIENT.len(),
        STRICTER.len(),
        LENIENT.len()
    );
}

/// A random combination of claim variants, with the documented differences it can trigger.
#[derive(Debug, Clone)]
struct Combo {
    exp: u8,
    iat: u8,
    nbf: u8,
    token_type: u8,
    jti: u8,
    user_id: u8,
    typ: u8,
    extra: u8,
}

impl Combo {
    fn build(&self, now: u64) -> (String, Vec<&'static str>) {
        let mut over = Vec::new();
        let mut why = Vec::new();
        match self.exp {
            0 => {}
            1 => over.push(set("exp", now - 1000)),
            2 => {
                over.push(set("exp", now));
                why.push("exp_equal_now");
            }
            3 => over.push(set("exp", now + 1)),
            4 => {
                over.push(set("exp", format!("{}.0", now + 300)));
                why.push("non_integer_time");
            }
            5 => over.push(set("exp", format!("\"{}\"", now + 300))),
            6 => over.push(drop("exp")),
            _ => over.push(set("exp", "null")),
        }
        match self.iat {
            0 => {}
            1 => {
                over.push(set("iat", now + 100));
                why.push("iat_checked");
            }
            2 => {
                over.push(set("iat", "\"x\""));
                why.push("iat_checked");
            }
            3 => {
                over.push(set("iat", format!("{}.5", now - 5)));
                why.push("iat_checked");
            }
            _ => over.push(drop("iat")),
        }
        match self.nbf {
            0 => {}
            1 => over.push(set("nbf", now - 10)),
            2 => over.push(set("nbf", now + 100)),
            3 => {
                over.push(set("nbf", format!("{}.5", now - 10)));
                why.push("non_integer_time");
            }
            _ => over.push(set("nbf", "\"0\"")),
        }
        match self.token_type {
            0 => {}
            1 => {
                over.push(set("token_type", "\"refresh\""));
                why.push("wrong_token_type");
            }
            2 => {
                over.push(drop("token_type"));
                why.push("required_claims");
            }
            _ => {
                over.push(set("token_type", 1));
                why.push("required_claims");
            }
        }
        match self.jti {
            0 => {}
            1 => {
                over.push(drop("jti"));
                why.push("required_claims");
            }
            _ => {
                over.push(set("jti", 5));
                why.push("required_claims");
            }
        }
        match self.user_id {
            0 => {}
            1 => over.push(set("user_id", 42)),
            2 => {
                over.push(drop("user_id"));
                why.push("required_claims");
            }
            _ => {
                over.push(set("user_id", "true"));
                why.push("required_claims");
            }
        }
        match self.extra {
            0 => {}
            1 => over.push(set("org", r#"{"a":[1,2,{"b":null}]}"#)),
            2 => over.push(set("aud", "\"x\"")),
            _ => {
                over.push(set("iss", "[1]"));
                why.push("registered_claim_types");
            }
        }
        let header = match self.typ {
            0 => HEADER,
            1 => r#"{"alg":"HS256"}"#,
            _ => {
                why.push("typ_not_jwt");
                r#"{"alg":"HS256","typ":"jwt"}"#
            }
        };
        (tok(header, &claims(now, &over)), why)
    }
}

fn combo() -> impl Strategy<Value = Combo> {
    (
        0u8..8,
        0u8..5,
        0u8..5,
        0u8..4,
        0u8..3,
        0u8..4,
        0u8..3,
        0u8..4,
    )
        .prop_map(
            |(exp, iat, nbf, token_type, jti, user_id, typ, extra)| Combo {
                exp,
                iat,
                nbf,
                token_type,
                jti,
                user_id,
                typ,
                extra,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random claim combinations: any disagreement is one ls-auth is documented to make, in
    /// the documented direction (we never accept what jsonwebtoken refuses here).
    #[test]
    fn claim_combinations(c in combo()) {
        let mut why = Vec::new();
        let (a, b) = both(&mut |now| {
            let (t, w) = c.build(now);
            why = w;
            t
        });
        if a != b {
            prop_assert!(!a, "ls-auth accepts what jsonwebtoken refuses: {c:?}");
            prop_assert!(!why.is_empty(), "undocumented disagreement: {c:?}");
            for w in &why {
                prop_assert!(STRICTER.iter().any(|(n, _)| n == w));
            }
        }
    }

    /// Any single changed byte, truncation or insertion in a valid token: both refuse, and
    /// when the change breaks a segment's base64url, ls-auth says `malformed_token`, never
    /// `invalid_signature` (jsonwebtoken checks the MAC first and says InvalidSignature).
    #[test]
    fn mutated_tokens(
        pos in any::<prop::sample::Index>(),
        byte in 0u8..0x80,
        kind in 0u8..4,
    ) {
        let mut token = String::new();
        let mut code = None;
        let (a, b) = both(&mut |now| {
            let t = tok(HEADER, &claims(now, &[]));
            let i = pos.index(t.len());
            let mut bytes = t.into_bytes();
            match kind {
                0 => {
                    if bytes[i] == byte { bytes[i] ^= 1; } else { bytes[i] = byte; }
                }
                1 => bytes.truncate(i),
                2 => {
                    bytes.insert(i, byte);
                }
                _ => {
                    bytes.splice(i..i, "\u{e9}".bytes());
                }
            }
            token = String::from_utf8(bytes).unwrap();
            code = our_code(&token, now);
            token.clone()
        });
        prop_assert!(!a && !b, "ls-auth {a}, jsonwebtoken {b}");
        if structurally_broken(&token) {
            prop_assert_eq!(code, Some("malformed_token"), "{:?}", token);
        }
    }
}

/// Structural damage of every kind in every segment of a validly signed token, never
/// re-signed: both refuse, ls-auth always as `malformed_token` (contract §3.2 before §3.4).
/// jsonwebtoken checks the MAC over the raw text first, so for a damaged payload it reports
/// a bad signature: the user would be told their key is wrong.
#[test]
fn structure_is_checked_before_the_signature() {
    type Damage = fn(&str) -> String;
    let damages: &[(&str, Damage)] = &[
        ("padding", |s| format!("{s}=")),
        ("inner_padding", |s| format!("{}={}", &s[..4], &s[4..])),
        ("space", |s| format!("{} {}", &s[..5], &s[5..])),
        ("tab", |s| format!("{}\t{}", &s[..5], &s[5..])),
        ("newline", |s| format!("{s}\n")),
        ("non_ascii", |s| format!("{}\u{e9}{}", &s[..5], &s[5..])),
        ("nul", |s| format!("{}\0{}", &s[..5], &s[5..])),
        ("control", |s| format!("{}\u{1}{}", &s[..5], &s[5..])),
        ("delete", |s| format!("{}\u{7f}{}", &s[..5], &s[5..])),
        ("plus", |s| format!("{}+{}", &s[..4], &s[5..])),
        ("slash", |s| format!("{}/{}", &s[..4], &s[5..])),
        ("length_4n_plus_1", |s| {
            format!("{s}{}", "A".repeat((1 + 4 - s.len() % 4) % 4))
        }),
    ];
    let mut theirs_said = BTreeMap::new();
    for segment in 0..3 {
        for (name, damage) in damages {
            let (mut ours_code, mut token) = (None, String::new());
            let (a, b) = both(&mut |now| {
                let mut parts: Vec<String> = tok(HEADER, &claims(now, &[]))
                    .split('.')
                    .map(str::to_owned)
                    .collect();
                parts[segment] = damage(&parts[segment]);
                token = parts.join(".");
                ours_code = our_code(&token, now);
                token.clone()
            });
            assert!(structurally_broken(&token), "{name} in segment {segment}");
            assert!(
                !a && !b,
                "{name} in segment {segment}: ls-auth {a}, jsonwebtoken {b}"
            );
            assert_eq!(
                ours_code,
                Some("malformed_token"),
                "{name} in segment {segment}"
            );
            let key = DecodingKey::from_secret(SECRET.as_bytes()).unwrap();
            let kind = decode::<Value>(&token, &key, &Validation::new(Algorithm::HS256))
                .unwrap_err()
                .into_kind();
            let kind = format!("{kind:?}");
            let kind = kind.split('(').next().unwrap_or_default().to_owned();
            *theirs_said.entry((segment, kind)).or_insert(0) += 1;
        }
    }
    // The difference this test is about: a damaged payload is a signature failure to
    // jsonwebtoken.
    assert!(
        theirs_said
            .keys()
            .any(|(segment, kind)| *segment == 1 && kind == "InvalidSignature"),
        "{theirs_said:?}"
    );
    eprintln!("jsonwebtoken's reasons, by (segment, kind): {theirs_said:?}");
}
