"""ls_auth.contrib.requests.LabelStudioSession on real loopback sockets: a Label Studio stand-in
answering by the core's rules on one port, a recording listener on another (another origin)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import requests

import ls_auth
from ls_auth.contrib.requests import LabelStudioSession, RefreshFailed
from conftest import SECRET

ISSUER = ls_auth.Issuer(SECRET)
VERIFIER = ls_auth.Verifier(SECRET)
LEGACY = ls_auth.generate_legacy_key()
SETTINGS = ls_auth.OrgSettings(legacy_api_tokens_enabled=True)


class Listener:
    """An HTTP server on 127.0.0.1 whose answers come from ``answer``; records every request."""

    def __init__(self, answer) -> None:  # type: ignore[no-untyped-def]
        self.seen: List[Tuple[str, str, Dict[str, str], bytes]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                listener.seen.append((self.command, self.path, headers, body))
                status, payload, extra = answer(self.command, self.path, headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for k, v in extra:
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _any  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def credentials_seen(self, *secrets: str) -> List[str]:
        """Every credential header, and every secret, that reached this listener."""
        found = []
        for _, _, headers, body in self.seen:
            found += [f"{k}: {v}" for k, v in headers.items() if k in ("authorization", "x-api-key")]
            found += [s for s in secrets if s in body.decode(errors="replace")]
        return found

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Fixture:
    def __init__(self) -> None:
        self.other = Listener(lambda *a: (200, {"other": True}, []))
        self.refresh_redirect: Optional[Tuple[int, str]] = None
        self.refreshes = 0
        self.refuse = 0
        self.lock = threading.Lock()
        self.ls = Listener(self.answer)

    def answer(self, method: str, path: str, headers: Dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
        if path == "/api/token/refresh/" and method == "POST":
            with self.lock:
                self.refreshes += 1
            if self.refresh_redirect is not None:
                status, target = self.refresh_redirect
                return status, {}, [("Location", target)]
            try:
                return 200, {"access": ISSUER.refresh(json.loads(body)["refresh"])}, []
            except ls_auth.AuthError as e:
                return 401, {"detail": e.message, "code": e.code}, []
        if path.startswith("/redirect/"):
            status = int(path.split("/")[2])
            return status, {}, [("Location", self.other.url + "/landed")]
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                return 401, {"code": "token_expired"}, []
        header = headers.get("authorization") or (
            "Token " + headers["x-api-key"] if "x-api-key" in headers else None
        )
        try:
            p = ls_auth.authenticate(header, verifier=VERIFIER, settings=SETTINGS)
        except ls_auth.AuthError as e:
            return 401, {"code": e.code}, []
        if p.kind == "legacy" and p.legacy_key != LEGACY:
            return 401, {"code": "token_revoked"}, []
        return 200, {"kind": p.kind}, []

    def close(self) -> None:
        self.ls.close()
        self.other.close()


@pytest.fixture()
def fx() -> Iterator[Fixture]:
    f = Fixture()
    yield f
    f.close()


def test_a_pat_is_exchanged_once_and_sent_as_bearer(fx: Fixture) -> None:
    pat = ISSUER.mint_pat("7")
    with LabelStudioSession(pat, base_url=fx.ls.url) as s:
        assert s.kind == "pat"
        for _ in range(3):
            r = s.get(fx.ls.url + "/api/projects/")
            assert r.json() == {"kind": "jwt"}
    assert fx.refreshes == 1


def test_a_sharing_session_uses_the_same_access_token(fx: Fixture) -> None:
    pat = ISSUER.mint_pat("7")
    with LabelStudioSession(pat, base_url=fx.ls.url) as first, LabelStudioSession.sharing(first) as second:
        second.headers["X-Only-Second"] = "1"
        assert first.get(fx.ls.url + "/api/projects/").json() == {"kind": "jwt"}
        assert second.get(fx.ls.url + "/api/projects/").json() == {"kind": "jwt"}
        assert "X-Only-Second" not in first.headers
    assert fx.refreshes == 1


def test_base_url_is_required() -> None:
    with pytest.raises(ValueError, match="needs base_url"):
        LabelStudioSession(ISSUER.mint_pat("7"), base_url=None)  # type: ignore[arg-type]
    with pytest.raises(ls_auth.AuthError):
        LabelStudioSession(LEGACY, base_url="https://user@ls.example/")


# Label Studio reads X-Api-Key as a legacy key: a PAT travels in Authorization.
@pytest.mark.parametrize("kind,header", [("pat", "Authorization"), ("legacy", "Authorization"), ("legacy", "X-Api-Key")])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_carries_no_credential(fx: Fixture, header: str, kind: str, status: int) -> None:
    key = ISSUER.mint_pat("7") if kind == "pat" else LEGACY
    with LabelStudioSession(key, base_url=fx.ls.url, api_key_header=header) as s:  # type: ignore[arg-type]
        r = s.get(fx.ls.url + f"/redirect/{status}")
    assert r.json() == {"other": True}
    assert [p for _, p, _, _ in fx.other.seen] == ["/landed"]
    assert fx.other.credentials_seen(key) == []


def test_a_request_to_another_origin_carries_no_credential(fx: Fixture) -> None:
    with LabelStudioSession(LEGACY, base_url=fx.ls.url) as s:
        s.get(fx.other.url + "/x", headers={"Authorization": "Token " + LEGACY, "X-Api-Key": LEGACY})
    assert fx.other.credentials_seen(LEGACY) == []


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirected_refresh_fails_and_names_the_origin_only(fx: Fixture, status: int) -> None:
    pat = ISSUER.mint_pat("7")
    fx.refresh_redirect = (status, fx.other.url + "/steal?presigned=secret")
    with LabelStudioSession(pat, base_url=fx.ls.url) as s, pytest.raises(RefreshFailed) as failed:
        s.get(fx.ls.url + "/api/projects/")
    message = str(failed.value)
    assert fx.other.url in message and "steal" not in message and "presigned" not in message
    assert fx.other.seen == []


def test_a_401_gets_one_refresh_and_one_retry(fx: Fixture) -> None:
    pat = ISSUER.mint_pat("7")
    with LabelStudioSession(pat, base_url=fx.ls.url) as s:
        s.get(fx.ls.url + "/api/projects/")
        fx.refuse = 1
        assert s.get(fx.ls.url + "/api/projects/").status_code == 200
        assert fx.refreshes == 2
        # Refused twice: the second 401 is the answer, after one more exchange; never a loop.
        fx.refuse = 2
        assert s.get(fx.ls.url + "/api/projects/").status_code == 401
        assert fx.refreshes == 3
    gets = [p for m, p, _, _ in fx.ls.seen if m == "GET"]
    assert gets == ["/api/projects/"] * 5


def test_threads_share_one_refresh(fx: Fixture) -> None:
    pat = ISSUER.mint_pat("7")
    s = LabelStudioSession(pat, base_url=fx.ls.url)
    barrier = threading.Barrier(8)
    codes: List[int] = []

    def worker() -> None:
        barrier.wait()
        codes.append(s.get(fx.ls.url + "/api/projects/").status_code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert codes == [200] * 8
    assert fx.refreshes == 1
    s.close()


def test_the_stock_requests_auth_pattern_leaks_x_api_key(fx: Fixture) -> None:
    """Why a session and not an AuthBase: requests keeps X-Api-Key on a cross-origin redirect."""
    r = requests.get(fx.ls.url + "/redirect/302", headers={"X-Api-Key": LEGACY})
    assert r.status_code == 200
    assert fx.other.credentials_seen(LEGACY) != []
