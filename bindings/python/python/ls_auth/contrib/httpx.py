"""An ``httpx.Auth`` for Label Studio API keys.

``LabelStudioAuth(api_key, base_url=...)`` sends a legacy key as ``Token <key>`` and exchanges a
personal access token (PAT) at ``POST {base_url}/api/token/refresh/`` for five-minute access
tokens sent as ``Bearer <access>``. :class:`ls_auth.AccessTokenCache` (the Rust core) classifies
the key and says when a refresh is due: before the first request and ``margin`` seconds before
the access token expires, so no request leaves with a token that dies in flight.

How it behaves, and why:

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
  ``Authorization`` alone, for deployments behind an identity-aware proxy that owns it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import AsyncGenerator, Callable, Generator, List, Literal, Optional, Tuple, Union

import httpx

from .. import DEFAULT_REFRESH_MARGIN, AccessTokenCache, AuthError, TokenExpired

__all__ = ["LabelStudioAuth", "RefreshFailed", "REFRESH_PATH"]

REFRESH_PATH = "/api/token/refresh/"

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


def _server_detail(response: httpx.Response) -> Optional[str]:
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else None


class _Flight:
    """One refresh in progress: the requests that did not start it wait for it to land."""

    __slots__ = ("landed", "failure", "interrupted", "async_waiters")

    def __init__(self) -> None:
        self.landed = threading.Event()
        # Builds the exception each waiter raises (one per waiter: exceptions carry tracebacks).
        self.failure: Optional[Callable[[], BaseException]] = None
        # The refresh did not finish (connection error, cancellation): a waiter may try itself.
        self.interrupted = False
        self.async_waiters: List[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]] = []


def _wake(future: "asyncio.Future[None]") -> None:
    if not future.done():
        future.set_result(None)


_USE, _LEAD, _WAIT = "use", "lead", "wait"


class LabelStudioAuth(httpx.Auth):
    """Authenticates httpx requests with a Label Studio PAT, access token or legacy key.

    ``base_url`` is where Label Studio is served, sub-path included
    (``https://host/labelstudio``, with or without the trailing slash): the refresh goes to
    ``{base_url}/api/token/refresh/``. Without it, to the request's origin.
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
        if api_key_header not in ("Authorization", "X-Api-Key"):
            raise ValueError("api_key_header must be 'Authorization' or 'X-Api-Key'")
        self._clock: Callable[[], float] = clock if clock is not None else time.time
        self._cache = AccessTokenCache(api_key, margin=margin, now=self._now())
        self._base_url = None if base_url is None else str(base_url).rstrip("/")
        self._header = api_key_header
        self._lock = threading.Lock()
        self._flight: Optional[_Flight] = None

    @property
    def cache(self) -> AccessTokenCache:
        """The native cache: its ``kind`` (``"pat"``, ``"legacy"``, ``"access"``) and state."""
        return self._cache

    @property
    def kind(self) -> Literal["legacy", "pat", "access"]:
        return self._cache.kind

    @property
    def api_key_header(self) -> Literal["Authorization", "X-Api-Key"]:
        return self._header

    def refresh_url(self, request: Optional[httpx.Request] = None) -> str:
        """``{base_url}/api/token/refresh/``; without a base URL, on the request's origin."""
        if self._base_url is not None:
            return self._base_url + REFRESH_PATH
        if request is None:
            raise ValueError("LabelStudioAuth needs base_url to refresh outside a request")
        return str(request.url.copy_with(path=REFRESH_PATH, query=None, fragment=None))

    # -- the decisions, each under the lock and without I/O ---------------------------------

    def _now(self) -> int:
        return int(self._clock())

    def _step(self, stale: Optional[str], tried: bool) -> Tuple[str, Union[str, _Flight]]:
        """What this request does next: use a credential, lead a refresh, or wait for one.

        ``stale`` is a credential the server just refused: it is not used again. ``tried`` says
        this request already had a refresh land for it, so it never starts another.
        """
        now = self._now()
        with self._lock:
            if not self._cache.needs_refresh(now=now):
                value = self._cache.authorization_value(now=now)
                if value != stale:
                    return _USE, value
            if tried:
                raise self._still_due(now)
            if self._flight is None:
                self._flight = _Flight()
                return _LEAD, self._flight
            return _WAIT, self._flight

    def _still_due(self, now: int) -> AuthError:
        exp = self._cache.access_exp
        return TokenExpired(
            f"the access token the server just issued (exp {exp}) is already due for refresh by "
            f"this machine's clock ({now}): the clock is ahead of the server's, or the refresh "
            "margin is not shorter than the server's access-token lifetime"
        )

    def _land(
        self, flight: _Flight, *, access: Optional[str] = None,
        failure: Optional[Callable[[], BaseException]] = None,
    ) -> Optional[BaseException]:
        """Ends a flight; returns the exception its leader raises, if any."""
        error: Optional[BaseException] = None
        with self._lock:
            if access is not None:
                try:
                    self._cache.store_access(access)
                except AuthError as exc:
                    cls, message = type(exc), (
                        f"the refresh endpoint's answer is not an access token: {exc.message}"
                    )
                    failure = lambda: cls(message)  # noqa: E731
            if failure is not None:
                flight.failure = failure
                error = failure()
            elif access is None:
                flight.interrupted = True
            waiters, flight.async_waiters = flight.async_waiters, []
            self._flight = None
            flight.landed.set()
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass
        return error

    def _async_waiter(self, flight: _Flight) -> "Optional[asyncio.Future[None]]":
        loop = asyncio.get_running_loop()
        with self._lock:
            if flight.landed.is_set():
                return None
            future: "asyncio.Future[None]" = loop.create_future()
            flight.async_waiters.append((loop, future))
            return future

    # -- requests ---------------------------------------------------------------------------

    def _refresh_request(self, request: httpx.Request) -> httpx.Request:
        pat = self._cache.refresh_token
        assert pat is not None, "only a PAT is refreshed"
        dropped = "x-api-key" if self._header == "X-Api-Key" else "authorization"
        headers = [
            (k, v) for k, v in request.headers.multi_items()
            if k.lower() not in _NOT_COPIED and k.lower() != dropped
        ]
        extensions = {k: v for k, v in request.extensions.items() if k == "timeout"}
        return httpx.Request(
            "POST", self.refresh_url(request), headers=headers, json={"refresh": pat},
            extensions=extensions,
        )

    def _refresh_error(self, response: httpx.Response) -> BaseException:
        """The exception a refused refresh raises (subclasses give their framework's type)."""
        detail = _server_detail(response)
        return RefreshFailed(
            f"Label Studio did not exchange the personal access token at {response.request.url} "
            f"(HTTP {response.status_code}{': ' + detail if detail else ''})",
            request=response.request,
            response=response,
        )

    def _accept(self, response: httpx.Response) -> Tuple[Optional[str], Optional[Callable[[], BaseException]]]:
        """The access token in a refresh answer, or how to fail."""
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = None
            access = body.get("access") if isinstance(body, dict) else None
            if isinstance(access, str):
                return access, None
        return None, lambda: self._refresh_error(response)

    def _apply(self, request: httpx.Request, value: str) -> None:
        if self._header == "X-Api-Key":
            # The core builds `Bearer <access>` / `Token <key>`; this header takes the bare one.
            request.headers["X-Api-Key"] = value.split(" ", 1)[1]
        else:
            request.headers["Authorization"] = value

    def _retries_on_401(self) -> bool:
        return self._cache.kind == "pat"

    # -- the flows ----------------------------------------------------------------------------

    def _sync_credential(
        self, request: httpx.Request, stale: Optional[str]
    ) -> Generator[httpx.Request, httpx.Response, str]:
        tried = False
        while True:
            action, arg = self._step(stale, tried)
            if action == _USE:
                assert isinstance(arg, str)
                return arg
            assert isinstance(arg, _Flight)
            if action == _LEAD:
                try:
                    response = yield self._refresh_request(request)
                    response.read()
                except BaseException:
                    self._land(arg)
                    raise
                access, failure = self._accept(response)
                error = self._land(arg, access=access, failure=failure)
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
            action, arg = self._step(stale, tried)
            if action == _USE:
                assert isinstance(arg, str)
                out.append(arg)
                return
            assert isinstance(arg, _Flight)
            if action == _LEAD:
                try:
                    response = yield self._refresh_request(request)
                    await response.aread()
                except BaseException:
                    self._land(arg)
                    raise
                access, failure = self._accept(response)
                error = self._land(arg, access=access, failure=failure)
                if error is not None:
                    raise error
                tried = True
            else:
                future = self._async_waiter(arg)
                if future is not None:
                    await future
                if arg.failure is not None:
                    raise arg.failure()
                tried = tried or not arg.interrupted

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        value = yield from self._sync_credential(request, None)
        self._apply(request, value)
        response = yield request
        if response.status_code == 401 and self._retries_on_401():
            value = yield from self._sync_credential(request, value)
            self._apply(request, value)
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
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
            self._apply(request, stale)
            response = yield request
            if attempt == 1 or response.status_code != 401 or not self._retries_on_401():
                return
