"""A stand-in API for the App Runner serving tests.

``python echo_env_app.py PORT NAME...`` listens on 127.0.0.1:PORT and answers every GET with
a JSON object of the named environment variables.
"""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

NAMES = sys.argv[2:]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({name: os.environ.get(name) for name in NAMES}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
