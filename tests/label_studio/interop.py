"""Interop checks against one running server (stock, or started with our settings module).

Every check is named `<kind>.<id>`. The ids a.* to h.*, spec.*, key.* and revoke.* are the
checks the bash script made against the stock server (tokens both ways through the CLI, Python
and C; the contract's byte layout; the org toggles); toggle.*, refusal.*, blacklist.*, rotate.*,
mint.* and refresh.* check the token endpoints, with the answer each server must give: where ours differs on
purpose the expected answers differ, and both are checked.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Dict, Optional

from common import (PY, ROOT, T, Checks, Http, Reply, bearer, claims, oneline, run, say, spec_layout, together,
                    truncated)
from server import Server, add_member, set_ttl_days

DAY = 86400
_built_this_run: Dict[str, bool] = {}


class Interop:
    def __init__(self, server: Server, checks: Checks, cli: Path) -> None:
        self.s = server
        self.c = checks
        self.cli = cli
        self.ours = server.kind == "ls_auth"
        self.http = Http(server.base)
        self.env_file = server.data / ".env"

    # -- helpers ----------------------------------------------------------------------------
    def check(self, name: str, cond: bool, evidence: str) -> bool:
        return self.c.check(f"{self.s.kind}.{name}", cond, evidence)

    def lsa(self, *args: str, env_secret: bool = False, secret: Optional[str] = None) -> Any:
        env = dict(os.environ)
        env["LS_AUTH_SECRET"] = secret if secret is not None else self.s.secret
        keyargs = [] if (env_secret or secret is not None) else ["--env-file", str(self.env_file)]
        rc, out, err = run([self.cli, *keyargs, *args], env=env)
        return rc, (out + err).strip()

    def py_verify_access(self, token: str, now: Optional[int] = None, jwks: Optional[str] = None) -> Any:
        """Our server's EdDSA access tokens, verified as a service does: with the published JWK
        Set (plus the HS256 secret, as Label Studio itself). (rc, claims JSON or `error: code`)."""
        code = (
            "import json, os, sys, ls_auth\n"
            "ring = ls_auth.Keyring(os.environ['LS_AUTH_SECRET']).with_jwks(os.environ['JWKS'])\n"
            "now = int(os.environ['NOW']) if os.environ.get('NOW') else None\n"
            "try:\n"
            "    c = ls_auth.Verifier(ring).verify_access(os.environ['TOKEN'], now=now)\n"
            "except ls_auth.AuthError as e:\n"
            "    print(f'error: {e.code}: {e.message}'); sys.exit(1)\n"
            "print(json.dumps({'user_id': c.user_id, 'token_type': c.token_type, 'exp': c.exp}))\n"
        )
        env = dict(os.environ, LS_AUTH_SECRET=self.s.secret, JWKS=jwks if jwks is not None else self.jwks,
                   TOKEN=token, NOW="" if now is None else str(now))
        rc, out, err = run([PY, "-c", code], env=env)
        return rc, (out + err).strip()

    def refresh(self, pat: str) -> Reply:
        return self.http.post("/api/token/refresh/", json_body={"refresh": pat})

    def whoami(self, token: str, scheme: str = "Bearer") -> Reply:
        return self.http.get("/api/current-user/whoami", headers={"Authorization": f"{scheme} {token}"})

    def settings(self, api: bool, legacy: bool) -> Reply:
        r = self.session.post("/api/jwt/settings", json_body={"api_tokens_enabled": api,
                                                              "legacy_api_tokens_enabled": legacy})
        if r.status not in (200, 201):
            raise RuntimeError(f"POST /api/jwt/settings: HTTP {r.status} {r.text()}")
        return r

    def fresh_server_pat(self, http: Optional[Http] = None) -> str:
        """POST /api/token/ (Label Studio allows one valid PAT: blacklist the listed ones first)."""
        http = http or self.session
        for t in http.get("/api/token/").json() or []:
            http.post("/api/token/blacklist/", json_body={"refresh": t["token"]})
        r = http.post("/api/token/")
        if r.status != 201:
            raise RuntimeError(f"POST /api/token/: HTTP {r.status} {r.text()}")
        return str(r.get("token"))

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> Dict[str, Any]:
        s = self.s
        self.session = s.login()
        r = self.session.get("/api/current-user/whoami")
        if r.status != 200:
            raise RuntimeError(f"whoami with the session: HTTP {r.status}")
        self.user_id = str(r.get("id"))
        say(f"logged in: user {s.email} has id {self.user_id}")
        found = self.session.get("/api/jwt/settings").json()
        say(f"org JWT settings (GET /api/jwt/settings): {found}")
        self.settings(True, False)
        self.pat = self.fresh_server_pat()
        r = self.refresh(self.pat)
        if r.status != 200:
            raise RuntimeError(f"server refresh of its own PAT: HTTP {r.status} {r.text()}")
        self.server_access = str(r.get("access"))
        # Ours signs access tokens with Ed25519 and publishes the keys; stock signs HS256.
        self.jwks = self.http.get("/api/token/jwks/").body.decode() if self.ours else ""
        say(f"server-minted PAT claims: {json.dumps(claims(self.pat))}")
        for step in (self.key, self.spec, self.a_to_e, self.f_python, self.g_c, self.h_legacy, self.revoke,
                     self.toggles, self.refusals, self.x_api_key, self.blacklist, self.rotate, self.mint_and_ttl):
            try:
                step()
            except Exception as e:  # noqa: BLE001 - one broken step must not hide the others
                self.check(f"{step.__name__}.completed", False, f"{type(e).__name__}: {oneline(str(e))}")
        return {"found_settings": found}

    def restore(self, found: Dict[str, Any]) -> None:
        """Leave the organisation's settings as we found them."""
        self.settings(bool(found.get("api_tokens_enabled", True)), bool(found.get("legacy_api_tokens_enabled", False)))

    # -- key, contract layout ---------------------------------------------------------------------
    def key(self) -> None:
        # Label Studio 1.23.2's /version/ dumps every Django setting to a logged-in superuser.
        import html

        r = self.session.get("/version/")
        text = r.body.decode(errors="replace")
        try:
            dump = json.loads(html.unescape(text[text.index("<pre>") + 5:text.rindex("</pre>")]))
            key = dump.get("settings", {}).get("SECRET_KEY")
        except ValueError:
            key = None
        self.check("key.running-server-secret", key == self.s.secret,
                   f"GET /version/ as superuser: HTTP {r.status}; the running server's settings.SECRET_KEY "
                   + ("equals" if key == self.s.secret else "DIFFERS from") + f" SECRET_KEY= of {self.env_file}")

    def spec(self) -> None:
        ok, ev = spec_layout(self.pat, "refresh", self.user_id)
        self.check("spec.server-pat-bytes", ok, ev)
        kid = json.loads(self.jwks)["keys"][0]["kid"] if self.ours else None
        ok, ev = spec_layout(self.server_access, "access", self.user_id, self.pat, kid=kid, names_pat=self.ours)
        self.check("spec.server-access-bytes", ok, ev)

    # -- a..e: the CLI and the server, both ways ------------------------------------------------
    def a_to_e(self) -> None:
        rc, out = self.lsa("verify", "--kind", "refresh", self.pat)
        uid = json.loads(out).get("user_id") if rc == 0 else oneline(out)
        self.check("a.cli-verify-server-pat", rc == 0, f"exit {rc}, user_id {uid}")
        rc, out = self.lsa("verify", "--kind", "refresh", self.pat, env_secret=True)
        self.check("a.cli-verify-server-pat-env-secret", rc == 0, f"exit {rc} (key from LS_AUTH_SECRET)")

        rc, access = self.lsa("refresh", self.pat)
        self.access = access if rc == 0 else ""
        if rc == 0:
            r = self.whoami(access)
            self.check("b.server-accepts-our-access", r.status == 200 and r.get("email") == self.s.email,
                       f"ls-auth refresh <server PAT> -> Bearer whoami: HTTP {r.status} ({r.get('email')})")
            r = self.http.get("/api/projects/", headers=bearer(access))
            self.check("b.server-accepts-our-access-projects", r.status == 200, f"Bearer GET /api/projects/: HTTP {r.status}")
            ok, ev = spec_layout(access, "access", self.user_id, self.pat)
            self.check("spec.our-access-bytes", ok, ev)
        else:
            self.check("b.server-accepts-our-access", False, f"ls-auth refresh failed: {oneline(access)}")

        rc, our_pat = self.lsa("mint-pat", "--user-id", self.user_id)
        if rc == 0:
            ok, ev = spec_layout(our_pat, "refresh", self.user_id)
            self.check("spec.our-pat-bytes", ok, ev)
            r = self.refresh(our_pat)
            if self.check("c.server-refreshes-our-pat", r.status == 200,
                          f"POST /api/token/refresh/ {{refresh: ls-auth mint-pat --user-id {self.user_id}}}: HTTP {r.status}"):
                acc = str(r.get("access"))
                w = self.whoami(acc)
                self.check("c.server-access-from-our-pat-works", w.status == 200, f"Bearer whoami: HTTP {w.status} ({w.get('email')})")
                rc2, out2 = self.py_verify_access(acc) if self.ours else self.lsa("verify", acc)
                self.check("c.cli-verifies-server-access-from-our-pat", rc2 == 0,
                           f"exit {rc2}" + (" (EdDSA: Verifier(Keyring(secret).with_jwks(published set)))" if self.ours else ""))
        else:
            self.check("c.server-refreshes-our-pat", False, f"ls-auth mint-pat failed: {oneline(our_pat)}")
        rc, claim_pat = self.lsa("mint-pat", "--user-id", self.user_id, "--claim", "org=7")
        r = self.refresh(claim_pat) if rc == 0 else None
        v = claims(str(r.get("access"))).get("org") if r is not None and r.status == 200 else "missing"
        self.check("c.server-copies-custom-claim", v == 7, f"access token refreshed from our PAT with org=7 has org={v}")

        rc, out = self.lsa("verify", self.pat)
        self.check("d.cli-server-pat-as-access", out.startswith("error: wrong_token_type"), f"exit {rc}, {oneline(out)}")
        r = self.whoami(self.pat)
        self.check("d.server-refuses-pat-as-bearer", r.status == 401, f"server: Bearer <its PAT> -> HTTP {r.status} {r.get('code', '')}")
        rc, out = self.lsa("verify", "--kind", "refresh", self.server_access)
        # Ours: an EdDSA access token is refused by a keyring of HS256 secrets before its type is read.
        want = "error: unsupported_algorithm" if self.ours else "error: wrong_token_type"
        self.check("d.cli-server-access-as-pat", out.startswith(want), f"exit {rc}, {oneline(out)}")
        r = self.refresh(self.server_access)
        self.check("d.server-refuses-access-for-refresh", r.status == 401, f"POST /api/token/refresh/ {{refresh: access}} -> HTTP {r.status} {r.text()[:160]}")
        exp = int(claims(self.server_access)["exp"])
        if self.ours:  # EdDSA: verified with the published JWK Set, as a service does
            rc, out = self.py_verify_access(self.server_access, now=exp)
            self.check("d.cli-server-access-expired-at-exp", out.startswith("error: token_expired"), f"now={exp} (= exp), JWK Set: exit {rc}, {oneline(out)}")
            rc, out = self.py_verify_access(self.server_access, now=exp - 1)
            self.check("d.cli-server-access-valid-at-exp-minus-1", rc == 0, f"now={exp - 1}, JWK Set: exit {rc}")
            rc, out = self.py_verify_access(self.server_access)
            self.check("e.cli-verify-server-access", rc == 0, f"JWK Set: exit {rc}, {oneline(out)[:160]}")
            rc, out = self.lsa("verify", self.server_access)
            self.check("e.secret-alone-refuses-server-access", out.startswith("error: unsupported_algorithm"),
                       f"ls-auth verify with SECRET_KEY alone: exit {rc}, {oneline(out)}")
            rc, out = self.lsa("header", f"Bearer {self.server_access}")
            self.check("e.cli-header-server-access", rc == 1 and "unsupported_algorithm" in out, oneline(out)[:160])
            other = '{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"another","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}'
            rc, out = self.py_verify_access(self.server_access, jwks=other)
            self.check("e.cli-wrong-key-refused", out.startswith("error: unknown_key_id"), f"another JWK Set: {oneline(out)}")
            return
        rc, out = self.lsa("--now", str(exp), "verify", self.server_access)
        self.check("d.cli-server-access-expired-at-exp", out.startswith("error: token_expired"), f"--now {exp} (= exp): exit {rc}, {oneline(out)}")
        rc, out = self.lsa("--now", str(exp - 1), "verify", self.server_access)
        self.check("d.cli-server-access-valid-at-exp-minus-1", rc == 0, f"--now {exp - 1}: exit {rc}")

        rc, out = self.lsa("verify", self.server_access)
        self.check("e.cli-verify-server-access", rc == 0, f"exit {rc}, token_type {json.loads(out).get('token_type') if rc == 0 else oneline(out)}")
        rc, out = self.lsa("header", f"Bearer {self.server_access}")
        self.check("e.cli-header-server-access", rc == 0, out.splitlines()[0] if out else "")
        rc, out = self.lsa("verify", self.server_access, secret=self.s.secret + "x")
        self.check("e.cli-wrong-key-refused", out.startswith("error: invalid_signature"), oneline(out))

    # -- f: Python --------------------------------------------------------------------------------
    def f_python(self) -> None:
        code = r"""
import json, os, sys, ls_auth
s, pat, acc = os.environ["LS_AUTH_SECRET"], os.environ["PAT"], os.environ["SERVER_ACCESS"]
c = ls_auth.Verifier(s).verify_refresh(pat)
assert c.token_type == "refresh", c.token_type
jwks = os.environ.get("JWKS")
ls_auth.Verifier(ls_auth.Keyring(s).with_jwks(jwks) if jwks else s).verify_access(acc)
try:
    ls_auth.Verifier(s).verify_access(pat)
    raise SystemExit("PAT verified as access")
except ls_auth.AuthError as e:
    assert e.code == "wrong_token_type", e.code
print(json.dumps({"access": ls_auth.Issuer(s).refresh(pat), "truncated": ls_auth.truncate(pat),
                  "evidence": f"Verifier.verify_refresh(server PAT): user_id={c.user_id!r}; verify_access(server access) ok; "
                              f"verify_access(PAT) -> wrong_token_type; classify_api_key(PAT)={ls_auth.classify_api_key(pat)!r}"}))
"""
        env = dict(os.environ, LS_AUTH_SECRET=self.s.secret, PAT=self.pat, SERVER_ACCESS=self.server_access,
                   JWKS=self.jwks)
        rc, out, err = run([PY, "-c", code], env=env)
        data = json.loads(out) if rc == 0 else {}
        self.check("f.python-verify-server-pat", rc == 0, data.get("evidence") or oneline(err[-300:]))
        if rc == 0:
            r = self.whoami(data["access"])
            self.check("f.server-accepts-python-access", r.status == 200, f"ls_auth.Issuer(SECRET).refresh(server PAT) -> Bearer whoami: HTTP {r.status}")
            listed = [t["token"] for t in self.session.get("/api/token/").json() or []]
            self.check("f.python-truncate-matches-server-list", data["truncated"] in listed,
                       f"GET /api/token/ lists {len(listed)} token(s); ls_auth.truncate(PAT) is {'' if data['truncated'] in listed else 'NOT '}among them")
        else:
            self.check("f.server-accepts-python-access", False, "no access token from ls_auth.Issuer.refresh")

    # -- g: C -------------------------------------------------------------------------------------
    def g_c(self) -> None:
        exe = T / "ls-server-work" / "pat_check"
        if not _built_this_run.get("pat_check"):  # rebuilt once per run: the library may have changed
            prefix = T / "c-prefix"
            rc, out, err = run([ROOT / "scripts" / "install-c", f"PREFIX={prefix}"], cwd=ROOT, timeout=1800)
            if rc != 0:
                self.check("g.c-verify-server-pat", False, f"scripts/install-c failed: {oneline((out + err)[-300:])}")
                return
            pc = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
            rc, flags, err = run(["pkg-config", "--cflags", "--libs", "ls_auth"], env=pc)
            rc2, out, err2 = run(["cc", "-std=c11", "-Wall", "-Werror", "-o", exe, Path(__file__).with_name("pat_check.c"),
                                  *flags.split()])
            if rc != 0 or rc2 != 0:
                self.check("g.c-verify-server-pat", False, f"cc failed: {oneline(err + err2)}")
                return
            _built_this_run["pat_check"] = True
        rc, out, err = run([exe, self.pat], env=dict(os.environ, LS_AUTH_SECRET=self.s.secret))
        self.check("g.c-verify-server-pat", rc == 0, oneline(out + err))

    # -- h: legacy keys and the org toggles -------------------------------------------------------
    def h_legacy(self) -> None:
        r = self.session.get("/api/current-user/token")
        legacy = str(r.get("token") or "")
        self.legacy = legacy
        self.check("h.server-gives-legacy-key", bool(legacy), f"GET /api/current-user/token: HTTP {r.status}, key of {len(legacy)} chars")
        r = self.whoami(legacy, "Token")
        self.check("h.server-refuses-legacy-when-disabled", r.status == 401,
                   f"legacy_api_tokens_enabled=false: Token whoami -> HTTP {r.status} {self.why(r)}")
        rc, out = self.lsa("header", f"Token {legacy}")
        self.check("h.cli-refuses-legacy-when-disabled", "token_kind_disabled" in out, f"exit {rc}, {oneline(out)[:160]}")
        self.settings(True, True)
        r = self.whoami(legacy, "Token")
        self.check("h.server-accepts-legacy", r.status == 200, f"legacy_api_tokens_enabled=true: Token whoami -> HTTP {r.status} ({r.get('email')})")
        rc, out = self.lsa("header", f"Token {legacy}", "--org-settings", '{"legacy_api_tokens_enabled":true}')
        self.check("h.cli-classifies-legacy", "legacy key: well-formed" in out, f"exit {rc}, {oneline(out)[:160]}")
        rc, out = self.run_cli_plain("legacy", "check", legacy)
        self.check("h.cli-legacy-check", rc == 0, oneline(out))
        r = self.whoami(self.server_access, "Token")
        rc, out = self.lsa("header", f"Token {self.server_access}", "--org-settings", '{"legacy_api_tokens_enabled":true}')
        self.check("h.jwt-as-token-refused", r.status == 401 and rc == 1, f"server HTTP {r.status}; ls-auth: {oneline(out)[:160]}")
        self.settings(False, True)
        if self.access:
            r = self.whoami(self.access)
            rc, out = self.lsa("header", f"Bearer {self.access}", "--org-settings", '{"api_tokens_enabled":false}')
            self.check("h.api-tokens-disabled-bearer", r.status == 401 and "token_kind_disabled" in out,
                       f"api_tokens_enabled=false: server Bearer whoami HTTP {r.status} {self.why(r)}; ls-auth header: {oneline(out)[:120]}")
            rc, out = self.lsa("verify", "--kind", "refresh", self.pat, "--org-settings", '{"api_tokens_enabled":false}')
            self.check("h.api-tokens-disabled-refresh", "token_kind_disabled" in out, f"ls-auth verify --kind refresh: {oneline(out)[:160]}")
        self.settings(True, False)

    def run_cli_plain(self, *args: str) -> Any:
        rc, out, err = run([self.cli, *args])
        return rc, (out + err).strip()

    def why(self, r: Reply) -> str:
        """What a refusal says: Label Studio's detail, and our code where there is one."""
        code = r.get("code")
        return f"({r.get('detail')!r}" + (f", code {code}" if code else "") + ")"

    # -- revocation (the bash suite's check) -------------------------------------------------------
    def revoke(self) -> None:
        r = self.session.post("/api/token/blacklist/", json_body={"refresh": truncated(self.pat)})
        r2 = self.refresh(self.pat)
        self.check("revoke.server-blacklists-truncated", r.status == 204 and r2.status == 401,
                   f"POST /api/token/blacklist/ {{refresh: header.payload}} as the owner: HTTP {r.status}; then refresh: HTTP {r2.status} {self.why(r2)}")

    # -- token endpoints and org toggles-------------------------------------------------------------------------------
    def toggles(self) -> None:
        pat = self.fresh_server_pat()
        access = str(self.refresh(pat).get("access"))
        before = self.whoami(access).status
        self.settings(False, False)
        off = self.whoami(access)
        refresh_off = self.refresh(pat)
        self.settings(True, False)
        on = self.whoami(access)
        self.check("toggle.pats-next-request", before == 200 and off.status == 401 and on.status == 200,
                   f"access token issued before: whoami {before}; api_tokens_enabled=false -> {off.status} {self.why(off)}; enabled again -> {on.status}")
        if self.ours:
            self.check("toggle.refresh-while-pats-disabled", refresh_off.status == 401 and refresh_off.get("code") == "token_kind_disabled",
                       f"ours refuses: POST /api/token/refresh/ -> {refresh_off.status} {self.why(refresh_off)}")
        else:
            self.check("toggle.refresh-while-pats-disabled", refresh_off.status == 200,
                       f"stock still refreshes while PATs are disabled (documented leniency): HTTP {refresh_off.status}")
        self.settings(True, True)
        ok = self.whoami(self.legacy, "Token").status
        self.settings(True, False)
        off = self.whoami(self.legacy, "Token")
        self.check("toggle.legacy-next-request", ok == 200 and off.status == 401,
                   f"legacy key: enabled -> {ok}; disabled -> {off.status} {self.why(off)}")
        self.blacklisted_pat = pat
        r = self.http.post("/api/token/blacklist/", json_body={"refresh": pat})
        r2 = self.refresh(pat)
        self.check("toggle.blacklisted-pat-stops-refreshing", r.status == 204 and r2.status == 401,
                   f"POST /api/token/blacklist/ {{full PAT}} (no auth): {r.status}; refresh: {r2.status} {self.why(r2)}")
        r = self.http.post("/api/token/blacklist/", json_body={"refresh": pat})
        self.check("blacklist.twice-is-404", r.status == 404, f"second blacklist of the same PAT: {r.status} {self.why(r)}")

    def refusals(self) -> None:
        _, old_pat = self.lsa("--now", str(int(time.time()) - 2 * DAY), "mint-pat", "--user-id", self.user_id)
        _, old_access = self.lsa("--now", str(int(time.time()) - 2 * DAY), "refresh", old_pat)
        r = self.whoami(old_access)
        challenge = r.headers.get("WWW-Authenticate", "")
        body = r.json() or {}
        if self.ours:
            self.check("refusal.expired-access-says-why", r.status == 401 and body.get("code") == "token_expired"
                       and {"id", "status_code", "version", "detail", "exc_info"} <= set(body)
                       and challenge == f'Bearer realm="api", error="invalid_token", error_description="{body.get("detail")}"',
                       f"HTTP {r.status}, body keys {sorted(body)}, detail {body.get('detail')!r}, code {body.get('code')}; WWW-Authenticate: {challenge}")
        else:
            self.check("refusal.expired-access-says-why", r.status == 401 and "code" not in body,
                       f"stock: HTTP {r.status}, detail {body.get('detail')!r} (no code); WWW-Authenticate: {challenge}")
        r = self.session.get("/api/current-user/whoami", headers={"Authorization": "Bearer not.a.token"})
        if self.ours:
            self.check("refusal.session-does-not-mask-bad-bearer", r.status == 401 and r.get("code") == "malformed_token",
                       f"session cookie + a bad Bearer: HTTP {r.status} {self.why(r)}")
        else:
            self.check("refusal.session-does-not-mask-bad-bearer", r.status == 200,
                       f"stock falls back to the session when the Bearer is bad: HTTP {r.status}")

    def x_api_key(self) -> None:
        _, pat = self.lsa("mint-pat", "--user-id", self.user_id)
        access = str(self.refresh(pat).get("access"))
        r = self.http.get("/api/current-user/whoami", headers={"X-Api-Key": access})
        if self.ours:
            self.check("x-api-key.access-token", r.status == 200 and r.get("email") == self.s.email,
                       f"X-Api-Key: <access token> -> HTTP {r.status} ({r.get('email')})")
        else:
            self.check("x-api-key.access-token", r.status == 401,
                       f"stock reads X-Api-Key as `Token <value>`, so an access token is refused: HTTP {r.status} {self.why(r)}")
        self.settings(True, True)
        r = self.http.get("/api/current-user/whoami", headers={"X-Api-Key": self.legacy})
        self.settings(True, False)
        self.check("x-api-key.legacy-key", r.status == 200, f"X-Api-Key: <legacy key>, legacy enabled -> HTTP {r.status}")

    def blacklist(self) -> None:
        pat = self.fresh_server_pat()
        r = self.http.post("/api/token/blacklist/", json_body={"refresh": truncated(pat)})
        if self.ours:
            self.check("blacklist.truncated-needs-owner", r.status == 401 and r.get("code") == "not_authenticated",
                       f"header.payload without authentication: HTTP {r.status} {self.why(r)}")
            r = self.session.post("/api/token/blacklist/", json_body={"refresh": truncated(pat)})
            self.check("blacklist.truncated-by-owner", r.status == 204, f"header.payload from the owner's session: HTTP {r.status}")
        else:
            self.check("blacklist.truncated-needs-owner", r.status == 204,
                       f"stock revokes by header.payload for anyone, unauthenticated (documented looseness): HTTP {r.status}")
        self.check("blacklist.revoked-pat-stops-refreshing", self.refresh(pat).status == 401, "refresh after the truncated blacklist: 401")

    def rotate(self) -> None:
        email, password = f"member-{self.s.kind}@example.com", "member-pass-0123456789"
        member_id = add_member(self.s, email, password)
        member = self.s.login(email, password)
        pat = self.fresh_server_pat()
        r = member.post("/api/token/rotate/", json_body={"refresh": pat})
        if self.ours:
            self.check("rotate.other-users-pat", r.status == 403 and r.get("code") == "not_token_owner",
                       f"a member (not the owner) rotates the owner's PAT: HTTP {r.status} {self.why(r)}")
        else:
            new_owner = claims(str(r.get("refresh"))).get("user_id") if r.status == 200 else None
            self.check("rotate.other-users-pat", r.status == 200,
                       f"stock lets a member rotate the owner's PAT (documented looseness): HTTP {r.status}; the new PAT's user_id is {new_owner!r} (the caller {member_id!r})")
        pat = self.fresh_server_pat()
        access = str(self.refresh(pat).get("access"))
        n = 8
        results = together(n, lambda: Http(self.s.base).post("/api/token/rotate/", json_body={"refresh": pat},
                                                             headers=bearer(access), timeout=60))
        statuses = sorted(getattr(x, "status", 0) for x in results)
        winners = statuses.count(200)
        if self.ours:
            # A loser is refused for its PAT (400), or, once the winner has revoked that PAT, for
            # the access token it presented, which stops with its PAT (401 token_revoked, §3.11).
            losers_ok = all(getattr(x, "status", 0) == 400
                            or (getattr(x, "status", 0) == 401 and x.get("code") == "token_revoked")
                            for x in results if getattr(x, "status", 0) != 200)
            self.check("rotate.concurrent-single-use", winners == 1 and losers_ok,
                       f"{n} concurrent rotations of one PAT: statuses {statuses}")
        else:  # a figure about the stock server, not a check of ours
            print(f"INFO {self.s.kind}.rotate.concurrent: {n} concurrent rotations of one PAT: statuses {statuses} "
                  f"({winners} succeeded)", flush=True)

    def mint_and_ttl(self) -> None:
        set_ttl_days(self.s, self.s.email, 30)
        try:
            pat = self.fresh_server_pat()
            c = claims(pat)
            want = 30 * DAY if self.ours else 73000 * DAY
            self.check("mint.org-ttl", c["exp"] - c["iat"] == want,
                       f"api_token_ttl_days=30: POST /api/token/ -> exp-iat = {(c['exp'] - c['iat']) // DAY} days"
                       + ("" if self.ours else " (stock ignores the organisation's TTL)"))
            _, old = self.lsa("--now", str(int(time.time()) - 40 * DAY), "mint-pat", "--user-id", self.user_id)
            r = self.refresh(old)
            if self.ours:
                self.check("refresh.ttl-shortened", r.status == 401 and r.get("code") == "pat_ttl_exceeded",
                           f"PAT issued 40 days ago (exp in 200 years), TTL now 30 days: refresh HTTP {r.status} {self.why(r)}")
            else:
                self.check("refresh.ttl-shortened", r.status == 200, f"stock refreshes a PAT older than the TTL: HTTP {r.status}")
        finally:
            set_ttl_days(self.s, self.s.email, 73000)
