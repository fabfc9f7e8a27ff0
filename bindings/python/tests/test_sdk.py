"""ls_auth.contrib.sdk without a server: what the real SDK sends through it (MockTransport).

The same behaviours against a real Label Studio are in tests/live/test_sdk.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import List

import httpx
import label_studio_sdk
import pytest
from label_studio_sdk.core.api_error import ApiError

import ls_auth
from ls_auth.contrib.sdk import AsyncLabelStudio, LabelStudio, RefreshFailed
from conftest import SECRET

ISSUER = ls_auth.Issuer(SECRET)
LEGACY = ls_auth.generate_legacy_key()
WHOAMI = {"id": 1, "email": "u@example.com", "username": "u"}


def serve(seen: List[httpx.Request], refresh_status: int = 200):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/api/token/refresh/"):
            if refresh_status != 200:
                return httpx.Response(refresh_status, json={"detail": "Token is blacklisted"})
            return httpx.Response(200, json={"access": ISSUER.refresh(json.loads(request.content)["refresh"])})
        return httpx.Response(200, json=WHOAMI)

    return handler


@pytest.mark.parametrize("base", ["http://h/labelstudio", "http://h/labelstudio/"])
def test_sub_path_and_bearer(base: str) -> None:
    seen: List[httpx.Request] = []
    pat = ISSUER.mint_pat("1")
    client = LabelStudio(base_url=base, api_key=pat, httpx_client=httpx.Client(transport=httpx.MockTransport(serve(seen))))
    assert isinstance(client, label_studio_sdk.LabelStudio)
    assert client.users.whoami().email == "u@example.com"
    assert [str(r.url) for r in seen] == [
        "http://h/labelstudio/api/token/refresh/",
        "http://h/labelstudio/api/current-user/whoami",
    ]
    assert seen[1].headers["Authorization"].startswith("Bearer ")
    assert pat not in seen[1].headers["Authorization"]


def test_legacy_key_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: List[httpx.Request] = []
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://env.test")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", LEGACY)
    client = LabelStudio(httpx_client=httpx.Client(transport=httpx.MockTransport(serve(seen))))
    client.users.whoami()
    assert [(str(r.url), r.headers["Authorization"]) for r in seen] == [
        ("http://env.test/api/current-user/whoami", f"Token {LEGACY}")
    ]
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    with pytest.raises(ApiError):
        LabelStudio()


def test_refused_refresh_is_the_sdks_error_type() -> None:
    seen: List[httpx.Request] = []
    client = LabelStudio(
        base_url="http://h", api_key=ISSUER.mint_pat("1"),
        httpx_client=httpx.Client(transport=httpx.MockTransport(serve(seen, refresh_status=401))),
    )
    with pytest.raises(RefreshFailed) as refused:
        client.users.whoami()
    assert isinstance(refused.value, ApiError) and refused.value.status_code == 401
    assert refused.value.detail == "Token is blacklisted" and "/api/token/refresh/" in str(refused.value)


def test_key_errors_before_any_request() -> None:
    with pytest.raises(ls_auth.WrongTokenType, match="access token"):
        LabelStudio(base_url="http://h", api_key=ISSUER.refresh(ISSUER.mint_pat("1")))
    expired = ls_auth.Issuer(SECRET).mint_pat("1", now=1_700_000_000, settings=ls_auth.OrgSettings(pat_ttl_days=1))
    with pytest.raises(ls_auth.TokenExpired):
        AsyncLabelStudio(base_url="http://h", api_key=expired)


def test_misuse_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="api_key_header"):
        LabelStudio(base_url="http://h", api_key=LEGACY, headers={"X-Api-Key": LEGACY})
    with pytest.raises(ValueError, match="already has an auth"):
        LabelStudio(base_url="http://h", api_key=LEGACY, httpx_client=httpx.Client(auth=("u", "p")))


def test_x_api_key_mode_sends_no_placeholder() -> None:
    seen: List[httpx.Request] = []
    client = LabelStudio(
        base_url="http://h", api_key=LEGACY, api_key_header="X-Api-Key",
        headers={"Authorization": "Bearer gateway"},
        httpx_client=httpx.Client(transport=httpx.MockTransport(serve(seen))),
    )
    client.users.whoami()
    (request,) = seen
    assert request.headers["X-Api-Key"] == LEGACY
    assert request.headers["Authorization"] == "Bearer gateway"


def test_async_client_refreshes_once_for_many_tasks() -> None:
    seen: List[httpx.Request] = []

    async def main() -> None:
        client = AsyncLabelStudio(
            base_url="http://h/ls", api_key=ISSUER.mint_pat("1"),
            httpx_client=httpx.AsyncClient(transport=httpx.MockTransport(serve(seen))),
        )
        users = await asyncio.gather(*(client.users.whoami() for _ in range(10)))
        assert {u.email for u in users} == {"u@example.com"}

    asyncio.run(main())
    assert [r.url.path for r in seen].count("/ls/api/token/refresh/") == 1
