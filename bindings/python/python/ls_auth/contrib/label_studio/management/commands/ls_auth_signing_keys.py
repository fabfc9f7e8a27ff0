"""``python manage.py ls_auth_signing_keys [list|rotate [--immediately]|prune]``: the Ed25519 keys
that sign Label Studio's access tokens (ls_auth.contrib.label_studio.keys has the timeline).

- ``list``: each key, when it signs from, until when it stays published;
- ``rotate``: a new key, published now, signing once the JWK Set's cache lifetime
  (``JWKS_MAX_AGE``) has passed; the key it replaces stays published until the last access
  token it signed has expired. ``--immediately``: the new key signs now (a compromised key:
  services pick it up through their refetch on an unknown kid). Run it from cron to rotate
  on a schedule;
- ``prune``: delete the keys no live token can carry (``rotate`` does it too).
"""

from __future__ import annotations

import datetime as _dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import ls_auth

from ... import keys


def _iso(seconds: Any) -> str:
    if seconds is None:
        return "-"
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Command(BaseCommand):
    help = "List, rotate or prune the Ed25519 keys that sign access tokens (ls-auth)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("list", "rotate", "prune"), nargs="?", default="list")
        parser.add_argument(
            "--immediately", action="store_true", help="rotate: the new key signs at once (a compromised key)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = int(time.time())
        action = options["action"]
        if action == "rotate":
            try:
                row = keys.rotate(now, immediately=options["immediately"])
            except ls_auth.InvalidArgument as error:
                raise CommandError(error.message) from None
            self.stdout.write(f"created {row.kid}: published now, signs from {_iso(row.signs_from)}")
        elif action == "prune":
            gone = keys.prune(now)
            self.stdout.write(f"pruned {len(gone)} key(s)" + (f": {', '.join(gone)}" if gone else ""))
        rows = keys.load(fresh=True)
        active = keys.signing(rows, now)
        lifetime, reload = keys.token_lifetime(), keys.reload_interval()
        for row in sorted(rows, key=lambda r: (r.signs_from, r.kid)):
            state = "signing" if active is not None and row.kid == active.kid else (
                "pending" if row.signs_from > now else "retired"
            )
            until = keys.published_until(row, rows, lifetime, reload)
            self.stdout.write(
                f"{row.kid}  {state:8}  signs from {_iso(row.signs_from)}  published until {_iso(until)}"
            )
