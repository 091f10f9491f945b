"""Local fake shops for the connector tests: small HTTP servers on 127.0.0.1, each in a
thread, answering with the request and response shapes the real APIs document (Shopify's
Admin GraphQL API, WooCommerce's REST API v3). No test reaches the internet."""

import datetime
import email.utils
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    method: str
    path: str
    params: dict  # query parameters: name -> last value
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: object = None  # JSON-encoded unless bytes
    headers: dict = field(default_factory=dict)


class Clock:
    """The fake shop's time: it moves only when a test moves it or the connector's injected
    sleep waits, so throttling and incremental loads are exact and instant."""

    def __init__(self, start=datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)):
        self.now = start
        self.waits = []

    def sleep(self, seconds):
        """The connector's `sleep`: records the wait and lets the shop's time pass."""
        self.waits.append(seconds)
        self.now += datetime.timedelta(seconds=seconds)

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


class FakeServer:
    """Serve `app(Request) -> Response` on a free port of 127.0.0.1 until stop()."""

    def __init__(self, app):
        self.app = app
        handler = type("Handler", (_Handler,), {"app": app})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    app = None
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        parts = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=parts.path,
            params=dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        response = self.app(request)
        body = (
            response.body
            if isinstance(response.body, bytes)
            else json.dumps(response.body).encode()
        )
        self.send_response(response.status)
        headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def date_time_string(self, timestamp=None):
        """The Date header: the shop's (fake) clock, which incremental loads read."""
        return email.utils.format_datetime(self.app.clock.now, usegmt=True)

    def log_message(self, *args):
        pass  # the fakes keep their own request log
