"""A small HTTP server on 127.0.0.1 for connector tests: it records every request and answers
from a script, or like a tiny Mastodon / WordPress / ad platform.

    with Loopback() as server:
        server.script("POST", "/hook", [Reply(503), Reply(503), Reply(200, {"ok": True})])
        ...                                  # the last reply repeats once the script is spent
        [first, *_] = server.requests        # method, path, query, headers, json

    with Loopback() as server:
        masto = Mastodon(server, token="t0ken")   # honours Idempotency-Key like the real one

Handlers run on the server's threads; a `delay` is cut short when the server stops.

A test whose server is a few lines of `do_GET` serves its own `PageHandler` subclass instead:

    with serving(Handler) as port:
        ...                                  # http://127.0.0.1:{port}/...
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any = None


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes = b""
    delay: float = 0.0  # seconds before answering (to force a client timeout)
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request, re.Match[str]], Reply]


class _QuietServer(ThreadingHTTPServer):
    """A client killed mid-request (the crash tests) resets its connection: not an error here."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class PageHandler(BaseHTTPRequestHandler):
    """A plain `http.server` handler, quiet, with one call that sends a whole body."""

    def send_body(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """`handler` served on 127.0.0.1 from a thread of its own: yields the port; stops it after."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class Loopback:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- programming it ---------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler, *, first: bool = False) -> None:
        """`pattern` is a regex matched against the whole path (query string excluded); the first
        matching route answers (`first=True` puts this one before those already there)."""
        entry = (method.upper(), re.compile(pattern), handler)
        self._routes.insert(0, entry) if first else self._routes.append(entry)

    def script(self, method: str, path: str, replies: list[Reply]) -> None:
        """Answer `method path` with these replies in turn; the last one repeats."""
        pending = iter(replies)
        last = [replies[-1]]

        def next_reply(request: Request, match: re.Match[str]) -> Reply:
            with self._lock:
                last[0] = next(pending, last[0])
                return last[0]

        self.route(method, re.escape(path), next_reply)

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path == path)
        ]

    # -- serving ----------------------------------------------------------------------------------
    def __enter__(self) -> Loopback:
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(body) if body else None
                except ValueError:
                    payload = None
                request = Request(
                    method=self.command,
                    path=parsed.path,
                    query={k: v[0] for k, v in parse_qs(parsed.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    json=payload,
                )
                with loopback._lock:
                    loopback.requests.append(request)
                reply = loopback._dispatch(request)
                if reply.delay and loopback._stopping.wait(reply.delay):
                    return
                data = json.dumps(reply.json).encode() if reply.json is not None else reply.body
                try:
                    self.send_response(reply.status)
                    content_type = "application/json" if reply.json is not None else "text/plain"
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _dispatch(self, request: Request) -> Reply:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                try:
                    return handler(request, match)
                except Exception as exc:  # a bug in a test handler: say so, as a 500
                    return Reply(500, {"error": f"test handler failed: {exc!r}"})
        return Reply(404, {"error": f"no route for {request.method} {request.path}"})


class Mastodon:
    """Just enough of Mastodon's API, with its Idempotency-Key rule: a POST repeating a key gets
    the first answer again and changes nothing."""

    def __init__(self, server: Loopback, token: str = "t0ken"):
        self.server, self.token = server, token
        self.statuses: dict[str, dict[str, Any]] = {}
        self.favourites: set[str] = set()
        self.reblogs: set[str] = set()
        self.follows: set[str] = set()
        self.accounts = {"brand": "1", "friend@other.test": "42"}  # known to this server
        self.remote_accounts = {"@far@away.test": "77"}  # found only by a resolving search
        self.remote_statuses = {"https://other.test/@friend/999": "555"}
        self._ids = itertools.count(110_000_000_000_000_001)
        self._seen: dict[tuple[str, str], Reply] = {}
        routes: list[tuple[str, str, Handler]] = [
            ("POST", r"/api/v1/statuses", self._post_status),
            ("DELETE", r"/api/v1/statuses/(\w+)", self._delete_status),
            ("POST", r"/api/v1/statuses/(\w+)/(favourite|unfavourite|reblog|unreblog)", self._act),
            ("POST", r"/api/v1/accounts/(\w+)/(follow|unfollow)", self._act),
            ("GET", r"/api/v1/accounts/lookup", self._lookup),
            ("GET", r"/api/v2/search", self._search),
        ]
        for method, pattern, handler in routes:
            server.route(method, pattern, self._guarded(handler))

    def _guarded(self, handler: Handler) -> Handler:
        def guarded(request: Request, match: re.Match[str]) -> Reply:
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return Reply(401, {"error": "The access token is invalid"})
            key = request.headers.get("idempotency-key")
            if request.method != "POST" or not key:
                return handler(request, match)
            with self.server._lock:
                seen = self._seen.get((request.path, key))
            if seen is not None:
                return seen
            reply = handler(request, match)
            with self.server._lock:
                self._seen[(request.path, key)] = reply
            return reply

        return guarded

    def _post_status(self, request: Request, match: re.Match[str]) -> Reply:
        text = (request.json or {}).get("status", "")
        if len(text) > 500:
            return Reply(422, {"error": "Validation failed: Text character limit of 500 exceeded"})
        status_id = str(next(self._ids))
        url = f"{self.server.url}/@brand/{status_id}"
        self.statuses[status_id] = {"id": status_id, "url": url, "content": text}
        return Reply(200, self.statuses[status_id])

    def _delete_status(self, request: Request, match: re.Match[str]) -> Reply:
        status = self.statuses.pop(match.group(1), None)
        return Reply(200, status) if status else Reply(404, {"error": "Record not found"})

    def _act(self, request: Request, match: re.Match[str]) -> Reply:
        target, verb = match.group(1), match.group(2)
        store = {"favourite": self.favourites, "reblog": self.reblogs, "follow": self.follows}[
            verb.removeprefix("un")
        ]
        if verb.startswith("un"):
            store.discard(target)
        else:
            store.add(target)
        return Reply(200, {"id": target, verb.removeprefix("un") + "d": not verb.startswith("un")})

    def _lookup(self, request: Request, match: re.Match[str]) -> Reply:
        acct = request.query.get("acct", "")
        if acct in self.accounts:
            return Reply(200, {"id": self.accounts[acct], "acct": acct})
        return Reply(404, {"error": "Record not found"})

    def _search(self, request: Request, match: re.Match[str]) -> Reply:
        q, resolve = request.query.get("q", ""), request.query.get("resolve") == "true"
        found: dict[str, list[dict[str, str]]] = {"accounts": [], "statuses": []}
        if resolve and q in self.remote_accounts:
            found["accounts"].append({"id": self.remote_accounts[q], "acct": q.lstrip("@")})
        if resolve and q in self.remote_statuses:
            found["statuses"].append({"id": self.remote_statuses[q], "url": q})
        return Reply(200, found)


class WordPress:
    """Pages by slug, behind HTTP basic auth with an application password."""

    def __init__(
        self,
        server: Loopback,
        user: str = "editor",
        password: str = "abcd efgh",
        *,
        flaky_creates: int = 0,
    ):
        self.pages: dict[int, dict[str, Any]] = {}
        self.flaky_creates = flaky_creates  # this many creates save the page, then answer 503
        self._ids = itertools.count(7)
        self._auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        base = r"/wp-json/wp/v2/pages"
        server.route("GET", base, self._guarded(self._find))
        server.route("POST", base, self._guarded(self._create))
        server.route("POST", base + r"/(\d+)", self._guarded(self._update))

    def _guarded(self, handler: Handler) -> Handler:
        def guarded(request: Request, match: re.Match[str]) -> Reply:
            if request.headers.get("authorization") != self._auth:
                return Reply(
                    401,
                    {
                        "code": "rest_cannot_create",
                        "message": "Sorry, you are not allowed to create posts as this user.",
                        "data": {"status": 401},
                    },
                )
            return handler(request, match)

        return guarded

    def _find(self, request: Request, match: re.Match[str]) -> Reply:
        slug = request.query.get("slug")
        return Reply(200, [p for p in self.pages.values() if p["slug"] == slug])

    def _create(self, request: Request, match: re.Match[str]) -> Reply:
        page_id = next(self._ids)
        self.pages[page_id] = {"id": page_id, "link": f"https://blog.test/?p={page_id}"}
        reply = self._update(request, match, page_id)
        if self.flaky_creates:
            self.flaky_creates -= 1
            return Reply(503, {"code": "busy", "message": "The server is busy."})
        reply.status = 201
        return reply

    def _update(self, request: Request, match: re.Match[str], page_id: int = 0) -> Reply:
        page_id = page_id or int(match.group(1))
        if page_id not in self.pages:
            return Reply(404, {"code": "rest_post_invalid_id", "message": "Invalid post ID."})
        fields = request.json or {}
        self.pages[page_id].update({k: v for k, v in fields.items() if k != "id"})
        return Reply(200, self.pages[page_id])
