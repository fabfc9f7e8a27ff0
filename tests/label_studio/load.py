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
from typing import Dict, List

CLIENTS = int(os.environ.get("LS_LOAD_CLIENTS", "32"))
SECONDS = float(os.environ.get("LS_LOAD_SECONDS", "30"))


def whoami_load(port: int, access: str, email: str) -> Dict[str, object]:
    stop_at = time.monotonic() + SECONDS
    counts: List[Dict[str, int]] = [dict() for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS + 1)

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

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
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
    return {"clients": CLIENTS, "seconds": round(took, 1), "requests": n, "rps": n / took if took else 0.0,
            "outcomes": dict(sorted(total.items()))}
