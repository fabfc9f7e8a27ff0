"""Integrations built on ls_auth, each importing its framework only when imported itself:
``ls_auth.contrib.drf`` (Django REST framework), ``ls_auth.contrib.label_studio`` (Label
Studio itself), ``ls_auth.contrib.httpx`` (httpx) and ``ls_auth.contrib.jwks`` (a service
verifying with its issuer's published JWK Set, fetched and cached; standard library only)."""
