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

from .authentication import authenticate_request

__all__ = ["JWTAuthenticationMiddleware"]


class JWTAuthenticationMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        outcome = authenticate_request(request, jwt_only=True)
        if outcome.user is not None:
            request.user = outcome.user
            request.is_jwt = True
        return self.get_response(request)
