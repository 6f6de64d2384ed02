"""``expect.schema`` checks the response's Content-Type against the documented media types.

A loopback server answers every request with the status, Content-Type and
body the request asks for (``X-Status``, ``X-Content-Type``, ``X-Body``), so
each test states the server's answer in its steps and the description it is
judged against.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chapi.runner import Outcome, PackFile, execute_pack
from chapi.runner.schemas import ResponseSchemas, media_type_covers, parse_media_type
from chapi.specs.model import ApiModel
from chapi.specs.normalize import to_api_model

THING = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "integer"}},
}


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers with the status, Content-Type and body named in the request headers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        status = int(self.headers.get("X-Status", "200"))
        body = (
            b"" if status == 204 else self.headers.get("X-Body", '{"id": 1}').encode()
        )
        self.send_response(status)
        content_type = self.headers.get("X-Content-Type")
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_DELETE = _answer


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    """The echo server on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _oas3(responses: dict[str, Any], method: str = "get") -> ApiModel:
    return to_api_model(
        {
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/things": {method: {"responses": responses}}},
        }
    )


def _json_response(*media_types: str) -> dict[str, Any]:
    return {
        "description": "ok",
        "content": {t: {"schema": THING} for t in media_types},
    }


def _run(
    api: ApiModel,
    base_url: str,
    content_type: str | None,
    *,
    status: int = 200,
    method: str = "GET",
    schema: bool = True,
    body: str | None = None,
) -> Outcome:
    headers = {"X-Status": str(status)}
    if content_type is not None:
        headers["X-Content-Type"] = content_type
    if body is not None:
        headers["X-Body"] = body
    expect: dict[str, Any] = {"status": [status]}
    if schema:
        expect["schema"] = True
    step = {
        "name": "answer",
        "operation": f"{method} /things",
        "request": {"method": method, "path": "/things", "headers": headers},
        "expect": expect,
    }
    pack = [PackFile("t.json", json.dumps({"jsonir": 1, "name": "t", "steps": [step]}))]
    return execute_pack(pack, api=api, base_url=base_url)


def _message(outcome: Outcome) -> str:
    [case] = outcome.results
    return case.message or ""


@pytest.mark.parametrize(
    ("accepted", "refused"),
    [
        ("application/json", "text/plain"),
        ("application/json; charset=utf-8", "text/plain; charset=utf-8"),
        ("Application/JSON;charset=UTF-8", "Text/Plain;charset=UTF-8"),
    ],
)
def test_documented_type_with_parameters_and_any_case_passes(
    echo_url: str, accepted: str, refused: str
) -> None:
    """Parameters such as charset are ignored and case does not matter, yet the type is checked."""
    api = _oas3({"200": _json_response("application/json")})

    outcome = _run(api, echo_url, accepted)

    assert outcome.passed, _message(outcome)
    assert not _run(api, echo_url, refused).passed


def test_undocumented_type_fails_naming_both(echo_url: str) -> None:
    """A JSON body labelled text/plain fails, and the message names what came and what is documented."""
    api = _oas3({"200": _json_response("application/json")})

    outcome = _run(api, echo_url, "text/plain; charset=utf-8")

    assert not outcome.passed
    message = _message(outcome)
    assert "text/plain; charset=utf-8" in message
    assert "application/json" in message
    assert "schema" not in message  # the body itself conforms


def test_structured_suffix_is_not_its_base_type(echo_url: str) -> None:
    """``application/problem+json`` is not accepted where only ``application/json`` is documented."""
    api = _oas3({"200": _json_response("application/json")})

    assert not _run(api, echo_url, "application/problem+json").passed
    documented = _oas3(
        {"200": _json_response("application/json", "application/problem+json")}
    )
    assert _run(documented, echo_url, "application/problem+json").passed


@pytest.mark.parametrize(
    ("documented", "accepted", "refused"),
    [
        ("application/*", "application/vnd.things+json", "text/plain"),
        ("*/*", "text/plain", None),  # None: no Content-Type at all
        ("application/*+json", "application/problem+json", "application/json"),
        ("text/*", "text/plain; charset=utf-8", "application/json"),
    ],
)
def test_wildcard_documented_types(
    echo_url: str, documented: str, accepted: str, refused: str | None
) -> None:
    """A documented wildcard admits what it names and nothing more."""
    api = _oas3({"200": _json_response(documented)})

    outcome = _run(api, echo_url, accepted)

    assert outcome.passed, _message(outcome)
    assert documented in _message(_run(api, echo_url, refused))


def test_default_response_documents_the_types_of_other_statuses(echo_url: str) -> None:
    """An undocumented status is judged by the ``default`` response's media types."""
    api = _oas3(
        {
            "200": _json_response("application/json"),
            "default": _json_response("application/problem+json"),
        }
    )

    assert _run(api, echo_url, "application/problem+json", status=500).passed
    outcome = _run(api, echo_url, "application/json", status=500)
    assert not outcome.passed
    assert "application/problem+json" in _message(outcome)


def test_response_without_body_is_not_checked(echo_url: str) -> None:
    """A 204, and the answer to HEAD, carry no body: no Content-Type is needed."""
    no_content = _oas3({"204": {"description": "gone"}}, method="delete")
    head = _oas3({"200": _json_response("application/json")}, method="head")

    assert _run(no_content, echo_url, None, status=204, method="DELETE").passed
    assert _run(head, echo_url, "text/plain", method="HEAD").passed


def test_body_without_content_type_fails(echo_url: str) -> None:
    """A body that comes with no Content-Type at all does not conform."""
    api = _oas3({"200": _json_response("application/json")})

    outcome = _run(api, echo_url, None)

    assert not outcome.passed
    assert "no Content-Type" in _message(outcome)


def test_only_steps_with_a_schema_check_look_at_the_type(echo_url: str) -> None:
    """Without ``expect.schema`` the media type is not judged."""
    api = _oas3({"200": _json_response("application/json")})

    assert _run(api, echo_url, "text/plain", schema=False).passed


def test_non_json_body_reports_the_type_too(echo_url: str) -> None:
    """An HTML page where JSON is documented names the wrong type, not only the parse error."""
    api = _oas3({"200": _json_response("application/json")})

    outcome = _run(api, echo_url, "text/html", body="<html></html>")

    assert "text/html" in _message(outcome)
    assert "not valid JSON" in _message(outcome)


def _swagger(produces: list[str] | None, own: list[str] | None) -> ApiModel:
    operation: dict[str, Any] = {
        "responses": {"200": {"description": "ok", "schema": THING}}
    }
    if own is not None:
        operation["produces"] = own
    document: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"get": operation}},
    }
    if produces is not None:
        document["produces"] = produces
    return to_api_model(document)


def test_swagger_document_level_produces(echo_url: str) -> None:
    """2.0: the document's ``produces`` applies to an operation without its own."""
    api = _swagger(["application/json"], None)

    assert _run(api, echo_url, "application/json; charset=utf-8").passed
    outcome = _run(api, echo_url, "text/plain")
    assert not outcome.passed
    assert "application/json" in _message(outcome)


def test_swagger_operation_produces_overrides_the_document(echo_url: str) -> None:
    """2.0: an operation's ``produces`` replaces the document's."""
    api = _swagger(["application/json"], ["application/vnd.things+json"])

    assert _run(api, echo_url, "application/vnd.things+json").passed
    outcome = _run(api, echo_url, "application/json")
    assert not outcome.passed
    assert "application/vnd.things+json" in _message(outcome)


def test_swagger_without_produces_documents_no_type(echo_url: str) -> None:
    """2.0 without any ``produces`` documents no media type, so none is refused."""
    api = _swagger(None, None)

    assert _run(api, echo_url, "text/plain").passed


def test_response_without_content_documents_no_type(echo_url: str) -> None:
    """3.x: a response without ``content`` names no media type to hold a body to."""
    api = _oas3({"200": {"description": "ok"}})

    assert _run(api, echo_url, "text/plain").passed


def test_media_types_are_looked_up_once_per_operation_and_status() -> None:
    """The documented types are read once; later changes to the document are not seen."""
    api = _swagger(["application/json"], None)
    operation = api.operation("GET /things")
    assert operation is not None
    schemas = ResponseSchemas(api)

    first = schemas.check_media_type(operation, 200, "text/plain")
    api.document["produces"] = ["text/plain"]

    assert first != []
    assert schemas.check_media_type(operation, 200, "text/plain") == first
    assert ResponseSchemas(api).check_media_type(operation, 200, "text/plain") == []


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("application/json", ("application", "json")),
        (" Text/HTML ; charset=latin-1", ("text", "html")),
        ("json", None),
        ("application/json, text/plain", None),
        ("/json", None),
    ],
)
def test_parse_media_type(text: str, parsed: tuple[str, str] | None) -> None:
    """Type and subtype, lower-cased and without parameters; malformed gives None."""
    assert parse_media_type(text) == parsed


def test_media_type_covers_wildcards_only_where_written() -> None:
    """``*`` admits anything in its place; a suffix wildcard needs the suffix."""
    assert media_type_covers(("*", "*"), ("image", "png"))
    assert media_type_covers(("text", "*"), ("text", "csv"))
    assert not media_type_covers(("text", "*"), ("image", "png"))
    assert not media_type_covers(("application", "json"), ("application", "ld+json"))
    assert not media_type_covers(("application", "*+json"), ("application", "+json"))
