"""The fleet's Python service: a standard-library HTTP server that authenticates every request
with ``ls_auth.contrib.jwks.JwksVerifier``, holding nothing but the JWK Set's URL.

    python py_service.py JWKS_URL PORT_FILE

It listens on an ephemeral 127.0.0.1 port, writes the port to PORT_FILE, and answers ``GET /``
with 200 ``hello, user ID``, or the refusal's status, the core's ``WWW-Authenticate`` value and
the core's code as the body (as the Rust and C example services do).
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ls_auth
from ls_auth.contrib.jwks import JwksUnavailable, JwksVerifier


def main() -> int:
    url, port_file = sys.argv[1], sys.argv[2]
    keys = JwksVerifier(url)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            challenge = None
            try:
                claims = keys.authenticate(self.headers.get("Authorization"))
                status, body = 200, f"hello, user {claims.user_id}\n"
            except ls_auth.AuthError as e:
                status, body, challenge = e.status, f"{e.code}\n", ls_auth.www_authenticate(e)
            except JwksUnavailable:
                status, body = 503, "key_set_unavailable\n"
            data = body.encode()
            self.send_response(status)
            if challenge:
                self.send_header("WWW-Authenticate", challenge)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # quiet: one line per request is noise
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    print(f"py_service: listening on 127.0.0.1:{server.server_address[1]}, JWK Set {url}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
