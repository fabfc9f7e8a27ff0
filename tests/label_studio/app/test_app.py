"""ls_auth.contrib.label_studio inside Label Studio 1.23.2: settings module, per-organisation
request authentication, the blacklist tables, and the token endpoints (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Dict, List
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

import ls_auth
from ls_auth.contrib._django import issuer
from ls_auth.contrib.label_studio import authentication, keys, orgs
from ls_auth.contrib.label_studio.revocation import BlacklistTables

WHOAMI = "/api/current-user/whoami"
ENVELOPE = {"id", "status_code", "version", "detail", "exc_info", "code"}
DAY = 86400


def pat_for(user: Any, **kw: Any) -> str:
    return issuer().mint_pat(user.pk, **kw)


def access_for(user: Any) -> str:
    return issuer().refresh(pat_for(user))


def set_org(user: Any, **fields: Any) -> None:
    jwt = user.active_organization.jwt
    for k, v in fields.items():
        setattr(jwt, k, v)
    jwt.save()


def challenge_of(r: Any) -> str:
    return str(r["WWW-Authenticate"])


# -- the settings module ----------------------------------------------------------------------


def test_settings_module_swaps_only_the_token_pieces() -> None:
    import core.settings.label_studio as stock
    from rest_framework.settings import api_settings

    assert os.environ["DJANGO_SETTINGS_MODULE"] == "ls_auth.contrib.label_studio.settings"
    # Names Label Studio's module sets at its very end are there: not the half-imported view.
    assert settings.FEATURE_FLAGS_DEFAULT_VALUE is True and hasattr(settings, "SENTRY_DSN")
    mw = settings.MIDDLEWARE
    swapped = {
        "jwt_auth.middleware.JWTAuthenticationMiddleware": "ls_auth.contrib.label_studio.middleware.JWTAuthenticationMiddleware",
        "core.middleware.XApiKeySupportMiddleware": "ls_auth.contrib.label_studio.middleware.XApiKeySupportMiddleware",
    }
    assert mw == [swapped.get(m, m) for m in stock.MIDDLEWARE]
    assert not set(swapped) & set(mw)
    classes = list(settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"])
    assert classes == [
        "ls_auth.contrib.label_studio.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]
    assert settings.ROOT_URLCONF == "ls_auth.contrib.label_studio.urls"
    from ls_auth.contrib.label_studio.exceptions import exception_handler

    assert api_settings.EXCEPTION_HANDLER is exception_handler
    from rest_framework.views import APIView

    assert [c.__name__ for c in APIView.authentication_classes] == ["TokenAuthentication", "SessionAuthentication"]
    assert APIView.authentication_classes[0].__module__ == "ls_auth.contrib.label_studio.authentication"


def test_token_views_answer_under_label_studio_url_names() -> None:
    from django.urls import get_resolver, resolve, reverse
    from jwt_auth.views import JWTSettingsAPI

    from ls_auth.contrib.label_studio import views

    expected = {
        "jwt_auth:token_manage": ("/api/token/", views.TokenView),
        "jwt_auth:token_refresh": ("/api/token/refresh/", views.TokenRefreshView),
        "jwt_auth:token_rotate": ("/api/token/rotate/", views.TokenRotateView),
        "jwt_auth:token_blacklist": ("/api/token/blacklist/", views.TokenBlacklistView),
        "jwt_auth:api-jwt-settings": ("/api/jwt/settings", JWTSettingsAPI),
    }
    for name, (url, view) in expected.items():
        assert reverse(name) == url
        assert resolve(url).func.view_class is view, name
    # No name of ours beside Label Studio's: its tests compare the URL table with all_urls.json.
    names = [str(n) for n in get_resolver().reverse_dict.keys() if isinstance(n, str)]
    assert not [n for n in names if "ls_auth" in n]


def _openapi(urlconf: str) -> Dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    schema: Dict[str, Any] = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    return schema


def test_openapi_of_token_views_is_label_studios() -> None:
    """The SDK is generated from this schema: our token views are described as Label Studio's."""
    ours = _openapi("ls_auth.contrib.label_studio.urls")
    theirs = _openapi("core.urls")
    for url in ("/api/token/", "/api/token/refresh/", "/api/token/rotate/", "/api/token/blacklist/"):
        for method, op in theirs["paths"][url].items():
            mine = dict(ours["paths"][url][method])
            # Who may call differs on purpose (README, "Label Studio"): rotate and the truncated
            # blacklist authenticate with ours; the description of the operation does not.
            mine.pop("security", None)
            assert mine == {k: v for k, v in op.items() if k != "security"}, (url, method)
            assert "api" not in mine["tags"]
    # One path is ours alone: the public keys of the EdDSA access tokens (contract §3.10).
    assert set(ours["paths"]) == set(theirs["paths"]) | {"/api/token/jwks/"}
    # Label Studio's `Token` scheme, word for word, for every endpoint our authentication guards.
    from jwt_auth.auth import JWTAuthScheme

    assert ours["components"]["securitySchemes"]["Token"] == JWTAuthScheme.get_security_definition(None, None)
    whoami = ours["paths"]["/api/current-user/whoami"]["get"]["security"]
    assert {"Token": []} in whoami


# -- request authentication -------------------------------------------------------------------


def test_bearer_access_token_is_the_user(api: APIClient, make_user: Any) -> None:
    user = make_user()
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access_for(user)}")
    assert r.status_code == 200, r.content
    assert r.json()["email"] == user.email
    assert r.wsgi_request.user == user and r.wsgi_request.is_jwt is True


def test_one_query_for_user_and_organisation_settings(make_user: Any, django_assert_num_queries: Any) -> None:
    user = make_user()
    request = RequestFactory().get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access_for(user)}")
    keys.load(fresh=True)  # the signing-key table: re-read every few seconds, not per request
    with django_assert_num_queries(1):
        outcome = authentication.authenticate_request(request, jwt_only=True)
    assert outcome.user == user and outcome.error is None
    with django_assert_num_queries(0):  # cached on the request
        assert authentication.authenticate_request(request).user == user


def test_one_query_for_a_legacy_key(make_user: Any, django_assert_num_queries: Any) -> None:
    user = make_user(legacy=True)
    key = Token.objects.get_or_create(user=user)[0].key
    request = RequestFactory().get(WHOAMI, HTTP_AUTHORIZATION=f"Token {key}")
    with django_assert_num_queries(1):  # the key, its user, the organisation and its settings
        outcome = authentication.authenticate_request(request)
    assert outcome.user == user and outcome.error is None and outcome.auth == key
    set_org(user, legacy_api_tokens_enabled=False)
    request = RequestFactory().get(WHOAMI, HTTP_AUTHORIZATION=f"Token {key}")
    with django_assert_num_queries(1):  # refused under the settings read in that same query
        outcome = authentication.authenticate_request(request)
    assert outcome.user is None and outcome.error is not None and outcome.error.code == "token_kind_disabled"


def test_one_query_to_refresh_a_pat(make_user: Any, django_assert_num_queries: Any) -> None:
    from ls_auth.contrib.label_studio.views import TokenRefreshView

    user = make_user()
    pat = pat_for(user)
    view = TokenRefreshView.as_view()
    # The signing keys are read from their table once per worker (and again every few seconds,
    # contrib.label_studio.keys.reload_interval), not per request; this read (which also creates
    # a new deployment's first key) happens here, outside the count.
    keys.access_issuer()

    def refresh() -> Any:
        request = RequestFactory().post("/api/token/refresh/", {"refresh": pat}, content_type="application/json")
        with django_assert_num_queries(1):  # user, organisation settings and the PAT's revocation
            return view(request)

    r = refresh()
    assert r.status_code == 200 and "access" in r.data
    BlacklistTables(token=pat, user_id=user.pk).revoke_if_active(
        ls_auth.Verifier(settings.SECRET_KEY).verify_refresh(pat).jti, int(time.time()) + DAY, int(time.time())
    )
    r = refresh()  # the revocation read in that one query refuses it
    assert r.status_code == 401 and r.data["code"] == "token_revoked"


def test_refusal_keeps_the_envelope_and_says_why(api: APIClient, make_user: Any) -> None:
    user = make_user()
    old = issuer().refresh(pat_for(user, now=1_700_000_000), now=1_700_000_000)
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {old}")
    assert r.status_code == 401
    body = r.json()
    assert set(body) == ENVELOPE and body["status_code"] == 401
    assert body["code"] == "token_expired" and body["detail"] == "token has expired"
    assert challenge_of(r) == 'Bearer realm="api", error="invalid_token", error_description="token has expired"'
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {pat_for(user)}")
    assert r.status_code == 401 and r.json()["code"] == "wrong_token_type"
    r = api.get(WHOAMI, HTTP_AUTHORIZATION="Bearer a b")
    assert r.status_code == 400 and r.json()["code"] == "malformed_header"
    assert 'error="invalid_request"' in challenge_of(r)
    r = api.get(WHOAMI)
    assert r.status_code == 401 and "code" not in r.json() and challenge_of(r) == 'Bearer realm="api"'


def test_org_toggle_applies_to_tokens_issued_before(api: APIClient, make_user: Any) -> None:
    user = make_user()
    access = access_for(user)
    assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    set_org(user, api_tokens_enabled=False)
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert r.status_code == 401 and r.json()["code"] == "token_kind_disabled"
    set_org(user, api_tokens_enabled=True)
    assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200


def test_settings_are_per_organisation(api: APIClient, make_user: Any) -> None:
    on, off = make_user(api=True), make_user(api=False)
    assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access_for(on)}").status_code == 200
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access_for(off)}")
    assert r.status_code == 401 and r.json()["code"] == "token_kind_disabled"


def test_legacy_keys_follow_the_toggle(api: APIClient, make_user: Any) -> None:
    user = make_user()
    key = Token.objects.get_or_create(user=user)[0].key
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Token {key}")
    assert r.status_code == 401 and r.json()["code"] == "token_kind_disabled"
    set_org(user, legacy_api_tokens_enabled=True)
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Token {key}")
    assert r.status_code == 200 and r.json()["email"] == user.email
    r = api.get(WHOAMI, HTTP_X_API_KEY=key)  # Label Studio's X-Api-Key header still works
    assert r.status_code == 200 and r.json()["email"] == user.email
    r = api.get(WHOAMI, HTTP_X_API_KEY=key, HTTP_AUTHORIZATION="Bearer not.a.token")  # and supersedes
    assert r.status_code == 200
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Token {ls_auth.generate_legacy_key()}")
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"


def test_x_api_key_carries_access_tokens_too(api: APIClient, make_user: Any) -> None:
    user = make_user()
    r = api.get(WHOAMI, HTTP_X_API_KEY=access_for(user))
    assert r.status_code == 200 and r.json()["email"] == user.email
    r = api.get(WHOAMI, HTTP_X_API_KEY=pat_for(user))  # a PAT is never a credential
    assert r.status_code == 401 and r.json()["code"] == "wrong_token_type"
    r = api.get(WHOAMI, HTTP_X_API_KEY=Token.objects.get_or_create(user=user)[0].key)  # legacy: off here
    assert r.status_code == 401 and r.json()["code"] == "token_kind_disabled"


def test_deleted_and_inactive_users_are_refused(api: APIClient, make_user: Any) -> None:
    user = make_user()
    access = access_for(user)
    user.is_active = False
    user.save()
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert r.status_code == 401 and r.json()["code"] == "user_inactive"
    assert 'error="invalid_token"' in challenge_of(r)
    user.delete()
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert r.status_code == 401 and r.json()["code"] == "user_not_found"


def test_label_studio_feature_flag_is_honoured(api: APIClient, make_user: Any) -> None:
    user = make_user(legacy=False)
    access, key = access_for(user), Token.objects.get_or_create(user=user)[0].key
    with mock.patch("core.feature_flags.flag_set", return_value=False):
        r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}")
        assert r.status_code == 401 and r.json()["code"] == "token_kind_disabled"
        assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200  # stock: no phase-out
    with mock.patch("core.feature_flags.flag_set", return_value=True):
        assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
        assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


# -- the blacklist tables ---------------------------------------------------------------------


def test_store_is_simplejwts_tables(make_user: Any) -> None:
    user = make_user()
    pat = pat_for(user)
    c = ls_auth.Verifier(settings.SECRET_KEY).verify_refresh(pat)
    store = BlacklistTables(token=pat, user_id=user.pk)
    assert not store.is_revoked(c.jti) and c.jti not in store
    forget_after = ls_auth.Verifier(settings.SECRET_KEY, leeway=60).forget_after(c.exp)
    assert store.revoke_if_active(c.jti, forget_after, int(time.time())) is True
    assert store.revoke_if_active(c.jti, forget_after, int(time.time())) is False
    assert store.is_revoked(c.jti) and BlacklistTables().is_revoked(c.jti)
    row = OutstandingToken.objects.get(jti=c.jti)  # a PAT minted elsewhere gets its row, truncated
    assert row.token == ls_auth.truncate(pat) and row.user_id == user.pk
    # simplejwt's flushexpiredtokens deletes at expires_at: the row lives as long as the leeway.
    assert int(row.expires_at.timestamp()) == c.exp + 60
    assert BlacklistedToken.objects.filter(token=row).count() == 1


# -- the token endpoints ----------------------------------------------------------------------


def test_mint_uses_the_org_ttl_and_records_the_pat(api: APIClient, make_user: Any) -> None:
    user = make_user(ttl_days=30)
    api.force_authenticate(user)
    r = api.post("/api/token/")
    assert r.status_code == 201 and set(r.json()) == {"token"}
    pat = r.json()["token"]
    c = ls_auth.Verifier(settings.SECRET_KEY).verify_refresh(pat)
    assert c.exp - c.iat == 30 * DAY and c.user_id == str(user.pk)
    assert OutstandingToken.objects.get(jti=c.jti).token == ls_auth.truncate(pat)
    assert [t["token"] for t in api.get("/api/token/").json()] == [ls_auth.truncate(pat)]
    assert api.post("/api/token/").status_code == 409  # Label Studio's one-PAT rule, kept


def test_refresh_answers_as_label_studio(api: APIClient, make_user: Any) -> None:
    user = make_user()
    r = api.post("/api/token/refresh/", {"refresh": pat_for(user)}, format="json")
    assert r.status_code == 200 and set(r.json()) == {"access"}
    jwks = api.get("/api/token/jwks/").content.decode()
    c = ls_auth.Verifier(ls_auth.Keyring.from_jwks(jwks)).verify_access(r.json()["access"])
    assert c.exp - c.iat == ls_auth.DEFAULT_ACCESS_TTL and c.user_id == str(user.pk)
    r = api.post("/api/token/refresh/", {}, format="json")
    assert r.status_code == 400 and "refresh" in r.json()["validation_errors"]
    r = api.post("/api/token/refresh/", {"refresh": access_for(user)}, format="json")
    assert r.status_code == 401 and r.json()["code"] == "wrong_token_type"
    assert challenge_of(r).startswith('Bearer realm="api", error="invalid_token"')


def test_refresh_refused_while_pats_disabled(api: APIClient, make_user: Any) -> None:
    user = make_user()
    pat = pat_for(user)
    set_org(user, api_tokens_enabled=False)
    r = api.post("/api/token/refresh/", {"refresh": pat}, format="json")
    assert r.status_code == 401 and r.json()["code"] == "token_kind_disabled"
    assert set(r.json()) == ENVELOPE
    set_org(user, api_tokens_enabled=True)
    assert api.post("/api/token/refresh/", {"refresh": pat}, format="json").status_code == 200


def test_refresh_enforces_a_shortened_ttl(api: APIClient, make_user: Any) -> None:
    user = make_user()
    old = pat_for(user, now=int(time.time()) - 40 * DAY)  # exp 200 years on, iat 40 days ago
    assert api.post("/api/token/refresh/", {"refresh": old}, format="json").status_code == 200
    set_org(user, api_token_ttl_days=30)
    r = api.post("/api/token/refresh/", {"refresh": old}, format="json")
    assert r.status_code == 401 and r.json()["code"] == "pat_ttl_exceeded"


def test_blacklisted_pat_stops_refreshing(api: APIClient, make_user: Any) -> None:
    user = make_user()
    pat = pat_for(user)
    assert api.post("/api/token/blacklist/", {"refresh": pat}, format="json").status_code == 204
    r = api.post("/api/token/refresh/", {"refresh": pat}, format="json")
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"
    r = api.post("/api/token/blacklist/", {"refresh": pat}, format="json")
    assert r.status_code == 404 and r.json()["code"] == "token_revoked"


def test_pat_naming_no_user_is_revocable_but_authenticates_nowhere(api: APIClient, make_user: Any) -> None:
    from jwt_auth.models import LSAPIToken

    token = LSAPIToken()  # simplejwt's RefreshToken(): signed with the server's key, no user_id
    full = token.get_full_jwt()
    r = api.post("/api/token/refresh/", {"refresh": full}, format="json")
    assert (r.status_code, r.json()["code"]) == (401, "missing_claim")
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {token.access_token}")
    assert (r.status_code, r.json()["code"]) == (401, "missing_claim")
    owner = make_user()
    api.force_authenticate(owner)
    r = api.post("/api/token/rotate/", {"refresh": full}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "missing_claim")
    api.force_authenticate(None)

    assert api.post("/api/token/blacklist/", {"refresh": full}, format="json").status_code == 204
    row = OutstandingToken.objects.get(jti=token["jti"])
    assert row.user_id is None and BlacklistedToken.objects.filter(token=row).exists()
    r = api.post("/api/token/blacklist/", {"refresh": full}, format="json")
    assert (r.status_code, r.json()["code"]) == (404, "token_revoked")


def test_truncated_blacklist_only_by_owner_or_org_owner(api: APIClient, make_user: Any) -> None:
    owner_of_org = make_user()
    member = make_user(owner_of_org.active_organization)
    stranger = make_user()
    for actor, expected in ((None, 401), (stranger, 403), (member, 204)):
        client = APIClient()
        client.force_authenticate(member)
        pat = client.post("/api/token/").json()["token"]
        if actor is not None:
            client.force_authenticate(actor)
        else:
            client.force_authenticate(None)
        r = client.post("/api/token/blacklist/", {"refresh": ls_auth.truncate(pat)}, format="json")
        assert r.status_code == expected, (actor, r.content)
        if expected != 204:
            assert r.json()["code"] in ("not_authenticated", "not_token_owner")
            client.force_authenticate(owner_of_org)  # the organisation's owner may
            r = client.post("/api/token/blacklist/", {"refresh": ls_auth.truncate(pat)}, format="json")
            assert r.status_code == 204
    r = api.post("/api/token/blacklist/", {"refresh": "eyJhIjoxfQ.eyJiIjoyfQ"}, format="json")
    assert r.status_code in (401, 404)


def test_rotate_only_by_owner_and_single_use(make_user: Any) -> None:
    owner_of_org = make_user()
    member = make_user(owner_of_org.active_organization)
    stranger = make_user()
    client = APIClient()
    client.force_authenticate(member)
    pat = client.post("/api/token/").json()["token"]
    client.force_authenticate(stranger)
    r = client.post("/api/token/rotate/", {"refresh": pat}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "not_token_owner"
    client.force_authenticate(None)
    assert client.post("/api/token/rotate/", {"refresh": pat}, format="json").status_code == 401
    client.force_authenticate(member)
    r = client.post("/api/token/rotate/", {"refresh": pat}, format="json")
    assert r.status_code == 200 and set(r.json()) == {"refresh"}
    new = r.json()["refresh"]
    v = ls_auth.Verifier(settings.SECRET_KEY)
    assert v.verify_refresh(new).user_id == str(member.pk)
    assert OutstandingToken.objects.filter(jti=v.verify_refresh(new).jti).exists()
    r = client.post("/api/token/rotate/", {"refresh": pat}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "token_revoked"
    client.force_authenticate(owner_of_org)  # the organisation's owner rotates a member's PAT
    r = client.post("/api/token/rotate/", {"refresh": new}, format="json")
    assert r.status_code == 200 and v.verify_refresh(r.json()["refresh"]).user_id == str(member.pk)


# -- real concurrency (its own connections: PostgreSQL; SQLite is raced through a live server) --

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="in-process threads need a server database; tests/label_studio/interop.py races a live SQLite server",
)


def _race(n: int, work: Any) -> List[Any]:
    from django.db import connections

    barrier = threading.Barrier(n)
    results: List[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except Exception as e:  # noqa: BLE001 - reported as the result
            results[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_rotations_of_one_pat_exactly_one_wins(make_user: Any) -> None:
    assert connection.vendor == "postgresql"
    user = make_user()
    pat = pat_for(user)

    def rotate() -> Dict[str, Any]:
        client = APIClient()
        client.force_authenticate(user)
        r = client.post("/api/token/rotate/", {"refresh": pat}, format="json")
        return {"status": r.status_code, "code": r.json().get("code")}

    results = _race(8, rotate)
    assert sorted(r["status"] for r in results) == [200] + [400] * 7, results
    assert all(r["code"] == "token_revoked" for r in results if r["status"] == 400)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_revoke_if_active_exactly_one_true(make_user: Any) -> None:
    user = make_user()
    pat = pat_for(user)
    c = ls_auth.Verifier(settings.SECRET_KEY).verify_refresh(pat)
    now = int(time.time())
    results = _race(16, lambda: BlacklistTables(token=pat, user_id=user.pk).revoke_if_active(c.jti, c.exp, now))
    assert sorted(results, key=str) == [False] * 15 + [True], results
    assert OutstandingToken.objects.filter(jti=c.jti).count() == 1


def test_org_settings_for_a_user_without_organisation(make_user: Any) -> None:
    user = make_user()
    user.active_organization = None
    assert orgs.org_settings(user) == ls_auth.OrgSettings.no_organization()


def test_a_user_removed_from_their_last_organisation_is_refused(api: APIClient, make_user: Any) -> None:
    # Issue 17, finding 6: Label Studio sets active_organization to NULL when a member is removed
    # from their last organisation. Before the fix such a user got the default settings (PATs
    # on): their access token answered 200 here and their PAT refreshed.
    user = make_user()
    pat, access = pat_for(user), access_for(user)
    user.active_organization = None
    user.save()
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert r.status_code == 401 and r.json()["code"] == "no_organization"
    assert challenge_of(r) == ls_auth.www_authenticate(ls_auth.NoOrganization("x"))
    r = api.post("/api/token/refresh/", {"refresh": pat}, format="json")
    assert r.status_code == 401 and r.json()["code"] == "no_organization"
    key = Token.objects.get_or_create(user=user)[0].key
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Token {key}")
    assert r.status_code == 401 and r.json()["code"] == "no_organization"
