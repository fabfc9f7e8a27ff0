"""A real Label Studio 1.23.2 server on 127.0.0.1: stock, or started with our settings module.

Both start from one migrated SQLite database (target/ls-template, made once per Label Studio
version by its own `migrate`; our settings module adds no model), each in a fresh data dir whose
`.env` key Label Studio's own code writes.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

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
        self.fresh_dirs()
        shutil.copyfile(template_db(self.site), self.data / DB_FILE)

    def fresh_dirs(self) -> None:
        """Empty work and data dirs; the data dir's `.env` key written by Label Studio's own code."""
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
        self.group = Group(self.command(), env=self.env(), cwd=self.work, log=log)
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

    def command(self) -> List[Any]:
        """`label-studio start`: Django's runserver, one process (it creates the user too)."""
        return [VENV / "bin" / "label-studio", "start", "--no-browser", "--internal-host", "127.0.0.1",
                "--port", str(self.port), "--data-dir", str(self.data), "--username", self.email,
                "--password", self.password, "--log-level", "WARNING"]

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



class WsgiServer(Server):
    """The same server as a production deployment runs it: gunicorn serving Label Studio's
    `core.wsgi` with `workers` processes of `threads` threads each (gthread), DEBUG off, on a
    PostgreSQL database of its own, cloned from one migrated template database."""

    TEMPLATE_DB = "ls_template"

    def __init__(self, kind: str, site: Path, email: str, password: str, cluster: Any, workers: int,
                 threads: int) -> None:
        super().__init__(kind, site, email, password)
        self.cluster = cluster
        self.workers = workers
        self.threads = threads
        self.db = f"ls_wsgi_{kind}"
        self.data = T / f"ls-wsgi-data-{kind}"
        self.work = WORK / f"wsgi-{kind}"
        self.killed: List[int] = []  # workers still running 15 s after the master ended

    def env(self, **extra: str) -> Dict[str, str]:
        env = clean_env(LABEL_STUDIO_BASE_DATA_DIR=str(self.data), DEBUG="false", **self.cluster.env(self.db))
        env["DJANGO_SETTINGS_MODULE"] = self.settings  # core.wsgi's own default is `core.settings`
        env.update(extra)
        return env

    def prepare(self) -> None:
        self.fresh_dirs()
        pg_template(self.site, self.cluster, self.TEMPLATE_DB)
        self.cluster.sql(f"DROP DATABASE IF EXISTS {self.db}")
        self.cluster.sql(f"CREATE DATABASE {self.db} TEMPLATE {self.TEMPLATE_DB}")
        if self.kind == "ls_auth":  # our app's own tables (the template holds Label Studio's)
            rc, out, err = run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=self.site, timeout=600,
                               env=self.env())
            if rc != 0:
                raise Fatal(f"migrate with our settings module failed: {(out + err)[-800:]}")
        # What `label-studio start --username --password` does before serving (server.py _create_user).
        self.django(f"""
from organizations.models import Organization
from users.models import User
user = User.objects.create_user(email={self.email!r}, password={self.password!r})
user.is_staff = user.is_superuser = True
user.save()
org = Organization.create_organization(created_by=user, title='Label Studio')
user.active_organization = org
user.save(update_fields=['active_organization'])
""")

    def command(self) -> List[Any]:
        return [VENV / "bin" / "gunicorn", "core.wsgi:application", "--chdir", self.site,
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--threads", str(self.threads),
                # Not --worker-connections equal to --threads: a gthread worker that has accepted that
                # many connections not yet handed to a thread waits for its threads and never reads
                # them again (seen here: 4 requests timed out, the worker answered nothing more).
                "--worker-class", "gthread", "--timeout", "120", "--graceful-timeout", "5",
                "--access-logfile", self.work / "access.log", "--access-logformat", "%(p)s %(s)s %(m)s %(U)s",
                "--log-level", "warning"]

    def stop(self) -> None:
        """Group.stop ends the master (SIGTERM, then SIGKILL after 10 s); a worker can outlive it by
        a moment while it shuts down: wait for the whole group, then SIGKILL what is left."""
        lead = self.group.proc.pid if self.group is not None else 0
        super().stop()
        if not lead:
            return
        deadline = time.monotonic() + 15
        while self._members(lead) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.killed = self._members(lead)
        if self.killed:
            try:
                os.killpg(lead, signal.SIGKILL)
            except ProcessLookupError:
                pass
            time.sleep(0.5)

    def pids(self) -> List[int]:
        """gunicorn's master and its workers: every process of the group it leads."""
        return self._members(self.group.proc.pid) if self.group is not None else []

    @staticmethod
    def _members(lead: int) -> List[int]:
        """Live (not zombie) processes of process group `lead`."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) == lead and fields[0] != "Z":  # fields 5 and 3 of stat: group, state
                    found.append(int(entry.name))
        return sorted(found)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the master and its workers so far (/proc/PID/stat)."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return ticks / os.sysconf("SC_CLK_TCK")


def pg_template(site: Path, cluster: Any, name: str) -> None:
    """A database migrated by Label Studio's own `migrate` (stock settings), once per cluster; the
    migrated schema is kept as a dump (target/ls-pg-template.sql, per Label Studio and PostgreSQL
    version), so a later run loads it in seconds instead of migrating again."""
    marker = cluster.root / f"{name}.ready"
    if marker.exists():
        return
    stamp = f"{LS_VERSION} postgresql {cluster.bindir.parent.name}\n"
    cache = T / "ls-pg-template.sql"
    if cache.exists() and cache.read_text().startswith(f"-- {stamp}"):
        say(f"loading the migrated PostgreSQL template database from {cache}")
        cluster.load(name, cache.read_text())
        marker.write_text(stamp)
        return
    cluster.sql(f"CREATE DATABASE {name}")
    say(f"migrating a PostgreSQL template database {name} once (Label Studio's manage.py migrate)")
    started = time.monotonic()
    data = T / "ls-pg-template-data"  # the `.env` key Label Studio writes goes here, not to ~
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    rc, out, err = run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=site, timeout=1200,
                       env=clean_env(DJANGO_SETTINGS_MODULE=STOCK, LABEL_STUDIO_BASE_DATA_DIR=str(data),
                                     **cluster.env(name)))
    if rc != 0:
        raise Fatal(f"migrate on PostgreSQL failed: {(out + err)[-800:]}")
    say(f"template migrated in {time.monotonic() - started:.0f} s")
    cache.write_text(f"-- {stamp}" + cluster.dump(name))
    marker.write_text(stamp)
