//! A tower [`Layer`] that authenticates every request with a Label Studio access token,
//! verified with the public keys of the issuer's JWK Set (contract §3.10). The service holds no
//! secret that can sign.
//!
//! ```no_run
//! use axum::{routing::get, Extension, Router};
//! use ls_auth_core::Claims;
//! use ls_auth_tower::{JwksAuthLayer, JwksCache};
//!
//! # async fn run() {
//! let keys = JwksCache::new("https://label-studio.example.com/api/token/jwks/");
//! let app: Router = Router::new()
//!     .route("/", get(|Extension(claims): Extension<Claims>| async move { claims.user_id().to_owned() }))
//!     .layer(JwksAuthLayer::new(keys));
//! # let _ = app; }
//! ```
//!
//! How it behaves, and why:
//!
//! * The set is fetched on first use and kept for the response's `Cache-Control: max-age`
//!   ([`JwksConfig::default_max_age`] without one, clamped between
//!   [`JwksConfig::min_refetch_interval`] and [`JwksConfig::max_max_age`]).
//! * A token whose `kid` the cached set lacks (`unknown_key_id`: a key published since the last
//!   fetch) triggers one refetch and one retry, at most once per `min_refetch_interval`: made-up
//!   kids cost the issuer one request per interval, never one per request.
//! * A failed fetch (the issuer down, an HTTP error, a set the strict rules refuse) leaves the
//!   last good set serving; only a service that never fetched a set answers 503.
//! * One fetch at a time; while a set is cached, requests never wait for the network except
//!   the one retry after `unknown_key_id`.
//! * The fetch runs on tokio's blocking pool (ureq: http and https, rustls with webpki roots).
//! * A verified access token's [`Claims`] go into the request's extensions; a refusal is the
//!   contract's status (400 or 401) with its `WWW-Authenticate` challenge and the stable code
//!   as the body. Legacy `Token` keys are refused (`token_kind_disabled`): a service has no
//!   key table to look them up in.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use http::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use ls_auth_core::header::www_authenticate;
use ls_auth_core::{
    authenticate, unix_time, Claims, Error, Keyring, OrgSettings, Principal, TokenPolicy, Verifier,
};
use tower_layer::Layer;
use tower_service::Service;

pub use ls_auth_core;

/// What a fetch returned: the set's text and its `Cache-Control` header, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The response body (a JWK Set's JSON text, checked by the core).
    pub body: String,
    /// The response's `Cache-Control` value.
    pub cache_control: Option<String>,
}

/// Fetches a JWK Set; blocking (it runs on tokio's blocking pool). Errors are messages for logs.
pub trait FetchJwks: Send + Sync + 'static {
    /// GETs `url`.
    fn fetch(&self, url: &str) -> Result<Fetched, String>;
}

/// The default fetcher: ureq, a timeout, at most 1 MiB, non-2xx statuses as failures.
#[derive(Debug)]
pub struct UreqFetcher {
    agent: ureq::Agent,
}

impl UreqFetcher {
    /// A fetcher whose requests give up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .user_agent(concat!("ls-auth-tower/", env!("CARGO_PKG_VERSION")))
            .build();
        UreqFetcher {
            agent: config.into(),
        }
    }
}

impl FetchJwks for UreqFetcher {
    fn fetch(&self, url: &str) -> Result<Fetched, String> {
        let mut response = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| format!("fetching {url}: {e}"))?;
        let cache_control = response
            .headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(|e| format!("reading {url}: {e}"))?;
        Ok(Fetched {
            body,
            cache_control,
        })
    }
}

/// How the cache fetches and keeps the set.
#[derive(Debug, Clone)]
pub struct JwksConfig {
    /// No two fetches closer than this, whatever the reason (default 30 s).
    pub min_refetch_interval: Duration,
    /// How long a set is kept when the response names no `max-age` (default 300 s).
    pub default_max_age: Duration,
    /// The longest a set is kept, whatever the response says (default one day).
    pub max_max_age: Duration,
    /// Issuer, audience and leeway the tokens are checked against.
    pub policy: TokenPolicy,
}

impl Default for JwksConfig {
    fn default() -> Self {
        JwksConfig {
            min_refetch_interval: Duration::from_secs(30),
            default_max_age: Duration::from_secs(300),
            max_max_age: Duration::from_secs(86_400),
            policy: TokenPolicy::default(),
        }
    }
}

#[derive(Default)]
struct State {
    verifier: Option<Arc<Verifier>>,
    expires_at: Option<Instant>,
    next_attempt: Option<Instant>,
    fetches: u64,
    failures: u64,
    last_error: Option<String>,
}

struct Inner {
    url: String,
    config: JwksConfig,
    fetcher: Arc<dyn FetchJwks>,
    state: Mutex<State>,
    fetching: tokio::sync::Mutex<()>,
}

impl Inner {
    /// Fetches the set and stores it (or the failure); the verifier to use, or why none.
    fn fetch_and_store(&self) -> Result<Arc<Verifier>, String> {
        let built = self.fetcher.fetch(&self.url).and_then(|f| {
            let keyring = Keyring::from_jwks(&f.body)
                .map_err(|e| format!("the JWK Set at {} is refused: {e}", self.url))?;
            Ok((
                Verifier::new(keyring, self.config.policy.clone()),
                max_age(f.cache_control.as_deref()),
            ))
        });
        let mut state = lock(&self.state);
        match built {
            Ok((verifier, age)) => {
                let config = &self.config;
                let age = age
                    .unwrap_or(config.default_max_age)
                    .max(config.min_refetch_interval)
                    .min(config.max_max_age.max(config.min_refetch_interval));
                let verifier = Arc::new(verifier);
                state.verifier = Some(verifier.clone());
                state.expires_at = Some(Instant::now() + age);
                state.last_error = None;
                Ok(verifier)
            }
            Err(why) => {
                state.failures += 1;
                state.last_error = Some(why.clone());
                state.verifier.clone().ok_or(why)
            }
        }
    }
}

/// The issuer's JWK Set, fetched and cached; cheap to clone (shared).
#[derive(Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

/// Why a request could not be authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// The credential is refused: the contract's status and challenge apply.
    Refused(Error),
    /// No JWK Set was ever fetched: nothing can be verified yet (503).
    NoKeySet(String),
}

fn max_age(cache_control: Option<&str>) -> Option<Duration> {
    let value = cache_control?;
    let mut found = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(n) = lower.strip_prefix("max-age=") {
            found = n
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    found
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding the lock cannot leave State inconsistent (plain assignments).
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl JwksCache {
    /// The set at `url` with the default configuration and fetcher (5 s timeout).
    pub fn new(url: impl Into<String>) -> Self {
        Self::with_config(url, JwksConfig::default())
    }

    /// The set at `url`, kept as `config` says, fetched with ureq.
    pub fn with_config(url: impl Into<String>, config: JwksConfig) -> Self {
        Self::with_fetcher(url, config, UreqFetcher::new(Duration::from_secs(5)))
    }

    /// The set at `url`, fetched by `fetcher`.
    pub fn with_fetcher(
        url: impl Into<String>,
        config: JwksConfig,
        fetcher: impl FetchJwks,
    ) -> Self {
        JwksCache {
            inner: Arc::new(Inner {
                url: url.into(),
                config,
                fetcher: Arc::new(fetcher),
                state: Mutex::new(State::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Fetch attempts so far (for metrics and tests).
    pub fn fetches(&self) -> u64 {
        lock(&self.inner.state).fetches
    }

    /// Failed fetch attempts so far.
    pub fn failures(&self) -> u64 {
        lock(&self.inner.state).failures
    }

    /// Whether a set was ever fetched (until then every request is answered 503).
    pub fn has_key_set(&self) -> bool {
        lock(&self.inner.state).verifier.is_some()
    }

    /// Why the last fetch failed; `None` once a fetch succeeds.
    pub fn last_error(&self) -> Option<String> {
        lock(&self.inner.state).last_error.clone()
    }

    fn cached(&self) -> Option<Arc<Verifier>> {
        lock(&self.inner.state).verifier.clone()
    }

    /// Fetches the set when it is stale (or `force`) and the rate limit allows. Returns the
    /// verifier to use, or why there is none.
    async fn refresh(&self, force: bool) -> Result<Arc<Verifier>, String> {
        let inner = &self.inner;
        {
            // The fast path, every request's: a fresh set, or no fetch allowed yet.
            let state = lock(&inner.state);
            let now = Instant::now();
            let fresh = !force && state.expires_at.is_some_and(|t| now < t);
            let limited = state.next_attempt.is_some_and(|t| now < t);
            if let Some(v) = state.verifier.as_ref().filter(|_| fresh || limited) {
                return Ok(v.clone());
            }
        }
        let _fetching = {
            let has_set = lock(&inner.state).verifier.is_some();
            if has_set && !force {
                // Someone is fetching: serve the cached set rather than wait.
                match inner.fetching.try_lock() {
                    Ok(guard) => guard,
                    Err(_) => return self.cached().ok_or_else(String::new),
                }
            } else {
                inner.fetching.lock().await
            }
        };
        let now = Instant::now();
        {
            let mut state = lock(&inner.state);
            let stale = state.expires_at.is_none_or(|t| now >= t);
            let allowed = state.next_attempt.is_none_or(|t| now >= t);
            if !(force || stale) || !allowed {
                return match &state.verifier {
                    Some(v) => Ok(v.clone()),
                    None => Err(state.last_error.clone().unwrap_or_default()),
                };
            }
            state.next_attempt = Some(now + inner.config.min_refetch_interval);
            state.fetches += 1;
        }
        // The blocking task fetches and stores: a request dropped while waiting (a client gone)
        // does not throw the fetched set away.
        let task = self.inner.clone();
        tokio::task::spawn_blocking(move || task.fetch_and_store())
            .await
            .map_err(|e| format!("the fetch task failed: {e}"))
            .and_then(|r| r)
    }

    /// Authenticates an `Authorization` header value (empty when absent) at `now`: an access
    /// token verified by the current set, refetched once (rate-limited) on `unknown_key_id`.
    pub async fn authenticate(&self, header: &[u8], now: i64) -> Result<Claims, AuthFailure> {
        let verifier = self.refresh(false).await.map_err(AuthFailure::NoKeySet)?;
        match check(header, &verifier, now) {
            Err(e) if e.kind() == ls_auth_core::ErrorKind::UnknownKeyId => {
                let newer = self.refresh(true).await.map_err(AuthFailure::NoKeySet)?;
                if Arc::ptr_eq(&newer, &verifier) {
                    return Err(AuthFailure::Refused(e));
                }
                check(header, &newer, now).map_err(AuthFailure::Refused)
            }
            other => other.map_err(AuthFailure::Refused),
        }
    }
}

fn check(header: &[u8], verifier: &Verifier, now: i64) -> Result<Claims, Error> {
    let settings = OrgSettings {
        legacy_api_tokens_enabled: false,
        ..OrgSettings::default()
    };
    match authenticate(header, verifier, &settings, now)? {
        Principal::Jwt(claims) => Ok(claims),
        // Unreachable with legacy keys disabled; refused rather than trusted if it ever were.
        Principal::LegacyKey(_) => Err(Error::new(ls_auth_core::ErrorKind::TokenKindDisabled)),
    }
}

/// The response to a request that could not be authenticated.
pub fn refusal<B: From<String>>(failure: &AuthFailure) -> Response<B> {
    let (status, challenge, body) = match failure {
        AuthFailure::Refused(e) => (
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            www_authenticate(e.kind()),
            e.code().to_owned(),
        ),
        AuthFailure::NoKeySet(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "key_set_unavailable".to_owned(),
        ),
    };
    let mut response = Response::new(B::from(body + "\n"));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(WWW_AUTHENTICATE, value);
    }
    response
}

/// Authenticates every request with a [`JwksCache`] (see the crate's documentation).
#[derive(Debug, Clone)]
pub struct JwksAuthLayer {
    keys: JwksCache,
}

impl JwksAuthLayer {
    /// A layer verifying with `keys`.
    pub fn new(keys: JwksCache) -> Self {
        JwksAuthLayer { keys }
    }
}

impl<S> Layer<S> for JwksAuthLayer {
    type Service = JwksAuth<S>;
    fn layer(&self, inner: S) -> JwksAuth<S> {
        JwksAuth {
            inner,
            keys: self.keys.clone(),
        }
    }
}

/// The service [`JwksAuthLayer`] wraps around another.
#[derive(Debug, Clone)]
pub struct JwksAuth<S> {
    inner: S,
    keys: JwksCache,
}

impl<S, B, R> Service<Request<B>> for JwksAuth<S>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: From<String>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<R>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone is the one that was not polled ready: swap so `inner` is the ready one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let keys = self.keys.clone();
        Box::pin(async move {
            let header = request
                .headers()
                .get(AUTHORIZATION)
                .map(|v| v.as_bytes().to_vec())
                .unwrap_or_default();
            match keys
                .authenticate(&header, unix_time(SystemTime::now()))
                .await
            {
                Ok(claims) => {
                    request.extensions_mut().insert(claims);
                    inner.call(request).await
                }
                Err(failure) => Ok(refusal(&failure)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read() {
        assert_eq!(max_age(None), None);
        assert_eq!(max_age(Some("public")), None);
        assert_eq!(
            max_age(Some("public, max-age=60")),
            Some(Duration::from_secs(60))
        );
        assert_eq!(max_age(Some("Max-Age=\"7\"")), Some(Duration::from_secs(7)));
        assert_eq!(max_age(Some("max-age=60, no-store")), Some(Duration::ZERO));
        assert_eq!(max_age(Some("max-age=x")), None);
    }

    #[test]
    fn refusals_carry_the_contract_status_and_challenge() {
        let r: Response<String> = refusal(&AuthFailure::Refused(Error::new(
            ls_auth_core::ErrorKind::TokenExpired,
        )));
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token has expired\""
        );
        assert_eq!(r.body(), "token_expired\n");
        let r: Response<String> = refusal(&AuthFailure::NoKeySet("down".into()));
        assert_eq!(r.status(), 503);
        assert!(r.headers().get(WWW_AUTHENTICATE).is_none());
    }
}
