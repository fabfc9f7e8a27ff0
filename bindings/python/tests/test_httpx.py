"""ls_auth.contrib.httpx.LabelStudioAuth: MockTransport unit tests and one real loopback server."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, Tuple

import httpx
import pytest

import ls_auth
from ls_auth.contrib.httpx import LabelStudioAuth
from conftest import SECRET

ISSUER = ls_auth.Issuer(SECRET)
VERIFIER = ls_auth.Verifier(SECRET)
LEGACY = ls_auth.generate_legacy_token()
SETTINGS = ls_auth.OrgSettings(legacy_api_tokens_enabled=True)


class FakeLabelStudio:
    """What the server does, by the core's rules: refresh PATs, authenticate requests."""

    def __init__(self) -> None:
        self.refreshes = 0
        self.issuer = ISSUER
        self.seen: List[str] = []
        self.lock = threading.Lock()

    def answer(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> Tuple[int, dict]:
        if path == "/api/token/refresh/" and method == "POST":
            with self.lock:
                self.refreshes += 1
            try:
                return 200, {"access": self.issuer.refresh(json.loads(body)["refresh"])}
            except ls_auth.AuthError as e:
                return 401, {"detail": e.message, "code": e.code}
        header = headers.get("authorization")
        self.seen.append(header or "")
        try:
            p = ls_auth.authenticate(header, verifier=VERIFIER, settings=SETTINGS)
        except ls_auth.AuthError as e:
            return e.status if e.status < 500 else 401, {"code": e.code}
        if p.kind == "legacy" and p.legacy_key != LEGACY:
            return 401, {"code": "token_revoked"}
        return 200, {"kind": p.kind}

    def mock(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            status, payload = self.answer(
                request.method, request.url.path, dict(request.headers), request.read()
            )
            return httpx.Response(status, json=payload)

        return httpx.MockTransport(handler)


@pytest.fixture()
def server() -> FakeLabelStudio:
    return FakeLabelStudio()


def test_pat_is_refreshed_once_and_sent_as_bearer(server: FakeLabelStudio) -> None:
    pat = ISSUER.mint_pat("1")
    transport = server.mock()
    auth = LabelStudioAuth(pat, base_url="http://ls.test", transport=transport)
    with httpx.Client(transport=transport, auth=auth, base_url="http://ls.test") as client:
        for _ in range(3):
            r = client.get("/api/projects/")
            assert r.status_code == 200 and r.json() == {"kind": "jwt"}
    assert server.refreshes == 1
    assert all(h.startswith("Bearer ") and h != f"Bearer {pat}" for h in server.seen)


def test_refresh_again_near_expiry(server: FakeLabelStudio) -> None:
    # Access tokens that live 32 s with a 30 s margin: fresh for 2 s, then refreshed again.
    server.issuer = ls_auth.Issuer(SECRET, access_ttl=32)
    transport = server.mock()
    auth = LabelStudioAuth(ISSUER.mint_pat("1"), base_url="http://ls.test", transport=transport)
    with httpx.Client(transport=transport, auth=auth) as client:
        assert client.get("http://ls.test/api/x").status_code == 200
        assert client.get("http://ls.test/api/x").status_code == 200
        assert server.refreshes == 1
        time.sleep(2.2)
        assert client.get("http://ls.test/api/x").status_code == 200
    assert server.refreshes == 2


def test_legacy_key_and_access_token_are_sent_as_is(server: FakeLabelStudio) -> None:
    transport = server.mock()
    with httpx.Client(transport=transport, auth=LabelStudioAuth(LEGACY)) as client:
        assert client.get("http://ls.test/api/x").json() == {"kind": "legacy"}
    access = ISSUER.refresh(ISSUER.mint_pat("1"))
    with httpx.Client(transport=transport, auth=LabelStudioAuth(access)) as client:
        assert client.get("http://ls.test/api/x").json() == {"kind": "jwt"}
    assert server.seen == [f"Token {LEGACY}", f"Bearer {access}"]
    assert server.refreshes == 0


def test_revoked_pat_surfaces_the_refresh_error(server: FakeLabelStudio) -> None:
    other = ls_auth.Issuer("some-other-secret-0123456789-0123456789")
    transport = server.mock()
    auth = LabelStudioAuth(other.mint_pat("1"), base_url="http://ls.test", transport=transport)
    with httpx.Client(transport=transport, auth=auth) as client:
        with pytest.raises(httpx.HTTPStatusError):
            client.get("http://ls.test/api/x")


def test_expired_pat_is_refused_up_front() -> None:
    old = ls_auth.Issuer(SECRET).mint_pat("1", now=1_700_000_000, settings=ls_auth.OrgSettings(pat_ttl_days=1))
    with pytest.raises(ls_auth.TokenExpired):
        LabelStudioAuth(old)


def test_async_client(server: FakeLabelStudio) -> None:
    pat = ISSUER.mint_pat("1")

    async def main() -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            status, payload = server.answer(
                request.method, request.url.path, dict(request.headers), request.content
            )
            return httpx.Response(status, json=payload)

        transport = httpx.MockTransport(handler)
        auth = LabelStudioAuth(pat, base_url="http://ls.test", async_transport=transport)
        async with httpx.AsyncClient(transport=transport, auth=auth) as client:
            rs = await asyncio.gather(*(client.get("http://ls.test/api/x") for _ in range(5)))
        assert all(r.status_code == 200 for r in rs)

    asyncio.run(main())
    assert server.refreshes == 1


@pytest.fixture()
def loopback(server: FakeLabelStudio) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, payload = server.answer(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_real_loopback_server(server: FakeLabelStudio, loopback: str) -> None:
    pat = ISSUER.mint_pat("1")
    auth = LabelStudioAuth(pat, base_url=loopback)
    with httpx.Client(auth=auth, base_url=loopback) as client:
        results: List[int] = []

        def hit() -> None:
            results.append(client.get("/api/projects/").status_code)

        threads = [threading.Thread(target=hit) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * 8
    assert server.refreshes == 1
