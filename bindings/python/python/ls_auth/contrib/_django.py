"""What every Django integration of ls_auth shares: keys from Django's settings, the header bytes,
and the DRF exceptions that carry a core error to the client.

Used by :mod:`ls_auth.contrib.drf` and :mod:`ls_auth.contrib.label_studio`; not a public API.
"""

from __future__ import annotations

import datetime as _dt
import threading
from typing import Any, Callable, Dict, Hashable, NoReturn, Optional, Tuple, TypeVar, Union

from rest_framework import exceptions

import ls_auth

__all__ = [
    "LSAuthenticationFailed",
    "MalformedAuthorization",
    "authorization_bytes",
    "challenge",
    "django_settings",
    "issuer",
    "option",
    "raise_for",
    "user_refusal",
    "verifier",
]


class LSAuthenticationFailed(exceptions.AuthenticationFailed):
    """401 with ``{"detail": message, "code": code}``, as simplejwt answers.

    ``ls_error`` is the core error behind it, so the challenge header can name it. A host-side
    refusal of a valid token (an unknown or inactive user, contract section 4) has none of its
    own: it is ``invalid_token``, as the core's :class:`ls_auth.InvalidToken`.
    """

    def __init__(self, message: str, code: str, error: Optional[ls_auth.AuthError] = None) -> None:
        super().__init__({"detail": message, "code": code})
        self.ls_code = code
        self.ls_error: ls_auth.AuthError = error if error is not None else ls_auth.InvalidToken(message)


class MalformedAuthorization(exceptions.APIException):
    """400 for an ``Authorization`` header that does not follow the grammar (``invalid_request``)."""

    status_code = 400
    default_code = "malformed_header"

    def __init__(self, error: ls_auth.AuthError) -> None:
        super().__init__({"detail": error.message, "code": error.code})
        self.status_code = error.status
        self.ls_code = error.code
        self.ls_error = error
        self.auth_header = ls_auth.www_authenticate(error)


def challenge(error: Union[ls_auth.AuthError, LSAuthenticationFailed, None]) -> str:
    """The ``WWW-Authenticate`` value for a refusal (or for no credentials when ``None``), built
    by the core (contract section 2.1); the one place both Django integrations take it from.
    A 401 always carries one (DRF turns a 401 without it into a 403)."""
    if isinstance(error, LSAuthenticationFailed):
        error = error.ls_error
    found = ls_auth.www_authenticate(error) or ls_auth.www_authenticate()
    assert found is not None, "the core has a challenge for absent credentials"
    return found


def user_refusal(user: Any, kind: str) -> Optional[LSAuthenticationFailed]:
    """The host's answer for the user a valid credential of ``kind`` (``"jwt"`` or ``"legacy"``)
    names, or ``None`` when that user may proceed (contract section 4: only the host knows its
    users). An unknown legacy key is a revoked one (a legacy key is revoked by deleting it), in
    DRF's words; the texts are simplejwt's and DRF's, which clients match on."""
    if user is None:
        if kind == "jwt":
            return LSAuthenticationFailed("User not found", "user_not_found")
        unknown = ls_auth.TokenRevoked("Invalid token.")
        return LSAuthenticationFailed(unknown.message, unknown.code, unknown)
    if not getattr(user, "is_active", True):
        message = "User is inactive" if kind == "jwt" else "User inactive or deleted."
        return LSAuthenticationFailed(message, "user_inactive")
    return None


def raise_for(error: ls_auth.AuthError) -> NoReturn:
    """Raise the DRF exception that answers ``error`` (400 malformed header, 401 token failure)."""
    if error.status == 400:
        raise MalformedAuthorization(error) from None
    if error.status >= 500:
        raise error
    raise LSAuthenticationFailed(error.message, error.code, error) from None


def django_settings() -> Any:
    from django.conf import settings

    return settings


def option(name: str, default: Any) -> Any:
    """``settings.LS_AUTH[name]``, else ``settings.SIMPLE_JWT[name]``, else ``default``."""
    conf = django_settings()
    ls = getattr(conf, "LS_AUTH", None) or {}
    if name in ls:
        return ls[name]
    simple_jwt = getattr(conf, "SIMPLE_JWT", None) or {}
    if name in simple_jwt:
        return simple_jwt[name]
    return default


def _seconds(value: Union[int, float, _dt.timedelta, None]) -> int:
    if value is None:
        return 0
    if isinstance(value, _dt.timedelta):
        return int(value.total_seconds())
    return int(value)


_T = TypeVar("_T")
_cache: Dict[Hashable, Any] = {}
_cache_lock = threading.Lock()


def _cached(key: Hashable, build: Callable[[], _T]) -> _T:
    """One object per configuration (settings may change under ``override_settings``)."""
    found = _cache.get(key)
    if found is None:
        found = build()
        with _cache_lock:
            if len(_cache) >= 32:
                _cache.clear()
            _cache[key] = found
    return found


def _key_config() -> Tuple[Any, ...]:
    conf = django_settings()
    secret = option("SIGNING_KEY", None) or conf.SECRET_KEY
    fallbacks = option("FALLBACKS", None)
    if fallbacks is None:
        fallbacks = getattr(conf, "SECRET_KEY_FALLBACKS", ())
    return (
        secret,
        tuple(fallbacks),
        _seconds(option("LEEWAY", 0)),
        option("ISSUER", None),
        # Handed over as configured: the core refuses a non-string audience (InvalidArgument)
        # rather than this module dropping it.
        option("AUDIENCE", None),
        bool(option("ALLOW_SHORT_KEY", False)),
    )


def verifier() -> ls_auth.Verifier:
    """The verifier Django's settings describe (``LS_AUTH``, then ``SIMPLE_JWT``, then ``SECRET_KEY``)."""
    config = _key_config()
    secret, fallbacks, leeway, iss, aud, short = config
    return _cached(
        ("verifier",) + config,
        lambda: ls_auth.Verifier(
            secret, fallbacks=fallbacks, leeway=leeway, issuer=iss, audience=aud, allow_short_key=short
        ),
    )


def issuer() -> ls_auth.Issuer:
    """The issuer for the same keys; access tokens live ``ACCESS_TOKEN_LIFETIME`` (simplejwt's name)."""
    config = _key_config()
    secret, fallbacks, leeway, iss, aud, short = config
    access_ttl = _seconds(option("ACCESS_TOKEN_LIFETIME", ls_auth.DEFAULT_ACCESS_TTL))
    return _cached(
        ("issuer", access_ttl) + config,
        lambda: ls_auth.Issuer(
            secret,
            fallbacks=fallbacks,
            access_ttl=access_ttl,
            leeway=leeway,
            issuer=iss,
            audience=aud,
            allow_short_key=short,
        ),
    )


def authorization_bytes(meta: Any) -> Union[bytes, str, None]:
    """The ``Authorization`` header as the client sent its bytes.

    WSGI hands header bytes over as latin-1 text: encoding it back gives the core the original
    bytes (so non-ASCII is refused as such, never re-interpreted).
    """
    header = meta.get("HTTP_AUTHORIZATION")
    if isinstance(header, str):
        try:
            return header.encode("latin-1")
        except UnicodeEncodeError:
            return header
    return header
