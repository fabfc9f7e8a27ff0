"""Request authentication for Label Studio: Bearer access tokens and legacy ``Token`` keys.

:func:`authenticate_request` decides who a request is, once per request, in two steps: the core
verifies the credential with no settings (signature, expiry, type, form), the user is fetched
with its organisation's settings in one query, and the core admits the credential under those
settings (kind enabled, TTL). :class:`TokenAuthentication` is its face in DRF, in place of
``jwt_auth.auth.TokenAuthenticationPhaseout``.
"""

from __future__ import annotations

import logging
from typing import Any, FrozenSet, Optional, Tuple, Union

from rest_framework.authentication import BaseAuthentication

import ls_auth

from .._django import LSAuthenticationFailed, authorization_bytes, challenge, raise_for, user_refusal
from . import keys, orgs
from .revocation import KnownRevocation

__all__ = ["Outcome", "TokenAuthentication", "authenticate_request", "challenge"]

logger = logging.getLogger("jwt_auth.auth")  # Label Studio's logger name for these records

_ATTR = "_ls_auth_outcome"

Refusal = Union[ls_auth.AuthError, LSAuthenticationFailed]


class Outcome:
    """What the request's credential came to: a user, a refusal, nothing, or (between the
    middleware and DRF) a legacy key still to be looked up."""

    __slots__ = ("user", "auth", "error", "pending")

    def __init__(
        self,
        user: Any = None,
        auth: Any = None,
        error: Optional[Refusal] = None,
        pending: Optional[ls_auth.PendingPrincipal] = None,
    ) -> None:
        self.user = user
        self.auth = auth
        self.error = error
        self.pending = pending


_NOTHING = Outcome()


def _admit_jwt(pending: ls_auth.PendingPrincipal) -> Outcome:
    # One query: the user, their organisation's settings and, for an access token that names
    # the PAT it came from (``pat_jti``, contract §3.11), whether that PAT is blacklisted; the
    # core refuses it (token_revoked) from the moment its PAT is revoked. A token naming no PAT
    # (Label Studio's own HS256 ones) lives out its lifetime.
    user_id = pending.user_id_for_lookup
    pat_jti = pending.pat_jti_for_lookup
    user = orgs.user_for_id(user_id, pat_jti=pat_jti) if user_id is not None else None
    refusal = user_refusal(user, "jwt")
    if refusal is not None or user is None:
        return Outcome(error=refusal)
    revoked = KnownRevocation(pat_jti, getattr(user, orgs.REVOKED)) if pat_jti is not None else _NONE_REVOKED
    try:
        principal = pending.admit(orgs.org_settings(user, kind="jwt"), revoked=revoked)
    except ls_auth.AuthError as error:
        return Outcome(error=error)
    return Outcome(user=user, auth=principal.claims)


# The store of an access token that names no PAT: nothing to read, but the core still checks
# that the token has no malformed ``pat_jti`` (admitting with a store does).
_NONE_REVOKED: FrozenSet[str] = frozenset()


def _admit_legacy(pending: ls_auth.PendingPrincipal, request: Any) -> Outcome:
    key = pending.legacy_key_for_lookup
    user = orgs.user_for_legacy_key(key) if key is not None else None
    refusal = user_refusal(user, "legacy")
    if refusal is not None or user is None:
        return Outcome(error=refusal)
    _set_current_user(user)
    try:
        principal = pending.admit(orgs.org_settings(user, kind="legacy"))
    except ls_auth.AuthError as error:
        return Outcome(error=error)
    org = getattr(user, "active_organization", None)
    logger.info(
        "Legacy token authentication used",
        extra={"user_id": user.id, "organization_id": org.id if org else None, "endpoint": request.path},
    )
    return Outcome(user=user, auth=principal.legacy_key)


def _set_current_user(user: Any) -> None:
    # Label Studio's TokenAuthenticationPhaseout records the user in its request context.
    try:
        from core.current_request import CurrentContext
    except ImportError:  # pragma: no cover - outside Label Studio
        return
    CurrentContext.set_user(user)


def _begin(header: Any) -> ls_auth.PendingPrincipal:
    # HS256 tokens (PATs, access tokens Label Studio mints in-process) and EdDSA access tokens
    # signed by a published key (keys.py). A kid this worker has not loaded yet (a key created
    # by another worker or machine a moment ago; EdDSA itself while it had no key) re-reads the
    # key table (at most once a second, the threads of a burst waiting for the one read) and
    # tries once more. An EdDSA access token used again is found in the worker's cache of
    # verified tokens (keys.request_cache), which answers as the verifier.
    try:
        return keys.request_cache().begin_authenticate(header)
    except (ls_auth.UnknownKeyId, ls_auth.UnsupportedAlgorithm):
        keys.reload_for_unknown_kid()
    return keys.request_cache().begin_authenticate(header)


def authenticate_request(request: Any, *, jwt_only: bool = False) -> Outcome:
    """Who ``request`` (Django's or DRF's) is; computed once and kept on the request.

    ``jwt_only`` (the middleware) leaves a well-formed legacy key pending for DRF.
    """
    django_request = getattr(request, "_request", request)
    found: Optional[Outcome] = getattr(django_request, _ATTR, None)
    if found is not None and (found.pending is None or jwt_only):
        return found
    if found is not None and found.pending is not None:
        outcome = _admit_legacy(found.pending, django_request)
    else:
        try:
            pending = _begin(authorization_bytes(django_request.META))
        except (ls_auth.NoCredentials, ls_auth.UnsupportedScheme):
            outcome = _NOTHING  # not ours: session authentication (or NotAuthenticated) answers
        except ls_auth.AuthError as error:
            outcome = Outcome(error=error)
        else:
            if pending.kind == "jwt":
                outcome = _admit_jwt(pending)
            elif jwt_only:
                outcome = Outcome(pending=pending)
            else:
                outcome = _admit_legacy(pending, django_request)
    setattr(django_request, _ATTR, outcome)
    return outcome


class TokenAuthentication(BaseAuthentication):
    """DRF's side of :func:`authenticate_request`; first in ``DEFAULT_AUTHENTICATION_CLASSES``.

    A request whose credential was refused gets the refusal (401 with ``code`` and the
    challenge, 400 for a malformed header), even if it also carries a session: an explicit
    credential that fails is never silently replaced by another.
    """

    def authenticate(self, request: Any) -> Optional[Tuple[Any, Any]]:
        outcome = authenticate_request(request)
        error = outcome.error
        if error is not None:
            if isinstance(error, LSAuthenticationFailed):
                raise error
            raise_for(error)
        if outcome.user is None:
            return None
        return (outcome.user, outcome.auth)

    def authenticate_header(self, request: Any) -> str:
        found: Optional[Outcome] = getattr(getattr(request, "_request", request), _ATTR, None)
        return challenge(found.error if found is not None else None)


try:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
except ImportError:  # pragma: no cover - Label Studio always has drf-spectacular
    pass
else:

    class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
        """The OpenAPI security scheme of :class:`TokenAuthentication`: Label Studio's ``Token``
        scheme (``jwt_auth.auth.JWTAuthScheme``), word for word, so the schema and the SDK
        generated from it stay Label Studio's."""

        target_class = "ls_auth.contrib.label_studio.authentication.TokenAuthentication"
        name = "Token"

        def get_security_definition(self, auto_schema: Any) -> Any:
            from jwt_auth.auth import JWTAuthScheme

            return JWTAuthScheme.get_security_definition(self, auto_schema)
