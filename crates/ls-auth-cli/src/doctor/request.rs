//! The `request` and `sent-as` steps: the server asked who the key is, the way a client
//! should send it and, with `--sent-as`, the way the user's client does.

use ls_auth_core::client::ApiKeyKind;
use ls_auth_core::header::token_value;
use ls_auth_core::ErrorKind;
use serde_json::Value;

use super::{Diagnosis, Doctor, Scheme, Stop};
use crate::client::{self, Authorized};
use crate::progress::Outcome;

impl Doctor<'_> {
    pub(super) fn check_request(
        &mut self,
        kind: ApiKeyKind,
        authorized: &Authorized,
    ) -> Result<(), Stop> {
        let name = "request";
        let path = "/api/current-user/whoami";
        let scheme = if kind == ApiKeyKind::Legacy {
            "Token <key>"
        } else {
            "Bearer <access token>"
        };
        self.steps.start("asking the server who this key is");
        let reply = match self
            .server
            .send("GET", path, Some(&authorized.header), None)
        {
            Ok(r) => r,
            Err(e) => return Err(self.no_reply(name, e)),
        };
        let said = format!("GET {path} with '{scheme}' answered {}", reply.summary());
        if reply.status == 200 {
            let json = reply.json().unwrap_or(Value::Null);
            let who = format!(
                "GET {path} with '{scheme}': user {} ({})",
                json.get("id")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "?".into()),
                json.get("email").and_then(Value::as_str).unwrap_or("?")
            );
            self.steps.finish(Outcome::Ok, name, &who);
            return Ok(());
        }
        let (d, why) = match (kind, client::refusal_kind(&reply)) {
            (_, Some(ErrorKind::TokenKindDisabled)) if kind == ApiKeyKind::Legacy => {
                (Diagnosis::LegacyDisabled, "legacy keys are disabled for this organisation")
            }
            (ApiKeyKind::Legacy, _) if client::is_unknown_legacy_key(&reply) => {
                (Diagnosis::LegacyKeyUnknown, "the server has no such key")
            }
            (ApiKeyKind::Pat, Some(ErrorKind::TokenKindDisabled)) => {
                (Diagnosis::PatsDisabled, "personal access tokens are disabled for this organisation")
            }
            // Label Studio 1.23 ignores a valid access token when the organisation has turned
            // JWT tokens off (its middleware simply does not log the user in), so the request
            // arrives without credentials: the token was issued a moment ago by this server.
            (ApiKeyKind::Pat, _) if reply.status == 401 && reply.detail().as_deref() == Some("Authentication credentials were not provided.") => {
                (Diagnosis::PatsDisabled, "the server ignored an access token it issued a moment ago: personal access tokens are disabled for this organisation")
            }
            (ApiKeyKind::Pat, _) if reply.detail().as_deref() == Some("User not found") => {
                (Diagnosis::PatRejected, "the token's user no longer exists")
            }
            _ if reply.status == 404 => (Diagnosis::NotLabelStudio, "no Label Studio API at this URL"),
            _ => (Diagnosis::Unexplained, "unexpected"),
        };
        Err(self.fail(d, name, &format!("{said}: {why}")))
    }

    pub(super) fn check_scheme(
        &mut self,
        kind: ApiKeyKind,
        authorized: &Authorized,
        scheme: Scheme,
    ) -> Result<(), Stop> {
        let name = "sent-as";
        let word = match scheme {
            Scheme::Bearer => "Bearer",
            Scheme::Token => "Token",
        };
        let sent = format!("{word} {}", self.key);
        // The header the core builds for the key itself; a PAT is never sent at all.
        let right = match kind {
            ApiKeyKind::Pat => None,
            _ => Some(authorized.header.as_str()),
        };
        if right == Some(sent.as_str()) {
            self.steps.finish(
                Outcome::Ok,
                name,
                &format!("'{word} <key>' is how a legacy key is sent"),
            );
            return Ok(());
        }
        self.steps.start("sending the key the way your client does");
        let reply = match self
            .server
            .send("GET", "/api/current-user/whoami", Some(&sent), None)
        {
            Ok(r) => r,
            Err(e) => return Err(self.no_reply(name, e)),
        };
        let said = format!(
            "GET /api/current-user/whoami with '{word} <key>' answered {}",
            reply.summary()
        );
        if reply.status == 200 {
            self.steps.finish(
                Outcome::Warn,
                name,
                &format!("{said}: this server accepts it, others may not"),
            );
            return Ok(());
        }
        let d = match (kind, scheme) {
            (ApiKeyKind::Pat, Scheme::Bearer) => Diagnosis::PatSentAsBearer,
            (ApiKeyKind::Pat, Scheme::Token) => Diagnosis::PatSentAsToken,
            _ => Diagnosis::LegacySentAsBearer,
        };
        let why = match d {
            Diagnosis::LegacySentAsBearer => {
                format!("a legacy key is sent as '{}'", token_value("<key>"))
            }
            _ => "a personal access token is exchanged for an access token, never sent itself"
                .to_owned(),
        };
        Err(self.fail(d, name, &format!("{said}: {why}")))
    }
}
