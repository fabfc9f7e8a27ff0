//! `ls-auth doctor`: whether this key works against this server and, if not, exactly why.
//!
//! Each step either passes or ends the run with one [`Diagnosis`], which has its own exit code.
//! What a key is, when it expires, which header carries it and when a cached access token is
//! due come from `ls-auth-core`; what the server says is asked of the server.

use std::process::ExitCode;

use ls_auth_core::client::{classify_api_key, inspect_key, ApiKeyKind, KeyShape};
use ls_auth_core::header::token_value;
use ls_auth_core::legacy::{check_legacy_key, legacy_key_digest};
use ls_auth_core::origin::REFRESH_PATH;
use ls_auth_core::{ErrorKind, InMemoryRevocation, OrgSettings, TokenPolicy, Verifier};
use serde_json::{json, Value};

use crate::client::{self, Authorized, NoReply, NotAuthorized, Reply, Server, ServerArgs};
use crate::progress::{Outcome, Steps};
use crate::secret::KeySource;
use crate::{time, CliError};

/// The exit codes, for `doctor --help`.
pub const EXIT_CODES: &str = "Exit codes (one per diagnosis):
   0 ok                      the key works against this server
   1 unexplained             the server refused in a way doctor cannot explain (its answer is shown)
   2 usage                   no URL, no key, an unreadable file
  10 server_unreachable      no answer from the URL (refused, unknown host, timeout)
  11 tls_untrusted           the server's certificate is not trusted: pass --ca-file
  12 not_label_studio        no Label Studio API at this URL (a missing or wrong sub-path?)
  20 key_malformed           the key is neither a JWT nor a 40-hex legacy key (a pasted scheme, quotes…)
  21 key_truncated           the key is the server's truncated listing form (header.payload)
  22 key_is_access_token     the key is a 5-minute access token, not an API key
  23 pat_expired             the personal access token has expired
  30 pat_revoked             the server has revoked (blacklisted) the personal access token
  31 pat_rejected            the server refuses the PAT: not signed with its key, or its user is gone
  32 pats_disabled           the organisation has turned personal access tokens off
  33 legacy_disabled         the organisation has turned legacy keys off
  34 legacy_key_unknown      the server has no such legacy key (reset, deleted, another server's)
  40 pat_sent_as_bearer      --sent-as bearer: a PAT is exchanged, never sent as Bearer
  41 pat_sent_as_token       --sent-as token: a PAT is exchanged, never sent as Token
  42 legacy_sent_as_bearer   --sent-as bearer: a legacy key goes with Token, not Bearer
  50 clock_skew              this machine's clock is off the server's by more than tokens tolerate
  51 secret_mismatch         the secret given (--secret-file, --env-file, LS_AUTH_SECRET) is not the server's key";

/// `doctor`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// How your client sends the key itself (e.g. curl -H 'Authorization: Bearer KEY'):
    /// doctor checks that this is how this kind of key is sent, and asks the server.
    #[arg(long, value_enum, value_name = "SCHEME")]
    pub sent_as: Option<Scheme>,
}

/// An `Authorization` scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scheme {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `Authorization: Token <key>`.
    Token,
}

/// What is wrong, each with its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diagnosis {
    Ok,
    Unexplained,
    ServerUnreachable,
    TlsUntrusted,
    NotLabelStudio,
    KeyMalformed,
    KeyTruncated,
    KeyIsAccessToken,
    PatExpired,
    PatRevoked,
    PatRejected,
    PatsDisabled,
    LegacyDisabled,
    LegacyKeyUnknown,
    PatSentAsBearer,
    PatSentAsToken,
    LegacySentAsBearer,
    ClockSkew,
    SecretMismatch,
}

impl Diagnosis {
    /// The stable name printed and put in `--json`.
    pub fn code(self) -> &'static str {
        match self {
            Diagnosis::Ok => "ok",
            Diagnosis::Unexplained => "unexplained",
            Diagnosis::ServerUnreachable => "server_unreachable",
            Diagnosis::TlsUntrusted => "tls_untrusted",
            Diagnosis::NotLabelStudio => "not_label_studio",
            Diagnosis::KeyMalformed => "key_malformed",
            Diagnosis::KeyTruncated => "key_truncated",
            Diagnosis::KeyIsAccessToken => "key_is_access_token",
            Diagnosis::PatExpired => "pat_expired",
            Diagnosis::PatRevoked => "pat_revoked",
            Diagnosis::PatRejected => "pat_rejected",
            Diagnosis::PatsDisabled => "pats_disabled",
            Diagnosis::LegacyDisabled => "legacy_disabled",
            Diagnosis::LegacyKeyUnknown => "legacy_key_unknown",
            Diagnosis::PatSentAsBearer => "pat_sent_as_bearer",
            Diagnosis::PatSentAsToken => "pat_sent_as_token",
            Diagnosis::LegacySentAsBearer => "legacy_sent_as_bearer",
            Diagnosis::ClockSkew => "clock_skew",
            Diagnosis::SecretMismatch => "secret_mismatch",
        }
    }

    /// The process exit code (see [`EXIT_CODES`]).
    pub fn exit_code(self) -> u8 {
        match self {
            Diagnosis::Ok => 0,
            Diagnosis::Unexplained => 1,
            Diagnosis::ServerUnreachable => 10,
            Diagnosis::TlsUntrusted => 11,
            Diagnosis::NotLabelStudio => 12,
            Diagnosis::KeyMalformed => 20,
            Diagnosis::KeyTruncated => 21,
            Diagnosis::KeyIsAccessToken => 22,
            Diagnosis::PatExpired => 23,
            Diagnosis::PatRevoked => 30,
            Diagnosis::PatRejected => 31,
            Diagnosis::PatsDisabled => 32,
            Diagnosis::LegacyDisabled => 33,
            Diagnosis::LegacyKeyUnknown => 34,
            Diagnosis::PatSentAsBearer => 40,
            Diagnosis::PatSentAsToken => 41,
            Diagnosis::LegacySentAsBearer => 42,
            Diagnosis::ClockSkew => 50,
            Diagnosis::SecretMismatch => 51,
        }
    }

    /// What to do about it.
    pub fn advice(self) -> &'static str {
        match self {
            Diagnosis::Ok => "nothing: this key works against this server",
            Diagnosis::Unexplained => {
                "the server's answer is shown above; check the server's logs for that request"
            }
            Diagnosis::ServerUnreachable => {
                "check the URL (scheme, host, port) and that the server is running and reachable \
                 from here (proxy settings: HTTPS_PROXY, NO_PROXY)"
            }
            Diagnosis::TlsUntrusted => {
                "pass the CA that signed the server's certificate with --ca-file PATH; SDK users \
                 pass it to their httpx client (verify=…), which ls_auth.contrib.sdk also uses \
                 for the refresh"
            }
            Diagnosis::NotLabelStudio => {
                "if Label Studio is served under a sub-path, the URL must include it \
                 (https://host/labelstudio); the SDK's own refresh drops a sub-path that has no \
                 trailing slash, ls_auth.contrib.sdk keeps it either way"
            }
            Diagnosis::KeyMalformed => {
                "set the key alone (no 'Token '/'Bearer ', no quotes or spaces), as copied from \
                 Account & Settings"
            }
            Diagnosis::KeyTruncated => {
                "this is how the server lists a token (header.payload); it authenticates nothing. \
                 Use the full token shown once when it was created, or create a new one"
            }
            Diagnosis::KeyIsAccessToken => {
                "use your personal access token (or legacy key) as the API key; access tokens \
                 are what clients exchange it for, and they expire within minutes"
            }
            Diagnosis::PatExpired => {
                "create a new personal access token (Account & Settings, or `ls-auth token \
                 create` with a working key)"
            }
            Diagnosis::PatRevoked => "create a new personal access token; this one was revoked",
            Diagnosis::PatRejected => {
                "this token was not issued by this server (another server, or its SECRET_KEY \
                 changed), or its user no longer exists: create a new token on this server"
            }
            Diagnosis::PatsDisabled => {
                "an administrator can turn personal access tokens on (Organization > API Tokens \
                 Settings), or use a legacy key if those are enabled"
            }
            Diagnosis::LegacyDisabled => {
                "an administrator can turn legacy tokens on (Organization > API Tokens Settings), \
                 or use a personal access token"
            }
            Diagnosis::LegacyKeyUnknown => {
                "copy the current key from Account & Settings (a reset replaces it) and check the \
                 URL points at the server that issued it"
            }
            Diagnosis::PatSentAsBearer | Diagnosis::PatSentAsToken => {
                "a personal access token is a refresh token: POST it to /api/token/refresh/ as \
                 {\"refresh\": PAT} and send the access token it returns as 'Authorization: \
                 Bearer <access>' (the SDK and ls_auth.contrib.sdk do this for you)"
            }
            Diagnosis::LegacySentAsBearer => "send a legacy key as 'Authorization: Token <key>'",
            Diagnosis::ClockSkew => {
                "synchronise this machine's clock (NTP); tokens are judged by the server's clock"
            }
            Diagnosis::SecretMismatch => {
                "the secret given is not the SECRET_KEY this server signs with: a service \
                 verifying this server's tokens with it refuses them all (invalid_signature)"
            }
        }
    }
}

/// A step that ended the run.
struct Stop(Diagnosis);

struct Doctor<'a> {
    server: &'a Server,
    key: &'a str,
    now: i64,
    steps: Steps,
    server_now: Option<i64>,
    keyring: Option<ls_auth_core::Keyring>,
}

/// Runs `doctor`.
pub fn run(args: &DoctorArgs, secret: &KeySource, now: i64) -> Result<ExitCode, CliError> {
    let server = args.server.server()?;
    let key = args.server.api_key()?;
    let keyring = if secret.given() {
        Some(secret.keyring()?)
    } else {
        None
    };
    let mut doctor = Doctor {
        server: &server,
        key: &key,
        now,
        steps: Steps::new(args.server.json),
        server_now: None,
        keyring,
    };
    let diagnosis = match doctor.examine(args.sent_as) {
        Ok(()) => Diagnosis::Ok,
        Err(Stop(d)) => d,
    };
    if args.server.json {
        crate::emit_json(&json!({
            "url": server.base(),
            "diagnosis": diagnosis.code(),
            "exit_code": diagnosis.exit_code(),
            "advice": diagnosis.advice(),
            "steps": doctor.steps.recorded(),
        }));
    } else {
        out!(
            "diagnosis: {} (exit {})",
            diagnosis.code(),
            diagnosis.exit_code()
        );
        out!("what to do: {}", diagnosis.advice());
    }
    Ok(ExitCode::from(diagnosis.exit_code()))
}

impl Doctor<'_> {
    fn fail(&mut self, d: Diagnosis, name: &str, detail: &str) -> Stop {
        self.steps.finish(Outcome::Fail, name, detail);
        Stop(d)
    }

    fn no_reply(&mut self, name: &str, e: NoReply) -> Stop {
        match e {
            NoReply::Tls(m) => self.fail(Diagnosis::TlsUntrusted, name, &m),
            NoReply::Unreachable(m) => self.fail(Diagnosis::ServerUnreachable, name, &m),
            NoReply::OutOfScope(m) => self.fail(Diagnosis::Unexplained, name, &m),
        }
    }

    fn examine(&mut self, sent_as: Option<Scheme>) -> Result<(), Stop> {
        self.check_server()?;
        let kind = self.check_key()?;
        let authorized = self.check_exchange(kind)?;
        self.check_request(kind, &authorized)?;
        if let Some(scheme) = sent_as {
            self.check_scheme(kind, &authorized, scheme)?;
        }
        let settings = self.read_settings(&authorized);
        self.check_clock(kind, &authorized)?;
        if let Some(keyring) = self.keyring.clone() {
            self.check_secret(kind, &authorized, keyring, settings)?;
        }
        Ok(())
    }

    fn check_server(&mut self) -> Result<(), Stop> {
        let name = "server";
        self.steps.start("asking the server for its version");
        let reply = match self.server.send("GET", "/api/version/", None, None) {
            Ok(reply) => reply,
            Err(e) => return Err(self.no_reply(name, e)),
        };
        let release = reply
            .json()
            .and_then(|j| j.get("release").and_then(Value::as_str).map(str::to_owned));
        let Some(release) = release.filter(|_| reply.status == 200) else {
            let what = format!(
                "{} answered HTTP {} ({}), not Label Studio's version",
                self.server.url("/api/version/"),
                reply.status,
                match reply.redirect() {
                    Some(redirect) => format!(
                        "a {redirect}, not followed: if that is this Label Studio, use it as the URL"
                    ),
                    None if reply.content_type.is_empty() => "no content type".to_owned(),
                    None => reply.content_type.clone(),
                }
            );
            return Err(self.fail(Diagnosis::NotLabelStudio, name, &what));
        };
        self.server_now = reply.date;
        let at = format!("Label Studio {release} at {}", self.server.base());
        self.steps.finish(Outcome::Ok, name, &at);
        match reply.date {
            Some(server_now) => {
                let skew = self.now - server_now;
                let detail = match skew {
                    0 => "this machine's clock agrees with the server's Date".to_owned(),
                    s if s > 0 => format!(
                        "this machine's clock is {} ahead of the server's Date",
                        time::span(s.unsigned_abs())
                    ),
                    s => format!(
                        "this machine's clock is {} behind the server's Date",
                        time::span(s.unsigned_abs())
                    ),
                };
                self.steps.finish(Outcome::Info, "clock", &detail);
            }
            None => self.steps.finish(
                Outcome::Info,
                "clock",
                "the server sent no Date header: skew not checked",
            ),
        }
        Ok(())
    }

    fn check_key(&mut self) -> Result<ApiKeyKind, Stop> {
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

    fn check_exchange(&mut self, kind: ApiKeyKind) -> Result<Authorized, Stop> {
        let name = "exchange";
        if kind == ApiKeyKind::Pat {
            self.steps.start("exchanging the personal access token");
        }
        let url = self.server.url(REFRESH_PATH);
        match client::authorize(self.server, self.key, self.now) {
            Ok(authorized) => {
                if let Some(exp) = authorized.cache.access_exp() {
                    let at = self.server_now.unwrap_or(self.now);
                    self.steps.finish(
                        Outcome::Ok,
                        name,
                        &format!(
                            "POST {url} gave an access token ({} by the server's clock)",
                            time::expiry(exp, at)
                        ),
                    );
                }
                Ok(authorized)
            }
            Err(NotAuthorized::NoReply(e)) => Err(self.no_reply(name, e)),
            Err(NotAuthorized::Key(e)) => Err(self.fail(
                Diagnosis::Unexplained,
                name,
                &format!("POST {url}: {}: {}", e.code(), e.message()),
            )),
            Err(NotAuthorized::Refused(reply)) => Err(self.refused_exchange(&url, &reply)),
        }
    }

    fn refused_exchange(&mut self, url: &str, reply: &Reply) -> Stop {
        let name = "exchange";
        let said = format!("POST {url} answered {}", reply.summary());
        let (d, why) = match client::refusal_kind(reply) {
            Some(ErrorKind::TokenRevoked) => (Diagnosis::PatRevoked, "the token is revoked"),
            Some(ErrorKind::TokenExpired) => (
                Diagnosis::PatExpired,
                "the server considers the token expired",
            ),
            Some(ErrorKind::InvalidSignature) if self.verifies_with_given_secret() => (
                Diagnosis::SecretMismatch,
                "the token verifies with the secret given, so that secret is not the server's key",
            ),
            Some(ErrorKind::InvalidSignature) => (
                Diagnosis::PatRejected,
                "the server's key did not sign this token",
            ),
            Some(ErrorKind::TokenKindDisabled) => (
                Diagnosis::PatsDisabled,
                "personal access tokens are disabled",
            ),
            Some(k) => (Diagnosis::PatRejected, k.description()),
            None if reply.status == 401 => (Diagnosis::PatRejected, "the server refuses the token"),
            None if reply.status == 404 => {
                (Diagnosis::NotLabelStudio, "no refresh endpoint at this URL")
            }
            // The summary names where it points; the PAT was not sent there.
            None if reply.redirect().is_some() => (
                Diagnosis::NotLabelStudio,
                "not followed, a credential goes only to the URL given: if that is this Label \
                 Studio, use it as the URL",
            ),
            None => (Diagnosis::Unexplained, "an unexpected answer to a refresh"),
        };
        self.fail(d, name, &format!("{said}: {why}"))
    }

    /// Whether the PAT's signature verifies with the secret the user gave.
    fn verifies_with_given_secret(&self) -> bool {
        let Some(keyring) = self.keyring.clone() else {
            return false;
        };
        let at = self.server_now.unwrap_or(self.now);
        let verifier = Verifier::new(keyring, TokenPolicy::default());
        // Every refusal after the signature check means the signature verified (contract §3.4).
        !matches!(
            verifier.verify_refresh(self.key, &OrgSettings::default(), &InMemoryRevocation::new(), at),
            Err(e) if matches!(
                e.kind(),
                ErrorKind::InvalidSignature
                    | ErrorKind::MalformedToken
                    | ErrorKind::TokenTooLarge
                    | ErrorKind::UnsupportedAlgorithm
            )
        )
    }

    fn check_request(&mut self, kind: ApiKeyKind, authorized: &Authorized) -> Result<(), Stop> {
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

    fn check_scheme(
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

    fn read_settings(&mut self, authorized: &Authorized) -> Option<OrgSettings> {
        let name = "organisation";
        self.steps
            .start("reading the organisation's token settings");
        let reply =
            match self
                .server
                .send("GET", "/api/jwt/settings", Some(&authorized.header), None)
            {
                Ok(r) => r,
                Err(e) => {
                    self.steps
                        .finish(Outcome::Info, name, &format!("not read: {e}"));
                    return None;
                }
            };
        let settings = (reply.status == 200)
            .then(|| reply.json())
            .flatten()
            .and_then(|j| {
                Some(OrgSettings {
                    api_tokens_enabled: j.get("api_tokens_enabled")?.as_bool()?,
                    legacy_api_tokens_enabled: j.get("legacy_api_tokens_enabled")?.as_bool()?,
                    ..OrgSettings::default()
                })
            });
        match &settings {
            Some(s) => {
                let on = |b: bool| if b { "on" } else { "off" };
                self.steps.finish(
                    Outcome::Info,
                    name,
                    &format!(
                        "GET /api/jwt/settings: personal access tokens {}, legacy keys {}",
                        on(s.api_tokens_enabled),
                        on(s.legacy_api_tokens_enabled)
                    ),
                );
            }
            None => self.steps.finish(
                Outcome::Info,
                name,
                &format!("GET /api/jwt/settings answered {}: not readable with this key (an administrator's is)", reply.summary()),
            ),
        }
        settings
    }

    fn check_clock(&mut self, kind: ApiKeyKind, authorized: &Authorized) -> Result<(), Stop> {
        let name = "clock";
        let (Some(server_now), ApiKeyKind::Pat) = (self.server_now, kind) else {
            return Ok(());
        };
        let skew = self.now - server_now;
        let cache = &authorized.cache;
        let Some(exp) = cache.access_exp() else {
            return Ok(());
        };
        let span = time::span(skew.unsigned_abs());
        // The core's cache decides when a token is due; ask it what it decides on this clock.
        if cache.needs_refresh(self.now) {
            return Err(self.fail(
                Diagnosis::ClockSkew,
                name,
                &format!("this machine's clock is {span} ahead of the server's: an access token looks due for refresh the moment it is issued, so clients refresh on every request or give up"),
            ));
        }
        // At the instant the server expires the token, this machine's clock reads exp + skew.
        if !cache.needs_refresh(exp.saturating_add(skew)) {
            return Err(self.fail(
                Diagnosis::ClockSkew,
                name,
                &format!("this machine's clock is {span} behind the server's: clients keep sending each access token after the server has expired it (intermittent 401s)"),
            ));
        }
        self.steps.finish(
            Outcome::Ok,
            name,
            "the skew is within what the refresh margin absorbs",
        );
        Ok(())
    }

    fn check_secret(
        &mut self,
        kind: ApiKeyKind,
        authorized: &Authorized,
        keyring: ls_auth_core::Keyring,
        settings: Option<OrgSettings>,
    ) -> Result<(), Stop> {
        let name = "secret";
        if kind != ApiKeyKind::Pat {
            self.steps.finish(
                Outcome::Info,
                name,
                "not checked: a legacy key carries no signature",
            );
            return Ok(());
        }
        let verifier = Verifier::new(keyring, TokenPolicy::default());
        // Judged at the server's time: the question here is the key, not this machine's clock.
        let at = self.server_now.unwrap_or(self.now);
        let access = authorized
            .header
            .strip_prefix("Bearer ")
            .unwrap_or_default();
        match verifier.verify_access(access, at) {
            // An EdDSA access token (a server running ls_auth.contrib.label_studio signs them
            // with Ed25519 keys it publishes): the secret signs only PATs, so the PAT judges it.
            Err(e) if e.kind() == ErrorKind::UnsupportedAlgorithm && is_eddsa(access) => {
                return self.check_secret_by_pat(&verifier, settings, at);
            }
            Err(e) if e.kind() == ErrorKind::InvalidSignature => {
                return Err(self.fail(
                    Diagnosis::SecretMismatch,
                    name,
                    "the access token this server just issued does not verify with the secret given: invalid_signature",
                ));
            }
            Err(e) => {
                return Err(self.fail(
                    Diagnosis::Unexplained,
                    name,
                    &format!("the server's access token: {}: {}", e.code(), e.message()),
                ));
            }
            Ok(_) => {}
        }
        let settings = settings.unwrap_or_default();
        match verifier.verify_refresh(self.key, &settings, &InMemoryRevocation::new(), at) {
            Ok(_) => self.steps.finish(
                Outcome::Ok,
                name,
                "the server signs with the secret given; the PAT verifies with it",
            ),
            Err(e) => self.steps.finish(
                Outcome::Warn,
                name,
                &format!(
                    "the server signs with the secret given, but ls-auth refuses this PAT: {}: {}",
                    e.code(),
                    e.message()
                ),
            ),
        }
        Ok(())
    }

    fn check_secret_by_pat(
        &mut self,
        verifier: &Verifier,
        settings: Option<OrgSettings>,
        at: i64,
    ) -> Result<(), Stop> {
        let name = "secret";
        let settings = settings.unwrap_or_default();
        match verifier.verify_refresh(self.key, &settings, &InMemoryRevocation::new(), at) {
            Err(e) if e.kind() == ErrorKind::InvalidSignature => Err(self.fail(
                Diagnosis::SecretMismatch,
                name,
                "the server signs its access tokens with Ed25519 (its JWK Set) and this PAT does not verify with the secret given: invalid_signature",
            )),
            Ok(_) => {
                self.steps.finish(
                    Outcome::Ok,
                    name,
                    "the PAT verifies with the secret given; the server signs access tokens with Ed25519 (GET /api/token/jwks/)",
                );
                Ok(())
            }
            Err(e) => {
                self.steps.finish(
                    Outcome::Warn,
                    name,
                    &format!(
                        "the server signs access tokens with Ed25519, and ls-auth refuses this PAT: {}: {}",
                        e.code(),
                        e.message()
                    ),
                );
                Ok(())
            }
        }
    }
}

/// Whether a token's header names `alg: EdDSA` (read without trusting it: only to choose which
/// check applies; the core still verifies everything it is given).
fn is_eddsa(token: &str) -> bool {
    ls_auth_core::jws::decode_unverified(token)
        .is_ok_and(|t| t.header.get("alg").and_then(|a| a.as_str()) == Some("EdDSA"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Diagnosis; 19] = [
        Diagnosis::Ok,
        Diagnosis::Unexplained,
        Diagnosis::ServerUnreachable,
        Diagnosis::TlsUntrusted,
        Diagnosis::NotLabelStudio,
        Diagnosis::KeyMalformed,
        Diagnosis::KeyTruncated,
        Diagnosis::KeyIsAccessToken,
        Diagnosis::PatExpired,
        Diagnosis::PatRevoked,
        Diagnosis::PatRejected,
        Diagnosis::PatsDisabled,
        Diagnosis::LegacyDisabled,
        Diagnosis::LegacyKeyUnknown,
        Diagnosis::PatSentAsBearer,
        Diagnosis::PatSentAsToken,
        Diagnosis::LegacySentAsBearer,
        Diagnosis::ClockSkew,
        Diagnosis::SecretMismatch,
    ];

    #[test]
    fn each_diagnosis_has_its_own_exit_code_and_a_help_line() {
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for d in ALL {
            assert!(
                codes.insert(d.exit_code()),
                "{d:?} reuses exit code {}",
                d.exit_code()
            );
            assert!(names.insert(d.code()), "{d:?} reuses {}", d.code());
            // Usage errors exit 2 (clap and the other commands): no diagnosis may take it.
            assert_ne!(d.exit_code(), 2);
            let line = format!("{:>4} {:<24}", d.exit_code(), d.code());
            assert!(EXIT_CODES.contains(&line), "--help lacks {line:?}");
            assert!(!d.advice().is_empty());
        }
        // --help lists nothing else.
        assert_eq!(EXIT_CODES.lines().count(), 1 + ALL.len() + 1);
    }
}
