//! The readers against each other and against serde, and the validation rules, on payloads.

use super::*;
use crate::claims::validate::has_nul;

fn parse(json: &str) -> Result<Claims> {
    Claims::parse(json.as_bytes(), TokenType::Access)
}

const OK: &str = r#"{"token_type":"access","exp":1700000300,"iat":1700000000,"jti":"0123456789abcdef0123456789abcdef","user_id":"1"}"#;

#[test]
fn reads_a_label_studio_access_token() {
    let c = parse(OK).unwrap();
    assert_eq!(c.token_type(), TokenType::Access);
    assert_eq!(c.exp(), 1_700_000_300);
    assert_eq!(c.iat(), Some(1_700_000_000));
    assert_eq!(c.jti(), "0123456789abcdef0123456789abcdef");
    assert_eq!(c.user_id(), "1");
    assert!(c.extra().is_empty());
}

#[test]
fn integer_user_id_is_normalised() {
    let c = parse(r#"{"token_type":"access","exp":1,"jti":"j","user_id":42}"#).unwrap();
    assert_eq!(c.user_id(), "42");
}

#[test]
fn wrong_types_are_invalid_never_absent() {
    for bad in [
        r#""1""#,
        "1.5",
        "true",
        "null",
        "1e300",
        "[1]",
        "{}",
        "9223372036854775808",
    ] {
        for claim in ["exp", "iat", "nbf"] {
            let json = format!(
                r#"{{"token_type":"access","exp":1,"jti":"j","user_id":"1","{claim}x":0}}"#
            )
            .replace(&format!("\"{claim}x\":0"), &format!("\"{claim}\":{bad}"))
            .replace(
                r#""exp":1,"#,
                if claim == "exp" { "" } else { r#""exp":1,"# },
            );
            let err = parse(&json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidClaim, "{json}");
        }
    }
}

#[test]
fn required_claims() {
    for (json, code) in [
        (
            r#"{"token_type":"access","jti":"j","user_id":"1"}"#,
            "missing_claim",
        ),
        (r#"{"exp":1,"jti":"j","user_id":"1"}"#, "missing_claim"),
        (
            r#"{"token_type":"access","exp":1,"user_id":"1"}"#,
            "missing_claim",
        ),
        (
            r#"{"token_type":"access","exp":1,"jti":"j"}"#,
            "missing_claim",
        ),
        (
            r#"{"token_type":"refresh","exp":1,"jti":"j","user_id":"1"}"#,
            "wrong_token_type",
        ),
        (
            r#"{"token_type":"sliding","exp":1,"jti":"j","user_id":"1"}"#,
            "wrong_token_type",
        ),
        (
            r#"{"token_type":1,"exp":1,"jti":"j","user_id":"1"}"#,
            "invalid_claim",
        ),
        (
            r#"{"token_type":"access","exp":1,"jti":"","user_id":"1"}"#,
            "invalid_claim",
        ),
        (
            r#"{"token_type":"access","exp":1,"jti":"j","user_id":1.5}"#,
            "invalid_claim",
        ),
        (
            r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","aud":[1]}"#,
            "invalid_claim",
        ),
        (
            r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1\u00002"}"#,
            "invalid_claim",
        ),
        (
            r#"{"token_type":"access","exp":1,"jti":"j\u0000","user_id":"1"}"#,
            "invalid_claim",
        ),
    ] {
        assert_eq!(parse(json).unwrap_err().code(), code, "{json}");
    }
}

#[test]
fn structure_is_strict() {
    for json in [
        r#"{"token_type":"access","exp":1,"exp":2,"jti":"j","user_id":"1"}"#,
        r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","x":1,"x":2}"#,
        r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","aud":"a","aud":"b"}"#,
        r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1"} "#,
        r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1"}x"#,
        r#"["token_type"]"#,
        r#""claims""#,
        "",
    ] {
        // Trailing whitespace is valid JSON; everything else here is refused.
        let r = parse(json);
        if json.ends_with("} ") {
            assert!(r.is_ok());
        } else {
            assert_eq!(r.unwrap_err().code(), "malformed_token", "{json}");
        }
    }
}

use proptest::prelude::*;

proptest::proptest! {
    /// Whenever the scanner takes a payload, it reads it exactly as serde_json does.
    #[test]
    fn scanner_agrees_with_serde(
        members in proptest::collection::vec(
            (
                proptest::sample::select(vec!["token_type", "exp", "iat", "nbf", "jti", "user_id", "iss", "aud", "x", "y", "é"]),
                proptest::prop_oneof![
                    proptest::sample::select(vec!["\"access\"", "\"refresh\"", "\"\"", "\"a\\\"b\"", "\"\\u00e9\"", "\"é\"", "\"\t\""]).prop_map(String::from),
                    proptest::num::i64::ANY.prop_map(|n| n.to_string()),
                    proptest::sample::select(vec![
                        "-0", "01", "1.0", "1e3", "1e400", "true", "null", "[1]", "{}", "99999999999999999999",
                        r#"{"a":[1,{"b":"c"}],"a":2}"#, r#"[1.5,"x\u00e9",false]"#, r#""\ud83d\ude00""#,
                        r#""\ud800""#, "[[[]]]", "[1,]", r#"{"a"}"#,
                    ]).prop_map(String::from),
                ],
                proptest::sample::select(vec!["", " ", "\n\t"]),
            ),
            0..9,
        ),
        expected in proptest::sample::select(vec![TokenType::Access, TokenType::Refresh]),
    ) {
        let body: Vec<String> = members.iter().map(|(k, v, ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}")).collect();
        let json = format!("{{{}}}", body.join(","));
        if let Some(mut raw) = scan(json.as_bytes()) {
            let by_serde = serde_json::from_slice::<RawClaims>(json.as_bytes());
            // Extra claims the scanner leaves in the text are what serde_json reads there.
            let extra = std::mem::replace(&mut raw.extra, Extra::Values(Vec::new()));
            let extra = match extra {
                Extra::InText(text) => Extra::Values(read_extra(text)),
                values => values,
            };
            let raw_values = RawClaims { extra, ..raw };
            proptest::prop_assert_eq!(Some(&raw_values), by_serde.as_ref().ok(), "{}", json);
            let raw = scan(json.as_bytes()).unwrap();
            proptest::prop_assert_eq!(raw.validate(expected), Claims::parse_with_serde(json.as_bytes(), expected), "{}", json);
        }
    }
}

proptest::proptest! {
    /// The server's form, recognised byte for byte, reads exactly as the general way does;
    /// whatever it does not take (bad values, another kind, a byte more) the general way
    /// reads or refuses.
    #[test]
    fn the_server_form_reads_as_the_general_way(
        kind in proptest::sample::select(vec!["access", "refresh", "sliding"]),
        exp in proptest::sample::select(vec!["1700000300", "0", "-5", "-0", "01", "1.5", "\"1\"", "12345678901234567890"]),
        iat in proptest::sample::select(vec!["1700000000", "7", "1e3", "null"]),
        jti in proptest::sample::select(vec!["\"0123456789abcdef0123456789abcdef\"", "\"\"", "\"a\\u0000b\"", "\"é\"", "\"a\\\"b\"", "5"]),
        user_id in proptest::sample::select(vec!["\"1\"", "42", "\"\"", "\"x\\u0000\"", "0", "-3", "1.0", "true"]),
        tail in proptest::sample::select(vec![
            "}", "} ", "}x", ",\"org\":1}", ",\"exp\":1}", "",
            ",\"org\":{\"a\":[1,\"b\"]},\"n\":null}", ",\"jti\":\"x\"}", ",\"user_id\":\"2\"}",
            ",\"token_type\":\"access\"}", ", \"org\" : 1 }", ",\"nbf\":5}", ",\"iss\":\"x\",\"aud\":[\"y\"]}",
            ",\"org\":1,\"org\":2}", ",}", ",\"org\":1", ",\"o\\u0072g\":1}", ",\"org\":\"\\ud800\"}",
        ]),
        expected in proptest::sample::select(vec![TokenType::Access, TokenType::Refresh]),
    ) {
        let json = format!(r#"{{"token_type":"{kind}","exp":{exp},"iat":{iat},"jti":{jti},"user_id":{user_id}{tail}"#);
        let general = match scan(json.as_bytes()) {
            Some(raw) => raw.validate(expected),
            None => Claims::parse_with_serde(json.as_bytes(), expected),
        };
        if let Some(fast) = server_form(json.as_bytes(), expected) {
            proptest::prop_assert_eq!(Ok(fast), general.clone(), "{}", json);
        }
        proptest::prop_assert_eq!(Claims::parse(json.as_bytes(), expected), general, "{}", json);
    }
}

/// The scanner's reading of a payload, when it takes it.
fn scan(json: &[u8]) -> Option<RawClaims<'_>> {
    let mut raw = RawClaims::new();
    raw.scan(json)?;
    Some(raw)
}

/// The server's own payload, read by recognising it.
fn server_form(json: &[u8], expected: TokenType) -> Option<Claims> {
    let prefix = ServerPrefix::read(json, expected)?;
    (json.get(prefix.end..) == Some(b"}")).then_some(())?;
    prefix.claims(json, expected)
}

#[test]
fn the_scan_goes_on_after_the_server_members() {
    let json = r#"{"token_type":"access","exp":1700000300,"iat":1700000000,"jti":"j","user_id":7,"org":{"id":1},"iss":"me","c":"é"}"#;
    let prefix = ServerPrefix::read(json.as_bytes(), TokenType::Access).unwrap();
    let mut after = RawClaims::new();
    after
        .scan_after(json.as_bytes(), &prefix, TokenType::Access)
        .unwrap();
    assert_eq!(after, scan(json.as_bytes()).unwrap());
}

#[test]
fn the_server_form_is_taken() {
    assert!(server_form(OK.as_bytes(), TokenType::Access).is_some());
    assert!(server_form(OK.as_bytes(), TokenType::Refresh).is_none());
}

#[test]
fn the_scanner_takes_nested_extra_claims() {
    let json = r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","org":{"id":1,"tags":["a","b"],"on":true},"f":1.5,"s":"\u00e9"}"#;
    let raw = scan(json.as_bytes()).expect("scanned without serde");
    assert_eq!(raw.extra, Extra::InText(json));
    let c = raw.validate(TokenType::Access).unwrap();
    assert_eq!(
        c,
        Claims::parse_with_serde(json.as_bytes(), TokenType::Access).unwrap()
    );
    assert_eq!(c.get("s").unwrap(), "é");
    assert_eq!(c.extra()[0].1["tags"][1], "b");
}

#[test]
fn nul_is_found_anywhere() {
    for len in 0..40 {
        assert!(!has_nul(&vec![b'a'; len]));
        for at in 0..len {
            let mut s = vec![0xffu8; len];
            s[at] = 0;
            assert!(has_nul(&s), "{len} {at}");
            s[at] = 0x80;
            assert!(!has_nul(&s), "{len} {at}");
        }
    }
}

#[test]
fn extras_keep_their_order() {
    let c = parse(r#"{"token_type":"access","exp":1,"jti":"j","user_id":"1","z":1,"a":{"y":2,"b":3},"iss":"ls","aud":["x","y"]}"#).unwrap();
    let names: Vec<_> = c.extra().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["z", "a"]);
    assert_eq!(c.issuer(), Some("ls"));
    assert_eq!(c.audience().unwrap(), ["x", "y"]);
    assert_eq!(c.get("a").unwrap().to_string(), r#"{"y":2,"b":3}"#);
}

#[test]
fn the_claim_name_lists_agree() {
    // What the issuer writes is typed; pat_jti is an extra claim (read from extra()).
    assert!(ISSUER_CLAIMS.iter().all(|n| REGISTERED_CLAIMS.contains(n)));
    assert!(!REGISTERED_CLAIMS.contains(&PAT_JTI_CLAIM));
    assert!(NOT_COPIED.contains(&PAT_JTI_CLAIM) && !NOT_COPIED.contains(&"user_id"));
}

#[test]
fn the_server_form_reader_follows_the_issuer_claims() {
    // ServerPrefix::read matches the server's text byte for byte: held to ISSUER_CLAIMS.
    let [t, e, i, j, u] = ISSUER_CLAIMS;
    let json =
        format!(r#"{{"{t}":"access","{e}":1700000300,"{i}":1700000000,"{j}":"x","{u}":"1"}}"#);
    assert!(
        server_form(json.as_bytes(), TokenType::Access).is_some(),
        "{json}"
    );
}
