"""Arbitrary str/bytes (and other objects) into every public function: an AuthError, a
TypeError, or success, never a PanicException (nor any other escape)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ls_auth
from conftest import SECRET

VERIFIER = ls_auth.Verifier(SECRET)
ISSUER = ls_auth.Issuer(SECRET)
ON = ls_auth.OrgSettings(legacy_api_tokens_enabled=True)
NOW = 1_700_000_000

anything = st.one_of(
    st.text(),
    st.binary(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.text(alphabet="ABCabc0123456789-_.=+/~ \t"),  # token68-ish
    st.builds(lambda s: "Bearer " + s, st.text()),
    st.builds(lambda s: "Token " + s, st.text()),
    st.none(),
    st.integers(),
    st.floats(),
    st.lists(st.text(), max_size=3),
)


def outcome(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except (ls_auth.AuthError, TypeError):
        pass
    except BaseException as e:  # PanicException derives from BaseException
        raise AssertionError(f"{type(e).__module__}.{type(e).__name__} escaped: {e!r}") from e


FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(anything)
def test_header_functions(value: Any) -> None:
    outcome(lambda: ls_auth.parse_authorization(value))
    outcome(lambda: ls_auth.authenticate(value, verifier=VERIFIER, settings=ON, now=NOW))


@FUZZ
@given(anything, st.one_of(st.none(), st.integers(), st.datetimes(), st.text()))
def test_token_functions(value: Any, now: Any) -> None:
    outcome(lambda: VERIFIER.verify_access(value, now=now))
    outcome(lambda: VERIFIER.verify_refresh(value, now=now, revoked={"x"}))
    outcome(lambda: ISSUER.refresh(value, now=now))
    outcome(lambda: ISSUER.rotate(value, now=now, revoked=ls_auth.InMemoryRevocation()))
    outcome(lambda: ls_auth.classify_api_key(value, now=now))
    outcome(lambda: ls_auth.truncate(value))
    outcome(lambda: ls_auth.check_legacy_key(value))
    outcome(lambda: ls_auth.legacy_key_digest(value))
    outcome(lambda: ls_auth.legacy_keys_equal(value, value))
    outcome(lambda: ls_auth.AccessTokenCache(value, now=now))


@FUZZ
@given(anything, anything, st.dictionaries(st.text(), st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(), c, max_size=3), max_leaves=10)))
def test_constructors_and_minting(secret: Any, user_id: Any, claims: Any) -> None:
    outcome(lambda: ls_auth.Verifier(secret))
    outcome(lambda: ls_auth.Issuer(secret, allow_short_key=True))
    outcome(lambda: ls_auth.Verifier(SECRET, fallbacks=[secret]))
    outcome(lambda: ls_auth.Verifier(SECRET, issuer=secret, audience=secret, leeway=user_id))
    outcome(lambda: ls_auth.OrgSettings(pat_ttl_days=user_id))

    def mint_and_back() -> None:
        pat = ISSUER.mint_pat(user_id, now=NOW, claims=claims)
        c = VERIFIER.verify_refresh(pat, now=NOW)
        assert c.user_id == str(user_id)
        ISSUER.refresh(pat, now=NOW)

    outcome(mint_and_back)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(), c, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(
    st.one_of(st.binary(max_size=200), st.builds(lambda d: json.dumps(d).encode(), json_values)),
    st.one_of(
        st.binary(max_size=500),
        st.builds(lambda d: json.dumps(d).encode(), st.dictionaries(st.sampled_from(
            ["token_type", "exp", "iat", "nbf", "jti", "user_id", "iss", "aud", "x"]), json_values)),
    ),
)
def test_correctly_signed_garbage(header: bytes, payload: bytes) -> None:
    """Signed with the right key, so the claims reader itself is fuzzed past the MAC."""
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    sig = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{_b64(sig)}"
    outcome(lambda: VERIFIER.verify_access(token, now=NOW).to_dict())
    outcome(lambda: VERIFIER.verify_refresh(token, now=NOW).extra)
    outcome(lambda: ISSUER.refresh(token, now=NOW))
    outcome(lambda: ls_auth.classify_api_key(token, now=NOW))
    outcome(lambda: ls_auth.authenticate(b"Bearer " + token.encode(), verifier=VERIFIER, settings=ON, now=NOW))
