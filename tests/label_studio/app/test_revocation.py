"""Revocation at once (contract §3.11): revoking a PAT (blacklist, by its full or truncated form,
or rotation) stops the access tokens it produced on the next request, inside the one query that
authenticates the request; and no credential is created or read with an access token.

Stock Label Studio 1.23.2 fails each of these (tests/live/test_revocation.py records its
answers against a running stock server)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

import ls_auth
from ls_auth.contrib.label_studio import authentication, keys

WHOAMI = "/api/current-user/whoami"


@pytest.fixture(autouse=True)
def fresh_keys() -> None:
    # The signing keys are cached per process; each test's database starts without the keys an
    # earlier test created (its transaction was rolled back).
    keys.forget_cache()


def mint(user: Any) -> str:
    """A PAT as a user gets it: ``POST /api/token/`` from the web page (a session)."""
    client = APIClient()
    client.force_authenticate(user)
    r = client.post("/api/token/")
    assert r.status_code == 201, r.content
    return str(r.json()["token"])


def exchange(pat: str) -> str:
    r = APIClient().post("/api/token/refresh/", {"refresh": pat}, format="json")
    assert r.status_code == 200, r.content
    return str(r.json()["access"])


def whoami(access: str) -> Any:
    return APIClient().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}")


def claims_of(access: str) -> Any:
    jwks = APIClient().get("/api/token/jwks/").content.decode()
    return ls_auth.Verifier(ls_auth.Keyring.from_jwks(jwks)).verify_access(access)


def pat_claims(pat: str) -> Any:
    from django.conf import settings

    return ls_auth.Verifier(settings.SECRET_KEY).verify_refresh(pat)


def test_access_token_names_its_pat_and_never_outlives_it(make_user: Any) -> None:
    user = make_user(ttl_days=1)
    pat = mint(user)
    access = exchange(pat)
    c, p = claims_of(access), pat_claims(pat)
    assert c.to_dict()["pat_jti"] == p.jti
    assert c.exp <= p.exp and c.user_id == str(user.pk)


def test_blacklisting_the_pat_stops_its_access_tokens_at_once(make_user: Any) -> None:
    user = make_user()
    pat = mint(user)
    first, second = exchange(pat), exchange(pat)
    assert whoami(first).status_code == 200 and whoami(second).status_code == 200
    assert APIClient().post("/api/token/blacklist/", {"refresh": pat}, format="json").status_code == 204
    for access in (first, second):
        r = whoami(access)
        assert r.status_code == 401 and r.json()["code"] == "token_revoked", r.content


def test_blacklisting_by_truncated_form_stops_them_too(make_user: Any) -> None:
    user = make_user()
    pat = mint(user)
    access = exchange(pat)
    page = APIClient()
    page.force_authenticate(user)  # the token list of the Account & Settings page
    r = page.post("/api/token/blacklist/", {"refresh": ls_auth.truncate(pat)}, format="json")
    assert r.status_code == 204, r.content
    assert whoami(access).json()["code"] == "token_revoked"


def test_rotation_stops_the_old_pats_access_tokens_not_the_new_ones(make_user: Any) -> None:
    user = make_user()
    pat = mint(user)
    old_access = exchange(pat)
    client = APIClient()
    client.force_authenticate(user)
    r = client.post("/api/token/rotate/", {"refresh": pat}, format="json")
    assert r.status_code == 200, r.content
    assert whoami(old_access).json()["code"] == "token_revoked"
    assert whoami(exchange(r.json()["refresh"])).status_code == 200


def test_revocation_is_read_in_the_one_query(make_user: Any, django_assert_num_queries: Any) -> None:
    user = make_user()
    pat = mint(user)
    access = exchange(pat)
    keys.load(fresh=True)  # the signing-key table: per worker, not per request

    def authenticate() -> Any:
        request = RequestFactory().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}")
        with django_assert_num_queries(1):  # user, organisation settings and the PAT's revocation
            return authentication.authenticate_request(request, jwt_only=True)

    outcome = authenticate()
    assert outcome.user == user and outcome.error is None, outcome.error
    assert APIClient().post("/api/token/blacklist/", {"refresh": pat}, format="json").status_code == 204
    outcome = authenticate()
    assert outcome.user is None and outcome.error is not None and outcome.error.code == "token_revoked"


def test_label_studios_own_hs256_access_tokens_name_no_pat_and_live_their_lifetime(make_user: Any) -> None:
    # What Label Studio's code mints in-process (simplejwt, HS256) carries no pat_jti: revoking
    # the PAT does not reach it; it lives its lifetime (five minutes), as in stock.
    from jwt_auth.models import LSAPIToken

    user = make_user()
    token = LSAPIToken.for_user(user)
    access = str(token.access_token)
    payload = access.split(".")[1]
    assert "pat_jti" not in json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    r = APIClient().post("/api/token/blacklist/", {"refresh": token.get_full_jwt()}, format="json")
    assert r.status_code == 204, r.content
    assert whoami(access).status_code == 200


def test_no_credential_is_created_or_read_with_an_access_token(make_user: Any) -> None:
    user = make_user(legacy=True)
    pat = mint(user)
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {exchange(pat)}")
    # The victim revoked nothing yet; still the stolen access token cannot make a PAT (its
    # refusal comes before Label Studio's one-PAT rule) nor read or reset the legacy key.
    for method, path in (("post", "/api/token/"), ("get", "/api/current-user/token"),
                         ("post", "/api/current-user/reset-token/")):
        r = getattr(bearer, method)(path)
        assert r.status_code == 403 and r.json()["code"] == "access_token_not_enough", (path, r.content)
    assert bearer.get("/api/token/").status_code == 200  # listing (truncated forms) stays open
    assert bearer.get(WHOAMI).status_code == 200
    # The web pages (a session) and the legacy key itself still may.
    key = Token.objects.get_or_create(user=user)[0].key
    page = APIClient()
    page.force_authenticate(user)  # the web pages' session, as DRF sees it
    r = page.get("/api/current-user/token")
    assert r.status_code == 200 and r.json()["token"] == key, r.content
    legacy = APIClient()
    legacy.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert legacy.get("/api/current-user/token").json()["token"] == key
    assert page.post("/api/token/blacklist/", {"refresh": pat}, format="json").status_code == 204
    assert page.post("/api/token/").status_code == 201
