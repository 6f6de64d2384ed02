"""Helpers shared by the spec tests: counting operations, loopback HTTP servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def count_operations(raw: dict[str, Any]) -> int:
    """Count the method keys of each path item, following path-item ``$ref``s.

    Written independently of the importer, so the two can check each other.
    """
    count = 0
    for item in raw.get("paths", {}).values():
        while "$ref" in item:  # a path item may point at another one
            node: Any = raw
            for part in item["$ref"].lstrip("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            item = node
        count += sum(1 for key in item if key in METHODS)
    return count


@contextmanager
def loopback_server(
    handler: Callable[..., BaseHTTPRequestHandler],
) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
