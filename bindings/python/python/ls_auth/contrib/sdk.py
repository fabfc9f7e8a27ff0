"""The real label-studio-sdk (2.x), with ls_auth's key handling.

``LabelStudio`` and ``AsyncLabelStudio`` are the SDK's own client classes (subclasses, so every
SDK method works and ``isinstance(client, label_studio_sdk.LabelStudio)`` holds); only how the
API key is handled differs::

    from ls_auth.contrib.sdk import LabelStudio

    client = LabelStudio(base_url="https://host/labelstudio", api_key=key)
    client.projects.list()

What changes compared with the plain SDK:

* The key is classified by the Rust core when the client is built: an expired PAT, a JWT without
  ``exp`` or an access token (it dies within five minutes) raise :class:`ls_auth.AuthError`
  there, before any request.
* Access tokens are refreshed ``margin`` seconds before they expire (the SDK waits until after),
  one refresh at a time across threads and asyncio tasks, and never with a blocking call inside
  an event loop (the SDK refreshes async clients synchronously).
* A 401 on a request sent with an access token is answered by one refresh and one retry.
* The refresh goes to ``{base_url}/api/token/refresh/`` with the base URL's sub-path, with or
  without its trailing slash (the SDK's ``urljoin`` drops a sub-path without one), through the
  same httpx client as every other request: pass ``httpx_client=`` for a CA bundle, a proxy or a
  transport, and they apply to the refresh too.
* ``api_key_header="X-Api-Key"`` sends the credential in ``X-Api-Key`` and leaves
  ``Authorization`` to an identity-aware proxy in front of Label Studio. Label Studio 1.23 reads
  ``X-Api-Key`` as ``Token <value>``, so this mode works there with legacy keys only.

``api_key`` defaults to ``LABEL_STUDIO_API_KEY`` and ``base_url`` to ``LABEL_STUDIO_URL`` (read
when the client is built), then to ``environment=``; without any of them the client is refused
(the SDK would use its hosted default environment, sending a key there that belongs elsewhere).

Where the key goes: the httpx client gets ls_auth's redirect guard
(:func:`ls_auth.contrib.httpx.install`): the key is sent only to URLs under ``base_url``, in
whatever header carries it, on every redirect hop too (the SDK follows redirects by default, and
Label Studio answers storage downloads with redirects to other hosts); the refresh goes to
``{base_url}/api/token/refresh/`` and never follows a redirect.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Literal, Optional, Union

import httpx
import label_studio_sdk
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.environment import LabelStudioEnvironment

from .. import DEFAULT_REFRESH_MARGIN, WrongTokenType
from ._keyholder import SDK_PLACEHOLDER_KEY as _PLACEHOLDER
from .httpx import LabelStudioAuth, _server_detail, install

__all__ = ["LabelStudio", "AsyncLabelStudio", "RefreshFailed", "SdkAuth"]


class RefreshFailed(ApiError):
    """The server did not exchange the PAT for an access token: the SDK's own error type, with
    the refresh endpoint's status and body, and a message saying which call failed."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        super().__init__(status_code=response.status_code, headers=dict(response.headers), body=body)
        self.message = message
        self.detail: Optional[str] = _server_detail(response)

    def __str__(self) -> str:
        return f"{self.message}; status_code: {self.status_code}, body: {self.body}"


class SdkAuth(LabelStudioAuth):
    """:class:`ls_auth.contrib.httpx.LabelStudioAuth` raising the SDK's error type."""

    def _refresh_error(self, response: httpx.Response) -> BaseException:
        return RefreshFailed(self._refresh_message(response), response=response)


def _settings(
    base_url: Optional[str],
    environment: Optional[LabelStudioEnvironment],
    api_key: Optional[str],
    api_key_header: Literal["Authorization", "X-Api-Key"],
    headers: Optional[Dict[str, str]],
    margin: int,
    clock: Optional[Callable[[], float]],
) -> "tuple[str, SdkAuth, Dict[str, str]]":
    if base_url is None:
        base_url = os.environ.get("LABEL_STUDIO_URL") or None
    if base_url is None and environment is not None:
        base_url = environment.value
    if base_url is None:
        # The SDK would fall back to its default environment (a hosted service): a key meant for
        # another Label Studio would be sent there.
        raise ValueError(
            "pass base_url= (or set LABEL_STUDIO_URL, or environment=): the address of the Label "
            "Studio the key belongs to. A personal access token is refreshed there, and the key "
            "is sent only to URLs under it, so that it never reaches another host"
        )
    if api_key is None:
        api_key = os.environ.get("LABEL_STUDIO_API_KEY") or None
    if api_key is None:
        raise ApiError(
            body="The client must be instantiated by either passing in api_key or setting "
            "LABEL_STUDIO_API_KEY"
        )
    sdk_headers = dict(headers or {})
    if any(name.lower() == "x-api-key" for name in sdk_headers):
        raise ValueError(
            "pass the key as api_key= with api_key_header='X-Api-Key', not in headers="
        )
    auth = SdkAuth(api_key, base_url=base_url, margin=margin, api_key_header=api_key_header, clock=clock)
    if auth.kind == "access":
        raise WrongTokenType(
            "API key is an access token, which expires within minutes: use a personal access "
            "token (Account & Settings > Personal Access Token) or a legacy key"
        )
    if api_key_header == "X-Api-Key":
        # With X-Api-Key among its headers the SDK leaves Authorization alone (the identity-aware
        # proxy's); the placeholder value is replaced before the request leaves.
        sdk_headers["X-Api-Key"] = _PLACEHOLDER
    return base_url, auth, sdk_headers


def _attach(client: Union[httpx.Client, httpx.AsyncClient], auth: SdkAuth) -> None:
    if client.auth is not None:
        raise ValueError(
            "httpx_client already has an auth; ls_auth.contrib.sdk sets its own: pass a client "
            "without auth="
        )
    install(client, auth)


class _WithLsAuth:
    """What both clients add to the SDK's: the auth on the httpx client, and the SDK given a
    placeholder key (the auth replaces it on every request)."""

    _ls_auth: SdkAuth

    def _set_up(
        self,
        new_client: Callable[..., Union[httpx.Client, httpx.AsyncClient]],
        httpx_client: Union[httpx.Client, httpx.AsyncClient, None],
        base_url: Optional[str], environment: Optional[LabelStudioEnvironment],
        api_key: Optional[str], api_key_header: Literal["Authorization", "X-Api-Key"],
        headers: Optional[Dict[str, str]],
        margin: int, clock: Optional[Callable[[], float]], timeout: Optional[float],
        follow_redirects: Optional[bool], sdk_kwargs: Dict[str, Any],
    ) -> None:
        base_url, auth, sdk_headers = _settings(
            base_url, environment, api_key, api_key_header, headers, margin, clock
        )
        if httpx_client is None:
            # The SDK's own defaults for the client it would have made.
            httpx_client = new_client(
                timeout=timeout if timeout is not None else 60, follow_redirects=bool(follow_redirects)
            )
        _attach(httpx_client, auth)
        sdk_init: Callable[..., None] = super().__init__  # the SDK's, next in the MRO; untyped
        sdk_init(
            base_url=base_url, api_key=_PLACEHOLDER, headers=sdk_headers, timeout=timeout,
            follow_redirects=follow_redirects, httpx_client=httpx_client, **sdk_kwargs,
        )
        self._ls_auth = auth

    @property
    def ls_auth(self) -> SdkAuth:
        """The auth on this client's httpx client: its ``kind`` and its cache."""
        return self._ls_auth


class LabelStudio(_WithLsAuth, label_studio_sdk.LabelStudio):
    """``label_studio_sdk.LabelStudio`` with ls_auth's key handling (see the module).

    ``margin`` (seconds before expiry to refresh), ``api_key_header`` and ``clock`` are
    ls_auth's; every other argument is the SDK's. ``httpx_client``, when given, gets its
    ``auth`` set and must not have one.
    """

    def __init__(
        self,
        *,
        base_url: Optional[str] = None,
        api_key: Optional[str] = None,
        margin: int = DEFAULT_REFRESH_MARGIN,
        api_key_header: Literal["Authorization", "X-Api-Key"] = "Authorization",
        clock: Optional[Callable[[], float]] = None,
        environment: Optional[LabelStudioEnvironment] = None,
        headers: Optional[Dict[str, str]] = None,
        timeout: Optional[float] = None,
        follow_redirects: Optional[bool] = True,
        httpx_client: Optional[httpx.Client] = None,
        **sdk_kwargs: Any,
    ) -> None:
        self._set_up(
            httpx.Client, httpx_client, base_url, environment, api_key, api_key_header, headers,
            margin, clock, timeout, follow_redirects, sdk_kwargs,
        )


class AsyncLabelStudio(_WithLsAuth, label_studio_sdk.AsyncLabelStudio):
    """``label_studio_sdk.AsyncLabelStudio`` with ls_auth's key handling (see the module)."""

    def __init__(
        self,
        *,
        base_url: Optional[str] = None,
        api_key: Optional[str] = None,
        margin: int = DEFAULT_REFRESH_MARGIN,
        api_key_header: Literal["Authorization", "X-Api-Key"] = "Authorization",
        clock: Optional[Callable[[], float]] = None,
        environment: Optional[LabelStudioEnvironment] = None,
        headers: Optional[Dict[str, str]] = None,
        timeout: Optional[float] = None,
        follow_redirects: Optional[bool] = True,
        httpx_client: Optional[httpx.AsyncClient] = None,
        **sdk_kwargs: Any,
    ) -> None:
        self._set_up(
            httpx.AsyncClient, httpx_client, base_url, environment, api_key, api_key_header, headers,
            margin, clock, timeout, follow_redirects, sdk_kwargs,
        )


# The SDK's requests-based paths (download helpers, the legacy Client); last, as they build on
# the placeholder above.
from ._sdk_requests import (  # noqa: E402
    Client,
    download_and_cache,
    download_session,
    get_base64_content,
    get_local_path,
    install_download_auth,
    uninstall_download_auth,
)

__all__ += [
    "Client", "download_and_cache", "download_session", "get_base64_content", "get_local_path",
    "install_download_auth", "uninstall_download_auth",
]
