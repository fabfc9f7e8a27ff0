"""ls_auth.VerifiedTokenCache: the core's cache of verified EdDSA access tokens, from Python. It
answers as its verifier, follows a replaced verifier, and is shared by threads."""

from __future__ import annotations

import json
import threading
import time
from typing import List

import pytest

import ls_auth
from conftest import SECRET

NOW = 1_700_000_000


def signer(kid: str) -> ls_auth.Keyring:
    return ls_auth.Keyring.generate_ed25519(kid)


def access(key: ls_auth.Keyring, *, now: int = NOW, user: str = "5") -> str:
    ring = key.with_keys(ls_auth.Keyring(SECRET))
    pat = ls_auth.Issuer(SECRET).mint_pat(user, now=now)
    return ls_auth.Issuer(ring).refresh(pat, now=now)


def verifier(*keys: ls_auth.Keyring, leeway: int = 0) -> ls_auth.Verifier:
    sets = [json.loads(k.public_jwks())["keys"][0] for k in keys]
    ring = ls_auth.Keyring(SECRET)
    if sets:
        ring = ring.with_jwks(json.dumps({"keys": sets}))
    return ls_auth.Verifier(ring, leeway=leeway)


def test_answers_as_the_verifier_and_keeps_eddsa_tokens_only() -> None:
    k1 = signer("k1")
    token = access(k1)
    cache = ls_auth.VerifiedTokenCache(verifier(k1), capacity=16)
    assert cache.capacity == 16 and len(cache) == 0
    assert cache.verify_access(token, now=NOW).user_id == "5"
    assert len(cache) == 1
    pending = cache.begin_authenticate(f"Bearer {token}".encode(), now=NOW + 1)
    assert pending.kind == "jwt" and pending.user_id_for_lookup == "5"
    assert len(cache) == 1
    with pytest.raises(ls_auth.TokenExpired):
        cache.begin_authenticate(f"Bearer {token}", now=NOW + 300)
    assert len(cache) == 0
    # A tampered token is refused as the verifier refuses it.
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"
    with pytest.raises(ls_auth.InvalidSignature):
        cache.verify_access(forged, now=NOW)
    # HS256 tokens go to the verifier every time: nothing is kept.
    hs = ls_auth.Issuer(SECRET).refresh(ls_auth.Issuer(SECRET).mint_pat("5", now=NOW), now=NOW)
    assert cache.verify_access(hs, now=NOW).user_id == "5"
    assert len(cache) == 0
    # Legacy keys and missing credentials answer as begin_authenticate does.
    legacy = cache.begin_authenticate("Token 0123456789abcdef0123456789abcdef01234567", now=NOW)
    assert legacy.kind == "legacy"
    with pytest.raises(ls_auth.NoCredentials):
        cache.begin_authenticate(None, now=NOW)
    assert "capacity=16" in repr(cache)


def test_a_replaced_verifier_drops_the_tokens_of_keys_it_no_longer_holds() -> None:
    k1, k2 = signer("k1"), signer("k2")
    t1, t2 = access(k1), access(k2)
    cache = ls_auth.VerifiedTokenCache(verifier(k1, k2))
    assert cache.capacity == ls_auth.DEFAULT_CACHE_CAPACITY
    for t in (t1, t2):
        cache.verify_access(t, now=NOW)
    assert len(cache) == 2
    cache.replace_verifier(verifier(k1))
    assert len(cache) == 1
    with pytest.raises(ls_auth.UnknownKeyId):
        cache.verify_access(t2, now=NOW)
    cache.replace_verifier(verifier(k1, leeway=30))  # another policy: nothing is kept
    assert len(cache) == 0
    cache.verify_access(t1, now=NOW)
    cache.clear()
    assert len(cache) == 0


def test_capacity_is_bounded_and_checked() -> None:
    k1 = signer("k1")
    cache = ls_auth.VerifiedTokenCache(verifier(k1), capacity=4)
    for i in range(12):
        cache.verify_access(access(k1, now=NOW + i), now=NOW + 12)
        assert len(cache) <= 4
    assert len(ls_auth.VerifiedTokenCache(verifier(k1), capacity=0)) == 0
    with pytest.raises(ls_auth.InvalidArgument):
        ls_auth.VerifiedTokenCache(verifier(k1), capacity=-1)


def test_threads_share_one_cache() -> None:
    k1 = signer("k1")
    now = int(time.time())
    tokens = [access(k1, now=now, user=str(i)) for i in range(8)]
    cache = ls_auth.VerifiedTokenCache(verifier(k1), capacity=64)
    errors: List[BaseException] = []
    start = threading.Barrier(8)

    def work(i: int) -> None:
        try:
            start.wait()
            for n in range(200):
                token = tokens[(i + n) % len(tokens)]
                assert cache.verify_access(token).user_id == str((i + n) % len(tokens))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(cache) == len(tokens)
