//! The layer in an axum Router, its JWK Set served by a real HTTP server on loopback: the
//! contract's answers, caching, the rate-limited refetch on an unknown kid, the cached set kept
//! while the issuer is down.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::{Extension, Router};
use ls_auth_core::{
    unix_time, Claims, InMemoryRevocation, Issuer, Keyring, OrgSettings, SigningKey, TokenPolicy,
};
use ls_auth_tower::{JwksAuthLayer, JwksCache, JwksConfig};
use tower::ServiceExt;

/// What the JWKS endpoint answers. `down`: close every connection without a word.
struct Answer {
    status: u16,
    cache_control: Option<String>,
    body: String,
    down: bool,
    delay: Duration,
}

struct IssuerServer {
    url: String,
    answer: Arc<Mutex<Answer>>,
    requests: Arc<AtomicUsize>,
}

impl IssuerServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api/token/jwks/", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(Answer {
            status: 200,
            cache_control: Some("max-age=60".into()),
            body: String::new(),
            down: false,
            delay: Duration::ZERO,
        }));
        let requests = Arc::new(AtomicUsize::new(0));
        let (a, r) = (answer.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line == "\r\n" {
                        break;
                    }
                    line.clear();
                }
                r.fetch_add(1, Ordering::SeqCst);
                let delay = a.lock().unwrap().delay;
                std::thread::sleep(delay);
                let answer = a.lock().unwrap();
                if answer.down {
                    continue; // the stream is dropped: connection closed, no response
                }
                let cache = answer
                    .cache_control
                    .as_ref()
                    .map(|c| format!("Cache-Control: {c}\r\n"))
                    .unwrap_or_default();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {} X\r\nContent-Type: application/json\r\n{cache}Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                    answer.status,
                    answer.body.len(),
                    answer.body
                );
            }
        });
        IssuerServer {
            url,
            answer,
            requests,
        }
    }

    fn serve(&self, body: String) {
        self.answer.lock().unwrap().body = body;
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn key(kid: &str, seed: u8) -> Keyring {
    Keyring::new(SigningKey::ed25519_seed(kid, &[seed; 32]).unwrap())
}

fn jwks(keys: &[&Keyring]) -> String {
    let mut ring = keys[0].clone();
    for k in &keys[1..] {
        ring = ring.with_keys((*k).clone()).unwrap();
    }
    ring.public_jwks()
}

fn now() -> i64 {
    unix_time(SystemTime::now())
}

/// (PAT, access token) for user 5, signed by `keys`.
fn tokens(keys: &Keyring) -> (String, String) {
    let issuer = Issuer::new(keys.clone(), TokenPolicy::default());
    let settings = OrgSettings::default();
    let pat = issuer
        .mint_pat("5", &Default::default(), &settings, now())
        .unwrap();
    let access = issuer
        .refresh(&pat, &settings, &InMemoryRevocation::new(), now())
        .unwrap();
    (pat, access)
}

fn router(keys: JwksCache) -> Router {
    Router::new()
        .route(
            "/",
            get(|Extension(claims): Extension<Claims>| async move {
                format!("user {}", claims.user_id())
            }),
        )
        .layer(JwksAuthLayer::new(keys))
}

fn config(min_refetch_interval: Duration) -> JwksConfig {
    JwksConfig {
        min_refetch_interval,
        ..JwksConfig::default()
    }
}

/// (status, WWW-Authenticate, body) of GET / with `authorization`.
async fn get_with(app: &Router, authorization: Option<&str>) -> (StatusCode, String, String) {
    let mut request = Request::builder().uri("/");
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("WWW-Authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, challenge, String::from_utf8(body.to_vec()).unwrap())
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn the_contract_answers_and_one_fetch_for_many_requests() {
    let server = IssuerServer::start();
    let k1 = key("k1", 1);
    server.serve(jwks(&[&k1]));
    let keys = JwksCache::with_config(&server.url, config(Duration::from_secs(3600)));
    let app = router(keys.clone());
    let (pat, access) = tokens(&k1);

    for _ in 0..10 {
        let (status, _, body) = get_with(&app, Some(&bearer(&access))).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "user 5"));
    }
    assert_eq!(server.requests(), 1, "the set is cached for its max-age");

    let (status, challenge, _) = get_with(&app, None).await;
    assert_eq!(
        (status, challenge.as_str()),
        (StatusCode::UNAUTHORIZED, "Bearer realm=\"api\"")
    );
    let (status, challenge, _) = get_with(&app, Some("Bearer a b")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(challenge.contains("error=\"invalid_request\""));
    let (status, challenge, body) = get_with(&app, Some(&bearer(&pat))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        challenge.contains("token has the wrong type"),
        "{challenge}"
    );
    assert_eq!(body, "wrong_token_type\n");
    let tampered = format!(
        "{}{}",
        &access[..access.len() - 1],
        if access.ends_with('A') { 'Q' } else { 'A' }
    );
    let (status, _, body) = get_with(&app, Some(&bearer(&tampered))).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_signature\n")
    );
    let (status, _, body) =
        get_with(&app, Some("Token 0123456789abcdef0123456789abcdef01234567")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::UNAUTHORIZED, "token_kind_disabled\n")
    );
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_published_key_is_refused() {
    let server = IssuerServer::start();
    let k1 = key("k1", 1);
    let published = jwks(&[&k1]);
    server.serve(published.clone());
    let app = router(JwksCache::with_config(
        &server.url,
        config(Duration::from_secs(3600)),
    ));
    // Label Studio's HS256 tokens, and the confusion attack: the public key as an HMAC secret.
    let public = k1.keys()[0].ed25519_public_key().unwrap().to_vec();
    for secret in [public, published.into_bytes(), vec![7u8; 32]] {
        let hs = Keyring::new(SigningKey::hs256(&secret, Default::default()).unwrap());
        let (_, access) = tokens(&hs);
        let (status, _, _) = get_with(&app, Some(&bearer(&access))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn an_unknown_kid_refetches_once_per_interval() {
    let server = IssuerServer::start();
    let (k1, k2, forged) = (key("k1", 1), key("k2", 2), key("k3", 3));
    server.serve(jwks(&[&k1]));
    // A zero interval: every unknown kid may refetch (the cached set is fresh for 60 s).
    let keys = JwksCache::with_config(&server.url, config(Duration::ZERO));
    let app = router(keys.clone());
    let (_, a1) = tokens(&k1);
    assert_eq!(get_with(&app, Some(&bearer(&a1))).await.0, StatusCode::OK);
    assert_eq!(server.requests(), 1);
    // Rotation: k2 is published and signs before the service's cache expires.
    server.serve(jwks(&[&k1, &k2]));
    let (_, a2) = tokens(&k2);
    assert_eq!(get_with(&app, Some(&bearer(&a2))).await.0, StatusCode::OK);
    assert_eq!(server.requests(), 2, "one refetch for the new kid");
    assert_eq!(get_with(&app, Some(&bearer(&a1))).await.0, StatusCode::OK);
    assert_eq!(server.requests(), 2, "known kids never refetch");

    // With the real interval, made-up kids cost the issuer one request, not one each.
    let limited = JwksCache::with_config(&server.url, config(Duration::from_secs(3600)));
    let limited_app = router(limited);
    assert_eq!(
        get_with(&limited_app, Some(&bearer(&a1))).await.0,
        StatusCode::OK
    );
    let before = server.requests();
    let (_, a3) = tokens(&forged);
    for _ in 0..20 {
        let (status, _, body) = get_with(&limited_app, Some(&bearer(&a3))).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::UNAUTHORIZED, "unknown_key_id\n")
        );
    }
    assert_eq!(
        server.requests(),
        before,
        "rate-limited: the first fetch was just now"
    );
}

#[tokio::test]
async fn the_cached_set_serves_while_the_issuer_is_down() {
    let server = IssuerServer::start();
    let k1 = key("k1", 1);
    server.serve(jwks(&[&k1]));
    // max-age=0 and no interval: every request finds the set stale and refetches.
    server.answer.lock().unwrap().cache_control = Some("max-age=0".into());
    let keys = JwksCache::with_config(&server.url, config(Duration::ZERO));
    let app = router(keys.clone());
    let (_, access) = tokens(&k1);
    assert_eq!(
        get_with(&app, Some(&bearer(&access))).await.0,
        StatusCode::OK
    );
    assert_eq!(keys.failures(), 0);

    server.answer.lock().unwrap().status = 503;
    assert_eq!(
        get_with(&app, Some(&bearer(&access))).await.0,
        StatusCode::OK
    );
    assert_eq!(keys.failures(), 1);
    assert!(
        keys.last_error().unwrap().contains("503"),
        "{:?}",
        keys.last_error()
    );

    server.answer.lock().unwrap().down = true;
    assert_eq!(
        get_with(&app, Some(&bearer(&access))).await.0,
        StatusCode::OK
    );
    assert_eq!(keys.failures(), 2);

    // A set the strict rules refuse (a symmetric key) is a failed fetch too.
    {
        let mut answer = server.answer.lock().unwrap();
        answer.down = false;
        answer.status = 200;
        answer.body = r#"{"keys":[{"kty":"oct","kid":"k1","k":"c2VjcmV0"}]}"#.into();
    }
    assert_eq!(
        get_with(&app, Some(&bearer(&access))).await.0,
        StatusCode::OK
    );
    assert_eq!(keys.failures(), 3);
    assert!(keys.last_error().unwrap().contains("refused"));

    // Back up, k1 retired: the new set takes over.
    server.serve(jwks(&[&key("k2", 2)]));
    let (status, _, body) = get_with(&app, Some(&bearer(&access))).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::UNAUTHORIZED, "unknown_key_id\n")
    );
    assert_eq!(keys.last_error(), None);
}

#[tokio::test]
async fn never_fetched_is_503() {
    let server = IssuerServer::start();
    server.answer.lock().unwrap().status = 500;
    let keys = JwksCache::with_config(&server.url, config(Duration::from_secs(3600)));
    let app = router(keys.clone());
    let (_, access) = tokens(&key("k1", 1));
    let (status, challenge, body) = get_with(&app, Some(&bearer(&access))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        (challenge.as_str(), body.as_str()),
        ("", "key_set_unavailable\n")
    );
    assert_eq!(keys.fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_fetch_once() {
    let server = IssuerServer::start();
    let k1 = key("k1", 1);
    server.serve(jwks(&[&k1]));
    let app = router(JwksCache::with_config(
        &server.url,
        config(Duration::from_secs(3600)),
    ));
    let (_, access) = tokens(&k1);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (app, header) = (app.clone(), bearer(&access));
        tasks.push(tokio::spawn(async move {
            get_with(&app, Some(&header)).await.0
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_request_dropped_during_the_fetch_keeps_its_result() {
    let server = IssuerServer::start();
    let k1 = key("k1", 1);
    server.serve(jwks(&[&k1]));
    server.answer.lock().unwrap().delay = Duration::from_millis(300);
    let keys = JwksCache::with_config(&server.url, config(Duration::from_secs(3600)));
    let app = router(keys.clone());
    let (_, access) = tokens(&k1);
    let header = bearer(&access);
    let first = {
        let (app, header) = (app.clone(), header.clone());
        tokio::spawn(async move { get_with(&app, Some(&header)).await })
    };
    while server.requests() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.abort(); // the client went away while the set was being fetched
    for _ in 0..1000 {
        if keys.has_key_set() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        keys.has_key_set(),
        "the aborted request's fetch was thrown away"
    );
    assert_eq!(get_with(&app, Some(&header)).await.0, StatusCode::OK);
    assert_eq!(
        server.requests(),
        1,
        "the fetched set was kept, not fetched again"
    );
}
