"""ls_auth.contrib.jwks against a real HTTP server on loopback: caching for max-age, one
rate-limited refetch on an unknown kid, the cached set kept while the issuer is down."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional

import pytest

import ls_auth
from conftest import SECRET
from ls_auth.contrib.jwks import JwksUnavailable, JwksVerifier


class Issuer:
    """Label Studio's side: Ed25519 signing keys, the PAT secret, the published set."""

    def __init__(self) -> None:
        self.keys: Dict[str, ls_auth.Keyring] = {}
        self.pat = ls_auth.Issuer(SECRET).mint_pat("5")

    def add(self, kid: str) -> None:
        self.keys[kid] = ls_auth.Keyring.generate_ed25519(kid)

    def access(self, kid: str) -> str:
        signer = self.keys[kid].with_keys(ls_auth.Keyring(SECRET))
        return ls_auth.Issuer(signer).refresh(self.pat)

    def jwks(self, *kids: str) -> str:
        sets = [json.loads(self.keys[k].public_jwks())["keys"][0] for k in kids]
        return json.dumps({"keys": sets})


class Server:
    """What the JWKS endpoint answers; every request is counted."""

    def __init__(self) -> None:
        self.body: bytes = b""
        self.status = 200
        self.cache_control: Optional[str] = "max-age=60"
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                outer.requests += 1
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                if outer.cache_control is not None:
                    self.send_header("Cache-Control", outer.cache_control)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/token/jwks/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def serve(self, text: str) -> None:
        self.body = text.encode()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def issuer() -> Issuer:
    i = Issuer()
    i.add("k1")
    return i


def _service(server: Server, clock: Clock, **kw: Any) -> JwksVerifier:
    return JwksVerifier(server.url, clock=clock, min_refetch_interval=10, **kw)


def test_fetches_once_and_caches_for_max_age(server: Server, issuer: Issuer) -> None:
    server.serve(issuer.jwks("k1"))
    clock = Clock()
    service = _service(server, clock)
    token = issuer.access("k1")
    for _ in range(5):
        assert service.verify_access(token).user_id == "5"
    assert server.requests == 1
    clock.t += 59
    service.verify_access(token)
    assert server.requests == 1, "fresh for max-age=60"
    clock.t += 2
    service.verify_access(token)
    assert server.requests == 2, "stale after max-age: refetched"


def test_unknown_kid_refetches_once_rate_limited(server: Server, issuer: Issuer) -> None:
    server.serve(issuer.jwks("k1"))
    clock = Clock()
    service = _service(server, clock)
    service.verify_access(issuer.access("k1"))
    clock.t += 11  # past the rate limit, well within max-age
    # Rotation: the issuer publishes k2 and signs with it before the cache expires.
    issuer.add("k2")
    server.serve(issuer.jwks("k1", "k2"))
    assert service.verify_access(issuer.access("k2")).user_id == "5"
    assert server.requests == 2
    # Made-up kids within the interval cost the issuer nothing.
    issuer.add("forged")
    for _ in range(20):
        with pytest.raises(ls_auth.UnknownKeyId):
            service.verify_access(issuer.access("forged"))
    assert server.requests == 2
    clock.t += 11
    with pytest.raises(ls_auth.UnknownKeyId):
        service.verify_access(issuer.access("forged"))
    assert server.requests == 3, "one refetch per interval"


def test_a_key_dropped_from_the_set_is_refused_after_refetch(server: Server, issuer: Issuer) -> None:
    issuer.add("k2")
    server.serve(issuer.jwks("k1", "k2"))
    clock = Clock()
    service = _service(server, clock)
    old = issuer.access("k1")
    service.verify_access(old)
    server.serve(issuer.jwks("k2"))
    clock.t += 61
    with pytest.raises(ls_auth.UnknownKeyId):
        service.verify_access(old)


def test_keeps_serving_the_cached_set_while_the_issuer_is_down(
    server: Server, issuer: Issuer
) -> None:
    server.serve(issuer.jwks("k1"))
    clock = Clock()
    service = _service(server, clock)
    token = issuer.access("k1")
    service.verify_access(token)
    server.status, server.body = 503, b"down"
    clock.t += 61
    assert service.verify_access(token).user_id == "5"
    assert service.failures == 1 and service.last_error is not None
    for _ in range(10):
        service.verify_access(token)
    assert server.requests == 2, "a failed fetch is retried after the interval, not per request"
    server.stop()  # nothing listens at all now
    clock.t += 11
    assert service.verify_access(token).user_id == "5"
    assert service.failures == 2


def test_a_set_the_strict_rules_refuse_keeps_the_old_one(server: Server, issuer: Issuer) -> None:
    server.serve(issuer.jwks("k1"))
    clock = Clock()
    service = _service(server, clock)
    token = issuer.access("k1")
    service.verify_access(token)
    good = service.jwks
    bad = json.loads(issuer.jwks("k1"))
    bad["keys"].append({"kty": "oct", "kid": "hs", "k": "c2VjcmV0"})
    server.serve(json.dumps(bad))
    clock.t += 61
    service.verify_access(token)
    assert server.requests == 2
    assert isinstance(service.last_error, ls_auth.InvalidKeySet)
    assert service.jwks == good


def test_never_fetched_is_unavailable(server: Server) -> None:
    server.status, server.body = 500, b"{}"
    service = _service(server, Clock())
    with pytest.raises(JwksUnavailable):
        service.verify_access("a.b.c")


def test_no_store_is_cached_for_the_rate_limit_only(server: Server, issuer: Issuer) -> None:
    server.serve(issuer.jwks("k1"))
    server.cache_control = "no-store"
    clock = Clock()
    service = _service(server, clock)
    token = issuer.access("k1")
    service.verify_access(token)
    service.verify_access(token)
    assert server.requests == 1
    clock.t += 11
    service.verify_access(token)
    assert server.requests == 2


def test_missing_max_age_uses_the_default(server: Server, issuer: Issuer) -> None:
    server.serve(issuer.jwks("k1"))
    server.cache_control = None
    clock = Clock()
    service = _service(server, clock, default_max_age=100)
    token = issuer.access("k1")
    service.verify_access(token)
    clock.t += 99
    service.verify_access(token)
    assert server.requests == 1
    clock.t += 2
    service.verify_access(token)
    assert server.requests == 2


def test_an_hs256_token_is_refused(server: Server, issuer: Issuer) -> None:
    """A service holding only the public set cannot accept a token MACed with a secret,
    least of all with its own published key."""
    server.serve(issuer.jwks("k1"))
    service = _service(server, Clock())
    hs256 = ls_auth.Issuer(SECRET).refresh(issuer.pat)
    with pytest.raises(ls_auth.InvalidToken):
        service.verify_access(hs256)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "/relative"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(ls_auth.InvalidArgument):
        JwksVerifier(url)


def test_oversized_response_is_a_failed_fetch(server: Server, issuer: Issuer) -> None:
    from ls_auth.contrib.jwks import fetch_jwks

    server.serve(issuer.jwks("k1") + " " * 2000)
    service = _service(
        server, Clock(), fetch=lambda url, timeout: fetch_jwks(url, timeout, max_bytes=1000)
    )
    with pytest.raises(JwksUnavailable):
        service.verify_access(issuer.access("k1"))
    assert isinstance(service.last_error, ValueError)


def test_concurrent_first_use_fetches_once(server: Server, issuer: Issuer) -> None:
    server.serve(issuer.jwks("k1"))
    service = _service(server, Clock())
    token = issuer.access("k1")
    results: List[str] = []

    def worker() -> None:
        for _ in range(50):
            results.append(service.verify_access(token).user_id)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["5"] * 400
    assert server.requests == 1


def test_authenticate_answers_like_the_contract(server: Server, issuer: Issuer) -> None:
    server.serve(issuer.jwks("k1"))
    clock = Clock()
    service = _service(server, clock)
    access = issuer.access("k1")
    assert service.authenticate(f"Bearer {access}").user_id == "5"
    assert service.authenticate(f"Bearer {access}".encode()).user_id == "5"
    with pytest.raises(ls_auth.NoCredentials) as no_header:
        service.authenticate(None)
    assert no_header.value.status == 401
    assert ls_auth.www_authenticate(no_header.value) == 'Bearer realm="api"'
    with pytest.raises(ls_auth.UnsupportedAlgorithm):  # Label Studio's HS256 PAT: no key for it
        service.authenticate(f"Bearer {issuer.pat}")
    eddsa_pat = ls_auth.Issuer(issuer.keys["k1"]).mint_pat("5")
    with pytest.raises(ls_auth.WrongTokenType):
        service.authenticate(f"Bearer {eddsa_pat}")
    with pytest.raises(ls_auth.TokenKindDisabled):
        service.authenticate("Token 0123456789abcdef0123456789abcdef01234567")
    with pytest.raises(ls_auth.MalformedHeader) as malformed:
        service.authenticate("Bearer a b")
    assert malformed.value.status == 400
    # A rotation reaches authenticate too: one refetch on the unknown kid.
    clock.t += 11
    issuer.add("k2")
    server.serve(issuer.jwks("k1", "k2"))
    assert service.authenticate(f"Bearer {issuer.access('k2')}").user_id == "5"
    assert server.requests == 2
