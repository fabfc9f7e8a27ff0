"""Every case of tests/vectors/*.json, through the public Python API (format: tests/vectors/README.md)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

import ls_auth
from conftest import VECTORS

OPS = {
    "parse_authorization",
    "verify_access",
    "verify_refresh",
    "authenticate",
    "classify_api_key",
    "check_legacy_key",
    "mint_pat",
    "refresh",
    "rotate",
    "authenticate_two_step",
    "verify_refresh_two_step",
    "refresh_two_step",
    "rotate_two_step",
    "inspect_key",
    "www_authenticate",
    "credential_scope",
    "public_jwks",
}


def _load() -> List[Dict[str, Any]]:
    cases: List[Dict[str, Any]] = []
    for path in sorted(VECTORS.glob("*.json")):
        for case in json.loads(path.read_text("utf-8"))["cases"]:
            case["_file"] = path.name
            cases.append(case)
    return cases


CASES = _load()


def test_there_are_vectors() -> None:
    assert len(CASES) > 0, f"no vectors found in {VECTORS}"
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "vector names must be unique"
    assert {c["op"] for c in CASES} <= OPS, "a vector uses an op this runner does not know"


def _input_bytes(case: Dict[str, Any]) -> bytes:
    if "input_hex" in case:
        return bytes.fromhex(case["input_hex"])
    if "input_repeat" in case:
        r = case["input_repeat"]
        return (r["prefix"] + r["unit"] * r["count"] + r["suffix"]).encode("utf-8")
    return case["input"].encode("utf-8")


def _input_text(case: Dict[str, Any]) -> str:
    return _input_bytes(case).decode("utf-8", "surrogateescape")


def _secret(key: Dict[str, str]) -> Any:
    return key["secret"] if "secret" in key else bytes.fromhex(key["secret_hex"])


def _settings(case: Dict[str, Any]) -> ls_auth.OrgSettings:
    return ls_auth.OrgSettings(**case["settings"])


def _is_hs256(key: Dict[str, str]) -> bool:
    return "secret" in key or "secret_hex" in key


def _entry(key: Dict[str, str], allow_short_key: bool) -> ls_auth.Keyring:
    if "jwks" in key:
        return ls_auth.Keyring.from_jwks(key["jwks"])
    if "ed25519_seed_hex" in key:
        return ls_auth.Keyring.ed25519(key["kid"], seed=bytes.fromhex(key["ed25519_seed_hex"]))
    return ls_auth.Keyring(_secret(key), allow_short_key=allow_short_key)


def _keys(case: Dict[str, Any]) -> Any:
    """HS256-only cases go through the secret/fallbacks arguments, the rest through Keyring."""
    keys = case["keys"]
    if all(_is_hs256(k) for k in keys):
        return _secret(keys[0])
    ring = _entry(keys[0], case["allow_short_key"])
    for key in keys[1:]:
        ring = ring.with_keys(_entry(key, case["allow_short_key"]))
    return ring


def _key_args(case: Dict[str, Any]) -> Dict[str, Any]:
    keys = case["keys"]
    policy = case["policy"]
    hs256_only = all(_is_hs256(k) for k in keys)
    return dict(
        fallbacks=[_secret(k) for k in keys[1:]] if hs256_only else None,
        leeway=policy["leeway"],
        issuer=policy["issuer"],
        audience=policy["audience"],
        allow_short_key=case["allow_short_key"],
    )


def _verifier(case: Dict[str, Any]) -> ls_auth.Verifier:
    return ls_auth.Verifier(_keys(case), **_key_args(case))


def _issuer(case: Dict[str, Any]) -> ls_auth.Issuer:
    mint = case["mint"] or {}
    issuer = ls_auth.Issuer(
        _keys(case),
        access_ttl=case["policy"]["access_ttl"],
        access_names_pat=case["policy"].get("access_names_pat", False),  # peers.json: absent
        **_key_args(case),
    )
    jti = mint.get("jti")
    return issuer if jti is None else issuer._insecure_with_fixed_jti(jti)  # type: ignore[attr-defined,no-any-return]


def _store(case: Dict[str, Any]) -> ls_auth.InMemoryRevocation:
    store = ls_auth.InMemoryRevocation()
    for jti in case["revoked"]:
        store.revoke(jti, 2**62)
    return store


def _principal(p: ls_auth.Principal) -> Dict[str, Any]:
    if p.kind == "jwt":
        assert p.claims is not None and p.legacy_key is None
        return {"principal": "jwt", "claims": p.claims.to_dict()}
    assert p.claims is None
    return {"principal": "legacy", "key": p.legacy_key}


def _run_two_step(case: Dict[str, Any], lookups: List[Any]) -> Any:
    """Step one appends what it names to ``lookups`` (nothing when it raises); step two's
    outcome is returned."""
    op, now = case["op"], case["now"]
    settings = _settings(case)
    if op == "authenticate_two_step":
        pending = ls_auth.begin_authenticate(_input_bytes(case), verifier=_verifier(case), now=now)
        if pending.kind == "jwt":
            assert pending.legacy_key_for_lookup is None
            looked: Dict[str, Any] = {"user_id": pending.user_id_for_lookup}
            if pending.pat_jti_for_lookup is not None:
                looked["pat_jti"] = pending.pat_jti_for_lookup
            lookups.append(looked)
        else:
            assert pending.user_id_for_lookup is None and pending.pat_jti_for_lookup is None
            lookups.append({"legacy_key": pending.legacy_key_for_lookup})
        principal = _principal(pending.admit(settings, revoked=_store(case)))
        with pytest.raises(ls_auth.InvalidArgument, match="already admitted"):
            pending.admit(settings)
        return principal
    if op == "verify_refresh_two_step":
        pending_pat = _verifier(case).begin_refresh(_input_text(case), now=now)
        lookups.append({"user_id": pending_pat.user_id_for_lookup})
        return pending_pat.admit(settings, revoked=_store(case)).to_dict()
    issuer = _issuer(case)
    pending_pat = issuer.begin_refresh(_input_text(case), now=now)
    lookups.append({"user_id": pending_pat.user_id_for_lookup})
    if op == "refresh_two_step":
        return issuer.finish_refresh(pending_pat, settings=settings, revoked=_store(case))
    assert op == "rotate_two_step", op
    rotation = issuer.finish_rotate(pending_pat, settings=settings, revoked=_store(case))
    return {"pat": rotation.pat, "revoked_jti": rotation.revoked_jti, "revoked_exp": rotation.revoked_exp,
            "forget_after": rotation.forget_after}


def _run(case: Dict[str, Any]) -> Any:
    op, now = case["op"], case["now"]
    if op == "parse_authorization":
        cred = ls_auth.parse_authorization(_input_bytes(case))
        assert cred.scheme in ("bearer", "token")
        return {"scheme": cred.scheme, "token": cred.token}
    if op == "inspect_key":
        return ls_auth.inspect_key(_input_text(case))
    if op == "credential_scope":
        return ls_auth.CredentialScope(case["base_url"]).allows(_input_text(case))
    if op == "www_authenticate":
        return ls_auth.www_authenticate(ls_auth.AuthError("any message", code=_input_text(case)))
    if op == "public_jwks":
        ring = _keys(case)
        if not isinstance(ring, ls_auth.Keyring):
            ring = ls_auth.Keyring(ring, fallbacks=[_secret(k) for k in case["keys"][1:]])
        return ring.public_jwks()
    if op == "verify_access":
        return _verifier(case).verify_access(_input_text(case), now=now).to_dict()
    if op == "verify_refresh":
        return (
            _verifier(case)
            .verify_refresh(
                _input_text(case), now=now, revoked=set(case["revoked"]), settings=_settings(case)
            )
            .to_dict()
        )
    if op == "authenticate":
        return _principal(
            ls_auth.authenticate(
                _input_bytes(case), verifier=_verifier(case), settings=_settings(case), now=now
            )
        )
    if op == "classify_api_key":
        return ls_auth.classify_api_key(_input_text(case), now=now)
    if op == "check_legacy_key":
        return ls_auth.check_legacy_key(_input_text(case))
    if op == "mint_pat":
        mint = case["mint"]
        return _issuer(case).mint_pat(
            mint["user_id"], now=now, claims=mint["claims"], settings=_settings(case)
        )
    if op == "refresh":
        return _issuer(case).refresh(
            _input_text(case), now=now, revoked=set(case["revoked"]), settings=_settings(case)
        )
    if op == "rotate":
        store = ls_auth.InMemoryRevocation()
        for jti in case["revoked"]:
            store.revoke(jti, 2**62)
        rotation = _issuer(case).rotate(
            _input_text(case), now=now, revoked=store, settings=_settings(case)
        )
        assert store.is_revoked(rotation.revoked_jti), "rotation records the old jti"
        return {"pat": rotation.pat, "revoked_jti": rotation.revoked_jti, "revoked_exp": rotation.revoked_exp,
            "forget_after": rotation.forget_after}
    raise AssertionError(f"unknown op {op!r}")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case: Dict[str, Any]) -> None:
    expect = case["expect"]
    lookups: List[Any] = []
    if case["op"].endswith("_two_step"):
        run = lambda: _run_two_step(case, lookups)  # noqa: E731
    else:
        run = lambda: _run(case)  # noqa: E731
    if "error" in expect:
        with pytest.raises(ls_auth.AuthError) as info:
            run()
        assert info.value.code == expect["error"], info.value.message
        assert type(info.value) is ls_auth.EXCEPTIONS_BY_CODE[expect["error"]]
    else:
        assert run() == expect["ok"]
    if "lookup" in expect:
        assert lookups == ([] if expect["lookup"] is None else [expect["lookup"]])
