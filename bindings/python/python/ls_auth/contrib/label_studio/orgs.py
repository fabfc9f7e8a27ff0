"""Users and their organisation's token settings, read from Label Studio's tables.

Label Studio keeps the settings per organisation (``organization.jwt``: ``JWTSettings`` with
``api_tokens_enabled``, ``legacy_api_tokens_enabled``, ``api_token_ttl_days``) and finds the
organisation from the user (``user.active_organization``). One query fetches the user, the
organisation and its settings together.
"""

from __future__ import annotations

from typing import Any, Optional

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

import ls_auth

__all__ = ["JWT_FLAG", "REVOKED", "org_settings", "user_for_id", "user_for_legacy_key"]

#: Label Studio's feature flag for API tokens: off, its middleware ignores JWTs and its
#: TokenAuthenticationPhaseout accepts legacy keys whatever the organisation says. Honoured alike.
JWT_FLAG = "fflag__feature_develop__prompts__dia_1829_jwt_token_auth"

# created_by: Label Studio's feature-flag lookup reads the organisation owner's email.
_WITH_SETTINGS = ("active_organization__jwt", "active_organization__created_by")


#: The annotation :func:`user_for_id` adds when asked about a PAT's ``jti``.
REVOKED = "ls_auth_pat_revoked"


def user_for_id(user_id: str, *, pat_jti: Optional[str] = None) -> Optional[Any]:
    """The user a verified token names, with organisation and settings (one query), or ``None``.

    With ``pat_jti`` the same query also reads whether that PAT is blacklisted (``user.`` +
    :data:`REVOKED`, read by :class:`.revocation.KnownRevocation`), so a refresh costs one query.
    """
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
        users = model._default_manager.select_related(*_WITH_SETTINGS)
        if pat_jti is not None:
            from django.db.models import Exists
            from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

            users = users.annotate(**{REVOKED: Exists(BlacklistedToken.objects.filter(token__jti=pat_jti))})
        return users.get(pk=pk)
    except (model.DoesNotExist, ValidationError, ValueError, TypeError):
        return None


def user_for_legacy_key(key: str) -> Optional[Any]:
    """The user owning a legacy key in DRF's ``authtoken`` table (one query), or ``None``."""
    from rest_framework.authtoken.models import Token

    related = ("user",) + tuple(f"user__{name}" for name in _WITH_SETTINGS)
    try:
        return Token.objects.select_related(*related).get(key=key).user
    except Token.DoesNotExist:
        return None


def _jwt_settings(org: Any) -> Any:
    # `organization.jwt` is django-annoying's AutoOneToOneField, whose accessor runs in
    # transaction.atomic (a savepoint round trip per read inside a transaction). The row
    # select_related already fetched is read from the relation's cache; only a missing row
    # goes through the accessor, which creates it with Label Studio's defaults.
    cached = org._meta.get_field("jwt").get_cached_value(org, default=None)
    return cached if cached is not None else org.jwt


def _flag(user: Any = None) -> bool:
    from core import feature_flags  # looked up per call: Label Studio's tests patch it

    if user is None:
        return bool(feature_flags.flag_set(JWT_FLAG))
    return bool(feature_flags.flag_set(JWT_FLAG, user=user))


def org_settings(user: Any, *, kind: str = "jwt") -> ls_auth.OrgSettings:
    """The settings of ``user.active_organization`` as the core takes them.

    A user without an organisation (Label Studio sets ``active_organization`` to NULL when a
    member is removed from their last one) gets :meth:`ls_auth.OrgSettings.no_organization`: the
    core refuses every credential of theirs with ``no_organization`` (401), where defaults would
    let a removed member's keys keep working. ``kind`` ("jwt" or "legacy") only matters when
    Label Studio's API-token flag is off (see :data:`JWT_FLAG`).
    """
    org = getattr(user, "active_organization", None)
    if org is None:
        return ls_auth.OrgSettings.no_organization()
    jwt = _jwt_settings(org)
    settings = ls_auth.OrgSettings()
    if jwt is not None:
        settings = ls_auth.OrgSettings(
            api_tokens_enabled=bool(jwt.api_tokens_enabled),
            legacy_api_tokens_enabled=bool(jwt.legacy_api_tokens_enabled),
            pat_ttl_days=int(jwt.api_token_ttl_days),
        )
    if kind == "jwt" and not _flag(user):
        return ls_auth.OrgSettings(
            api_tokens_enabled=False,
            legacy_api_tokens_enabled=settings.legacy_api_tokens_enabled,
            pat_ttl_days=settings.pat_ttl_days,
        )
    if kind == "legacy" and not _flag():
        return ls_auth.OrgSettings(
            api_tokens_enabled=settings.api_tokens_enabled,
            legacy_api_tokens_enabled=True,
            pat_ttl_days=settings.pat_ttl_days,
        )
    return settings
