"""Revocation in djangorestframework-simplejwt's ``token_blacklist`` tables, through the ORM.

Label Studio records every PAT it mints in ``OutstandingToken`` (the truncated
``header.payload``, its ``jti``, owner and expiry) and revokes one by adding a
``BlacklistedToken`` row pointing at it. Reading and writing the same tables means every Label
Studio worker, and every service sharing its database (SQLite or PostgreSQL), sees the same
revocations, whichever of them made it.

``revoke_if_active`` is the atomic conditional insert the core's rotation needs: the unique
constraint on ``BlacklistedToken.token`` decides which of two concurrent calls recorded the
revocation; the loser's ``IntegrityError`` is rolled back to its savepoint and reported as
``False``. Database errors propagate (the request fails, nothing is half-done).

Nothing here deletes a row. simplejwt's ``flushexpiredtokens`` command does: it deletes every
``OutstandingToken`` (and with it its ``BlacklistedToken``) whose ``expires_at`` has passed. A row
this store creates records ``forget_after`` (the PAT's ``exp`` plus the leeway, from the core) as
``expires_at``, so the command keeps it while a verifier still accepts the PAT. Rows Label Studio
wrote when it minted hold the bare ``exp``: with a ``LEEWAY`` above 0 (Label Studio's is 0), run
the command no sooner than ``LEEWAY`` seconds after a PAT's expiry (contract section 3.9).
"""

from __future__ import annotations

from typing import Any, Optional

from django.db import IntegrityError, transaction

import ls_auth

__all__ = ["BlacklistTables", "KnownRevocation"]


def _truncated(token: Optional[str]) -> str:
    if not token:
        return ""
    return ls_auth.truncate(token)  # a listing form already comes back unchanged


class BlacklistTables:
    """The revocation store of a Label Studio database (``revoked=`` of the core's calls).

    ``token`` (the PAT, full or truncated) and ``user_id`` describe the token for the
    ``OutstandingToken`` row written when a PAT minted elsewhere (``ls-auth mint-pat``, another
    service) is revoked for the first time; they are never used to decide anything.
    """

    def __init__(self, *, token: Optional[str] = None, user_id: Any = None, using: Optional[str] = None) -> None:
        self._token = token
        self._user_id = user_id
        self._using = using

    def _models(self) -> Any:
        from rest_framework_simplejwt.token_blacklist import models

        return models

    def is_revoked(self, jti: str) -> bool:
        models = self._models()
        return bool(models.BlacklistedToken.objects.using(self._using).filter(token__jti=jti).exists())

    def __contains__(self, jti: object) -> bool:
        return isinstance(jti, str) and self.is_revoked(jti)

    def revoke_if_active(self, jti: str, forget_after: int, now: int) -> bool:
        from rest_framework_simplejwt.utils import datetime_from_epoch

        models = self._models()
        outstanding, _ = models.OutstandingToken.objects.using(self._using).get_or_create(
            jti=jti,
            defaults={
                "token": _truncated(self._token),
                "user_id": self._user_id,
                "created_at": datetime_from_epoch(now),
                "expires_at": datetime_from_epoch(forget_after),
            },
        )
        try:
            with transaction.atomic(using=self._using):
                models.BlacklistedToken.objects.using(self._using).create(token=outstanding)
        except IntegrityError:
            return False
        return True


class KnownRevocation:
    """The revocation state of one PAT, read in the query that fetched its user
    (:func:`.orgs.user_for_id` with ``pat_jti``): a refresh costs one query, not two. Asked about
    any other ``jti`` (it never is), it reads the tables."""

    def __init__(self, jti: str, revoked: bool, *, using: Optional[str] = None) -> None:
        self._jti = jti
        self._revoked = bool(revoked)
        self._tables = BlacklistTables(using=using)

    def is_revoked(self, jti: str) -> bool:
        return self._revoked if jti == self._jti else self._tables.is_revoked(jti)

    def __contains__(self, jti: object) -> bool:
        return isinstance(jti, str) and self.is_revoked(jti)
