"""A scriptable OpenAI-compatible chat completions server on 127.0.0.1.

Built on the standard library's ``http.server``; it answers ``POST
.../chat/completions`` (the OpenAI path ``/v1/chat/completions`` and the Azure
deployment path alike) with proper ``chat.completion`` JSON and ``usage``.
Each test scripts it with a queue of :class:`Reply` values (or plain strings,
the assistant's content) or a function of the request body, and reads back
every request it received.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: assistant content, or an HTTP error, maybe late."""

    content: str | None = None
    status: int = 200
    error_message: str = ""
    error_param: str | None = None
    delay: float = 0.0
    prompt_tokens: int = 100
    completion_tokens: int = 20
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: dict[str, Any]


Script = Callable[[dict[str, Any]], Reply]


class FakeOpenAIServer:
    """The server; use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._replies: deque[Reply] = deque()
        self._script: Script | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def root(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style API root: ``http://127.0.0.1:<port>/v1``."""
        return f"{self.root}/v1"

    def queue(self, *replies: Reply | str) -> None:
        """Answer the next requests with these, in order."""
        with self._lock:
            for reply in replies:
                self._replies.append(
                    Reply(content=reply) if isinstance(reply, str) else reply
                )

    def respond_with(self, script: Script) -> None:
        """Answer every request (after the queue runs dry) with ``script(body)``."""
        self._script = script

    def start(self) -> FakeOpenAIServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; sleeping handlers wake up."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._replies:
                return self._replies.popleft()
        if self._script is not None:
            return self._script(body)
        return Reply(
            status=500, error_message="the fake server has no scripted answer left"
        )

    def _record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)


def completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """A ``chat.completion`` object answering ``body`` with ``reply``."""
    return {
        "id": f"chatcmpl-fake-{id(reply)}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": f"{body.get('model', 'unknown')}-served",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            body = json.loads(raw or b"{}")
            server._record(
                Received(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
            )
            if not self.path.split("?", 1)[0].endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}}, {})
                return

            reply = server._next_reply(body)
            if reply.delay and server._stopping.wait(reply.delay):
                return
            if reply.status == 200:
                self._send(200, completion(body, reply), reply.headers)
            else:
                error = {
                    "message": reply.error_message,
                    "type": "invalid_request_error"
                    if reply.status < 500
                    else "server_error",
                    "param": reply.error_param,
                    "code": None,
                }
                self._send(reply.status, {"error": error}, reply.headers)

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str]
        ) -> None:
            data = json.dumps(payload).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler
