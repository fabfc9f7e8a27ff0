"""A ``requests`` session for one Label Studio, with any of its API keys.

``LabelStudioSession(api_key, base_url=...)`` is a :class:`requests.Session` that sends a legacy
key as ``Token <key>`` and exchanges a personal access token (PAT) at
``{base_url}/api/token/refresh/`` for five-minute access tokens sent as ``Bearer <access>``::

    from ls_auth.contrib.requests import LabelStudioSession

    with LabelStudioSession(key, base_url="https://host/labelstudio") as ls:
        ls.get("https://host/labelstudio/api/projects/").json()

It behaves as :class:`ls_auth.contrib.httpx.LabelStudioAuth` does, from the same shared logic
(``contrib._keyholder``) and the same core rules:

* The credential goes only where :class:`ls_auth.CredentialScope` allows (contract §5.1): the base
  URL's scheme, host and port, under its path. Every request, and every redirect hop (requests
  sends each hop through :meth:`send`), that leaves that scope goes without ``Authorization``
  and ``X-Api-Key``, whoever set them: this session belongs to one Label Studio.
* A refresh is due before the first request and ``margin`` seconds before the access token
  expires; one refresh at a time for all threads sharing the session; it never follows a
  redirect (a redirect answer is :class:`RefreshFailed` naming the target's origin).
* A 401 on a request sent with an access token is answered by one refresh (unless another thread
  already replaced the rejected token) and one retry, never more. A request whose body is a
  stream cannot be sent twice: its 401 is returned as it is.

It is a session rather than a ``requests.auth.AuthBase`` because an auth object is applied once,
before the first hop: requests copies its headers onto every redirect and strips only
``Authorization`` when the host changes, so an ``X-Api-Key`` (or a sub-path boundary) would not
be honoured on a redirect. The session sees every hop.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Literal, Optional, Tuple
from urllib.parse import urljoin

import requests

from .. import DEFAULT_REFRESH_MARGIN
from ._keyholder import CREDENTIAL_HEADERS, LEAD, USE, Flight, KeyHolder, server_detail

__all__ = ["LabelStudioSession", "RefreshFailed"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RefreshFailed(requests.HTTPError):
    """The server did not exchange the personal access token for an access token.

    ``response`` is the refresh endpoint's answer; ``detail`` the server's reason, when it gave
    one.
    """

    def __init__(self, message: str, *, response: requests.Response) -> None:
        super().__init__(message, response=response)
        self.detail: Optional[str] = _detail(response)


def _detail(response: requests.Response) -> Optional[str]:
    try:
        return server_detail(response.json())
    except ValueError:
        return None


class LabelStudioSession(requests.Session):
    """A :class:`requests.Session` authenticated with a Label Studio PAT, access token or legacy
    key, for the Label Studio at ``base_url`` only.

    ``base_url`` is where Label Studio is served, sub-path included; it is required (a key sent
    to "whatever host a request names" is a key handed out). ``margin``, ``api_key_header`` and
    ``clock`` are those of :class:`ls_auth.contrib.httpx.LabelStudioAuth`. The key is classified
    when the session is built: an expired PAT or a JWT without ``exp`` raises
    :class:`ls_auth.AuthError` there.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str,
        margin: int = DEFAULT_REFRESH_MARGIN,
        api_key_header: Literal["Authorization", "X-Api-Key"] = "Authorization",
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__()
        self._keys = KeyHolder(
            api_key, base_url=base_url, margin=margin, api_key_header=api_key_header,
            clock=clock, who="LabelStudioSession",
        )

    @classmethod
    def sharing(cls, other: "LabelStudioSession") -> "LabelStudioSession":
        """A new session (its own headers, adapters and cookies) with ``other``'s key, scope and
        access token: the two refresh once between them, not once each."""
        session = cls.__new__(cls)
        requests.Session.__init__(session)
        session._keys = other._keys
        return session

    @property
    def kind(self) -> Literal["legacy", "pat", "access"]:
        """The key's kind, as the core classified it."""
        return self._keys.cache.kind

    @property
    def base_url(self) -> str:
        return str(self._keys.scope.base_url)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if not self._keys.allows(str(request.url)):
            for name in CREDENTIAL_HEADERS:
                request.headers.pop(name, None)
            return super().send(request, **kwargs)
        value = self._credential(None, kwargs)
        self._keys.apply(request.headers, value)
        response = super().send(request, **kwargs)
        if (
            response.status_code != 401
            or not self._keys.retries_on_401()
            or not _resendable(request)
        ):
            return response
        value = self._credential(value, kwargs)
        retry = request.copy()
        self._keys.apply(retry.headers, value)
        response.close()
        return super().send(retry, **kwargs)

    def _credential(self, stale: Optional[str], kwargs: Dict[str, Any]) -> str:
        tried = False
        while True:
            action, arg = self._keys.step(stale, tried)
            if action == USE:
                assert isinstance(arg, str)
                return arg
            assert isinstance(arg, Flight)
            if action == LEAD:
                try:
                    response = self._send_refresh(kwargs)
                except BaseException:
                    self._keys.land(arg)
                    raise
                access, failure = self._accept(response)
                error = self._keys.land(arg, access=access, failure=failure)
                if error is not None:
                    raise error
                tried = True
            else:
                arg.landed.wait()
                if arg.failure is not None:
                    raise arg.failure()
                tried = tried or not arg.interrupted

    def _send_refresh(self, kwargs: Dict[str, Any]) -> requests.Response:
        # Prepared by this session (its default headers, proxies and TLS settings apply), sent
        # past this class's `send` (it carries no credential header) and never redirected.
        prepared = self.prepare_request(
            requests.Request("POST", self._keys.refresh_url, json=self._keys.refresh_body())
        )
        for name in CREDENTIAL_HEADERS:
            prepared.headers.pop(name, None)
        options = {k: v for k, v in kwargs.items() if k in ("timeout", "verify", "cert", "proxies")}
        response = super().send(prepared, allow_redirects=False, **options)
        response.content  # read it whole: the connection goes back to the pool
        return response

    def _accept(
        self, response: requests.Response
    ) -> Tuple[Optional[str], Optional[Callable[[], BaseException]]]:
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = None
            access = body.get("access") if isinstance(body, dict) else None
            if isinstance(access, str):
                return access, None
        if response.status_code in _REDIRECTS:
            location = response.headers.get("Location")
            target = urljoin(self._keys.refresh_url, location) if location else None
            message = self._keys.redirect_message(response.status_code, target)
        else:
            detail = _detail(response)
            message = (
                f"Label Studio did not exchange the personal access token at "
                f"{self._keys.refresh_url} (HTTP {response.status_code}"
                f"{': ' + detail if detail else ''})"
            )
        return None, lambda: RefreshFailed(message, response=response)


def _resendable(request: requests.PreparedRequest) -> bool:
    return request.body is None or isinstance(request.body, (bytes, str))
