"""The Python API itself: errors, arguments, the clock, classes."""

from __future__ import annotations

import datetime as dt
import pickle
import threading
from typing import Any, List, Tuple

import pytest

import ls_auth
from ls_auth import _native
from conftest import SECRET

NOW = 1_700_000_000
JTI = "6f1c0b5e2d3a4c8e9a7b1d2e3f405162"


@pytest.fixture()
def issuer() -> ls_auth.Issuer:
    return ls_auth.Issuer(SECRET)


@pytest.fixture()
def verifier() -> ls_auth.Verifier:
    return ls_auth.Verifier(SECRET)


# -- errors -----------------------------------------------------------------------------------


def test_every_core_code_maps_to_one_class() -> None:
    codes = dict(_native.error_codes())
    assert len(codes) >= 19
    assert set(codes) == set(ls_auth.EXCEPTIONS_BY_CODE)
    classes = list(ls_auth.EXCEPTIONS_BY_CODE.values())
    assert len(set(classes)) == len(classes), "one class per code"
    for code, status in codes.items():
        cls = ls_auth.EXCEPTIONS_BY_CODE[code]
        assert issubclass(cls, ls_auth.AuthError)
        e = cls("m")
        assert (e.code, e.status) == (code, status)
        if status == 500:
            assert isinstance(e, ValueError)
        if code not in ("no_credentials", "unsupported_scheme") and status == 401:
            assert isinstance(e, ls_auth.InvalidToken)


def test_spec_codes_are_all_there() -> None:
    spec = """no_credentials unsupported_scheme malformed_header header_too_large malformed_token
    token_too_large unsupported_algorithm invalid_signature token_expired token_not_yet_valid
    issued_in_future missing_claim invalid_claim wrong_token_type token_revoked
    token_kind_disabled pat_ttl_exceeded key_too_short invalid_argument""".split()
    assert set(spec) <= set(ls_auth.EXCEPTIONS_BY_CODE)


def test_table_must_cover_the_core() -> None:
    partial = dict(ls_auth.EXCEPTIONS_BY_CODE)
    del partial["token_revoked"]
    with pytest.raises(ImportError, match="token_revoked"):
        _native.register_errors(partial, ls_auth.AuthError)
    with pytest.raises(ImportError, match="bogus"):
        _native.register_errors({**ls_auth.EXCEPTIONS_BY_CODE, "bogus": ls_auth.AuthError}, ls_auth.AuthError)
    # the good table is still installed
    with pytest.raises(ls_auth.TokenRevoked):
        raise ls_auth.TokenRevoked("x")


def test_exceptions_carry_code_status_and_pickle(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    pat = issuer.mint_pat("1", now=NOW)
    with pytest.raises(ls_auth.WrongTokenType) as info:
        verifier.verify_access(pat, now=NOW)
    e = info.value
    assert (e.code, e.status) == ("wrong_token_type", 401)
    assert pat not in str(e) and pat not in repr(e)
    # The challenge names the kind (the same bytes in every binding); the message is specific.
    assert ls_auth.www_authenticate(e) == (
        'Bearer realm="api", error="invalid_token", error_description="token has the wrong type"'
    )
    assert "exchanged at /api/token/refresh/" in e.message
    assert ls_auth.www_authenticate() == 'Bearer realm="api"'
    assert ls_auth.www_authenticate(ls_auth.KeyTooShort("short")) is None
    assert ls_auth.www_authenticate(ls_auth.MalformedHeader("bad")) == (
        'Bearer realm="api", error="invalid_request", error_description="authorization header is malformed"'
    )


def test_short_keys_need_the_opt_in() -> None:
    with pytest.raises(ls_auth.KeyTooShort) as info:
        ls_auth.Verifier("django-insecure-short")
    assert isinstance(info.value, ValueError) and info.value.status == 500
    with pytest.raises(ls_auth.KeyTooShort):
        ls_auth.Issuer(b"")
    with pytest.raises(ls_auth.KeyTooShort):
        ls_auth.Verifier(SECRET, fallbacks=["short"])
    short = ls_auth.Issuer("short", allow_short_key=True)
    pat = short.mint_pat(1, now=NOW)
    assert ls_auth.Verifier("short", allow_short_key=True).verify_refresh(pat, now=NOW).user_id == "1"


# -- arguments and the clock --------------------------------------------------------------------


def test_now_accepts_int_and_aware_datetime(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    access = issuer.refresh(issuer.mint_pat(1, now=NOW), now=NOW)
    aware = dt.datetime.fromtimestamp(NOW + 299, dt.timezone.utc)
    assert verifier.verify_access(access, now=aware).user_id == "1"
    plus2 = dt.timezone(dt.timedelta(hours=2))
    assert verifier.verify_access(access, now=dt.datetime.fromtimestamp(NOW + 299.999, plus2)).jti
    with pytest.raises(ls_auth.TokenExpired):
        verifier.verify_access(access, now=dt.datetime.fromtimestamp(NOW + 300, plus2))
    with pytest.raises(ls_auth.InvalidArgument, match="naive"):
        verifier.verify_access(access, now=dt.datetime(2023, 11, 14))
    for bad in (1.5, "1700000000", True, dt.date(2023, 1, 1), [NOW]):
        with pytest.raises(TypeError):
            verifier.verify_access(access, now=bad)
    with pytest.raises(ls_auth.InvalidArgument):
        verifier.verify_access(access, now=2**70)


def test_now_defaults_to_the_system_clock(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    access = issuer.refresh(issuer.mint_pat(1))
    claims = verifier.verify_access(access)
    import time

    assert abs(claims.iat - time.time()) < 5  # type: ignore[operator]


def test_bad_argument_types(verifier: ls_auth.Verifier) -> None:
    with pytest.raises(TypeError):
        ls_auth.Verifier(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ls_auth.Verifier(SECRET, fallbacks="not-a-list-of-secrets-0123456789abcdef")
    with pytest.raises(TypeError):
        verifier.verify_access(b"a.b.c")  # type: ignore[arg-type]
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.Verifier(SECRET, leeway=-1)
    with pytest.raises(TypeError):
        ls_auth.Verifier(SECRET, leeway=1.0)  # type: ignore[arg-type]
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.OrgSettings(pat_ttl_days=2**40)
    with pytest.raises(TypeError):
        ls_auth.parse_authorization(12)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ls_auth.OrgSettings(True)  # type: ignore[misc]


def test_mint_arguments(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    pat = issuer.mint_pat(42, now=NOW, claims={"org": {"b": 1, "a": "é"}, "scopes": ("r", "w"), "f": 1.5})
    claims = verifier.verify_refresh(pat, now=NOW)
    assert claims.user_id == "42"
    assert claims.extra == {"org": {"b": 1, "a": "é"}, "scopes": ["r", "w"], "f": 1.5}
    assert list(claims.extra["org"]) == ["b", "a"]
    with pytest.raises(ls_auth.InvalidArgument):
        issuer.mint_pat("1", claims={"exp": 1})
    with pytest.raises(ls_auth.InvalidArgument):
        issuer.mint_pat("")
    with pytest.raises(TypeError):
        issuer.mint_pat(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        issuer.mint_pat("1", claims={1: "x"})
    with pytest.raises(TypeError):
        issuer.mint_pat("1", claims={"x": object()})
    with pytest.raises(ls_auth.InvalidArgument):
        issuer.mint_pat("1", claims={"x": float("nan")})
    with pytest.raises(ls_auth.InvalidArgument):
        issuer.mint_pat("1", claims={"x": 2**80})
    deep: Any = []
    for _ in range(1000):
        deep = [deep]
    with pytest.raises(ls_auth.InvalidArgument):
        issuer.mint_pat("1", claims={"x": deep})
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.Issuer(SECRET)._insecure_with_fixed_jti("not-a-uuid4")  # type: ignore[attr-defined]


def test_fixed_jti_hook_is_deterministic() -> None:
    a = ls_auth.Issuer(SECRET)._insecure_with_fixed_jti(JTI).mint_pat("1", now=NOW)  # type: ignore[attr-defined]
    b = ls_auth.Issuer(SECRET)._insecure_with_fixed_jti(JTI).mint_pat("1", now=NOW)  # type: ignore[attr-defined]
    assert a == b
    assert ls_auth.Verifier(SECRET).verify_refresh(a, now=NOW).jti == JTI


# -- classes ----------------------------------------------------------------------------------


def test_claims_are_read_only_and_compare(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    access = issuer.refresh(issuer.mint_pat("7", now=NOW, claims={"team": "a"}), now=NOW)
    c1 = verifier.verify_access(access, now=NOW)
    c2 = verifier.verify_access(access, now=NOW + 1)
    assert c1 == c2 and c1 != "x"
    assert (c1.token_type, c1.user_id, c1.exp, c1.iat, c1.nbf) == ("access", "7", NOW + 300, NOW, None)
    assert c1.iss is None and c1.aud is None
    assert c1.to_dict()["team"] == "a"
    with pytest.raises(AttributeError):
        c1.user_id = "8"  # type: ignore[misc]
    c1.extra["team"] = "mutated"
    assert c1.extra["team"] == "a"
    assert access not in repr(c1) and "Claims(" in repr(c1)
    with pytest.raises(TypeError):
        hash(c1)


def test_issuer_and_audience() -> None:
    iss = ls_auth.Issuer(SECRET, issuer="ls", audience="api")
    access = iss.refresh(iss.mint_pat(1, now=NOW), now=NOW)
    claims = ls_auth.Verifier(SECRET, issuer="ls", audience="api").verify_access(access, now=NOW)
    assert (claims.iss, claims.aud) == ("ls", ("api",))
    with pytest.raises(ls_auth.InvalidClaim):
        ls_auth.Verifier(SECRET).verify_access(access, now=NOW)
    assert iss.verifier.verify_access(access, now=NOW) == claims


def test_fallback_keys_verify_first_signs() -> None:
    old = ls_auth.Issuer("old-secret-0123456789-0123456789-abcdef")
    pat = old.mint_pat(1, now=NOW)
    rotated = ls_auth.Verifier(SECRET, fallbacks=[b"old-secret-0123456789-0123456789-abcdef"])
    assert rotated.verify_refresh(pat, now=NOW).user_id == "1"
    with pytest.raises(ls_auth.InvalidSignature):
        ls_auth.Verifier(SECRET).verify_refresh(pat, now=NOW)


def test_revocation_container_callable_and_failure(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    pat = issuer.mint_pat(1, now=NOW)
    jti = verifier.verify_refresh(pat, now=NOW).jti
    with pytest.raises(ls_auth.TokenRevoked):
        verifier.verify_refresh(pat, now=NOW, revoked={jti})
    with pytest.raises(ls_auth.TokenRevoked):
        verifier.verify_refresh(pat, now=NOW, revoked=[jti])
    with pytest.raises(ls_auth.TokenRevoked):
        issuer.refresh(pat, now=NOW, revoked=lambda j: j == jti)
    assert issuer.refresh(pat, now=NOW, revoked=lambda j: False)

    def broken(j: str) -> bool:
        raise ConnectionError("store down")

    with pytest.raises(ConnectionError):
        verifier.verify_refresh(pat, now=NOW, revoked=broken)



def test_rotation_records_in_a_store_and_refuses_read_only_ones(
    issuer: ls_auth.Issuer, verifier: ls_auth.Verifier
) -> None:
    pat = issuer.mint_pat(1, now=NOW)
    jti = verifier.verify_refresh(pat, now=NOW).jti
    store = ls_auth.InMemoryRevocation()
    rotation = issuer.rotate(pat, now=NOW + 1, revoked=store)
    assert (rotation.revoked_jti, len(store)) == (jti, 1)
    assert rotation.revoked_exp == NOW + 73000 * 86400
    assert "redacted" in repr(rotation) and rotation.pat not in repr(rotation)
    with pytest.raises(ls_auth.TokenRevoked):
        issuer.rotate(pat, now=NOW + 2, revoked=store)
    assert verifier.verify_refresh(rotation.pat, now=NOW + 2, revoked=store).user_id == "1"
    # A set, a list, a callable, a read-only store or nothing cannot record a rotation atomically.
    class ReadOnly:
        def is_revoked(self, jti: str) -> bool:
            return False

    for read_only in (set(), [], lambda j: False, ReadOnly(), None):
        with pytest.raises(ls_auth.InvalidArgument, match="atomic revoke_if_active"):
            issuer.rotate(rotation.pat, now=NOW + 3, revoked=read_only)  # type: ignore[arg-type]
    # A host's own store: its revoke_if_active is the atomic step; its exceptions propagate.
    class Host:
        def __init__(self) -> None:
            self.calls: List[Tuple[str, int, int]] = []

        def is_revoked(self, jti: str) -> bool:
            return False

        def revoke_if_active(self, jti: str, forget_after: int, now: int) -> bool:
            self.calls.append((jti, forget_after, now))
            return len(self.calls) == 1

    host = Host()
    second = issuer.rotate(rotation.pat, now=NOW + 4, revoked=host)
    assert host.calls == [(second.revoked_jti, second.forget_after, NOW + 4)]
    with pytest.raises(ls_auth.TokenRevoked):
        issuer.rotate(rotation.pat, now=NOW + 5, revoked=host)

    class Down(Host):
        def revoke_if_active(self, jti: str, forget_after: int, now: int) -> bool:
            raise ConnectionError("store down")

    with pytest.raises(ConnectionError):
        issuer.rotate(second.pat, now=NOW + 6, revoked=Down())


def test_forgetting_honours_the_leeway() -> None:
    # Issue 17, finding 4, as reported: before the fix the store forgot the entry at `exp` and
    # this refresh, ten seconds later but inside the leeway, returned an access token.
    n = NOW
    issuer = ls_auth.Issuer(SECRET, leeway=60)
    one_day = ls_auth.OrgSettings(pat_ttl_days=1)
    pat = issuer.mint_pat(1, now=n, settings=one_day)
    store = ls_auth.InMemoryRevocation()
    rotation = issuer.rotate(pat, now=n + 1, revoked=store, settings=one_day)
    assert (rotation.revoked_exp, rotation.forget_after) == (n + 86400, n + 86460)
    assert issuer.verifier.forget_after(n + 86400) == n + 86460
    store.forget_expired(n + 86400)
    with pytest.raises(ls_auth.TokenRevoked):
        issuer.refresh(pat, now=n + 86410, revoked=store, settings=one_day)
    store.forget_expired(n + 86460)
    assert len(store) == 0
    with pytest.raises(ls_auth.TokenExpired):
        issuer.refresh(pat, now=n + 86460, revoked=store, settings=one_day)
    # A revocation by hand keeps the later of two times for one jti.
    store.revoke("j", n + 10)
    store.revoke("j", n + 5)
    store.forget_expired(n + 9)
    assert store.is_revoked("j")


def test_settings_and_authenticate(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    s = ls_auth.OrgSettings()
    assert (s.api_tokens_enabled, s.legacy_api_tokens_enabled, s.pat_ttl_days, s.enforce_ttl_on_existing) == (
        True, False, 73000, True)
    assert s == ls_auth.OrgSettings() and "OrgSettings(" in repr(s)
    access = issuer.refresh(issuer.mint_pat(3, now=NOW), now=NOW)
    p = ls_auth.authenticate(f"Bearer {access}", verifier=verifier, settings=s, now=NOW)
    assert p.kind == "jwt" and p.claims is not None and p.claims.user_id == "3"
    assert p == ls_auth.authenticate(f"bearer {access}".encode(), verifier=verifier, settings=s, now=NOW)
    key = ls_auth.generate_legacy_key()
    ls_auth.check_legacy_key(key)
    with pytest.raises(ls_auth.TokenKindDisabled):
        ls_auth.authenticate(f"Token {key}", verifier=verifier, settings=s)
    legacy_on = ls_auth.OrgSettings(legacy_api_tokens_enabled=True)
    p = ls_auth.authenticate(f"Token {key}", verifier=verifier, settings=legacy_on)
    assert (p.kind, p.legacy_key, p.claims) == ("legacy", key, None)
    assert key not in repr(p)
    with pytest.raises(ls_auth.NoCredentials):
        ls_auth.authenticate(None, verifier=verifier, settings=s)
    with pytest.raises(ls_auth.UnsupportedScheme):
        ls_auth.authenticate("Basic Zm9vOmJhcg==", verifier=verifier, settings=s)
    with pytest.raises(ls_auth.PatTtlExceeded):
        verifier.verify_refresh(issuer.mint_pat(1, now=NOW), now=NOW + 2 * 86400,
                                settings=ls_auth.OrgSettings(pat_ttl_days=1))


def test_parse_authorization() -> None:
    c = ls_auth.parse_authorization("Bearer a.b.c")
    assert c is not None and (c.scheme, c.token) == ("bearer", "a.b.c")
    assert c == ls_auth.parse_authorization(b"BEARER  a.b.c ")
    assert "a.b.c" not in repr(c)
    with pytest.raises(ls_auth.NoCredentials):
        ls_auth.parse_authorization(None)
    with pytest.raises(ls_auth.NoCredentials):
        ls_auth.parse_authorization("")
    with pytest.raises(ls_auth.UnsupportedScheme):
        ls_auth.parse_authorization("Basic abc")
    with pytest.raises(ls_auth.MalformedHeader):
        ls_auth.parse_authorization("Bearer a b")
    with pytest.raises(ls_auth.HeaderTooLarge) as info:
        ls_auth.parse_authorization("Bearer " + "a" * 9000)
    assert info.value.status == 400 and isinstance(info.value, ls_auth.MalformedHeader)
    with pytest.raises(ls_auth.MalformedHeader):
        ls_auth.parse_authorization("Bearer \ud800")


def test_classify_truncate_and_legacy_helpers(issuer: ls_auth.Issuer) -> None:
    pat = issuer.mint_pat(1, now=NOW)
    access = issuer.refresh(pat, now=NOW)
    assert ls_auth.classify_api_key(pat, now=NOW) == "pat"
    assert ls_auth.classify_api_key(access, now=NOW) == "access"
    key = ls_auth.generate_legacy_key()
    assert len(key) == 40 and key != ls_auth.generate_legacy_key()
    assert ls_auth.classify_api_key(key) == "legacy"
    with pytest.raises(ls_auth.TokenExpired, match="obtain a new refresh token"):
        ls_auth.classify_api_key(ls_auth.Issuer(SECRET).mint_pat(1, now=NOW, settings=ls_auth.OrgSettings(pat_ttl_days=1)), now=NOW + 86400)
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.classify_api_key("")
    assert ls_auth.truncate(pat) == pat.rsplit(".", 1)[0]
    with pytest.raises(ls_auth.MalformedToken):
        ls_auth.truncate("nope")
    with pytest.raises(ls_auth.MalformedToken):
        ls_auth.check_legacy_key(key.upper())
    assert ls_auth.legacy_keys_equal(key, key) and not ls_auth.legacy_keys_equal(key, key[:-1])
    assert ls_auth.legacy_key_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_one_verifier_serves_many_threads(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    # What this proves is shared use, not GIL release: the binding keeps the GIL for tokens
    # under 1 KiB (releasing it costs as much as the verification), so both sizes run here.
    access = issuer.refresh(issuer.mint_pat(1, now=NOW), now=NOW)
    big = issuer.refresh(
        issuer.mint_pat(1, now=NOW, claims={f"c{i}": "x" * 20 for i in range(40)}), now=NOW
    )
    assert len(big) > 1024
    errors: List[BaseException] = []

    def work() -> None:
        try:
            for _ in range(1000):
                assert verifier.verify_access(access, now=NOW).user_id == "1"
                assert verifier.verify_access(big, now=NOW).extra["c39"] == "x" * 20
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_objects_do_not_pickle_secrets() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(ls_auth.Verifier(SECRET))
    assert SECRET not in repr(ls_auth.Verifier(SECRET))
    assert SECRET not in repr(ls_auth.Issuer(SECRET))


def test_two_step_authentication_names_the_user_then_admits(
    issuer: ls_auth.Issuer, verifier: ls_auth.Verifier
) -> None:
    access = issuer.refresh(issuer.mint_pat(9, now=NOW), now=NOW)
    pending = ls_auth.begin_authenticate(f"Bearer {access}", verifier=verifier, now=NOW)
    assert (pending.kind, pending.user_id_for_lookup, pending.legacy_key_for_lookup) == ("jwt", "9", None)
    assert "9" in repr(pending)
    with pytest.raises(ls_auth.TokenKindDisabled):
        pending.admit(ls_auth.OrgSettings(api_tokens_enabled=False))
    with pytest.raises(ls_auth.InvalidArgument, match="already admitted"):
        pending.admit(ls_auth.OrgSettings())  # one organisation's answer, once
    legacy = ls_auth.generate_legacy_key()
    pending = ls_auth.begin_authenticate(f"Token {legacy}", verifier=verifier, now=NOW)
    assert (pending.kind, pending.legacy_key_for_lookup) == ("legacy", legacy)
    assert legacy not in repr(pending)
    principal = pending.admit(ls_auth.OrgSettings(legacy_api_tokens_enabled=True))
    assert principal.legacy_key == legacy
    with pytest.raises(ls_auth.NoCredentials):
        ls_auth.begin_authenticate(None, verifier=verifier, now=NOW)
    with pytest.raises(TypeError):
        pending.admit("not settings")  # type: ignore[arg-type]


def test_two_step_refresh_and_rotation(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    pat = issuer.mint_pat(4, now=NOW)
    org = ls_auth.OrgSettings(pat_ttl_days=10)
    pending = issuer.begin_refresh(pat, now=NOW)
    assert pending.user_id_for_lookup == "4"
    assert pending.jti_for_lookup == verifier.verify_refresh(pat, now=NOW).jti
    access = issuer.finish_refresh(pending, settings=org)
    assert verifier.verify_access(access, now=NOW).user_id == "4"
    store = ls_auth.InMemoryRevocation()
    pending = verifier.begin_refresh(pat, now=NOW)
    # A store that cannot record refuses the rotation without using up the pending PAT.
    with pytest.raises(ls_auth.InvalidArgument, match="atomic"):
        issuer.finish_rotate(pending, settings=org, revoked=set())  # type: ignore[arg-type]
    rotation = issuer.finish_rotate(pending, settings=org, revoked=store)
    assert verifier.verify_refresh(rotation.pat, now=NOW).exp == NOW + 10 * 86400
    with pytest.raises(ls_auth.InvalidArgument, match="already admitted"):
        issuer.finish_refresh(pending, settings=org)
    with pytest.raises(ls_auth.TokenRevoked):
        verifier.begin_refresh(pat, now=NOW).admit(org, revoked=store)
    with pytest.raises(ls_auth.WrongTokenType):
        verifier.begin_refresh(access, now=NOW)
    assert ls_auth.DEFAULT_PAT_TTL_DAYS == ls_auth.OrgSettings().pat_ttl_days == 73000
    assert (ls_auth.DEFAULT_ACCESS_TTL, ls_auth.DEFAULT_REFRESH_MARGIN) == (300, 30)


# -- text with lone surrogates ------------------------------------------------------------------


def test_lone_surrogates_are_refused_not_converted(issuer: ls_auth.Issuer, verifier: ls_auth.Verifier) -> None:
    # Issue 17, finding 7: every lone surrogate became U+FFFD, so before the fix
    # legacy_keys_equal("\ud800", "\udfff") was True, the two had one digest, and a jti revoked
    # as "\ud800" answered for "\udfff" too.
    hi, lo = "\ud800", "\udfff"
    with pytest.raises(ls_auth.InvalidArgument, match="lone surrogate"):
        ls_auth.legacy_keys_equal(hi, lo)
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.legacy_keys_equal("a" * 40, "a" * 39 + lo)
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.legacy_key_digest(hi)
    store = ls_auth.InMemoryRevocation()
    for call in (
        lambda: store.revoke(hi, NOW),
        lambda: store.revoke_if_active(hi, NOW, NOW),
        lambda: store.is_revoked(lo),
    ):
        with pytest.raises(ls_auth.InvalidArgument):
            call()
    assert len(store) == 0
    pat = issuer.mint_pat(1, now=NOW)
    bad = pat + hi
    every_text_entry = [
        lambda: verifier.verify_access(bad, now=NOW),
        lambda: verifier.verify_refresh(bad, now=NOW),
        lambda: verifier.begin_refresh(bad, now=NOW),
        lambda: issuer.refresh(bad, now=NOW),
        lambda: issuer.rotate(bad, now=NOW, revoked=store),
        lambda: issuer.begin_refresh(bad, now=NOW),
        lambda: issuer.mint_pat(hi, now=NOW),
        lambda: issuer.mint_pat(1, now=NOW, claims={"k": hi}),
        lambda: issuer.mint_pat(1, now=NOW, claims={hi: 1}),
        lambda: ls_auth.Verifier(SECRET, issuer=hi),
        lambda: ls_auth.Verifier(SECRET, audience=hi),
        lambda: ls_auth.Verifier(SECRET + hi),
        lambda: ls_auth.classify_api_key(bad, now=NOW),
        lambda: ls_auth.inspect_key(bad),
        lambda: ls_auth.truncate(bad),
        lambda: ls_auth.check_legacy_key("a" * 39 + hi),
        lambda: ls_auth.AccessTokenCache(bad, now=NOW),
        lambda: ls_auth.AccessTokenCache(pat, now=NOW).store_access(bad),
        lambda: ls_auth.www_authenticate(ls_auth.AuthError("m", code=hi)),
    ]
    for call in every_text_entry:
        with pytest.raises(ls_auth.InvalidArgument, match="lone surrogate"):
            call()
    # Distinct valid texts stay distinct; non-str is still a TypeError.
    assert not ls_auth.legacy_keys_equal("\u00e9", "\ufffd")
    with pytest.raises(TypeError):
        ls_auth.legacy_key_digest(b"a" * 40)  # type: ignore[arg-type]
# --- Keyring (contract section 3.10)


def test_keyring_ed25519_round_trips_and_never_shows_key_material() -> None:
    signer = ls_auth.Keyring.generate_ed25519("2026-01")
    der = signer.signing_key_pkcs8()
    assert der is not None and len(der) == 48
    again = ls_auth.Keyring.ed25519("2026-01", pkcs8=der)
    assert again.public_jwks() == signer.public_jwks()
    assert ls_auth.Keyring.ed25519("2026-01", seed=der[16:]).public_jwks() == signer.public_jwks()
    assert ls_auth.Keyring.generate_ed25519("2026-01").public_jwks() != signer.public_jwks()
    mixed = signer.with_keys(ls_auth.Keyring(SECRET))
    assert mixed.kids == ("2026-01", None)
    assert repr(mixed) == 'Keyring(["2026-01" (EdDSA), HS256])'
    assert der.hex() not in repr(mixed) and SECRET not in repr(mixed)
    assert ls_auth.Keyring(SECRET).signing_key_pkcs8() is None
    assert ls_auth.Keyring.from_jwks(signer.public_jwks()).signing_key_pkcs8() is None


def test_keyring_refusals() -> None:
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.Keyring.ed25519("k")  # neither seed nor pkcs8
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.Keyring.ed25519("k", seed=b"\x01" * 32, pkcs8=b"\x01" * 48)
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.Keyring.ed25519("k", seed=b"\x01" * 31)
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.Keyring.ed25519("", seed=b"\x01" * 32)
    with pytest.raises(TypeError):
        ls_auth.Keyring.ed25519("k", seed="not bytes")  # type: ignore[arg-type]
    with pytest.raises(ls_auth.InvalidKeySet):
        ls_auth.Keyring.from_jwks('{"keys":[{"kty":"oct","kid":"a","k":"c2VjcmV0"}]}')
    signer = ls_auth.Keyring.ed25519("k", seed=b"\x01" * 32)
    with pytest.raises(ls_auth.InvalidKeySet):
        signer.with_keys(ls_auth.Keyring.ed25519("k", seed=b"\x02" * 32))
    with pytest.raises(ls_auth.InvalidKeySet):
        signer.with_jwks(signer.public_jwks())
    with pytest.raises(TypeError):
        ls_auth.Verifier(signer, fallbacks=[SECRET])
    public_only = ls_auth.Keyring.from_jwks(signer.public_jwks())
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.Issuer(public_only).mint_pat("1")


def test_a_service_with_the_public_set_verifies_and_cannot_mint() -> None:
    signer = ls_auth.Keyring.ed25519("k", seed=b"\x03" * 32).with_keys(ls_auth.Keyring(SECRET))
    access = ls_auth.Issuer(signer).refresh(ls_auth.Issuer(SECRET).mint_pat("9"))
    service = ls_auth.Verifier(ls_auth.Keyring.from_jwks(signer.public_jwks()))
    assert service.verify_access(access).user_id == "9"
    other = ls_auth.Keyring.ed25519("k", seed=b"\x04" * 32).with_keys(ls_auth.Keyring(SECRET))
    forged = ls_auth.Issuer(other).refresh(ls_auth.Issuer(SECRET).mint_pat("9"))
    with pytest.raises(ls_auth.InvalidSignature):
        service.verify_access(forged)
    with pytest.raises(ls_auth.InvalidToken):  # Label Studio's HS256 access token
        service.verify_access(ls_auth.Issuer(SECRET).refresh(ls_auth.Issuer(SECRET).mint_pat("9")))
