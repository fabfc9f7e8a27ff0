//! A JWK Set of Ed25519 public keys (RFC 7517 §5, RFC 8037 §2), read strictly (contract §3.10).
//!
//! A key set is configuration a service trusts with every request, usually fetched over the
//! network: anything but what the issuer publishes is refused, so a mistake (a private key
//! published, a symmetric secret in a public set, a key of a type we do not verify) is found
//! when the set is loaded, never when a token arrives.

use std::collections::HashSet;
use std::fmt;

use base64_simd::URL_SAFE_NO_PAD;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::json::members::Members;
use crate::keys::{SigningKey, ED25519_KEY_LEN};

/// The largest key set text accepted: far above any real set, small enough to parse at once.
pub(crate) const MAX_JWKS_LEN: usize = 64 * 1024;

/// The most keys a set may hold: a few keys in rotation, never hundreds.
pub(crate) const MAX_JWKS_KEYS: usize = 64;

/// Members that carry private or symmetric key material in any key type (RFC 7518 §6).
const SECRET_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn refused(why: &'static str) -> Error {
    Error::with_detail(ErrorKind::InvalidKeySet, why)
}

/// The set: an object with unique member names whose `keys` is an array of objects, each with
/// unique member names. Other members of the set are ignored (RFC 7517 §5).
struct Set(Vec<Members>);

impl<'de> de::Deserialize<'de> for Set {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeysSeq;
        impl<'de> de::DeserializeSeed<'de> for KeysSeq {
            type Value = Vec<Members>;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Members>, D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for KeysSeq {
            type Value = Vec<Members>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of JWK objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Members>, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = seq.next_element::<Members>()? {
                    if out.len() == MAX_JWKS_KEYS {
                        return Err(de::Error::custom("too many keys"));
                    }
                    out.push(key);
                }
                Ok(out)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Set;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JWK Set object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Set, A::Error> {
                let mut seen: Vec<String> = Vec::new();
                let mut keys = None;
                while let Some(name) = map.next_key::<String>()? {
                    if seen.contains(&name) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    if name == "keys" {
                        keys = Some(map.next_value_seed(KeysSeq)?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                    seen.push(name);
                }
                keys.map(Set)
                    .ok_or_else(|| de::Error::custom("missing `keys`"))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads a JWK Set of Ed25519 public keys; the rules are contract §3.10's, in its order.
pub(crate) fn parse(text: &str) -> Result<Vec<SigningKey>> {
    if text.len() > MAX_JWKS_LEN {
        return Err(refused("key set is larger than 64 KiB"));
    }
    let Set(members) = serde_json::from_str(text).map_err(|_| {
        refused(
            "key set is not a JSON object with a `keys` array of at most 64 objects, \
             every member name unique",
        )
    })?;
    if members.is_empty() {
        return Err(refused("key set has no keys"));
    }
    let mut kids = HashSet::new();
    let mut keys = Vec::with_capacity(members.len());
    for jwk in &members {
        let key = parse_key(jwk)?;
        if !kids.insert(key.kid().unwrap_or_default().to_owned()) {
            return Err(refused("two keys of the set have the same `kid`"));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// A string member of a key, or the refusal naming what is wrong.
fn text<'m>(
    jwk: &'m Members,
    name: &str,
    missing: &'static str,
    not_text: &'static str,
) -> Result<&'m str> {
    match jwk.get(name) {
        None => Err(refused(missing)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(refused(not_text)),
    }
}

fn parse_key(jwk: &Members) -> Result<SigningKey> {
    let kty = text(
        jwk,
        "kty",
        "a key has no `kty`",
        "a key's `kty` is not a string",
    )?;
    if kty == "oct" {
        return Err(refused(
            "a symmetric key (`kty` \"oct\") has no place in a public key set",
        ));
    }
    if SECRET_MEMBERS.iter().any(|m| jwk.get(m).is_some()) {
        return Err(refused(
            "a key carries private key material (`d` or another private member)",
        ));
    }
    if kty != "OKP" {
        return Err(refused(
            "a key's `kty` is not \"OKP\" (only Ed25519 keys are supported)",
        ));
    }
    let crv = text(
        jwk,
        "crv",
        "a key has no `crv`",
        "a key's `crv` is not a string",
    )?;
    if crv != "Ed25519" {
        return Err(refused("a key's `crv` is not \"Ed25519\""));
    }
    match jwk.get("alg") {
        None => {}
        Some(Value::String(a)) if a == "EdDSA" => {}
        Some(_) => return Err(refused("a key's `alg` is not \"EdDSA\"")),
    }
    match jwk.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err(refused("a key's `use` is not \"sig\"")),
    }
    match jwk.get("key_ops") {
        None => {}
        Some(Value::Array(ops))
            if ops.iter().all(Value::is_string) && ops.iter().any(|o| o == "verify") => {}
        Some(_) => {
            return Err(refused(
                "a key's `key_ops` is not an array of strings including \"verify\"",
            ))
        }
    }
    let kid = text(
        jwk,
        "kid",
        "a key has no `kid`",
        "a key's `kid` is not a string",
    )?;
    if kid.is_empty() {
        return Err(refused("a key's `kid` is empty"));
    }
    let x = text(jwk, "x", "a key has no `x`", "a key's `x` is not a string")?;
    let public = URL_SAFE_NO_PAD
        .decode_to_vec(x.as_bytes())
        .map_err(|_| refused("a key's `x` is not canonical unpadded base64url"))?;
    if public.len() != ED25519_KEY_LEN {
        return Err(refused("a key's `x` is not 32 bytes"));
    }
    SigningKey::ed25519_public(kid, &public)
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    fn code(text: &str) -> &'static str {
        match parse(text) {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn accepts_a_published_set_and_refuses_its_variants() {
        let ok = format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"a","x":"{X}"}}]}}"#);
        assert_eq!(code(&ok), "ok");
        for bad in [
            format!(
                r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"a","x":"{X}","kid":"b"}}]}}"#
            ),
            format!(
                r#"{{"keys":[],"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"a","x":"{X}"}}]}}"#
            ),
            format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"a","x":"{X}="}}]}}"#),
            r#"{"keys":[]}"#.to_owned(),
            r#"{"keys":{}}"#.to_owned(),
            "[]".to_owned(),
        ] {
            assert_eq!(code(&bad), "invalid_key_set", "{bad}");
        }
    }
}
