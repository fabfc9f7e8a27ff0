"""Benchmark: ls_auth against the pure-Python peers Label Studio and its SDK use today.

    source scripts/venv.sh && scripts/test-python   # or: maturin develop --release
    python bindings/python/bench.py          # human-readable tables
    python bindings/python/bench.py --json   # one JSON object instead (scripts/bench reads it)

Same process, same token, same key for every contender:
  * verification of one access token: ``ls_auth.Verifier.verify_access`` vs PyJWT's
    ``jwt.decode`` vs simplejwt's ``AccessToken(token)`` (what Label Studio runs per request);
  * classification of an API key: ``ls_auth.classify_api_key`` vs the SDK's PyJWT-based way
    (decode without verifying, look at ``token_type`` and ``exp``).
Per-call times are the best of several repeats of a timed loop; ratios are relative to ls_auth.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import timeit
from typing import Any, Dict, List, Tuple

import django
import jwt
from django.conf import settings

import ls_auth

SECRET = "django-insecure-bench-0123456789-abcdefghijklmnopqrstuvwxyz"

if not settings.configured:
    settings.configure(
        SECRET_KEY=SECRET,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework_simplejwt"],
        SIMPLE_JWT={"SIGNING_KEY": SECRET, "ALGORITHM": "HS256"},
        USE_TZ=True,
    )
    django.setup()

from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402


def measure(contenders: List[Tuple[str, str, Dict[str, Any]]], rounds: int, min_time: float) -> List[Tuple[str, float]]:
    """Best per-call time of each contender, in µs.

    Each contender is a statement timed by ``timeit`` (no lambda in the loop). Rounds interleave
    the contenders, so that a busy machine slows them alike, and the best round is kept.
    """
    timers = [(name, timeit.Timer(stmt, globals=env)) for name, stmt, env in contenders]
    loops = []
    for _, timer in timers:
        number, elapsed = timer.autorange()
        loops.append(max(1, int(number * min_time / max(elapsed, 1e-9))))
    best = [float("inf")] * len(timers)
    for _ in range(rounds):
        for i, (_, timer) in enumerate(timers):
            best[i] = min(best[i], timer.timeit(loops[i]) / loops[i])
    return [(name, t * 1e6) for (name, _), t in zip(timers, best)]


class ApiKeyExpired(Exception):
    pass


def sdk_classify(key: str) -> str:
    """How the SDK tells a PAT, an access token and a legacy key apart, with PyJWT."""
    try:
        claims = jwt.decode(key, options={"verify_signature": False, "verify_exp": False})
    except jwt.DecodeError:
        return "legacy"
    exp = claims.get("exp")
    if exp is None:
        raise ApiKeyExpired("API key has expired. Please obtain a new refresh token.")
    token_type = claims.get("token_type")
    if token_type == "refresh":
        if exp <= time.time():
            raise ApiKeyExpired("API key has expired. Please obtain a new refresh token.")
        return "pat"
    return "access"


def table(title: str, rows: List[Tuple[str, float]]) -> None:
    base = rows[0][1]
    print(f"\n{title}")
    print(f"  {'contender':<44} {'µs/call':>10} {'vs ls_auth':>11}")
    print(f"  {'-' * 44} {'-' * 10} {'-' * 11}")
    for name, us in rows:
        print(f"  {name:<44} {us:>10.2f} {us / base:>10.1f}×")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="interleaved rounds")
    parser.add_argument("--min-time", type=float, default=0.1, help="seconds per timed loop")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (times in ns) instead of the tables")
    args = parser.parse_args()

    issuer = ls_auth.Issuer(SECRET)
    # A Label Studio access token (token_type, exp, iat, jti, user_id: what simplejwt issues, and
    # the token of the Rust and C benches), about 230 bytes; the target is measured on it.
    access = issuer.refresh(issuer.mint_pat("1"))
    # The same with one extra claim, reported beside it (extra claims cost more in the core).
    pat = issuer.mint_pat("1", claims={"org": 1})
    access_org = issuer.refresh(pat)
    legacy = ls_auth.generate_legacy_key()
    verifier = ls_auth.Verifier(SECRET)

    # Everyone agrees on the token before we time anything.
    assert verifier.verify_access(access).user_id == "1"
    assert jwt.decode(access, SECRET, algorithms=["HS256"])["user_id"] == "1"
    assert AccessToken(access)["user_id"] == "1"
    assert verifier.verify_access(access_org).extra == {"org": 1}
    assert jwt.decode(access_org, SECRET, algorithms=["HS256"])["org"] == 1
    for key in (pat, access, access_org, legacy):
        assert ls_auth.classify_api_key(key) == sdk_classify(key)

    r, t = args.repeat, args.min_time
    if not args.json:
        print(f"ls_auth {ls_auth.__version__} · Python {platform.python_version()} · {platform.machine()}"
              f" · PyJWT {jwt.__version__} · Django {django.get_version()} · {r} rounds")
    env: Dict[str, Any] = {
        "verify": verifier.verify_access,
        "decode": jwt.decode,
        "AccessToken": AccessToken,
        "token": access,
        "key": SECRET,
        "algs": ["HS256"],
    }
    verify = measure(
        [
            ("ls_auth Verifier.verify_access", "verify(token)", env),
            ("PyJWT jwt.decode (HS256)", "decode(token, key, algorithms=algs)", env),
            ("simplejwt AccessToken(token)", "AccessToken(token)", env),
        ],
        r,
        t,
    )
    env_org = dict(env, token=access_org)
    verify_org = measure(
        [
            ("ls_auth Verifier.verify_access (+1 claim)", "verify(token)", env_org),
            ("PyJWT jwt.decode (HS256) (+1 claim)", "decode(token, key, algorithms=algs)", env_org),
        ],
        r,
        t,
    )
    classify: List[Tuple[str, float]] = []
    for label, key in (("PAT", pat), ("legacy key", legacy)):
        cenv: Dict[str, Any] = {"ours": ls_auth.classify_api_key, "sdk": sdk_classify, "key": key}
        classify += measure(
            [
                (f"ls_auth classify_api_key ({label})", "ours(key)", cenv),
                (f"SDK-style PyJWT classify ({label})", "sdk(key)", cenv),
            ],
            r,
            t,
        )
    ratio = verify[1][1] / verify[0][1]
    if args.json:
        print(json.dumps({
            "ls_auth": ls_auth.__version__,
            "python": platform.python_version(),
            "pyjwt": jwt.__version__,
            "django": django.get_version(),
            "rounds": r,
            "min_time": t,
            "token_bytes": len(access),
            "verify": [{"name": n, "ns": us * 1e3} for n, us in verify],
            "verify_extra_claim_token_bytes": len(access_org),
            "verify_extra_claim": [{"name": n, "ns": us * 1e3} for n, us in verify_org],
            "classify": [{"name": n, "ns": us * 1e3} for n, us in classify],
            "pyjwt_over_ls_auth": ratio,
            "target": 20,
        }, indent=2))
        return 0 if ratio >= 20 else 1
    table(f"Verify one access token (signature + claims), same token ({len(access)} bytes)", verify)
    table(f"The same with one extra claim, \"org\": 1 ({len(access_org)} bytes)", verify_org)
    table("Classify an API key (no key needed)", classify[:2])
    table("Classify an API key (no key needed)", classify[2:])

    print(f"\nverify_access vs PyJWT: {ratio:.1f}× faster (target ≥ 20×): {'OK' if ratio >= 20 else 'BELOW TARGET'}")
    return 0 if ratio >= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
