"""Misuses of ls_auth that the shipped stubs must make `mypy --strict` refuse: proof that the
stubs are read at all (scripts/test-dist expects exactly these errors, by line)."""

from __future__ import annotations

import ls_auth

verifier = ls_auth.Verifier("django-insecure-ls-auth-typed-user-0123456789-abcdefghijklmnop")
claims = verifier.verify_access(b"eyJ.not.str")  # WRONG: the token is a str
user: int = claims.user_id  # WRONG: user_id is a str
verifier.verify_access("t", now="yesterday")  # WRONG: now is an int, an aware datetime or None
ls_auth.classify_api_key("k").upper(1)  # WRONG: str.upper takes no argument
