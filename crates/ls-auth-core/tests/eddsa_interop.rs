//! EdDSA tokens and their JWK Set against the `jsonwebtoken` crate, both ways: what ls-auth
//! signs and publishes, jsonwebtoken verifies; what jsonwebtoken signs under a `kid`, ls-auth
//! verifies with the published set alone.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ls_auth_core::dangerous::InsecureFixedRandom;
use ls_auth_core::{Issuer, Keyring, OrgSettings, SigningKey, TokenPolicy, Verifier};
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000;
const SEED: [u8; 32] = [42; 32];

fn signer() -> Keyring {
    Keyring::new(SigningKey::ed25519_seed("k-2026", &SEED).unwrap())
        .with_fallback(SigningKey::hs256(&[7u8; 32], Default::default()).unwrap())
}

#[test]
fn jsonwebtoken_verifies_what_ls_auth_signs_with_the_published_jwks() {
    let ring = signer();
    let rng = InsecureFixedRandom::for_jti("0123456789ab4def8123456789abcdef").unwrap();
    let issuer = Issuer::with_random(ring.clone(), TokenPolicy::default(), rng);
    let pat = issuer
        .mint_pat("5", &Default::default(), &OrgSettings::default(), NOW)
        .unwrap();
    let header = jsonwebtoken::decode_header(&pat).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), Some("k-2026"));

    let set: JwkSet = serde_json::from_str(&ring.public_jwks()).unwrap();
    assert_eq!(set.keys.len(), 1, "HMAC secrets are never published");
    let jwk = set.find("k-2026").expect("the signing key is published");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    let claims = decode::<Value>(&pat, &key, &validation).unwrap().claims;
    assert_eq!(claims["user_id"], "5");
    assert_eq!(claims["token_type"], "refresh");
}

#[test]
fn ls_auth_verifies_what_jsonwebtoken_signs_under_a_kid() {
    let private = SigningKey::ed25519_seed("k-2026", &SEED).unwrap();
    let der = private.ed25519_pkcs8_der().unwrap();
    let jwks = Keyring::new(private).public_jwks();

    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k-2026".into());
    let claims = json!({"token_type": "access", "exp": NOW + 300, "iat": NOW,
                        "jti": "0123456789abcdef0123456789abcdef", "user_id": "9"});
    let token = encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap();

    let verifier = Verifier::new(Keyring::from_jwks(&jwks).unwrap(), TokenPolicy::default());
    assert_eq!(verifier.verify_access(&token, NOW).unwrap().user_id(), "9");

    // The same token naming no key, or another key, is refused.
    header.kid = None;
    let unnamed = encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap();
    assert_eq!(
        verifier.verify_access(&unnamed, NOW).unwrap_err().code(),
        "unknown_key_id"
    );
    header.kid = Some("k-1999".into());
    let other = encode(&header, &claims, &EncodingKey::from_ed_der(&der)).unwrap();
    assert_eq!(
        verifier.verify_access(&other, NOW).unwrap_err().code(),
        "unknown_key_id"
    );
}
