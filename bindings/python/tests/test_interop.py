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


# --- EdDSA (contract section 3.10): Ed25519 tokens and their JWK Set, with PyJWT + cryptography


def _ed25519_pair():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return private, der


def test_pyjwt_verifies_eddsa_we_sign_with_our_jwks() -> None:
    _, der = _ed25519_pair()
    signer = ls_auth.Keyring.ed25519("ls-1", pkcs8=der).with_keys(ls_auth.Keyring(SECRET))
    issuer = ls_auth.Issuer(signer)
    access = issuer.refresh(ls_auth.Issuer(SECRET).mint_pat("3"))
    assert jwt.get_unverified_header(access) == {"alg": "EdDSA", "kid": "ls-1", "typ": "JWT"}
    keys = jwt.PyJWKSet.from_json(signer.public_jwks())
    assert [k.key_id for k in keys.keys] == ["ls-1"], "HMAC secrets are never published"
    claims = jwt.decode(access, keys["ls-1"].key, algorithms=["EdDSA"])
    assert claims["user_id"] == "3" and claims["token_type"] == "access"


def test_we_verify_eddsa_pyjwt_signs_with_the_jwks_alone() -> None:
    private, der = _ed25519_pair()
    jwks = ls_auth.Keyring.ed25519("k-7", pkcs8=der).public_jwks()
    # The public key cryptography derives is the one we publish.
    pyjwt_jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key()))
    assert json.loads(jwks)["keys"][0]["x"] == pyjwt_jwk["x"]
    payload = {"token_type": "access", "exp": NOW + 60, "iat": NOW, "jti": uuid.uuid4().hex, "user_id": 4}
    token = jwt.encode(payload, private, algorithm="EdDSA", headers={"kid": "k-7"})
    verifier = ls_auth.Verifier(ls_auth.Keyring.from_jwks(jwks))
    assert verifier.verify_access(token).user_id == "4"
    with pytest.raises(ls_auth.UnknownKeyId):
        verifier.verify_access(jwt.encode(payload, private, algorithm="EdDSA"))
    # Algorithm confusion: an HS256 MAC keyed with the published public key, naming its kid.
    public_raw = ls_auth_b64decode(json.loads(jwks)["keys"][0]["x"])
    mixed = ls_auth.Verifier(ls_auth.Keyring(SECRET).with_jwks(jwks))
    forged = _hs256_with_header(payload, public_raw, {"alg": "HS256", "kid": "k-7", "typ": "JWT"})
    with pytest.raises(ls_auth.UnsupportedAlgorithm):
        mixed.verify_access(forged)


def test_pyjwt_verifies_the_shared_eddsa_vectors() -> None:
    """jwks.json's tokens are signed by generate.py's pure-Python Ed25519: PyJWT (with
    cryptography) must accept every one a verify case accepts."""
    from conftest import VECTORS

    cases = json.loads((VECTORS / "jwks.json").read_text("utf-8"))["cases"]
    checked = 0
    for case in cases:
        if case["op"] != "verify_access" or "ok" not in case["expect"]:
            continue
        if jwt.get_unverified_header(case["input"])["alg"] != "EdDSA":
            continue
        entry = next(k for k in case["keys"] if "jwks" in k or "ed25519_seed_hex" in k)
        jwks = entry["jwks"] if "jwks" in entry else ls_auth.Keyring.ed25519(
            entry["kid"], seed=bytes.fromhex(entry["ed25519_seed_hex"])).public_jwks()
        kid = jwt.get_unverified_header(case["input"])["kid"]
        key = jwt.PyJWKSet.from_json(jwks)[kid].key
        jwt.decode(case["input"], key, algorithms=["EdDSA"], options={"verify_exp": False})
        checked += 1
    assert checked >= 5


def ls_auth_b64decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hs256_with_header(payload: dict, secret: bytes, header: dict) -> str:  # type: ignore[type-arg]
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
    tag = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(tag)
