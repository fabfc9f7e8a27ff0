"""ls_auth.contrib.drf.LSAuthentication through a real DRF APIView and the DRF test client."""

from __future__ import annotations

from typing import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

import ls_auth
from conftest import SECRET

URL = "/api/whoami/"


@pytest.fixture(scope="module")
def user():  # type: ignore[no-untyped-def]
    user, _ = get_user_model().objects.get_or_create(username="drf-user")
    return user


@pytest.fixture()
def client() -> APIClient:
    return APIClient()


@pytest.fixture()
def access(user) -> str:  # type: ignore[no-untyped-def]
    issuer = ls_auth.Issuer(SECRET)
    return issuer.refresh(issuer.mint_pat(user.pk))


@pytest.fixture()
def legacy_on() -> Iterator[None]:
    with override_settings(LS_AUTH={"LEGACY_API_TOKENS_ENABLED": True}):
        yield


def test_bearer_access_token(client: APIClient, access: str) -> None:
    r = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert r.status_code == 200, r.content
    assert r.json() == {"user": "drf-user", "kind": "jwt"}


def test_no_credentials_is_401_with_challenge(client: APIClient) -> None:
    r = client.get(URL)
    assert r.status_code == 401
    assert r["WWW-Authenticate"] == 'Bearer realm="api"'
    # another scheme is "not ours": same answer
    r = client.get(URL, HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
    assert r.status_code == 401 and r["WWW-Authenticate"] == 'Bearer realm="api"'


def test_expired_and_wrong_type_are_401_invalid_token(client: APIClient, user) -> None:  # type: ignore[no-untyped-def]
    issuer = ls_auth.Issuer(SECRET)
    pat = issuer.mint_pat(user.pk)
    r = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {pat}")
    assert r.status_code == 401
    assert r.json()["code"] == "wrong_token_type"
    assert r["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_token", error_description="')
    expired = ls_auth.Issuer(SECRET).refresh(ls_auth.Issuer(SECRET).mint_pat(user.pk, now=1_700_000_000), now=1_700_000_000)
    r = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {expired}")
    assert r.status_code == 401
    assert r.json() == {"detail": "token has expired", "code": "token_expired"}
    assert r["WWW-Authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="token has expired"'
    )


def test_malformed_header_is_400_invalid_request(client: APIClient) -> None:
    r = client.get(URL, HTTP_AUTHORIZATION="Bearer a b")
    assert r.status_code == 400
    assert r.json()["code"] == "malformed_header"
    assert 'error="invalid_request"' in r["WWW-Authenticate"]


def test_unknown_user_is_401(client: APIClient) -> None:
    issuer = ls_auth.Issuer(SECRET)
    ghost = issuer.refresh(issuer.mint_pat(987654))
    r = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {ghost}")
    assert r.status_code == 401 and r.json()["code"] == "user_not_found"
    # Issue 17, finding 5: before the fix this 401 carried a bare `Bearer realm="api"`.
    assert r["WWW-Authenticate"] == ls_auth.www_authenticate(ls_auth.InvalidToken("any"))
    assert 'error="invalid_token", error_description="' in r["WWW-Authenticate"]


def test_inactive_user_is_401_with_the_invalid_token_challenge(client: APIClient) -> None:
    inactive, _ = get_user_model().objects.get_or_create(username="drf-inactive", defaults={"is_active": False})
    issuer = ls_auth.Issuer(SECRET)
    r = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {issuer.refresh(issuer.mint_pat(inactive.pk))}")
    assert r.status_code == 401 and r.json()["code"] == "user_inactive"
    assert r["WWW-Authenticate"] == ls_auth.www_authenticate(ls_auth.InvalidToken("any"))


def test_legacy_keys_disabled_by_default(client: APIClient, user) -> None:  # type: ignore[no-untyped-def]
    token, _ = Token.objects.get_or_create(user=user)
    r = client.get(URL, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert r.status_code == 401 and r.json()["code"] == "token_kind_disabled"


def test_legacy_keys_through_the_lookup_hook(client: APIClient, user, legacy_on: None) -> None:  # type: ignore[no-untyped-def]
    token, _ = Token.objects.get_or_create(user=user)
    r = client.get(URL, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert r.status_code == 200, r.content
    assert r.json() == {"user": "drf-user", "kind": "legacy"}
    unknown = ls_auth.generate_legacy_key()
    r = client.get(URL, HTTP_AUTHORIZATION=f"Token {unknown}")
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"
    assert 'error="invalid_token"' in r["WWW-Authenticate"]
    r = client.get(URL, HTTP_AUTHORIZATION="Token not-a-key")
    assert r.status_code == 401 and r.json()["code"] == "malformed_token"


def test_access_token_sent_as_token_is_refused(client: APIClient, access: str, legacy_on: None) -> None:
    r = client.get(URL, HTTP_AUTHORIZATION=f"Token {access}")
    assert r.status_code == 401 and r.json()["code"] == "wrong_token_type"


def test_disabled_pats(client: APIClient, access: str) -> None:
    with override_settings(LS_AUTH={"API_TOKENS_ENABLED": False}):
        r = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert r.status_code == 401 and r.json()["code"] == "token_kind_disabled"


def test_secret_rotation_via_fallbacks(client: APIClient, user) -> None:  # type: ignore[no-untyped-def]
    old_secret = "the-old-secret-key-0123456789-0123456789"
    old = ls_auth.Issuer(old_secret)
    token = old.refresh(old.mint_pat(user.pk))
    r = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 401 and r.json()["code"] == "invalid_signature"
    with override_settings(SECRET_KEY_FALLBACKS=[old_secret]):
        r = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200
