"""Label Studio's JWT middleware, natively: who a request is, decided once, before any view.

Takes the place of ``jwt_auth.middleware.JWTAuthenticationMiddleware`` (same position in
``MIDDLEWARE``). For ``Authorization: Bearer <access token>`` it verifies the token (no I/O),
fetches the user with its organisation's settings in one query, and lets the core admit the
token under those settings; on success ``request.user`` is that user and ``request.is_jwt`` is
true, as Label Studio's own middleware leaves them.

A refusal is not answered here (the stock middleware lets other authentication run, and so do
we for pages outside the API): it is recorded on the request, and
:class:`.authentication.TokenAuthentication`, first in DRF's list, answers it with its code,
a specific detail and the ``WWW-Authenticate`` challenge. Legacy ``Token`` keys are left to that
class too, as Label Studio leaves them to ``TokenAuthenticationPhaseout``.
"""

from __future__ import annotations

from typing import Any, Callable

import ls_auth

from .authentication import authenticate_request

__all__ = ["JWTAuthenticationMiddleware", "XApiKeySupportMiddleware"]


class JWTAuthenticationMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        outcome = authenticate_request(request, jwt_only=True)
        if outcome.user is not None:
            request.user = outcome.user
            request.is_jwt = True
        return self.get_response(request)

    def process_view(self, request: Any, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        # Contract §3.11: no credential is created or read with an access token (a new PAT or
        # the legacy key would outlive the PAT behind it); see views.refuse_access_token.
        if getattr(request, "is_jwt", False):
            from .views import refuse_access_token  # views import Label Studio's, at first use

            return refuse_access_token(request)
        return None


class XApiKeySupportMiddleware:
    """Label Studio's ``X-Api-Key`` support, for both kinds of key.

    Takes the place of ``core.middleware.XApiKeySupportMiddleware``: as there, an ``X-Api-Key``
    header supersedes ``Authorization`` (for clients behind a gateway that owns
    ``Authorization``). Label Studio always turns it into ``Token <value>``, so an access token
    sent that way is refused; here the core's classification of the key picks the scheme:
    a legacy key becomes ``Token <key>``, a JWT becomes ``Bearer <jwt>`` (a PAT is then refused
    as a PAT sent as a credential always is, with ``wrong_token_type``).
    """

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        key = request.META.pop("HTTP_X_API_KEY", None)
        if key is not None:
            request.META["HTTP_AUTHORIZATION"] = f"{_scheme_for(key)} {key}"
        return self.get_response(request)


def _scheme_for(key: str) -> str:
    try:
        return "Token" if ls_auth.classify_api_key(key) == "legacy" else "Bearer"
    except ls_auth.AuthError:  # a JWT the core will refuse anyway (expired PAT, no exp, ...)
        return "Bearer"
