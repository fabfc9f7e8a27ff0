//! An axum service that accepts Label Studio access tokens, holding only the JWKS URL:
//!
//!     cargo run -p ls-auth-tower --example service -- http://localhost:8080/api/token/jwks/ 127.0.0.1:3000
//!     curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:3000/
//!
//! `/open` answers without authentication (outside the layer): the fleet test's load run
//! measures the layer's cost as `/` against `/open` on the same service.

use axum::{routing::get, Extension, Router};
use ls_auth_core::Claims;
use ls_auth_tower::{JwksAuthLayer, JwksCache};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let jwks_url = args.next().expect("usage: service JWKS_URL [ADDR]");
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3000".into());

    let app = Router::new()
        .route(
            "/",
            get(|Extension(claims): Extension<Claims>| async move {
                format!("hello, user {}\n", claims.user_id())
            }),
        )
        .layer(JwksAuthLayer::new(JwksCache::new(jwks_url)))
        .route("/open", get(|| async { "hello, anyone\n" }));

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
