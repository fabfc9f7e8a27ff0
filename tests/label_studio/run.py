"""The real-server suite (scripts/test-label-studio): Label Studio 1.23.2 from PyPI, really run.

1. Label Studio's own tests/jwt_auth suite, stock and with ls_auth.contrib.label_studio.settings,
   on SQLite and on PostgreSQL (Debian's package, a cluster under target/pg), plus our own Django
   tests (tests/label_studio/app) in the same sessions (suite.py);
2. a stock server, then one started with our settings module, each on 127.0.0.1: the interop
   checks (interop.py), a bounded whoami load run (load.py), then tests/live when it exists;
3. the `.env` parity checks of the CLI against Label Studio's own reader;
4. the token pages in Debian's Chromium through Selenium, against a fresh stock server and one of
   ours (browser.py; screenshots under target/browser/);
5. ("whole") Label Studio's whole shipped suite (`pytest .`, 1,156 tests) under our settings
   module on each database of LS_WHOLE_DBS (default sqlite,postgresql), test for test against
   the committed stock baseline tests/label_studio/stock-baseline-<db>.txt (suite.py);
   `--parts whole-baseline` runs stock instead and rewrites that file;
6. ("queries", on request) database queries per request for each credential kind, stock vs ours,
   on the databases of LS_WHOLE_DBS (queries.py): a figure, not a test;
7. ("wsgi") a production server: gunicorn serving Label Studio's core.wsgi (2 worker processes x
   4 threads) on PostgreSQL, stock, then ours (wsgi.py): simultaneous rotations of one PAT across
   the workers (ours: exactly one winner, only its new PAT works; stock: how many won, printed),
   and a whoami load run printing requests/s and CPU seconds per request (gunicorn's master and
   workers, from /proc) for both. About 2 minutes, plus a one-time migration of the PostgreSQL
   template database (kept as target/ls-pg-template.sql).

One line per check, then `label-studio: N passed, M failed`; exit 1 on any failure. Every process
it starts (servers, PostgreSQL) is stopped on exit. Parts: `--parts suites,whole,servers,wsgi,dotenv,browser`
(the default; `whole-baseline` and `queries` only on request); LS_LOAD_SECONDS / LS_LOAD_CLIENTS size the load
run; LS_WSGI_WORKERS, LS_WSGI_THREADS, LS_WSGI_CLIENTS, LS_WSGI_SECONDS, LS_WSGI_ROTATIONS, LS_WSGI_ROUNDS
size the wsgi part; LS_START_TIMEOUT, LS_PIP_TIMEOUT, LS_WHOLE_TIMEOUT bound the slow steps.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Dict

sys.path.insert(0, str(Path(__file__).resolve().parent))

import setup_env  # noqa: E402
import suite  # noqa: E402
from common import LS_VERSION, ROOT, T, WORK, Checks, Fatal, cpu_model, oneline, run, say  # noqa: E402
from dotenv_parity import dotenv_checks  # noqa: E402
from load import CLIENTS, SECONDS, whoami_load  # noqa: E402
from queries import query_bench  # noqa: E402
from server import Server  # noqa: E402

EMAIL = "interop@example.com"


def live_tests(checks: Checks, server: Server, cli: Path, timings: Dict[str, float]) -> None:
    """The SDK + doctor tests of tests/live (another engineer's), against this server."""
    live = ROOT / "tests" / "live"
    if not live.is_dir():
        say("tests/live does not exist: skipped")
        return
    venv_py = T / "venv" / "bin" / "python"
    secret_file = server.work / "secret"
    secret_file.write_text(server.secret)
    secret_file.chmod(0o600)
    env = dict(os.environ, LS_TEST_URL=server.base, LS_TEST_EMAIL=server.email, LS_TEST_PASSWORD=server.password,
               LS_TEST_SECRET_FILE=str(secret_file), LS_TEST_CLI=str(cli), LS_TEST_SERVER_KIND=server.kind)
    started = time.monotonic()
    rc, out, err = run([venv_py, "-m", "pytest", str(live), "-q", "-p", "no:cacheprovider", "--rootdir", str(live)],
                       env=env, cwd=ROOT, timeout=1800)
    timings[f"tests/live against {server.kind}"] = time.monotonic() - started
    (WORK / f"live-{server.kind}.log").write_text(out + err)
    last = next((ln for ln in reversed(out.splitlines()) if ln.strip()), oneline(err[-200:]))
    checks.check(f"{server.kind}.live-tests", rc == 0, f"target/venv pytest tests/live: {last.strip('= ')}"
                 + ("" if rc == 0 else f" (exit {rc}; log {WORK}/live-{server.kind}.log)"))


def one_server(kind: str, site: Path, checks: Checks, cli: Path, timings: Dict[str, float],
               rates: Dict[str, Any]) -> None:
    from interop import Interop

    server = Server(kind, site, EMAIL, f"interop-pass-{secrets.token_hex(8)}")
    started = time.monotonic()
    try:
        server.prepare()
        server.start()
        interop = Interop(server, checks, cli)
        found = interop.run()
        # The load run: one access token, CLIENTS clients, SECONDS seconds.
        access = str(interop.refresh(interop.fresh_server_pat()).get("access"))
        say(f"load: {CLIENTS} clients x {SECONDS:.0f} s on GET /api/current-user/whoami ({kind})")
        result = whoami_load(server.port, access, EMAIL)
        rates[kind] = result
        outcomes = result["outcomes"]
        bad = {k: v for k, v in outcomes.items() if k != "ok"}  # type: ignore[union-attr]
        checks.check(f"{kind}.load.whoami", not bad and result["requests"] > 0,
                     f"{result['requests']} requests in {result['seconds']} s, {result['rps']:.0f} requests/s; "
                     f"outcomes {outcomes}")
        interop.restore(found["found_settings"])
        live_tests(checks, server, cli, timings)
    except Fatal as e:
        checks.bad(f"{kind}.server", str(e))
    except Exception as e:  # noqa: BLE001 - report and go on with the other server
        checks.bad(f"{kind}.interop", f"{type(e).__name__}: {oneline(str(e))}")
        traceback.print_exc()
    finally:
        server.stop()
        timings[f"{kind} server: start, checks, load, live"] = time.monotonic() - started


def whole_parts(checks: Checks, site: Path, action: str, timings: Dict[str, float]) -> None:
    """Label Studio's whole suite on each database of LS_WHOLE_DBS (default sqlite,postgresql): ours
    against the committed stock baseline ("compare"), or stock run to rewrite it ("baseline")."""
    for db in [d for d in os.environ.get("LS_WHOLE_DBS", "sqlite,postgresql").split(",") if d]:
        cluster = None
        try:
            if db == "sqlite":
                db_env = {"DJANGO_DB": "sqlite"}
            elif db == "postgresql":
                from postgres import Cluster

                cluster = Cluster()
                cluster.start()
                db_env = cluster.env()
            else:
                raise Fatal(f"LS_WHOLE_DBS: unknown database {db!r} (sqlite, postgresql)")
            if action == "baseline":
                ok, evidence = suite.write_baseline(site, db, db_env, timings)
                checks.check(f"whole.{db}.baseline-written", ok, evidence)
            else:
                suite.whole_suite(checks, site, db, db_env, timings)
        except Fatal as e:
            checks.bad(f"whole.{db}", str(e))
        finally:
            if cluster is not None:
                cluster.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="suites,whole,servers,wsgi,dotenv,browser")
    parts = set(ap.parse_args().parts.split(","))
    checks = Checks()
    timings: Dict[str, float] = {}
    rates: Dict[str, Any] = {}
    wsgi_figures: Dict[str, Any] = {}
    cluster = None
    begun = time.monotonic()

    def on_signal(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    WORK.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.monotonic()
        setup_env.server_venv()
        setup_env.ls_auth_wheel()
        cli = setup_env.cli() if parts & {"servers", "dotenv"} else Path(os.devnull)  # only they run it
        if "servers" in parts and (ROOT / "tests" / "live").is_dir():
            setup_env.client_venv()
        site = setup_env.site_dir()
        timings["setup (venvs, wheel, CLI)"] = time.monotonic() - t0
        say(f"Label Studio {LS_VERSION} package: {site}")
        if "suites" in parts:
            suite.run_suites(checks, site, "sqlite", {"DJANGO_DB": "sqlite"}, timings)
            try:
                from postgres import Cluster

                t0 = time.monotonic()
                cluster = Cluster()
                cluster.start()
                timings["PostgreSQL: install check, initdb, start"] = time.monotonic() - t0
                suite.run_suites(checks, site, "postgresql", cluster.env(), timings)
            except Fatal as e:
                checks.bad("suite.postgresql", str(e))
            finally:
                if cluster is not None:
                    cluster.stop()
                    cluster = None
        for part, action in (("whole-baseline", "baseline"), ("whole", "compare")):
            if part in parts:
                whole_parts(checks, site, action, timings)
        if "queries" in parts:
            t0 = time.monotonic()
            for db in [d for d in os.environ.get("LS_WHOLE_DBS", "sqlite,postgresql").split(",") if d]:
                db_cluster = None
                try:
                    if db == "postgresql":
                        from postgres import Cluster

                        db_cluster = Cluster()
                        db_cluster.start()
                    query_bench(checks, site, db, db_cluster.env() if db_cluster else {"DJANGO_DB": "sqlite"})
                except Fatal as e:
                    checks.bad(f"queries.{db}", str(e))
                finally:
                    if db_cluster is not None:
                        db_cluster.stop()
            timings["queries per request, stock and ours"] = time.monotonic() - t0
        if "servers" in parts:
            for kind in ("stock", "ls_auth"):
                one_server(kind, site, checks, cli, timings, rates)
        if "wsgi" in parts:
            from wsgi import wsgi_part

            wsgi_figures = wsgi_part(checks, site, timings)
        if "dotenv" in parts:
            dotenv_checks(checks, site, cli)
        if "browser" in parts:
            from browser import browser_part

            browser_part(checks, site, timings)
    except Fatal as e:
        checks.bad("setup", str(e))
    except KeyboardInterrupt:
        checks.bad("interrupted", "stopped by a signal")
    finally:
        if cluster is not None:
            cluster.stop()

    if rates:
        print(f"\n== whoami load ({CLIENTS} clients, {SECONDS:.0f} s, loopback, Django runserver; CPU: {cpu_model()}, "
              f"{os.cpu_count()} cores; a figure, not a test)")
        for kind, r in rates.items():
            print(f"   {kind:8s} {r['rps']:8.1f} requests/s  ({r['requests']} requests, outcomes {r['outcomes']})")
        if "stock" in rates and "ls_auth" in rates and rates["stock"]["rps"]:
            print(f"   ls_auth / stock: {rates['ls_auth']['rps'] / rates['stock']['rps']:.2f}x")
    if wsgi_figures:
        from wsgi import print_figures

        print_figures(wsgi_figures)
    print("\n== time per part")
    for name, took in timings.items():
        print(f"   {took:7.1f} s  {name}")
    print(f"   {time.monotonic() - begun:7.1f} s  total")
    print(checks.summary())
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
