"""Fixtures for the live suite: a REAL Label Studio 1.23.2, started by whoever runs the suite.

The runner (scripts/test-live, or the real-server harness) starts the server and sets:

    LS_TEST_URL           base URL, e.g. http://127.0.0.1:PORT
    LS_TEST_EMAIL         a superuser that can log in at /user/login/ and change /api/jwt/settings
    LS_TEST_PASSWORD      its password
    LS_TEST_SECRET_FILE   a file holding the server's SECRET_KEY
    LS_TEST_CLI           the release `ls-auth` binary
    LS_TEST_SERVER_KIND   `stock` or `ls_auth`

Without them the suite stops with a usage error: it never skips.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import httpx
import pytest

from .proxy import Proxy

REQUIRED = (
    "LS_TEST_URL",
    "LS_TEST_EMAIL",
    "LS_TEST_PASSWORD",
    "LS_TEST_SECRET_FILE",
    "LS_TEST_CLI",
    "LS_TEST_SERVER_KIND",
)


def pytest_configure(config: pytest.Config) -> None:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(
            "tests/live runs against a real Label Studio and needs " + ", ".join(missing)
            + " (scripts/test-live starts a server and sets them)"
        )
    if os.environ["LS_TEST_SERVER_KIND"] not in ("stock", "ls_auth"):
        raise pytest.UsageError("LS_TEST_SERVER_KIND must be `stock` or `ls_auth`")
    for name in ("LS_TEST_SECRET_FILE", "LS_TEST_CLI"):
        if not Path(os.environ[name]).is_file():
            raise pytest.UsageError(f"{name}={os.environ[name]} is not a file")


@dataclass
class Server:
    url: str
    email: str
    password: str
    secret: str
    cli: str
    kind: str


class Admin:
    """The superuser's browser session (login + CSRF), for what an API key may not do."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=60, trust_env=False)
        self.http.get("/user/login/")
        r = self.http.post(
            "/user/login/",
            data={
                "email": server.email,
                "password": server.password,
                "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
            },
            headers={"Referer": server.url + "/user/login/"},
        )
        assert r.status_code == 302, f"login as {server.email}: HTTP {r.status_code}"

    def request(self, method: str, path: str, json: Optional[object] = None) -> httpx.Response:
        headers = {"X-CSRFToken": self.http.cookies["csrftoken"], "Referer": self.server.url + "/"}
        return self.http.request(method, path, json=json, headers=headers)

    def settings(self, *, pats: bool, legacy: bool) -> None:
        r = self.request(
            "POST", "/api/jwt/settings",
            json={"api_tokens_enabled": pats, "legacy_api_tokens_enabled": legacy},
        )
        assert r.status_code in (200, 201), r.text

    def revoke_all(self) -> None:
        r = self.request("GET", "/api/token/")
        assert r.status_code == 200, r.text
        for token in r.json():
            self.revoke(token["token"])

    def revoke(self, token: str) -> None:
        r = self.request("POST", "/api/token/blacklist/", json={"refresh": token})
        assert r.status_code == 204, r.text

    def new_pat(self) -> str:
        """A fresh PAT from the server (the server allows one valid PAT per user)."""
        self.revoke_all()
        r = self.request("POST", "/api/token/")
        assert r.status_code == 201, r.text
        token = r.json()["token"]
        assert isinstance(token, str)
        return token

    def legacy_key(self) -> str:
        r = self.request("GET", "/api/current-user/token")
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        assert isinstance(token, str)
        return token

    def user_id(self) -> str:
        r = self.request("GET", "/api/current-user/whoami")
        assert r.status_code == 200, r.text
        return str(r.json()["id"])


@pytest.fixture(scope="session")
def server() -> Server:
    return Server(
        url=os.environ["LS_TEST_URL"].rstrip("/"),
        email=os.environ["LS_TEST_EMAIL"],
        password=os.environ["LS_TEST_PASSWORD"],
        secret=Path(os.environ["LS_TEST_SECRET_FILE"]).read_text().rstrip("\r\n"),
        cli=os.environ["LS_TEST_CLI"],
        kind=os.environ["LS_TEST_SERVER_KIND"],
    )


@pytest.fixture(scope="session")
def admin(server: Server) -> Iterator[Admin]:
    a = Admin(server)
    yield a
    a.settings(pats=True, legacy=True)
    a.http.close()


@pytest.fixture(autouse=True)
def both_kinds_enabled(admin: Admin) -> Iterator[None]:
    """Every test starts with PATs and legacy keys enabled, whatever the last one did."""
    admin.settings(pats=True, legacy=True)
    yield
    admin.settings(pats=True, legacy=True)


@pytest.fixture()
def pat(admin: Admin) -> str:
    return admin.new_pat()


@pytest.fixture()
def legacy(admin: Admin) -> str:
    return admin.legacy_key()


@pytest.fixture()
def proxy(server: Server) -> Iterator[Proxy]:
    """A loopback reverse proxy to the server at the root: it counts what passes."""
    with Proxy(server.url) as p:
        yield p


@pytest.fixture()
def subpath_proxy(server: Server) -> Iterator[Proxy]:
    """Label Studio behind a reverse proxy under /labelstudio/ (anything else: 404)."""
    with Proxy(server.url, prefix="/labelstudio") as p:
        yield p


@pytest.fixture()
def tmp_key_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(key: str) -> str:
        path = tmp_path / f"key-{secrets.token_hex(4)}"
        path.write_text(key + "\n")
        return str(path)

    return write


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """A CA of the test's own and a certificate it signed for 127.0.0.1 (openssl)."""
    d = tmp_path_factory.mktemp("ca")

    def ssl_cmd(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ssl_cmd("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=ls-auth live test CA",
            "-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ssl_cmd("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    ssl_cmd("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-out", "server.pem", "-extfile", "ext.cnf")
    return {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key"}


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture()
def cli(server: Server, tmp_key_file):  # type: ignore[no-untyped-def]
    """Runs `ls-auth ARGS` with the key in a file (never argv) and a clean environment."""

    def run(*args: str, key: Optional[str] = None, url: Optional[str] = None,
            env: Optional[Dict[str, str]] = None, stdin: Optional[str] = None) -> Run:
        argv: List[str] = [server.cli, *args]
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("LABEL_STUDIO_", "LS_AUTH_"))}
        base["LABEL_STUDIO_URL"] = url or server.url
        if key is not None:
            base["LABEL_STUDIO_API_KEY"] = key
        base.update(env or {})
        p = subprocess.run(argv, env=base, input=stdin, capture_output=True, text=True, timeout=120)
        return Run(p.returncode, p.stdout, p.stderr)

    return run
