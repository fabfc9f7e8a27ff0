"""A service's view of its issuer's JWK Set: fetched, cached, refetched (contract section 3.10).

``JwksVerifier("https://ls.example/api/token/jwks/")`` verifies EdDSA access tokens with the
public keys Label Studio publishes, and never holds a secret that can sign. It uses only the
standard library (``urllib``).

How it behaves, and why:

* The set is fetched on first use and kept for the response's ``Cache-Control: max-age``
  (``default_max_age`` when the response names none, clamped to ``[min_refetch_interval,
  max_max_age]``), so a key rotation reaches the service within the lifetime the issuer chose.
* A token whose ``kid`` the cached set lacks (``UnknownKeyId``: a key published after the last
  fetch) triggers one refetch and one retry, at most once per ``min_refetch_interval`` seconds:
  a stream of tokens with made-up kids costs the issuer one request per interval, never one per
  token.
* When a fetch fails (the issuer is down, answers an error, or publishes a set the strict rules
  refuse), the last good set keeps serving, unexpired tokens keep passing, and the next attempt
  waits ``min_refetch_interval``. Only a service that never fetched a set fails, with
  :class:`JwksUnavailable`.
* One fetch at a time: threads that find the set stale while another thread fetches use the
  cached set rather than queue behind the network; before the first set they wait for it.
* Only ``http`` and ``https`` URLs (``urllib`` would also open ``file:`` and ``ftp:``), and
  responses of at most ``max_bytes``.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Callable, Optional, Tuple, TypeVar, Union

from .. import (
    Claims,
    InvalidArgument,
    Keyring,
    OrgSettings,
    TokenKindDisabled,
    UnknownKeyId,
    Verifier,
    authenticate,
)

__all__ = ["JwksVerifier", "JwksUnavailable", "fetch_jwks"]

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)


_T = TypeVar("_T")

#: A service has no key table: legacy ``Token`` keys are refused (``token_kind_disabled``).
_SERVICE_SETTINGS = OrgSettings(legacy_api_tokens_enabled=False)


class JwksUnavailable(Exception):
    """No JWK Set could be fetched and none is cached: the service cannot verify anything yet."""


#: A fetcher: URL and timeout in, (body, Cache-Control header or None) out; raises on failure.
Fetch = Callable[[str, float], Tuple[bytes, Optional[str]]]


def fetch_jwks(url: str, timeout: float, max_bytes: int = 1 << 20) -> Tuple[bytes, Optional[str]]:
    """GETs ``url`` (http or https only): the body and the ``Cache-Control`` header."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidArgument(f"a JWK Set URL must be http or https, not {scheme or 'relative'}")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (checked)
        body: bytes = response.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise ValueError(f"JWK Set larger than {max_bytes} bytes")
        cache_control: Optional[str] = response.headers.get("Cache-Control")
        return body, cache_control


def _max_age(cache_control: Optional[str], default: float) -> float:
    if not cache_control:
        return default
    if _NO_CACHE.search(cache_control):
        return 0.0
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else default


class JwksVerifier:
    """Verifies access tokens against the JWK Set at ``url``, fetched and cached (see module)."""

    def __init__(
        self,
        url: str,
        *,
        min_refetch_interval: float = 30.0,
        default_max_age: float = 300.0,
        max_max_age: float = 86400.0,
        timeout: float = 5.0,
        leeway: Optional[int] = None,
        issuer: Optional[str] = None,
        audience: Optional[str] = None,
        fetch: Optional[Fetch] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise InvalidArgument(f"a JWK Set URL must be http or https, not {scheme or 'relative'}")
        if min_refetch_interval <= 0:
            raise InvalidArgument("min_refetch_interval must be positive")
        self.url = url
        self._min_interval = float(min_refetch_interval)
        self._default_max_age = float(default_max_age)
        self._max_max_age = max(float(max_max_age), self._min_interval)
        self._timeout = timeout
        self._leeway, self._issuer, self._audience = leeway, issuer, audience
        self._fetch: Fetch = fetch or fetch_jwks
        self._clock = clock
        self._lock = threading.Lock()  # guards the fields below
        self._fetched = threading.Condition(self._lock)
        self._fetching = False
        self._verifier: Optional[Verifier] = None
        self._jwks: Optional[str] = None
        self._expires_at = 0.0  # the cached set is fresh until then
        self._next_attempt = 0.0  # no fetch before then (rate limit and back-off)
        self._last_error: Optional[BaseException] = None
        #: Fetch attempts and failures so far (for a service's metrics).
        self.fetches = 0
        self.failures = 0

    # -- the cache

    def _refresh(self, *, force: bool) -> None:
        """Fetches the set if it is stale (or ``force``) and the rate limit allows; one fetch
        at a time. Never raises while a set is cached."""
        with self._lock:
            while self._fetching and self._verifier is None:
                self._fetched.wait()  # the first fetch: nothing to serve meanwhile
            now = self._clock()
            due = force or now >= self._expires_at
            if not due or now < self._next_attempt or self._fetching:
                return
            self._fetching = True
            self._next_attempt = now + self._min_interval
            self.fetches += 1
        verifier: Optional[Verifier] = None
        text: Optional[str] = None
        error: Optional[BaseException] = None
        max_age = 0.0
        try:
            body, cache_control = self._fetch(self.url, self._timeout)
            text = body.decode("utf-8")
            verifier = Verifier(
                Keyring.from_jwks(text),
                leeway=self._leeway,
                issuer=self._issuer,
                audience=self._audience,
            )
            max_age = _max_age(cache_control, self._default_max_age)
        except Exception as exc:  # the network, HTTP errors, a set the strict rules refuse
            error = exc
        with self._lock:
            self._fetching = False
            self._fetched.notify_all()
            if verifier is None:
                self.failures += 1
                self._last_error = error
                return
            now = self._clock()
            max_age = min(max(max_age, self._min_interval), self._max_max_age)
            self._verifier, self._jwks, self._last_error = verifier, text, None
            self._expires_at = now + max_age

    def _current(self) -> Verifier:
        self._refresh(force=False)
        with self._lock:
            verifier, error = self._verifier, self._last_error
        if verifier is None:
            raise JwksUnavailable(f"no JWK Set from {self.url} yet: {error!r}")
        return verifier

    @property
    def jwks(self) -> Optional[str]:
        """The cached JWK Set's text (None before the first successful fetch)."""
        with self._lock:
            return self._jwks

    @property
    def last_error(self) -> Optional[BaseException]:
        """Why the last fetch failed (None once a fetch succeeds)."""
        with self._lock:
            return self._last_error

    def verifier(self) -> Verifier:
        """The :class:`ls_auth.Verifier` of the current set (fetching it first if stale)."""
        return self._current()

    # -- verification

    def _with_retry(self, check: Callable[[Verifier], _T]) -> _T:
        verifier = self._current()
        try:
            return check(verifier)
        except UnknownKeyId:
            self._refresh(force=True)
            retry = self._current()
            if retry is verifier:
                raise
            return check(retry)

    def verify_access(self, token: str, *, now: Union[int, datetime, None] = None) -> Claims:
        """Verifies an access token; on ``UnknownKeyId`` refetches once (rate-limited) and
        retries. Raises the core's ``AuthError`` subclasses, or :class:`JwksUnavailable`."""
        return self._with_retry(lambda v: v.verify_access(token, now=now))

    def authenticate(
        self, header: Union[str, bytes, None], *, now: Union[int, datetime, None] = None
    ) -> Claims:
        """Authenticates an ``Authorization`` header value (None when absent): a ``Bearer``
        access token, as :meth:`verify_access`. Refusals are ``AuthError`` subclasses whose
        ``status`` and :func:`ls_auth.www_authenticate` make the HTTP answer."""

        def check(verifier: Verifier) -> Claims:
            principal = authenticate(header, verifier=verifier, settings=_SERVICE_SETTINGS, now=now)
            if principal.claims is None:  # unreachable with legacy keys disabled
                raise TokenKindDisabled("legacy keys are not accepted here", code="token_kind_disabled")
            return principal.claims

        return self._with_retry(check)
