"""The fleet test (scripts/test-fleet): Label Studio 1.23.2 with ls_auth.contrib.label_studio.settings
on PostgreSQL, and three services that hold nothing but its JWK Set's URL, all on 127.0.0.1:

- rust: crates/ls-auth-tower/examples/service.rs (JwksAuthLayer; `/open` outside the layer);
- c: bindings/c/examples/auth_service.c `serve FILE`, the file kept equal to the JWK Set by
  tests/fleet/jwks_to_file.py (a standard-library poller, no credentials);
- python: tests/fleet/py_service.py (ls_auth.contrib.jwks.JwksVerifier in http.server).

Checks, in order: no service's environment, arguments or files hold SECRET_KEY; a PAT from Label
Studio through ls_auth.contrib.sdk and through plain HTTP gives access tokens all three accept;
the PAT, forged and tampered tokens are refused with the contract's status, challenge and code;
`ls_auth_signing_keys rotate` under a request stream, no request refused; Label Studio stopped:
unexpired tokens still accepted until their exp, a key rotated in meanwhile is picked up once it
is back; the organisation's api_tokens_enabled turned off: Label Studio refuses at once, refreshes
stop, the services accept the last access token until it expires (measured); a bounded load run
(oha, from crates.io into target/tools) on the Rust service, `/` (authenticated) against `/open`.

Lifetimes are shortened to keep it bounded: LS_AUTH_ACCESS_TOKEN_LIFETIME (FLEET_ACCESS_TTL, 30 s)
and LS_AUTH_JWKS_MAX_AGE (FLEET_JWKS_MAX_AGE, 30 s: not below the services' 30 s minimum refetch
interval, or a key could sign before a service may fetch it). FLEET_LOAD_SECONDS (8) and
FLEET_LOAD_CLIENTS (16) size the load run. One line per check, then `fleet: N passed, M failed`;
exit 1 on any failure. Every process it starts is stopped on exit.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "label_studio"))

import setup_env  # noqa: E402
from common import (  # noqa: E402
    LS_VERSION, PY, ROOT, T, Checks, Fatal, Group, Http, b64d, bearer, cpu_model, free_port, oneline, run, say,
)
from postgres import Cluster  # noqa: E402
from server import OURS, Server  # noqa: E402

WORK = T / "fleet"
ACCESS_TTL = int(os.environ.get("FLEET_ACCESS_TTL", "30"))
JWKS_MAX_AGE = int(os.environ.get("FLEET_JWKS_MAX_AGE", "30"))
LOAD_SECONDS = int(os.environ.get("FLEET_LOAD_SECONDS", "8"))
LOAD_CLIENTS = int(os.environ.get("FLEET_LOAD_CLIENTS", "16"))
OHA_VERSION = "1.16.0"
EMAIL = "fleet@example.com"
SERVICE_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # all a service is given, with its URL


class FleetChecks(Checks):
    def summary(self) -> str:
        return f"fleet: {self.passed} passed, {self.failed} failed"


def kid_of(token: str) -> str:
    try:
        return str(json.loads(b64d(token.split(".")[0])).get("kid"))
    except (ValueError, IndexError):
        return "?"


def exp_of(token: str) -> int:
    return int(json.loads(b64d(token.split(".")[1]))["exp"])


# -- Label Studio on PostgreSQL --------------------------------------------------------------------


class FleetServer(Server):
    """Our settings module, PostgreSQL, short lifetimes; restarted on the same port."""

    def __init__(self, site: Path, cluster: Cluster) -> None:
        super().__init__("ls_auth", site, EMAIL, f"fleet-pass-{secrets.token_hex(8)}")
        self.cluster = cluster
        self.data = WORK / "ls-data"
        self.work = WORK / "ls"

    def env(self, **extra: str) -> Dict[str, str]:
        from common import clean_env

        env = clean_env(LABEL_STUDIO_BASE_DATA_DIR=str(self.data), DJANGO_SETTINGS_MODULE=OURS,
                        LS_AUTH_ACCESS_TOKEN_LIFETIME=str(ACCESS_TTL), LS_AUTH_JWKS_MAX_AGE=str(JWKS_MAX_AGE),
                        **self.cluster.env())
        env.update(extra)
        return env

    def prepare(self) -> None:
        self.fresh_dirs()
        self._database()

    def _database(self) -> None:
        """Label Studio's and our migrations, applied once and kept as a pg_dump (restored in a
        few seconds on later runs)."""
        h = hashlib.sha256(LS_VERSION.encode())
        for p in sorted((ROOT / "bindings/python/python/ls_auth/contrib/label_studio/migrations").glob("*.py")):
            h.update(p.read_bytes())
        dump, stamp = WORK.parent / "fleet-pg-template.sql", WORK.parent / "fleet-pg-template.stamp"
        pg = ["-h", "127.0.0.1", "-p", str(self.cluster.port), "-U", self.cluster.user]
        if dump.exists() and stamp.exists() and stamp.read_text() == h.hexdigest():
            rc, out, err = run([self.cluster.bindir / "psql", "-q", "-v", "ON_ERROR_STOP=1", *pg, "-d", "postgres",
                                "-f", dump], timeout=300)
            if rc != 0:
                raise Fatal(f"psql restore of {dump} failed: {err[-600:]}")
            say(f"restored the migrated database from {dump}")
            return
        say("migrating a PostgreSQL database once (Label Studio's and ls_auth's migrations)")
        started = time.monotonic()
        rc, out, err = run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=self.site, timeout=1200,
                           env=self.env())
        if rc != 0:
            raise Fatal(f"migrate failed: {(out + err)[-800:]}")
        rc, out, err = run([self.cluster.bindir / "pg_dump", *pg, "-d", "postgres", "-f", dump], timeout=300)
        if rc != 0:
            raise Fatal(f"pg_dump failed: {err[-600:]}")
        stamp.write_text(h.hexdigest())
        say(f"migrated in {time.monotonic() - started:.0f} s; kept as {dump}")

    def manage(self, *args: str) -> str:
        rc, out, err = run([PY, "manage.py", *args], cwd=self.site, env=self.env(), timeout=300)
        if rc != 0:
            raise Fatal(f"manage.py {' '.join(args)} failed: {(out + err)[-600:]}")
        return out.strip()


# -- the services ------------------------------------------------------------------------------------


class Service:
    def __init__(self, name: str, group: Group, port: int, files: List[Path]) -> None:
        self.name, self.group, self.port, self.files = name, group, port, files
        self.http = Http(f"http://127.0.0.1:{port}")

    def get(self, token: Optional[str], path: str = "/") -> Tuple[int, str, str]:
        """(status, body's first line, WWW-Authenticate)."""
        try:
            r = self.http.get(path, headers=bearer(token) if token is not None else {}, timeout=10)
        except OSError as e:
            return 0, f"{type(e).__name__}: {e}", ""
        return r.status, r.body.decode(errors="replace").strip(), r.headers.get("WWW-Authenticate") or ""


def wait_port_file(path: Path, group: Group, timeout: float = 30) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not group.alive():
            raise Fatal(f"{group.log.name} exited: {group.tail()}")
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            time.sleep(0.1)
    raise Fatal(f"no port in {path} within {timeout} s: {group.tail()}")


def wait_listening(port: int, group: Group, timeout: float = 30) -> None:
    import socket

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not group.alive():
            raise Fatal(f"{group.log.name} exited: {group.tail()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise Fatal(f"nothing listens on {port} within {timeout} s: {group.tail()}")


def build_services() -> Tuple[Path, Path]:
    """The Rust example service (release) and the C example service against the release libls_auth."""
    say("building the Rust example service and libls_auth (cargo build --release)")
    rc, out, err = run(["cargo", "build", "-q", "--release", "--locked", "-p", "ls-auth-tower", "--example", "service"],
                       cwd=ROOT, timeout=1800)
    if rc != 0:
        raise Fatal(f"cargo build --release -p ls-auth-tower --example service failed: {err[-800:]}")
    rust = T / "release" / "examples" / "service"
    # libls_auth as a C user gets it (scripts/install-c into a prefix), the example built through
    # its pkg-config file, as scripts/test-c builds it.
    prefix = WORK.parent / "fleet-prefix"
    rc, out, err = run([ROOT / "scripts" / "install-c", f"PREFIX={prefix}"], cwd=ROOT, timeout=1800)
    if rc != 0:
        raise Fatal(f"scripts/install-c failed: {(out + err)[-800:]}")
    rc, flags, err = run(["pkg-config", "--cflags", "--libs", "ls_auth"],
                         env=dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig")))
    if rc != 0:
        raise Fatal(f"pkg-config ls_auth failed: {err[-400:]}")
    c = WORK.parent / "fleet-auth-service"
    rc, out, err = run(["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-D_DEFAULT_SOURCE",
                        ROOT / "bindings/c/examples/auth_service.c", *flags.split(), "-o", c], cwd=ROOT, timeout=300)
    if rc != 0:
        raise Fatal(f"gcc auth_service.c failed: {err[-800:]}")
    return rust, c


def oha() -> Path:
    """oha from crates.io in target/tools: scripts/install-oha (which scripts/test starts in the
    background at its beginning, so this usually finds it built)."""
    binary = T / "tools" / "bin" / "oha"
    say(f"oha {OHA_VERSION} from crates.io into {binary.parent.parent} (scripts/install-oha; minutes the first time)")
    rc, out, err = run([ROOT / "scripts" / "install-oha"], cwd=ROOT, timeout=3600)
    if rc != 0 or not binary.exists():
        raise Fatal(f"scripts/install-oha failed: {err[-800:]}")
    return binary


def start_services(url: str, rust_bin: Path, c_bin: Path, lifetime: int) -> Dict[str, Service]:
    services: Dict[str, Service] = {}
    d = WORK / "services"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    # Rust: the URL and an address.
    port = free_port()
    g = Group([rust_bin, url, f"127.0.0.1:{port}"], env=SERVICE_ENV, cwd=d, log=d / "rust.log")
    services["rust"] = Service("rust", g, port, [])
    # C: the helper keeps the file equal to the JWK Set; the service re-reads the file.
    jwks_file, c_port_file = d / "jwks.json", d / "c.port"
    helper = Group(["python3", HERE / "jwks_to_file.py", url, jwks_file], env=SERVICE_ENV, cwd=d,
                   log=d / "jwks_to_file.log")
    end = time.monotonic() + 30
    while not jwks_file.exists():
        if time.monotonic() > end or not helper.alive():
            raise Fatal(f"jwks_to_file wrote no {jwks_file}: {helper.tail()}")
        time.sleep(0.1)
    g = Group([c_bin, "serve", jwks_file, c_port_file, str(lifetime)], env=SERVICE_ENV, cwd=d, log=d / "c.log")
    services["c"] = Service("c", g, wait_port_file(c_port_file, g), [jwks_file, c_port_file])
    services["c"].helper = helper  # type: ignore[attr-defined]
    # Python: the URL and a port file; the Label Studio venv's interpreter (it has the ls_auth wheel).
    py_port_file = d / "python.port"
    g = Group([PY, HERE / "py_service.py", url, py_port_file], env=SERVICE_ENV, cwd=d, log=d / "python.log")
    services["python"] = Service("python", g, wait_port_file(py_port_file, g), [py_port_file])
    wait_listening(services["rust"].port, services["rust"].group)
    return services


def processes(services: Dict[str, Service]) -> List[Tuple[str, int, List[Path]]]:
    out = []
    for s in services.values():
        out.append((s.name, s.group.proc.pid, s.files))
        helper = getattr(s, "helper", None)
        if helper is not None:
            out.append((f"{s.name}'s jwks_to_file", helper.proc.pid, s.files))
    return out


# -- the test --------------------------------------------------------------------------------------------


class Fleet:
    def __init__(self, checks: Checks, server: FleetServer, services: Dict[str, Service]) -> None:
        self.checks, self.server, self.services = checks, server, services
        self.http = Http(server.base)
        self.session: Optional[Http] = None
        self.pat = ""
        self.user_id = ""
        self.figures: Dict[str, str] = {}
        self.foreign = ""

    # Label Studio
    def refresh(self) -> str:
        r = self.http.post("/api/token/refresh/", json_body={"refresh": self.pat})
        if r.status != 200:
            raise Fatal(f"POST /api/token/refresh/: HTTP {r.status} {r.text()[:200]}")
        return str(r.get("access"))

    def org_tokens(self, enabled: bool) -> None:
        assert self.session is not None
        r = self.session.post("/api/jwt/settings", json_body={"api_tokens_enabled": enabled,
                                                              "legacy_api_tokens_enabled": False})
        if r.status not in (200, 201):
            raise Fatal(f"POST /api/jwt/settings api_tokens_enabled={enabled}: HTTP {r.status} {r.text()[:200]}")

    def sign_in(self) -> None:
        self.session = self.server.login()
        self.org_tokens(True)
        for t in self.session.get("/api/token/").json() or []:
            self.session.post("/api/token/blacklist/", json_body={"refresh": t["token"]})
        r = self.session.post("/api/token/")
        if r.status != 201:
            raise Fatal(f"POST /api/token/: HTTP {r.status} {r.text()[:200]}")
        self.pat = str(r.get("token"))
        self.user_id = str(self.session.get("/api/current-user/whoami").get("id"))

    def jwks(self) -> Dict[str, Any]:
        return dict(self.http.get("/api/token/jwks/").json() or {})

    # the services
    def all_accept(self, token: str) -> Dict[str, Tuple[int, str, str]]:
        return {name: s.get(token) for name, s in self.services.items()}

    def accepted(self, answer: Tuple[int, str, str]) -> bool:
        return answer[0] == 200 and answer[1] == f"hello, user {self.user_id}"

    # -- the parts
    def secrets_absent(self) -> None:
        secret = self.server.secret.encode()
        for name, pid, files in processes(self.services):
            found = []
            for what, path in (("environment", f"/proc/{pid}/environ"), ("arguments", f"/proc/{pid}/cmdline")):
                try:
                    data = Path(path).read_bytes()
                except OSError as e:
                    found.append(f"{what} unreadable ({e})")
                    continue
                if secret in data or b"SECRET_KEY" in data or str(self.server.data).encode() in data:
                    found.append(what)
            for f in files:
                if f.exists() and secret in f.read_bytes():
                    found.append(str(f))
            args = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            self.checks.check(f"secret.{name.replace(' ', '-')}", not found,
                              f"SECRET_KEY ({len(secret)} chars) not in /proc/{pid}/environ, cmdline or "
                              f"{[f.name for f in files]}; started as: {oneline(args, 200)}"
                              if not found else f"SECRET_KEY found in {found}")

    def accept(self) -> None:
        rc, out, err = run([PY, HERE / "sdk_access.py", self.server.base], stdin=self.pat, timeout=120,
                           env=self.server.env())
        sdk: Dict[str, Any] = {}
        try:
            sdk = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            pass
        sdk_access = str(sdk.get("access") or "")
        self.checks.check("sdk.refresh", rc == 0 and sdk.get("email") == EMAIL and sdk_access.count(".") == 2,
                          f"ls_auth.contrib.sdk.LabelStudio(api_key=PAT).users.whoami() -> {sdk.get('email')}, "
                          f"key kind {sdk.get('kind')}, sent an access token with kid {kid_of(sdk_access)}"
                          if rc == 0 else f"exit {rc}: {oneline(err[-400:])}")
        plain = self.refresh()
        jwks = self.jwks()
        c = json.loads(b64d(plain.split(".")[1]))
        cache = self.http.get("/api/token/jwks/").headers.get("Cache-Control")
        self.checks.check("settings.lifetimes", c["exp"] - c["iat"] == ACCESS_TTL and cache == f"public, max-age={JWKS_MAX_AGE}",
                          f"LS_AUTH_ACCESS_TOKEN_LIFETIME={ACCESS_TTL}: exp-iat {c['exp'] - c['iat']}; "
                          f"LS_AUTH_JWKS_MAX_AGE={JWKS_MAX_AGE}: api/token/jwks/ Cache-Control {cache!r}")
        kids = [k.get("kid") for k in jwks.get("keys", [])]
        for how, token in (("sdk", sdk_access), ("http", plain)):
            if not token:
                continue
            answers = self.all_accept(token)
            for name, a in answers.items():
                self.checks.check(f"accept.{how}.{name}", self.accepted(a),
                                  f"EdDSA access token (kid {kid_of(token)}, published kids {kids}) -> {a[0]} {a[1]!r}")
        self.forged(plain, jwks)

    def forged(self, access: str, jwks: Dict[str, Any]) -> None:
        kid = kid_of(access)
        x = next((k["x"] for k in jwks.get("keys", []) if k.get("kid") == kid), "")
        rc, out, err = run([PY, HERE / "forge.py"], stdin=json.dumps({"access": access, "user_id": self.user_id, "x": x}),
                           timeout=60)
        if rc != 0:
            self.checks.bad("refuse.forge", f"forge.py failed: {oneline(err[-400:])}")
            return
        tokens = json.loads(out)
        tokens["pat"] = self.pat
        self.foreign = str(tokens["foreign_key"])
        invalid = 'error="invalid_token"'
        # name -> (status, code, what the challenge must hold); the contract's table (docs/contract.md §3)
        want = {
            # HS256: no key of a public JWK Set allows it, and the algorithm is checked first
            # (contract §3.3, §3.10), before the token's type.
            "pat": (401, "unsupported_algorithm", invalid),
            "foreign_key": (401, "unknown_key_id", invalid),
            "foreign_same_kid": (401, "invalid_signature", invalid),
            "hs256_public_key": (401, "unsupported_algorithm", invalid),
            "payload_tampered": (401, "invalid_signature", invalid),
            "signature_tampered": (401, "invalid_signature", invalid),
            "truncated": (401, "malformed_token", invalid),
            "none": (401, "no_credentials", 'Bearer realm="api"'),
        }
        for case, (status, code, challenge) in want.items():
            token = None if case == "none" else tokens[case]
            answers = {name: s.get(token) for name, s in self.services.items()}
            challenges = {a[2] for a in answers.values()}
            for name, a in answers.items():
                ok = a[0] == status and a[1] == code and challenge in a[2] and (case != "none" or a[2] == challenge)
                self.checks.check(f"refuse.{case}.{name}", ok, f"{a[0]} {a[1]!r}, WWW-Authenticate: {a[2]!r}"
                                  + ("" if ok else f" (want {status} {code!r}, challenge with {challenge!r})"))
            self.checks.check(f"refuse.{case}.same-challenge", len(challenges) == 1,
                              f"the three services answer one challenge: {sorted(challenges)}")

    def rotation(self) -> None:
        """Requests to every service through `ls_auth_signing_keys rotate`, with a token refreshed
        every second, until every service has accepted tokens from the new key."""
        before = kid_of(self.refresh())
        latest = {"token": self.refresh()}
        counts = {name: {"ok": 0, "refused": 0, "new_key_ok": 0} for name in self.services}
        refusals: List[str] = []
        stop = threading.Event()
        new_kid = {"kid": ""}

        def refresher() -> None:
            while not stop.wait(1.0):
                try:
                    latest["token"] = self.refresh()
                except Exception as e:  # noqa: BLE001 - counted as a failure below
                    refusals.append(f"refresh: {e}")

        def client(name: str, service: Service) -> None:
            while not stop.is_set():
                token = latest["token"]
                a = service.get(token)
                c = counts[name]
                if self.accepted(a):
                    c["ok"] += 1
                    if new_kid["kid"] and kid_of(token) == new_kid["kid"]:
                        c["new_key_ok"] += 1
                else:
                    c["refused"] += 1
                    refusals.append(f"{name}: {a[0]} {a[1]} (kid {kid_of(token)})")
                time.sleep(0.05)

        threads = [threading.Thread(target=refresher, daemon=True)]
        threads += [threading.Thread(target=client, args=(n, s), daemon=True) for n, s in self.services.items()]
        for t in threads:
            t.start()
        started = time.monotonic()
        time.sleep(1)
        out = self.server.manage("ls_auth_signing_keys", "rotate")
        import re

        # The command names the key it created (api/token/jwks/ may still answer from a worker's
        # copy of the key table, up to JWKS_MAX_AGE / 4 old).
        created = re.search(r"created (\S+?):", out)
        new_kid["kid"] = created.group(1) if created else ""
        say(f"rotate: {oneline(out, 200)}")
        deadline = time.monotonic() + JWKS_MAX_AGE + 30 + 30
        while time.monotonic() < deadline:
            if all(c["new_key_ok"] >= 5 for c in counts.values()):
                break
            time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=15)
        took = time.monotonic() - started
        total = sum(c["ok"] + c["refused"] for c in counts.values())
        refused = sum(c["refused"] for c in counts.values())
        self.figures["rotation"] = (f"{total} requests through `ls_auth_signing_keys rotate` in {took:.0f} s, "
                                    f"{refused} refused ({ {n: c['ok'] for n, c in counts.items()} } accepted)")
        after = [k.get("kid") for k in self.jwks().get("keys", [])]
        self.checks.check("rotation.new-key-published", bool(new_kid["kid"]) and new_kid["kid"] in after,
                          f"kid {before} -> {new_kid['kid']} (published {after})")
        for name, c in counts.items():
            self.checks.check(f"rotation.{name}", c["refused"] == 0 and c["new_key_ok"] >= 5,
                              f"{c['ok']} accepted, {c['refused']} refused, {c['new_key_ok']} with the new key "
                              f"{new_kid['kid']}, no restart" + (f"; refusals {refusals[:3]}" if refusals else ""))
        self.checks.check("rotation.zero-refusals", refused == 0 and not refusals and total > 0,
                          self.figures["rotation"])

    def offline(self) -> None:
        """Label Studio stopped: the last token is accepted until its exp; a key rotated in while
        it is down is picked up once it is back."""
        token = self.refresh()
        exp = exp_of(token)
        kid_before = kid_of(token)
        self.server.stop()
        stopped = time.time()
        say(f"Label Studio stopped; the last access token expires in {exp - stopped:.0f} s")
        out = self.server.manage("ls_auth_signing_keys", "rotate", "--immediately")
        say(f"while it is down: rotate --immediately: {oneline(out, 200)}")
        # An unknown kid makes the Rust and Python services try a refetch (which fails): the
        # cached set must survive it.
        if self.foreign:
            tried = {name: s.get(self.foreign)[1] for name, s in self.services.items()}
            say(f"while it is down, a token with an unknown kid (each service tries a refetch): {tried}")
        last_ok = {name: 0.0 for name in self.services}
        first_refusal: Dict[str, Tuple[float, Tuple[int, str, str]]] = {}
        wrong: List[str] = []
        while time.time() < exp + 5 and len(first_refusal) < len(self.services):
            for name, s in self.services.items():
                if name in first_refusal:
                    continue
                a = s.get(token)
                now = time.time()
                if self.accepted(a):
                    last_ok[name] = now
                    if now > exp + 1:
                        wrong.append(f"{name} accepted at exp+{now - exp:.1f} s")
                else:
                    first_refusal[name] = (now, a)
            time.sleep(0.25)
        for name in self.services:
            refusal = first_refusal.get(name)
            # Accepted while Label Studio is down, never refused before the token's exp (whole
            # seconds), then refused as expired, not for want of a key set.
            ok = (last_ok[name] > stopped and refusal is not None and refusal[1][1] == "token_expired"
                  and refusal[0] >= exp - 1 and not [w for w in wrong if w.startswith(name)])
            self.checks.check(f"offline.{name}", ok,
                              f"Label Studio down: accepted the last token for {last_ok[name] - stopped:.1f} s after "
                              f"the stop (exp at {exp - stopped:.1f} s), then "
                              + (f"{refusal[1][0]} {refusal[1][1]} at {refusal[0] - stopped:.1f} s" if refusal else
                                 "never refused"))
        self.figures["offline"] = (f"Label Studio down: services accepted the last access token "
                                   f"{min(last_ok.values()) - stopped:.1f}-{max(last_ok.values()) - stopped:.1f} s after "
                                   f"the stop, until its exp ({exp - stopped:.1f} s), then token_expired")
        started = time.monotonic()
        self.server.start()
        restart = time.monotonic() - started
        token = self.refresh()
        kid_after = kid_of(token)
        self.checks.check("offline.new-key-signs", kid_after != kid_before,
                          f"after the restart access tokens name kid {kid_after} (before: {kid_before})")
        picked: Dict[str, float] = {}
        t0 = time.monotonic()
        while time.monotonic() - t0 < 30 + JWKS_MAX_AGE + 10 and len(picked) < len(self.services):
            if exp_of(token) - time.time() < 5:
                token = self.refresh()
            for name, s in self.services.items():
                if name not in picked and self.accepted(s.get(token)):
                    picked[name] = time.monotonic() - t0
            time.sleep(0.25)
        for name in self.services:
            self.checks.check(f"restart.{name}", name in picked,
                              f"accepts tokens from the key rotated in while Label Studio was down, "
                              f"{picked[name]:.1f} s after it answered again" if name in picked else
                              f"never accepted kid {kid_after} within {time.monotonic() - t0:.0f} s")
        self.figures["restart"] = (f"Label Studio back in {restart:.0f} s; new key accepted after "
                                   + ", ".join(f"{n} {t:.1f} s" for n, t in picked.items()))

    def disable(self) -> None:
        """api_tokens_enabled off: Label Studio refuses at once, refreshes stop; the services keep
        accepting the last access token until it expires, and no longer."""
        token = self.refresh()
        exp = exp_of(token)
        pre = self.all_accept(token)
        self.checks.check("disable.accepted-before", all(self.accepted(a) for a in pre.values()),
                          f"before: {[(n, a[0]) for n, a in pre.items()]}")
        self.org_tokens(False)
        off = time.time()
        who = self.http.get("/api/current-user/whoami", headers=bearer(token))
        ref = self.http.post("/api/token/refresh/", json_body={"refresh": self.pat})
        self.checks.check("disable.label-studio-refuses", who.status == 401,
                          f"api_tokens_enabled=false: Label Studio's whoami with the access token -> {who.status} "
                          f"{who.get('code') or who.text()[:80]}")
        self.checks.check("disable.refresh-stops", ref.status == 401 and ref.get("code") == "token_kind_disabled",
                          f"POST /api/token/refresh/ -> {ref.status} {ref.get('code')}")
        kept: Dict[str, float] = {}
        ended: Dict[str, Tuple[int, str, str]] = {}
        while time.time() < exp + 5 and len(ended) < len(self.services):
            for name, s in self.services.items():
                if name in ended:
                    continue
                a = s.get(token)
                if self.accepted(a):
                    kept[name] = time.time() - off
                else:
                    ended[name] = a
            time.sleep(0.25)
        bound = exp - off
        for name in self.services:
            a = ended.get(name)
            ok = a is not None and a[1] == "token_expired" and kept.get(name, 0.0) <= bound + 1
            self.checks.check(f"disable.{name}", ok,
                              f"kept accepting the last access token {kept.get(name, 0.0):.1f} s after the switch "
                              f"(bound: its exp, {bound:.1f} s; lifetime {ACCESS_TTL} s), then "
                              + (f"{a[0]} {a[1]}" if a else "never refused"))
        self.figures["disable"] = ("after api_tokens_enabled=false: "
                                   + ", ".join(f"{n} {kept.get(n, 0.0):.1f} s" for n in self.services)
                                   + f" (the token's remaining life {bound:.1f} s, lifetime {ACCESS_TTL} s)")
        self.org_tokens(True)

    def load(self, oha_bin: Path) -> None:
        rust = self.services["rust"]
        results: Dict[str, Dict[str, Any]] = {}
        for path in ("/open", "/"):
            token = self.refresh()
            if exp_of(token) - time.time() < LOAD_SECONDS + 3:
                raise Fatal(f"access tokens live {ACCESS_TTL} s: too short for a {LOAD_SECONDS} s load run")
            out_file = WORK / f"oha{path.replace('/', '-') or '-root'}.json"
            cmd = [oha_bin, "-z", f"{LOAD_SECONDS}s", "-w", "-c", str(LOAD_CLIENTS), "--no-tui", "--output-format", "json",
                   "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{rust.port}{path}"]
            rc, out, err = run(cmd, timeout=LOAD_SECONDS + 60)
            out_file.write_text(out)
            try:
                doc = json.loads(out)
            except ValueError:
                self.checks.bad(f"load.{path}", f"oha exit {rc}: {oneline(err[-300:])}")
                return
            codes = {str(k): int(v) for k, v in (doc.get("statusCodeDistribution") or {}).items()}
            errors = doc.get("errorDistribution") or {}
            rps = float(doc.get("summary", {}).get("requestsPerSec") or 0)
            results[path] = {"rps": rps, "codes": codes, "errors": errors}
            self.checks.check(f"load.rust{path.rstrip('/') or '/'}", set(codes) == {"200"} and not errors and rps > 0,
                              f"{sum(codes.values())} requests in {LOAD_SECONDS} s, {rps:.0f} req/s, "
                              f"status codes {codes}, errors {errors}")
        # Wrong answers: the bodies. oha counts statuses; the body of an authenticated answer
        # names the user, so check a sample after the run (an answer to the wrong user would
        # show here as well as in the status count).
        a = rust.get(self.refresh())
        self.checks.check("load.rust.body", self.accepted(a), f"after the load run: {a[0]} {a[1]!r}")
        if "/" in results and "/open" in results and results["/open"]["rps"]:
            ratio = results["/"]["rps"] / results["/open"]["rps"]
            self.figures["load"] = (f"rust service, oha {LOAD_CLIENTS} clients x {LOAD_SECONDS} s: "
                                    f"authenticated {results['/']['rps']:.0f} req/s, /open {results['/open']['rps']:.0f}"
                                    f" req/s, ratio {ratio:.2f} (CPU: {cpu_model()}, {os.cpu_count()} cores, shared)")


def main() -> int:
    checks = FleetChecks()
    begun = time.monotonic()

    def on_signal(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    WORK.mkdir(parents=True, exist_ok=True)
    cluster: Optional[Cluster] = None
    server: Optional[FleetServer] = None
    services: Dict[str, Service] = {}
    fleet: Optional[Fleet] = None
    try:
        setup_env.server_venv()
        setup_env.ls_auth_wheel()
        site = setup_env.site_dir()
        rust_bin, c_bin = build_services()
        say(f"setup done in {time.monotonic() - begun:.0f} s")
        t0 = time.monotonic()
        cluster = Cluster()
        cluster.start()
        server = FleetServer(site, cluster)
        server.prepare()
        server.start()
        url = f"{server.base}/api/token/jwks/"
        services = start_services(url, rust_bin, c_bin, lifetime=900)
        say(f"services up: " + ", ".join(f"{n} on 127.0.0.1:{s.port}" for n, s in services.items())
            + f", each given {url} alone")
        fleet = Fleet(checks, server, services)
        fleet.sign_in()
        for part in (fleet.secrets_absent, fleet.accept, fleet.rotation, fleet.offline, fleet.disable,
                     lambda: fleet.load(oha())):  # type: ignore[union-attr]
            try:
                part()
            except Fatal as e:
                checks.bad(f"{getattr(part, '__name__', 'load')}", str(e))
            except Exception as e:  # noqa: BLE001 - report, go on with the next part
                checks.bad(f"{getattr(part, '__name__', 'load')}", f"{type(e).__name__}: {oneline(str(e))}")
                traceback.print_exc()
        say(f"the fleet parts took {time.monotonic() - t0:.0f} s")
    except Fatal as e:
        checks.bad("setup", str(e))
    except KeyboardInterrupt:
        checks.bad("interrupted", "stopped by a signal")
    finally:
        for s in services.values():
            s.group.stop()
            helper = getattr(s, "helper", None)
            if helper is not None:
                helper.stop()
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
        left = [n for n, s in services.items() if s.group.alive()]
        checks.check("stopped", not left, f"every process stopped (services, helper, Label Studio, PostgreSQL)"
                     if not left else f"still running: {left}")
    if fleet is not None and fleet.figures:
        print("\n== fleet figures (loopback; a figure, not a test)")
        for name, text in fleet.figures.items():
            print(f"   {name:9s} {text}")
    print(f"\n   {time.monotonic() - begun:.0f} s in all")
    print(checks.summary())
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
