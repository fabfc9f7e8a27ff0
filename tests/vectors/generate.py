#!/usr/bin/env python3
"""Writes tests/vectors/{core,adversarial,admission,origin,jwks}.json (format: README.md).

Python standard library only, deterministic. Tokens are built from header and payload JSON
*text*, so a case can hold duplicate keys, floats, a BOM or trailing garbage, then signed with
HMAC and, for some cases, tampered with afterwards.

    python3 tests/vectors/generate.py           # write the files
    python3 tests/vectors/generate.py --check   # exit 1 if the committed files differ

Expected outcomes come from docs/contract.md, never from running the code: a vector that fails is a
finding about the implementation until proven otherwise.
"""

import argparse
import base64
import copy
import hashlib
import hmac
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

NOW = 1_700_000_000
DAY = 86_400
PAT_TTL_DAYS = 73_000
ACCESS_TTL = 300

# HS256 text secrets, used as their UTF-8 bytes (like Django's SECRET_KEY).
SECRET = "django-insecure-ls-auth-vectors-0123456789-abcdefghijklmnop"
OLD_SECRET = "django-insecure-previous-secret-now-a-fallback-0123456789"
OTHER_SECRET = "an-attackers-guess-at-the-secret-key-0123456789abcdefg"
SHORT_SECRET = "django-short-key"  # 16 bytes: key_too_short unless opted in
SECRET_31 = "x" * 31
SECRET_32 = "y" * 32

# What an attacker might find and use as an HMAC key (algorithm confusion, CVE-2015-9235 and
# its descendants). The values only need to be fixed text.
PEM_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n"
    "+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh\n"
    "kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ\n"
    "0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg\n"
    "cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc\n"
    "mwIDAQAB\n"
    "-----END PUBLIC KEY-----\n"
)
SSH_ED25519_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl "
    "ops@label-studio"
)

LEGACY_KEY = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"

HS256_HEADER = '{"alg":"HS256","typ":"JWT"}'

DEFAULT_POLICY = {"leeway": 0, "access_ttl": ACCESS_TTL, "issuer": None, "audience": None,
                  "access_names_pat": False}
DEFAULT_SETTINGS = {
    "api_tokens_enabled": True,
    "legacy_api_tokens_enabled": False,
    "pat_ttl_days": PAT_TTL_DAYS,
    "enforce_ttl_on_existing": True,
    "has_organization": True,
}

DELETE = object()  # marks a claim to drop from a template


# ----------------------------------------------------------------------------------------------
# Building blocks


def uuid4_hex(seed):
    """A deterministic UUID4 (version and variant bits set) as 32 lowercase hex."""
    b = bytearray(hashlib.sha256(seed.encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return b.hex()


def dumps(obj):
    """JSON the way PyJWT (and so the server) writes it: compact, ensure_ascii."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def b64(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64_std(data):
    """Standard alphabet, unpadded: `+` and `/` instead of `-` and `_`."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).rstrip(b"=").decode("ascii")


def b64_padded(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).decode("ascii")


DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def mac(signing_input, secret=SECRET, digest="HS256"):
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    return b64(hmac.new(secret, signing_input.encode("ascii"), DIGESTS[digest]).digest())


def sign_input(signing_input, secret=SECRET, digest="HS256"):
    """`signing_input` + "." + its MAC: re-signs whatever text was tampered with."""
    return signing_input + "." + mac(signing_input, secret, digest)


def jwt(payload, header=HS256_HEADER, secret=SECRET, digest="HS256"):
    """A signed compact JWS from header and payload given as JSON text (or objects)."""
    if not isinstance(payload, (str, bytes)):
        payload = dumps(payload)
    if not isinstance(header, (str, bytes)):
        header = dumps(header)
    return sign_input(b64(header) + "." + b64(payload), secret, digest)


def segments(token):
    return token.split(".")


def template(base, over):
    out = dict(base)
    for k, v in over.items():
        if v is DELETE:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def access_claims(**over):
    base = {
        "token_type": "access",
        "exp": NOW - 10 + ACCESS_TTL,
        "iat": NOW - 10,
        "jti": uuid4_hex("access"),
        "user_id": "1",
    }
    return template(base, over)


PAT_IAT = NOW - DAY


def pat_claims(**over):
    base = {
        "token_type": "refresh",
        "exp": PAT_IAT + PAT_TTL_DAYS * DAY,
        "iat": PAT_IAT,
        "jti": uuid4_hex("pat"),
        "user_id": "1",
    }
    return template(base, over)


def expected_claims(payload):
    """What `Claims::to_json()` holds for a payload that verifies: the same object, with an
    integer `user_id` as its decimal string and `aud` always a list."""
    if not isinstance(payload, dict):
        payload = json.loads(payload)
    out = dict(payload)
    if isinstance(out.get("user_id"), int) and not isinstance(out["user_id"], bool):
        out["user_id"] = str(out["user_id"])
    if isinstance(out.get("aud"), str):
        out["aud"] = [out["aud"]]
    return out


def ok(value):
    return {"ok": value}


def err(code):
    return {"error": code}


# The WWW-Authenticate challenge of each code (contract §2): written out here, from the contract, so
# that every binding is held to the same bytes.
def _challenge(error, description):
    return f'Bearer realm="api", error="{error}", error_description="{description}"'


CHALLENGES = {
    "no_credentials": 'Bearer realm="api"',
    "unsupported_scheme": 'Bearer realm="api"',
    "malformed_header": _challenge("invalid_request", "authorization header is malformed"),
    "header_too_large": _challenge("invalid_request", "authorization header is larger than 8 KiB"),
    "malformed_token": _challenge("invalid_token", "token is malformed"),
    "token_too_large": _challenge("invalid_token", "token is larger than 4 KiB"),
    "unsupported_algorithm": _challenge("invalid_token", "token algorithm is not allowed"),
    "invalid_signature": _challenge("invalid_token", "token signature is invalid"),
    "token_expired": _challenge("invalid_token", "token has expired"),
    "token_not_yet_valid": _challenge("invalid_token", "token is not valid yet"),
    "issued_in_future": _challenge("invalid_token", "token was issued in the future"),
    "missing_claim": _challenge("invalid_token", "token is missing a required claim"),
    "invalid_claim": _challenge("invalid_token", "token has an invalid claim"),
    "wrong_token_type": _challenge("invalid_token", "token has the wrong type"),
    "token_revoked": _challenge("invalid_token", "token has been revoked"),
    "token_kind_disabled": _challenge("invalid_token", "this kind of API token is disabled"),
    "pat_ttl_exceeded": _challenge("invalid_token",
                                   "token is older than the organisation's token lifetime"),
    "no_organization": _challenge("invalid_token", "the user has no active organisation"),
    "key_too_short": None,
    "invalid_argument": None,
    "unknown_key_id": _challenge("invalid_token", "token key id is not in the key set"),
    "invalid_key_set": None,
}

CODES = {
    "no_credentials", "unsupported_scheme", "malformed_header", "header_too_large",
    "malformed_token", "token_too_large", "unsupported_algorithm", "invalid_signature",
    "token_expired", "token_not_yet_valid", "issued_in_future", "missing_claim",
    "invalid_claim", "wrong_token_type", "token_revoked", "token_kind_disabled",
    "pat_ttl_exceeded", "key_too_short", "invalid_argument", "no_organization",
    "unknown_key_id", "invalid_key_set",
}
OPS = {
    "parse_authorization", "verify_access", "verify_refresh", "authenticate",
    "classify_api_key", "check_legacy_key", "mint_pat", "refresh", "rotate",
    "inspect_key", "www_authenticate", "credential_scope", "public_jwks",
}
# The two-step forms for hosts whose settings depend on the user: step one verifies and names
# what to look up (the case's `expect.lookup`), step two applies `settings` (and `revoked`).
TWO_STEP_OPS = {
    "authenticate_two_step", "verify_refresh_two_step", "refresh_two_step", "rotate_two_step",
}


class Suite:
    def __init__(self, description, adversarial):
        self.description = description
        self.adversarial = adversarial
        self.cases = []

    def add(self, name, group, rule, op, expect, *, attack=None, input=None, input_hex=None,
            input_repeat=None, now=NOW, keys=None, allow_short_key=False, policy=None,
            settings=None, revoked=(), mint=None, base_url=None):
        assert op in OPS | TWO_STEP_OPS, op
        assert (base_url is not None) == (op == "credential_scope"), name
        assert sum(x is not None for x in (input, input_hex, input_repeat)) == 1, name
        assert ("ok" in expect) != ("error" in expect), name
        assert ("lookup" in expect) == (op in TWO_STEP_OPS), name
        assert "error" not in expect or expect["error"] in CODES, name
        assert self.adversarial is None or (attack is not None) == self.adversarial, name
        if keys is None:
            keys = [SECRET]
        case = {
            "name": name,
            "group": group,
            "rule": rule,
            "attack": attack,
            "op": op,
        }
        if base_url is not None:
            case["base_url"] = base_url
        if input is not None:
            case["input"] = input
        elif input_hex is not None:
            case["input_hex"] = input_hex
        else:
            case["input_repeat"] = input_repeat
        case.update({
            "now": now,
            "keys": [k if isinstance(k, dict)
                     else {"secret_hex": k.hex()} if isinstance(k, bytes) else {"secret": k}
                     for k in keys],
            "allow_short_key": allow_short_key,
            "policy": template(DEFAULT_POLICY, policy or {}),
            "settings": template(DEFAULT_SETTINGS, settings or {}),
            "revoked": list(revoked),
            "mint": mint,
            "expect": expect,
        })
        self.cases.append(case)

    def document(self):
        return {"description": self.description, "cases": self.cases}


def repeat(prefix, unit, count, suffix=""):
    return {"prefix": prefix, "unit": unit, "count": count, "suffix": suffix}


def hexs(data):
    return data.hex() if isinstance(data, bytes) else data.encode("utf-8").hex()


# ----------------------------------------------------------------------------------------------
# Expected bytes of minted tokens (our serialisation, which is the server's)


def minted(claims, secret=SECRET):
    return jwt(dumps(claims), secret=secret)


def expected_pat(user_id, extra, jti, now, ttl_days=PAT_TTL_DAYS, policy=None, secret=SECRET):
    policy = policy or DEFAULT_POLICY
    claims = {
        "token_type": "refresh",
        "exp": now + ttl_days * DAY,
        "iat": now,
        "jti": jti,
        "user_id": user_id,
    }
    claims.update(extra)
    # simplejwt's TokenBackend.encode appends aud, then iss, after every other claim.
    if policy.get("audience") is not None and "aud" not in extra:
        claims["aud"] = policy["audience"]
    if policy.get("issuer") is not None and "iss" not in extra:
        claims["iss"] = policy["issuer"]
    return minted(claims, secret)


def reissued(pat, kind, ttl, jti, now, secret=SECRET, names_pat=False):
    """The token an issuer mints from `pat`: its claims in order but the issuer's own (and never
    the PAT's `pat_jti`); with `names_pat` (contract §3.11) an access token ends with the PAT's
    `jti` as `pat_jti` and expires no later than the PAT."""
    payload = json.loads(base64.urlsafe_b64decode(segments(pat)[1] + "=="))
    exp = now + ttl
    if names_pat:
        exp = min(exp, max(now, payload["exp"]))
    claims = {"token_type": kind, "exp": exp, "iat": now, "jti": jti}
    for k, v in payload.items():
        if k not in ("token_type", "exp", "iat", "jti", "pat_jti"):
            claims[k] = v
    if names_pat:
        claims["pat_jti"] = payload["jti"]
    return minted(claims, secret)


# ----------------------------------------------------------------------------------------------
# core.json: every rule of contract §2, §3 and §5, and minting


def core():
    s = Suite(
        "Every rule of contract §2 (Authorization header), §3 (verification) and §5 (client side), "
        "plus the exact bytes of minted, refreshed and rotated tokens. Generated by "
        "generate.py; do not edit.",
        adversarial=False,
    )
    access = jwt(access_claims())
    pat = jwt(pat_claims())

    # --- §2 header grammar -------------------------------------------------------------------
    g, r = "header", "§2"
    s.add("header_bearer", g, r, "parse_authorization",
          ok({"scheme": "bearer", "token": "abc.def.ghi"}), input="Bearer abc.def.ghi")
    s.add("header_token", g, r, "parse_authorization",
          ok({"scheme": "token", "token": LEGACY_KEY}), input="Token " + LEGACY_KEY)
    s.add("header_scheme_case_insensitive_bearer", g, r, "parse_authorization",
          ok({"scheme": "bearer", "token": "abc"}), input="bEaReR abc")
    s.add("header_scheme_case_insensitive_token", g, r, "parse_authorization",
          ok({"scheme": "token", "token": "abc"}), input="TOKEN abc")
    s.add("header_several_spaces_after_scheme", g, r, "parse_authorization",
          ok({"scheme": "bearer", "token": "a.b.c"}), input="Bearer    a.b.c")
    s.add("header_surrounding_whitespace_trimmed", g, r, "parse_authorization",
          ok({"scheme": "bearer", "token": "a.b.c"}), input=" \t Bearer a.b.c \t ")
    s.add("header_token68_full_alphabet", g, r, "parse_authorization",
          ok({"scheme": "bearer", "token": "AZaz09-._~+/=="}), input="Bearer AZaz09-._~+/==")
    s.add("header_empty", g, r, "parse_authorization", err("no_credentials"), input="")
    s.add("header_only_whitespace", g, r, "parse_authorization", err("no_credentials"),
          input=" \t  ")
    s.add("header_basic_is_not_ours", g, r, "parse_authorization", err("unsupported_scheme"),
          input="Basic dXNlcjpwYXNzd29yZA==")
    s.add("header_scheme_without_token", g, r, "parse_authorization", err("malformed_header"),
          input="Bearer")
    s.add("header_scheme_and_spaces_only", g, r, "parse_authorization", err("malformed_header"),
          input="Token   ")
    s.add("header_two_tokens", g, r, "parse_authorization", err("malformed_header"),
          input="Bearer a.b.c d.e.f")
    s.add("header_char_outside_token68", g, r, "parse_authorization", err("malformed_header"),
          input="Bearer a.b.c;")
    s.add("header_equals_inside_token", g, r, "parse_authorization", err("malformed_header"),
          input="Bearer ab=c")
    s.add("header_at_8_kib", g, r, "parse_authorization",
          ok({"scheme": "bearer", "token": "a" * (8192 - 7)}),
          input_repeat=repeat("Bearer ", "a", 8192 - 7))
    s.add("header_over_8_kib", g, r, "parse_authorization", err("header_too_large"),
          input_repeat=repeat("Bearer ", "a", 8192 - 6))

    # --- §2 authenticate ------------------------------------------------------------------------
    g, r = "authenticate", "§2"
    legacy_on = {"legacy_api_tokens_enabled": True}
    s.add("authenticate_bearer_access", g, r, "authenticate",
          ok({"principal": "jwt", "claims": expected_claims(access_claims())}),
          input="Bearer " + access)
    s.add("authenticate_token_legacy_enabled", g, r, "authenticate",
          ok({"principal": "legacy", "key": LEGACY_KEY}), input="Token " + LEGACY_KEY,
          settings=legacy_on)
    s.add("authenticate_token_legacy_disabled_by_default", g, "§1", "authenticate",
          err("token_kind_disabled"), input="Token " + LEGACY_KEY)
    s.add("authenticate_jwt_sent_as_token", g, r, "authenticate", err("wrong_token_type"),
          input="Token " + access, settings=legacy_on)
    s.add("authenticate_legacy_sent_as_bearer", g, r, "authenticate", err("wrong_token_type"),
          input="Bearer " + LEGACY_KEY, settings=legacy_on)
    s.add("authenticate_pat_sent_as_bearer", g, "§1", "authenticate", err("wrong_token_type"),
          input="Bearer " + pat)
    s.add("authenticate_api_tokens_disabled", g, "§1", "authenticate",
          err("token_kind_disabled"), input="Bearer " + access,
          settings={"api_tokens_enabled": False})
    s.add("authenticate_no_header", g, r, "authenticate", err("no_credentials"), input="")
    s.add("authenticate_other_scheme", g, r, "authenticate", err("unsupported_scheme"),
          input="Digest username=\"u\"")
    s.add("authenticate_malformed_header", g, r, "authenticate", err("malformed_header"),
          input="Bearer " + access + " extra")
    s.add("authenticate_expired_access", g, r, "authenticate", err("token_expired"),
          input="Bearer " + access, now=NOW - 10 + ACCESS_TTL)
    s.add("authenticate_token_too_large_inside_header", g, "§3.1", "authenticate",
          err("token_too_large"), input="Bearer " + sized_token(4097))
    s.add("authenticate_legacy_enabled_api_disabled", g, "§1", "authenticate",
          ok({"principal": "legacy", "key": LEGACY_KEY}), input="Token " + LEGACY_KEY,
          settings={"legacy_api_tokens_enabled": True, "api_tokens_enabled": False})
    s.add("authenticate_malformed_legacy_key", g, r, "authenticate", err("malformed_token"),
          input="Token " + LEGACY_KEY.upper(), settings=legacy_on)

    # --- §3.1 size cap ---------------------------------------------------------------------------
    g = "structure"
    big = sized_token(4096)
    s.add("token_at_4_kib", g, "§3.1", "verify_access",
          ok(expected_claims(segments_payload(big))), input=big)
    too_big = sized_token(4097)
    s.add("token_over_4_kib", g, "§3.1", "verify_access", err("token_too_large"),
          input=too_big)

    # --- §3.2 structure -------------------------------------------------------------------------
    r = "§3.2"
    h, p, sig = segments(access)
    s.add("access_token_verifies", g, r, "verify_access", ok(expected_claims(access_claims())),
          input=access)
    s.add("truncated_form_is_not_a_token", g, r, "verify_access", err("malformed_token"),
          input=h + "." + p)
    s.add("four_segments", g, r, "verify_access", err("malformed_token"),
          input=access + ".e30")
    s.add("padding_on_signature", g, r, "verify_access", err("malformed_token"),
          input=h + "." + p + "." + sig + "=")
    s.add("padding_on_payload_resigned", g, r, "verify_access", err("malformed_token"),
          input=sign_input(h + "." + padded_claims()))
    std_payload = dumps(access_claims(x="~~~>>>???"))
    assert "+" in b64_std(std_payload) or "/" in b64_std(std_payload)
    s.add("standard_alphabet_payload_resigned", g, r, "verify_access", err("malformed_token"),
          input=sign_input(h + "." + b64_std(std_payload)))
    s.add("non_canonical_signature_trailing_bits", g, r, "verify_access",
          err("malformed_token"), input=h + "." + p + "." + non_canonical(sig))
    s.add("empty_signature", g, r, "verify_access", err("invalid_signature"),
          input=h + "." + p + ".")
    structural_damage(s, g, r, access)

    # --- §3.3 header ------------------------------------------------------------------------------
    g, r = "header_json", "§3.3"
    s.add("alg_none_refused", g, r, "verify_access", err("unsupported_algorithm"),
          input=b64('{"alg":"none","typ":"JWT"}') + "." + p + ".")
    s.add("alg_hs512_when_hs256_configured", g, r, "verify_access",
          err("unsupported_algorithm"),
          input=jwt(access_claims(), header='{"alg":"HS512","typ":"JWT"}', digest="HS512"))
    s.add("alg_missing", g, r, "verify_access", err("unsupported_algorithm"),
          input=jwt(access_claims(), header='{"typ":"JWT"}'))
    s.add("typ_absent_is_fine", g, r, "verify_access", ok(expected_claims(access_claims())),
          input=jwt(access_claims(), header='{"alg":"HS256"}'))
    s.add("typ_other_than_jwt", g, r, "verify_access", err("malformed_token"),
          input=jwt(access_claims(), header='{"alg":"HS256","typ":"at+jwt"}'))
    s.add("crit_present", g, r, "verify_access", err("malformed_token"),
          input=jwt(access_claims(), header='{"alg":"HS256","typ":"JWT","crit":["exp"]}'))
    s.add("duplicate_key_in_header", g, r, "verify_access", err("malformed_token"),
          input=jwt(access_claims(), header='{"alg":"HS256","typ":"JWT","typ":"JWT"}'))
    dup_claims = dumps(access_claims())[:-1] + ',"user_id":"2"}'
    s.add("duplicate_key_in_claims", g, r, "verify_access", err("malformed_token"),
          input=jwt(dup_claims))
    s.add("header_not_an_object", g, r, "verify_access", err("malformed_token"),
          input=jwt(access_claims(), header='["HS256"]'))
    s.add("unknown_header_members_ignored", g, r, "verify_access",
          ok(expected_claims(access_claims())),
          input=jwt(access_claims(), header='{"alg":"HS256","typ":"JWT","kid":"k1","x":{}}'))

    # --- §3.4 signature --------------------------------------------------------------------------
    g, r = "signature", "§3.4"
    s.add("signed_with_another_key", g, r, "verify_access", err("invalid_signature"),
          input=jwt(access_claims(), secret=OTHER_SECRET))
    forged = b64(dumps(access_claims(user_id="2")))
    s.add("payload_changed_signature_kept", g, r, "verify_access", err("invalid_signature"),
          input=h + "." + forged + "." + sig)
    s.add("signature_of_another_token", g, r, "verify_access", err("invalid_signature"),
          input=h + "." + p + "." + segments(pat)[2])
    s.add("signature_truncated", g, r, "verify_access", err("invalid_signature"),
          input=h + "." + p + "." + sig[:-4])

    # --- §3.5 claims ------------------------------------------------------------------------------
    g, r = "claims", "§3.5"

    def va(name, expect, claims, **kw):
        s.add(name, g, r, "verify_access", expect, input=jwt(claims), **kw)

    va("exp_missing", err("missing_claim"), access_claims(exp=DELETE))
    va("exp_string", err("invalid_claim"), access_claims(exp=str(NOW + 100)))
    va("exp_float", err("invalid_claim"), f'{{"token_type":"access","exp":{NOW + 100}.5,'
       f'"iat":{NOW},"jti":"{uuid4_hex("f")}","user_id":"1"}}')
    va("exp_null_is_not_absent", err("invalid_claim"), access_claims(exp=None))
    va("exp_equal_now_is_expired", err("token_expired"), access_claims(exp=NOW))
    va("exp_one_second_left", ok(expected_claims(access_claims(exp=NOW + 1))),
       access_claims(exp=NOW + 1))
    va("exp_within_leeway", ok(expected_claims(access_claims(exp=NOW - 5))),
       access_claims(exp=NOW - 5), policy={"leeway": 10})
    va("exp_at_leeway_edge", err("token_expired"), access_claims(exp=NOW - 10),
       policy={"leeway": 10})
    va("iat_in_future", err("issued_in_future"), access_claims(iat=NOW + 1, exp=NOW + 301))
    va("iat_in_future_within_leeway", ok(expected_claims(access_claims(iat=NOW + 10))),
       access_claims(iat=NOW + 10), policy={"leeway": 10})
    va("iat_string", err("invalid_claim"), access_claims(iat=str(NOW)))
    va("iat_absent_on_access_is_fine", ok(expected_claims(access_claims(iat=DELETE))),
       access_claims(iat=DELETE))
    va("nbf_in_future", err("token_not_yet_valid"), access_claims(nbf=NOW + 1))
    va("nbf_now_is_valid", ok(expected_claims(access_claims(nbf=NOW))), access_claims(nbf=NOW))
    va("nbf_bool", err("invalid_claim"), access_claims(nbf=True))
    va("token_type_missing", err("missing_claim"), access_claims(token_type=DELETE))
    va("token_type_refresh_as_access", err("wrong_token_type"),
       access_claims(token_type="refresh"))
    va("token_type_not_a_string", err("invalid_claim"), access_claims(token_type=1))
    va("jti_missing", err("missing_claim"), access_claims(jti=DELETE))
    va("jti_not_a_string", err("invalid_claim"), access_claims(jti=12345))
    va("user_id_missing", err("missing_claim"), access_claims(user_id=DELETE))
    va("user_id_integer_normalised", ok(expected_claims(access_claims(user_id=42))),
       access_claims(user_id=42))
    va("user_id_float", err("invalid_claim"), access_claims(user_id=4.5))
    extra = access_claims(org={"id": 7, "name": "Acme"}, roles=["admin"], flag=False)
    va("extra_claims_preserved", ok(expected_claims(extra)), extra)
    iss_policy = {"issuer": "https://ls.example.com"}
    va("iss_matches", ok(expected_claims(access_claims(iss="https://ls.example.com"))),
       access_claims(iss="https://ls.example.com"), policy=iss_policy)
    va("iss_differs", err("invalid_claim"), access_claims(iss="https://other.example.com"),
       policy=iss_policy)
    va("iss_missing_when_configured", err("missing_claim"), access_claims(), policy=iss_policy)
    va("iss_ignored_when_not_configured",
       ok(expected_claims(access_claims(iss="anyone"))), access_claims(iss="anyone"))
    aud_policy = {"audience": "label-studio"}
    va("aud_matches", ok(expected_claims(access_claims(aud="label-studio"))),
       access_claims(aud="label-studio"), policy=aud_policy)
    va("aud_list_contains", ok(expected_claims(access_claims(aud=["x", "label-studio"]))),
       access_claims(aud=["x", "label-studio"]), policy=aud_policy)
    va("aud_differs", err("invalid_claim"), access_claims(aud="other"), policy=aud_policy)
    va("aud_missing_when_configured", err("missing_claim"), access_claims(), policy=aud_policy)
    va("aud_present_when_not_configured", err("invalid_claim"), access_claims(aud="x"))

    # --- §3.5 and §1 on the refresh path ----------------------------------------------------------
    g = "refresh_path"
    s.add("pat_verifies_for_refresh", g, "§3.5", "verify_refresh",
          ok(expected_claims(pat_claims())), input=pat)
    s.add("access_presented_for_refresh", g, "§1", "verify_refresh", err("wrong_token_type"),
          input=access)
    s.add("pat_revoked", g, "§1", "verify_refresh", err("token_revoked"), input=pat,
          revoked=[pat_claims()["jti"]])
    s.add("pat_other_jti_revoked", g, "§1", "verify_refresh",
          ok(expected_claims(pat_claims())), input=pat, revoked=[uuid4_hex("someone-else")])
    s.add("pat_kind_disabled", g, "§1", "verify_refresh", err("token_kind_disabled"),
          input=pat, settings={"api_tokens_enabled": False})
    s.add("pat_older_than_shortened_ttl", g, "§1", "verify_refresh", err("pat_ttl_exceeded"),
          input=jwt(pat_claims(iat=NOW - 31 * DAY)), settings={"pat_ttl_days": 30})
    s.add("pat_older_than_ttl_policy_off", g, "§1", "verify_refresh",
          ok(expected_claims(pat_claims(iat=NOW - 31 * DAY))),
          input=jwt(pat_claims(iat=NOW - 31 * DAY)),
          settings={"pat_ttl_days": 30, "enforce_ttl_on_existing": False})
    s.add("pat_younger_than_ttl", g, "§1", "verify_refresh",
          ok(expected_claims(pat_claims(iat=NOW - 29 * DAY))),
          input=jwt(pat_claims(iat=NOW - 29 * DAY)), settings={"pat_ttl_days": 30})
    s.add("pat_expired", g, "§3.5", "verify_refresh", err("token_expired"),
          input=jwt(pat_claims(exp=NOW - 1)))

    # --- §3.6 key length ----------------------------------------------------------------------------
    g, r = "keys", "§3.6"
    s.add("key_short_refused", g, r, "verify_access", err("key_too_short"),
          input=jwt(access_claims(), secret=SHORT_SECRET), keys=[SHORT_SECRET])
    s.add("key_short_with_opt_in", g, r, "verify_access", ok(expected_claims(access_claims())),
          input=jwt(access_claims(), secret=SHORT_SECRET), keys=[SHORT_SECRET],
          allow_short_key=True)
    s.add("key_31_bytes_refused", g, r, "verify_access", err("key_too_short"),
          input=jwt(access_claims(), secret=SECRET_31), keys=[SECRET_31])
    s.add("key_32_bytes_accepted", g, r, "verify_access", ok(expected_claims(access_claims())),
          input=jwt(access_claims(), secret=SECRET_32), keys=[SECRET_32])
    s.add("key_empty_refused_even_with_opt_in", g, r, "verify_access", err("key_too_short"),
          input=access, keys=[""], allow_short_key=True)
    binary = bytes(range(200, 232))  # 32 bytes, not UTF-8
    s.add("key_binary_secret_hex", g, r, "verify_access", ok(expected_claims(access_claims())),
          input=jwt(access_claims(), secret=binary), keys=[binary])
    s.add("key_short_fallback_refused", g, r, "verify_access", err("key_too_short"),
          input=access, keys=[SECRET, SHORT_SECRET])

    # --- §3.7 rotation ------------------------------------------------------------------------------
    r = "§3.7"
    s.add("fallback_key_verifies", g, r, "verify_access", ok(expected_claims(access_claims())),
          input=jwt(access_claims(), secret=OLD_SECRET), keys=[SECRET, OLD_SECRET])
    s.add("retired_key_refused", g, r, "verify_access", err("invalid_signature"),
          input=jwt(access_claims(), secret=OLD_SECRET), keys=[SECRET])
    jti = uuid4_hex("mint-rotated")
    s.add("first_key_signs", g, r, "mint_pat", ok(expected_pat("1", {}, jti, NOW)),
          input="", keys=[SECRET, OLD_SECRET], mint={"user_id": "1", "claims": {}, "jti": jti})

    # --- §5 client side ------------------------------------------------------------------------------
    g, r = "client", "§5"
    s.add("classify_legacy_key", g, r, "classify_api_key", ok("legacy"), input=LEGACY_KEY)
    s.add("classify_pat", g, r, "classify_api_key", ok("pat"), input=pat)
    s.add("classify_access", g, r, "classify_api_key", ok("access"), input=access)
    s.add("classify_expired_access_is_still_access", g, r, "classify_api_key", ok("access"),
          input=access, now=NOW + 3600)
    s.add("classify_expired_pat", g, r, "classify_api_key", err("token_expired"), input=pat,
          now=pat_claims()["exp"])
    s.add("classify_jwt_without_exp", g, r, "classify_api_key", err("missing_claim"),
          input=jwt(pat_claims(exp=DELETE)))
    s.add("classify_pat_without_key_check", g, r, "classify_api_key", ok("pat"),
          input=jwt(pat_claims(), secret=OTHER_SECRET))
    s.add("classify_other_string_is_legacy", g, r, "classify_api_key", ok("legacy"),
          input="not-a-jwt-at-all")
    s.add("classify_empty", g, r, "classify_api_key", err("invalid_argument"), input="")
    s.add("classify_jwt_exp_not_integer", g, r, "classify_api_key", err("invalid_claim"),
          input=jwt(pat_claims(exp=str(NOW + 100))))
    s.add("classify_jwt_without_token_type", g, r, "classify_api_key", err("wrong_token_type"),
          input=jwt(pat_claims(token_type=DELETE)))
    s.add("legacy_key_well_formed", g, "§1", "check_legacy_key", ok(None), input=LEGACY_KEY)
    s.add("legacy_key_uppercase", g, "§1", "check_legacy_key", err("malformed_token"),
          input=LEGACY_KEY.upper())
    s.add("legacy_key_39_chars", g, "§1", "check_legacy_key", err("malformed_token"),
          input=LEGACY_KEY[:-1])
    s.add("legacy_key_41_chars", g, "§1", "check_legacy_key", err("malformed_token"),
          input=LEGACY_KEY + "0")

    # --- minting, byte for byte -----------------------------------------------------------------
    g, r = "issue", "§1"
    jti = uuid4_hex("mint-1")
    s.add("mint_pat_user_1", g, r, "mint_pat", ok(expected_pat("1", {}, jti, NOW)), input="",
          mint={"user_id": "1", "claims": {}, "jti": jti})
    jti = uuid4_hex("mint-extras")
    extras = {
        "org": {"id": 42, "name": "Zoë & Søn", "tags": ["α", "😀"]},
        "team": "データ",
        "level": 3,
        "neg": -17,
        "admin": False,
        "note": None,
        "quote": "a\"b\\c/\n\t\u0001\u007f",
        "ratio": 0.25,
        "small": 2.5e-07,
    }
    s.add("mint_pat_extra_claims", g, r, "mint_pat",
          ok(expected_pat("12345", extras, jti, NOW)), input="",
          mint={"user_id": "12345", "claims": extras, "jti": jti})
    # Nesting the core accepts is minted whatever the binding (Python once refused past 64).
    jti = uuid4_hex("mint-nested")
    nested = 1
    for _ in range(100):
        nested = {"n": nested}
    s.add("mint_pat_nested_claim_100_levels", g, r, "mint_pat",
          ok(expected_pat("1", {"deep": nested}, jti, NOW)), input="",
          mint={"user_id": "1", "claims": {"deep": nested}, "jti": jti})
    jti = uuid4_hex("mint-ttl")
    s.add("mint_pat_org_ttl", g, r, "mint_pat",
          ok(expected_pat("7", {}, jti, NOW, ttl_days=30)), input="",
          settings={"pat_ttl_days": 30}, mint={"user_id": "7", "claims": {}, "jti": jti})
    jti = uuid4_hex("mint-policy")
    pol = {"issuer": "https://ls.example.com", "audience": "label-studio"}
    s.add("mint_pat_with_issuer_and_audience", g, r, "mint_pat",
          ok(expected_pat("1", {"org": 5}, jti, NOW, policy=template(DEFAULT_POLICY, pol))),
          input="", policy=pol, mint={"user_id": "1", "claims": {"org": 5}, "jti": jti})
    s.add("mint_pat_reserved_claim", g, r, "mint_pat", err("invalid_argument"), input="",
          mint={"user_id": "1", "claims": {"exp": 1}, "jti": jti})
    s.add("mint_pat_over_size_cap", g, "§3.1", "mint_pat", err("invalid_argument"), input="",
          mint={"user_id": "1", "claims": {"pad": "p" * 3000}, "jti": jti})
    s.add("mint_pat_empty_user", g, r, "mint_pat", err("invalid_argument"), input="",
          mint={"user_id": "", "claims": {}, "jti": jti})
    s.add("mint_pat_short_key", g, "§3.6", "mint_pat", err("key_too_short"), input="",
          keys=[SHORT_SECRET], mint={"user_id": "1", "claims": {}, "jti": jti})
    s.add("mint_pat_short_key_opt_in", g, "§3.6", "mint_pat",
          ok(expected_pat("1", {}, jti, NOW, secret=SHORT_SECRET)), input="",
          keys=[SHORT_SECRET], allow_short_key=True,
          mint={"user_id": "1", "claims": {}, "jti": jti})

    pat_x = jwt(pat_claims(user_id=7, org={"b": 1, "a": "é"}, scopes=["read", "write"]))
    jti = uuid4_hex("refresh-1")
    s.add("refresh_pat", g, r, "refresh",
          ok(reissued(pat, "access", ACCESS_TTL, jti, NOW)), input=pat, mint={"jti": jti})
    s.add("refresh_copies_claims_in_order", g, r, "refresh",
          ok(reissued(pat_x, "access", ACCESS_TTL, jti, NOW)), input=pat_x, mint={"jti": jti})
    pat_f = jwt(pat_claims(score=0.1, tiny=8.674636977361869e-29, big=-1.5e20, small=1.5e-05, x=1e16))
    s.add("refresh_float_claims_round_trip", g, r, "refresh",
          ok(reissued(pat_f, "access", ACCESS_TTL, jti, NOW)), input=pat_f, mint={"jti": jti})
    s.add("verify_float_claims_exact", g, "§3.5", "verify_refresh",
          ok(expected_claims(pat_claims(score=0.1, tiny=8.674636977361869e-29, big=-1.5e20, small=1.5e-05, x=1e16))),
          input=pat_f)
    s.add("refresh_access_ttl_policy", g, r, "refresh",
          ok(reissued(pat, "access", 60, jti, NOW)), input=pat, policy={"access_ttl": 60},
          mint={"jti": jti})
    s.add("refresh_with_fallback_signed_pat", g, "§3.7", "refresh",
          ok(reissued(jwt(pat_claims(), secret=OLD_SECRET), "access", ACCESS_TTL, jti, NOW)),
          input=jwt(pat_claims(), secret=OLD_SECRET), keys=[SECRET, OLD_SECRET],
          mint={"jti": jti})
    s.add("refresh_revoked", g, r, "refresh", err("token_revoked"), input=pat,
          revoked=[pat_claims()["jti"]], mint={"jti": jti})
    s.add("refresh_access_token", g, r, "refresh", err("wrong_token_type"), input=access,
          mint={"jti": jti})
    s.add("refresh_kind_disabled", g, r, "refresh", err("token_kind_disabled"), input=pat,
          settings={"api_tokens_enabled": False}, mint={"jti": jti})
    jti = uuid4_hex("rotate-1")
    s.add("rotate_pat", g, r, "rotate",
          ok({"pat": reissued(pat_x, "refresh", PAT_TTL_DAYS * DAY, jti, NOW),
              "revoked_jti": pat_claims()["jti"], "revoked_exp": pat_claims()["exp"],
              "forget_after": pat_claims()["exp"]}),
          input=pat_x, mint={"jti": jti})
    s.add("rotate_pat_org_ttl", g, r, "rotate",
          ok({"pat": reissued(pat, "refresh", 90 * DAY, jti, NOW),
              "revoked_jti": pat_claims()["jti"], "revoked_exp": pat_claims()["exp"],
              "forget_after": pat_claims()["exp"]}),
          input=pat, settings={"pat_ttl_days": 90, "enforce_ttl_on_existing": False},
          mint={"jti": jti})
    # §3.9: the store keeps the rotated PAT until exp + leeway (forget_after), not until exp.
    s.add("rotate_pat_forget_after_is_exp_plus_leeway", g, "§3.9", "rotate",
          ok({"pat": reissued(pat_x, "refresh", PAT_TTL_DAYS * DAY, jti, NOW),
              "revoked_jti": pat_claims()["jti"], "revoked_exp": pat_claims()["exp"],
              "forget_after": pat_claims()["exp"] + 60}),
          input=pat_x, policy={"leeway": 60}, mint={"jti": jti})
    s.add("rotate_revoked", g, r, "rotate", err("token_revoked"), input=pat,
          revoked=[pat_claims()["jti"]], mint={"jti": jti})

    # --- §2 the challenge: one per kind, the same bytes in every binding -----------------------
    g, r = "challenge", "§2"
    for code in sorted(CODES):
        s.add(f"challenge_{code}", g, r, "www_authenticate", ok(CHALLENGES[code]), input=code)
    s.add("challenge_unknown_code", g, r, "www_authenticate", err("invalid_argument"),
          input="not_a_code")

    # --- §5 what a key looks like, read without a key (display and diagnosis) -----------------
    g, r = "inspect", "§5"
    s.add("inspect_pat", g, r, "inspect_key", ok("pat"), input=pat)
    s.add("inspect_access", g, r, "inspect_key", ok("access"), input=access)
    s.add("inspect_expired_pat_is_still_a_pat", g, r, "inspect_key", ok("pat"),
          input=jwt(pat_claims(exp=NOW - 1)))
    s.add("inspect_truncated", g, r, "inspect_key", ok("truncated"),
          input=".".join(segments(pat)[:2]))
    s.add("inspect_other_token_type", g, r, "inspect_key", ok("jwt"),
          input=jwt(access_claims(token_type="sliding")))
    s.add("inspect_no_token_type", g, r, "inspect_key", ok("jwt"),
          input=jwt(access_claims(token_type=DELETE)))
    s.add("inspect_legacy", g, r, "inspect_key", ok("legacy"), input=LEGACY_KEY)
    s.add("inspect_garbage", g, r, "inspect_key", err("malformed_token"), input="not a key")
    s.add("inspect_uppercase_hex_is_not_legacy", g, r, "inspect_key", err("malformed_token"),
          input=LEGACY_KEY.upper())
    return s


def segments_payload(token):
    return json.loads(base64.urlsafe_b64decode(segments(token)[1] + "=="))


def sized_token(length):
    """A valid access token of exactly `length` bytes (padding an extra claim)."""
    for n in range(length):
        t = jwt(access_claims(pad="p" * n))
        if len(t) == length:
            return t
        if len(t) > length:
            break
    # Base64 grows in steps; adjust with a second claim of one more character.
    for n in range(length):
        for m in range(4):
            t = jwt(access_claims(pad="p" * n, q="q" * m))
            if len(t) == length:
                return t
    raise AssertionError(f"no token of length {length}")


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def non_canonical(segment):
    """Same decoded bytes, different text: set unused low bits of the last character."""
    rem = len(segment) % 4
    unused = {2: 4, 3: 2}[rem]
    last = ALPHABET.index(segment[-1])
    assert last & ((1 << unused) - 1) == 0
    return segment[:-1] + ALPHABET[last | 1]


# Structural damage to one segment (contract §3.2), made AFTER signing and never re-signed: the
# token's signature no longer matches, yet the outcome must be malformed_token, because the
# structure of all three segments is checked before the MAC.
DAMAGE = {
    "padding": lambda seg: seg + "=" * (-len(seg) % 4 or 1),
    "space": lambda seg: seg[:len(seg) // 2] + " " + seg[len(seg) // 2:],
    "tab": lambda seg: seg[:len(seg) // 2] + "\t" + seg[len(seg) // 2:],
    "newline": lambda seg: seg + "\n",
    "non_ascii": lambda seg: seg[:len(seg) // 2] + "\u00e9" + seg[len(seg) // 2:],
    "nul": lambda seg: seg[:len(seg) // 2] + "\u0000" + seg[len(seg) // 2:],
    "control": lambda seg: seg[:len(seg) // 2] + "\u0001" + seg[len(seg) // 2:],
    "delete": lambda seg: seg[:len(seg) // 2] + "\u007f" + seg[len(seg) // 2:],
    "standard_alphabet": lambda seg: seg.replace("-", "+").replace("_", "/"),
    "length_4n_plus_1": lambda seg: seg + "A" * ((1 - len(seg)) % 4 or 4),
}
SEGMENTS = ("header", "payload", "signature")


def structural_damage(s, g, r, access):
    """Every kind of DAMAGE in every segment, on a token whose segments all have `-` or `_`
    (so the standard alphabet changes each of them) and a payload whose last character has
    spare bits (so a non-canonical variant exists)."""
    header = '{"alg":"HS256","typ":"JWT","x":"~~~>>>???"}'
    for n in range(256):
        token = jwt(access_claims(x="~~~>>>???", seq=n), header=header)
        if all("-" in seg or "_" in seg for seg in segments(token)) \
                and len(segments(token)[1]) % 4 in (2, 3):
            break
    else:
        raise AssertionError("no token with every segment in need of - or _")
    s.add("structure_damage_base_token_verifies", g, r, "verify_access",
          ok(expected_claims(segments_payload(token))), input=token)
    for i, segment in enumerate(SEGMENTS):
        for kind, damage in DAMAGE.items():
            parts = segments(token)
            parts[i] = damage(parts[i])
            assert parts[i] != segments(token)[i], (segment, kind)
            s.add(f"structure_{kind}_in_{segment}_not_resigned", g, r, "verify_access",
                  err("malformed_token"), input=".".join(parts))
        parts = segments(token)
        if len(parts[i]) % 4 in (2, 3):
            parts[i] = non_canonical(parts[i])
            s.add(f"structure_non_canonical_{segment}_not_resigned", g, r, "verify_access",
                  err("malformed_token"), input=".".join(parts))
    # Structure comes before what the header says and before the signature: a broken payload
    # is malformed under `alg: none`, with an empty signature, and through authenticate.
    h, p, sig = segments(token)
    s.add("structure_damage_beats_alg_none", g, r, "verify_access", err("malformed_token"),
          input=b64('{"alg":"none"}') + "." + DAMAGE["space"](p) + ".")
    s.add("structure_damage_beats_empty_signature", g, r, "verify_access",
          err("malformed_token"), input=h + "." + DAMAGE["padding"](p) + ".")
    forged = segments(jwt(access_claims(x="~~~>>>???"), secret=OTHER_SECRET))
    s.add("structure_damage_beats_wrong_key", g, r, "verify_access", err("malformed_token"),
          input=".".join([forged[0], DAMAGE["standard_alphabet"](forged[1]), forged[2]]))
    ph, pp, ps = segments(jwt(pat_claims()))
    s.add("structure_damage_on_refresh", g, r, "verify_refresh", err("malformed_token"),
          input=".".join([ph, DAMAGE["control"](pp), ps]))


# ----------------------------------------------------------------------------------------------
# adversarial.json: attacks, grouped by class


def adversarial():
    s = Suite(
        "Attacks by class (contract §2, §3): each case names the attack it stands for. "
        "Generated by generate.py; do not edit.",
        adversarial=True,
    )
    access = jwt(access_claims())
    access_ok = ok(expected_claims(access_claims()))
    pat = jwt(pat_claims())
    h, p, sig = segments(access)
    legacy_on = {"legacy_api_tokens_enabled": True}

    # --- header grammar ------------------------------------------------------------------------------
    g, r = "header", "§2"

    def hdr(name, expect, attack, value):
        if isinstance(value, bytes):
            s.add(name, g, r, "parse_authorization", expect, attack=attack,
                  input_hex=value.hex())
        else:
            s.add(name, g, r, "parse_authorization", expect, attack=attack, input=value)

    bearer = lambda t: ok({"scheme": "bearer", "token": t})  # noqa: E731
    hdr("adv_header_scheme_upper", bearer(access), "scheme case variants (RFC 9110 §11.1)",
        "BEARER " + access)
    hdr("adv_header_scheme_mixed", bearer(access), "scheme case variants (RFC 9110 §11.1)",
        "BeArEr " + access)
    hdr("adv_header_repeated_spaces", bearer(access), "repeated spaces after the scheme",
        "Bearer     " + access)
    hdr("adv_header_tab_separator", err("malformed_header"),
        "tab instead of SP between scheme and token", "Bearer\t" + access)
    hdr("adv_header_comma_two_credentials", err("malformed_header"),
        "two credentials joined by a comma (proxy header folding)",
        "Bearer " + access + ", Bearer " + access)
    hdr("adv_header_comma_in_token", err("malformed_header"), "comma inside the token",
        "Bearer a.b,c")
    hdr("adv_header_nul_in_token", err("malformed_header"), "NUL byte truncation in C hosts",
        b"Bearer " + access.encode()[:20] + b"\x00" + access.encode()[20:])
    hdr("adv_header_nul_after_token", err("malformed_header"), "trailing NUL byte",
        b"Bearer " + access.encode() + b"\x00")
    hdr("adv_header_nul_in_scheme", err("malformed_header"), "NUL byte inside the scheme",
        b"Bea\x00rer " + access.encode())
    hdr("adv_header_non_ascii_token", err("malformed_header"), "non-ASCII (UTF-8) token",
        "Bearer tökén")
    hdr("adv_header_invalid_utf8", err("malformed_header"), "invalid UTF-8 bytes",
        b"Bearer \xff\xfe" + access.encode())
    hdr("adv_header_homoglyph_scheme", err("malformed_header"),
        "homoglyph scheme (Cyrillic е in Bearer)", "B\u0435arer " + access)
    hdr("adv_header_nbsp_separator", err("malformed_header"),
        "non-breaking space as separator", b"Bearer\xc2\xa0" + access.encode())
    hdr("adv_header_crlf_injection", err("malformed_header"), "CRLF header injection",
        "Bearer " + access + "\r\nX-User: admin")
    hdr("adv_header_only_padding", err("malformed_header"), "token68 with no body",
        "Bearer ===")
    hdr("adv_header_quoted_token", err("malformed_header"), "quoted-string credentials",
        'Bearer "' + access + '"')
    hdr("adv_header_scheme_colon", err("malformed_header"), "scheme followed by a colon",
        "Bearer: " + access)
    hdr("adv_header_over_8_kib", err("header_too_large"), "oversized header (> 8 KiB)",
        "Bearer " + "A" * 8186)
    s.add("adv_header_8_kib_of_spaces", g, r, "parse_authorization", err("header_too_large"),
          attack="oversized header of whitespace: the cap applies before trimming",
          input_repeat=repeat("", " ", 8193, ""))
    s.add("adv_header_10_mb", g, r, "authenticate", err("header_too_large"),
          attack="10 MB header", input_repeat=repeat("Bearer ", "A", 10_000_000, ""))

    # --- structure --------------------------------------------------------------------------------------
    g, r = "structure", "§3.2"

    def va(name, expect, attack, token, rule=r, **kw):
        s.add(name, g, rule, "verify_access", expect, attack=attack, input=token, **kw)

    va("adv_structure_one_segment", err("malformed_token"), "segment count: 1", h)
    va("adv_structure_two_segments", err("malformed_token"),
       "segment count: 2 (truncated listing form used as a credential)", h + "." + p)
    va("adv_structure_four_segments", err("malformed_token"), "segment count: 4 (JWE-like)",
       access + "." + sig)
    va("adv_structure_five_segments", err("malformed_token"), "segment count: 5 (JWE)",
       h + "." + p + ".." + sig + "." + sig)
    va("adv_structure_only_dots", err("malformed_token"), "empty segments", "..")
    va("adv_structure_empty", err("malformed_token"), "empty token", "")
    va("adv_structure_padding_header_resigned", err("malformed_token"),
       "padded base64 in the header", sign_input(b64_padded(HS256_HEADER + " ") + "." + p))
    va("adv_structure_padding_payload_resigned", err("malformed_token"),
       "padded base64 in the payload",
       sign_input(h + "." + padded_claims()))
    va("adv_structure_padding_signature", err("malformed_token"),
       "padded base64 in the signature", access + "=")
    std_payload = dumps(access_claims(x="~~~>>>???"))
    va("adv_structure_plus_slash_payload_resigned", err("malformed_token"),
       "`+` and `/` (standard base64 alphabet) in the payload",
       sign_input(h + "." + b64_std(std_payload)))
    std_header = '{"alg":"HS256","typ":"JWT","x":"~~~>>>???"}'
    assert "+" in b64_std(std_header) or "/" in b64_std(std_header)
    va("adv_structure_plus_slash_header_resigned", err("malformed_token"),
       "`+` and `/` (standard base64 alphabet) in the header",
       sign_input(b64_std(std_header) + "." + p))
    va("adv_structure_plus_slash_signature", err("malformed_token"),
       "`+` and `/` (standard base64 alphabet) in the signature", std_signature_token())
    va("adv_structure_non_canonical_payload_resigned", err("malformed_token"),
       "non-canonical base64 (non-zero trailing bits) in the payload",
       sign_input(h + "." + non_canonical_payload()))
    va("adv_structure_non_canonical_signature", err("malformed_token"),
       "non-canonical base64 (non-zero trailing bits) in the signature",
       h + "." + p + "." + non_canonical(sig))
    va("adv_structure_space_in_payload_resigned", err("malformed_token"),
       "whitespace inside a segment", sign_input(h + "." + p[:10] + " " + p[10:]))
    va("adv_structure_leading_space", err("malformed_token"),
       "whitespace around the token", " " + access)
    va("adv_structure_trailing_newline", err("malformed_token"),
       "whitespace around the token", access + "\n")
    va("adv_structure_bom_in_header", err("malformed_token"), "UTF-8 BOM before header JSON",
       jwt(access_claims(), header="\ufeff" + HS256_HEADER))
    va("adv_structure_bom_in_payload", err("malformed_token"), "UTF-8 BOM before claims JSON",
       jwt("\ufeff" + dumps(access_claims())))
    va("adv_structure_header_is_string", err("malformed_token"),
       "JSON string instead of a header object", jwt(access_claims(), header='"HS256"'))
    va("adv_structure_header_is_null", err("malformed_token"),
       "JSON null instead of a header object", jwt(access_claims(), header="null"))
    va("adv_structure_claims_are_array", err("malformed_token"),
       "JSON array instead of a claims object",
       jwt(dumps(list(access_claims().values()))))
    va("adv_structure_claims_are_string", err("malformed_token"),
       "JSON string instead of a claims object", jwt(json.dumps(dumps(access_claims()))))
    deep = dumps(access_claims())[:-1] + ',"deep":' + "[" * 1000 + "]" * 1000 + "}"
    va("adv_structure_deep_nesting", err("malformed_token"),
       "deeply nested JSON (stack exhaustion)", jwt(deep))
    nested = access_claims(nest=json.loads("[" * 20 + "1" + "]" * 20))
    va("adv_structure_moderate_nesting_ok", ok(expected_claims(nested)),
       "nesting within limits stays accepted (no over-blocking)", jwt(nested))
    va("adv_structure_header_trailing_garbage", err("malformed_token"),
       "trailing garbage after the header JSON", jwt(access_claims(), header=HS256_HEADER + "x"))
    va("adv_structure_claims_trailing_garbage", err("malformed_token"),
       "trailing garbage after the claims JSON", jwt(dumps(access_claims()) + "{}"))
    va("adv_structure_two_json_documents", err("malformed_token"),
       "two JSON documents in one segment", jwt(dumps(access_claims()) + dumps(access_claims())))
    va("adv_structure_dup_alg_none_second", err("malformed_token"),
       "duplicate header keys: first-wins and last-wins parsers disagree on alg",
       jwt(access_claims(), header='{"alg":"HS256","alg":"none"}'))
    dup_exp = dumps(access_claims())[:-1] + f',"exp":{2 ** 40}}}'
    va("adv_structure_dup_exp_extends_lifetime", err("malformed_token"),
       "duplicate claims: a second exp that a last-wins parser would honour", jwt(dup_exp))
    dup_escaped = dumps(access_claims())[:-1] + ',"user\\u005fid":"0"}'
    va("adv_structure_dup_user_id_escaped", err("malformed_token"),
       "duplicate claims hidden by a JSON escape (user\\u005fid)", jwt(dup_escaped))
    dup_extra = dumps(access_claims())[:-1] + ',"role":"user","role":"admin"}'
    va("adv_structure_dup_extra_claim", err("malformed_token"),
       "duplicate custom claims", jwt(dup_extra))
    va("adv_structure_nan_exp", err("malformed_token"), "non-JSON literal NaN",
       jwt(dumps(access_claims())[:-1] + ',"x":NaN}'))
    va("adv_structure_lone_surrogate", err("malformed_token"),
       "lone UTF-16 surrogate escape in a string",
       jwt(dumps(access_claims())[:-1] + ',"x":"\\ud800"}'))
    va("adv_structure_invalid_utf8_payload", err("malformed_token"),
       "invalid UTF-8 inside the claims JSON",
       sign_input(h + "." + b64(dumps(access_claims()).encode()[:-2] + b'\xff"}')))
    va("adv_structure_comment", err("malformed_token"), "JSON with a comment",
       jwt(dumps(access_claims())[:-1] + "/*x*/}"))

    # --- algorithm --------------------------------------------------------------------------------------
    g, r = "algorithm", "§3.3"
    for variant in ["none", "None", "NONE", "nOnE"]:
        head = f'{{"alg":"{variant}","typ":"JWT"}}'
        va(f"adv_alg_{variant}_unsigned", err("unsupported_algorithm"),
           f"alg {variant} with an empty signature (CVE-2015-9235 class)",
           b64(head) + "." + p + ".", rule=r)
    va("adv_alg_none_with_hmac", err("unsupported_algorithm"),
       "alg none with a valid HMAC signature",
       jwt(access_claims(), header='{"alg":"none","typ":"JWT"}'), rule=r)
    va("adv_alg_none_no_third_segment", err("malformed_token"),
       "alg none with the signature segment dropped",
       b64('{"alg":"none","typ":"JWT"}') + "." + p, rule=r)
    va("adv_alg_lowercase_hs256", err("unsupported_algorithm"), "lowercase hs256",
       jwt(access_claims(), header='{"alg":"hs256","typ":"JWT"}'), rule=r)
    va("adv_alg_trailing_space", err("unsupported_algorithm"), "alg with trailing space",
       jwt(access_claims(), header='{"alg":"HS256 ","typ":"JWT"}'), rule=r)
    va("adv_alg_missing", err("unsupported_algorithm"), "missing alg",
       jwt(access_claims(), header='{"typ":"JWT"}'), rule=r)
    va("adv_alg_null", err("malformed_token"), "alg null",
       jwt(access_claims(), header='{"alg":null,"typ":"JWT"}'), rule=r)
    va("adv_alg_list", err("malformed_token"), "alg as a list of algorithms",
       jwt(access_claims(), header='{"alg":["HS256"],"typ":"JWT"}'), rule=r)
    va("adv_alg_hs512", err("unsupported_algorithm"), "HS512 when HS256 is configured",
       jwt(access_claims(), header='{"alg":"HS512","typ":"JWT"}', digest="HS512"), rule=r)
    va("adv_alg_hs384", err("unsupported_algorithm"), "HS384 when HS256 is configured",
       jwt(access_claims(), header='{"alg":"HS384","typ":"JWT"}', digest="HS384"), rule=r)
    va("adv_alg_rs256_hmac_pem", err("unsupported_algorithm"),
       "RS256 header, HMAC keyed with the PEM public key (key confusion, CVE-2016-10555 class)",
       jwt(access_claims(), header='{"alg":"RS256","typ":"JWT"}', secret=PEM_PUBLIC_KEY),
       rule=r)
    va("adv_alg_hs256_hmac_pem", err("invalid_signature"),
       "HS256 keyed with a PEM public key as the secret",
       jwt(access_claims(), secret=PEM_PUBLIC_KEY), rule=r)
    va("adv_alg_eddsa_hmac_ssh", err("unsupported_algorithm"),
       "EdDSA header, HMAC keyed with an ssh-ed25519 public key string",
       jwt(access_claims(), header='{"alg":"EdDSA","typ":"JWT"}', secret=SSH_ED25519_KEY),
       rule=r)
    va("adv_alg_hs256_hmac_ssh", err("invalid_signature"),
       "HS256 keyed with an ssh-ed25519 public key string as the secret",
       jwt(access_claims(), secret=SSH_ED25519_KEY), rule=r)
    attacker_k = b64(OTHER_SECRET)
    jwk_header = dumps({"alg": "HS256", "typ": "JWT",
                        "jwk": {"kty": "oct", "k": attacker_k}})
    va("adv_alg_jwk_injection", err("invalid_signature"),
       "embedded jwk naming the attacker's key (CVE-2018-0114 class)",
       jwt(access_claims(), header=jwk_header, secret=OTHER_SECRET), rule=r)
    va("adv_alg_jwk_ignored_with_real_key", access_ok,
       "embedded jwk is ignored: the configured key decides",
       jwt(access_claims(), header=jwk_header), rule=r)
    va("adv_alg_jku_injection", err("invalid_signature"), "jku pointing at an attacker's JWKS",
       jwt(access_claims(), header='{"alg":"HS256","jku":"https://evil.example/jwks.json"}',
           secret=OTHER_SECRET), rule=r)
    va("adv_alg_x5u_injection", err("invalid_signature"), "x5u pointing at an attacker's cert",
       jwt(access_claims(), header='{"alg":"HS256","x5u":"https://evil.example/cert.pem"}',
           secret=OTHER_SECRET), rule=r)
    va("adv_alg_kid_path_traversal", err("invalid_signature"),
       "kid path traversal to a predictable file (/dev/null, empty key)",
       jwt(access_claims(), header='{"alg":"HS256","kid":"../../../../dev/null"}', secret=""),
       rule=r)
    va("adv_alg_kid_sql_injection_ignored", access_ok,
       "kid SQL injection is inert: kid only selects among the configured keys (§3.10)",
       jwt(access_claims(), header='{"alg":"HS256","kid":"x\' UNION SELECT \'key"}'), rule=r)

    # --- crit ----------------------------------------------------------------------------------------------
    g, r = "crit", "§3.3"
    for suffix, crit in [
        ("list", '["exp"]'),
        ("empty_list", "[]"),
        ("b64", '["b64"],"b64":true'),
        ("b64_false", '["b64"],"b64":false'),
        ("string", '"exp"'),
        ("null", "null"),
        ("object", "{}"),
    ]:
        va(f"adv_crit_{suffix}", err("malformed_token"),
           f"crit header ({crit.split(',')[0]}): extensions the verifier does not understand",
           jwt(access_claims(), header='{"alg":"HS256","typ":"JWT","crit":' + crit + "}"),
           rule=r)
    va("adv_typ_lowercase", err("malformed_token"), "typ other than JWT (jwt)",
       jwt(access_claims(), header='{"alg":"HS256","typ":"jwt"}'), rule=r)
    va("adv_typ_null", err("malformed_token"), "typ null",
       jwt(access_claims(), header='{"alg":"HS256","typ":null}'), rule=r)
    va("adv_typ_jwe_like", err("malformed_token"), "typ naming another format (JOSE+JSON)",
       jwt(access_claims(), header='{"alg":"HS256","typ":"JOSE+JSON"}'), rule=r)

    # --- claims ---------------------------------------------------------------------------------------------
    g, r = "claims", "§3.5"

    def raw_claims(claim, literal, base=None):
        """Access claims with `claim` set to a raw JSON literal, in place."""
        base = dict(base or access_claims())
        marker = "__LITERAL__"
        base[claim] = marker
        return dumps(base).replace(f'"{marker}"', literal)

    type_attacks = [
        ("string", f'"{NOW + 100}"', "invalid_claim"),
        ("float", f"{NOW + 100}.0", "invalid_claim"),
        ("bool", "true", "invalid_claim"),
        ("null", "null", "invalid_claim"),
        ("exponent_1e300", "1e300", "invalid_claim"),
        ("beyond_i64", "9223372036854775808", "invalid_claim"),
        ("list", f"[{NOW + 100}]", "invalid_claim"),
    ]
    for claim in ["exp", "iat", "nbf"]:
        for label, literal, code in type_attacks:
            if claim != "exp" and label in ("list", "beyond_i64"):
                continue
            va(f"adv_claims_{claim}_{label}", err(code),
               f"{claim} as {label}: a non-integer time treated as absent "
               f"(claim type confusion)", jwt(raw_claims(claim, literal)), rule=r)
    va("adv_claims_exp_negative", err("token_expired"), "negative exp",
       jwt(access_claims(exp=-1)), rule=r)
    va("adv_claims_exp_zero", err("token_expired"), "exp at the epoch",
       jwt(access_claims(exp=0)), rule=r)
    va("adv_claims_exp_missing", err("missing_claim"), "token without exp never expires",
       jwt(access_claims(exp=DELETE)), rule=r)
    va("adv_claims_exp_equal_now", err("token_expired"), "exp == now (off-by-one)",
       jwt(access_claims(exp=NOW)), rule=r)
    va("adv_claims_iat_future", err("issued_in_future"), "iat in the future",
       jwt(access_claims(iat=NOW + 60, exp=NOW + 360)), rule=r)
    va("adv_claims_nbf_future", err("token_not_yet_valid"), "nbf in the future",
       jwt(access_claims(nbf=NOW + 60)), rule=r)
    va("adv_claims_user_id_nul", err("invalid_claim"),
       "NUL inside user_id: a C host reading it as a C string sees another user ('1\\u00002' -> '1')",
       jwt(access_claims(user_id="1\u00002")), rule=r)
    va("adv_claims_jti_nul", err("invalid_claim"),
       "NUL inside jti: a revocation lookup through a C string checks another jti",
       jwt(access_claims(jti="abc\u0000def")), rule=r)
    va("adv_claims_nbf_negative_ok", ok(expected_claims(access_claims(nbf=-1))),
       "negative nbf is simply in the past", jwt(access_claims(nbf=-1)), rule=r)
    iss_policy = {"issuer": "https://ls.example.com"}
    for label, value in [
        ("suffix", "https://ls.example.com.evil.com"),
        ("prefix", "https://ls.example"),
        ("case", "HTTPS://LS.EXAMPLE.COM"),
        ("trailing_slash", "https://ls.example.com/"),
    ]:
        va(f"adv_claims_iss_partial_{label}", err("invalid_claim"),
           f"issuer partial match ({label}) accepted by substring matching",
           jwt(access_claims(iss=value)), rule=r, policy=iss_policy)
    va("adv_claims_iss_as_list", err("invalid_claim"), "iss as a list containing the issuer",
       jwt(access_claims(iss=["https://ls.example.com"])), rule=r, policy=iss_policy)
    aud_policy = {"audience": "label-studio"}
    for label, value in [
        ("suffix", "label-studio-evil"),
        ("prefix", "label"),
        ("substring_list", ["label-studio-admin"]),
        ("empty_list", []),
    ]:
        va(f"adv_claims_aud_partial_{label}", err("invalid_claim"),
           f"audience partial match ({label})",
           jwt(access_claims(aud=value)), rule=r, policy=aud_policy)
    good_aud = access_claims(aud=["other-service", "label-studio"])
    va("adv_claims_aud_list_member_ok", ok(expected_claims(good_aud)),
       "audience list with the expected member is accepted", jwt(good_aud), rule=r,
       policy=aud_policy)
    va("adv_claims_aud_list_of_non_strings", err("invalid_claim"),
       "aud list with a non-string member", jwt(access_claims(aud=["label-studio", 1])),
       rule=r, policy=aud_policy)
    va("adv_claims_aud_unexpected", err("invalid_claim"),
       "token for another audience where none is configured",
       jwt(access_claims(aud="billing")), rule=r)
    va("adv_claims_token_type_case", err("wrong_token_type"), "token_type Access (case)",
       jwt(access_claims(token_type="Access")), rule=r)
    va("adv_claims_token_type_list", err("invalid_claim"), "token_type as a list",
       jwt(access_claims(token_type=["access"])), rule=r)
    va("adv_claims_user_id_bool", err("invalid_claim"), "user_id true",
       jwt(access_claims(user_id=True)), rule=r)
    va("adv_claims_user_id_null", err("invalid_claim"), "user_id null",
       jwt(access_claims(user_id=None)), rule=r)
    va("adv_claims_user_id_object", err("invalid_claim"), "user_id as an object",
       jwt(access_claims(user_id={"id": 1})), rule=r)

    # --- type confusion ----------------------------------------------------------------------------------
    g, r = "type_confusion", "§1"
    va("adv_type_pat_as_access", err("wrong_token_type"), "PAT used as an access token",
       pat, rule=r)
    s.add("adv_type_access_as_pat", g, r, "verify_refresh", err("wrong_token_type"),
          attack="access token presented for refresh", input=access)
    s.add("adv_type_access_refreshed", g, r, "refresh", err("wrong_token_type"),
          attack="access token exchanged for another access token (lifetime extension)",
          input=access, mint={"jti": uuid4_hex("adv-refresh")})
    s.add("adv_type_access_rotated", g, r, "rotate", err("wrong_token_type"),
          attack="access token rotated into a PAT (privilege escalation)",
          input=access, mint={"jti": uuid4_hex("adv-rotate")})
    s.add("adv_type_pat_as_bearer", g, r, "authenticate", err("wrong_token_type"),
          attack="PAT sent as a Bearer credential", input="Bearer " + pat)
    s.add("adv_type_jwt_as_token", g, "§2", "authenticate", err("wrong_token_type"),
          attack="JWT sent with the Token scheme", input="Token " + access,
          settings=legacy_on)
    s.add("adv_type_legacy_as_bearer", g, "§2", "authenticate", err("wrong_token_type"),
          attack="legacy key sent with the Bearer scheme", input="Bearer " + LEGACY_KEY,
          settings=legacy_on)
    s.add("adv_type_truncated_as_bearer", g, "§1", "authenticate", err("malformed_token"),
          attack="truncated listing form (header.payload) used as a credential",
          input="Bearer " + h + "." + p)
    va("adv_type_sliding_token", err("wrong_token_type"),
       "another simplejwt token type (sliding)", jwt(access_claims(token_type="sliding")),
       rule=r)

    # --- disabled kinds ------------------------------------------------------------------------------------
    g, r = "disabled_kinds", "§1"
    off = {"api_tokens_enabled": False}
    s.add("adv_disabled_bearer", g, r, "authenticate", err("token_kind_disabled"),
          attack="access token used after the organisation disabled API tokens",
          input="Bearer " + access, settings=off)
    s.add("adv_disabled_refresh", g, r, "refresh", err("token_kind_disabled"),
          attack="PAT refreshed after the organisation disabled API tokens", input=pat,
          settings=off, mint={"jti": uuid4_hex("adv-disabled")})
    s.add("adv_disabled_legacy", g, r, "authenticate", err("token_kind_disabled"),
          attack="legacy key used while legacy tokens are disabled",
          input="Token " + LEGACY_KEY)
    s.add("adv_disabled_both", g, r, "authenticate", err("token_kind_disabled"),
          attack="legacy key used with every kind disabled", input="Token " + LEGACY_KEY,
          settings={"api_tokens_enabled": False})

    # --- revocation ----------------------------------------------------------------------------------------
    g, r = "revocation", "§1"
    revoked = [pat_claims()["jti"]]
    s.add("adv_revoked_verify", g, r, "verify_refresh", err("token_revoked"),
          attack="blacklisted PAT verified", input=pat, revoked=revoked)
    s.add("adv_revoked_refresh", g, r, "refresh", err("token_revoked"),
          attack="blacklisted PAT exchanged for an access token", input=pat, revoked=revoked,
          mint={"jti": uuid4_hex("adv-revoked")})
    s.add("adv_revoked_rotate", g, r, "rotate", err("token_revoked"),
          attack="blacklisted PAT rotated into a fresh one", input=pat, revoked=revoked,
          mint={"jti": uuid4_hex("adv-revoked")})
    resigned = jwt(pat_claims(extra="x"))
    s.add("adv_revoked_same_jti_other_claims", g, r, "verify_refresh", err("token_revoked"),
          attack="revocation is by jti: a PAT with the same jti and other claims is revoked",
          input=resigned, revoked=revoked)

    # --- TTL policy ------------------------------------------------------------------------------------------
    g, r = "ttl_policy", "§1"
    old = pat_claims(iat=NOW - 31 * DAY, exp=NOW + 100 * DAY)
    s.add("adv_ttl_old_pat_long_exp", g, r, "verify_refresh", err("pat_ttl_exceeded"),
          attack="PAT minted under a long TTL survives a shortened TTL", input=jwt(old),
          settings={"pat_ttl_days": 30})
    s.add("adv_ttl_old_pat_refresh", g, r, "refresh", err("pat_ttl_exceeded"),
          attack="refresh of a PAT older than the shortened TTL", input=jwt(old),
          settings={"pat_ttl_days": 30}, mint={"jti": uuid4_hex("adv-ttl")})
    s.add("adv_ttl_old_pat_rotate", g, r, "rotate", err("pat_ttl_exceeded"),
          attack="rotation used to launder a PAT older than the TTL", input=jwt(old),
          settings={"pat_ttl_days": 30}, mint={"jti": uuid4_hex("adv-ttl")})
    edge = pat_claims(iat=NOW - 30 * DAY, exp=NOW + 100 * DAY)
    s.add("adv_ttl_exactly_ttl_old", g, r, "verify_refresh", err("pat_ttl_exceeded"),
          attack="PAT exactly TTL old (off-by-one)", input=jwt(edge),
          settings={"pat_ttl_days": 30})
    young = pat_claims(iat=NOW - 30 * DAY + 1, exp=NOW + 100 * DAY)
    s.add("adv_ttl_one_second_younger_ok", g, r, "verify_refresh",
          ok(expected_claims(young)), attack="PAT one second younger than the TTL still works",
          input=jwt(young), settings={"pat_ttl_days": 30})
    s.add("adv_ttl_pat_without_iat", g, r, "verify_refresh", err("missing_claim"),
          attack="PAT without iat escapes the TTL policy", input=jwt(pat_claims(iat=DELETE)),
          settings={"pat_ttl_days": 30})

    # --- size caps --------------------------------------------------------------------------------------------
    g, r = "size_caps", "§3.1"
    s.add("adv_size_10_mb_token", g, r, "verify_access", err("token_too_large"),
          attack="10 MB token: refused before decoding",
          input_repeat=repeat(h + ".", "A", 10_000_000, "." + sig))
    s.add("adv_size_1m_dots", g, r, "verify_access", err("token_too_large"),
          attack="1M dots: quadratic splitting refused before decoding",
          input_repeat=repeat("", ".", 1_000_000, ""))
    s.add("adv_size_1m_dots_refresh", g, r, "verify_refresh", err("token_too_large"),
          attack="1M dots on the refresh path", input_repeat=repeat("", ".", 1_000_000, ""))
    s.add("adv_size_1m_dots_header", g, "§2", "authenticate", err("header_too_large"),
          attack="1M dots in an Authorization header",
          input_repeat=repeat("Bearer ", ".", 1_000_000, ""))
    s.add("adv_size_just_over_cap", g, r, "verify_access", err("token_too_large"),
          attack="validly signed token one byte over the cap", input=sized_token(4097))
    return s


def padded_claims():
    """An access-claims segment in padded base64url (it needs at least one `=`)."""
    for n in range(3):
        seg = b64_padded(dumps(access_claims(pad="a" * n)))
        if seg.endswith("="):
            return seg
    raise AssertionError("unreachable")


def std_signature_token():
    """A valid token whose signature is rewritten in the standard alphabet (`+`, `/`)."""
    for n in range(64):
        t = jwt(access_claims(seq=n))
        sig = segments(t)[2]
        if "-" in sig or "_" in sig:
            h, p, _ = segments(t)
            return h + "." + p + "." + sig.replace("-", "+").replace("_", "/")
    raise AssertionError("unreachable")


def non_canonical_payload():
    """A claims segment whose last character carries non-zero unused bits."""
    for n in range(8):
        seg = b64(dumps(access_claims(pad="z" * n)))
        if len(seg) % 4 in (2, 3):
            return non_canonical(seg)
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------
# admission.json: settings supplied after the credential names its user


def looked_up(lookup, outcome):
    """A two-step expectation: what step one names (None when it refused), then the outcome."""
    return {"lookup": lookup, **outcome}


def admission():
    s = Suite(
        "Settings resolved after the credential names a user (contract §1, §2): step one verifies "
        "everything that needs no organisation and names the user id or legacy key to look up "
        "(`expect.lookup`, null when step one refused); step two applies the organisation's "
        "`settings` (and `revoked`). Paired one-call cases show the order difference: with the "
        "settings known in advance a disabled kind is refused before any verification. "
        "Generated by generate.py; do not edit.",
        adversarial=False,
    )
    g = "admission"
    access = jwt(access_claims())
    pat = jwt(pat_claims())
    uid = {"user_id": "1"}
    off = {"api_tokens_enabled": False}
    legacy_on = {"legacy_api_tokens_enabled": True}
    principal = {"principal": "jwt", "claims": expected_claims(access_claims())}

    a = "authenticate_two_step"
    s.add("two_step_access_admitted", g, "§1", a, looked_up(uid, ok(principal)),
          input="Bearer " + access)
    s.add("two_step_access_kind_disabled", g, "§1", a,
          looked_up(uid, err("token_kind_disabled")), input="Bearer " + access, settings=off)
    s.add("two_step_access_integer_user_id", g, "§3.5", a,
          looked_up({"user_id": "42"},
                    ok({"principal": "jwt", "claims": expected_claims(access_claims(user_id=42))})),
          input="Bearer " + jwt(access_claims(user_id=42)))
    expired = jwt(access_claims(exp=NOW))
    s.add("two_step_expired_refused_before_lookup", g, "§3.5", a,
          looked_up(None, err("token_expired")), input="Bearer " + expired, settings=off)
    s.add("one_call_disabled_refused_before_verifying", g, "§1", "authenticate",
          err("token_kind_disabled"), input="Bearer " + expired, settings=off)
    s.add("two_step_bad_signature_refused_before_lookup", g, "§3.4", a,
          looked_up(None, err("invalid_signature")),
          input="Bearer " + jwt(access_claims(), secret=OTHER_SECRET))
    s.add("two_step_pat_as_bearer", g, "§1", a, looked_up(None, err("wrong_token_type")),
          input="Bearer " + pat)
    s.add("two_step_jwt_as_token", g, "§2", a, looked_up(None, err("wrong_token_type")),
          input="Token " + access, settings=legacy_on)
    s.add("two_step_legacy_admitted", g, "§1", a,
          looked_up({"legacy_key": LEGACY_KEY}, ok({"principal": "legacy", "key": LEGACY_KEY})),
          input="Token " + LEGACY_KEY, settings=legacy_on)
    s.add("two_step_legacy_kind_disabled", g, "§1", a,
          looked_up({"legacy_key": LEGACY_KEY}, err("token_kind_disabled")),
          input="Token " + LEGACY_KEY)
    s.add("two_step_legacy_malformed", g, "§1", a, looked_up(None, err("malformed_token")),
          input="Token " + LEGACY_KEY.upper(), settings=legacy_on)
    s.add("two_step_no_credentials", g, "§2", a, looked_up(None, err("no_credentials")),
          input="")
    s.add("two_step_other_scheme", g, "§2", a, looked_up(None, err("unsupported_scheme")),
          input="Basic dXNlcjpwYXNzd29yZA==")
    s.add("two_step_malformed_header", g, "§2", a, looked_up(None, err("malformed_header")),
          input="Bearer a b")

    # A user without an organisation (contract §1.3): refused whatever the kind, after step one.
    no_org = {"has_organization": False}
    s.add("two_step_access_no_organization", g, "§1.3", a, looked_up(uid, err("no_organization")),
          input="Bearer " + access, settings=no_org)
    s.add("two_step_legacy_no_organization", g, "§1.3", a,
          looked_up({"legacy_key": LEGACY_KEY}, err("no_organization")),
          input="Token " + LEGACY_KEY, settings={**no_org, **legacy_on})
    s.add("two_step_expired_refused_before_organization", g, "§1.3", a,
          looked_up(None, err("token_expired")), input="Bearer " + expired, settings=no_org)
    s.add("one_call_no_organization_refused_before_verifying", g, "§1.3", "authenticate",
          err("no_organization"), input="Bearer " + expired, settings=no_org)

    v = "verify_refresh_two_step"
    s.add("two_step_pat_no_organization", g, "§1.3", v, looked_up(uid, err("no_organization")),
          input=pat, settings=no_org)
    s.add("one_call_pat_no_organization", g, "§1.3", "verify_refresh", err("no_organization"),
          input=pat, settings=no_org)
    s.add("two_step_pat_admitted", g, "§1", v, looked_up(uid, ok(expected_claims(pat_claims()))),
          input=pat)
    s.add("two_step_pat_kind_disabled", g, "§1", v, looked_up(uid, err("token_kind_disabled")),
          input=pat, settings=off)
    old = jwt(pat_claims(iat=NOW - 31 * DAY))
    s.add("two_step_pat_older_than_org_ttl", g, "§1", v,
          looked_up(uid, err("pat_ttl_exceeded")), input=old, settings={"pat_ttl_days": 30})
    s.add("two_step_pat_older_than_org_ttl_policy_off", g, "§1", v,
          looked_up(uid, ok(expected_claims(pat_claims(iat=NOW - 31 * DAY)))), input=old,
          settings={"pat_ttl_days": 30, "enforce_ttl_on_existing": False})
    s.add("two_step_pat_revoked", g, "§1", v, looked_up(uid, err("token_revoked")), input=pat,
          revoked=[pat_claims()["jti"]])
    s.add("two_step_access_for_refresh", g, "§1", v, looked_up(None, err("wrong_token_type")),
          input=access)
    expired_pat = jwt(pat_claims(exp=NOW - 1))
    s.add("two_step_pat_expired_refused_before_lookup", g, "§3.5", v,
          looked_up(None, err("token_expired")), input=expired_pat, settings=off)
    s.add("one_call_pat_disabled_refused_before_verifying", g, "§1", "verify_refresh",
          err("token_kind_disabled"), input=expired_pat, settings=off)

    jti = uuid4_hex("two-step-refresh")
    s.add("two_step_refresh", g, "§1", "refresh_two_step",
          looked_up(uid, ok(reissued(pat, "access", ACCESS_TTL, jti, NOW))), input=pat,
          mint={"jti": jti})
    s.add("two_step_refresh_kind_disabled", g, "§1", "refresh_two_step",
          looked_up(uid, err("token_kind_disabled")), input=pat, settings=off,
          mint={"jti": jti})
    s.add("two_step_refresh_revoked", g, "§1", "refresh_two_step",
          looked_up(uid, err("token_revoked")), input=pat, revoked=[pat_claims()["jti"]],
          mint={"jti": jti})
    s.add("two_step_refresh_no_organization", g, "§1.3", "refresh_two_step",
          looked_up(uid, err("no_organization")), input=pat, settings=no_org, mint={"jti": jti})
    s.add("one_call_refresh_no_organization", g, "§1.3", "refresh", err("no_organization"),
          input=pat, settings=no_org, mint={"jti": jti})
    s.add("two_step_refresh_older_than_org_ttl", g, "§1", "refresh_two_step",
          looked_up(uid, err("pat_ttl_exceeded")), input=old, settings={"pat_ttl_days": 30},
          mint={"jti": jti})
    jti = uuid4_hex("two-step-rotate")
    s.add("two_step_rotate_org_ttl", g, "§1", "rotate_two_step",
          looked_up(uid, ok({"pat": reissued(pat, "refresh", 30 * DAY, jti, NOW),
                             "revoked_jti": pat_claims()["jti"],
                             "revoked_exp": pat_claims()["exp"],
                             "forget_after": pat_claims()["exp"]})),
          input=pat, settings={"pat_ttl_days": 30}, mint={"jti": jti})
    s.add("two_step_rotate_revoked", g, "§1", "rotate_two_step",
          looked_up(uid, err("token_revoked")), input=pat, revoked=[pat_claims()["jti"]],
          mint={"jti": jti})
    s.add("two_step_rotate_kind_disabled", g, "§1", "rotate_two_step",
          looked_up(uid, err("token_kind_disabled")), input=pat, settings=off,
          mint={"jti": jti})
    s.add("two_step_rotate_no_organization", g, "§1.3", "rotate_two_step",
          looked_up(uid, err("no_organization")), input=pat, settings=no_org, mint={"jti": jti})
    s.add("mint_pat_no_organization", g, "§1.3", "mint_pat", err("no_organization"), input="",
          settings=no_org, mint={"user_id": "1", "claims": {}, "jti": jti})

    # --- §3.11: an access token names its PAT, and dies with it ---------------------------------
    g = "names_pat"
    r = "§3.11"
    names = {"access_names_pat": True}
    pat_jti = pat_claims()["jti"]
    jti = uuid4_hex("names-pat-refresh")
    s.add("refresh_names_pat", g, r, "refresh_two_step",
          looked_up(uid, ok(reissued(pat, "access", ACCESS_TTL, jti, NOW, names_pat=True))),
          input=pat, policy=names, mint={"jti": jti})
    s.add("refresh_names_pat_one_call", g, r, "refresh",
          ok(reissued(pat, "access", ACCESS_TTL, jti, NOW, names_pat=True)),
          input=pat, policy=names, mint={"jti": jti})
    short = jwt(pat_claims(exp=NOW + 100))
    s.add("refresh_names_pat_never_outlives_it", g, r, "refresh_two_step",
          looked_up(uid, ok(reissued(short, "access", ACCESS_TTL, jti, NOW, names_pat=True))),
          input=short, policy=names, mint={"jti": jti})
    s.add("refresh_without_naming_outlives_pat", g, r, "refresh_two_step",
          looked_up(uid, ok(reissued(short, "access", ACCESS_TTL, jti, NOW))),
          input=short, mint={"jti": jti})
    forged = jwt(pat_claims(pat_jti="f" * 32))
    s.add("refresh_never_copies_a_pats_pat_jti", g, r, "refresh_two_step",
          looked_up(uid, ok(reissued(forged, "access", ACCESS_TTL, jti, NOW))),
          input=forged, mint={"jti": jti})
    s.add("refresh_names_pat_over_a_pats_pat_jti", g, r, "refresh_two_step",
          looked_up(uid, ok(reissued(forged, "access", ACCESS_TTL, jti, NOW, names_pat=True))),
          input=forged, policy=names, mint={"jti": jti})
    jti = uuid4_hex("names-pat-rotate")
    s.add("rotate_names_no_parent", g, r, "rotate_two_step",
          looked_up(uid, ok({"pat": reissued(pat, "refresh", PAT_TTL_DAYS * DAY, jti, NOW),
                             "revoked_jti": pat_jti,
                             "revoked_exp": pat_claims()["exp"],
                             "forget_after": pat_claims()["exp"]})),
          input=pat, policy=names, mint={"jti": jti})

    named = access_claims(pat_jti=pat_jti)
    named_token = jwt(named)
    named_uid = {"user_id": "1", "pat_jti": pat_jti}
    named_principal = {"principal": "jwt", "claims": expected_claims(named)}
    s.add("access_names_pat_admitted", g, r, a, looked_up(named_uid, ok(named_principal)),
          input="Bearer " + named_token)
    s.add("access_pat_revoked", g, r, a, looked_up(named_uid, err("token_revoked")),
          input="Bearer " + named_token, revoked=[pat_jti])
    s.add("access_other_pat_revoked", g, r, a, looked_up(named_uid, ok(named_principal)),
          input="Bearer " + named_token, revoked=[uuid4_hex("another-pat")])
    s.add("access_own_jti_is_not_its_pat", g, r, a, looked_up(named_uid, ok(named_principal)),
          input="Bearer " + named_token, revoked=[named["jti"]])
    s.add("access_pat_revoked_kind_disabled_first", g, r, a,
          looked_up(named_uid, err("token_kind_disabled")), input="Bearer " + named_token,
          settings=off, revoked=[pat_jti])
    s.add("access_naming_no_pat_lives_its_lifetime", g, r, a, looked_up(uid, ok(principal)),
          input="Bearer " + access, revoked=[pat_jti])
    bad = access_claims(pat_jti=5)
    s.add("access_pat_jti_not_a_string", g, r, a, looked_up(uid, err("malformed_token")),
          input="Bearer " + jwt(bad))
    s.add("access_pat_jti_null", g, r, a, looked_up(uid, err("malformed_token")),
          input="Bearer " + jwt(access_claims(pat_jti=None)))
    s.add("access_pat_revoked_one_call_does_not_read_revocation", g, r, "authenticate",
          ok(named_principal), input="Bearer " + named_token, revoked=[pat_jti])
    return s


def origin():
    """Contract §5.1: where a credential may go. Each case names a base URL and a target URL; the
    expectation is read off the rule's text (same scheme, host, port; path at or below the base
    path, segment-wise; anything the rule cannot read without doubt refused)."""
    s = Suite(
        "Where a credential may be sent (contract §5.1): `base_url` is the Label Studio the key "
        "belongs to, `input` a request or redirect target. `ok` true means the credential may go "
        "there; a base URL the rule refuses is `invalid_argument`. Generated by generate.py; do "
        "not edit.",
        adversarial=False,
    )
    r = "§5.1"
    op = "credential_scope"

    def yes(name, base, url, group="allowed"):
        s.add(name, group, r, op, ok(True), base_url=base, input=url)

    def no(name, base, url, group="refused"):
        s.add(name, group, r, op, ok(False), base_url=base, input=url)

    def bad_base(name, base):
        s.add(name, "base_url", r, op, err("invalid_argument"), base_url=base,
              input="https://ls.example/api/projects/")

    ls = "https://ls.example"
    sub = "https://ls.example/ls"
    # Same origin, paths.
    yes("scope_same_origin_root", ls, "https://ls.example/api/projects/")
    yes("scope_same_origin_no_path", ls, "https://ls.example")
    yes("scope_base_trailing_slash", ls + "/", "https://ls.example/api/projects/")
    yes("scope_query_on_target", ls, "https://ls.example/api/tasks/?page=2&x=%2F")
    yes("scope_fragment_on_target", ls, "https://ls.example/projects/#top")
    yes("scope_sub_path_equal", sub, "https://ls.example/ls")
    yes("scope_sub_path_equal_slash", sub, "https://ls.example/ls/")
    yes("scope_sub_path_below", sub, "https://ls.example/ls/api/token/refresh/")
    yes("scope_sub_path_base_slash", sub + "/", "https://ls.example/ls/api/projects/")
    no("scope_sub_path_outside", sub, "https://ls.example/api/projects/")
    no("scope_sub_path_prefix_not_segment", sub, "https://ls.example/ls-other/api/")
    no("scope_sub_path_longer_segment", sub, "https://ls.example/lsx")
    no("scope_sub_path_root", sub, "https://ls.example/")
    no("scope_sub_path_case_differs", sub, "https://ls.example/LS/api/")
    # Host and port spellings.
    yes("scope_host_case_insensitive", ls, "https://LS.Example/api/")
    yes("scope_scheme_case_insensitive", ls, "HTTPS://ls.example/api/")
    yes("scope_base_host_upper", "https://LS.EXAMPLE", "https://ls.example/api/")
    yes("scope_default_port_https", ls, "https://ls.example:443/api/")
    yes("scope_default_port_in_base", "https://ls.example:443", "https://ls.example/api/")
    yes("scope_default_port_http", "http://127.0.0.1", "http://127.0.0.1:80/api/")
    yes("scope_empty_port_is_default", ls, "https://ls.example:/api/")
    yes("scope_explicit_port", "http://localhost:8080", "http://localhost:8080/api/")
    no("scope_other_port", "http://localhost:8080", "http://localhost:8081/api/")
    no("scope_port_dropped", "http://localhost:8080", "http://localhost/api/")
    no("scope_https_port_on_http", ls, "https://ls.example:80/api/")
    # Scheme.
    no("scope_https_to_http", ls, "http://ls.example/api/")
    no("scope_https_to_http_same_port", "https://ls.example:8443", "http://ls.example:8443/api/")
    no("scope_http_to_https", "http://ls.example", "https://ls.example/api/")
    no("scope_other_scheme", ls, "ftp://ls.example/api/")
    no("scope_websocket", ls, "wss://ls.example/api/")
    no("scope_scheme_relative", ls, "//ls.example/api/")
    no("scope_relative_path", ls, "/api/projects/")
    no("scope_javascript", ls, "javascript:alert(1)")
    no("scope_empty_target", ls, "")
    # Other hosts.
    no("scope_other_host", ls, "https://evil.example/api/")
    no("scope_subdomain", ls, "https://api.ls.example/api/")
    no("scope_parent_domain", "https://api.ls.example", "https://ls.example/api/")
    no("scope_suffix_host", ls, "https://ls.example.evil.example/api/")
    no("scope_trailing_dot_host", ls, "https://ls.example./api/")
    no("scope_ip_for_name", "http://localhost:8080", "http://127.0.0.1:8080/api/")
    # Ambiguous URLs a parser differential could turn into another host.
    g = "ambiguous"
    no("scope_user_info", ls, "https://ls.example@evil.example/api/", g)
    no("scope_user_info_same_host", ls, "https://user:pw@ls.example/api/", g)
    no("scope_user_info_empty", ls, "https://@ls.example/api/", g)
    no("scope_backslash_authority", ls, "https://evil.example\\@ls.example/api/", g)
    no("scope_backslash_path", ls, "https://ls.example\\api\\projects", g)
    no("scope_backslash_after_host", ls, "https://ls.example\\.evil.example/", g)
    no("scope_percent_host", ls, "https://ls%2eexample/api/", g)
    no("scope_percent_at_host", ls, "https://evil.example%40ls.example/api/", g)
    no("scope_space_in_host", ls, "https://ls.example /api/", g)
    no("scope_tab_in_path", ls, "https://ls.example/api/\tx", g)
    no("scope_newline_in_path", ls, "https://ls.example/api/\r\nX-Api-Key: x", g)
    no("scope_non_ascii_host", ls, "https://ls.ex\u00e1mple/api/", g)
    no("scope_non_ascii_path", ls, "https://ls.example/api/caf\u00e9", g)
    no("scope_fullwidth_dot_host", ls, "https://ls\uff0eexample/api/", g)
    no("scope_punycode_is_other_host", ls, "https://xn--ls-example.example/api/", g)
    # Dot segments: refused even when they would resolve inside the base.
    g = "dot_segments"
    no("scope_dot_dot_escapes_base", sub, "https://ls.example/ls/../admin/", g)
    no("scope_dot_dot_inside_base", sub, "https://ls.example/ls/api/../projects/", g)
    no("scope_single_dot", ls, "https://ls.example/./api/", g)
    no("scope_trailing_dot_dot", sub, "https://ls.example/ls/..", g)
    no("scope_encoded_dot_dot", sub, "https://ls.example/ls/%2e%2e/admin/", g)
    no("scope_encoded_dot_dot_upper", sub, "https://ls.example/ls/%2E%2E/admin/", g)
    no("scope_half_encoded_dot_dot", sub, "https://ls.example/ls/.%2e/admin/", g)
    no("scope_other_half_encoded", sub, "https://ls.example/ls/%2e./admin/", g)
    no("scope_encoded_single_dot", ls, "https://ls.example/%2e/api/", g)
    yes("scope_dots_inside_a_segment", ls, "https://ls.example/api/file..png", g)
    yes("scope_three_dots_segment", ls, "https://ls.example/.../api/", g)
    # IPv6 literals compare as addresses.
    g = "ipv6"
    v6 = "http://[::1]:8080"
    yes("scope_ipv6_same", v6, "http://[::1]:8080/api/", g)
    yes("scope_ipv6_long_form", v6, "http://[0:0:0:0:0:0:0:1]:8080/api/", g)
    yes("scope_ipv6_leading_zeros", v6, "http://[0000::0001]:8080/api/", g)
    yes("scope_ipv6_base_long_form", "http://[0:0:0:0:0:0:0:1]:8080", "http://[::1]:8080/", g)
    yes("scope_ipv6_upper_hex", "https://[2001:db8::a]", "https://[2001:DB8:0::A]/api/", g)
    no("scope_ipv6_other_address", v6, "http://[::2]:8080/api/", g)
    no("scope_ipv6_vs_ipv4", v6, "http://127.0.0.1:8080/api/", g)
    no("scope_ipv6_mapped_ipv4", "http://127.0.0.1:8080", "http://[::ffff:127.0.0.1]:8080/", g)
    no("scope_ipv6_zone", v6, "http://[::1%25eth0]:8080/api/", g)
    no("scope_ipv6_unclosed", v6, "http://[::1:8080/api/", g)
    no("scope_ipv6_unbracketed", v6, "http://::1:8080/api/", g)
    no("scope_ipv6_text_after_bracket", v6, "http://[::1]x:8080/api/", g)
    # Ports that are not ports.
    g = "ports"
    lh = "http://localhost:8080"
    no("scope_port_out_of_range", lh, "http://localhost:65616/api/", g)
    no("scope_port_too_long", lh, "http://localhost:008080/api/", g)
    no("scope_port_sign", lh, "http://localhost:+8080/api/", g)
    no("scope_port_letters", lh, "http://localhost:80a/api/", g)
    no("scope_port_two_colons", lh, "http://localhost:8080:8080/api/", g)
    yes("scope_port_leading_zero", lh, "http://localhost:08080/api/", g)
    # Base URLs that cannot name a Label Studio.
    bad_base("scope_base_query", "https://ls.example/?org=1")
    bad_base("scope_base_empty_query", "https://ls.example/?")
    bad_base("scope_base_fragment", "https://ls.example/#x")
    bad_base("scope_base_user_info", "https://admin:pw@ls.example")
    bad_base("scope_base_user_only", "https://admin@ls.example")
    bad_base("scope_base_ftp", "ftp://ls.example")
    bad_base("scope_base_no_scheme", "ls.example")
    bad_base("scope_base_no_host", "https:///api")
    bad_base("scope_base_empty", "")
    bad_base("scope_base_bad_port", "https://ls.example:99999")
    bad_base("scope_base_port_letters", "https://ls.example:8x")
    bad_base("scope_base_backslash", "https://ls.example\\@evil.example")
    bad_base("scope_base_non_ascii", "https://ls.\u00e9xample")
    bad_base("scope_base_space", "https://ls.example /ls")
    bad_base("scope_base_dot_segment", "https://ls.example/ls/../admin")
    bad_base("scope_base_ipv6_unclosed", "http://[::1:8080")
    bad_base("scope_base_percent_host", "https://ls%2eexample")
    return s


# ----------------------------------------------------------------------------------------------
# Ed25519 (RFC 8032 §5.1), after the reference code of RFC 8032 §6: slow and not constant time,
# which is fine for signing a few fixed test tokens with published test keys.

_P = 2**255 - 19
_Q = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _ed_add(a, b):
    x = (a[1] - a[0]) * (b[1] - b[0]) % _P
    y = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c = 2 * a[3] * b[3] * _D % _P
    d = 2 * a[2] * b[2] % _P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f, g * h, f * g, e * h)


def _ed_mul(s, point):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = _ed_add(acc, point)
        point = _ed_add(point, point)
        s >>= 1
    return acc


def _ed_recover_x(y, sign):
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x & 1) != sign:
        x = _P - x
    return x


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _ed_recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _ed_compress(point):
    zinv = pow(point[2], _P - 2, _P)
    x, y = point[0] * zinv % _P, point[1] * zinv % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _ed_expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(seed):
    return _ed_compress(_ed_mul(_ed_expand(seed)[0], _G))


def ed25519_sign(seed, message):
    a, prefix = _ed_expand(seed)
    public = _ed_compress(_ed_mul(a, _G))
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), "little") % _Q
    big_r = _ed_compress(_ed_mul(r, _G))
    h = int.from_bytes(hashlib.sha512(big_r + public + message).digest(), "little") % _Q
    return big_r + ((r + h * a) % _Q).to_bytes(32, "little")


# ----------------------------------------------------------------------------------------------
# jwks.json: Ed25519 access tokens, kid selection, JWK Sets (contract §3.10)

ED_SEED_1 = hashlib.sha256(b"ls-auth vectors: Ed25519 key 1 (public test key)").digest()
ED_SEED_2 = hashlib.sha256(b"ls-auth vectors: Ed25519 key 2 (public test key)").digest()
ED_SEED_ATTACKER = hashlib.sha256(b"ls-auth vectors: an attacker's Ed25519 key").digest()
KID_1 = "ls-2026-01"
KID_2 = "ls-2026-02"
ED_PUBLIC_1 = ed25519_public(ED_SEED_1)
ED_PUBLIC_2 = ed25519_public(ED_SEED_2)


def ed_private(seed, kid):
    """A keyring entry: an Ed25519 private key (it signs when first, verifies always)."""
    return {"ed25519_seed_hex": seed.hex(), "kid": kid}


def jwk(public, kid, **over):
    """A public JWK in the order the core writes it (kty, crv, kid, x, alg, use)."""
    return template({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64(public),
                     "alg": "EdDSA", "use": "sig"}, over)


def jwks_text(*keys, **members):
    return dumps({"keys": list(keys), **members})


def jwks_entry(text):
    """A keyring entry: every public key of a JWK Set (verify only)."""
    return {"jwks": text}


PUBLIC_SET = jwks_text(jwk(ED_PUBLIC_1, KID_1), jwk(ED_PUBLIC_2, KID_2))


def ed_header(**over):
    """The header the core writes for an Ed25519 key: PyJWT's sorted order."""
    base = {"alg": "EdDSA", "kid": KID_1, "typ": "JWT"}
    return dumps(template(base, over))


def ed_jwt(payload, header=None, seed=ED_SEED_1):
    if not isinstance(payload, str):
        payload = dumps(payload)
    if header is None:
        header = ed_header()
    signing_input = b64(header) + "." + b64(payload)
    return signing_input + "." + b64(ed25519_sign(seed, signing_input.encode("ascii")))


def jwks_suite():
    s = Suite(
        "Ed25519 (EdDSA) tokens, key selection by `kid`, and strict JWK Sets (contract §3.10). "
        "Keyring entries: {\"secret\"}, {\"ed25519_seed_hex\", \"kid\"} (a private key), "
        "{\"jwks\"} (every public key of the set). The Ed25519 test keys are derived from "
        "published strings: never use them for anything. Generated by generate.py; do not edit.",
        adversarial=None,
    )
    r = "§3.10"
    g = "eddsa"
    claims = access_claims()
    good = ed_jwt(claims)
    public = [jwks_entry(PUBLIC_SET)]
    mixed = [SECRET, jwks_entry(PUBLIC_SET)]
    s.add("eddsa_verify_ok", g, r, "verify_access", ok(expected_claims(claims)), input=good,
          keys=public)
    s.add("eddsa_verify_second_key", g, r, "verify_access", ok(expected_claims(claims)),
          input=ed_jwt(claims, ed_header(kid=KID_2), ED_SEED_2), keys=public)
    s.add("eddsa_verify_with_private_key", g, r, "verify_access", ok(expected_claims(claims)),
          input=good, keys=[ed_private(ED_SEED_1, KID_1)])
    s.add("eddsa_verify_mixed_keyring", g, r, "verify_access", ok(expected_claims(claims)),
          input=good, keys=mixed)
    s.add("hs256_verify_mixed_keyring", g, r, "verify_access", ok(expected_claims(claims)),
          input=jwt(claims), keys=mixed)
    s.add("hs256_fallback_mixed_keyring", g, r, "verify_access", ok(expected_claims(claims)),
          input=jwt(claims, secret=OLD_SECRET), keys=[SECRET, jwks_entry(PUBLIC_SET), OLD_SECRET])
    s.add("eddsa_authenticate", g, "§2", "authenticate",
          ok({"principal": "jwt", "claims": expected_claims(claims)}),
          input="Bearer " + good, keys=mixed)
    s.add("eddsa_expired", g, r, "verify_access", err("token_expired"),
          input=ed_jwt(access_claims(exp=NOW)), keys=public)
    s.add("eddsa_header_member_order_free", g, r, "verify_access", ok(expected_claims(claims)),
          input=ed_jwt(claims, '{"typ":"JWT","kid":"ls-2026-01","alg":"EdDSA"}'), keys=public)

    g = "eddsa_refused"
    s.add("eddsa_wrong_kid", g, r, "verify_access", err("invalid_signature"),
          attack="token signed by key 1 names key 2", input=ed_jwt(claims, ed_header(kid=KID_2)),
          keys=public)
    s.add("eddsa_unknown_kid", g, r, "verify_access", err("unknown_key_id"),
          attack="token names a key the set does not hold", input=ed_jwt(claims, ed_header(kid="ls-1999-01")),
          keys=public)
    s.add("eddsa_unknown_kid_mixed_keyring", g, r, "verify_access", err("unknown_key_id"),
          attack="an unknown kid does not fall back to the HMAC secrets",
          input=ed_jwt(claims, ed_header(kid="ls-1999-01")), keys=mixed)
    s.add("eddsa_kid_missing_several_keys", g, r, "verify_access", err("unknown_key_id"),
          attack="no kid: the verifier must not guess among several keys",
          input=ed_jwt(claims, ed_header(kid=DELETE)), keys=public)
    s.add("eddsa_kid_missing_one_key", g, r, "verify_access", err("unknown_key_id"),
          attack="no kid, one key: EdDSA tokens must name their key all the same",
          input=ed_jwt(claims, ed_header(kid=DELETE)), keys=[jwks_entry(jwks_text(jwk(ED_PUBLIC_1, KID_1)))])
    s.add("eddsa_kid_not_a_string", g, "§3.3", "verify_access", err("malformed_token"),
          attack="kid as a number", input=ed_jwt(claims, ed_header(kid=1)), keys=public)
    s.add("eddsa_other_key_same_kid", g, r, "verify_access", err("invalid_signature"),
          attack="an attacker's key under a published kid", input=ed_jwt(claims, seed=ED_SEED_ATTACKER),
          keys=public)
    h, p, sig = segments(good)
    s.add("eddsa_tampered_payload", g, r, "verify_access", err("invalid_signature"),
          attack="claims changed after signing",
          input=h + "." + b64(dumps(access_claims(user_id="2"))) + "." + sig, keys=public)
    s.add("eddsa_empty_signature", g, r, "verify_access", err("invalid_signature"),
          attack="signature stripped", input=h + "." + p + ".", keys=public)
    s.add("eddsa_hs256_only_keyring", g, r, "verify_access", err("unsupported_algorithm"),
          attack="EdDSA token against a keyring of HMAC secrets", input=good)
    s.add("eddsa_fully_specified_name", g, r, "verify_access", err("unsupported_algorithm"),
          attack="alg Ed25519 (RFC 9864 name) is not the EdDSA the keys are for",
          input=ed_jwt(claims, ed_header(alg="Ed25519")), keys=public)
    s.add("eddsa_alg_none", g, r, "verify_access", err("unsupported_algorithm"),
          attack="alg none naming a published kid",
          input=b64(dumps({"alg": "none", "kid": KID_1, "typ": "JWT"})) + "." + p + ".", keys=mixed)
    # Algorithm confusion (CVE-2015-9235 and descendants): the public key, which anyone can
    # read from the JWKS, used as an HMAC secret.
    for label, secret in [("bytes", ED_PUBLIC_1), ("x_text", b64(ED_PUBLIC_1)),
                          ("jwks_text", PUBLIC_SET)]:
        named = jwt(claims, dumps({"alg": "HS256", "kid": KID_1, "typ": "JWT"}), secret=secret)
        s.add(f"confusion_hs256_public_{label}_named", g, r, "verify_access",
              err("unsupported_algorithm"),
              attack=f"HS256 MAC keyed with the Ed25519 public key ({label}), kid naming it",
              input=named, keys=mixed)
        s.add(f"confusion_hs256_public_{label}_named_public_only", g, r, "verify_access",
              err("unsupported_algorithm"),
              attack=f"HS256 MAC keyed with the Ed25519 public key ({label}), public keyring",
              input=named, keys=public)
        s.add(f"confusion_hs256_public_{label}_unnamed", g, r, "verify_access",
              err("invalid_signature"),
              attack=f"HS256 MAC keyed with the Ed25519 public key ({label}), no kid",
              input=jwt(claims, secret=secret), keys=mixed)
    s.add("confusion_hs256_secret_named_ed25519_kid", g, r, "verify_access",
          err("unsupported_algorithm"),
          attack="a valid HS256 token naming an Ed25519 kid: the key's algorithm decides",
          input=jwt(claims, dumps({"alg": "HS256", "kid": KID_1, "typ": "JWT"})), keys=mixed)

    # Signing: the first key signs, an Ed25519 private key under its kid.
    g = "eddsa_sign"
    pat = jwt(pat_claims())
    jti = uuid4_hex("eddsa-refresh")
    payload = json.loads(base64.urlsafe_b64decode(segments(pat)[1] + "=="))
    refreshed = {"token_type": "access", "exp": NOW + ACCESS_TTL, "iat": NOW, "jti": jti}
    refreshed.update({k: v for k, v in payload.items()
                      if k not in ("token_type", "exp", "iat", "jti")})
    signer = [ed_private(ED_SEED_1, KID_1), SECRET]
    s.add("eddsa_refresh_hs256_pat", g, r, "refresh", ok(ed_jwt(dumps(refreshed))), input=pat,
          keys=signer, mint={"jti": jti})
    mint = {"user_id": "7", "claims": {}, "jti": uuid4_hex("eddsa-mint")}
    pat_claims_7 = {"token_type": "refresh", "exp": NOW + PAT_TTL_DAYS * DAY, "iat": NOW,
                    "jti": mint["jti"], "user_id": "7"}
    s.add("eddsa_mint_pat", g, r, "mint_pat", ok(ed_jwt(dumps(pat_claims_7))), input="",
          keys=[ed_private(ED_SEED_1, KID_1)], mint=mint)
    s.add("eddsa_public_key_cannot_sign", g, r, "mint_pat", err("invalid_argument"), input="",
          keys=public, mint=mint)

    # The public JWK Set a keyring publishes, and what reading one accepts.
    g = "jwks"
    both = jwks_text(jwk(ED_PUBLIC_1, KID_1), jwk(ED_PUBLIC_2, KID_2))
    s.add("jwks_publish_private_public_and_hmac", g, r, "public_jwks", ok(both), input="",
          keys=[ed_private(ED_SEED_1, KID_1), SECRET, jwks_entry(jwks_text(jwk(ED_PUBLIC_2, KID_2)))])
    s.add("jwks_publish_hmac_only", g, r, "public_jwks", ok(jwks_text()), input="")
    s.add("jwks_round_trip", g, r, "public_jwks", ok(PUBLIC_SET), input="", keys=public)
    minimal = dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64(ED_PUBLIC_1),
                               "kid": KID_1}]})
    s.add("jwks_minimal_members", g, r, "public_jwks", ok(jwks_text(jwk(ED_PUBLIC_1, KID_1))),
          input="", keys=[jwks_entry(minimal)])
    extra = dumps({"keys": [jwk(ED_PUBLIC_1, KID_1, key_ops=["verify"], x5t="ignored",
                                ext=True)], "issuer": "https://ls.example"})
    s.add("jwks_other_members_ignored", g, r, "public_jwks", ok(jwks_text(jwk(ED_PUBLIC_1, KID_1))),
          input="", keys=[jwks_entry(extra)])

    g = "jwks_refused"
    one = jwk(ED_PUBLIC_1, KID_1)
    x = b64(ED_PUBLIC_1)

    def refuse(name, text, attack):
        s.add("jwks_refuses_" + name, g, r, "public_jwks", err("invalid_key_set"), input="",
              keys=[jwks_entry(text)], attack=attack)

    refuse("oct", jwks_text({"kty": "oct", "kid": "hmac", "k": b64(SECRET)}),
           "a symmetric secret published in a public set")
    refuse("oct_alongside", jwks_text(one, {"kty": "oct", "kid": "hmac", "k": b64(SECRET)}),
           "a symmetric secret next to a good key")
    refuse("private_d", jwks_text(template(one, {"d": b64(ED_SEED_1)})),
           "the private key published")
    refuse("private_d_null", jwks_text(template(one, {"d": None})),
           "a private member, even empty")
    refuse("kty_rsa", jwks_text({"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"}),
           "a key type we do not verify")
    refuse("kty_ec", jwks_text({"kty": "EC", "kid": "e", "crv": "P-256", "x": x, "y": x}),
           "a key type we do not verify")
    refuse("kty_missing", jwks_text(template(one, {"kty": DELETE})), "no kty")
    refuse("kty_lowercase", jwks_text(template(one, {"kty": "okp"})), "kty case variant")
    refuse("kty_not_string", jwks_text(template(one, {"kty": 1})), "kty a number")
    refuse("crv_x25519", jwks_text(template(one, {"crv": "X25519"})),
           "a key-agreement key used for signatures")
    refuse("crv_ed448", jwks_text(template(one, {"crv": "Ed448"})), "a curve we do not verify")
    refuse("crv_missing", jwks_text(template(one, {"crv": DELETE})), "no crv")
    refuse("kid_missing", jwks_text(template(one, {"kid": DELETE})), "a key no token can name")
    refuse("kid_empty", jwks_text(template(one, {"kid": ""})), "an empty kid")
    refuse("kid_not_string", jwks_text(template(one, {"kid": 1})), "kid a number")
    refuse("kid_duplicate", jwks_text(one, jwk(ED_PUBLIC_2, KID_1)),
           "two keys under one kid: which one verifies depends on order")
    refuse("x_missing", jwks_text(template(one, {"x": DELETE})), "no public key")
    refuse("x_31_bytes", jwks_text(template(one, {"x": b64(ED_PUBLIC_1[:31])})),
           "a truncated key")
    refuse("x_33_bytes", jwks_text(template(one, {"x": b64(ED_PUBLIC_1 + b"\0")})),
           "a key with a trailing byte")
    refuse("x_64_bytes", jwks_text(template(one, {"x": b64(ED_PUBLIC_1 + ED_PUBLIC_2)})),
           "a private key's 64-byte expanded form in x")
    refuse("x_padded", jwks_text(template(one, {"x": b64_padded(ED_PUBLIC_1)})),
           "padded base64url")
    std = b64_std(ED_PUBLIC_1)
    assert std != x, "the test key's x must differ in the standard alphabet"
    refuse("x_standard_alphabet", jwks_text(template(one, {"x": std})),
           "standard base64 alphabet")
    refuse("x_non_canonical", jwks_text(template(one, {"x": non_canonical(x)})),
           "non-zero trailing bits")
    refuse("x_not_string", jwks_text(template(one, {"x": 1})), "x a number")
    refuse("alg_hs256", jwks_text(template(one, {"alg": "HS256"})),
           "a public key declared for HMAC")
    refuse("alg_none", jwks_text(template(one, {"alg": "none"})), "a key declared for none")
    refuse("use_enc", jwks_text(template(one, {"use": "enc"})), "an encryption key")
    refuse("key_ops_sign_only", jwks_text(template(one, {"key_ops": ["sign"]})),
           "a key not declared for verification")
    refuse("duplicate_member", jwks_text(one).replace('"use":"sig"', '"use":"sig","x":"' +
                                                       b64(ED_PUBLIC_2) + '"'),
           "x given twice: which one a parser keeps varies")
    refuse("duplicate_keys_member", '{"keys":[],"keys":' + jwks_text(one)[8:],
           "keys given twice")
    refuse("not_json", "{\"keys\":[", "truncated JSON")
    refuse("top_level_array", dumps([one]), "an array, not a set")
    refuse("keys_missing", dumps({"key": [one]}), "no keys member")
    refuse("keys_not_array", dumps({"keys": one}), "keys an object")
    refuse("keys_empty", jwks_text(), "an empty set verifies nothing")
    refuse("key_not_object", jwks_text("OKP"), "a key as a string")
    refuse("too_many_keys", jwks_text(*[jwk(ED_PUBLIC_1, f"k{i}") for i in range(65)]),
           "65 keys")
    s.add("jwks_refuses_kid_already_in_keyring", g, r, "public_jwks", err("invalid_key_set"),
          input="", keys=[ed_private(ED_SEED_1, KID_1), jwks_entry(PUBLIC_SET)],
          attack="a published key under the signing key's kid")
    return s


def render(suite):
    return json.dumps(suite.document(), indent=1, ensure_ascii=False) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="exit non-zero if the committed files differ from the generated ones")
    args = ap.parse_args()
    suites = {"core.json": core(), "adversarial.json": adversarial(), "admission.json": admission(),
              "origin.json": origin(), "jwks.json": jwks_suite()}
    names = [c["name"] for s in suites.values() for c in s.cases]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, dupes
    stale = []
    for filename, suite in suites.items():
        path = HERE / filename
        text = render(suite)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(filename)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent.parent)}: {len(suite.cases)} cases")
    if stale:
        print("stale vectors (run python3 tests/vectors/generate.py): " + ", ".join(stale),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
