"""Integrations built on ls_auth, each importing its framework only when imported itself:
``ls_auth.contrib.drf`` (Django REST framework), ``ls_auth.contrib.label_studio`` (Label
Studio itself) and ``ls_auth.contrib.httpx`` (httpx)."""
