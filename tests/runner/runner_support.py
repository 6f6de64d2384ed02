"""Servers shared by runner tests that need a request to hang on purpose."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class HangingServer(ThreadingHTTPServer):
    """Answers ``[]`` at once, except ``/hang...``, held open until ``release`` is set.

    ``hanging`` is set once a request reached ``/hang``, so a test can wait
    until a run is really blocked before it interrupts or kills it.
    """

    daemon_threads = True

    def __init__(self) -> None:
        self.hanging = threading.Event()
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), _HangingHandler)


class _HangingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HangingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/hang"):
            self.server.hanging.set()
            self.server.release.wait(60)
            self.close_connection = True
            return
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def hanging_server() -> Iterator[HangingServer]:
    """A :class:`HangingServer` serving in a thread until the block ends."""
    instance = HangingServer()
    thread = threading.Thread(target=instance.serve_forever, daemon=True)
    thread.start()
    try:
        yield instance
    finally:
        instance.release.set()
        instance.shutdown()
        instance.server_close()
