"""A real Label Studio 1.23.2 server on 127.0.0.1: stock, or started with our settings module.

Both start from one migrated SQLite database (target/ls-template, made once per Label Studio
version by its own `migrate`; our settings module adds no model), each in a fresh data dir whose
`.env` key Label Studio's own code writes.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Dict, Optional

from common import LS_VERSION, PY, T, VENV, WORK, Fatal, Group, Http, clean_env, free_port, run, say

OURS = "ls_auth.contrib.label_studio.settings"
STOCK = "core.settings.label_studio"
TEMPLATE = T / "ls-template"
DB_FILE = "label_studio.sqlite3"
START_TIMEOUT = int(os.environ.get("LS_START_TIMEOUT", "300"))


def secret_for_dir(site: Path, data: Path) -> str:
    """What Label Studio's settings take as SECRET_KEY for a data dir (its own function writes
    `SECRET_KEY=...` into `.env` when missing)."""
    code = ("import sys, logging; logging.disable(logging.CRITICAL); sys.path.insert(0, '.')\n"
            "from core.utils.secret_key import generate_secret_key_if_missing\n"
            "sys.stdout.write(generate_secret_key_if_missing(sys.argv[1]))")
    rc, out, err = run([PY, "-c", code, data], env=clean_env(), cwd=site)
    if rc != 0:
        raise Fatal(f"cannot run Label Studio's generate_secret_key_if_missing: {err[-400:]}")
    return out


def template_db(site: Path) -> Path:
    """A migrated database, made once per Label Studio version and reused by every server."""
    stamp = TEMPLATE / "version"
    db = TEMPLATE / DB_FILE
    if db.exists() and stamp.exists() and stamp.read_text() == LS_VERSION:
        say(f"reusing the migrated template database {db}")
        return db
    shutil.rmtree(TEMPLATE, ignore_errors=True)
    TEMPLATE.mkdir(parents=True)
    say("migrating a template database once (Label Studio's manage.py migrate)")
    started = time.monotonic()
    rc, out, err = run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=site, timeout=1200,
                       env=clean_env(LABEL_STUDIO_BASE_DATA_DIR=str(TEMPLATE), DJANGO_DB="sqlite",
                                     DJANGO_SETTINGS_MODULE=STOCK))
    if rc != 0 or not db.exists():
        raise Fatal(f"migrate failed: {(out + err)[-800:]}")
    (TEMPLATE / ".env").unlink(missing_ok=True)  # each server gets its own key
    stamp.write_text(LS_VERSION)
    say(f"template migrated in {time.monotonic() - started:.0f} s")
    return db


class Server:
    def __init__(self, kind: str, site: Path, email: str, password: str) -> None:
        self.kind = kind  # "stock" or "ls_auth"
        self.site = site
        self.settings = OURS if kind == "ls_auth" else STOCK
        self.email = email
        self.password = password
        self.data = T / f"ls-server-data-{kind}"
        self.work = WORK / kind
        self.port = 0
        self.base = ""
        self.secret = ""
        self.group: Optional[Group] = None
        self.user_id = ""

    # -- lifecycle ------------------------------------------------------------------------
    def prepare(self) -> None:
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        for _ in range(8):  # django-environ reads a value starting with `$` as a reference: draw again
            self.data.mkdir(parents=True, exist_ok=True)
            self.secret = secret_for_dir(self.site, self.data)
            if not self.secret.startswith("$"):
                break
            shutil.rmtree(self.data)
        if not (self.data / ".env").exists():
            raise Fatal(f"Label Studio did not write {self.data}/.env")
        shutil.copyfile(template_db(self.site), self.data / DB_FILE)

    def env(self, **extra: str) -> Dict[str, str]:
        env = clean_env(LABEL_STUDIO_BASE_DATA_DIR=str(self.data), DJANGO_DB="sqlite", **extra)
        if self.kind == "ls_auth":
            env["DJANGO_SETTINGS_MODULE"] = OURS
        return env

    def start(self) -> float:
        self.port = self.port or free_port()  # a restarted server keeps its address
        self.base = f"http://127.0.0.1:{self.port}"
        log = self.work / "server.log"
        say(f"starting Label Studio {LS_VERSION} ({self.kind}: DJANGO_SETTINGS_MODULE="
            f"{OURS if self.kind == 'ls_auth' else '(label-studio start default)'}) on {self.base} (log: {log})")
        started = time.monotonic()
        self.group = Group([VENV / "bin" / "label-studio", "start", "--no-browser", "--internal-host", "127.0.0.1",
                            "--port", str(self.port), "--data-dir", str(self.data), "--username", self.email,
                            "--password", self.password, "--log-level", "WARNING"],
                           env=self.env(), cwd=self.work, log=log)
        http = Http(self.base)
        while True:
            if not self.group.alive():
                raise Fatal(f"the {self.kind} server exited before answering /health/:\n{self.group.tail()}")
            try:
                if http.get("/health/", timeout=5).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - started > START_TIMEOUT:
                raise Fatal(f"no 200 from {self.base}/health/ within {START_TIMEOUT}s:\n{self.group.tail()}")
            time.sleep(1)
        took = time.monotonic() - started
        release = Http(self.base).get("/api/version/").get("release")
        say(f"{self.kind} server up after {took:.0f} s; /api/version/ says release {release}")
        return took

    def stop(self) -> None:
        if self.group is not None:
            self.group.stop()
            self.group = None

    # -- talking to it ----------------------------------------------------------------------
    def django(self, code: str) -> str:
        """Runs Python with Django set up on this server's settings and database; its stdout."""
        prologue = ("import sys, logging; logging.disable(logging.CRITICAL); sys.path.insert(0, '.')\n"
                    "import django; django.setup()\n")
        rc, out, err = run([PY, "-c", prologue + code], env=self.env(DJANGO_SETTINGS_MODULE=self.settings),
                           cwd=self.site, timeout=300)
        if rc != 0:
            raise Fatal(f"Django code against the {self.kind} server failed: {err[-800:]}")
        return out

    def login(self, email: Optional[str] = None, password: Optional[str] = None) -> Http:
        """A session as the UI gets one (CSRF cookie, POST /user/login/ -> 302)."""
        http = Http(self.base, session=True)
        http.get("/user/login/")
        r = http.post("/user/login/", form={"email": email or self.email, "password": password or self.password,
                                            "csrfmiddlewaretoken": http.csrf()},
                      headers={"Referer": f"{self.base}/user/login/"})
        if r.status != 302:
            raise Fatal(f"login as {email or self.email} on the {self.kind} server: HTTP {r.status}")
        return http


def add_member(server: Server, email: str, password: str) -> str:
    """A second user in the first user's organisation (not its owner); returns its id."""
    code = f"""
from users.models import User
owner = User.objects.get(email={server.email!r})
u = User.objects.create_user(email={email!r}, password={password!r}, username={email!r})
owner.active_organization.add_user(u)
u.active_organization = owner.active_organization
u.save()
print(u.id)
"""
    return server.django(code).strip()


def set_ttl_days(server: Server, email: str, days: int) -> None:
    """api_token_ttl_days is not in Label Studio's settings API: set it in the database."""
    server.django(f"""
from users.models import User
jwt = User.objects.get(email={email!r}).active_organization.jwt
jwt.api_token_ttl_days = {days}
jwt.save()
""")

