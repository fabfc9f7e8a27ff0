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


def _key_args(case: Dict[str, Any]) -> Dict[str, Any]:
    keys = case["keys"]
    policy = case["policy"]
    return dict(
        fallbacks=[_secret(k) for k in keys[1:]],
        leeway=policy["leeway"],
        issuer=policy["issuer"],
        audience=policy["audience"],
        allow_short_key=case["allow_short_key"],
    )


def _verifier(case: Dict[str, Any]) -> ls_auth.Verifier:
    return ls_auth.Verifier(_secret(case["keys"][0]), **_key_args(case))


def _issuer(case: Dict[str, Any]) -> ls_auth.Issuer:
    mint = case["mint"] or {}
    return ls_auth.Issuer(
        _secret(case["keys"][0]),
        access_ttl=case["policy"]["access_ttl"],
        pat_ttl_days=case["settings"]["pat_ttl_days"],
        _insecure_fixed_jti=mint.get("jti"),
        **_key_args(case),
    )


def _run(case: Dict[str, Any]) -> Any:
    op, now = case["op"], case["now"]
    if op == "parse_authorization":
        header = _input_bytes(case)
        cred = ls_auth.parse_authorization(header)
        if cred is None:
            # The public API folds "no credentials" and "another scheme" into None; authenticate
            # reports which one it was (it parses the header first, with the same core code).
            ls_auth.authenticate(header, verifier=_verifier(case), settings=_settings(case), now=now)
            raise AssertionError("parse_authorization gave None but authenticate did not refuse")
        assert cred.scheme in ("bearer", "token")
        return {"scheme": cred.scheme, "token": cred.token}
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
        p = ls_auth.authenticate(
            _input_bytes(case), verifier=_verifier(case), settings=_settings(case), now=now
        )
        if p.kind == "jwt":
            assert p.claims is not None and p.legacy_key is None
            return {"principal": "jwt", "claims": p.claims.to_dict()}
        assert p.claims is None
        return {"principal": "legacy", "key": p.legacy_key}
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
        return {"pat": rotation.pat, "revoked_jti": rotation.revoked_jti}
    raise AssertionError(f"unknown op {op!r}")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case: Dict[str, Any]) -> None:
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(ls_auth.AuthError) as info:
            _run(case)
        assert info.value.code == expect["error"], info.value.message
        assert type(info.value) is ls_auth.EXCEPTIONS_BY_CODE[expect["error"]]
    else:
        assert _run(case) == expect["ok"]
