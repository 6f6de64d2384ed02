"""Shared fixtures for the generation tests: a hand-built API and a recording server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chapi.specs.model import (
    ApiModel,
    MediaSchema,
    Operation,
    Parameter,
    RequestBody,
    Response,
    SecurityScheme,
)

PET_REF = {"$ref": "#/components/schemas/Pet"}
NEW_PET_REF = {"$ref": "#/components/schemas/NewPet"}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Pets", "version": "1"},
    "paths": {},
    "components": {
        "schemas": {
            "NewPet": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 40},
                    "tag": {"type": "string", "enum": ["cat", "dog"]},
                    "age": {"type": "integer", "minimum": 0, "maximum": 40},
                },
            },
            "Pet": {
                "allOf": [
                    NEW_PET_REF,
                    {
                        "type": "object",
                        "required": ["id"],
                        "properties": {"id": {"type": "integer", "readOnly": True}},
                    },
                ]
            },
        },
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
}


def _json(schema: dict[str, Any]) -> tuple[MediaSchema, ...]:
    return (MediaSchema(media_type="application/json", schema=schema),)


def petstore() -> ApiModel:
    """A small pets API secured by a bearer token, built by hand."""
    pet_id = Parameter(
        name="petId", location="path", required=True, schema={"type": "integer"}
    )
    limit = Parameter(
        name="limit",
        location="query",
        required=False,
        schema={"type": "integer", "maximum": 100},
    )
    body = RequestBody(required=True, contents=_json(NEW_PET_REF))
    secured = (("bearerAuth",),)
    ops = (
        Operation(
            method="GET",
            path="/health",
            summary="Health",
            responses=(Response(status="200"),),
        ),
        Operation(
            method="GET",
            path="/pets",
            summary="List pets",
            tags=("pets",),
            parameters=(limit,),
            responses=(
                Response(
                    status="200", contents=_json({"type": "array", "items": PET_REF})
                ),
            ),
            security=secured,
        ),
        Operation(
            method="POST",
            path="/pets",
            summary="Create a pet",
            tags=("pets",),
            request_body=body,
            responses=(
                Response(status="201", contents=_json(PET_REF)),
                Response(status="400"),
            ),
            security=secured,
        ),
        Operation(
            method="GET",
            path="/pets/{petId}",
            summary="Get a pet",
            tags=("pets",),
            parameters=(pet_id,),
            responses=(
                Response(status="200", contents=_json(PET_REF)),
                Response(status="404"),
            ),
            security=secured,
        ),
        Operation(
            method="PUT",
            path="/pets/{petId}",
            summary="Replace a pet",
            tags=("pets",),
            parameters=(pet_id,),
            request_body=body,
            responses=(Response(status="200", contents=_json(PET_REF)),),
            security=secured,
        ),
        Operation(
            method="DELETE",
            path="/pets/{petId}",
            summary="Delete a pet",
            tags=("pets",),
            parameters=(pet_id,),
            responses=(Response(status="204"),),
            security=secured,
        ),
    )
    return ApiModel(
        spec_version="3.0",
        title="Pets",
        operations=ops,
        security_schemes={
            "bearerAuth": SecurityScheme(name="bearerAuth", kind="bearer")
        },
        document=DOCUMENT,
    )


@dataclass
class Recorder:
    """What the recording server saw."""

    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    base_url: str = ""


SLOW_PREFIX = "/slow"
"""Requests to paths starting with this are answered after :data:`SLOW_SECONDS`."""
SLOW_SECONDS = 0.3


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.recorder.requests.append(
            (
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
        )
        if self.path.startswith(SLOW_PREFIX):
            time.sleep(SLOW_SECONDS)
        payload = json.dumps({"id": 1, "name": "x"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Served-By", "Chapi-Test")
        self.send_header("X-Tag", "one")
        self.send_header("X-Tag", "Two")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.recorder = Recorder()


@contextmanager
def recording_server() -> Iterator[Recorder]:
    """A loopback HTTP server answering 200 with a small JSON body and recording every request.

    Every answer carries ``Content-Type: application/json``, ``X-Served-By:
    Chapi-Test`` and two ``X-Tag`` headers (``one`` and ``Two``); paths under
    :data:`SLOW_PREFIX` are answered :data:`SLOW_SECONDS` late.
    """
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.recorder.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server.recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
