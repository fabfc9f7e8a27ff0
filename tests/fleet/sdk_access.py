"""Runs in Label Studio's venv: ``ls_auth.contrib.sdk.LabelStudio`` with the PAT read from
stdin calls whoami; prints JSON with the user's email and the access token the SDK sent (the one
it got from api/token/refresh/), for the fleet's services to check."""

from __future__ import annotations

import json
import sys

import httpx

from ls_auth.contrib.sdk import LabelStudio

base, pat = sys.argv[1], sys.stdin.read().strip()
sent = []


def record(request: httpx.Request) -> None:
    if request.url.path.rstrip("/").endswith("whoami"):
        sent.append(request.headers.get("Authorization", ""))


# margin: the fleet's access tokens live 30 s, under the default refresh margin (the client would
# take each new token as already due).
client = LabelStudio(base_url=base, api_key=pat, margin=5,
                     httpx_client=httpx.Client(event_hooks={"request": [record]}))
me = client.users.whoami()
access = sent[-1].split(" ", 1)[1] if sent and sent[-1].startswith("Bearer ") else ""
print(json.dumps({"email": me.email, "access": access, "kind": client.ls_auth.kind}))
