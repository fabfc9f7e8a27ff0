#!/usr/bin/env python3
"""Label Studio's per-request token check, ours against stock's (issue 18 item 4), in one process.

- ours: ``ls_auth.contrib.label_studio.authentication._begin`` on the request's header bytes, as
  ``authenticate_request`` calls it, with EdDSA access tokens signed by Label Studio's signing
  key: the worker's verifier (``keys.request_verifier``: HS256 secrets plus the published
  Ed25519 keys) behind its cache of verified tokens (``keys.request_cache``);
- stock: simplejwt's ``JWTAuthentication`` (what Label Studio's ``TokenAuthenticationPhaseout``
  extends) on the same request, with HS256 access tokens: ``get_header``, ``get_raw_token``,
  ``get_validated_token`` (PyJWT's decode and simplejwt's checks).

Both stop before the user is fetched (the same one query either way). The request stream uses
each access token ten times (an SDK client sends many requests per token): a round takes fresh
tokens and, ten tokens at a time, uses each once (the first use, reported on its own: ours
checks the Ed25519 signature there), then nine times more. Rounds of ours and stock alternate;
each keeps its least time per call over the groups of all rounds (load only adds time, and a
short window is likelier to meet a quiet moment of a shared machine). The key table is given to keys.py as a worker's
loaded copy, so no database is needed.

    target/venv/bin/python tests/label_studio/bench/request_path.py [--tokens 200] [--rounds 9] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

SECRET = "bench-secret-key-for-the-label-studio-request-path-0123456789"
USES = 10
GROUP = 10


def configure() -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY=SECRET,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "rest_framework_simplejwt.token_blacklist",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
        # Label Studio's settings: HS256 over SECRET_KEY, Bearer, five-minute access tokens.
        SIMPLE_JWT={"ALGORITHM": "HS256", "AUTH_HEADER_TYPES": ("Bearer",)},
        LS_AUTH={},
    )
    django.setup()


def cpu_line() -> str:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""

    def field(name: str) -> str:
        m = re.search(rf"^{name}\s*:\s*(.*)$", info, re.M)
        return m.group(1).strip() if m else "?"

    cpus = len(re.findall(r"^processor\s*:", info, re.M))
    return (f"CPU: {field('model name')} (vendor {field('vendor_id')}, family {field('cpu family')}, "
            f"model {field('model')}, stepping {field('stepping')}); {cpus} logical CPUs")


class Request:
    """What both checks read of a Django request: its META."""

    __slots__ = ("META",)

    def __init__(self, token: str) -> None:
        self.META = {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200, help="fresh access tokens per round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    configure()

    import ls_auth
    from ls_auth.contrib._django import authorization_bytes
    from ls_auth.contrib.label_studio import authentication, keys
    from rest_framework_simplejwt.authentication import JWTAuthentication

    now = int(time.time())
    # The deployment's signing key, as keys.py's loaded copy of the table holds it.
    signer = ls_auth.Keyring.generate_ed25519("bench-key")
    x = json.loads(signer.public_jwks())["keys"][0]["x"]
    keys._loaded = (float("inf"), (keys.KeyRow("bench-key", x, now - 60, now - 60),))
    ours_issuer = ls_auth.Issuer(signer.with_keys(ls_auth.Keyring(SECRET)))
    stock_issuer = ls_auth.Issuer(SECRET)  # HS256, exactly what simplejwt signs and checks
    pat = stock_issuer.mint_pat("1")
    stock_auth = JWTAuthentication()

    def ours_check(request: Request) -> object:
        return authentication._begin(authorization_bytes(request.META)).user_id_for_lookup

    def stock_check(request: Request) -> object:
        raw = stock_auth.get_raw_token(stock_auth.get_header(request))
        return stock_auth.get_validated_token(raw)["user_id"]  # type: ignore[arg-type]

    contenders: Dict[str, Tuple[Callable[[Request], object], ls_auth.Issuer]] = {
        "ours": (ours_check, ours_issuer),
        "stock": (stock_check, stock_issuer),
    }
    # Both accept their tokens, and refuse a tampered one.
    for name, (check, issuer) in contenders.items():
        token = issuer.refresh(pat)
        assert check(Request(token)) == "1", name
        try:
            check(Request(token[:-2] + ("AA" if token[-2:] != "AA" else "BA")))
        except Exception:  # noqa: BLE001 - each refuses with its own exception
            pass
        else:
            raise AssertionError(f"{name} accepted a tampered token")
    assert keys.request_cache().capacity >= args.tokens

    best: Dict[str, Dict[str, float]] = {n: {"first": float("inf"), "again": float("inf"),
                                             "stream": float("inf")} for n in contenders}
    perf = time.perf_counter_ns
    for _ in range(args.rounds):
        for name, (check, issuer) in contenders.items():
            requests = [Request(issuer.refresh(pat)) for _ in range(args.tokens)]
            b = best[name]
            # Groups of GROUP tokens, each timed on its own (a short window, as ratios.rs's
            # batches): first uses, then the nine uses more of the same tokens.
            for g in range(0, len(requests), GROUP):
                group = requests[g : g + GROUP]
                t0 = perf()
                for r in group:
                    check(r)
                t1 = perf()
                for _ in range(USES - 1):
                    for r in group:
                        check(r)
                t2 = perf()
                n = len(group)
                b["first"] = min(b["first"], (t1 - t0) / n)
                b["again"] = min(b["again"], (t2 - t1) / (n * (USES - 1)))
                b["stream"] = min(b["stream"], (t2 - t0) / (n * USES))
    result = {
        "cpu": cpu_line(),
        "python": platform.python_version(),
        "tokens_per_round": args.tokens,
        "uses_per_token": USES,
        "rounds": args.rounds,
        "ns": best,
        "stream_ratio": best["ours"]["stream"] / best["stock"]["stream"],
        "first_ratio": best["ours"]["first"] / best["stock"]["first"],
        "again_ratio": best["ours"]["again"] / best["stock"]["again"],
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(result["cpu"])
    print(f"Python {result['python']}; {args.tokens} tokens a round, each used {USES} times; "
          f"least over groups of {GROUP} tokens in {args.rounds} alternating rounds")
    print(f"  {'per request (µs)':<44} {'ours EdDSA':>11} {'stock HS256':>12} {'ours/stock':>11}")
    for key, label in (("stream", f"the stream ({USES} uses per token)"), ("first", "first use of a token"),
                       ("again", "uses 2 to 10")):
        o, s = best["ours"][key] / 1000, best["stock"][key] / 1000
        print(f"  {label:<44} {o:>11.2f} {s:>12.2f} {o / s:>10.2f}x")
    ok = result["stream_ratio"] <= 1.0
    print(f"target: ours no slower than stock over the stream: {'MET' if ok else 'NOT MET'} "
          f"({result['stream_ratio']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
