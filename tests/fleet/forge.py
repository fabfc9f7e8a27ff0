"""Runs in Label Studio's venv: tokens no service may accept, made with ls_auth from a real
access token (stdin: JSON {"access": ..., "user_id": ...}); prints them as JSON, each named.

- foreign_key: a valid-looking EdDSA access token from a key with its own kid, in no JWK Set;
- foreign_same_kid: signed by another key under the kid Label Studio's token names;
- hs256_public_key: HS256 under that kid with the published public key's bytes as the secret
  (the algorithm confusion);
- payload_tampered / signature_tampered / truncated: the real token changed after signing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys

import ls_auth


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(seg: str) -> bytes:
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


def ed25519_access(kid: str, user_id: str) -> str:
    issuer = ls_auth.Issuer(ls_auth.Keyring.ed25519(kid, seed=os.urandom(32)), access_ttl=300)
    return issuer.refresh(issuer.mint_pat(user_id))


data = json.loads(sys.stdin.read())
access, user_id, public_x = data["access"], data["user_id"], data["x"]
header, payload, signature = access.split(".")
kid = json.loads(b64d(header))["kid"]
claims = json.loads(b64d(payload))
claims["user_id"] = str(int(user_id) + 1)
confused_header = b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode())
signing_input = f"{confused_header}.{payload}".encode()
confused = f"{confused_header}.{payload}." + b64(hmac.new(b64d(public_x), signing_input, hashlib.sha256).digest())
sig = bytearray(b64d(signature))
sig[0] ^= 1
print(json.dumps({
    "foreign_key": ed25519_access("fleet-foreign", user_id),
    "foreign_same_kid": ed25519_access(kid, user_id),
    "hs256_public_key": confused,
    "payload_tampered": f"{header}.{b64(json.dumps(claims, separators=(',', ':')).encode())}.{signature}",
    "signature_tampered": f"{header}.{payload}.{b64(bytes(sig))}",
    "truncated": f"{header}.{payload}",
}))
