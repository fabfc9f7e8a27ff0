"""Fixtures for ls_auth.contrib.label_studio's tests, run inside Label Studio 1.23.2 (its venv, its
apps, its migrations) with ``--ds=ls_auth.contrib.label_studio.settings``, on SQLite and
PostgreSQL, by tests/label_studio/suite.py."""

from __future__ import annotations

import itertools
from typing import Any, Callable

import pytest
from rest_framework.test import APIClient

_n = itertools.count(1)


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """A user with its own organisation (``org=None``) or joining ``org``; settings as given."""
    from organizations.functions import create_organization
    from users.models import User

    def make(org: Any = None, *, api: bool = True, legacy: bool = False, ttl_days: Any = None) -> Any:
        user = User.objects.create(email=f"app-test-{next(_n)}@example.com")
        if org is None:
            org = create_organization(title=f"org of {user.email}", created_by=user)
            org.jwt.api_tokens_enabled = api
            org.jwt.legacy_api_tokens_enabled = legacy
            if ttl_days is not None:
                org.jwt.api_token_ttl_days = ttl_days
            org.jwt.save()
        else:
            org.add_user(user)
        user.active_organization = org
        user.save()
        return user

    return make


@pytest.fixture
def api() -> APIClient:
    return APIClient()
