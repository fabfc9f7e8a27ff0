"""Database queries per request for each credential kind: a benchmark, not a test.

Run by tests/label_studio/queries.py (`scripts/test-label-studio --parts queries`) inside Label
Studio 1.23.2's own test set-up, once with its stock settings and once with
ls_auth.contrib.label_studio.settings, on SQLite and PostgreSQL. Prints one
``QUERIES<TAB>case<TAB>count`` line per case: the queries of the whole request (middleware, the
authentication and the view), counted with Django's CaptureQueriesContext after one warm-up
request; and, under ours, ``AUTH<TAB>case<TAB>count`` for the authentication alone (Label
Studio's middleware and the whoami view make the rest). Tokens are Label Studio's own (``LSAPIToken.for_user``), so both settings read the same.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

WHOAMI = "/api/current-user/whoami"


@pytest.mark.django_db
def test_print_queries_per_request() -> None:
    from jwt_auth.models import LSAPIToken
    from organizations.functions import create_organization
    from rest_framework.authtoken.models import Token
    from users.models import User

    user = User.objects.create(email="bench-queries@example.com")
    org = create_organization(title="bench", created_by=user)
    org.jwt.api_tokens_enabled = True
    org.jwt.legacy_api_tokens_enabled = True
    org.jwt.save()
    user.active_organization = org
    user.save()
    pat = LSAPIToken.for_user(user)
    key = Token.objects.get_or_create(user=user)[0].key

    client = APIClient()
    # What the refresh endpoint answers: ours names its PAT (pat_jti), so authenticating it also
    # reads that PAT's revocation (contract section 3.11); stock's is the HS256 token above.
    refreshed = client.post("/api/token/refresh/", {"refresh": pat.get_full_jwt()}, format="json").json()["access"]
    cases: List[Tuple[str, str, str, Dict[str, str], Optional[Dict[str, str]]]] = [
        ("access token (Bearer), GET whoami", "get", WHOAMI, {"HTTP_AUTHORIZATION": f"Bearer {pat.access_token}"}, None),
        ("refreshed access (Bearer), GET whoami", "get", WHOAMI, {"HTTP_AUTHORIZATION": f"Bearer {refreshed}"}, None),
        ("legacy key (Token), GET whoami", "get", WHOAMI, {"HTTP_AUTHORIZATION": f"Token {key}"}, None),
        ("PAT, POST /api/token/refresh/", "post", "/api/token/refresh/", {}, {"refresh": pat.get_full_jwt()}),
    ]
    for name, method, path, headers, body in cases:
        send: Any = getattr(client, method)
        args: Dict[str, Any] = {"format": "json", "data": body} if body is not None else {}
        assert send(path, **headers, **args).status_code == 200, name  # warm-up (caches)
        with CaptureQueriesContext(connection) as ctx:
            r = send(path, **headers, **args)
        assert r.status_code == 200, (name, r.content)
        print(f"\nQUERIES\t{name}\t{len(ctx)}")
        for q in ctx.captured_queries:
            print(f"SQL\t{name}\t{q['sql'][:160]}")
    if any(m.startswith("ls_auth.contrib.label_studio.") for m in settings.MIDDLEWARE):
        # Ours only: the authentication alone (the rest of a whoami is Label Studio's own).
        from django.test import RequestFactory
        from ls_auth.contrib.label_studio.authentication import authenticate_request

        for name, _, path, headers, body in cases[:3]:
            request = RequestFactory().get(path, **headers)
            with CaptureQueriesContext(connection) as ctx:
                assert authenticate_request(request).user == user
            print(f"\nAUTH\t{name}\t{len(ctx)}")
