"""Label Studio 1.23.2's own API-token tests (`label_studio/tests/jwt_auth/`, shipped in its
wheel), run stock and with our settings module, on SQLite and PostgreSQL; our own Django tests
(tests/label_studio/app) run in the same session as the "ours" run, so they share its migrations.

Under our settings module every Label Studio test must pass or be listed, with the reason we
differ on purpose, in tests/label_studio/jwt_auth-differences.txt; a listed test that passes is
reported too (the list must not go stale).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

from common import HERE, LS_VERSION, PY, WORK, Checks, clean_env, oneline, run, say

OURS = "ls_auth.contrib.label_studio.settings"
STOCK = "core.settings.label_studio"
DIFFERENCES = HERE / "jwt_auth-differences.txt"
APP_TESTS = HERE / "app"
WHOLE_TIMEOUT = float(os.environ.get("LS_WHOLE_TIMEOUT", "7200"))
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



# -- Label Studio's whole shipped suite ---------------------------------------------------------
#
# `pytest .` from the package's directory: tests/ and every app's own tests (1,156 in 1.23.2).
# Stock is not run each time: its outcomes on this kind of machine are the committed baseline
# (stock-baseline-<db>.txt, rewritten by `run.py --parts whole-baseline`); ours must match it
# test for test, except the tests listed with their reason in whole-suite-differences.txt.

WHOLE_DIFFERENCES = HERE / "whole-suite-differences.txt"
# Tests whose outcome depends on the machine, not on the settings module (they resolve a public
# host name): run, their outcomes printed, but not compared with the baseline.
WHOLE_UNCOMPARED = HERE / "whole-suite-uncompared.txt"
PLUGIN_DIR = HERE / "pytest_plugin"


def baseline_file(db: str) -> Path:
    return HERE / f"stock-baseline-{db}.txt"


def _listed(path: Path) -> Dict[str, str]:
    """`id<TAB>reason` lines (`#` comments) -> {id: reason} (node ids may hold spaces)."""
    found: Dict[str, str] = {}
    if not path.exists():
        return found
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            test_id, _, rest = line.partition("\t")
            found[test_id] = rest.strip()
    return found


def read_outcomes(path: Path) -> Dict[str, str]:
    """`outcome<TAB>node id` lines (the plugin's file, or a baseline's body) -> {id: outcome}."""
    found: Dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "\t" in line:
            outcome, _, test_id = line.partition("\t")
            found[test_id] = outcome
    return found


def _count(outcomes: Dict[str, str]) -> str:
    tally: Dict[str, int] = {}
    for outcome in outcomes.values():
        tally[outcome] = tally.get(outcome, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(tally.items(), key=lambda kv: -kv[1]))


def whole_suite_run(site: Path, settings: str, db: str, db_env: Dict[str, str]) -> Tuple[Dict[str, str], str, float]:
    """Runs the whole suite once: ({id: outcome}, pytest's summary line, seconds)."""
    tag = f"whole-{'stock' if settings == STOCK else 'ours'}-{db}"
    data = Path(tempfile.mkdtemp(prefix=f"ls-{tag}-", dir=WORK))
    outcomes_file = WORK / f"{tag}.outcomes"
    outcomes_file.unlink(missing_ok=True)
    env = clean_env(LABEL_STUDIO_BASE_DATA_DIR=str(data), PYTHONPATH=str(PLUGIN_DIR),
                    LS_OUTCOMES_FILE=str(outcomes_file), **db_env)
    env.setdefault("DJANGO_DB", "sqlite")
    cmd = [PY, "-m", "pytest", ".", "-q", "-p", "no:cacheprovider", "-p", "ls_outcomes", f"--ds={settings}",
           "-o", "log_cli=false"]
    say(f"Label Studio's whole suite, {'stock' if settings == STOCK else 'ours'}, {db} (slow: about 1,156 tests)")
    started = time.monotonic()
    rc, out, err = run(cmd, env=env, cwd=site, timeout=int(WHOLE_TIMEOUT))
    took = time.monotonic() - started
    (WORK / f"{tag}.log").write_text(out + err)
    summary = next((ln.strip("= ") for ln in reversed(out.splitlines()) if re.search(r"\d+ (passed|failed)", ln)),
                   oneline((out + err)[-300:]))
    outcomes = read_outcomes(outcomes_file) if outcomes_file.exists() else {}
    return outcomes, f"{summary} (exit {rc})", took


def write_baseline(site: Path, db: str, db_env: Dict[str, str], timings: Dict[str, float]) -> Tuple[bool, str]:
    """Runs stock and rewrites stock-baseline-<db>.txt (`run.py --parts whole-baseline`)."""
    import platform

    outcomes, summary, took = whole_suite_run(site, STOCK, db, db_env)
    timings[f"whole suite, stock, {db}"] = took
    if not outcomes:
        return False, f"no outcomes recorded: {summary}"
    header = [
        f"# Label Studio {LS_VERSION}'s whole shipped suite (`pytest .` in its package directory) under",
        f"# its stock settings ({STOCK}) on {db}: one line per test, `outcome<TAB>node id`.",
        "# tests/label_studio/suite.py holds the run under ls_auth.contrib.label_studio.settings to these",
        "# outcomes, test for test (whole-suite-differences.txt lists the exceptions with reasons).",
        f"# Regenerate: LS_WHOLE_DBS={db} scripts/test-label-studio --parts whole-baseline",
        f"# Produced on {platform.platform()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}:",
        f"#   pytest: {summary}; {took:.0f} s",
        f"#   outcomes: {_count(outcomes)}",
    ]
    body = [f"{outcomes[t]}\t{t}" for t in sorted(outcomes)]
    baseline_file(db).write_text("\n".join(header + body) + "\n")
    return True, f"{baseline_file(db).name}: {summary}; {_count(outcomes)}"


def compare(stock: Dict[str, str], ours: Dict[str, str], listed: Dict[str, str],
            uncompared: Dict[str, str]) -> Tuple[set, List[str], List[str]]:
    """(tests whose outcome differs, those not listed, listed ones that do not differ). A test
    absent from one side differs; a test of `uncompared` never does."""
    differ = {t for t in set(stock) | set(ours) if stock.get(t) != ours.get(t) and t not in uncompared}
    return differ, sorted(differ - set(listed)), sorted(t for t in listed if t not in differ)


def whole_suite(checks: Checks, site: Path, db: str, db_env: Dict[str, str], timings: Dict[str, float]) -> None:
    """Ours against the committed stock baseline: same outcome for every test, or listed."""
    base_path = baseline_file(db)
    if not base_path.exists():
        checks.bad(f"whole.{db}", f"no stock baseline {base_path.name}: run `LS_WHOLE_DBS={db} "
                   "scripts/test-label-studio --parts whole-baseline` once and commit it")
        return
    stock = read_outcomes(base_path)
    stock_summary = next((ln.split("pytest:", 1)[1].strip() for ln in base_path.read_text().splitlines()
                          if ln.startswith("#   pytest:")), _count(stock))
    ours, summary, took = whole_suite_run(site, OURS, db, db_env)
    timings[f"whole suite, ours, {db}"] = took
    say(f"whole suite on {db}: stock (baseline) {stock_summary}")
    say(f"whole suite on {db}: ours            {summary}")
    listed = _listed(WHOLE_DIFFERENCES)
    uncompared = _listed(WHOLE_UNCOMPARED)
    for t in sorted(uncompared):
        print(f"     not compared: {t} (stock {stock.get(t, 'absent')}, ours {ours.get(t, 'absent')}): {uncompared[t]}")
    differ, unlisted, stale = compare(stock, ours, listed, uncompared)
    for t in sorted(differ & set(listed)):
        print(f"     differs on purpose: {t} (stock {stock.get(t)}, ours {ours.get(t)}): {listed[t]}")
    detail = "; ".join(f"{t} (stock {stock.get(t, 'absent')}, ours {ours.get(t, 'absent')})" for t in unlisted[:20])
    checks.check(
        f"whole.{db}.same-as-stock",
        bool(ours) and not unlisted and not stale,
        f"{len(ours)} tests under {OURS}: {_count(ours)}; stock baseline {_count(stock)}; "
        f"{len(differ & set(listed))} listed differences"
        + (f"; UNLISTED differences ({len(unlisted)}): {detail}" if unlisted else "")
        + (f"; listed but the same as stock (stale entry): {stale}" if stale else "")
        + ("" if ours else f"; no outcomes recorded: {summary} (log: {WORK}/whole-ours-{db}.log)"),
    )
