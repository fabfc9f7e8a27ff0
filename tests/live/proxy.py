"""A small loopback HTTP(S) proxy in front of the real server, written for these tests.

As a reverse proxy it serves the server under ``prefix`` (``/labelstudio``: what a deployment
under a sub-path looks like) and answers 404 elsewhere; as a forward proxy (a request line with
an absolute URL) it relays to that loopback URL. Either way it records every request it relays,
so a test can count refreshes as the network saw them, and it can:

* hold refresh requests until a test releases them (``hold_refreshes``),
* answer a path's next request with a 401 itself (``refuse_once``),
* answer a path with a redirect of its own (``redirect``: path -> (status, Location)), as Label
  Studio does for storage downloads,
* play an identity-aware proxy: demand its own ``Authorization`` value and strip it before
  relaying (``gate``),
* speak TLS with a certificate of the test's own CA (``tls``).
"""

from __future__ import annotations

import http.client
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Tuple

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "proxy-connection",
}
REFRESH = "/api/token/refresh/"


@dataclass
class Seen:
    method: str
    path: str  # upstream path, prefix removed
    headers: Dict[str, str]  # names in lower case
    status: int = 0
    forward: bool = False  # arrived as a forward-proxy request
    outside: bool = False  # outside the prefix: answered 404, not relayed


@dataclass
class Proxy:
    upstream: str
    prefix: str = ""
    gate: Optional[Tuple[str, str]] = None
    tls: Optional[Tuple[str, str]] = None  # (certificate chain file, key file)
    seen: List[Seen] = field(default_factory=list)
    hold_refreshes: Optional[threading.Event] = None
    # Paths whose next request is answered 401 by the proxy itself, once each.
    refuse_once: List[str] = field(default_factory=list)
    redirect: Dict[str, Tuple[int, str]] = field(default_factory=dict)
    refresh_arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- what passed ----------------------------------------------------------------------

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(
                1 for s in self.seen
                if s.method == method and s.path.split("?")[0] == path and not s.outside
            )

    def refreshes(self) -> int:
        return self.count("POST", REFRESH)

    def statuses(self, path: str) -> List[int]:
        with self._lock:
            return [s.status for s in self.seen if s.path.split("?")[0] == path]

    def requests(self) -> List[Seen]:
        with self._lock:
            return list(self.seen)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> "Proxy":
        proxy = self
        target = urllib.parse.urlsplit(self.upstream)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, body: bytes, headers: List[Tuple[str, str]]) -> None:
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                forward = self.path.startswith(("http://", "https://"))
                if forward:
                    url = urllib.parse.urlsplit(self.path)
                    if url.hostname not in ("127.0.0.1", "localhost"):
                        return self._reply(403, b"loopback only", [])
                    host, port = url.hostname, url.port or 80
                    path = url.path + (f"?{url.query}" if url.query else "")
                else:
                    host, port = target.hostname or "127.0.0.1", target.port or 80
                    if not self.path.startswith(proxy.prefix + "/"):
                        with proxy._lock:
                            proxy.seen.append(Seen(self.command, self.path, {k.lower(): v for k, v in headers.items()}, 404, outside=True))
                        return self._reply(404, b"not found", [("Content-Type", "text/plain")])
                    path = self.path[len(proxy.prefix):]
                seen = Seen(self.command, path, {k.lower(): v for k, v in headers.items()}, forward=forward)
                with proxy._lock:
                    proxy.seen.append(seen)
                if proxy.gate is not None:
                    name, value = proxy.gate
                    given = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
                    if given != value:
                        seen.status = 403
                        return self._reply(403, b'{"detail":"gateway: who are you?"}', [("Content-Type", "application/json")])
                    headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
                with proxy._lock:
                    refused = path.split("?")[0] in proxy.refuse_once
                    if refused:
                        proxy.refuse_once.remove(path.split("?")[0])
                moved = proxy.redirect.get(path.split("?")[0])
                if moved is not None:
                    seen.status = moved[0]
                    return self._reply(moved[0], b"", [("Location", moved[1])])
                if refused:
                    seen.status = 401
                    return self._reply(401, b'{"detail":"refused once by the test proxy"}', [("Content-Type", "application/json")])
                if path.split("?")[0] == REFRESH and self.command == "POST":
                    proxy.refresh_arrived.set()
                    if proxy.hold_refreshes is not None and not proxy.hold_refreshes.wait(20):
                        seen.status = 504
                        return self._reply(504, b"held refresh was never released", [])
                headers = {k: v for k, v in headers.items() if k.lower() != "host"}
                headers["Host"] = f"{host}:{port}"
                conn = http.client.HTTPConnection(host, port, timeout=60)
                try:
                    conn.request(self.command, path, body=body or None, headers=headers)
                    r = conn.getresponse()
                    data = r.read()
                    seen.status = r.status
                    self._reply(r.status, data, r.getheaders())
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _relay

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if self.tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.hold_refreshes is not None:
            self.hold_refreshes.set()
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)
