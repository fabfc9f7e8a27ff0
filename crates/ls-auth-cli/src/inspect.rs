//! `ls-auth inspect`: what a token or key is, read without any key. Nothing shown is verified.

use ls_auth_core::client::{inspect_key, ApiKeyKind, KeyShape};
use ls_auth_core::legacy::legacy_key_digest;
use serde_json::{json, Map, Value};

use crate::{time, CliError};

/// What `inspect` found, as the JSON it prints with `--json`.
pub fn describe(token: &str, now: i64) -> Result<Value, CliError> {
    let (shape, decoded) = inspect_key(token).map_err(|e| CliError::Core(e, None))?;
    let Some(decoded) = decoded.filter(|_| shape != KeyShape::Key(ApiKeyKind::Legacy)) else {
        return Ok(json!({
            "kind": shape.as_str(),
            "sha256": legacy_key_digest(token),
            "signature_checked": false,
        }));
    };
    let token_type = decoded.claims.get("token_type").and_then(Value::as_str);
    let mut out = Map::new();
    out.insert("kind".into(), shape.as_str().into());
    out.insert("token_type".into(), token_type.into());
    out.insert("header".into(), decoded.header.clone().into());
    out.insert("claims".into(), decoded.claims.clone().into());
    for (name, label) in [("iat", "issued"), ("exp", "expiry"), ("nbf", "not_before")] {
        if let Some(t) = decoded.claims.get(name).and_then(Value::as_i64) {
            let relative = match name {
                "exp" => time::expiry(t, now),
                "iat" => time::issued(t, now),
                _ if t > now => format!("valid in {}", time::span(t.abs_diff(now))),
                _ => format!("valid since {}", time::span(t.abs_diff(now))),
            };
            out.insert(
                label.into(),
                json!({ "epoch": t, "utc": time::utc(t), "relative": relative }),
            );
        }
    }
    out.insert("now".into(), now.into());
    out.insert("signature_checked".into(), false.into());
    Ok(out.into())
}

/// The human form of [`describe`]'s result, line by line.
pub fn render(d: &Value) -> Vec<String> {
    let kind = d["kind"].as_str().unwrap_or_default();
    let mut lines = vec![format!(
        "kind:       {}",
        match kind {
            "legacy" => "legacy API key (send as `Authorization: Token <key>`)".to_owned(),
            "pat" => "PAT (personal access token, token_type \"refresh\"): exchange it at POST /api/token/refresh/".to_owned(),
            "access" => "access token (send as `Authorization: Bearer <token>`)".to_owned(),
            "truncated" => format!(
                "truncated token (header.payload, token_type {}): the server's listing form, it authenticates nothing",
                d["token_type"]
            ),
            _ => format!("JWT with an unknown token_type ({})", d["token_type"]),
        }
    )];
    if kind == "legacy" {
        lines.push(format!(
            "sha256:     {}",
            d["sha256"].as_str().unwrap_or_default()
        ));
    } else {
        lines.push(format!("header:     {}", d["header"]));
        lines.push(format!("claims:     {}", d["claims"]));
        for (key, label) in [
            ("issued", "issued:"),
            ("not_before", "not before:"),
            ("expiry", "expires:"),
        ] {
            if let Some(t) = d.get(key) {
                lines.push(format!(
                    "{label:<11} {} ({})",
                    t["utc"].as_str().unwrap_or_default(),
                    t["relative"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    lines.push("signature:  not checked (inspect uses no key; use `ls-auth verify`)".to_owned());
    lines
}
