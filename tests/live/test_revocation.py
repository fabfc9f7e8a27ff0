"""Revocation at once (contract §3.11), against a running server of either kind.

Nothing is skipped: each test asserts what ours does and records what stock Label Studio 1.23.2
does instead (the expected difference, README "Label Studio" and SECURITY.md):

- revoking a PAT (blacklist, rotation, `ls-auth token revoke`): ours refuses its access tokens on
  the next request (401 `token_revoked`); stock keeps accepting them until they expire (5 min);
- an access token creating a PAT or reading the legacy key: ours refuses (403
  `access_token_not_enough`); stock lets a stolen access token mint a 200-year PAT once the
  victim has revoked theirs, and read the legacy key at any time.
"""

from __future__ import annotations

import json

import httpx

from .conftest import Admin, Server

WHOAMI = "/api/current-user/whoami"


def client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=60, trust_env=False)


def exchange(server: Server, pat: str) -> str:
    with client(server) as http:
        r = http.post("/api/token/refresh/", json={"refresh": pat})
    assert r.status_code == 200, r.text
    access = r.json()["access"]
    assert isinstance(access, str)
    return access


def bearer(server: Server, method: str, path: str, access: str) -> httpx.Response:
    with client(server) as http:
        return http.request(method, path, headers={"Authorization": f"Bearer {access}"})


def assert_stopped_at_once(server: Server, access: str) -> None:
    r = bearer(server, "GET", WHOAMI, access)
    if server.kind == "stock":  # expected difference: stock accepts it until it expires
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 401 and r.json()["code"] == "token_revoked", r.text


def test_blacklisting_a_pat_stops_its_access_tokens(server: Server, admin: Admin, pat: str) -> None:
    access = exchange(server, pat)
    assert bearer(server, "GET", WHOAMI, access).status_code == 200
    admin.revoke(pat)
    assert_stopped_at_once(server, access)


def test_rotating_a_pat_stops_the_old_ones_access_tokens(server: Server, admin: Admin, pat: str) -> None:
    access = exchange(server, pat)
    r = admin.request("POST", "/api/token/rotate/", json={"refresh": pat})
    assert r.status_code == 200, r.text
    assert_stopped_at_once(server, access)
    assert bearer(server, "GET", WHOAMI, exchange(server, r.json()["refresh"])).status_code == 200


def test_cli_token_revoke_stops_its_access_tokens(server: Server, cli, pat: str) -> None:  # type: ignore[no-untyped-def]
    access = exchange(server, pat)
    listed = cli("token", "list", "--json", key=pat)
    assert listed.code == 0, listed.err
    jti = json.loads(listed.out)[0]["jti"]
    revoked = cli("token", "revoke", jti, key=pat)
    assert revoked.code == 0, revoked.err
    assert_stopped_at_once(server, access)


def test_an_access_token_creates_no_pat(server: Server, admin: Admin, pat: str) -> None:
    """The attack: a stolen access token; the victim revokes the PAT behind it; the thief mints a
    PAT of their own with the access token before it expires, and keeps access for 200 years."""
    access = exchange(server, pat)
    admin.revoke(pat)
    r = bearer(server, "POST", "/api/token/", access)
    if server.kind == "stock":  # expected difference: stock mints the thief a PAT
        assert r.status_code == 201, r.text
        stolen = r.json()["token"]
        assert bearer(server, "GET", WHOAMI, exchange(server, stolen)).status_code == 200
        admin.revoke(stolen)
    else:
        assert r.status_code == 401 and r.json()["code"] == "token_revoked", r.text
        # and with a live PAT behind it, the access token is still not enough
        live = admin.new_pat()
        r = bearer(server, "POST", "/api/token/", exchange(server, live))
        assert r.status_code == 403 and r.json()["code"] == "access_token_not_enough", r.text
    # The web page (a session) creates one, on both.
    admin.revoke_all()
    made = admin.request("POST", "/api/token/")
    assert made.status_code == 201, made.text


def test_an_access_token_reads_no_legacy_key(server: Server, admin: Admin, pat: str, legacy: str) -> None:
    access = exchange(server, pat)
    for method, path in (("GET", "/api/current-user/token"), ("POST", "/api/current-user/reset-token/")):
        r = bearer(server, method, path, access)
        if server.kind == "stock":  # expected difference: the key outlives the PAT's revocation
            assert r.status_code in (200, 201) and len(r.json()["token"]) == 40, r.text
        else:
            assert r.status_code == 403 and r.json()["code"] == "access_token_not_enough", r.text
    # The legacy key reads itself, and the web page reads it, on both.
    key = admin.legacy_key()
    with client(server) as http:
        r = http.get("/api/current-user/token", headers={"Authorization": f"Token {key}"})
    assert r.status_code == 200 and r.json()["token"] == key, r.text
