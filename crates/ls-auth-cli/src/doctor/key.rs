//! The `key` step: what the key is, judged by the core without the server (a pasted scheme, a
//! truncated listing, an access token, an expired PAT, a malformed legacy key).

use ls_auth_core::client::{classify_api_key, inspect_key, ApiKeyKind, KeyShape};
use ls_auth_core::legacy::{check_legacy_key, legacy_key_digest};
use ls_auth_core::ErrorKind;
use serde_json::Value;

use super::{Diagnosis, Doctor, Stop};
use crate::progress::Outcome;
use crate::time;

impl Doctor<'_> {
    pub(super) fn check_key(&mut self) -> Result<ApiKeyKind, Stop> {
        let name = "key";
        let key = self.key;
        let lower = key.to_ascii_lowercase();
        if key.is_empty() {
            return Err(self.fail(Diagnosis::KeyMalformed, name, "the key is empty"));
        }
        if lower.starts_with("bearer ") || lower.starts_with("token ") {
            return Err(self.fail(
                Diagnosis::KeyMalformed,
                name,
                "the key starts with an Authorization scheme ('Token '/'Bearer '): the API key is the part after it",
            ));
        }
        if key
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\'')
        {
            return Err(self.fail(
                Diagnosis::KeyMalformed,
                name,
                "the key contains spaces or quotes",
            ));
        }
        let (shape, token) = match inspect_key(key) {
            Ok((shape, token)) => (Some(shape), token),
            Err(_) => (None, None),
        };
        if shape == Some(KeyShape::Truncated) {
            return Err(self.fail(
                Diagnosis::KeyTruncated,
                name,
                "the key is a token without its signature (header.payload), as the server lists tokens",
            ));
        }
        let claims = token.map(|t| t.claims);
        let exp = claims
            .as_ref()
            .and_then(|c| c.get("exp"))
            .and_then(Value::as_i64);
        let user = claims
            .as_ref()
            .and_then(|c| c.get("user_id"))
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_else(|| "?".into());
        match classify_api_key(key, self.now) {
            Err(e) if e.kind() == ErrorKind::TokenExpired => {
                let when = exp
                    .map(|t| format!(" ({}, {})", time::utc(t), time::expiry(t, self.now)))
                    .unwrap_or_default();
                // Expired by this machine's clock but not by the server's: the clock is wrong.
                if let Some(server_now) = self.server_now {
                    if classify_api_key(key, server_now).is_ok() {
                        return Err(self.fail(
                            Diagnosis::ClockSkew,
                            name,
                            &format!("the personal access token has expired by this machine's clock{when} but not by the server's"),
                        ));
                    }
                }
                Err(self.fail(
                    Diagnosis::PatExpired,
                    name,
                    &format!(
                        "{} (personal access token for user {user}{when})",
                        e.message()
                    ),
                ))
            }
            Err(e) => Err(self.fail(
                Diagnosis::KeyMalformed,
                name,
                &format!("{}: {}", e.code(), e.message()),
            )),
            Ok(ApiKeyKind::Access) => {
                let when = exp
                    .map(|t| format!(", {}", time::expiry(t, self.now)))
                    .unwrap_or_default();
                Err(self.fail(
                    Diagnosis::KeyIsAccessToken,
                    name,
                    &format!("the key is an access token (user {user}{when}), not an API key"),
                ))
            }
            Ok(ApiKeyKind::Legacy) => match check_legacy_key(key) {
                Ok(()) => {
                    self.steps.finish(
                        Outcome::Ok,
                        name,
                        &format!(
                            "legacy key (sha256 {}), sent as 'Token <key>'",
                            legacy_key_digest(key)
                        ),
                    );
                    Ok(ApiKeyKind::Legacy)
                }
                Err(e) => Err(self.fail(
                    Diagnosis::KeyMalformed,
                    name,
                    &format!("not a JWT, and not a legacy key either ({})", e.message()),
                )),
            },
            Ok(ApiKeyKind::Pat) => {
                let when = exp
                    .map(|t| format!(", {}", time::expiry(t, self.now)))
                    .unwrap_or_default();
                self.steps.finish(
                    Outcome::Ok,
                    name,
                    &format!("personal access token for user {user}{when}"),
                );
                Ok(ApiKeyKind::Pat)
            }
        }
    }
}
