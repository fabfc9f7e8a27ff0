"""`ls-auth whoami`, `doctor` and `token …` (the release binary) against the real server.

Each doctor case sets up one real cause of a 401 and checks the diagnosis doctor names, the
exit code it ends with, and the step that failed. The key always travels in
LABEL_STUDIO_API_KEY or --api-key-file, never in argv.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

import ls_auth

from .conftest import Admin, Server
from .listener import Listener
from .proxy import Proxy

def diagnosis(out: str) -> str:
    line = [l for l in out.splitlines() if l.startswith("diagnosis: ")]
    assert line, out
    return line[-1]


def test_whoami_with_a_pat_and_a_legacy_key(cli, pat: str, legacy: str, server: Server, tmp_key_file) -> None:  # type: ignore[no-untyped-def]
    r = cli("whoami", key=pat)
    assert r.code == 0, r.err
    assert server.email in r.out and "personal access token" in r.out
    r = cli("whoami", "--json", "--api-key-file", tmp_key_file(legacy))
    assert r.code == 0, r.err
    assert json.loads(r.out)["email"] == server.email
    assert legacy not in r.out + r.err and pat not in r.out + r.err


def test_a_401_gets_one_new_exchange_and_one_retry(cli, pat: str, proxy: Proxy, server: Server) -> None:  # type: ignore[no-untyped-def]
    proxy.refuse_once.append("/api/current-user/whoami")
    r = cli("whoami", key=pat, url=proxy.url)
    assert r.code == 0, r.err
    assert proxy.refreshes() == 2
    assert proxy.statuses("/api/current-user/whoami") == [401, 200]
    # Refused twice: the second 401 is the answer.
    proxy.refuse_once.append("/api/current-user/whoami")
    proxy.refuse_once.append("/api/current-user/whoami")
    r = cli("whoami", key=pat, url=proxy.url)
    assert r.code == 1 and "HTTP 401" in r.err
    assert proxy.statuses("/api/current-user/whoami")[2:] == [401, 401]
    assert proxy.refreshes() == 4


def test_whoami_refused_points_at_doctor(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("whoami", key=secrets.token_hex(20))
    assert r.code == 1
    assert "HTTP 401" in r.err and "ls-auth doctor" in r.err


def test_no_key_on_the_command_line(cli, pat: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("whoami", pat)
    assert r.code == 2, "a key given as an argument is refused by the parser"
    r = cli("whoami")
    assert r.code == 2 and "LABEL_STUDIO_API_KEY" in r.err


@pytest.mark.parametrize("kind", ["pat", "legacy"])
def test_doctor_ok(kind: str, cli, pat: str, legacy: str, server: Server, tmp_key_file) -> None:  # type: ignore[no-untyped-def]
    secret_file = tmp_key_file(server.secret)
    r = cli("doctor", "--secret-file", secret_file, key=pat if kind == "pat" else legacy)
    assert (r.code, diagnosis(r.out)) == (0, "diagnosis: ok (exit 0)"), r.out + r.err
    j = cli("doctor", "--json", key=pat if kind == "pat" else legacy)
    report = json.loads(j.out)
    assert (j.code, report["diagnosis"], report["exit_code"]) == (0, "ok", 0)
    assert {s["step"] for s in report["steps"]} >= {"server", "key", "request"}


def short_lived_pat(server: Server, admin: Admin) -> str:
    issued = int(time.time()) - 3 * 86400
    return ls_auth.Issuer(server.secret).mint_pat(admin.user_id(), now=issued, settings=ls_auth.OrgSettings(pat_ttl_days=1))


def other_servers_pat(admin: Admin) -> str:
    return ls_auth.Issuer("another-server-entirely-" + secrets.token_hex(16)).mint_pat(admin.user_id())


Setup = Tuple[List[str], str]  # (doctor's arguments, the key)


def causes(server: Server, admin: Admin, pat: str, legacy: str, proxies: Dict[str, Proxy],
           key_file: Callable[[str], str]) -> Dict[str, Tuple[Callable[[], Setup], str, int, str]]:
    """Each cause of a 401: how to bring it about (against the real server), then the
    diagnosis, exit code and failing step doctor must report."""
    now = int(time.time())

    def revoked() -> Setup:
        admin.revoke(pat)
        return [], pat

    def pats_off() -> Setup:
        admin.settings(pats=False, legacy=True)
        return [], pat

    def legacy_off() -> Setup:
        admin.settings(pats=True, legacy=False)
        return [], legacy

    wrong_secret = "not-the-servers-key-" + secrets.token_hex(16)
    return {
        "unreachable": (lambda: (["--url", "http://127.0.0.1:9"], pat), "server_unreachable", 10, "server"),
        "tls_untrusted": (lambda: (["--url", proxies["tls"].url], pat), "tls_untrusted", 11, "server"),
        "missing_sub_path": (lambda: (["--url", proxies["sub"].url], pat), "not_label_studio", 12, "server"),
        "scheme_pasted_in_key": (lambda: ([], "Bearer " + pat), "key_malformed", 20, "key"),
        "not_a_key": (lambda: ([], "my-api-key"), "key_malformed", 20, "key"),
        "truncated_key": (lambda: ([], ls_auth.truncate(pat)), "key_truncated", 21, "key"),
        "access_token_as_key": (lambda: ([], ls_auth.Issuer(server.secret).refresh(pat)), "key_is_access_token", 22, "key"),
        "expired_pat": (lambda: ([], short_lived_pat(server, admin)), "pat_expired", 23, "key"),
        "revoked_pat": (revoked, "pat_revoked", 30, "exchange"),
        "other_servers_pat": (lambda: ([], other_servers_pat(admin)), "pat_rejected", 31, "exchange"),
        # A stock server still refreshes, then ignores the access token; an ls-auth server
        # refuses the refresh.
        "pats_disabled": (pats_off, "pats_disabled", 32, "request" if server.kind == "stock" else "exchange"),
        "legacy_disabled": (legacy_off, "legacy_disabled", 33, "request"),
        "unknown_legacy_key": (lambda: ([], secrets.token_hex(20)), "legacy_key_unknown", 34, "request"),
        "pat_sent_as_bearer": (lambda: (["--sent-as", "bearer"], pat), "pat_sent_as_bearer", 40, "sent-as"),
        "pat_sent_as_token": (lambda: (["--sent-as", "token"], pat), "pat_sent_as_token", 41, "sent-as"),
        "legacy_sent_as_bearer": (lambda: (["--sent-as", "bearer"], legacy), "legacy_sent_as_bearer", 42, "sent-as"),
        "clock_10_min_slow": (lambda: (["--now", str(now - 600)], pat), "clock_skew", 50, "clock"),
        "clock_10_min_fast": (lambda: (["--now", str(now + 600)], pat), "clock_skew", 50, "clock"),
        "wrong_secret": (lambda: (["--secret-file", key_file(wrong_secret)], pat), "secret_mismatch", 51, "secret"),
    }


CAUSES = [
    "unreachable", "tls_untrusted", "missing_sub_path", "scheme_pasted_in_key", "not_a_key",
    "truncated_key", "access_token_as_key", "expired_pat", "revoked_pat", "other_servers_pat",
    "pats_disabled", "legacy_disabled", "unknown_legacy_key", "pat_sent_as_bearer",
    "pat_sent_as_token", "legacy_sent_as_bearer", "clock_10_min_slow", "clock_10_min_fast",
    "wrong_secret",
]


@pytest.fixture(scope="module")
def doctor_proxies(server: Server, test_ca: Dict[str, Path]) -> Iterator[Dict[str, Any]]:
    with Proxy(server.url, tls=(str(test_ca["cert"]), str(test_ca["key"]))) as tls, \
            Proxy(server.url, prefix="/labelstudio") as sub:
        yield {"tls": tls, "sub": sub, "ca": test_ca["ca"]}


@pytest.mark.parametrize("cause", CAUSES)
def test_doctor_names_the_cause(cause: str, cli, server: Server, admin: Admin, pat: str,  # type: ignore[no-untyped-def]
                                legacy: str, doctor_proxies, tmp_key_file) -> None:
    make, code, exit_code, step = causes(server, admin, pat, legacy, doctor_proxies, tmp_key_file)[cause]
    args, key = make()
    global_args = args[:2] if args[:1] == ["--now"] else []
    doctor_args = args[2:] if global_args else args
    r = cli(*global_args, "doctor", *doctor_args, key=key)
    print(f"{cause}: ls-auth {' '.join(global_args + ['doctor'] + doctor_args)} -> exit {r.code}")
    print(r.out)
    assert diagnosis(r.out) == f"diagnosis: {code} (exit {exit_code})", r.out + r.err
    assert r.code == exit_code
    failed = [l for l in r.out.splitlines() if l.startswith("FAIL ")]
    assert len(failed) == 1 and failed[0].startswith(f"FAIL {step}:"), r.out
    assert key not in r.out + r.err or len(key) < 20, "doctor never prints the key"


def test_doctor_passes_once_the_cause_is_fixed(cli, pat: str, doctor_proxies) -> None:  # type: ignore[no-untyped-def]
    # The same URLs that failed above, given what they lacked.
    r = cli("doctor", "--url", doctor_proxies["tls"].url, "--ca-file", str(doctor_proxies["ca"]), key=pat)
    assert r.code == 0, r.out + r.err
    r = cli("doctor", "--url", doctor_proxies["sub"].url + "/labelstudio", key=pat)
    assert r.code == 0, r.out + r.err


def test_token_commands(cli, server: Server, admin: Admin, pat: str) -> None:  # type: ignore[no-untyped-def]
    listed = cli("token", "list", "--json", key=pat)
    assert listed.code == 0, listed.err
    rows = json.loads(listed.out)
    assert [r["this_key"] for r in rows] == [True]
    own_jti = rows[0]["jti"]

    created = cli("token", "create", key=pat)
    if server.kind == "stock":  # an access token may create a PAT; one is valid already
        assert created.code == 1 and "HTTP 409" in created.err and "token revoke" in created.err
    else:  # contract §3.11: no credential is created with an access token
        assert created.code == 1 and "HTTP 403" in created.err and "web page" in created.err, created.err

    rotated = cli("token", "rotate", key=pat)
    assert rotated.code == 0, rotated.err
    new = rotated.out.strip()
    assert ls_auth.classify_api_key(new) == "pat" and own_jti in rotated.err
    old_refused = cli("whoami", key=pat)
    later = cli("whoami", key=new)
    assert later.code == 0, later.err
    # The old PAT is revoked: its next exchange is refused.
    # Stock words it as simplejwt does; ls_auth's settings module answers with the core's code.
    refusals = ("Token is blacklisted",) if server.kind == "stock" else ("token_revoked", "token has been revoked")
    assert old_refused.code == 1 and any(r in old_refused.err for r in refusals), old_refused.err

    new_jti = json.loads(cli("token", "list", "--json", key=new).out)[0]["jti"]
    revoked = cli("token", "revoke", new_jti, key=new)
    assert revoked.code == 0 and new_jti in revoked.out, revoked.err
    again = cli("token", "revoke", "-", key=new, stdin=new)
    assert again.code == 1 and "already revoked" in again.err and "HTTP 404" in again.err

    # With a working key (the legacy one) a new PAT can be created now that none is valid.
    legacy = admin.legacy_key()
    made = cli("token", "create", "--json", key=legacy)
    assert made.code == 0, made.err
    assert ls_auth.classify_api_key(json.loads(made.out)["token"]) == "pat"
    leaked = cli("token", "revoke", json.loads(made.out)["token"], key=legacy)
    assert leaked.code == 2 and "leak" in leaked.err


def org_settings(cli, key: str) -> Dict[str, Any]:  # type: ignore[no-untyped-def]
    r = cli("org", "show", "--json", key=key)
    assert r.code == 0, r.err
    settings = json.loads(r.out)
    assert isinstance(settings, dict)
    return settings


def test_org_show_and_set_switch_each_kind_of_key(cli, pat: str, legacy: str) -> None:  # type: ignore[no-untyped-def]
    """`ls-auth org` changes the organisation's switches through the server's own API, with the
    same effect as the web UI: the kind turned off is refused at once, and back on, accepted."""
    assert org_settings(cli, pat) == {"api_tokens_enabled": True, "legacy_api_tokens_enabled": True}
    text = cli("org", "show", key=legacy)
    assert text.code == 0 and "personal access tokens: on" in text.out and "legacy tokens:          on" in text.out

    off = cli("org", "set", "--legacy-tokens", "off", key=pat)
    assert off.code == 0, off.err
    assert "legacy tokens:          off" in off.out
    assert cli("whoami", key=legacy).code == 1
    assert org_settings(cli, pat) == {"api_tokens_enabled": True, "legacy_api_tokens_enabled": False}
    on = cli("org", "set", "--legacy-tokens", "on", key=pat)
    assert on.code == 0, on.err
    assert cli("whoami", key=legacy).code == 0

    # Turning off the kind of key the command runs with works, and says what it means.
    pats_off = cli("org", "set", "--api-tokens", "off", "--json", key=pat)
    assert pats_off.code == 0, pats_off.err
    assert json.loads(pats_off.out)["api_tokens_enabled"] is False
    assert "refused from now on" in pats_off.err
    assert cli("whoami", key=pat).code == 1
    back = cli("org", "set", "--api-tokens", "on", key=legacy)
    assert back.code == 0, back.err
    assert cli("whoami", key=pat).code == 0
    assert pat not in pats_off.out + pats_off.err + back.out + back.err


def test_org_set_refuses_what_it_cannot_do(cli, pat: str) -> None:  # type: ignore[no-untyped-def]
    nothing = cli("org", "set", key=pat)
    assert nothing.code == 2 and "nothing to set" in nothing.err
    # Label Studio 1.23 keeps the PAT lifetime out of api/jwt/settings: refused, nothing changed.
    ttl = cli("org", "set", "--ttl-days", "30", "--legacy-tokens", "off", key=pat)
    assert ttl.code == 1 and "does not expose the token lifetime" in ttl.err, ttl.err
    assert org_settings(cli, pat)["legacy_api_tokens_enabled"] is True


def test_org_names_a_key_that_may_not_change_the_organisation(cli) -> None:  # type: ignore[no-untyped-def]
    """Open-source Label Studio lets every member change the organisation; Enterprise answers a
    member's key 403. A loopback server answering as Enterprise does stands in for it."""
    enterprise = Listener(status=403, body=b'{"detail":"You do not have permission to perform this action."}')
    try:
        for args in (("org", "show"), ("org", "set", "--legacy-tokens", "on")):
            r = cli(*args, key=secrets.token_hex(20), url=enterprise.url)
            assert r.code == 1, r.err
            assert "may not" in r.err and "administrator" in r.err and "HTTP 403" in r.err, r.err
    finally:
        enterprise.close()
