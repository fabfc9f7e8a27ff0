//! Checking raw claims: every registered claim of the right JSON type, the required ones
//! present, the token type expected, identifiers neither empty nor holding NUL.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::json::value_kind::ValueKind;

use super::read::{offset, Extra, RawClaims};
use super::*;

#[inline(always)]
fn time_claim(name: &'static str, value: Option<ValueKind>) -> Result<Option<i64>> {
    match value {
        None => Ok(None),
        Some(ValueKind::Int(n)) => Ok(Some(n)),
        Some(ValueKind::BigInt) => Err(Error::invalid_claim(name, "is out of range")),
        Some(_) => Err(Error::invalid_claim(
            name,
            "must be an integer number of seconds",
        )),
    }
}

#[inline(always)]
fn string_claim<'de>(
    name: &'static str,
    value: Option<ValueKind<'de>>,
) -> Result<Option<Cow<'de, str>>> {
    match value {
        None => Ok(None),
        Some(ValueKind::Str(s)) => Ok(Some(s)),
        Some(_) => Err(Error::invalid_claim(name, "must be a string")),
    }
}

/// The rule for identifiers (`jti`, `user_id`): not empty, and no NUL. A NUL (`\u0000` in the
/// JSON) would truncate the identifier wherever it becomes a C string: "1\u00002" would read
/// as user "1" (found by fuzz/ c_abi).
#[inline(always)]
pub(crate) fn check_id(name: &'static str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::invalid_claim(name, "must not be empty"));
    }
    if has_nul(id.as_bytes()) {
        return Err(Error::invalid_claim(name, "must not contain NUL"));
    }
    Ok(())
}

/// Whether `s` has a NUL byte: eight bytes at a time, inline. Identifiers are short, and a
/// call into memchr's dispatch costs more than scanning them.
#[inline(always)]
pub(super) fn has_nul(s: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_in = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS != 0;
    let mut words = s.chunks_exact(8);
    let found = words.any(|w| zero_in(u64::from_le_bytes(w.try_into().unwrap_or([0; 8]))));
    found || words.remainder().contains(&0)
}

#[cold]
fn audience(value: Option<Value>) -> Result<Option<Vec<String>>> {
    let bad = || Error::invalid_claim("aud", "must be a string or a list of strings");
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s])),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(bad()),
    }
}

/// Whether the claims must name a user. Everything that grants access requires `user_id`
/// (contract §3.5); only revoking a PAT takes one that names nobody (contract §3.9).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Subject {
    Required,
    Optional,
}

impl RawClaims<'_> {
    #[inline(always)]
    pub(super) fn validate(self, expected: TokenType) -> Result<Claims> {
        self.validate_for(expected, Subject::Required)
    }

    #[inline(always)]
    pub(super) fn validate_for(self, expected: TokenType, subject: Subject) -> Result<Claims> {
        // Types first, for every claim present: a string `nbf` is an error, never "absent".
        let exp = time_claim("exp", self.exp)?;
        let iat = time_claim("iat", self.iat)?;
        let nbf = time_claim("nbf", self.nbf)?;
        let token_type = string_claim("token_type", self.token_type)?;
        let jti = string_claim("jti", self.jti)?;
        let user_id = match self.user_id {
            None => None,
            Some(ValueKind::Str(s)) => Some(s),
            Some(ValueKind::Int(n)) => Some(Cow::Owned(n.to_string())),
            Some(_) => {
                return Err(Error::invalid_claim(
                    "user_id",
                    "must be a string or an integer",
                ))
            }
        };
        let iss = string_claim("iss", self.iss)?;
        let aud = match self.aud {
            None => None,
            aud => audience(aud)?,
        };

        let exp = exp.ok_or_else(|| Error::missing_claim("exp"))?;
        let token_type = token_type.ok_or_else(|| Error::missing_claim("token_type"))?;
        let jti = jti.ok_or_else(|| Error::missing_claim("jti"))?;
        let unnamed = user_id.is_none() && subject == Subject::Optional;
        let user_id = match user_id {
            Some(user_id) => user_id,
            None if unnamed => Cow::Borrowed(""),
            None => return Err(Error::missing_claim("user_id")),
        };

        if TokenType::from_claim(&token_type) != Some(expected) {
            return Err(Error::with_detail(
                ErrorKind::WrongTokenType,
                match expected {
                    TokenType::Access => "an access token is required; a personal access token must first be exchanged at /api/token/refresh/",
                    TokenType::Refresh => "a personal access token (refresh token) is required",
                },
            ));
        }
        check_id("jti", &jti)?;
        if !(unnamed && user_id.is_empty()) {
            check_id("user_id", &user_id)?;
        }

        let payload = match self.extra {
            Extra::InText(payload) => payload,
            Extra::Values(_) => "",
        };
        let mut text = String::with_capacity(jti.len() + user_id.len() + payload.len());
        text.push_str(&jti);
        text.push_str(&user_id);
        text.push_str(payload);
        let extra = match self.extra {
            Extra::InText(_) => ExtraClaims::InText(OnceLock::new()),
            Extra::Values(values) => ExtraClaims::Values(values),
        };
        // Extra claims in the text are read, and boxed, when first asked for.
        let plain = iss.is_none()
            && aud.is_none()
            && match &extra {
                ExtraClaims::Values(values) => values.is_empty(),
                ExtraClaims::InText(_) => true,
            };
        let rare = OnceLock::new();
        if !plain {
            let _ = rare.set(Box::new(Rare {
                iss: iss.map(Cow::into_owned),
                aud,
                extra,
            }));
        }
        Ok(Claims {
            token_type: expected,
            exp,
            iat,
            nbf,
            text,
            jti_len: offset(jti.len()),
            user_id_end: offset(jti.len() + user_id.len()),
            rare,
        })
    }
}
