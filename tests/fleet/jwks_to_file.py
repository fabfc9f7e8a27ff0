"""The C service's fetching helper: keeps a file equal to the issuer's JWK Set.

    python3 jwks_to_file.py JWKS_URL FILE

Standard library only, no credentials: it GETs the URL, and when the answer is a 200 JSON
object with a ``keys`` array that differs from the file, replaces the file atomically (write
beside it, then rename), so the C service (which re-reads the file when it changes) never reads
half a set. It polls every half of the answer's ``Cache-Control: max-age`` (at least 1 s, 30 s
when the answer names none): a key published before it signs reaches the file before the first
token it signs. A failed fetch (the issuer is down) leaves the last good file in place.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.request

MAX_AGE = re.compile(r"max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def fetch(url: str) -> "tuple[bytes, float]":
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as r:
        body = r.read(1 << 20)
        m = MAX_AGE.search(r.headers.get("Cache-Control") or "")
    return body, float(m.group(1)) if m else 30.0


def main() -> int:
    url, path = sys.argv[1], sys.argv[2]
    current = b""
    while True:
        wait = 1.0
        try:
            body, max_age = fetch(url)
            wait = max(1.0, max_age / 2)
            doc = json.loads(body)
            if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
                raise ValueError("not a JWK Set")
            if body != current:
                tmp = f"{path}.tmp"
                with open(tmp, "wb") as f:
                    f.write(body)
                os.replace(tmp, path)
                current = body
                print(f"jwks_to_file: wrote {len(doc['keys'])} keys to {path}", flush=True)
        except (OSError, ValueError) as e:
            print(f"jwks_to_file: {url}: {type(e).__name__}: {e} (keeping {path})", flush=True)
        time.sleep(wait)


if __name__ == "__main__":
    sys.exit(main())
