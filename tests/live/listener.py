"""A recording HTTP listener on another loopback port, that is another origin than the server
under test: it answers every request with one fixed response and keeps what it received, so a
test can assert that no credential reached it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List


class Listener:
    """``received``: one dict per request (``method``, ``path``, ``headers`` with lower-case
    names, ``body`` as text)."""

    def __init__(self, status: int = 200, content_type: str = "application/json", body: bytes = b"{}") -> None:
        self.received: List[Dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                sent = self.rfile.read(n).decode("utf-8", "replace") if n else ""
                received.append({"method": self.command, "path": self.path,
                                 "headers": {k.lower(): v for k, v in self.headers.items()}, "body": sent})
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def leaks(self, key: str) -> List[Dict[str, Any]]:
        """The requests that carried a credential header or the key anywhere."""
        return [r for r in self.received
                if "authorization" in r["headers"] or "x-api-key" in r["headers"]
                or key in r["body"] or any(key in v for v in r["headers"].values())]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
