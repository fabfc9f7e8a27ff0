"""Django REST framework authentication with ls_auth: what Label Studio accepts, natively.

Add ``"ls_auth.contrib.drf.LSAuthentication"`` to ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``
(first, so that its ``WWW-Authenticate`` challenge is the one sent). It accepts
``Authorization: Bearer <access token>`` (verified without I/O) and, when the organisation
enables them, ``Authorization: Token <legacy key>`` through :meth:`LSAuthentication.lookup_legacy_key`.

Configuration, all optional, in ``settings.LS_AUTH`` (defaults follow ``SIMPLE_JWT``, then Django)::

    LS_AUTH = {
        "SIGNING_KEY": SECRET_KEY,           # SIMPLE_JWT["SIGNING_KEY"], else SECRET_KEY
        "FALLBACKS": SECRET_KEY_FALLBACKS,   # old secrets that still verify
        "LEEWAY": 0, "ISSUER": None, "AUDIENCE": None, "ALLOW_SHORT_KEY": False,
        "API_TOKENS_ENABLED": True, "LEGACY_API_TOKENS_ENABLED": False,
        "PAT_TTL_DAYS": 73000, "ENFORCE_TTL_ON_EXISTING": True,
        "USER_ID_FIELD": "id",               # SIMPLE_JWT["USER_ID_FIELD"]
    }

Failures answer as Label Studio does: 401 with ``{"detail": ..., "code": ...}`` and the core's
``WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="..."``; a
malformed header is 400 ``invalid_request``. Every decision comes from the core.
"""

from __future__ import annotations

import datetime as _dt
import threading
from typing import Any, Dict, Optional, Tuple, Union

from django.contrib.auth import get_user_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

import ls_auth

__all__ = ["LSAuthentication", "LSAuthenticationFailed", "MalformedAuthorization"]

_ERROR_ATTR = "_ls_auth_error"


class LSAuthenticationFailed(exceptions.AuthenticationFailed):
    """401 with ``{"detail": message, "code": code}``, as simplejwt answers."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__({"detail": message, "code": code})
        self.ls_code = code


class MalformedAuthorization(exceptions.APIException):
    """400 for an ``Authorization`` header that does not follow the grammar (``invalid_request``)."""

    status_code = 400
    default_code = "malformed_header"

    def __init__(self, error: ls_auth.AuthError) -> None:
        super().__init__({"detail": error.message, "code": error.code})
        self.status_code = error.status
        self.auth_header = ls_auth.www_authenticate(error)


def _django_settings() -> Any:
    from django.conf import settings

    return settings


def _option(name: str, default: Any) -> Any:
    django_settings = _django_settings()
    ls = getattr(django_settings, "LS_AUTH", None) or {}
    if name in ls:
        return ls[name]
    simple_jwt = getattr(django_settings, "SIMPLE_JWT", None) or {}
    if name in simple_jwt:
        return simple_jwt[name]
    return default


def _seconds(value: Union[int, float, _dt.timedelta, None]) -> int:
    if value is None:
        return 0
    if isinstance(value, _dt.timedelta):
        return int(value.total_seconds())
    return int(value)


_VerifierKey = Tuple[Union[str, bytes], Tuple[Union[str, bytes], ...], int, Optional[str], Optional[str], bool]
_verifiers: Dict[_VerifierKey, ls_auth.Verifier] = {}
_verifiers_lock = threading.Lock()


def _verifier(key: _VerifierKey) -> ls_auth.Verifier:
    """One verifier per configuration (settings may change under ``override_settings``)."""
    found = _verifiers.get(key)
    if found is None:
        secret, fallbacks, leeway, issuer, audience, allow_short_key = key
        found = ls_auth.Verifier(
            secret,
            fallbacks=fallbacks,
            leeway=leeway,
            issuer=issuer,
            audience=audience,
            allow_short_key=allow_short_key,
        )
        with _verifiers_lock:
            if len(_verifiers) >= 16:
                _verifiers.clear()
            _verifiers[key] = found
    return found


class LSAuthentication(BaseAuthentication):
    """Authenticates Bearer access tokens and (when enabled) legacy Token keys through ls_auth."""

    www_authenticate_realm = "api"

    # -- hooks a project overrides -------------------------------------------------------

    def get_verifier(self) -> ls_auth.Verifier:
        """The verifier for this deployment (cached per configuration)."""
        django_settings = _django_settings()
        secret = _option("SIGNING_KEY", None) or django_settings.SECRET_KEY
        fallbacks = _option("FALLBACKS", None)
        if fallbacks is None:
            fallbacks = getattr(django_settings, "SECRET_KEY_FALLBACKS", ())
        audience = _option("AUDIENCE", None)
        return _verifier(
            (
                secret,
                tuple(fallbacks),
                _seconds(_option("LEEWAY", 0)),
                _option("ISSUER", None),
                audience if isinstance(audience, str) or audience is None else None,
                bool(_option("ALLOW_SHORT_KEY", False)),
            )
        )

    def get_org_settings(self, request: Request) -> ls_auth.OrgSettings:
        """The organisation's token settings for this request (from ``LS_AUTH`` by default)."""
        return ls_auth.OrgSettings(
            api_tokens_enabled=bool(_option("API_TOKENS_ENABLED", True)),
            legacy_api_tokens_enabled=bool(_option("LEGACY_API_TOKENS_ENABLED", False)),
            pat_ttl_days=int(_option("PAT_TTL_DAYS", 73000)),
            enforce_ttl_on_existing=bool(_option("ENFORCE_TTL_ON_EXISTING", True)),
        )

    def lookup_legacy_key(self, key: str, request: Request) -> Any:
        """The user owning a well-formed legacy key, or ``None``.

        By default DRF's ``rest_framework.authtoken`` table when that app is installed; a project
        storing keys elsewhere (or hashed, see :func:`ls_auth.legacy_key_digest`) overrides it.
        """
        from django.apps import apps

        if not apps.is_installed("rest_framework.authtoken"):
            return None
        from rest_framework.authtoken.models import Token

        try:
            return Token.objects.select_related("user").get(key=key).user
        except Token.DoesNotExist:
            return None

    def get_user(self, claims: ls_auth.Claims, request: Request) -> Any:
        """The user a verified access token names (``USER_ID_FIELD`` = ``claims.user_id``)."""
        field = _option("USER_ID_FIELD", "id")
        model = get_user_model()
        try:
            return model._default_manager.get(**{field: claims.user_id})
        except (model.DoesNotExist, ValueError, TypeError):
            return None

    # -- DRF interface ---------------------------------------------------------------------

    def authenticate(self, request: Request) -> Optional[Tuple[Any, Any]]:
        header = request.META.get("HTTP_AUTHORIZATION")
        if isinstance(header, str):
            # WSGI hands header bytes over as latin-1 text: give the core the original bytes.
            try:
                header = header.encode("latin-1")
            except UnicodeEncodeError:
                pass
        try:
            principal = ls_auth.authenticate(
                header,
                verifier=self.get_verifier(),
                settings=self.get_org_settings(request),
            )
        except (ls_auth.NoCredentials, ls_auth.UnsupportedScheme):
            return None  # not ours: let other authenticators (or NotAuthenticated) answer
        except ls_auth.AuthError as error:
            setattr(request, _ERROR_ATTR, error)
            if error.status == 400:
                raise MalformedAuthorization(error) from None
            if error.status >= 500:
                raise
            raise LSAuthenticationFailed(error.message, error.code) from None

        if principal.claims is not None:
            user = self.get_user(principal.claims, request)
            if user is None:
                raise LSAuthenticationFailed("User not found", "user_not_found")
            if not getattr(user, "is_active", True):
                raise LSAuthenticationFailed("User is inactive", "user_inactive")
            return (user, principal.claims)

        key = principal.legacy_key
        assert key is not None
        user = self.lookup_legacy_key(key, request)
        if user is None:
            # A legacy key is revoked by deleting it: an unknown key is a revoked one.
            unknown = ls_auth.TokenRevoked("Invalid token.")
            setattr(request, _ERROR_ATTR, unknown)
            raise LSAuthenticationFailed(unknown.message, unknown.code)
        if not getattr(user, "is_active", True):
            raise LSAuthenticationFailed("User inactive or deleted.", "user_inactive")
        return (user, key)

    def authenticate_header(self, request: Request) -> str:
        error = getattr(request, _ERROR_ATTR, None)
        return ls_auth.www_authenticate(error) or ls_auth.www_authenticate() or 'Bearer realm="api"'
