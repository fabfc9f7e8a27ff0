"""The `wsgi` part: Label Studio as production runs it, under gunicorn (its `core.wsgi`, several
worker processes of several threads, DEBUG off) on PostgreSQL (Debian's, a throw-away cluster),
first stock, then with our settings module.

Checked on each server:
- `<kind>.wsgi.workers`: gunicorn runs a master and LS_WSGI_WORKERS worker processes;
- `<kind>.wsgi.first-access-token`: the deployment's first access token works at once on every
  worker, in simultaneous requests (ours makes its first signing key at that refresh, in one
  worker, while the others hold an empty copy of the key table; a worker whose threads race to
  re-read it refused all but the first with 401 unsupported_algorithm in 6 of 8 runs here: a
  timing race, so a pass does not prove it gone, but a correct server never fails this);
- `<kind>.wsgi.rotate.*`: LS_WSGI_ROUNDS rounds of LS_WSGI_ROTATIONS simultaneous
  `POST /api/token/rotate/` of one PAT (Label Studio's own endpoint; ours answers under its
  name), at least one round served by more than one worker process (gunicorn's access log names
  the pid; more rounds, up to three times as many, until one is). Ours: exactly
  one rotation wins each round, every other one is refused because the PAT is revoked (400
  `token_revoked` at rotation, or 401 at authentication: the winner revoked the PAT behind the
  caller's access token), the winner's new PAT refreshes and the old one is refused. Stock: the old PAT is refused and every winner's new PAT refreshes; how many
  won is printed, not checked (stock's rotation blacklists with get_or_create, so two
  processes can both win and fork one PAT into two live ones, the race ours closes);
- `<kind>.wsgi.load.whoami`: the whoami load run (load.py) with one Bearer access token gets only
  right answers;
- `<kind>.wsgi.stopped`: no process of the server's group is left after it is stopped.

Printed, never asserted: requests per second and CPU seconds per request (user + system time of
gunicorn's master and workers from /proc, read just before and just after the load run, divided
by the requests), LS_WSGI_CLIENTS clients for LS_WSGI_SECONDS seconds.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any, Dict, List

from common import Checks, Fatal, Http, bearer, oneline, say, together
from load import whoami_load
from server import WsgiServer

EMAIL = "wsgi@example.com"
WORKERS = int(os.environ.get("LS_WSGI_WORKERS", "2"))
THREADS = int(os.environ.get("LS_WSGI_THREADS", "4"))
CLIENTS = int(os.environ.get("LS_WSGI_CLIENTS", "8"))
SECONDS = float(os.environ.get("LS_WSGI_SECONDS", "15"))
ROTATIONS = int(os.environ.get("LS_WSGI_ROTATIONS", "8"))
ROUNDS = int(os.environ.get("LS_WSGI_ROUNDS", "3"))
ROTATE = "/api/token/rotate/"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _pids_since(server: WsgiServer, seen: int, request: str) -> List[str]:
    """The worker pids that served `request` ("METHOD /path") after line `seen` of gunicorn's
    access log (`<pid> status METHOD /path`)."""
    log = server.work / "access.log"
    lines = log.read_text().splitlines()[seen:] if log.exists() else []
    return sorted({ln.split()[0].strip("<>") for ln in lines if ln.endswith(f" {request}")})


def _access_lines(server: WsgiServer) -> int:
    log = server.work / "access.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def first_access_token(server: WsgiServer, interop: Any, checks: Checks) -> None:
    """A new deployment's first access token, used at once by simultaneous requests on every
    worker. Ours creates its first signing key at that first refresh, in one worker; the other
    worker has read the (then empty) key table on an earlier Bearer request and keeps that copy
    for up to 30 s, so it must re-read the table for the new token's key, in every thread."""
    kind = server.kind
    whoami = "/api/current-user/whoami"
    # Every worker handles a Bearer request (and so reads the key table) before the first key exists.
    together(4 * WORKERS, lambda: Http(server.base).get(whoami, headers=bearer("not.a.token"), timeout=60))
    access = str(interop.refresh(interop.fresh_server_pat()).get("access"))
    before = _access_lines(server)
    n = 2 * ROTATIONS  # enough that the worker which did not make the key likely gets several at once
    results = together(n, lambda: Http(server.base).get(whoami, headers=bearer(access), timeout=60))
    time.sleep(0.2)  # gunicorn writes the access line after the response
    pids = _pids_since(server, before, f"GET {whoami}")
    replies = sorted(f"{getattr(r, 'status', type(r).__name__)} {getattr(r, 'get', lambda k: None)('code') or ''}".strip()
                     for r in results)
    checks.check(f"{kind}.wsgi.first-access-token", all(getattr(r, "status", 0) == 200 for r in results),
                 f"the deployment's first access token, {n} simultaneous GET {whoami} on worker pids {pids}: "
                 f"{replies}")


def rotations(server: WsgiServer, interop: Any, checks: Checks) -> None:
    kind, ours = server.kind, server.kind == "ls_auth"
    rounds: List[Dict[str, Any]] = []
    # A gthread worker may take every one of the simultaneous requests: after ROUNDS rounds, go on
    # (up to 3 x ROUNDS) until some round was served by more than one worker process.
    while len(rounds) < ROUNDS or (len(rounds) < 3 * ROUNDS and all(len(r["pids"]) < 2 for r in rounds)):
        pat = interop.fresh_server_pat()
        access = str(interop.refresh(pat).get("access"))
        before = _access_lines(server)
        results = together(ROTATIONS, lambda: Http(server.base).post(
            ROTATE, json_body={"refresh": pat}, headers=bearer(access), timeout=60))
        time.sleep(0.2)  # gunicorn writes the access line after the response
        statuses = sorted(getattr(r, "status", 0) for r in results)
        losers = [(r.status, str(r.get("code"))) for r in results if getattr(r, "status", 0) != 200]
        codes = sorted({f"{st} {code}" for st, code in losers})
        new_pats = [str(r.get("refresh")) for r in results if getattr(r, "status", 0) == 200]
        rounds.append({
            "statuses": statuses,
            "codes": codes,
            # Ours refuses a loser because its PAT is revoked: at rotation (400 token_revoked), or,
            # the winner having revoked the PAT behind the caller's access token, at authentication.
            "revoked": len(losers) == ROTATIONS - len(new_pats)
            and all("revoked" in code and st in (400, 401) for st, code in losers),
            "winners": len(new_pats),
            "pids": _pids_since(server, before, f"POST {ROTATE}"),
            "old": interop.refresh(pat).status,
            "new": [interop.refresh(p).status for p in new_pats],
        })
    summary = "; ".join(f"round {i + 1}: statuses {r['statuses']} (losers: {', '.join(r['codes'])}), served by worker pids {r['pids']}, "
                        f"then refresh with the old PAT {r['old']}, with the new {r['new']}"
                        for i, r in enumerate(rounds))
    spread = [len(r["pids"]) for r in rounds]
    checks.check(f"{kind}.wsgi.rotate.across-processes", max(spread) >= 2,
                 f"{len(rounds)} rounds of {ROTATIONS} simultaneous POST {ROTATE}, each served by "
                 f"{spread} worker processes")
    if ours:
        checks.check(f"{kind}.wsgi.rotate.one-winner", all(r["winners"] == 1 for r in rounds), summary)
        checks.check(f"{kind}.wsgi.rotate.losers-refused-as-revoked", all(r["revoked"] for r in rounds),
                     "every other rotation refused because the PAT is revoked: "
                     + "; ".join(f"round {i + 1}: {', '.join(r['codes'])}" for i, r in enumerate(rounds)))
        checks.check(f"{kind}.wsgi.rotate.only-the-new-pat-works",
                     all(r["old"] == 401 and r["new"] == [200] for r in rounds),
                     "after each round the old PAT is refused (401) and the winner's new PAT refreshes (200)")
    else:
        checks.check(f"{kind}.wsgi.rotate.old-refused-new-work",
                     all(r["old"] == 401 and r["winners"] >= 1 and all(s == 200 for s in r["new"]) for r in rounds),
                     summary)
        print(f"INFO {kind}.wsgi.rotate.winners: winners per round {[r['winners'] for r in rounds]} "
              f"of {ROTATIONS} simultaneous rotations (stock: a figure; more than one is a forked PAT)", flush=True)


def one_server(kind: str, site: Path, cluster: Any, checks: Checks, figures: Dict[str, Any]) -> None:
    from interop import Interop

    server = WsgiServer(kind, site, EMAIL, f"wsgi-pass-{secrets.token_hex(8)}", cluster, WORKERS, THREADS)
    pids: List[int] = []
    try:
        server.prepare()
        server.start()
        pids = server.pids()
        master = server.group.proc.pid if server.group else 0
        checks.check(f"{kind}.wsgi.workers", len(pids) == WORKERS + 1 and master in pids,
                     f"gunicorn {WORKERS} x {THREADS} threads (gthread) on PostgreSQL: master {master}, "
                     f"workers {[p for p in pids if p != master]}")
        interop = Interop(server, checks, Path(os.devnull))  # no CLI step is used here
        interop.session = server.login()
        interop.settings(True, False)
        first_access_token(server, interop, checks)
        rotations(server, interop, checks)

        access = str(interop.refresh(interop.fresh_server_pat()).get("access"))
        pids = server.pids()
        cpu: Dict[str, float] = {}
        say(f"wsgi load: {CLIENTS} clients x {SECONDS:.0f} s on GET /api/current-user/whoami ({kind}, gunicorn)")
        result = whoami_load(server.port, access, EMAIL, CLIENTS, SECONDS,
                             on_start=lambda: cpu.__setitem__("before", server.cpu_seconds()))
        cpu["after"] = server.cpu_seconds()
        same = server.pids() == pids  # a worker that died and was replaced would lose its CPU time
        n = int(result["requests"])  # type: ignore[call-overload]
        result["cpu_s"] = cpu["after"] - cpu["before"]
        result["cpu_per_request"] = result["cpu_s"] / n if n else 0.0
        figures[kind] = result
        outcomes = result["outcomes"]
        bad = {k: v for k, v in outcomes.items() if k != "ok"}  # type: ignore[union-attr]
        checks.check(f"{kind}.wsgi.load.whoami", not bad and n > 0 and same,
                     f"{n} requests in {result['seconds']} s, {result['rps']:.0f} requests/s, "
                     f"{result['cpu_per_request'] * 1000:.1f} ms CPU per request; outcomes {outcomes}"
                     + ("" if same else f"; the workers changed during the run ({pids} -> {server.pids()})"))
    except Fatal as e:
        checks.bad(f"{kind}.wsgi.server", oneline(str(e), 800))
    except Exception as e:  # noqa: BLE001 - report and go on with the other server
        checks.bad(f"{kind}.wsgi", f"{type(e).__name__}: {oneline(str(e))}")
    finally:
        pids = sorted(set(pids) | set(server.pids()))
        server.stop()
        if pids:
            left = [p for p in pids if _alive(p)]
            checks.check(f"{kind}.wsgi.stopped", not left,
                         (f"gunicorn master and workers {pids} stopped" if not left else f"still running: {left}")
                         + (f" (SIGKILL for {server.killed}, alive 15 s after the master)" if server.killed else ""))


def wsgi_part(checks: Checks, site: Path, timings: Dict[str, float]) -> Dict[str, Any]:
    from postgres import Cluster

    figures: Dict[str, Any] = {}
    started = time.monotonic()
    cluster = None
    try:
        cluster = Cluster()
        cluster.start()
        for kind in ("stock", "ls_auth"):
            one_server(kind, site, cluster, checks, figures)
    except Fatal as e:
        checks.bad("wsgi.postgresql", str(e))
    finally:
        if cluster is not None:
            cluster.stop()
        timings["wsgi: gunicorn on PostgreSQL, stock and ours"] = time.monotonic() - started
    return figures


def print_figures(figures: Dict[str, Any]) -> None:
    from common import cpu_model

    print(f"\n== whoami load under gunicorn ({WORKERS} workers x {THREADS} threads, PostgreSQL, {CLIENTS} clients, "
          f"{SECONDS:.0f} s, loopback; CPU: {cpu_model()}, {os.cpu_count()} cores shared with the clients; "
          "a figure, not a test)")
    for kind, r in figures.items():
        print(f"   {kind:8s} {r['rps']:8.1f} requests/s  {r['cpu_per_request'] * 1000:6.2f} ms CPU/request "
              f"({r['requests']} requests, {r['cpu_s']:.1f} CPU s in master + workers)")
    if "stock" in figures and "ls_auth" in figures and figures["stock"]["rps"] and figures["stock"]["cpu_per_request"]:
        print(f"   ls_auth / stock: {figures['ls_auth']['rps'] / figures['stock']['rps']:.2f}x requests/s, "
              f"{figures['ls_auth']['cpu_per_request'] / figures['stock']['cpu_per_request']:.2f}x CPU/request")
