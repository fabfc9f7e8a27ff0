"""Memory soak of the Python module: run by scripts/bench, never by the tests.

    python bindings/python/soak.py [--verifications N] [--refreshes N] [--refcount-calls N]

Verifies an access token N times and refreshes a PAT M times in this process, printing the
resident set size before and after (taken after a warm-up of 1% of each), then checks Python
reference counts over K more verifications: the Verifier, the token string and the result
type must hold the same counts after as before, and the number of objects the garbage
collector tracks must not grow. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys

import ls_auth

SECRET = "soak-secret-key-of-at-least-32-bytes!!"
NOW = 1_700_000_000


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verifications", type=int, default=10_000_000)
    ap.add_argument("--refreshes", type=int, default=1_000_000)
    ap.add_argument("--refcount-calls", type=int, default=1_000_000)
    args = ap.parse_args()

    issuer = ls_auth.Issuer(SECRET)
    pat = issuer.mint_pat("1", claims={"org": {"id": 1, "roles": ["a"]}}, now=NOW)
    access = issuer.refresh(pat, now=NOW)
    verifier = ls_auth.Verifier(SECRET)
    verify = verifier.verify_access
    refresh = issuer.refresh

    def run(v: int, r: int) -> None:
        for i in range(v):
            claims = verify(access, now=NOW + 1)
            if i % 16 == 0:
                claims.extra  # the lazily built extra claims, soaked too
        for _ in range(r):
            refresh(pat, now=NOW + 1)

    run(args.verifications // 100, args.refreshes // 100)
    gc.collect()
    before = rss_kib()
    run(args.verifications, args.refreshes)
    gc.collect()
    after = rss_kib()

    # Reference counts: the objects passed in and the type handed out.
    watched = {"verifier": verifier, "token": access, "Claims type": ls_auth.Claims,
               "bound method": verify}
    gc.collect()
    counts_before = {k: sys.getrefcount(v) for k, v in watched.items()}
    objects_before = len(gc.get_objects())
    total_before = getattr(sys, "gettotalrefcount", lambda: None)()
    for _ in range(args.refcount_calls):
        verify(access, now=NOW + 1)
    gc.collect()
    counts_after = {k: sys.getrefcount(v) for k, v in watched.items()}
    objects_after = len(gc.get_objects())
    total_after = getattr(sys, "gettotalrefcount", lambda: None)()
    print(json.dumps({
        "verifications": args.verifications,
        "refreshes": args.refreshes,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "refcount_calls": args.refcount_calls,
        "refcounts_before": counts_before,
        "refcounts_after": counts_after,
        "gc_objects_before": objects_before,
        "gc_objects_after": objects_after,
        "total_refcount_before": total_before,
        "total_refcount_after": total_after,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
