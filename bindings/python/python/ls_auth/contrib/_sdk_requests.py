"""The SDK's ``requests``-based paths with any key: its media download helpers (what ML backends
call to fetch a task's image, audio or text) and its legacy ``Client``. Exported by
:mod:`ls_auth.contrib.sdk`; see its documentation.

label-studio-sdk 2.1.2 sends the key of these paths as it finds it: any JWT as ``Bearer <key>``
(a PAT is a refresh token, so every download answers 401), the legacy ``Client`` always as
``Token <key>``. Here the SDK is given a placeholder key and a
:class:`ls_auth.contrib.requests.LabelStudioSession`, which puts the real credential on requests
to Label Studio's origin and strips every credential header from the others (a presigned storage
URL on another host gets none). Nothing in the SDK changes unless :func:`install_download_auth`
is called.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any, Dict, Optional, Tuple

from label_studio_sdk._extensions.label_studio_tools.core.utils import io as sdk_io
from label_studio_sdk._legacy.client import HEADERS, MAX_RETRIES
from label_studio_sdk._legacy.client import Client as _SdkClient
from requests.adapters import HTTPAdapter

from .. import DEFAULT_REFRESH_MARGIN
from .requests import LabelStudioSession
from ._keyholder import SDK_PLACEHOLDER_KEY as _PLACEHOLDER

__all__ = [
    "Client", "download_session", "get_local_path", "get_base64_content", "download_and_cache",
    "install_download_auth", "uninstall_download_auth",
]

_sessions: Dict[Tuple[str, str], LabelStudioSession] = {}
_sessions_lock = threading.Lock()


def _from_env(base_url: Optional[str], api_key: Optional[str]) -> Tuple[str, str]:
    # The SDK helpers' own fallbacks, in their order.
    base_url = base_url or os.getenv("LABEL_STUDIO_URL") or os.getenv("LABEL_STUDIO_HOST") or None
    api_key = (
        api_key or os.getenv("LABEL_STUDIO_API_KEY") or os.getenv("LABEL_STUDIO_ACCESS_TOKEN")
        or None
    )
    if base_url is None:
        raise ValueError(
            "no Label Studio URL: pass hostname= (or base_url=) or set LABEL_STUDIO_URL; the key "
            "is sent to that origin only"
        )
    if api_key is None:
        raise ValueError("no API key: pass access_token= (or api_key=) or set LABEL_STUDIO_API_KEY")
    return base_url, api_key


def download_session(
    base_url: Optional[str] = None, api_key: Optional[str] = None, *,
    margin: int = DEFAULT_REFRESH_MARGIN,
) -> LabelStudioSession:
    """The session the download helpers use for this Label Studio and key (defaults:
    ``LABEL_STUDIO_URL``, ``LABEL_STUDIO_API_KEY``). One per base URL and key, shared by every
    thread, so a PAT is exchanged once per access-token lifetime, not once per file."""
    base_url, api_key = _from_env(base_url, api_key)
    slot = (base_url.rstrip("/"), hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest())
    with _sessions_lock:
        session = _sessions.get(slot)
        if session is None:
            session = LabelStudioSession(api_key, base_url=base_url, margin=margin)
            _sessions[slot] = session
        return session


def get_local_path(url: str, cache_dir: Optional[str] = None, project_dir: Optional[str] = None,
                   hostname: Optional[str] = None, image_dir: Optional[str] = None,
                   access_token: Optional[str] = None, download_resources: bool = True,
                   task_id: Optional[int] = None) -> str:
    """The SDK's ``get_local_path`` (same arguments, same defaults from the environment), with
    ``access_token`` a PAT, an access token or a legacy key."""
    session = download_session(hostname, access_token)
    with sdk_io.http_session(session):
        return str(sdk_io.get_local_path(
            url, cache_dir=cache_dir, project_dir=project_dir, hostname=session.base_url,
            image_dir=image_dir, access_token=_PLACEHOLDER, download_resources=download_resources,
            task_id=task_id,
        ))


def get_base64_content(url: str, hostname: Optional[str] = None, access_token: Optional[str] = None,
                       task_id: Optional[int] = None) -> str:
    """The SDK's ``get_base64_content``, with ``access_token`` any kind of key."""
    session = download_session(hostname, access_token)
    with sdk_io.http_session(session):
        return str(sdk_io.get_base64_content(
            url, hostname=session.base_url, access_token=_PLACEHOLDER, task_id=task_id
        ))


def download_and_cache(url: str, cache_dir: Optional[str], download_resources: bool,
                       hostname: Optional[str], access_token: Optional[str],
                       *args: Any, **kwargs: Any) -> str:
    """The SDK's ``download_and_cache`` (same positional arguments), with ``access_token`` any
    kind of key."""
    session = download_session(hostname, access_token)
    with sdk_io.http_session(session):
        return str(sdk_io.download_and_cache(
            url, cache_dir, download_resources, session.base_url, _PLACEHOLDER, *args, **kwargs
        ))


_installed: Optional[LabelStudioSession] = None
_sdk_http_get = sdk_io.http_get


def _http_get(url: str, **kwargs: Any) -> Any:
    chosen = sdk_io._http_session.get()
    return (chosen or _installed or sdk_io.requests).get(url, **kwargs)


def install_download_auth(base_url: Optional[str] = None, api_key: Optional[str] = None) -> LabelStudioSession:
    """Makes the SDK's own download helpers, wherever they are called from (an ML backend's
    ``get_local_path``, the converter), download through a :class:`LabelStudioSession` for this
    Label Studio and key (defaults: ``LABEL_STUDIO_URL``, ``LABEL_STUDIO_API_KEY``).

    It replaces ``http_get`` in the SDK's ``label_studio_tools.core.utils.io`` for the whole
    process, because an ML backend calls those helpers from its own code, in worker threads a
    context variable does not reach. A session installed with the SDK's ``http_session`` still
    wins. Calling it again replaces the session; :func:`uninstall_download_auth` undoes it.
    """
    global _installed
    session = download_session(base_url, api_key)
    _installed = session
    sdk_io.http_get = _http_get
    return session


def uninstall_download_auth() -> None:
    """Puts the SDK's own ``http_get`` back."""
    global _installed
    _installed = None
    sdk_io.http_get = _sdk_http_get


class Client(_SdkClient):
    """``label_studio_sdk.Client`` (the legacy client) with ls_auth's key handling: ``api_key`` a
    PAT, an access token or a legacy key (default ``LABEL_STUDIO_API_KEY``), sent to ``url``'s
    origin only (default ``LABEL_STUDIO_URL``). Every other argument is the SDK's; the session is
    always ls_auth's (:attr:`session`, a :class:`LabelStudioSession`), with the SDK's retries."""

    def __init__(self, url: Optional[str] = None, api_key: Optional[str] = None, *,
                 margin: int = DEFAULT_REFRESH_MARGIN, **sdk_kwargs: Any) -> None:
        for taken in ("session", "credentials"):
            if sdk_kwargs.get(taken) is not None:
                raise TypeError(
                    f"ls_auth.contrib.sdk.Client takes no {taken}=: it authenticates with api_key "
                    "through a session of its own"
                )
        # The download helpers' session for this URL and key lends its access token, so a
        # backend using both refreshes once per access-token lifetime, not once per path.
        url, api_key = _from_env(url, api_key)
        shared = download_session(url, api_key, margin=margin)
        session = LabelStudioSession.sharing(shared)
        session.headers.update(HEADERS)
        session.mount("http://", HTTPAdapter(max_retries=MAX_RETRIES))
        session.mount("https://", HTTPAdapter(max_retries=MAX_RETRIES))
        super().__init__(url=url, api_key=_PLACEHOLDER, session=session, **sdk_kwargs)
