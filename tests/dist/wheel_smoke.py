"""Smoke test of an installed ls-auth wheel, run by scripts/test-dist in a fresh venv whose PATH
has no cargo or rustc: the wheel imports, reports the workspace version, agrees with the shared
vectors (every verify, authenticate and classify case of tests/vectors/*.json, peers' tokens
included), carries no test-only hook, and its `drf` and `httpx` extras work end to end.

Usage: python wheel_smoke.py VECTORS_DIR EXPECTED_VERSION
Ends with "wheel: N passed, M failed"; exits 1 on any failure.
"""

from __future__ import annotations

import json
import sys
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Dict, List

import ls_auth

VECTORS, VERSION = Path(sys.argv[1]), sys.argv[2]
SECRET = "django-insecure-ls-auth-wheel-smoke-0123456789-abcdefghijklmnop"
results: List[bool] = []


def check(name: str, fn: Callable[[], object]) -> None:
    try:
        fn()
        results.append(True)
    except Exception:  # noqa: BLE001 - a smoke test reports every failure and goes on
        results.append(False)
        print(f"FAIL {name}", file=sys.stderr)
        traceback.print_exc()


def installed_from_site_packages() -> None:
    # Not the source tree: the module must come from the wheel that was installed.
    assert "site-packages" in ls_auth.__file__, ls_auth.__file__
    assert Path(ls_auth.__file__).with_name("py.typed").exists()
    assert Path(ls_auth.__file__).with_name("_native.pyi").exists()


def versions() -> None:
    assert ls_auth.__version__ == VERSION, (ls_auth.__version__, VERSION)
    assert metadata.version("ls-auth") == VERSION, metadata.version("ls-auth")


# --- the shared vectors ---------------------------------------------------------------------


def _text(case: Dict[str, Any]) -> str:
    if "input_hex" in case:
        raw = bytes.fromhex(case["input_hex"])
    elif "input_repeat" in case:
        r = case["input_repeat"]
        raw = (r["prefix"] + r["unit"] * r["count"] + r["suffix"]).encode()
    else:
        raw = case["input"].encode()
    return raw.decode("utf-8", "surrogateescape")


def _secret(key: Dict[str, str]) -> Any:
    return key["secret"] if "secret" in key else bytes.fromhex(key["secret_hex"])


def _is_hs256(key: Dict[str, str]) -> bool:
    return "secret" in key or "secret_hex" in key


def _entry(key: Dict[str, str], allow_short_key: bool) -> Any:
    if "jwks" in key:
        return ls_auth.Keyring.from_jwks(key["jwks"])
    if "ed25519_seed_hex" in key:
        return ls_auth.Keyring.ed25519(key["kid"], seed=bytes.fromhex(key["ed25519_seed_hex"]))
    return ls_auth.Keyring(_secret(key), allow_short_key=allow_short_key)


def _verifier(case: Dict[str, Any]) -> Any:
    """HS256-only cases through the secret and fallbacks arguments, the rest (Ed25519 keys,
    JWK Sets) through a Keyring, as bindings/python/tests/test_vectors.py does."""
    keys, p = case["keys"], case["policy"]
    args = dict(leeway=p["leeway"], issuer=p["issuer"], audience=p["audience"],
                allow_short_key=case["allow_short_key"])
    if all(_is_hs256(k) for k in keys):
        return ls_auth.Verifier(_secret(keys[0]), fallbacks=[_secret(k) for k in keys[1:]], **args)
    ring = _entry(keys[0], case["allow_short_key"])
    for key in keys[1:]:
        ring = ring.with_keys(_entry(key, case["allow_short_key"]))
    return ls_auth.Verifier(ring, **args)


def _run(case: Dict[str, Any]) -> Any:
    op, now = case["op"], case["now"]
    settings = ls_auth.OrgSettings(**case["settings"])
    verifier = _verifier(case)
    if op == "verify_access":
        return verifier.verify_access(_text(case), now=now).to_dict()
    if op == "verify_refresh":
        return verifier.verify_refresh(
            _text(case), now=now, revoked=set(case["revoked"]), settings=settings
        ).to_dict()
    if op == "classify_api_key":
        return ls_auth.classify_api_key(_text(case), now=now)
    assert op == "authenticate", op
    raw = _text(case).encode("utf-8", "surrogateescape")
    p = ls_auth.authenticate(raw, verifier=verifier, settings=settings, now=now)
    if p.kind == "jwt":
        assert p.claims is not None
        return {"principal": "jwt", "claims": p.claims.to_dict()}
    return {"principal": "legacy", "key": p.legacy_key}


# Minting and refreshing are checked end to end below (DRF, httpx): their vectors fix the jti,
# which only test builds can do (the `dangerous` feature); a release wheel must not.
OPS = ("verify_access", "verify_refresh", "authenticate", "classify_api_key")


def no_test_hooks() -> None:
    issuer = ls_auth.Issuer(SECRET)
    assert not hasattr(issuer, "_insecure_with_fixed_jti"), "release wheel has a test-only hook"


def vector(case: Dict[str, Any]) -> None:
    expect = case["expect"]
    try:
        got = _run(case)
    except ls_auth.AuthError as e:
        assert expect.get("error") == e.code, f"{case['name']}: raised {e.code}, expected {expect}"
        assert type(e) is ls_auth.EXCEPTIONS_BY_CODE[e.code]
        return
    assert "ok" in expect and got == expect["ok"], f"{case['name']}: got {got!r}, expected {expect}"


# --- the extras -----------------------------------------------------------------------------


def drf_extra() -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY=SECRET,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from ls_auth.contrib.drf import LSAuthentication

    call_command("migrate", run_syncdb=True, verbosity=0)
    user = get_user_model().objects.create(username="smoke")

    class Whoami(APIView):
        authentication_classes = [LSAuthentication]
        permission_classes = [IsAuthenticated]

        def get(self, request: Any) -> Response:
            return Response({"user": request.user.pk})

    issuer = ls_auth.Issuer(SECRET)
    access = issuer.refresh(issuer.mint_pat(user.pk))
    view, factory = Whoami.as_view(), APIRequestFactory()
    ok = view(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {access}"))
    assert ok.status_code == 200 and ok.data == {"user": user.pk}, (ok.status_code, ok.data)
    tampered = access[:-2] + ("AA" if not access.endswith("AA") else "BB")
    refused = view(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {tampered}"))
    assert refused.status_code == 401, refused.status_code
    assert 'error="invalid_token"' in refused["WWW-Authenticate"], refused["WWW-Authenticate"]


def httpx_extra() -> None:
    import httpx

    from ls_auth.contrib.httpx import LabelStudioAuth

    issuer = ls_auth.Issuer(SECRET)
    pat = issuer.mint_pat("7")
    refreshes: List[str] = []

    # An in-process stand-in for the server's two endpoints, verifying with the same core.
    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/token/refresh/":
            refreshes.append(json.loads(request.content)["refresh"])
            return httpx.Response(200, json={"access": issuer.refresh(refreshes[-1])})
        try:
            claims = issuer.verifier.verify_access(request.headers["Authorization"][len("Bearer ") :])
        except ls_auth.AuthError as e:
            return httpx.Response(401, json={"code": e.code})
        return httpx.Response(200, json={"user_id": claims.user_id})

    transport = httpx.MockTransport(server)
    # The refresh goes through the client's own transport, like every other request.
    auth = LabelStudioAuth(pat, base_url="http://ls.test")
    with httpx.Client(base_url="http://ls.test", auth=auth, transport=transport) as client:
        for _ in range(2):
            r = client.get("/api/projects/")
            assert r.status_code == 200 and r.json() == {"user_id": "7"}, (r.status_code, r.text)
    assert refreshes == [pat], "one refresh, with the PAT, for two requests"


def main() -> int:
    check("installed from site-packages", installed_from_site_packages)
    check("versions", versions)
    check("no test-only hooks", no_test_hooks)
    cases = [
        c
        for path in sorted(VECTORS.glob("*.json"))
        for c in json.loads(path.read_text("utf-8"))["cases"]
        if c["op"] in OPS
    ]

    def enough_vectors() -> None:
        assert len(cases) > 100, f"only {len(cases)} vectors found in {VECTORS}"

    check("there are vectors", enough_vectors)
    for case in cases:
        check(case["name"], lambda case=case: vector(case))
    check("drf extra", drf_extra)
    check("httpx extra", httpx_extra)
    passed = sum(results)
    print(f"  {len(cases)} shared vectors ({', '.join(OPS)}), DRF view, httpx auth")
    print(f"wheel: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
