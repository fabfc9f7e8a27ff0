"""A throw-away PostgreSQL cluster from Debian's `postgresql` package, under target/, on a free
loopback port; installed (apt-get) when missing, stopped at the end."""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

from common import T, Fatal, free_port, run, say

APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600"]


def _bindir() -> Optional[Path]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def install() -> Path:
    """The server binaries; `apt-get install postgresql` first if they are missing (root only)."""
    found = _bindir()
    if found:
        return found
    if os.geteuid() != 0:
        raise Fatal("PostgreSQL is not installed and this is not root: apt-get install postgresql")
    say("installing Debian's postgresql package (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    rc, out, err = run([*APT, "install", "-y", "-q", "--no-install-recommends", "postgresql"], env=env, timeout=1200)
    if rc != 0:
        # The package lists may be missing on a fresh machine: update once, then retry.
        run([*APT, "update", "-q"], env=env, timeout=1200)
        rc, out, err = run([*APT, "install", "-y", "-q", "--no-install-recommends", "postgresql"], env=env,
                           timeout=1200)
    found = _bindir()
    if rc != 0 or not found:
        raise Fatal(f"apt-get install postgresql failed: {err[-500:]}")
    return found


class Cluster:
    """initdb + pg_ctl in target/pg; trust authentication on 127.0.0.1 only."""

    def __init__(self) -> None:
        self.bindir = install()
        self.root = T / "pg"
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "postgres"
        self._as: List[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root: run it as the package's user
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 300) -> None:
        rc, out, err = run([*self._as, *args], cwd="/", timeout=timeout)
        if rc != 0:
            raise Fatal(f"{' '.join(args[:2])} failed: {(out + err)[-600:]}")

    def _reachable(self, path: Path) -> bool:
        return not self._as or run([*self._as, "test", "-x", str(path)], cwd="/")[0] == 0

    def start(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        if not self._reachable(self.root.parent):
            # A checkout the postgres user cannot enter (mode 700): the cluster goes to /tmp.
            self.root = Path(tempfile.mkdtemp(prefix="ls-auth-pg-"))
            self.data = self.root / "data"
        if self._as:
            shutil.chown(self.root, "postgres", "postgres")
        say(f"PostgreSQL {self.bindir.parent.name}: initdb in {self.data}, port {self.port} on 127.0.0.1")
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "-E", "UTF8", "--no-sync", timeout=300)
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", opts, "-w", "-t", "120", "start", timeout=180)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            run([*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                cwd="/", timeout=120)
        if not str(self.root).startswith(str(T)):
            shutil.rmtree(self.root, ignore_errors=True)

    def dump(self, db: str) -> str:
        """The database as plain SQL (pg_dump), to load into another cluster with `load`."""
        rc, out, err = run([*self._as, str(self.bindir / "pg_dump"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", self.user, "--no-owner", db], cwd="/", timeout=600)
        if rc != 0:
            raise Fatal(f"pg_dump {db} failed: {err[-600:]}")
        return out

    def load(self, db: str, dump: str) -> None:
        """A new database `db` holding what `dump` made."""
        self.sql(f"CREATE DATABASE {db}")
        rc, out, err = run([*self._as, str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", self.user, "-d", db, "-v", "ON_ERROR_STOP=1", "-q"], cwd="/", timeout=600,
                           stdin=dump)
        if rc != 0:
            raise Fatal(f"loading a dump into {db} failed: {(out + err)[-600:]}")

    def sql(self, statement: str, db: str = "postgres") -> None:
        """One SQL statement through psql, as the cluster's superuser."""
        self._run(str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", db,
                  "-v", "ON_ERROR_STOP=1", "-q", "-c", statement)

    def env(self, name: str = "postgres") -> Dict[str, str]:
        """Label Studio's database variables for this cluster (DJANGO_DB=default is PostgreSQL)."""
        return {"DJANGO_DB": "default", "POSTGRE_HOST": "127.0.0.1", "POSTGRE_PORT": str(self.port),
                "POSTGRE_USER": self.user, "POSTGRE_PASSWORD": "unused", "POSTGRE_NAME": name}
