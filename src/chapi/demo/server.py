"""A small pets API served by the standard library, for examples, tests and benchmarks.

Routes (all JSON; every route but ``/health`` and ``/openapi.json`` needs
``Authorization: Bearer <token>``):

* ``GET /health``: ``{"status": "ok"}``.
* ``GET /openapi.json``: the OpenAPI 3.1 description.
* ``GET /pets`` (``limit``, ``status`` query), ``POST /pets``.
* ``GET``, ``PUT``, ``PATCH``, ``DELETE /pets/{petId}``.

Bodies are validated against the description's schemas: a body that is not
JSON gets 400, one that breaks the schema gets 422, an unknown pet 404. The
store is in memory and guarded by a lock. Connections are kept alive
(HTTP/1.1), one thread per connection.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jsonschema import Draft202012Validator

from .openapi import openapi_document

__all__ = ["DemoServer", "PetStore"]

logger = logging.getLogger(__name__)

_MAX_BODY = 1_048_576
_STATUSES = ("available", "pending", "sold")


class PetStore:
    """The thread-safe in-memory store behind the demo API."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pets: dict[int, dict[str, Any]] = {}
        self._next = 1

    def list(
        self, *, limit: int | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Pets oldest first, optionally filtered by status and cut to ``limit``."""
        with self._lock:
            pets = [
                dict(p) for p in self._pets.values() if status in (None, p["status"])
            ]
        return pets[:limit] if limit is not None else pets

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        """Store a new pet and return it with its id."""
        with self._lock:
            pet = {
                "id": self._next,
                "name": data["name"],
                "tag": data.get("tag"),
                "status": data.get("status", "available"),
            }
            self._pets[self._next] = pet
            self._next += 1
            return dict(pet)

    def get(self, pet_id: int) -> dict[str, Any] | None:
        """The pet with ``pet_id``, or ``None``."""
        with self._lock:
            pet = self._pets.get(pet_id)
            return dict(pet) if pet else None

    def replace(self, pet_id: int, data: dict[str, Any]) -> dict[str, Any] | None:
        """Replace every field of a pet; ``None`` when it does not exist."""
        with self._lock:
            if pet_id not in self._pets:
                return None
            pet = {
                "id": pet_id,
                "name": data["name"],
                "tag": data.get("tag"),
                "status": data.get("status", "available"),
            }
            self._pets[pet_id] = pet
            return dict(pet)

    def update(self, pet_id: int, data: dict[str, Any]) -> dict[str, Any] | None:
        """Change the given fields of a pet; ``None`` when it does not exist."""
        with self._lock:
            pet = self._pets.get(pet_id)
            if pet is None:
                return None
            pet.update(data)
            return dict(pet)

    def delete(self, pet_id: int) -> bool:
        """Remove a pet; false when it did not exist."""
        with self._lock:
            return self._pets.pop(pet_id, None) is not None


def _validator(name: str, document: dict[str, Any]) -> Draft202012Validator:
    root = {
        "$ref": f"#/components/schemas/{name}",
        "components": document["components"],
    }
    return Draft202012Validator(root)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the second
    # waits for the client's delayed ACK on every kept-alive request.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("demo %s %s", self.address_string(), format % args)

    def _send(
        self, status: int, payload: Any = None, extra: dict[str, str] | None = None
    ) -> None:
        body = (
            b""
            if payload is None
            else json.dumps(payload, separators=(",", ":")).encode()
        )
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(
        self, status: int, message: str, details: list[str] | None = None
    ) -> None:
        payload: dict[str, Any] = {"error": message}
        if details:
            payload["details"] = details
        extra = {"WWW-Authenticate": 'Bearer realm="pets"'} if status == 401 else None
        self._send(status, payload, extra)

    def _body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            size = int(length)
        except ValueError:
            return None
        if size < 0 or size > _MAX_BODY:
            return None
        return self.rfile.read(size)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.server.token.encode()
        )

    def _json_body(self, raw: bytes, schema: str) -> dict[str, Any] | None:
        try:
            data = json.loads(raw)
        except ValueError:
            self._error(400, "the body is not valid JSON")
            return None
        errors = sorted(self.server.validators[schema].iter_errors(data), key=str)
        if errors:
            details = [
                "/" + "/".join(str(p) for p in e.absolute_path) + f": {e.message}"
                for e in errors[:10]
            ]
            self._error(422, f"the body is not a valid {schema}", details)
            return None
        return data if isinstance(data, dict) else None

    def _dispatch(self) -> None:
        self.server.count()
        raw = self._body()
        if raw is None:
            self.close_connection = True
            self._error(400, "bad Content-Length")
            return
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        method = self.command

        if path == "/health" and method == "GET":
            self._send(200, {"status": "ok"})
            return
        if path == "/openapi.json" and method == "GET":
            self._send(200, self.server.document)
            return
        if path != "/pets" and not path.startswith("/pets/"):
            self._error(404, f"no route {path}")
            return
        if not self._authorized():
            self._error(401, "a valid bearer token is required")
            return
        if path == "/pets":
            self._pets(method, parse_qs(url.query), raw)
            return
        segment = path[len("/pets/") :]
        if not segment.isdigit() or int(segment) < 1:
            self._error(404, f"no pet {segment!r}")
            return
        self._pet(method, int(segment), raw)

    def _pets(self, method: str, query: dict[str, list[str]], raw: bytes) -> None:
        store = self.server.store
        if method == "GET":
            limit: int | None = None
            if "limit" in query:
                text = query["limit"][0]
                if not text.isdigit() or not 1 <= int(text) <= 100:
                    self._error(400, "limit must be an integer from 1 to 100")
                    return
                limit = int(text)
            status = query.get("status", [None])[0]
            if status is not None and status not in _STATUSES:
                self._error(400, f"status must be one of {', '.join(_STATUSES)}")
                return
            self._send(200, store.list(limit=limit, status=status))
        elif method == "POST":
            data = self._json_body(raw, "NewPet")
            if data is not None:
                pet = store.create(data)
                self._send(201, pet, {"Location": f"/pets/{pet['id']}"})
        else:
            self._error(405, f"{method} is not allowed on /pets")

    def _pet(self, method: str, pet_id: int, raw: bytes) -> None:
        store = self.server.store
        if method == "GET":
            pet = store.get(pet_id)
        elif method in ("PUT", "PATCH"):
            schema = "NewPet" if method == "PUT" else "PetPatch"
            data = self._json_body(raw, schema)
            if data is None:
                return
            pet = (
                store.replace(pet_id, data)
                if method == "PUT"
                else store.update(pet_id, data)
            )
        elif method == "DELETE":
            if store.delete(pet_id):
                self._send(204)
            else:
                self._error(404, f"no pet {pet_id}")
            return
        else:
            self._error(405, f"{method} is not allowed on /pets/{{petId}}")
            return
        if pet is None:
            self._error(404, f"no pet {pet_id}")
        else:
            self._send(200, pet)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], token: str) -> None:
        super().__init__(address, _Handler)
        self.token = token
        self.store = PetStore()
        host, port = self.server_address[:2]
        self.document = openapi_document(f"http://{host!s}:{port}")
        self.validators = {
            name: _validator(name, self.document) for name in ("NewPet", "PetPatch")
        }
        self._count_lock = threading.Lock()
        self.requests_served = 0

    def count(self) -> None:
        with self._count_lock:
            self.requests_served += 1


class DemoServer:
    """The demo pets API running in a background thread.

    Use it as a context manager::

        with DemoServer(token="secret") as server:
            print(server.base_url)  # http://127.0.0.1:54321

    Args:
        token: the bearer token every pets route requires.
        host: the address to listen on (loopback by default).
        port: the port; ``0`` picks a free one.
    """

    def __init__(
        self, token: str = "demo-token", *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if not token:
            raise ValueError("the demo server needs a non-empty bearer token")
        self._server = _Server((host, port), token)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def store(self) -> PetStore:
        """The server's pet store."""
        return self._server.store

    @property
    def requests_served(self) -> int:
        """How many requests the server has answered so far."""
        return self._server.requests_served

    def start(self) -> DemoServer:
        """Start serving in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="chapi-demo",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
