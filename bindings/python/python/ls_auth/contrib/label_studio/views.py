"""Label Studio's API-token endpoints, answered by the core.

Same paths, status codes and JSON shapes as Label Studio 1.23.2 (``jwt_auth.views``), with these
deliberate differences (each also in the README's "Label Studio" section):

- ``POST /api/token/`` mints with the organisation's ``api_token_ttl_days`` (stock: always
  200 years) and records the PAT in ``OutstandingToken`` as stock does.
- ``POST /api/token/refresh/`` applies the organisation's settings: refused while it has PATs
  disabled (stock refreshes anyway and refuses the access token later) and for a PAT older than
  a shortened TTL. A refusal is 401 with ``detail``, ``code`` and the ``WWW-Authenticate``
  challenge, instead of stock's "Token is invalid or expired".
- ``POST /api/token/rotate/`` rotates only the caller's own PAT, or one of a user of an
  organisation the caller owns (stock: any authenticated user rotates anyone's PAT, and the new
  PAT is the caller's); concurrent rotations of one PAT: exactly one succeeds.
- ``POST /api/token/refresh/`` answers an EdDSA access token signed by the database's signing
  Ed25519 key, with its ``kid`` (stock: HS256 over ``SECRET_KEY``); PATs stay HS256.
- ``GET /api/token/jwks/`` (ours alone) publishes the public keys as a JWK Set.
- ``POST /api/token/blacklist/``: a full PAT revokes itself without authentication, as stock;
  the truncated ``header.payload`` (what the token list shows) is accepted only from the PAT's
  owner or the owner of their organisation (stock: from anyone, unauthenticated).
- Access tokens name their PAT (``pat_jti``) and die with it: revoking it (blacklist, rotation)
  refuses them on the next request (stock: they live their five minutes). Contract section 3.11.
- ``POST /api/token/``, ``GET /api/current-user/token`` and ``POST /api/current-user/reset-token/``
  refuse a request authenticated by an access token (403 ``access_token_not_enough``; stock
  hands it a PAT or the legacy key): :func:`refuse_access_token`, called by the middleware.
"""

from __future__ import annotations

import time
from typing import Any, NoReturn, Optional

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import ls_auth

from .._django import LSAuthenticationFailed, issuer, raise_for, verifier
from . import keys, orgs
from .authentication import Refusal, challenge
from .revocation import BlacklistTables, KnownRevocation

__all__ = [
    "CREDENTIAL_ENDPOINTS",
    "JwksView",
    "TokenBlacklistView",
    "TokenRefreshView",
    "TokenRotateView",
    "TokenView",
    "may_manage",
    "refuse_access_token",
]

_TOKEN_ERROR = "Token is invalid or already blacklisted."  # Label Studio's words, kept as is


class _Refused(exceptions.APIException):
    """A refusal with Label Studio's status for this endpoint, our ``code`` and a specific detail."""

    def __init__(self, status_code: int, message: str, code: str) -> None:
        super().__init__({"detail": message, "code": code})
        self.status_code = status_code
        self.ls_code = code


def _refuse(status_code: int, error: ls_auth.AuthError) -> _Refused:
    return _Refused(status_code, error.message, error.code)


def _jwks_schema() -> Any:
    """drf-spectacular's description of ``GET /api/token/jwks/`` (Label Studio's tests/test_docs.py
    requires one for every API method)."""
    from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

    key = {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": "Wf3kPq0cJ7lX2mQa",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "alg": "EdDSA",
        "use": "sig",
    }
    return extend_schema(
        tags=["JWT"],
        summary="Public keys of access tokens (JWK Set)",
        description=(
            "The Ed25519 public keys (RFC 8037) that sign this server's access tokens, as a JWK Set "
            "(RFC 7517): every key that may have signed an unexpired access token, and a new key "
            "from the moment it is created, before it signs. Services verify access tokens with "
            "these keys alone, choosing the key by the token's `kid`. No authentication. Cacheable: "
            "`Cache-Control: public, max-age=N`; a key signs only after N seconds have passed."
        ),
        auth=[],
        extensions={
            "x-fern-sdk-group-name": "tokens",
            "x-fern-sdk-method-name": "jwks",
            "x-fern-audiences": ["public"],
        },
        responses={
            200: OpenApiResponse(
                response={"type": "object", "properties": {"keys": {"type": "array", "items": {"type": "object"}}}},
                description="The JWK Set",
                examples=[OpenApiExample("JWK Set", value={"keys": [key]})],
            )
        },
    )


class _RefreshField(serializers.Serializer):
    refresh = serializers.CharField()


def _is_listing_form(token: str) -> bool:
    """Whether ``token`` is the listing form ``header.payload``, as the core reads it (its
    ``truncate`` returns that form unchanged). Text that is neither form is looked up as a
    listing form, and found nowhere."""
    try:
        return ls_auth.truncate(token) == token
    except ls_auth.AuthError:
        return True


def _token_from(request: Any) -> str:
    data = _RefreshField(data=request.data)
    data.is_valid(raise_exception=True)
    return str(data.validated_data["refresh"])


def may_manage(actor: Any, owner: Any) -> bool:
    """May ``actor`` rotate or revoke by its truncated form a PAT of ``owner``?

    The owner may; so may the owner (creator) of the owner's active organisation, Label Studio
    Community's organisation administrator.
    """
    if actor is None or owner is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.pk == owner.pk:
        return True
    org = getattr(owner, "active_organization", None)
    return org is not None and org.created_by_id is not None and org.created_by_id == actor.pk


def record_outstanding(pat: str, user: Any) -> None:
    """Write the PAT's ``OutstandingToken`` row, as simplejwt's ``RefreshToken.for_user`` does
    (the truncated token only: Label Studio never stores a signature)."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
    from rest_framework_simplejwt.utils import datetime_from_epoch

    claims = verifier().verify_refresh(pat, settings=ls_auth.OrgSettings(enforce_ttl_on_existing=False))
    OutstandingToken.objects.create(
        user=user,
        jti=claims.jti,
        token=ls_auth.truncate(pat),
        created_at=datetime_from_epoch(claims.iat if claims.iat is not None else int(time.time())),
        expires_at=datetime_from_epoch(claims.exp),
    )


#: ``(view name, method)`` of the endpoints that hand out a credential: a new PAT (``POST
#: /api/token/``), the legacy key (``GET /api/current-user/token``) and a new legacy key (``POST
#: /api/current-user/reset-token/``). Each would outlive the access token's PAT, so an access
#: token is refused there (contract §3.11); a session (the web pages) or a legacy key is not.
CREDENTIAL_ENDPOINTS = frozenset(
    {
        ("jwt_auth:token_manage", "POST"),
        ("current-user-token", "GET"),
        ("current-user-reset-token", "POST"),
    }
)


def refuse_access_token(request: Any) -> Optional[HttpResponse]:
    """403 ``access_token_not_enough`` for a request authenticated with an access token (Bearer)
    to one of :data:`CREDENTIAL_ENDPOINTS`, else ``None``.

    The attack it stops: an access token taken from a client (five minutes) creating a PAT (the
    organisation's TTL, 200 years by default) or reading the legacy key, which the victim's
    revoking the PAT behind it would not touch.
    """
    match = getattr(request, "resolver_match", None)
    if match is None or (match.view_name, request.method) not in CREDENTIAL_ENDPOINTS:
        return None
    from django.http import JsonResponse

    return JsonResponse(
        {
            "detail": "An access token cannot create or read credentials: use the web page (session) "
            "or, for the legacy key, the legacy key itself",
            "code": "access_token_not_enough",
        },
        status=status.HTTP_403_FORBIDDEN,
    )


class _Minted:
    """What Label Studio's create serializer reads (``get_full_jwt``)."""

    def __init__(self, pat: str) -> None:
        self._pat = pat

    def get_full_jwt(self) -> str:
        return self._pat


def _label_studio_token_view() -> Any:
    from jwt_auth.views import LSAPITokenView

    return LSAPITokenView


class TokenView(_label_studio_token_view()):  # type: ignore[misc]
    """``GET``/``POST /api/token/``: Label Studio's list, and a mint that honours the org's TTL."""

    def perform_create(self, serializer: Any) -> None:
        from jwt_auth.views import TokenExistsError

        if self.get_queryset().exists():
            raise TokenExistsError()
        user = self.request.user
        try:
            pat = issuer().mint_pat(user.pk, settings=orgs.org_settings(user, kind="mint"))
        except ls_auth.AuthError as error:
            raise_for(error)  # no_organization: 401 with its code, where stock answers 500
        record_outstanding(pat, user)
        serializer.instance = _Minted(pat)


class _TokenEndpoint(APIView):
    """Our challenge on every 401 (DRF would otherwise turn a 401 without one into a 403)."""

    _ls_error: Optional[Refusal] = None

    def get_authenticate_header(self, request: Any) -> str:
        header = super().get_authenticate_header(request)
        if self._ls_error is not None or header is None:
            return challenge(self._ls_error)
        return header

    def _fail(self, error: Refusal) -> NoReturn:
        self._ls_error = error
        if isinstance(error, LSAuthenticationFailed):
            raise error
        raise_for(error)


def _label_studio_schema(**kwargs: Any) -> Any:
    """Label Studio's OpenAPI description of a token endpoint (``jwt_auth.views``): the SDK is
    generated from it, and Label Studio's tests require one for every API method."""
    return extend_schema(tags=["JWT"], **kwargs)


def _fern(method: str) -> Any:
    return {"x-fern-sdk-group-name": "tokens", "x-fern-sdk-method-name": method, "x-fern-audiences": ["public"]}


def _serializer(name: str) -> Any:
    from django.utils.module_loading import import_string

    return import_string(name)


class TokenRefreshView(_TokenEndpoint):
    """``POST /api/token/refresh/`` ``{"refresh": PAT}`` -> 200 ``{"access": ...}``: an EdDSA
    access token signed by the signing Ed25519 key, its ``kid`` in the header (:mod:`.keys`)."""

    authentication_classes = ()
    permission_classes = ()

    @_label_studio_schema(
        summary="Refresh JWT token",
        description="Get a new access token, using a refresh token.",
        request=_serializer("rest_framework_simplejwt.serializers.TokenRefreshSerializer"),
        responses={status.HTTP_200_OK: _serializer("jwt_auth.serializers.TokenRefreshResponseSerializer")},
        extensions=_fern("refresh"),
    )
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        pat = _token_from(request)
        signer = keys.access_issuer()  # the signing Ed25519 key first, then the HS256 secrets
        try:
            pending = signer.begin_refresh(pat)
        except ls_auth.AuthError as error:
            return self._fail(error)
        # One query: the user, their organisation's settings and whether this PAT is revoked.
        user = orgs.user_for_id(pending.user_id_for_lookup, pat_jti=pending.jti_for_lookup)
        if user is None:
            return self._fail(LSAuthenticationFailed("User not found", "user_not_found"))
        if not user.is_active:
            # simplejwt's words and code for this refusal
            return self._fail(LSAuthenticationFailed("No active account found for the given token.", "no_active_account"))
        try:
            access = signer.finish_refresh(
                pending,
                settings=orgs.org_settings(user, kind="refresh"),
                revoked=KnownRevocation(pending.jti_for_lookup, getattr(user, orgs.REVOKED)),
            )
        except ls_auth.AuthError as error:
            return self._fail(error)
        return Response({"access": access}, status=status.HTTP_200_OK)


class TokenRotateView(_TokenEndpoint):
    """``POST /api/token/rotate/`` ``{"refresh": PAT}`` -> 200 ``{"refresh": new PAT}``; the old
    PAT is blacklisted. Needs authentication as the PAT's owner (or their organisation's owner)."""

    permission_classes = [IsAuthenticated]

    @_label_studio_schema(
        summary="Rotate JWT refresh token",
        description="Creates a new JWT refresh token and blacklists the current one.",
        request=_serializer("jwt_auth.serializers.LSAPITokenRotateSerializer"),
        responses={
            status.HTTP_200_OK: _serializer("jwt_auth.serializers.TokenRotateResponseSerializer"),
            status.HTTP_400_BAD_REQUEST: "Invalid token or token already blacklisted",
        },
        extensions=_fern("rotate"),
    )
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        pat = _token_from(request)
        try:
            pending = issuer().begin_refresh(pat)
        except ls_auth.AuthError as error:
            raise _refuse(status.HTTP_400_BAD_REQUEST, error) from None
        owner = orgs.user_for_id(pending.user_id_for_lookup)
        if owner is None:
            raise _Refused(status.HTTP_400_BAD_REQUEST, "User not found", "user_not_found")
        if not may_manage(request.user, owner):
            raise _Refused(
                status.HTTP_403_FORBIDDEN,
                "Only the token's owner or the owner of their organization may rotate it",
                "not_token_owner",
            )
        # No enclosing transaction: on SQLite a read-then-write transaction cannot wait for the
        # write lock, so each write commits on its own. The blacklist insert decides the race;
        # the new PAT is recorded only by the rotation that won it.
        try:
            rotation = issuer().finish_rotate(
                pending,
                settings=orgs.org_settings(owner, kind="refresh"),
                revoked=BlacklistTables(token=pat, user_id=owner.pk),
            )
        except ls_auth.AuthError as error:
            raise _refuse(status.HTTP_400_BAD_REQUEST, error) from None
        record_outstanding(rotation.pat, owner)
        return Response({"refresh": rotation.pat}, status=status.HTTP_200_OK)


class TokenBlacklistView(_TokenEndpoint):
    """``POST /api/token/blacklist/`` ``{"refresh": PAT or header.payload}`` -> 204; 404 when the
    token is invalid, unknown or already blacklisted (Label Studio's statuses)."""

    permission_classes = ()

    @_label_studio_schema(
        summary="Blacklist a JWT refresh token",
        description="Adds a JWT refresh token to the blacklist, preventing it from being used to obtain new access tokens.",
        request=_serializer("jwt_auth.serializers.LSAPITokenBlacklistSerializer"),
        responses={
            status.HTTP_204_NO_CONTENT: "Token was successfully blacklisted",
            status.HTTP_404_NOT_FOUND: "Token is already blacklisted",
        },
        extensions=_fern("blacklist"),
    )
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        token = _token_from(request)
        if not _is_listing_form(token):
            revoked = self._revoke_full(token)
        else:
            revoked = self._revoke_truncated(request, token)
        if not revoked:
            raise _Refused(status.HTTP_404_NOT_FOUND, "Token is already blacklisted.", "token_revoked")
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _revoke_full(self, token: str) -> bool:
        # Whoever holds the whole PAT may revoke it: its signature proves it. Revoking never
        # needs the organisation's permission, so the kind and TTL switches do not apply, and
        # a PAT that names no user may be revoked too (it authenticates nowhere).
        try:
            jti, exp, user_id = verifier().verify_revocable(token)
        except ls_auth.AuthError as error:
            raise _Refused(status.HTTP_404_NOT_FOUND, f"{_TOKEN_ERROR} ({error.message})", error.code) from None
        owner = orgs.user_for_id(user_id) if user_id is not None else None
        store = BlacklistTables(token=token, user_id=owner.pk if owner is not None else None)
        return store.revoke_if_active(jti, verifier().forget_after(exp), int(time.time()))

    def _revoke_truncated(self, request: Any, token: str) -> bool:
        # header.payload authenticates nothing: it names a PAT this server issued and listed.
        from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

        if not request.user or not request.user.is_authenticated:
            self._fail(
                LSAuthenticationFailed(
                    "Authentication credentials were not provided: a truncated token is accepted only from its owner",
                    "not_authenticated",
                )
            )
        row = OutstandingToken.objects.select_related("user__active_organization").filter(token=token).first()
        if row is None:
            raise _Refused(status.HTTP_404_NOT_FOUND, f"{_TOKEN_ERROR} (no token with this header.payload)", "token_not_found")
        if not may_manage(request.user, row.user):
            raise _Refused(
                status.HTTP_403_FORBIDDEN,
                "Only the token's owner or the owner of their organization may revoke it by its truncated form",
                "not_token_owner",
            )
        store = BlacklistTables(token=token, user_id=row.user_id)
        forget_after = verifier().forget_after(int(row.expires_at.timestamp()))
        return store.revoke_if_active(row.jti, forget_after, int(time.time()))


class JwksView(APIView):
    """``GET /api/token/jwks/``: the public JWK Set of every key that may have signed a live
    access token or is about to sign; no authentication, cacheable for ``JWKS_MAX_AGE``."""

    authentication_classes = ()
    permission_classes = ()

    @_jwks_schema()
    def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        body = keys.jwks_document(keys.published_now(bootstrap=True))
        response = HttpResponse(body, content_type="application/json")
        response["Cache-Control"] = f"public, max-age={keys.jwks_max_age()}"
        return response
