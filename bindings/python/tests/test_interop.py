"""Interop both ways with the real peers Label Studio runs: PyJWT 2.10.1 and simplejwt 5.5.1."""

from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

import ls_auth
from conftest import SECRET

NOW = int(time.time())


@pytest.fixture(scope="module")
def user():  # type: ignore[no-untyped-def]
    user, _ = get_user_model().objects.get_or_create(username="interop")
    return user


def test_pyjwt_decodes_what_we_mint() -> None:
    issuer = ls_auth.Issuer(SECRET)
    pat = issuer.mint_pat("1", claims={"org": 5})
    claims = jwt.decode(pat, SECRET, algorithms=["HS256"])
    assert claims["token_type"] == "refresh" and claims["user_id"] == "1" and claims["org"] == 5
    assert jwt.get_unverified_header(pat) == {"alg": "HS256", "typ": "JWT"}
    access = issuer.refresh(pat)
    claims = jwt.decode(access, SECRET, algorithms=["HS256"])
    assert claims["token_type"] == "access" and claims["exp"] - claims["iat"] == 300


def test_our_bytes_equal_pyjwt_bytes() -> None:
    jti = uuid.uuid4().hex
    ours = ls_auth.Issuer(SECRET)._insecure_with_fixed_jti(jti).mint_pat("1", now=NOW)  # type: ignore[attr-defined]
    payload = {"token_type": "refresh", "exp": NOW + 73000 * 86400, "iat": NOW, "jti": jti, "user_id": "1"}
    assert ours == jwt.encode(payload, SECRET, algorithm="HS256")


def test_we_accept_what_pyjwt_mints() -> None:
    payload = {"token_type": "access", "exp": NOW + 60, "iat": NOW, "jti": uuid.uuid4().hex, "user_id": 9}
    token = jwt.encode(payload, SECRET, algorithm="HS256")
    claims = ls_auth.Verifier(SECRET).verify_access(token)
    assert claims.user_id == "9" and claims.jti == payload["jti"]
    forged = jwt.encode(payload, "another-secret-0123456789-0123456789-xyz", algorithm="HS256")
    with pytest.raises(ls_auth.InvalidSignature):
        ls_auth.Verifier(SECRET).verify_access(forged)
    hs512 = jwt.encode(payload, SECRET, algorithm="HS512")
    with pytest.raises(ls_auth.UnsupportedAlgorithm):
        ls_auth.Verifier(SECRET).verify_access(hs512)


def test_simplejwt_accepts_what_we_mint(user) -> None:  # type: ignore[no-untyped-def]
    issuer = ls_auth.Issuer(SECRET)
    pat = issuer.mint_pat(str(user.pk))
    refresh = RefreshToken(pat)  # verifies signature, exp, token_type and the blacklist
    assert str(refresh["user_id"]) == str(user.pk)
    access = AccessToken(issuer.refresh(pat))
    assert access["token_type"] == "access"
    # simplejwt's own access token from our PAT, accepted by us
    theirs = str(refresh.access_token)
    assert ls_auth.Verifier(SECRET).verify_access(theirs).user_id == str(user.pk)
    with pytest.raises(TokenError):
        AccessToken(pat)


def test_we_accept_what_simplejwt_mints(user) -> None:  # type: ignore[no-untyped-def]
    refresh = RefreshToken.for_user(user)
    verifier = ls_auth.Verifier(SECRET)
    claims = verifier.verify_refresh(str(refresh))
    assert claims.user_id == str(user.pk) and claims.token_type == "refresh"
    assert verifier.verify_access(str(refresh.access_token)).user_id == str(user.pk)
    # our refresh of their PAT is accepted by them
    access = ls_auth.Issuer(SECRET).refresh(str(refresh))
    assert AccessToken(access)["user_id"] == claims.user_id
    # simplejwt's blacklist takes the jti we report
    refresh.blacklist()
    with pytest.raises(ls_auth.TokenRevoked):
        verifier.verify_refresh(str(refresh), revoked=lambda j: j == refresh["jti"])


def test_truncated_form_matches_what_the_server_lists() -> None:
    pat = ls_auth.Issuer(SECRET).mint_pat("1")
    head, payload, _ = pat.split(".")
    assert ls_auth.truncate(pat) == f"{head}.{payload}"
    assert json.loads(jwt.utils.base64url_decode(payload))["user_id"] == "1"
