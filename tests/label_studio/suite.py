"""Label Studio 1.23.2's own API-token tests (`label_studio/tests/jwt_auth/`, shipped in its
wheel), run stock and with our settings module, on SQLite and PostgreSQL; our own Django tests
(tests/label_studio/app) run in the same session as the "ours" run, so they share its migrations.

Under our settings module every Label Studio test must pass or be listed, with the reason we
differ on purpose, in tests/label_studio/jwt_auth-differences.txt; a listed test that passes is
reported too (the list must not go stale).
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

from common import HERE, PY, WORK, Checks, clean_env, oneline, run, say

OURS = "ls_auth.contrib.label_studio.settings"
STOCK = "core.settings.label_studio"
DIFFERENCES = HERE / "jwt_auth-differences.txt"
APP_TESTS = HERE / "app"
_RESULT = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)")


def differences() -> Dict[str, str]:
    """test id -> reason, from the committed file (`id  reason`, `#` comments)."""
    listed: Dict[str, str] = {}
    for line in DIFFERENCES.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test_id, _, reason = line.partition(" ")
        listed[test_id] = reason.strip()
    return listed


def _pytest(site: Path, settings: str, db_env: Dict[str, str], extra: List[str], tag: str,
            reuse_db: bool) -> Tuple[int, Dict[str, str], str, float]:
    data = Path(tempfile.mkdtemp(prefix=f"ls-suite-{tag}-", dir=WORK))
    env = clean_env(LABEL_STUDIO_BASE_DATA_DIR=str(data), **db_env)
    env.setdefault("DJANGO_DB", "sqlite")
    cmd = [PY, "-m", "pytest", "tests/jwt_auth", *extra, "-q", "-rA", "-p", "no:cacheprovider",
           f"--ds={settings}", "-o", "log_cli=false"]
    if reuse_db:
        cmd.append("--reuse-db")
    started = time.monotonic()
    rc, out, err = run(cmd, env=env, cwd=site, timeout=1800)
    took = time.monotonic() - started
    (WORK / f"suite-{tag}.log").write_text(out + err)
    results: Dict[str, str] = {}
    for line in out.splitlines():
        m = _RESULT.match(line)
        if m:
            results[m.group(2)] = m.group(1)
    summary = next((ln.strip("= ") for ln in reversed(out.splitlines()) if re.search(r"\d+ (passed|failed)", ln)),
                   oneline((out + err)[-300:]))
    return rc, results, summary, took


def run_suites(checks: Checks, site: Path, db: str, db_env: Dict[str, str], timings: Dict[str, float]) -> None:
    """Stock, then ours (+ our app tests), on one database kind."""
    reuse = db == "postgresql"  # one migrated test database for both runs (same apps, same schema)
    rc, res, summary, took = _pytest(site, STOCK, db_env, [], f"stock-{db}", reuse)
    timings[f"jwt_auth suite, stock, {db}"] = took
    say(f"jwt_auth (stock, {db}): {summary}")
    bad = sorted(t for t, r in res.items() if r in ("FAILED", "ERROR"))
    checks.check(f"suite.{db}.stock-baseline", rc == 0 and not bad and bool(res),
                 f"Label Studio's tests/jwt_auth with {STOCK} on {db}: {summary}" + (f"; failing: {bad}" if bad else ""))

    rc, res, summary, took = _pytest(site, OURS, db_env, [str(APP_TESTS)], f"ours-{db}", reuse)
    timings[f"jwt_auth suite + app tests, ours, {db}"] = took
    theirs = {t: r for t, r in res.items() if t.startswith("tests/jwt_auth/")}
    ours = {t: r for t, r in res.items() if not t.startswith("tests/jwt_auth/")}
    n_pass = sum(r == "PASSED" for r in theirs.values())
    n_fail = sum(r in ("FAILED", "ERROR") for r in theirs.values())
    say(f"jwt_auth (ours, {db}): {n_pass} passed, {n_fail} failed (of which listed differences: "
        f"{sum(t in differences() for t, r in theirs.items() if r != 'PASSED')}); pytest: {summary}")
    listed = differences()
    failing = {t for t, r in theirs.items() if r in ("FAILED", "ERROR")}
    unlisted = sorted(failing - set(listed))
    stale = sorted(t for t in listed if theirs.get(t) == "PASSED")
    missing = sorted(t for t in listed if t not in theirs)
    checks.check(f"suite.{db}.ours-vs-differences", bool(theirs) and not unlisted and not stale and not missing,
                 f"--ds={OURS}: {n_pass} passed, {n_fail} failed; every failure listed in {DIFFERENCES.name}"
                 + (f"; UNLISTED failures: {unlisted}" if unlisted else "")
                 + (f"; listed but PASSING (stale entry): {stale}" if stale else "")
                 + (f"; listed but not run: {missing}" if missing else ""))
    for t in sorted(failing & set(listed)):
        print(f"     differs on purpose: {t}: {listed[t]}")
    app_pass = sum(r == "PASSED" for r in ours.values())
    app_bad = sorted(t.rsplit("::", 1)[-1] for t, r in ours.items() if r in ("FAILED", "ERROR"))
    checks.check(f"suite.{db}.app-tests", bool(ours) and not app_bad,
                 f"tests/label_studio/app under {OURS} on {db}: {app_pass} passed, {len(app_bad)} failed"
                 + (f": {app_bad} (log: {WORK}/suite-ours-{db}.log)" if app_bad else ""))

