"""`ls-auth --env-file` must read a data dir's `.env` as Label Studio 1.23.2 does (with
django-environ's read_env, not python-dotenv): for each `.env`, the key Label Studio's own
function takes is the key ls-auth signs with (PyJWT, the server's library, verifies the PAT)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from common import PY, WORK, Checks, run, say
from server import secret_for_dir

CASES = [
    ("server-generated", ""),
    ("plain", "SECRET_KEY=abc#def$ghi(jkl)mno*pqr=stu+vwx-yz0123456789"),
    ("export", "export SECRET_KEY=abcdefghijklmnopqrstuvwxyz0123456789"),
    ("two-lines-last-wins", "SECRET_KEY=first-key-first-key-first-key-first\nSECRET_KEY=second-key-second-key-second-key-02"),
    ("single-quoted", "SECRET_KEY='abc def ghi jkl mno pqr stu vwx yz0123'"),
    ("double-quoted", 'SECRET_KEY="abc def ghi jkl mno pqr stu vwx yz0123"'),
    ("space-hash", "SECRET_KEY=abcdefghijklmnopqrstuvwxyz0123456789 #comment"),
    ("double-quoted-escape-n", 'SECRET_KEY="abcdefghijklmnopqrstuvwxyz\\n0123456789"'),
    ("single-quoted-escape", "SECRET_KEY='abcdefghijklmnopq\\'rstuvwxyz0123456789'"),
    ("spaces-around-equals", "SECRET_KEY = abcdefghijklmnopqrstuvwxyz0123456789"),
]

_VERIFY = """import jwt, os, sys
try:
    jwt.decode(sys.argv[1], os.environ["LSKEY"], algorithms=["HS256"]); print("same key")
except jwt.InvalidSignatureError:
    print("DIFFERENT key: Label Studio reads %r" % os.environ["LSKEY"]); sys.exit(1)
"""


def dotenv_checks(checks: Checks, site: Path, cli: Path) -> None:
    say("dotenv parity: ls-auth --env-file vs Label Studio's own .env reader (django-environ read_env)")
    for name, content in CASES:
        d = WORK / "dotenv" / name
        for _ in range(8):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
            if content:
                (d / ".env").write_text(content + "\n")
            lskey = secret_for_dir(site, d)
            # A key Label Studio generates starting with `$` would not survive its own restart
            # (django-environ reads it as a reference), and ls-auth refuses it with that reason
            # (a test of its own in crates/ls-auth-cli): draw another, as server.py does.
            if content or not lskey.startswith("$"):
                break
        env = {k: v for k, v in os.environ.items() if k != "LS_AUTH_SECRET"}
        rc, pat, err = run([cli, "--env-file", d / ".env", "--allow-short-key", "mint-pat", "--user-id", "1"], env=env)
        if rc != 0:
            checks.bad(f"dotenv.{name}", f"ls-auth --env-file: {err.strip()}")
            continue
        rc, out, err = run([PY, "-c", _VERIFY, pat.strip()], env=dict(env, LSKEY=lskey))
        checks.check(f"dotenv.{name}", rc == 0, f".env {content!r}: {(out + err).strip()}")
