//! `Verifier::verify_revocable` (contract §3.9): what revoking a PAT accepts. Every check of
//! §3 holds but one: a PAT that names no user may be revoked, and nothing else accepts it.

use ls_auth_core::{InMemoryRevocation, Keyring, OrgSettings, TokenPolicy, Verifier};

const SECRET: &str = "revocable-test-secret-0123456789abcdef";
const NOW: i64 = 1_700_000_000;
const JTI: &str = "0123456789abcdef0123456789abcdef";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn sign(payload: &str, secret: &str) -> String {
    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(payload.as_bytes())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// A refresh token's claims without `user_id` (what simplejwt's `RefreshToken()` mints),
/// with `tail` appended inside the object.
fn unnamed(token_type: &str, exp: i64, tail: &str) -> String {
    format!(r#"{{"token_type":"{token_type}","exp":{exp},"iat":{NOW},"jti":"{JTI}"{tail}}}"#)
}

fn verifier() -> Verifier {
    Verifier::new(Keyring::hs256(SECRET).unwrap(), TokenPolicy::default())
}

#[test]
fn a_pat_naming_no_user_is_revocable_and_nothing_else() {
    let token = sign(&unnamed("refresh", NOW + 3600, ""), SECRET);
    let target = verifier().verify_revocable(&token, NOW).unwrap();
    assert_eq!(
        (target.jti(), target.exp(), target.user_id()),
        (JTI, NOW + 3600, None)
    );
    // Everything that grants access still requires user_id.
    let v = verifier();
    let refused = v
        .verify_refresh(
            &token,
            &OrgSettings::default(),
            &InMemoryRevocation::new(),
            NOW,
        )
        .unwrap_err();
    assert_eq!(refused.code(), "missing_claim");
    assert_eq!(
        v.begin_refresh(&token, NOW).unwrap_err().code(),
        "missing_claim"
    );
    let access = sign(&unnamed("access", NOW + 300, ""), SECRET);
    assert_eq!(
        v.verify_access(&access, NOW).unwrap_err().code(),
        "missing_claim"
    );
}

#[test]
fn a_named_pat_reports_its_user() {
    let token = sign(&unnamed("refresh", NOW + 60, r#","user_id":42"#), SECRET);
    let target = verifier().verify_revocable(&token, NOW).unwrap();
    assert_eq!(target.user_id(), Some("42"));
}

#[test]
fn every_other_rule_still_holds() {
    let v = verifier();
    let cases = [
        (
            sign(
                &unnamed("refresh", NOW + 60, ""),
                "another-secret-0123456789abcdef-xyz",
            ),
            "invalid_signature",
        ),
        (
            sign(&unnamed("refresh", NOW - 1, ""), SECRET),
            "token_expired",
        ),
        (
            sign(&unnamed("access", NOW + 60, ""), SECRET),
            "wrong_token_type",
        ),
        (
            sign(&unnamed("refresh", NOW + 60, r#","user_id":"""#), SECRET),
            "invalid_claim",
        ),
        (
            sign(&unnamed("refresh", NOW + 60, r#","user_id":null"#), SECRET),
            "invalid_claim",
        ),
        (
            sign(
                &unnamed("refresh", NOW + 60, r#","user_id":"1\u0000""#),
                SECRET,
            ),
            "invalid_claim",
        ),
        (
            sign(
                &format!(r#"{{"token_type":"refresh","exp":{}}}"#, NOW + 60),
                SECRET,
            ),
            "missing_claim",
        ),
        (
            sign(
                &format!(r#"{{"token_type":"refresh","exp":{},"jti":""}}"#, NOW + 60),
                SECRET,
            ),
            "invalid_claim",
        ),
        ("a.b".to_owned(), "malformed_token"),
    ];
    for (token, code) in cases {
        assert_eq!(
            v.verify_revocable(&token, NOW).unwrap_err().code(),
            code,
            "{token}"
        );
    }
}
