"""A small service written against ls_auth's shipped stubs; `mypy --strict` must accept it.

Checked by scripts/test-dist against the installed wheel (not the source tree).
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import httpx

import ls_auth
from ls_auth.contrib.httpx import LabelStudioAuth

SECRET = "django-insecure-ls-auth-typed-user-0123456789-abcdefghijklmnop"


def issue(user_id: int) -> Tuple[str, str]:
    issuer = ls_auth.Issuer(SECRET, access_ttl=300)
    pat: str = issuer.mint_pat(user_id, claims={"team": "ml"})
    return pat, issuer.refresh(pat, revoked={"0" * 32})


def who(header: Optional[str], verifier: ls_auth.Verifier) -> Tuple[int, Dict[str, str]]:
    """(status, body) for an Authorization header, as a service would answer."""
    try:
        principal = ls_auth.authenticate(header, verifier=verifier, settings=ls_auth.OrgSettings())
    except ls_auth.MalformedHeader as e:
        return e.status, {"code": e.code}
    except ls_auth.AuthError as e:
        challenge: Optional[str] = ls_auth.www_authenticate(e)
        return e.status, {"code": e.code, "challenge": challenge or ""}
    if principal.kind == "legacy":
        return 403, {"code": "legacy keys are looked up elsewhere"}
    claims = principal.claims
    assert claims is not None
    expires_in: int = claims.exp - (claims.iat or 0)
    return 200, {"user": claims.user_id, "expires_in": str(expires_in)}


def client(api_key: str) -> httpx.Client:
    kind = ls_auth.classify_api_key(api_key)
    auth = LabelStudioAuth(api_key, base_url="https://ls.example") if kind != "legacy" else None
    return httpx.Client(base_url="https://ls.example", auth=auth)


if __name__ == "__main__":
    pat, access = issue(1)
    print(who(f"Bearer {access}", ls_auth.Verifier(SECRET)))
