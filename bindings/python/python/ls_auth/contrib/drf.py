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
        "PAT_TTL_DAYS": ls_auth.DEFAULT_PAT_TTL_DAYS, "ENFORCE_TTL_ON_EXISTING": True,
        "USER_ID_FIELD": "id",               # SIMPLE_JWT["USER_ID_FIELD"]
    }

Failures answer as Label Studio does: 401 with ``{"detail": ..., "code": ...}`` and the core's
``WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="..."``; a
malformed header is 400 ``invalid_request``. Every decision comes from the core.
"""

from __future__ import annotations

from typing import Any, NoReturn, Optional, Tuple, Union

from django.contrib.auth import get_user_model
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

import ls_auth

from ._django import (
    LSAuthenticationFailed,
    MalformedAuthorization,
    authorization_bytes,
    challenge,
    option,
    raise_for,
    user_refusal,
    verifier,
)

__all__ = ["LSAuthentication", "LSAuthenticationFailed", "MalformedAuthorization"]

_ERROR_ATTR = "_ls_auth_error"


class LSAuthentication(BaseAuthentication):
    """Authenticates Bearer access tokens and (when enabled) legacy Token keys through ls_auth."""

    www_authenticate_realm = "api"

    # -- hooks a project overrides -------------------------------------------------------

    def get_verifier(self) -> ls_auth.Verifier:
        """The verifier for this deployment (cached per configuration)."""
        return verifier()

    def get_org_settings(self, request: Request) -> ls_auth.OrgSettings:
        """The organisation's token settings for this request (from ``LS_AUTH`` by default)."""
        return ls_auth.OrgSettings(
            api_tokens_enabled=bool(option("API_TOKENS_ENABLED", True)),
            legacy_api_tokens_enabled=bool(option("LEGACY_API_TOKENS_ENABLED", False)),
            pat_ttl_days=int(option("PAT_TTL_DAYS", ls_auth.DEFAULT_PAT_TTL_DAYS)),
            enforce_ttl_on_existing=bool(option("ENFORCE_TTL_ON_EXISTING", True)),
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
        field = option("USER_ID_FIELD", "id")
        model = get_user_model()
        try:
            return model._default_manager.get(**{field: claims.user_id})
        except (model.DoesNotExist, ValueError, TypeError):
            return None

    # -- DRF interface ---------------------------------------------------------------------

    def authenticate(self, request: Request) -> Optional[Tuple[Any, Any]]:
        try:
            principal = ls_auth.authenticate(
                authorization_bytes(request.META),
                verifier=self.get_verifier(),
                settings=self.get_org_settings(request),
            )
        except (ls_auth.NoCredentials, ls_auth.UnsupportedScheme):
            return None  # not ours: let other authenticators (or NotAuthenticated) answer
        except ls_auth.AuthError as error:
            setattr(request, _ERROR_ATTR, error)
            raise_for(error)

        credential: Union[ls_auth.Claims, str]
        if principal.claims is not None:
            user, credential = self.get_user(principal.claims, request), principal.claims
        else:
            assert principal.legacy_key is not None
            user, credential = self.lookup_legacy_key(principal.legacy_key, request), principal.legacy_key
        refusal = user_refusal(user, principal.kind)
        if refusal is not None:
            _refuse(request, refusal)
        return (user, credential)

    def authenticate_header(self, request: Request) -> str:
        return challenge(getattr(request, _ERROR_ATTR, None))


def _refuse(request: Request, refusal: LSAuthenticationFailed) -> NoReturn:
    # Kept on the request: DRF asks authenticate_header for the challenge of this very refusal.
    setattr(request, _ERROR_ATTR, refusal)
    raise refusal
