//! Talking to a Label Studio server: where it is, the user's API key, HTTP, and what the
//! server's refusals mean. Only this module does network I/O; every rule about tokens (what
//! kind a key is, when it expires, which header carries it) is asked of `ls-auth-core`.

use std::path::PathBuf;
use std::time::Duration;

use ls_auth_core::client::AccessTokenCache;
use ls_auth_core::origin::{origin_of, CredentialScope, REFRESH_PATH};
use ls_auth_core::ErrorKind;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::CliError;

/// Where the server's URL comes from when `--url` is absent.
pub const URL_ENV: &str = "LABEL_STUDIO_URL";
/// Where the API key comes from when `--api-key-file` is absent.
pub const KEY_ENV: &str = "LABEL_STUDIO_API_KEY";

/// The options of every command that talks to a server.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServerArgs {
    /// Label Studio's base URL, sub-path included (https://host/labelstudio); default:
    /// $LABEL_STUDIO_URL.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Read the API key from this file (default: $LABEL_STUDIO_API_KEY; never an argument).
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Trust the CA certificates in this PEM file (instead of the built-in web roots).
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// Give up on a request after this many seconds.
    #[arg(long, value_name = "S", default_value_t = 30)]
    pub timeout: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Allow an http:// URL to a host other than this machine, over which the API key travels
    /// in clear text (anyone on the network path can read and reuse it).
    #[arg(long)]
    pub allow_insecure_http: bool,
}

impl ServerArgs {
    /// The Label Studio the API key belongs to (contract §5.1): the only place it is sent.
    pub fn scope(&self) -> Result<CredentialScope, CliError> {
        let (url, from) = match &self.url {
            Some(url) => (url.clone(), "--url"),
            None => (
                std::env::var(URL_ENV).map_err(|_| {
                    CliError::Usage(format!("no server: pass --url URL or set {URL_ENV}"))
                })?,
                URL_ENV,
            ),
        };
        let scope = CredentialScope::new(url.trim())
            .map_err(|e| CliError::Usage(format!("{from} {url:?}: {}", e.message())))?;
        if scope.is_cleartext_remote() && !self.allow_insecure_http {
            return Err(CliError::Usage(format!(
                "{from} {}: refusing to send the API key over plain http to a host other than \
                 this machine, where it travels in clear text for anyone on the network path to \
                 read and reuse; use https://, or pass --allow-insecure-http if that network is \
                 trusted",
                scope.base_url()
            )));
        }
        Ok(scope)
    }

    /// The API key, from `--api-key-file` or `LABEL_STUDIO_API_KEY`; surrounding whitespace
    /// (a file's trailing newline) is trimmed.
    pub fn api_key(&self) -> Result<Zeroizing<String>, CliError> {
        let raw = match &self.api_key_file {
            Some(path) => {
                let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| {
                    CliError::Usage(format!("cannot read {}: {e}", path.display()))
                })?);
                let text = std::str::from_utf8(&bytes).map_err(|_| {
                    CliError::Usage(format!("{} is not UTF-8 text", path.display()))
                })?;
                Zeroizing::new(text.to_owned())
            }
            None => Zeroizing::new(std::env::var(KEY_ENV).map_err(|_| {
                CliError::Usage(format!(
                    "no API key: set {KEY_ENV} or pass --api-key-file PATH (a key is never \
                     accepted on the command line)"
                ))
            })?),
        };
        Ok(Zeroizing::new(raw.trim().to_owned()))
    }

    /// Connects nothing yet: builds the HTTP agent for the server's URL.
    pub fn server(&self) -> Result<Server, CliError> {
        let scope = self.scope()?;
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect is an answer, never followed: a credential goes only where --url says
            // (ureq would follow to any host, and a redirect's target is the server's to pick).
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(self.timeout.max(1))))
            .user_agent(concat!("ls-auth/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
            let certs = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(CliError::Usage(format!(
                    "{} holds no PEM certificate",
                    path.display()
                )));
            }
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                    .build(),
            );
        }
        Ok(Server {
            agent: config.build().new_agent(),
            scope,
        })
    }
}

/// A server's answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The `Date` header, in seconds since the epoch.
    pub date: Option<i64>,
    pub content_type: String,
    pub body: String,
    /// The `Location` header of a redirect (3xx) answer.
    pub location: Option<String>,
}

impl Reply {
    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The server's `detail` message, when it gave one.
    pub fn detail(&self) -> Option<String> {
        let json = self.json()?;
        match json.get("detail")? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
        .or_else(|| json.get("code").and_then(Value::as_str).map(str::to_owned))
    }

    /// For a redirect answer, where it points: `redirect to https://host:port` (the origin only:
    /// the rest of a target may carry a presigned URL's secrets).
    pub fn redirect(&self) -> Option<String> {
        if !(300..400).contains(&self.status) {
            return None;
        }
        let to = match self.location.as_deref() {
            None => "no Location".to_owned(),
            Some(l) => origin_of(l)
                .unwrap_or_else(|| "a Location that is not an absolute http(s) URL".to_owned()),
        };
        Some(format!("redirect to {to}"))
    }

    /// `HTTP 401: Invalid token.`, `HTTP 302: redirect to https://host (not followed)`.
    pub fn summary(&self) -> String {
        if let Some(redirect) = self.redirect() {
            return format!("HTTP {}: {redirect} (not followed)", self.status);
        }
        match self.detail() {
            Some(d) => format!("HTTP {}: {d}", self.status),
            None => format!("HTTP {}", self.status),
        }
    }
}

/// Why a request got no answer at all.
#[derive(Debug)]
pub enum NoReply {
    /// The server's certificate is not trusted (or TLS failed).
    Tls(String),
    /// No connection: refused, unknown host, timeout.
    Unreachable(String),
    /// Not sent: the URL is outside the key's scope.
    OutOfScope(String),
}

impl std::fmt::Display for NoReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoReply::Tls(m) | NoReply::Unreachable(m) | NoReply::OutOfScope(m) => f.write_str(m),
        }
    }
}

/// One Label Studio server.
pub struct Server {
    agent: ureq::Agent,
    scope: CredentialScope,
}

impl Server {
    /// The base URL (no trailing slash).
    pub fn base(&self) -> &str {
        self.scope.base_url()
    }

    /// `base + path`: the base URL's sub-path is kept, whatever its trailing slash.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base(), path)
    }

    /// Sends a request; `authorization` is a whole header value, `body` JSON (which may hold a
    /// credential too: a PAT to refresh, rotate or revoke).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Reply, NoReply> {
        let url = self.url(path);
        if (authorization.is_some() || body.is_some()) && !self.scope.allows(&url) {
            return Err(NoReply::OutOfScope(format!(
                "not sent: {url} is outside {}, where this key belongs",
                self.base()
            )));
        }
        let result = match (method, body) {
            ("GET", _) => with_auth(self.agent.get(&url), authorization).call(),
            ("POST", Some(body)) => with_auth(self.agent.post(&url), authorization)
                .header("Content-Type", "application/json")
                .send(body.to_string()),
            ("POST", None) => with_auth(self.agent.post(&url), authorization).send_empty(),
            _ => unreachable!("the CLI sends GET and POST only"),
        };
        let mut response = result.map_err(|e| no_reply(&url, e))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let date = header("date").and_then(|d| {
            chrono::DateTime::parse_from_rfc2822(&d)
                .ok()
                .map(|t| t.timestamp())
        });
        let content_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(4 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        Ok(Reply {
            status,
            date,
            content_type,
            body,
            location,
        })
    }

    /// `POST /api/token/refresh/` with `{"refresh": pat}`.
    pub fn refresh(&self, pat: &str) -> Result<Reply, NoReply> {
        self.send(
            "POST",
            REFRESH_PATH,
            None,
            Some(&serde_json::json!({ "refresh": pat })),
        )
    }
}

fn with_auth<B>(
    req: ureq::RequestBuilder<B>,
    authorization: Option<&str>,
) -> ureq::RequestBuilder<B> {
    match authorization {
        Some(value) => req.header("Authorization", value),
        None => req,
    }
}

fn no_reply(url: &str, e: ureq::Error) -> NoReply {
    match e {
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            NoReply::Tls(format!("TLS with {url} failed: {e}"))
        }
        ureq::Error::Io(ref io) if io.to_string().to_lowercase().contains("certificate") => {
            NoReply::Tls(format!("TLS with {url} failed: {e}"))
        }
        other => NoReply::Unreachable(format!("no answer from {url}: {other}")),
    }
}

/// What a refusal from Label Studio 1.23.2 means, from the messages its authentication code
/// (simplejwt 5.5.1, DRF's TokenAuthentication, Label Studio's own) sends; an ls-auth based
/// server sends the core's code itself. `None`: a refusal these messages do not explain.
pub fn refusal_kind(reply: &Reply) -> Option<ErrorKind> {
    let json = reply.json();
    if let Some(kind) = json
        .as_ref()
        .and_then(|j| j.get("code"))
        .and_then(Value::as_str)
        .and_then(ErrorKind::from_code)
    {
        return Some(kind);
    }
    let detail = reply.detail()?;
    Some(match detail.as_str() {
        "Token is blacklisted" => ErrorKind::TokenRevoked,
        "Token is expired" => ErrorKind::TokenExpired,
        "Token has wrong type" => ErrorKind::WrongTokenType,
        // The PAT decodes (it was classified before it was sent): the server's key did not
        // produce its signature.
        "Token is invalid" => ErrorKind::InvalidSignature,
        d if d.contains("legacy token authentication has been disabled") => {
            ErrorKind::TokenKindDisabled
        }
        _ => return None,
    })
}

/// DRF's answer to a `Token` key it does not have.
pub fn is_unknown_legacy_key(reply: &Reply) -> bool {
    reply.detail().as_deref() == Some("Invalid token.")
}

/// A key made ready for requests: the `Authorization` value, and what it took.
pub struct Authorized {
    pub cache: AccessTokenCache,
    pub header: Zeroizing<String>,
    /// This machine's time when the key was made ready.
    pub now: i64,
}

/// Why a key could not be made ready.
pub enum NotAuthorized {
    /// The core refused the key as it is (expired PAT, JWT without `exp`, …).
    Key(ls_auth_core::Error),
    NoReply(NoReply),
    /// The refresh endpoint refused the PAT.
    Refused(Reply),
}

/// Classifies the key with the core and, for a PAT, exchanges it for an access token.
pub fn authorize(server: &Server, key: &str, now: i64) -> Result<Authorized, NotAuthorized> {
    let mut cache = AccessTokenCache::new(key, now).map_err(NotAuthorized::Key)?;
    let mut refreshed_at = None;
    if let Some(pat) = cache.refresh_token() {
        let reply = server.refresh(pat).map_err(NotAuthorized::NoReply)?;
        let access = reply
            .json()
            .and_then(|j| j.get("access").and_then(Value::as_str).map(str::to_owned));
        match access {
            Some(access) if reply.status == 200 => {
                cache.store_access(&access).map_err(NotAuthorized::Key)?;
            }
            _ => return Err(NotAuthorized::Refused(reply)),
        }
        refreshed_at = reply.date;
    }
    // The token was just issued: judge it by the server's clock when the server gave one, so a
    // skewed local clock does not refuse a token the server accepts (`doctor` reports skew).
    let at = refreshed_at.unwrap_or(now);
    let header = Zeroizing::new(cache.authorization_value(at).map_err(NotAuthorized::Key)?);
    Ok(Authorized { cache, header, now })
}

impl NotAuthorized {
    /// The error a command other than `doctor` prints.
    pub fn into_cli_error(self, server: &Server) -> CliError {
        let hint = "run `ls-auth doctor` to find out why";
        match self {
            NotAuthorized::Key(e) => CliError::Core(e, None),
            NotAuthorized::NoReply(e) => CliError::Failed(format!("{e}")),
            NotAuthorized::Refused(reply) => match reply.redirect() {
                Some(redirect) => CliError::Failed(format!(
                    "POST {} answered HTTP {} with a {redirect}: not followed, a credential goes \
                     only to the URL given; if that is where this Label Studio is, pass it as \
                     --url",
                    server.url(REFRESH_PATH),
                    reply.status
                )),
                None => CliError::Failed(format!(
                    "{} refused the personal access token ({}); {hint}",
                    server.url(REFRESH_PATH),
                    reply.summary()
                )),
            },
        }
    }
}

/// Sends an authenticated request. A 401 on a request sent with an access token gets one new
/// exchange and one retry (contract §5), never more; other answers are returned as they are.
pub fn call(
    server: &Server,
    authorized: &mut Authorized,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Reply, CliError> {
    let send = |header: &str| {
        server
            .send(method, path, Some(header), body)
            .map_err(|e| CliError::Failed(e.to_string()))
    };
    let reply = send(&authorized.header)?;
    let Some(pat) = authorized.cache.refresh_token().map(str::to_owned) else {
        return Ok(reply);
    };
    if reply.status != 401 {
        return Ok(reply);
    }
    let refreshed = server
        .refresh(&pat)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let access = refreshed
        .json()
        .and_then(|j| j.get("access").and_then(Value::as_str).map(str::to_owned));
    let Some(access) = access.filter(|_| refreshed.status == 200) else {
        return Ok(reply);
    };
    authorized
        .cache
        .store_access(&access)
        .map_err(|e| CliError::Core(e, None))?;
    // Judged by the server's clock, as in `authorize`.
    let at = refreshed.date.unwrap_or(authorized.now);
    let header = authorized
        .cache
        .authorization_value(at)
        .map_err(|e| CliError::Core(e, None))?;
    authorized.header = Zeroizing::new(header);
    send(&authorized.header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            date: None,
            content_type: "application/json".into(),
            body: body.into(),
            location: None,
        }
    }

    #[test]
    fn refusals_read_as_the_server_meant_them() {
        // Bodies as Label Studio 1.23.2 sends them (tests/live checks them on the real server).
        let cases = [
            (
                r#"{"status_code":401,"detail":"Token is blacklisted"}"#,
                Some(ErrorKind::TokenRevoked),
            ),
            (
                r#"{"detail":"Token is invalid"}"#,
                Some(ErrorKind::InvalidSignature),
            ),
            (
                r#"{"detail":"Token is expired"}"#,
                Some(ErrorKind::TokenExpired),
            ),
            (
                r#"{"detail":"Token has wrong type"}"#,
                Some(ErrorKind::WrongTokenType),
            ),
            (
                r#"{"detail":"Authentication token no longer valid: legacy token authentication has been disabled for this organization"}"#,
                Some(ErrorKind::TokenKindDisabled),
            ),
            // An ls-auth based server names the core's code.
            (
                r#"{"detail":"whatever","code":"pat_ttl_exceeded"}"#,
                Some(ErrorKind::PatTtlExceeded),
            ),
            (r#"{"detail":"Invalid token."}"#, None),
            ("<html>", None),
        ];
        for (body, want) in cases {
            assert_eq!(refusal_kind(&reply(401, body)), want, "{body}");
        }
        assert!(is_unknown_legacy_key(&reply(
            401,
            r#"{"detail":"Invalid token."}"#
        )));
        assert_eq!(reply(401, r#"{"detail":"x"}"#).summary(), "HTTP 401: x");
        assert_eq!(reply(404, "<html>").summary(), "HTTP 404");
    }

    #[test]
    fn base_url_keeps_its_sub_path() {
        for url in ["https://h/ls", "https://h/ls/", "https://h/ls//"] {
            let args = ServerArgs {
                url: Some(url.into()),
                ..ServerArgs::default()
            };
            let server = args.server().unwrap();
            assert_eq!(server.base(), "https://h/ls");
            assert_eq!(server.url(REFRESH_PATH), "https://h/ls/api/token/refresh/");
        }
        let bad = ServerArgs {
            url: Some("ftp://h".into()),
            ..ServerArgs::default()
        };
        assert!(bad.scope().is_err());
    }

    #[test]
    fn cleartext_to_another_host_needs_the_flag() {
        let args = |url: &str, allow_insecure_http| ServerArgs {
            url: Some(url.into()),
            allow_insecure_http,
            ..ServerArgs::default()
        };
        for url in [
            "https://h",
            "http://localhost:8080",
            "http://127.0.0.1",
            "http://[::1]:1",
        ] {
            assert!(args(url, false).scope().is_ok(), "{url}");
        }
        let Err(CliError::Usage(why)) = args("http://h:8080/ls", false).scope() else {
            panic!("http://h accepted");
        };
        assert!(
            why.contains("clear text") && why.contains("--allow-insecure-http"),
            "{why}"
        );
        assert!(args("http://h:8080/ls", true).scope().is_ok());
    }

    #[test]
    fn a_redirect_names_its_target_origin_only() {
        let redirect = |status, location: Option<&str>| Reply {
            location: location.map(str::to_owned),
            ..reply(status, "")
        };
        let r = redirect(307, Some("http://Evil.example:8080/s?X-Amz-Signature=abc"));
        assert_eq!(
            r.redirect().as_deref(),
            Some("redirect to http://evil.example:8080")
        );
        assert_eq!(
            r.summary(),
            "HTTP 307: redirect to http://evil.example:8080 (not followed)"
        );
        let r = redirect(302, Some("/login/?next=/api/"));
        assert!(!r.summary().contains("login"), "{}", r.summary());
        assert!(redirect(301, None).summary().contains("no Location"));
        assert_eq!(redirect(200, Some("http://e/")).redirect(), None);
    }
}
