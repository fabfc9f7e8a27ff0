"""AccessTokenCache: the state machine, and threads sharing one cache."""

from __future__ import annotations

import threading
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
    legacy = ls_auth.AccessTokenCache(ls_auth.generate_legacy_key(), margin=5)
    assert legacy.kind == "legacy" and legacy.refresh_token is None
    assert legacy.authorization_value().startswith("Token ") and not legacy.needs_refresh()


def test_threads_share_one_cache() -> None:
    """Readers and writers on 16 threads: every header read is one of the stored tokens, whole.
    One refresh at a time is the key holder's (tests/test_requests.py, test_httpx.py)."""
    pat = ISSUER.mint_pat("1", now=NOW)
    cache = ls_auth.AccessTokenCache(pat, now=NOW)
    tokens = [ISSUER.refresh(pat, now=NOW + i) for i in range(4)]
    cache.store_access(tokens[0])
    start = threading.Barrier(16)
    seen: List[str] = []
    errors: List[BaseException] = []

    def worker(i: int) -> None:
        try:
            start.wait()
            for n in range(300):
                if i % 4 == 0:
                    cache.store_access(tokens[n % 4])
                else:
                    seen.append(cache.authorization_value(now=NOW))
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert set(seen) <= {f"Bearer {t}" for t in tokens} and len(seen) == 12 * 300
