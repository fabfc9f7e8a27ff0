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
from ls_auth.contrib.httpx import LabelStudioAuth, RefreshFailed, install
from conftest import SECRET

ISSUER = ls_auth.Issuer(SECRET)
VERIFIER = ls_auth.Verifier(SECRET)
LEGACY = ls_auth.generate_legacy_key()
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
    auth = LabelStudioAuth(pat, base_url="http://ls.test")
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
    auth = LabelStudioAuth(ISSUER.mint_pat("1"), base_url="http://ls.test")
    with httpx.Client(transport=transport, auth=auth) as client:
        assert client.get("http://ls.test/api/x").status_code == 200
        assert client.get("http://ls.test/api/x").status_code == 200
        assert server.refreshes == 1
        time.sleep(2.2)
        assert client.get("http://ls.test/api/x").status_code == 200
    assert server.refreshes == 2


def test_legacy_key_and_access_token_are_sent_as_is(server: FakeLabelStudio) -> None:
    transport = server.mock()
    with httpx.Client(transport=transport, auth=LabelStudioAuth(LEGACY, base_url="http://ls.test")) as client:
        assert client.get("http://ls.test/api/x").json() == {"kind": "legacy"}
    access = ISSUER.refresh(ISSUER.mint_pat("1"))
    with httpx.Client(transport=transport, auth=LabelStudioAuth(access, base_url="http://ls.test")) as client:
        assert client.get("http://ls.test/api/x").json() == {"kind": "jwt"}
    assert server.seen == [f"Token {LEGACY}", f"Bearer {access}"]
    assert server.refreshes == 0


def test_revoked_pat_surfaces_the_refresh_error(server: FakeLabelStudio) -> None:
    other = ls_auth.Issuer("some-other-secret-0123456789-0123456789")
    transport = server.mock()
    auth = LabelStudioAuth(other.mint_pat("1"), base_url="http://ls.test")
    with httpx.Client(transport=transport, auth=auth) as client:
        with pytest.raises(httpx.HTTPStatusError):
            client.get("http://ls.test/api/x")


def test_expired_pat_is_refused_up_front() -> None:
    old = ls_auth.Issuer(SECRET).mint_pat("1", now=1_700_000_000, settings=ls_auth.OrgSettings(pat_ttl_days=1))
    with pytest.raises(ls_auth.TokenExpired):
        LabelStudioAuth(old, base_url="http://ls.test")


def test_async_client(server: FakeLabelStudio) -> None:
    pat = ISSUER.mint_pat("1")

    async def main() -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            status, payload = server.answer(
                request.method, request.url.path, dict(request.headers), request.content
            )
            return httpx.Response(status, json=payload)

        transport = httpx.MockTransport(handler)
        auth = LabelStudioAuth(pat, base_url="http://ls.test")
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


# -- the refresh goes through the request's own client, once, and a 401 is retried once -------


class Recorder:
    """A MockTransport recording each request, answering by a function of the request."""

    def __init__(self, server: FakeLabelStudio) -> None:
        self.server = server
        self.requests: List[httpx.Request] = []
        self.status_override: Dict[str, List[int]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        forced = self.status_override.get(request.url.path)
        if forced:
            return httpx.Response(forced.pop(0), json={"detail": "forced"})
        path = request.url.path.removeprefix("/labelstudio")
        headers = {k.lower(): v for k, v in request.headers.items()}
        if "x-api-key" in headers:  # a server that takes X-Api-Key as the credential
            headers["authorization"] = "Bearer " + headers["x-api-key"]
        status, payload = self.server.answer(request.method, path, headers, request.read())
        return httpx.Response(status, json=payload)

    def paths(self) -> List[str]:
        return [r.url.path for r in self.requests]


def test_refresh_uses_the_clients_transport_headers_and_sub_path(server: FakeLabelStudio) -> None:
    rec = Recorder(server)
    auth = LabelStudioAuth(ISSUER.mint_pat("1"), base_url="http://ls.test/labelstudio/")
    with httpx.Client(transport=httpx.MockTransport(rec), auth=auth, headers={"X-Gateway": "g"}) as client:
        assert client.get("http://ls.test/labelstudio/api/x", timeout=7).status_code == 200
    refresh, request = rec.requests
    assert refresh.url == "http://ls.test/labelstudio/api/token/refresh/"
    assert refresh.headers["X-Gateway"] == "g" and "authorization" not in refresh.headers
    assert refresh.extensions["timeout"] == request.extensions["timeout"]
    assert json.loads(refresh.content) == {"refresh": auth.cache.refresh_token}


def test_a_401_gets_one_refresh_and_one_retry(server: FakeLabelStudio) -> None:
    rec = Recorder(server)
    auth = LabelStudioAuth(ISSUER.mint_pat("1"), base_url="http://ls.test")
    with httpx.Client(transport=httpx.MockTransport(rec), auth=auth) as client:
        assert client.get("http://ls.test/api/x").status_code == 200
        first = rec.requests[-1].headers["Authorization"]
        rec.status_override["/api/x"] = [401]
        assert client.get("http://ls.test/api/x").status_code == 200
        assert rec.paths() == ["/api/token/refresh/", "/api/x", "/api/x", "/api/token/refresh/", "/api/x"]
        assert rec.requests[-1].headers["Authorization"] != first
        # Refused again after the refresh: the 401 is the answer, no third try.
        rec.status_override["/api/x"] = [401, 401]
        assert client.get("http://ls.test/api/x").status_code == 401
        assert rec.paths()[5:] == ["/api/x", "/api/token/refresh/", "/api/x"]


def test_legacy_keys_are_not_retried(server: FakeLabelStudio) -> None:
    rec = Recorder(server)
    rec.status_override["/api/x"] = [401]
    with httpx.Client(transport=httpx.MockTransport(rec), auth=LabelStudioAuth(LEGACY, base_url="http://ls.test")) as client:
        assert client.get("http://ls.test/api/x").status_code == 401
    assert rec.paths() == ["/api/x"]


def test_x_api_key_mode_leaves_authorization_to_the_gateway(server: FakeLabelStudio) -> None:
    rec = Recorder(server)
    auth = LabelStudioAuth(ISSUER.mint_pat("1"), base_url="http://ls.test", api_key_header="X-Api-Key")
    gateway = {"Authorization": "Bearer gateway"}
    with install(httpx.Client(transport=httpx.MockTransport(rec), headers=gateway), auth) as client:
        client.get("http://ls.test/api/x")
    refresh, request = rec.requests
    assert refresh.headers["Authorization"] == request.headers["Authorization"] == "Bearer gateway"
    assert "x-api-key" not in refresh.headers
    access = request.headers["X-Api-Key"]
    assert ls_auth.classify_api_key(access) == "access"
    with pytest.raises(ValueError):
        LabelStudioAuth(LEGACY, base_url="http://ls.test", api_key_header="X-Token")  # type: ignore[arg-type]


def test_waiting_threads_share_a_refused_refresh() -> None:
    gate = threading.Event()
    refreshes = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/token/refresh/":
            refreshes.append(1)
            gate.wait(10)
            return httpx.Response(401, json={"detail": "Token is blacklisted"})
        return httpx.Response(200, json={})

    auth = LabelStudioAuth(ISSUER.mint_pat("1"), base_url="http://ls.test")
    client = httpx.Client(transport=httpx.MockTransport(handler), auth=auth)
    errors: List[BaseException] = []

    def hit() -> None:
        try:
            client.get("http://ls.test/api/x")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=hit) for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    gate.set()
    for t in threads:
        t.join(10)
    assert refreshes == [1]
    assert len(errors) == 6 and len({id(e) for e in errors}) == 6
    assert all(isinstance(e, RefreshFailed) and e.detail == "Token is blacklisted" for e in errors)


def test_a_clock_ahead_of_the_server_is_an_error_not_a_refresh_loop(server: FakeLabelStudio) -> None:
    rec = Recorder(server)
    auth = LabelStudioAuth(ISSUER.mint_pat("1"), base_url="http://ls.test", clock=lambda: time.time() + 3600)
    with httpx.Client(transport=httpx.MockTransport(rec), auth=auth) as client:
        with pytest.raises(ls_auth.TokenExpired, match="clock is ahead"):
            client.get("http://ls.test/api/x")
    assert rec.paths() == ["/api/token/refresh/"]


def test_async_tasks_share_one_refresh_and_the_loop_keeps_running(server: FakeLabelStudio) -> None:
    async def main() -> None:
        loop_ran = asyncio.Event()
        refreshes = []

        async def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/api/token/refresh/":
                refreshes.append(1)
                # Only a free event loop lets this finish.
                await asyncio.wait_for(loop_ran.wait(), 5)
            status, payload = server.answer(request.method, request.url.path, dict(request.headers), request.content)
            return httpx.Response(status, json=payload)

        async def tick() -> None:
            await asyncio.sleep(0.05)
            loop_ran.set()

        auth = LabelStudioAuth(ISSUER.mint_pat("1"), base_url="http://ls.test")
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:
            results = await asyncio.gather(tick(), *(client.get("http://ls.test/api/x") for _ in range(8)))
        assert [r.status_code for r in results[1:]] == [200] * 8
        assert refreshes == [1]

    asyncio.run(main())
