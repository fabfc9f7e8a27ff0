"""What every HTTP client adapter of ls_auth shares, without any HTTP library: the key, where it
may go, and one refresh at a time.

An adapter (``contrib.requests``; ``contrib.httpx``) asks :class:`KeyHolder` which credential a
request carries (:meth:`KeyHolder.step`), performs the refresh itself when told to lead one,
and reports how it ended (:meth:`KeyHolder.land`). Every decision is the core's:
:class:`ls_auth.AccessTokenCache` classifies the key and says when a refresh is due, and
:class:`ls_auth.CredentialScope` says where the credential may be sent (contract §5.1).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Dict, List, Literal, MutableMapping, Optional, Tuple, Union

from .. import AccessTokenCache, AuthError, CredentialScope, TokenExpired, origin_of

# The names a credential header may have: cleared from any request the scope does not allow.
CREDENTIAL_HEADERS = ("Authorization", "X-Api-Key")

USE, LEAD, WAIT = "use", "lead", "wait"

# What label-studio-sdk itself is given as its key (contrib.sdk and its requests paths): not a
# JWT, so the SDK never tries to refresh it, and every header built from it is replaced before
# a request leaves.
SDK_PLACEHOLDER_KEY = "ls-auth-managed-this-key"


class Flight:
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


def server_detail(body: Any) -> Optional[str]:
    """The server's ``detail`` in a parsed JSON body, when it said one."""
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else None


class KeyHolder:
    """A Label Studio API key, the base URL it belongs to, and its access-token cache."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: Optional[str],
        margin: int,
        api_key_header: Literal["Authorization", "X-Api-Key"],
        clock: Optional[Callable[[], float]],
        who: str,
    ) -> None:
        if api_key_header not in CREDENTIAL_HEADERS:
            raise ValueError("api_key_header must be 'Authorization' or 'X-Api-Key'")
        if base_url is None or not str(base_url).strip():
            raise ValueError(
                f"{who} needs base_url, the Label Studio the key belongs to: the key is sent to "
                "that origin only, and a personal access token is refreshed there, never at "
                "whatever host a request happens to target"
            )
        self.scope = CredentialScope(str(base_url))
        self.clock: Callable[[], float] = clock if clock is not None else time.time
        self.cache = AccessTokenCache(api_key, margin=margin, now=self.now())
        self.header = api_key_header
        self._lock = threading.Lock()
        self._flight: Optional[Flight] = None

    def now(self) -> int:
        return int(self.clock())

    @property
    def refresh_url(self) -> str:
        return str(self.scope.refresh_url)

    def allows(self, url: str) -> bool:
        return bool(self.scope.allows(url))

    def step(self, stale: Optional[str], tried: bool) -> Tuple[str, Union[str, Flight]]:
        """What a request does next: use a credential, lead a refresh, or wait for one.

        ``stale`` is a credential the server just refused: it is not used again. ``tried`` says
        this request already had a refresh land for it, so it never starts another.
        """
        now = self.now()
        with self._lock:
            if not self.cache.needs_refresh(now=now):
                value = self.cache.authorization_value(now=now)
                if value != stale:
                    return USE, value
            if tried:
                raise self._still_due(now)
            if self._flight is None:
                self._flight = Flight()
                return LEAD, self._flight
            return WAIT, self._flight

    def _still_due(self, now: int) -> AuthError:
        exp = self.cache.access_exp
        return TokenExpired(
            f"the access token the server just issued (exp {exp}) is already due for refresh by "
            f"this machine's clock ({now}): the clock is ahead of the server's, or the refresh "
            "margin is not shorter than the server's access-token lifetime"
        )

    def land(
        self, flight: Flight, *, access: Optional[str] = None,
        failure: Optional[Callable[[], BaseException]] = None,
    ) -> Optional[BaseException]:
        """Ends a flight; returns the exception its leader raises, if any."""
        error: Optional[BaseException] = None
        with self._lock:
            if access is not None:
                try:
                    self.cache.store_access(access)
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

    def async_waiter(self, flight: Flight) -> "Optional[asyncio.Future[None]]":
        loop = asyncio.get_running_loop()
        with self._lock:
            if flight.landed.is_set():
                return None
            future: "asyncio.Future[None]" = loop.create_future()
            flight.async_waiters.append((loop, future))
            return future

    def refresh_body(self) -> Dict[str, str]:
        pat = self.cache.refresh_token
        assert pat is not None, "only a PAT is refreshed"
        return {"refresh": pat}

    def redirect_message(self, status: int, target_url: Optional[str]) -> str:
        """Why a redirect answer to the refresh is a failure. ``target_url`` is the redirect's
        target resolved against the refresh URL; the message names its origin only (a redirect
        URL may carry a presigned secret of its own)."""
        target = origin_of(target_url) if target_url else None
        return (
            f"Label Studio at {self.scope.origin} answered the token refresh with a redirect "
            f"(HTTP {status}) to {target or 'an unreadable location'}: the personal access token "
            "is never re-sent to a redirect target; set base_url to the address Label Studio is "
            "really served at"
        )

    def apply(self, headers: MutableMapping[str, Any], value: str) -> None:
        """Puts the credential (`Bearer …` / `Token …`, from the core) in its header."""
        if self.header == "X-Api-Key":
            headers["X-Api-Key"] = value.split(" ", 1)[1]
        else:
            headers["Authorization"] = value

    def retries_on_401(self) -> bool:
        return self.cache.kind == "pat"
