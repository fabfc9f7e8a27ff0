"""An ``httpx.Auth`` for Label Studio API keys, and the redirect guard that keeps them there.

``LabelStudioAuth(api_key, base_url=...)`` sends a legacy key as ``Token <key>`` and exchanges a
personal access token (PAT) at ``POST {base_url}/api/token/refresh/`` for five-minute access
tokens sent as ``Bearer <access>``. :class:`ls_auth.AccessTokenCache` (the Rust core) classifies
the key and says when a refresh is due: before the first request and ``margin`` seconds before
the access token expires, so no request leaves with a token that dies in flight.

Where the key goes (contract §5.1). ``base_url`` is required for every kind of key: it names the
one Label Studio the key belongs to (:class:`ls_auth.CredentialScope`, the core's rule). A PAT is
refreshed at the scope's ``refresh_url``, never at a host taken from a request; a credential is
put on a request only when ``scope.allows(request.url)``. httpx follows redirects *inside* one
step of an auth flow (``_send_handling_redirects``: the hop is built from the previous request's
headers and body, and the auth flow is not asked again) and strips only ``Authorization`` and
``Cookie`` on a cross-origin hop, so the auth alone cannot decide for redirect hops. Hence:

* The guard. :func:`install` (and the :func:`client` / :func:`async_client` factories, and
  ``ls_auth.contrib.sdk``) puts a request and a response event hook on the httpx client; httpx
  runs them for every hop. The request hook puts the credential header on a hop the scope allows
  and removes it, whatever its name, from one it does not. The response hook turns a redirect
  answer to the refresh into :class:`RefreshFailed` naming only the target's origin, before
  httpx builds the hop.
* Without the guard (``httpx.Client(auth=LabelStudioAuth(...))``), it still fails closed:
  ``X-Api-Key`` mode is refused (the request leaves without the key and
  :class:`GuardMissing` is raised: httpx would copy ``X-Api-Key`` to any host a redirect names);
  ``Authorization`` is stripped by httpx itself on a cross-origin hop; the refresh body can be
  sent once only, so a 307/308 hop raises :class:`RefreshRedirected` instead of re-sending the
  PAT, and a 301/302/303 (answered without the body) is :class:`RefreshFailed`. A same-origin
  hop outside the base path keeps ``Authorization`` only without the guard: install it.

How it behaves otherwise, and why:

* The refresh request is yielded from the auth flow, so httpx sends it through the very client
  that sends the request: its transport, proxies, TLS verification and CA, event hooks and
  timeout apply to the refresh too. It carries the request's headers (so headers a gateway
  needs travel with it) without the credential.
* One refresh at a time for everything sharing the auth object: the first request that finds a
  refresh due performs it; other threads wait on it, other asyncio tasks await it without
  blocking their event loop, and all of them then use its result.
* A 401 on a request sent with an access token is answered by one refresh (unless another
  request already replaced the rejected token) and one retry of the request, never more.
* ``api_key_header="X-Api-Key"`` sends the bare credential in ``X-Api-Key`` and leaves
  ``Authorization`` alone, for deployments behind an identity-aware proxy that owns it; it needs
  the guard.
"""

from __future__ import annotations

import json
from typing import (
    Any, AsyncGenerator, AsyncIterator, Callable, Dict, Generator, Iterator, List, Literal,
    Optional, Tuple, Union, overload,
)

import httpx

from .. import DEFAULT_REFRESH_MARGIN, REFRESH_PATH, AccessTokenCache, CredentialScope
from ._keyholder import LEAD, USE, Flight, KeyHolder, server_detail

__all__ = [
    "LabelStudioAuth", "RefreshFailed", "RefreshRedirected", "GuardMissing", "REFRESH_PATH",
    "install", "client", "async_client",
]

# Headers of the original request that the refresh request does not copy: its own body framing,
# and the connection-level ones httpx recomputes for the refresh URL.
_NOT_COPIED = frozenset(
    {"content-type", "content-length", "transfer-encoding", "host", "content-encoding"}
)


class RefreshFailed(httpx.HTTPStatusError):
    """The server did not exchange the personal access token for an access token.

    ``response`` is the refresh endpoint's answer (``status_code``, the server's ``detail``);
    ``detail`` is the server's reason as it said it, when it said one.
    """

    def __init__(self, message: str, *, request: httpx.Request, response: httpx.Response) -> None:
        super().__init__(message, request=request, response=response)
        self.detail: Optional[str] = _server_detail(response)


class RefreshRedirected(httpx.RequestError):
    """A redirect answered the PAT refresh on a client without ls_auth's guard, and httpx
    followed it: the hop was stopped before the PAT was sent again. Install the guard
    (:func:`install`) to get :class:`RefreshFailed` before any hop."""


class GuardMissing(RuntimeError):
    """``X-Api-Key`` mode on an httpx client without ls_auth's redirect guard (:func:`install`):
    the request left without the key."""


def _server_detail(response: httpx.Response) -> Optional[str]:
    try:
        return server_detail(response.json())
    except (ValueError, httpx.ResponseNotRead):
        return None


class _Credential:
    """Put in a request's extensions by the auth flow (httpx hands the same extensions to every
    redirect hop): which header carries the credential, its value, and the scope it may go to.
    The guard's request hook reads it on each hop."""

    __slots__ = ("header", "value", "scope", "guarded")

    def __init__(self, header: str, value: str, scope: CredentialScope) -> None:
        self.header = header
        self.value = value
        self.scope = scope
        self.guarded = False

    def __repr__(self) -> str:  # never the value
        return f"<ls_auth credential in {self.header} for {self.scope.origin}>"


class _Refresh:
    """Marks the refresh request (and, through the shared extensions, any hop httpx builds)."""

    __slots__ = ("auth", "scope", "guarded")

    def __init__(self, auth: "LabelStudioAuth") -> None:
        self.auth = auth
        self.scope = auth.scope
        self.guarded = False


_MARK = "ls_auth.credential"


class _BodyOnce(httpx.ByteStream):
    """The refresh body, sent once. httpx re-sends ``request.stream`` on a 307/308 hop, and keeps
    a ``ByteStream`` as it is when a transport reads the request, so a second send is refused here
    even on a client without the guard."""

    def __init__(self, body: bytes, mark: "_Refresh") -> None:
        super().__init__(body)
        self._sent = False
        self._mark = mark

    def _once(self) -> None:
        # With the guard, its response hook refuses a redirect before any hop is built, and its
        # request hook (first in line) has set `guarded`: other hooks may read the body too.
        if self._sent and not self._mark.guarded:
            raise RefreshRedirected(
                "the token refresh at " + self._mark.scope.origin + " was asked for its body a "
                "second time (a redirect httpx followed, or an event hook that read it) on a "
                "client without ls_auth's guard; ls_auth sends the personal access token once "
                "(install ls_auth.contrib.httpx's guard on the client: install(client, auth))"
            )
        self._sent = True

    def __iter__(self) -> Iterator[bytes]:
        self._once()
        return super().__iter__()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self._once()
        async for chunk in super().__aiter__():
            yield chunk


def _redirect_target(response: httpx.Response) -> Optional[str]:
    """Where a redirect answer points, resolved against the request's URL."""
    try:
        return str(response.request.url.join(response.headers.get("Location", "")))
    except (httpx.InvalidURL, ValueError):
        return None


class LabelStudioAuth(httpx.Auth):
    """Authenticates httpx requests with a Label Studio PAT, access token or legacy key.

    ``base_url`` (required, for every kind of key) is where Label Studio is served, sub-path
    included (``https://host/labelstudio``, with or without the trailing slash): the refresh goes
    to ``{base_url}/api/token/refresh/``, and the credential only to URLs under it
    (:class:`ls_auth.CredentialScope`).
    ``margin``: refresh when the access token has fewer seconds left than this.
    ``clock``: seconds since the epoch (default :func:`time.time`), the time the cache judges
    expiry by; a host with its own time source, or a test, passes its own.

    The key is classified when the object is built: an expired PAT or a JWT without ``exp``
    raises :class:`ls_auth.AuthError` there, before any request.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: Union[str, httpx.URL, None] = None,
        margin: int = DEFAULT_REFRESH_MARGIN,
        api_key_header: Literal["Authorization", "X-Api-Key"] = "Authorization",
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        self._keys = KeyHolder(
            api_key, base_url=None if base_url is None else str(base_url), margin=margin,
            api_key_header=api_key_header, clock=clock, who="LabelStudioAuth",
        )

    @property
    def cache(self) -> AccessTokenCache:
        """The native cache: its ``kind`` (``"pat"``, ``"legacy"``, ``"access"``) and state."""
        return self._keys.cache

    @property
    def kind(self) -> Literal["legacy", "pat", "access"]:
        return self._keys.cache.kind

    @property
    def api_key_header(self) -> Literal["Authorization", "X-Api-Key"]:
        return self._keys.header

    @property
    def scope(self) -> CredentialScope:
        """The Label Studio the key belongs to: ``scope.allows(url)`` says where it may go."""
        return self._keys.scope

    def refresh_url(self, request: Optional[httpx.Request] = None) -> str:
        """``{base_url}/api/token/refresh/``, whatever the request (kept for compatibility)."""
        return self._keys.scope.refresh_url

    # -- requests ---------------------------------------------------------------------------

    def _refresh_request(self, request: httpx.Request) -> httpx.Request:
        pat = self._keys.cache.refresh_token
        assert pat is not None, "only a PAT is refreshed"
        dropped = "x-api-key" if self._keys.header == "X-Api-Key" else "authorization"
        headers = [
            (k, v) for k, v in request.headers.multi_items()
            if k.lower() not in _NOT_COPIED and k.lower() != dropped
        ]
        extensions = {k: v for k, v in request.extensions.items() if k == "timeout"}
        mark = _Refresh(self)
        extensions[_MARK] = mark
        body = json.dumps({"refresh": pat}, separators=(",", ":")).encode()
        url = httpx.URL(self._keys.scope.refresh_url)
        # A request built from a stream gets none of httpx's default headers: these are them.
        headers += [
            ("Host", url.netloc.decode("ascii")),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ]
        return httpx.Request(
            "POST", url, headers=headers, stream=_BodyOnce(body, mark), extensions=extensions
        )

    def _refresh_message(self, response: httpx.Response) -> str:
        """Why a refresh failed. A redirect names its target's origin only: the rest of a URL
        may carry a signature or a token."""
        if response.is_redirect:
            return self._keys.redirect_message(response.status_code, _redirect_target(response))
        detail = _server_detail(response)
        return (
            f"Label Studio did not exchange the personal access token at "
            f"{self._keys.scope.refresh_url} (HTTP {response.status_code}{': ' + detail if detail else ''})"
        )

    def _refresh_error(self, response: httpx.Response) -> BaseException:
        """The exception a refused refresh raises (subclasses give their framework's type)."""
        return RefreshFailed(
            self._refresh_message(response), request=response.request, response=response
        )

    def _accept(self, response: httpx.Response) -> Tuple[Optional[str], Optional[Callable[[], BaseException]]]:
        """The access token in a refresh answer, or how to fail. An answer that came through a
        redirect (a client without the guard followed it) is a failure named after the redirect,
        whatever it says: it is not Label Studio's."""
        mark = response.request.extensions.get(_MARK)
        hops = [r for r in response.history if r.request.extensions.get(_MARK) is mark]
        if hops:
            return None, lambda: self._refresh_error(hops[0])
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = None
            access = body.get("access") if isinstance(body, dict) else None
            if isinstance(access, str):
                return access, None
        return None, lambda: self._refresh_error(response)

    def _apply(self, request: httpx.Request, value: str) -> _Credential:
        """Marks the request with its credential; puts ``Authorization`` on it. ``X-Api-Key`` is
        put on by the guard's request hook only, hop by hop, since httpx would copy it to any
        host a redirect names."""
        if self._keys.header == "X-Api-Key":
            # The core builds `Bearer <access>` / `Token <key>`; this header takes the bare one.
            mark = _Credential("X-Api-Key", value.split(" ", 1)[1], self._keys.scope)
            request.headers.pop("X-Api-Key", None)
        else:
            mark = _Credential("Authorization", value, self._keys.scope)
            request.headers["Authorization"] = value
        request.extensions[_MARK] = mark
        return mark

    def _check_guarded(self, mark: _Credential) -> None:
        if mark.header == "X-Api-Key" and not mark.guarded:
            raise GuardMissing(
                "api_key_header='X-Api-Key' needs ls_auth's redirect guard on the httpx client "
                "(ls_auth.contrib.httpx.install(client, auth), or client() / async_client()): "
                "httpx copies X-Api-Key to whatever host a redirect names. The request was sent "
                "without the key."
            )

    def _retries_on_401(self) -> bool:
        return self._keys.cache.kind == "pat"

    # -- the flows ----------------------------------------------------------------------------

    def _sync_credential(
        self, request: httpx.Request, stale: Optional[str]
    ) -> Generator[httpx.Request, httpx.Response, str]:
        tried = False
        while True:
            action, arg = self._keys.step(stale, tried)
            if action == USE:
                assert isinstance(arg, str)
                return arg
            assert isinstance(arg, Flight)
            if action == LEAD:
                try:
                    response = yield self._refresh_request(request)
                    response.read()
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

    async def _async_credential(
        self, request: httpx.Request, stale: Optional[str], out: List[str]
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Like :meth:`_sync_credential`, but waits without blocking the event loop; the
        credential is appended to ``out`` (an async generator cannot return a value)."""
        tried = False
        while True:
            action, arg = self._keys.step(stale, tried)
            if action == USE:
                assert isinstance(arg, str)
                out.append(arg)
                return
            assert isinstance(arg, Flight)
            if action == LEAD:
                try:
                    response = yield self._refresh_request(request)
                    await response.aread()
                except BaseException:
                    self._keys.land(arg)
                    raise
                access, failure = self._accept(response)
                error = self._keys.land(arg, access=access, failure=failure)
                if error is not None:
                    raise error
                tried = True
            else:
                future = self._keys.async_waiter(arg)
                if future is not None:
                    await future
                if arg.failure is not None:
                    raise arg.failure()
                tried = tried or not arg.interrupted

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._keys.scope.allows(str(request.url)):
            # Not this Label Studio: no credential, and no refresh on its account.
            yield request
            return
        value = yield from self._sync_credential(request, None)
        mark = self._apply(request, value)
        response = yield request
        self._check_guarded(mark)
        if response.status_code == 401 and self._retries_on_401():
            value = yield from self._sync_credential(request, value)
            self._apply(request, value)
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self._keys.scope.allows(str(request.url)):
            yield request
            return
        stale: Optional[str] = None
        for attempt in range(2):
            out: List[str] = []
            steps = self._async_credential(request, stale, out)
            try:
                # Only a request that leads a refresh sees a refresh request here; its answer
                # goes back into `steps`.
                refresh = await steps.__anext__()
                while True:
                    refresh = await steps.asend((yield refresh))
            except StopAsyncIteration:
                pass
            finally:
                await steps.aclose()
            stale = out[0]
            mark = self._apply(request, stale)
            response = yield request
            self._check_guarded(mark)
            if attempt == 1 or response.status_code != 401 or not self._retries_on_401():
                return


# -- the guard ----------------------------------------------------------------------------------


def _guard_request(request: httpx.Request) -> None:
    """Runs on every request httpx sends, redirect hops included: the credential goes on a hop
    its scope allows and comes off, whatever its header, any other."""
    mark = request.extensions.get(_MARK)
    if isinstance(mark, _Refresh):
        mark.guarded = True
        if not mark.scope.allows(str(request.url)):  # the response hook stops hops first
            raise RefreshRedirected(
                f"the token refresh at {mark.scope.origin} was redirected; ls_auth never follows "
                "a redirect with a personal access token",
                request=request,
            )
    elif isinstance(mark, _Credential):
        mark.guarded = True
        if mark.scope.allows(str(request.url)):
            request.headers[mark.header] = mark.value
        else:
            request.headers.pop(mark.header, None)


def _redirected_refresh(response: httpx.Response) -> Optional[_Refresh]:
    mark = response.request.extensions.get(_MARK)
    return mark if isinstance(mark, _Refresh) and response.is_redirect else None


def _guard_response(response: httpx.Response) -> None:
    """A redirect answer to the refresh fails here, before httpx builds the hop."""
    mark = _redirected_refresh(response)
    if mark is not None:
        response.read()
        raise mark.auth._refresh_error(response)


async def _guard_request_async(request: httpx.Request) -> None:
    _guard_request(request)


async def _guard_response_async(response: httpx.Response) -> None:
    mark = _redirected_refresh(response)
    if mark is not None:
        await response.aread()
        raise mark.auth._refresh_error(response)


@overload
def install(client: httpx.Client, auth: LabelStudioAuth) -> httpx.Client: ...
@overload
def install(client: httpx.AsyncClient, auth: LabelStudioAuth) -> httpx.AsyncClient: ...
def install(
    client: Union[httpx.Client, httpx.AsyncClient], auth: LabelStudioAuth
) -> Union[httpx.Client, httpx.AsyncClient]:
    """Sets ``client.auth = auth`` and puts the redirect guard on the client (see the module):
    its request and response hooks run first on every request httpx sends, redirect hops
    included. Returns the client. A client that already has another auth is refused."""
    if not isinstance(auth, LabelStudioAuth):
        raise TypeError("install() takes a LabelStudioAuth")
    if client.auth is not None and client.auth is not auth:
        raise ValueError(
            "the httpx client already has an auth; ls_auth.contrib.httpx.install sets its own: "
            "pass a client without auth="
        )
    client.auth = auth
    hooks: Dict[str, List[Callable[..., Any]]] = dict(client.event_hooks)
    if isinstance(client, httpx.AsyncClient):
        request_hook: Any = _guard_request_async
        response_hook: Any = _guard_response_async
    else:
        request_hook, response_hook = _guard_request, _guard_response
    if request_hook not in hooks["request"]:
        # First in line, so no other hook sees (or reads) a hop before the guard decides.
        hooks["request"] = [request_hook, *hooks["request"]]
        hooks["response"] = [response_hook, *hooks["response"]]
        client.event_hooks = hooks
    return client


def client(
    api_key: str,
    *,
    base_url: Union[str, httpx.URL],
    margin: int = DEFAULT_REFRESH_MARGIN,
    api_key_header: Literal["Authorization", "X-Api-Key"] = "Authorization",
    clock: Optional[Callable[[], float]] = None,
    **httpx_kwargs: Any,
) -> httpx.Client:
    """An ``httpx.Client`` for one Label Studio: ``base_url`` is the client's base URL too, the
    auth and the guard are installed. Other keyword arguments are ``httpx.Client``'s."""
    auth = LabelStudioAuth(
        api_key, base_url=base_url, margin=margin, api_key_header=api_key_header, clock=clock
    )
    return install(httpx.Client(base_url=base_url, **httpx_kwargs), auth)


def async_client(
    api_key: str,
    *,
    base_url: Union[str, httpx.URL],
    margin: int = DEFAULT_REFRESH_MARGIN,
    api_key_header: Literal["Authorization", "X-Api-Key"] = "Authorization",
    clock: Optional[Callable[[], float]] = None,
    **httpx_kwargs: Any,
) -> httpx.AsyncClient:
    """:func:`client` for ``httpx.AsyncClient``."""
    auth = LabelStudioAuth(
        api_key, base_url=base_url, margin=margin, api_key_header=api_key_header, clock=clock
    )
    return install(httpx.AsyncClient(base_url=base_url, **httpx_kwargs), auth)
