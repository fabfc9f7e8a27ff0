"""A bounded loopback load run: N concurrent clients for D seconds on GET
/api/current-user/whoami with one Bearer access token. Checked: no 5xx, no wrong answer (every
200 names the token's user, every other status is counted as an error). Printed, never asserted:
requests per second (a figure of this machine, its load and Django's runserver)."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from typing import Callable, Dict, List, Optional

CLIENTS = int(os.environ.get("LS_LOAD_CLIENTS", "32"))
SECONDS = float(os.environ.get("LS_LOAD_SECONDS", "30"))


def whoami_load(port: int, access: str, email: str, clients: int = CLIENTS, seconds: float = SECONDS,
                on_start: Optional[Callable[[], None]] = None) -> Dict[str, object]:
    """`on_start` runs once every client is ready, just before they start (the wsgi part reads
    the server's CPU time there)."""
    counts: List[Dict[str, int]] = [dict() for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = 0.0

    def client(i: int) -> None:
        mine = counts[i]
        start.wait()
        while time.monotonic() < stop_at:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", "/api/current-user/whoami", headers={"Authorization": f"Bearer {access}"})
                r = conn.getresponse()
                body = r.read()
                if r.status == 200:
                    ok = json.loads(body).get("email") == email
                    key = "ok" if ok else "wrong_answer"
                else:
                    key = f"http_{r.status}"
            except (OSError, ValueError, http.client.HTTPException) as e:
                key = f"error_{type(e).__name__}"
            finally:
                conn.close()
            mine[key] = mine.get(key, 0) + 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    if on_start is not None:
        on_start()
    stop_at = time.monotonic() + seconds
    start.wait()
    began = time.monotonic()
    for t in threads:
        t.join()
    took = time.monotonic() - began
    total: Dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            total[k] = total.get(k, 0) + v
    n = sum(total.values())
    return {"clients": clients, "seconds": round(took, 1), "requests": n, "rps": n / took if took else 0.0,
            "outcomes": dict(sorted(total.items()))}
