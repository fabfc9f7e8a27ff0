"""An ``httpx.Auth`` for Label Studio API keys.

``LabelStudioAuth(api_key, base_url=...)`` sends a legacy key as ``Token <key>`` and an access
token as ``Bearer <token>``; a PAT is exchanged at ``POST {base_url}/api/token/refresh/`` (body
``{"refresh": PAT}``, answer ``{"access": ...}``) whenever :class:`ls_auth.AccessTokenCache`
says so: before the first request and again shortly before the access token expires. Refreshes
happen one at a time, however many threads share the auth object.
"""

from __future__ import annotations

import asyncio
from typing import AsyncGenerator, Generator, Optional, Union

import httpx

from .. import AccessTokenCache

__all__ = ["LabelStudioAuth", "REFRESH_PATH"]

REFRESH_PATH = "/api/token/refresh/"


class LabelStudioAuth(httpx.Auth):
    """Authenticates httpx requests with a Label Studio PAT, access token or legacy key."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: Union[str, httpx.URL, None] = None,
        margin: int = 30,
        transport: Optional[httpx.BaseTransport] = None,
        async_transport: Optional[httpx.AsyncBaseTransport] = None,
        timeout: float = 30.0,
    ) -> None:
        self._cache = AccessTokenCache(api_key, margin=margin)
        self._base_url = None if base_url is None else str(base_url).rstrip("/")
        self._transport = transport
        self._async_transport = async_transport
        self._timeout = timeout
        self._async_lock: Optional[asyncio.Lock] = None

    @property
    def cache(self) -> AccessTokenCache:
        return self._cache

    def refresh_url(self, request: Optional[httpx.Request] = None) -> str:
        """``{base_url}/api/token/refresh/``; without a base URL, on the request's origin."""
        if self._base_url is not None:
            return self._base_url + REFRESH_PATH
        if request is None:
            raise ValueError("LabelStudioAuth needs base_url to refresh outside a request")
        return str(request.url.copy_with(path=REFRESH_PATH, query=None, fragment=None))

    @staticmethod
    def _access_from(response: httpx.Response) -> str:
        response.raise_for_status()
        access = response.json().get("access")
        if not isinstance(access, str):
            raise httpx.DecodingError(
                "the refresh endpoint answered without an access token", request=response.request
            )
        return access

    def _refresh(self, pat: str, url: str) -> str:
        with httpx.Client(transport=self._transport, timeout=self._timeout) as client:
            return self._access_from(client.post(url, json={"refresh": pat}))

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        url = self.refresh_url(request) if self._cache.kind == "pat" else ""
        request.headers["Authorization"] = self._cache.authorization(lambda pat: self._refresh(pat, url))
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        async with self._async_lock:
            if self._cache.needs_refresh():
                pat = self._cache.refresh_token
                assert pat is not None
                async with httpx.AsyncClient(
                    transport=self._async_transport, timeout=self._timeout
                ) as client:
                    response = await client.post(self.refresh_url(request), json={"refresh": pat})
                self._cache.store_access(self._access_from(response))
            request.headers["Authorization"] = self._cache.authorization_value()
        yield request
