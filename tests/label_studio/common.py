"""Shared pieces of the real-server suite: check bookkeeping, processes, paths, HTTP, JWT bytes.

Standard library only: the runner runs under the system's python3, before any venv exists.
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
T = ROOT / "target"
LS_VERSION = "1.23.2"
VENV = T / "ls-server-venv"
PY = VENV / "bin" / "python"
WORK = T / "ls-server-work"
HERE = Path(__file__).resolve().parent


class Checks:
    """One line per check (``PASS id: evidence`` / ``FAIL id: evidence``) and the summary."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, name: str, evidence: str) -> None:
        self.passed += 1
        print(f"PASS {name}: {evidence}", flush=True)

    def bad(self, name: str, evidence: str) -> None:
        self.failed += 1
        print(f"FAIL {name}: {evidence}", flush=True)

    def check(self, name: str, cond: bool, evidence: str) -> bool:
        (self.ok if cond else self.bad)(name, evidence)
        return cond

    def summary(self) -> str:
        return f"label-studio: {self.passed} passed, {self.failed} failed"


class Fatal(Exception):
    """The suite cannot go on (a server that does not start, an install that fails)."""


def say(msg: str) -> None:
    print(f"== {msg}", flush=True)


def oneline(text: str, width: int = 300) -> str:
    return " ".join(str(text).split())[:width]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cmd: Sequence[Any], *, env: Optional[Dict[str, str]] = None, cwd: Any = None, timeout: float = 600,
        stdin: Optional[str] = None) -> Tuple[int, str, str]:
    """Runs a command; (exit code, stdout, stderr). Never raises on a non-zero exit."""
    try:
        p = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, input=stdin, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return 124, (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), "timeout"
    return p.returncode, p.stdout, p.stderr


def clean_env(**extra: str) -> Dict[str, str]:
    """The environment a Label Studio process gets: offline, quiet, no inherited keys."""
    env = dict(os.environ)
    for name in ("SECRET_KEY", "LABEL_STUDIO_SECRET_KEY", "DJANGO_SETTINGS_MODULE", "LABEL_STUDIO_BASE_DATA_DIR",
                 "BASE_DATA_DIR", "DATABASE_NAME", "DJANGO_DB", "LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD",
                 "USERNAME", "PASSWORD", "LS_AUTH_SECRET", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    env.update(SENTRY_DSN="", SENTRY_RATE="0", FRONTEND_SENTRY_DSN="", LATEST_VERSION_CHECK="false",
               LABEL_STUDIO_LATEST_VERSION_CHECK="0", COLLECT_ANALYTICS="false", FEATURE_FLAGS_OFFLINE="1",
               LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", NO_PROXY="*", no_proxy="*",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    env.update(extra)
    return env


class Group:
    """A process started in its own session, stopped with its whole process group."""

    def __init__(self, cmd: Sequence[Any], *, env: Dict[str, str], cwd: Any, log: Path) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen([str(c) for c in cmd], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


# -- HTTP ---------------------------------------------------------------------------------------

class Reply:
    def __init__(self, status: int, body: bytes, headers: Any) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def get(self, key: str, default: Any = None) -> Any:
        data = self.json()
        return data.get(key, default) if isinstance(data, dict) else default

    def text(self) -> str:
        return oneline(self.body.decode(errors="replace"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Http:
    """A small client: optional cookie session (with Django's CSRF), JSON bodies, no redirects."""

    def __init__(self, base: str, *, session: bool = False) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar() if session else None
        handlers: List[Any] = [_NoRedirect(), urllib.request.ProxyHandler({})]
        if self.jar is not None:
            handlers.append(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener = urllib.request.build_opener(*handlers)

    def csrf(self) -> str:
        for c in self.jar or []:
            if c.name == "csrftoken":
                return str(c.value)
        return ""

    def request(self, method: str, path: str, *, json_body: Any = None, form: Optional[Dict[str, str]] = None,
                headers: Optional[Dict[str, str]] = None, timeout: float = 30) -> Reply:
        hdrs = dict(headers or {})
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if self.jar is not None:
            hdrs.setdefault("X-CSRFToken", self.csrf())
            hdrs.setdefault("Referer", self.base + "/")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return Reply(r.status, r.read(), r.headers)
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.read(), e.headers)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Reply:
        return self.request("POST", path, **kw)


import urllib.parse  # noqa: E402  (used by Http.request)


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- JWT bytes (no verification: what a token says, byte for byte) -------------------------------

def b64d(seg: str) -> bytes:
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


def claims(token: str) -> Dict[str, Any]:
    return dict(json.loads(b64d(token.split(".")[1])))


def truncated(token: str) -> str:
    return ".".join(token.split(".")[:2])


def spec_layout(token: str, kind: str, user_id: str, pat: Optional[str] = None,
                ttl: Optional[int] = None, kid: Optional[str] = None,
                names_pat: bool = False) -> Tuple[bool, str]:
    """contract section 1's byte layout of a token (section 3.10's EdDSA header when ``kid``; an
    access token that names its PAT last, ``pat_jti``, when ``names_pat``: section 3.11):
    (ok, evidence)."""
    problems = []
    try:
        h, p, sig = token.split(".")
        hb, pb = b64d(h), b64d(p)
        c = json.loads(pb)
    except ValueError as e:
        return False, f"not a JWT: {e}"
    want_header = b'{"alg":"HS256","typ":"JWT"}' if kid is None else (
        b'{"alg":"EdDSA","kid":' + json.dumps(kid).encode() + b',"typ":"JWT"}')
    if hb != want_header:
        problems.append(f"header bytes {hb!r}")
    if list(c) != ["token_type", "exp", "iat", "jti", "user_id"] + (["pat_jti"] if names_pat else []):
        problems.append(f"claim order {list(c)}")
    if names_pat and pat and c.get("pat_jti") != claims(pat)["jti"]:
        problems.append(f"pat_jti {c.get('pat_jti')!r} is not the PAT's jti")
    if json.dumps(c, separators=(",", ":")).encode() != pb:
        problems.append("payload not compact JSON")
    if c.get("token_type") != kind:
        problems.append(f"token_type {c.get('token_type')!r}")
    import re

    if not re.fullmatch(r"[0-9a-f]{32}", str(c.get("jti"))):
        problems.append(f"jti {c.get('jti')!r}")
    if c.get("user_id") != user_id:
        problems.append(f"user_id {c.get('user_id')!r} (want string {user_id!r})")
    want = ttl if ttl is not None else (73000 * 86400 if kind == "refresh" else 300)
    if not all(type(c.get(k)) is int for k in ("exp", "iat")):
        problems.append("exp/iat not ints")
    elif c["exp"] - c["iat"] != want:
        problems.append(f"{kind} ttl {c['exp'] - c['iat']} s (want {want})")
    if len(sig) != (43 if kid is None else 86):
        problems.append(f"signature length {len(sig)}")
    if pat and claims(pat)["jti"] == c.get("jti"):
        problems.append("access jti == PAT jti")
    if problems:
        return False, "; ".join(problems)
    return True, f"header {hb.decode()}, claims {list(c)}, exp-iat={c['exp'] - c['iat']}"


def wait_until(pred: Any, timeout: float, step: float = 1.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def together(n: int, call: Callable[[], Any]) -> List[Any]:
    """`call` from n threads released at once; its replies (or the OSError raised)."""
    barrier = threading.Barrier(n)
    results: List[Any] = [None] * n

    def go(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except OSError as e:
            results[i] = e

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
