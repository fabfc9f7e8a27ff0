#!/usr/bin/env python3
"""Writes tests/vectors/peers.json: tokens minted by the real peers (simplejwt 5.5.1 and PyJWT
2.10.1, what Label Studio 1.23.2 runs), and the exact bytes ls-auth must mint for the same
claims.

    source scripts/venv.sh && python tests/vectors/generate_peer_vectors.py [--check]
    target/venv/bin/python tests/vectors/generate_peer_vectors.py [--check]
    python3 tests/vectors/generate_peer_vectors.py [--check]   # sources scripts/venv.sh itself

Django is configured in-process with a fixed SECRET_KEY and Label Studio's simplejwt settings;
the clock and uuid4 seen by simplejwt are replaced, so the output is deterministic. PATs come
from `RefreshToken.for_user` and access tokens from `.access_token`, as on the server.
"""

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "peers.json"

SECRET_KEY = "django-insecure-peer-vectors-l@bel-studio-1.23.2-0123456789abcdef"
T1 = 1_700_000_000  # the PATs are minted
T2 = T1 + 1_234  # the PATs are exchanged for access tokens
DAY = 86_400
PAT_TTL_DAYS = 73_000
ACCESS_TTL = 300

DEFAULT_SETTINGS = {
    "api_tokens_enabled": True,
    "legacy_api_tokens_enabled": False,
    "pat_ttl_days": PAT_TTL_DAYS,
    "enforce_ttl_on_existing": True,
}

# The simplejwt configurations to mint under; each runs in its own process because simplejwt
# reads its settings at import time.
PROFILES = {
    "ls": {"issuer": None, "audience": None},
    "iss_aud": {"issuer": "https://ls.example.com", "audience": "label-studio"},
}

USERS = [
    # (label, user id, extra claims set on the PAT)
    ("user1", 1, {}),
    ("extras", 42, {
        "org": {"id": 7, "name": "Zoë & Søn", "roles": ["admin", "annotator"]},
        "team": "データ",
        "emoji": "😀",
        "count": 12345678901,
        "neg": -3,
        "flag": True,
        "nothing": None,
        "score": 0.1,
        "tiny": 8.674636977361869e-29,
        "small": 1e-05,
        "huge": -1.5e300,
        "whole": 100.0,
    }),
    ("escapes", 123456789, {
        "email": 'a"b\\c/d@example.com',
        "ctrl": "\t\n\r\b\f\u0001\u007f",
        "empty": {},
        "list": [],
    }),
]


def ensure_peers():
    """Re-runs this script inside target/venv (made by scripts/venv.sh) unless the peers are
    importable already."""
    try:
        import django  # noqa: F401
        import jwt  # noqa: F401
        import rest_framework_simplejwt  # noqa: F401
        return
    except ImportError:
        if os.environ.get("LS_AUTH_PEER_VENV") == "1":
            raise
    env = dict(os.environ, LS_AUTH_PEER_VENV="1")
    cmd = ["bash", "-c", 'source "$1/scripts/venv.sh" && shift && exec python "$@"', "bash",
           str(ROOT), str(Path(__file__).resolve()), *sys.argv[1:]]
    sys.exit(subprocess.call(cmd, env=env))


def uuid4_from(seed):
    b = bytearray(hashlib.sha256(seed.encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(b))


def payload_of(token):
    seg = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


# `Claims::to_json()` of a payload: the one definition, in the other generator beside this one.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import expected_claims  # noqa: E402


def case(name, group, op, expect, *, input, now, policy, mint=None, settings=None,
         revoked=()):
    return {
        "name": name,
        "group": group,
        "rule": "§1",
        "attack": None,
        "op": op,
        "input": input,
        "now": now,
        "keys": [{"secret": SECRET_KEY}],
        "allow_short_key": False,
        "policy": {"leeway": 0, "access_ttl": ACCESS_TTL, **policy},
        "settings": dict(settings or DEFAULT_SETTINGS),
        "revoked": list(revoked),
        "mint": mint,
        "expect": expect,
    }


# ----------------------------------------------------------------------------------------------
# One profile, in this process


def simplejwt_cases(profile):
    policy = PROFILES[profile]
    import django
    from django.conf import settings

    simple_jwt = {
        "ALGORITHM": "HS256",
        "SIGNING_KEY": SECRET_KEY,
        "USER_ID_FIELD": "id",
        "USER_ID_CLAIM": "user_id",
        "ACCESS_TOKEN_LIFETIME": dt.timedelta(seconds=ACCESS_TTL),
        "REFRESH_TOKEN_LIFETIME": dt.timedelta(days=PAT_TTL_DAYS),
        "ROTATE_REFRESH_TOKENS": False,
        "AUTH_HEADER_TYPES": ("Bearer",),
    }
    if policy["audience"] is not None:
        simple_jwt["AUDIENCE"] = policy["audience"]
    if policy["issuer"] is not None:
        simple_jwt["ISSUER"] = policy["issuer"]
    settings.configure(
        SECRET_KEY=SECRET_KEY,
        USE_TZ=True,
        DATABASES={},
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "rest_framework_simplejwt",
        ],
        SIMPLE_JWT=simple_jwt,
    )
    django.setup()
    from rest_framework_simplejwt import tokens
    from rest_framework_simplejwt.exceptions import TokenError

    clock = {"now": T1}
    tokens.aware_utcnow = lambda: dt.datetime.fromtimestamp(clock["now"], tz=dt.timezone.utc)
    seq = {"n": 0}

    def fake_uuid4():
        seq["n"] += 1
        return uuid4_from(f"{profile}-{seq['n']}")

    tokens.uuid4 = fake_uuid4

    class StandInUser:
        is_active = True

        def __init__(self, id):
            self.id = id

    group = "peer_simplejwt"
    out = []
    for label, user_id, extras in USERS:
        prefix = f"peer_simplejwt_{profile}_{label}"
        clock["now"] = T1
        pat_obj = tokens.RefreshToken.for_user(StandInUser(user_id))
        for k, v in extras.items():
            pat_obj[k] = v
        pat = str(pat_obj)
        pat_claims = payload_of(pat)
        assert pat_claims["user_id"] == str(user_id), pat_claims
        assert pat_claims["iat"] == T1 and pat_claims["exp"] == T1 + PAT_TTL_DAYS * DAY

        clock["now"] = T2
        refresh = tokens.RefreshToken(pat)  # verifies it, as the refresh view does
        access = str(refresh.access_token)
        access_claims = payload_of(access)
        assert access_claims["iat"] == T2 and access_claims["exp"] == T2 + ACCESS_TTL

        # The peer itself refuses its access token once exp == now.
        clock["now"] = T2 + ACCESS_TTL
        try:
            tokens.AccessToken(access)
            raise AssertionError("simplejwt accepted an access token at exp")
        except TokenError:
            pass

        out += [
            case(f"{prefix}_mint_pat", group, "mint_pat", {"ok": pat}, input="", now=T1,
                 policy=policy,
                 mint={"user_id": str(user_id), "claims": extras, "jti": pat_claims["jti"]}),
            case(f"{prefix}_verify_refresh", group, "verify_refresh",
                 {"ok": expected_claims(pat_claims)}, input=pat, now=T2, policy=policy),
            case(f"{prefix}_refresh", group, "refresh", {"ok": access}, input=pat, now=T2,
                 policy=policy, mint={"jti": access_claims["jti"]}),
            case(f"{prefix}_verify_access", group, "verify_access",
                 {"ok": expected_claims(access_claims)}, input=access, now=T2 + 1,
                 policy=policy),
            case(f"{prefix}_access_expired_at_exp", group, "verify_access",
                 {"error": "token_expired"}, input=access, now=T2 + ACCESS_TTL, policy=policy),
            case(f"{prefix}_pat_as_access", group, "verify_access",
                 {"error": "wrong_token_type"}, input=pat, now=T2, policy=policy),
        ]
        if profile == "ls":
            out.append(case(f"{prefix}_authenticate_bearer", group, "authenticate",
                            {"ok": {"principal": "jwt",
                                    "claims": expected_claims(access_claims)}},
                            input="Bearer " + access, now=T2 + 1, policy=policy))
    return out


def pyjwt_cases():
    import jwt

    policy = PROFILES["ls"]
    group = "peer_pyjwt"
    now = T1
    base = {"token_type": "access", "exp": now + 300, "iat": now,
            "jti": uuid4_from("pyjwt-access").hex, "user_id": "5"}

    def enc(payload, headers=None, algorithm="HS256", key=SECRET_KEY):
        return jwt.encode(payload, key, algorithm=algorithm, headers=headers)

    out = []

    def add(name, op, token, expect, now=now, pol=policy):
        out.append(case(f"peer_pyjwt_{name}", group, op, expect, input=token, now=now,
                        policy=pol))

    t = enc(base)
    assert t.split(".")[0] == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    add("access", "verify_access", t, {"ok": expected_claims(base)})
    t = enc(base, headers={"kid": "2024-01"})
    add("access_with_kid", "verify_access", t, {"ok": expected_claims(base)})
    p = dict(base, user_id=7, org={"name": "Zoë", "ids": [1, 2, 3]})
    add("access_int_user_id_and_extras", "verify_access", enc(p), {"ok": expected_claims(p)})
    p = dict(base, token_type="refresh", exp=now + PAT_TTL_DAYS * DAY,
             jti=uuid4_from("pyjwt-pat").hex)
    add("pat", "verify_refresh", enc(p), {"ok": expected_claims(p)})
    p = dict(base, aud=["other", "label-studio"], iss="https://ls.example.com")
    add("access_aud_list_iss", "verify_access", enc(p), {"ok": expected_claims(p)},
        pol=PROFILES["iss_aud"])
    p = dict(base, nbf=now + 10)
    add("access_nbf_future", "verify_access", enc(p), {"error": "token_not_yet_valid"})
    add("access_hs512", "verify_access", enc(base, algorithm="HS512"),
        {"error": "unsupported_algorithm"})
    add("access_other_key", "verify_access",
        enc(base, key=SECRET_KEY[::-1]), {"error": "invalid_signature"})
    add("access_expired", "verify_access", enc(base), {"error": "token_expired"},
        now=now + 300)
    p = {k: v for k, v in base.items() if k != "exp"}
    add("access_without_exp", "verify_access", enc(p), {"error": "missing_claim"})
    return out


# ----------------------------------------------------------------------------------------------


def generate():
    cases = []
    for profile in PROFILES:
        res = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--profile",
                              profile], check=True, capture_output=True, text=True)
        cases += json.loads(res.stdout)
    cases += pyjwt_cases()
    import django
    import jwt
    import rest_framework_simplejwt

    simplejwt_version = getattr(rest_framework_simplejwt, "__version__", "5.5.1")
    doc = {
        "description": (
            "Tokens minted by the real peers: djangorestframework-simplejwt "
            f"{simplejwt_version} (RefreshToken.for_user, .access_token; Label Studio 1.23.2 "
            f"settings) and PyJWT {jwt.__version__} (jwt.encode), with Django "
            f"{django.get_version()}. ls-auth must accept them with these exact claims and "
            "mint the same bytes for the same claims. Generated by generate_peer_vectors.py; "
            "do not edit."
        ),
        "cases": cases,
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="exit non-zero if peers.json differs from what the peers make")
    ap.add_argument("--profile", choices=sorted(PROFILES), help=argparse.SUPPRESS)
    args = ap.parse_args()
    ensure_peers()
    if args.profile:
        json.dump(simplejwt_cases(args.profile), sys.stdout, ensure_ascii=False)
        return 0
    text = generate()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print("stale peer vectors (run tests/vectors/generate_peer_vectors.py)",
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(json.loads(text)['cases'])} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
