"""AccessTokenCache: the state machine, and threads hammering one cache (exactly one refresh)."""

from __future__ import annotations

import threading
import time
from typing import List

import pytest

import ls_auth
from conftest import SECRET

NOW = 1_700_000_000
ISSUER = ls_auth.Issuer(SECRET)


def test_state_machine() -> None:
    pat = ISSUER.mint_pat("1", now=NOW)
    cache = ls_auth.AccessTokenCache(pat, now=NOW)
    assert (cache.kind, cache.refresh_token, cache.access_exp) == ("pat", pat, None)
    assert cache.needs_refresh(now=NOW)
    with pytest.raises(ls_auth.TokenExpired):
        cache.authorization_value(now=NOW)
    with pytest.raises(ls_auth.WrongTokenType):
        cache.store_access(pat)
    access = ISSUER.refresh(pat, now=NOW)
    cache.store_access(access)
    assert cache.access_exp == NOW + 300
    assert not cache.needs_refresh(now=NOW + 269) and cache.needs_refresh(now=NOW + 270)
    assert cache.authorization_value(now=NOW) == f"Bearer {access}"
    assert pat not in repr(cache) and access not in repr(cache)
    legacy = ls_auth.AccessTokenCache(ls_auth.generate_legacy_token(), margin=5)
    assert legacy.kind == "legacy" and legacy.refresh_token is None
    assert legacy.authorization(lambda p: pytest.fail("no refresh for a legacy key")).startswith("Token ")


def test_refresh_callback_contract() -> None:
    pat = ISSUER.mint_pat("1", now=NOW)
    cache = ls_auth.AccessTokenCache(pat, now=NOW, margin=10)
    with pytest.raises(TypeError):
        cache.authorization(lambda p: 42, now=NOW)  # type: ignore[arg-type,return-value]
    with pytest.raises(ConnectionError):
        cache.authorization(lambda p: (_ for _ in ()).throw(ConnectionError("down")), now=NOW)
    with pytest.raises(RuntimeError, match="own refresh callback"):
        cache.authorization(lambda p: cache.authorization(lambda q: q, now=NOW), now=NOW)
    header = cache.authorization(lambda p: ISSUER.refresh(p, now=NOW), now=NOW)
    assert header.startswith("Bearer ")
    assert cache.authorization(lambda p: pytest.fail("fresh"), now=NOW + 289) == header
    assert cache.authorization(lambda p: ISSUER.refresh(p, now=NOW + 290), now=NOW + 290) != header


def test_threads_hammering_one_cache_refresh_exactly_once() -> None:
    pat = ISSUER.mint_pat("1")
    cache = ls_auth.AccessTokenCache(pat)
    calls: List[str] = []
    start = threading.Barrier(32)
    headers: List[str] = []
    errors: List[BaseException] = []

    def refresh(p: str) -> str:
        calls.append(p)
        time.sleep(0.05)  # a slow network: every other thread piles up on the lock
        return ISSUER.refresh(p)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(200):
                headers.append(cache.authorization(refresh))
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert calls == [pat]
    assert len(headers) == 32 * 200 and len(set(headers)) == 1
