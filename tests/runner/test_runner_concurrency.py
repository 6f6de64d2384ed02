"""Files run concurrently up to the limit, over one pooled, kept-alive client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chapi.runner import PackFile, execute_pack


class _CountingServer(ThreadingHTTPServer):
    """Records requests in flight at once and the client ports seen."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0
        self.ports: list[int] = []
        self.paths: list[str] = []


class _CountingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _CountingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.most = max(server.most, server.in_flight)
            server.ports.append(self.client_address[1])
            server.paths.append(self.path)
        time.sleep(0.15)
        with server.lock:
            server.in_flight -= 1
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def counting() -> Iterator[_CountingServer]:
    """A server that notes concurrency and connections, on 127.0.0.1."""
    server = _CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _file(name: str, paths: list[str]) -> PackFile:
    steps = [
        {"name": p, "request": {"method": "GET", "path": p}, "expect": {}}
        for p in paths
    ]
    return PackFile(name, json.dumps({"jsonir": 1, "name": name, "steps": steps}))


def _url(server: _CountingServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_files_run_concurrently_up_to_the_limit(counting: _CountingServer) -> None:
    """Eight files at concurrency 3: three requests in flight, over three pooled connections."""
    pack = [_file(f"f{i}.json", [f"/f{i}"]) for i in range(8)]

    outcome = execute_pack(pack, api=None, base_url=_url(counting), concurrency=3)

    assert outcome.passed
    assert counting.most == 3
    assert len(set(counting.ports)) == 3


def test_steps_of_a_file_run_in_order(counting: _CountingServer) -> None:
    """Within one file, a step starts only after the previous one ended."""
    paths = [f"/step/{i}" for i in range(5)]

    outcome = execute_pack(
        [_file("f.json", paths)], api=None, base_url=_url(counting), concurrency=8
    )

    assert outcome.passed
    assert counting.paths == paths
    assert counting.most == 1


def test_one_kept_alive_connection_serves_a_sequential_file(
    counting: _CountingServer,
) -> None:
    """Sequential steps reuse one pooled connection instead of opening new ones."""
    paths = [f"/again/{i}" for i in range(6)]

    outcome = execute_pack(
        [_file("f.json", paths)], api=None, base_url=_url(counting), concurrency=1
    )

    assert outcome.passed
    assert len(set(counting.ports)) == 1
