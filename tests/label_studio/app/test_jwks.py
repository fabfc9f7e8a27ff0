"""Label Studio issues EdDSA access tokens (issue 18 item 2): Ed25519 keys in its database, sealed
under SECRET_KEY, published at api/token/jwks/, rotated by ls_auth_signing_keys without a live
token ever falling off the published set."""

from __future__ import annotations

import base64
import io
import json
import time
from typing import Any, Dict, Optional, Tuple
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

import ls_auth
from ls_auth.contrib._django import issuer
from ls_auth.contrib.jwks import JwksVerifier
from ls_auth.contrib.label_studio import keys
from ls_auth.contrib.label_studio.models import SigningKey

WHOAMI = "/api/current-user/whoami"
JWKS = "/api/token/jwks/"


@pytest.fixture(autouse=True)
def _fresh_key_table(db: Any) -> None:
    # Each test starts from an empty key table (rolled back by pytest-django) and no cached copy.
    SigningKey.objects.all().delete()
    keys.forget_cache()
    keys._forced_at = 0.0


def header_of(token: str) -> Dict[str, Any]:
    part = token.split(".")[0]
    decoded: Dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def refresh(api: APIClient, user: Any) -> str:
    r = api.post("/api/token/refresh/", {"refresh": issuer().mint_pat(user.pk)}, format="json")
    assert r.status_code == 200, r.content
    return str(r.json()["access"])


def test_refresh_answers_eddsa_verified_by_the_published_jwks_only(api: APIClient, make_user: Any) -> None:
    from django.conf import settings

    user = make_user()
    # PATs stay HS256 over SECRET_KEY.
    minted = APIClient()
    minted.force_authenticate(user)
    pat = minted.post("/api/token/", format="json").json()["token"]
    assert header_of(pat)["alg"] == "HS256"
    assert ls_auth.Verifier(settings.SECRET_KEY).verify_refresh(pat).user_id == str(user.pk)
    r = api.post("/api/token/refresh/", {"refresh": pat}, format="json")
    assert r.status_code == 200, r.content
    access = r.json()["access"]
    head = header_of(access)
    assert head["alg"] == "EdDSA" and head["kid"] == SigningKey.objects.get().kid

    r = api.get(JWKS)
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    assert r["Cache-Control"] == f"public, max-age={keys.DEFAULT_JWKS_MAX_AGE}"
    body = r.content.decode()
    published = json.loads(body)["keys"]
    assert [k["kid"] for k in published] == [head["kid"]]
    assert all(set(k) == {"kty", "crv", "kid", "x", "alg", "use"} for k in published)

    claims = ls_auth.Verifier(ls_auth.Keyring.from_jwks(body)).verify_access(access)
    assert claims.user_id == str(user.pk)

    def fetch(url: str, timeout: float) -> Tuple[bytes, Optional[str]]:
        assert url == "http://ls.test/api/token/jwks/"
        return r.content, r["Cache-Control"]

    assert JwksVerifier("http://ls.test/api/token/jwks/", fetch=fetch).verify_access(access).user_id == str(user.pk)
    # SECRET_KEY alone cannot verify it (an HS256 keyring allows no EdDSA token).
    with pytest.raises(ls_auth.UnsupportedAlgorithm):
        ls_auth.Verifier(settings.SECRET_KEY).verify_access(access)
    # Label Studio accepts it, and still accepts the HS256 access tokens its own code mints.
    assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}").json()["email"] == user.email
    from jwt_auth.models import LSAPIToken

    own = str(LSAPIToken.for_user(user).access_token)
    assert header_of(own)["alg"] == "HS256" and "kid" not in header_of(own)
    assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {own}").json()["email"] == user.email


def test_jwks_is_never_empty_and_needs_no_authentication(api: APIClient, make_user: Any) -> None:
    assert not SigningKey.objects.exists()
    # A new deployment's first fetch creates the first key (a JWK Set must hold one, section 3.10).
    first = api.get(JWKS).json()["keys"]
    assert [k["kid"] for k in first] == list(SigningKey.objects.values_list("kid", flat=True))
    ls_auth.Keyring.from_jwks(json.dumps({"keys": first}))
    assert header_of(refresh(api, make_user()))["kid"] == first[0]["kid"]  # and it signs
    r = api.get(JWKS, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert r.status_code == 200 and r.json()["keys"] == first
    assert api.post(JWKS).status_code == 405


@override_settings(LS_AUTH={"JWKS_MAX_AGE": 120, "ACCESS_TOKEN_LIFETIME": 600})
def test_rotation_timeline(make_user: Any) -> None:
    pat = issuer().mint_pat(make_user().pk)
    lifetime, reload = keys.token_lifetime(), keys.reload_interval()
    assert (lifetime, reload, keys.jwks_max_age()) == (600, 30, 120)
    t0 = 1_700_000_000
    first = keys.rotate(t0)  # no key signs yet: the first signs at once
    assert first.signs_from == t0
    second = keys.rotate(t0 + 1000)
    assert second.signs_from == t0 + 1000 + 120  # published first, signs after the cache lifetime

    def kid_at(now: int) -> str:
        return str(header_of(keys.access_issuer(now).refresh(pat))["kid"])

    def published_at(now: int) -> list:
        return [r.kid for r in keys.published(keys.load(fresh=True), now, lifetime, reload)]

    assert published_at(t0 + 1000) == [second.kid, first.kid]
    assert kid_at(t0 + 1000) == kid_at(second.signs_from - 1) == first.kid
    assert kid_at(second.signs_from) == second.kid
    gone = second.signs_from + reload + lifetime  # the last token `first` signed has expired
    assert published_at(gone - 1) == [second.kid, first.kid]
    assert keys.prune(gone - 1) == []
    assert published_at(gone) == [second.kid]
    assert keys.prune(gone) == [first.kid]
    assert [r.kid for r in keys.load(fresh=True)] == [second.kid]
    # A compromised key: --immediately signs at once; the old one still covers its live tokens.
    third = keys.rotate(gone + 5, immediately=True)
    assert kid_at(gone + 5) == third.kid
    assert published_at(gone + 5) == [third.kid, second.kid]


def test_rotate_command_publishes_before_signing(api: APIClient, make_user: Any) -> None:
    user = make_user()
    old = header_of(refresh(api, user))["kid"]  # the first refresh creates the first key
    out = io.StringIO()
    call_command("ls_auth_signing_keys", "rotate", stdout=out)
    new = (set(SigningKey.objects.values_list("kid", flat=True)) - {old}).pop()
    assert f"created {new}" in out.getvalue() and "pending" in out.getvalue()
    assert {k["kid"] for k in api.get(JWKS).json()["keys"]} == {old, new}
    access = refresh(api, user)
    assert header_of(access)["kid"] == old  # the new key waits for the JWK Set caches
    assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    listed = io.StringIO()
    call_command("ls_auth_signing_keys", "list", stdout=listed)
    assert f"{old}  signing" in listed.getvalue() and f"{new}  pending" in listed.getvalue()


def test_private_key_never_stored_in_clear(api: APIClient, make_user: Any) -> None:
    refresh(api, make_user())
    row = SigningKey.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {SigningKey._meta.db_table}")
        stored = b"".join(
            bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for v in cursor.fetchone()
        )
    pkcs8 = keys.unseal(row.kid, row.sealed)
    seed = pkcs8[-32:]
    assert len(pkcs8) == 48 and ls_auth.Keyring.ed25519(row.kid, pkcs8=pkcs8).kids == (row.kid,)
    for form in (pkcs8, seed, base64.urlsafe_b64encode(seed).rstrip(b"="), seed.hex().encode(), base64.b64encode(seed)):
        assert form not in stored
    # Sealed for this kid under SECRET_KEY: another kid, or another SECRET_KEY, does not open it.
    with pytest.raises(ls_auth.InvalidArgument):
        keys.unseal("another-kid", row.sealed)
    from django.conf import settings

    old = settings.SECRET_KEY
    with override_settings(SECRET_KEY="a-new-secret-key-of-at-least-32-bytes!!"):
        with pytest.raises(ls_auth.InvalidArgument):
            keys.unseal(row.kid, row.sealed)
        with override_settings(SECRET_KEY_FALLBACKS=[old]):
            assert keys.unseal(row.kid, row.sealed) == pkcs8


def test_a_key_another_worker_created_is_picked_up(api: APIClient, make_user: Any) -> None:
    from django.conf import settings

    user = make_user()
    keys.load(fresh=True)  # this worker's copy: no key
    now = int(time.time())
    other = ls_auth.Keyring.generate_ed25519("made-by-another-worker")
    pkcs8 = other.signing_key_pkcs8()
    assert pkcs8 is not None
    x = json.loads(other.public_jwks())["keys"][0]["x"]
    SigningKey.objects.create(
        kid="made-by-another-worker",
        public_x=x,
        sealed=keys.seal("made-by-another-worker", pkcs8),
        created_at=keys._when(now - 1),
        signs_from=keys._when(now - 1),
    )
    hs256 = ls_auth.Keyring(settings.SECRET_KEY)
    access = ls_auth.Issuer(other.with_keys(hs256)).refresh(issuer().mint_pat(user.pk))
    assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    # A made-up kid is refused, and costs at most one re-read a second.
    forger = ls_auth.Keyring.generate_ed25519("nobody").with_keys(hs256)
    forged = ls_auth.Issuer(forger).refresh(issuer().mint_pat(user.pk))
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert r.status_code == 401 and r.json()["code"] == "unknown_key_id"


def test_jwks_has_an_openapi_description(make_user: Any) -> None:
    client = APIClient()
    client.force_authenticate(make_user())
    r = client.get("/docs/api?format=openapi", follow=True)
    assert r.status_code == 200
    op = r.json()["paths"]["/api/token/jwks/"]["get"]
    assert "api" not in op["tags"] and op["summary"] and op["description"]


@override_settings(LS_AUTH={"JWKS_MAX_AGE": 120, "ACCESS_TOKEN_LIFETIME": 600})
def test_rotation_stops_at_a_full_jwk_set() -> None:
    from django.core.management.base import CommandError

    t0 = 1_700_000_000
    for i in range(keys.MAX_PUBLISHED):
        keys.rotate(t0 + i)
    with pytest.raises(ls_auth.InvalidArgument):
        keys.rotate(t0 + 100)
    assert SigningKey.objects.count() == keys.MAX_PUBLISHED
    # Once the retired keys' tokens have expired they are pruned and rotation goes on.
    last = max(r.signs_from for r in keys.load(fresh=True))
    keys.rotate(last + keys.reload_interval() + keys.token_lifetime())
    assert SigningKey.objects.count() == 2
    # The command says why it refuses.
    for i in range(keys.MAX_PUBLISHED - 2):
        keys.rotate(last + 1000 + i)
    with mock.patch("time.time", return_value=last + 1000 + keys.MAX_PUBLISHED):
        with pytest.raises(CommandError, match="already publishes 64 keys"):
            call_command("ls_auth_signing_keys", "rotate", stdout=io.StringIO())


def test_an_access_token_used_again_is_found_until_its_key_leaves(api: APIClient, make_user: Any) -> None:
    # Issue 18 item 4: an EdDSA access token's signature is checked at its first use only; the
    # worker's cache follows the key table, so a key leaving it takes its tokens with it.
    user = make_user()
    access = refresh(api, user)
    old = header_of(access)["kid"]
    for _ in range(3):
        assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}").json()["email"] == user.email
    assert len(keys.request_cache()) == 1
    keys.rotate(int(time.time()), immediately=True)
    SigningKey.objects.filter(kid=old).delete()
    keys.forget_cache()
    r = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {access}")
    assert r.status_code == 401 and r.json()["code"] == "unknown_key_id"
    assert len(keys.request_cache()) == 0
    # A token of the new key is kept again.
    fresh = refresh(api, user)
    assert header_of(fresh)["kid"] != old
    assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {fresh}").status_code == 200
    assert len(keys.request_cache()) == 1


def test_a_burst_on_a_worker_without_the_new_key_waits_for_one_reread(api: APIClient, make_user: Any) -> None:
    """The threads of one worker that receive a token signed by a key it has not loaded yet (the
    deployment's first access token, minted by another worker) all get in: one re-reads the
    table, the others wait for that read. Found under gunicorn (tests/label_studio/wsgi.py):
    every thread but the first was refused for the rest of the second."""
    import threading

    from ls_auth.contrib.label_studio.authentication import _begin

    access = refresh(api, make_user())
    table = keys.load(fresh=True)
    assert table
    # This worker's copy predates the key; re-reading it is slow, and reads no database here
    # (the threads have no test transaction), which is what lets the others arrive during it.
    keys._loaded = (time.monotonic(), ())
    keys.request_cache()

    def slow_read() -> Tuple[Any, ...]:
        time.sleep(0.3)
        return table

    answers: Dict[int, str] = {}
    start = threading.Barrier(8)

    def worker(i: int) -> None:
        start.wait()
        try:
            answers[i] = _begin(f"Bearer {access}".encode()).kind
        except ls_auth.AuthError as error:
            answers[i] = error.code

    with mock.patch.object(keys, "_read", slow_read):
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert answers == {i: "jwt" for i in range(8)}
