"""Credentials per security scheme, and response schemas per OpenAPI dialect.

httpbin (under waitress on 127.0.0.1) echoes what it receives, so each test
reads back the headers, query and cookies a step sent. The API description
is an OpenAPI 3.0 (or 3.1) document written here for httpbin's echo routes.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from chapi.runner import PackFile, execute_pack
from chapi.runner.credentials import INVALID_VALUE
from chapi.specs import to_api_model
from chapi.specs.model import ApiModel

SECRETS = {
    "BEARERAUTH_TOKEN": "bearer-Token-31337",
    "HEADERKEY_API_KEY": "header-Key-424242",
    "COOKIEKEY_API_KEY": "cookie-Key-565656",
    "QUERYKEY_API_KEY": "query-Key-787878",
    "BASICAUTH_USERNAME": "carol",
    "PASSWORD": "basic-Pass:word/9",
}

_ECHO = {"$ref": "#/components/schemas/Echo"}


def _get(security: list[dict[str, list[str]]]) -> dict[str, Any]:
    return {
        "get": {
            "security": security,
            "responses": {
                "200": {
                    "description": "What httpbin received",
                    "content": {"application/json": {"schema": _ECHO}},
                }
            },
        }
    }


DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "httpbin echo routes", "version": "1"},
    "paths": {
        "/anything/bearer": _get([{"bearerAuth": []}]),
        "/anything/header": _get([{"headerKey": []}]),
        "/anything/query": _get([{"queryKey": []}]),
        "/anything/basic": _get([{"basicAuth": []}]),
        "/anything/both": _get([{"headerKey": [], "queryKey": []}]),
        "/cookies": {
            "get": {
                "security": [{"cookieKey": []}],
                "responses": {
                    "200": {
                        "description": "The cookies received",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["cookies"],
                                    "properties": {"cookies": {"type": "object"}},
                                }
                            }
                        },
                    }
                },
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "basicAuth": {"type": "http", "scheme": "basic"},
            "headerKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "queryKey": {"type": "apiKey", "in": "query", "name": "key"},
            "cookieKey": {"type": "apiKey", "in": "cookie", "name": "session_id"},
        },
        "schemas": {
            "Echo": {
                "type": "object",
                "required": ["headers", "args", "json"],
                "properties": {
                    "headers": {"type": "object"},
                    "args": {"type": "object"},
                    "json": {"type": "object", "nullable": True},
                },
            }
        },
    },
}


@pytest.fixture(scope="module")
def echo_api() -> ApiModel:
    """The OpenAPI 3.0 description of httpbin's echo routes with five schemes."""
    return to_api_model(copy.deepcopy(DOCUMENT))


def _step(
    name: str, path: str, auth: str, *checks: dict[str, Any], route: str = ""
) -> dict[str, Any]:
    return {
        "name": name,
        "operation": f"GET {route or path}",
        "auth": auth,
        "request": {"method": "GET", "path": path},
        "expect": {"status": [200], "schema": True, "json": list(checks)},
    }


def _equals(pointer: str, value: Any) -> dict[str, Any]:
    return {"pointer": pointer, "equals": value}


def _absent(pointer: str) -> dict[str, Any]:
    return {"pointer": pointer, "exists": False}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _pack(*steps: dict[str, Any], name: str = "echo.json") -> PackFile:
    return PackFile(name, json.dumps({"jsonir": 1, "name": name, "steps": list(steps)}))


def _outcomes(outcome: Any) -> list[tuple[str, str, str]]:
    return [(c.name, c.outcome, c.message) for c in outcome.results]


VALID_STEPS = [
    _step(
        "bearer",
        "/anything/bearer",
        "valid",
        _equals("/headers/Authorization", f"Bearer {SECRETS['BEARERAUTH_TOKEN']}"),
    ),
    _step(
        "header key",
        "/anything/header",
        "valid",
        _equals("/headers/X-Api-Key", SECRETS["HEADERKEY_API_KEY"]),
        _absent("/headers/Authorization"),
    ),
    _step(
        "query key",
        "/anything/query",
        "valid",
        _equals("/args/key", SECRETS["QUERYKEY_API_KEY"]),
    ),
    _step(
        "cookie key",
        "/cookies",
        "valid",
        route="/cookies",
    )
    | {
        "expect": {
            "status": [200],
            "schema": True,
            "json": [_equals("/cookies/session_id", SECRETS["COOKIEKEY_API_KEY"])],
        }
    },
    _step(
        "basic, prefixed user with a plain password",
        "/anything/basic",
        "valid",
        _equals("/headers/Authorization", _basic("carol", SECRETS["PASSWORD"])),
    ),
    _step(
        "two schemes at once",
        "/anything/both",
        "valid",
        _equals("/headers/X-Api-Key", SECRETS["HEADERKEY_API_KEY"]),
        _equals("/args/key", SECRETS["QUERYKEY_API_KEY"]),
    ),
]


def test_valid_credentials_reach_the_server_per_scheme(
    httpbin_url: str, echo_api: ApiModel
) -> None:
    """Bearer, basic and API keys in header, query and cookie carry the right secrets."""
    outcome = execute_pack(
        [_pack(*VALID_STEPS)], api=echo_api, base_url=httpbin_url, secrets=SECRETS
    )

    assert _outcomes(outcome) == [(s["name"], "passed", "") for s in VALID_STEPS]


def test_invalid_credentials_are_wrong_values_of_the_same_kind(
    httpbin_url: str, echo_api: ApiModel
) -> None:
    """auth: invalid sends the invalid-credential value where each secret would go."""
    steps = [
        _step(
            "bearer",
            "/anything/bearer",
            "invalid",
            _equals("/headers/Authorization", f"Bearer {INVALID_VALUE}"),
        ),
        _step(
            "header key",
            "/anything/header",
            "invalid",
            _equals("/headers/X-Api-Key", INVALID_VALUE),
        ),
        _step(
            "query key",
            "/anything/query",
            "invalid",
            _equals("/args/key", INVALID_VALUE),
        ),
        _step(
            "basic",
            "/anything/basic",
            "invalid",
            _equals("/headers/Authorization", _basic(INVALID_VALUE, INVALID_VALUE)),
        ),
    ]

    outcome = execute_pack(
        [_pack(*steps)], api=echo_api, base_url=httpbin_url, secrets=SECRETS
    )

    assert _outcomes(outcome) == [(s["name"], "passed", "") for s in steps]


def test_invalid_cookie_and_no_credentials(
    httpbin_url: str, echo_api: ApiModel
) -> None:
    """An invalid cookie key is the invalid value; auth: none sends nothing at all."""
    cookie = {
        "name": "cookie key",
        "operation": "GET /cookies",
        "auth": "invalid",
        "request": {"method": "GET", "path": "/cookies"},
        "expect": {"json": [_equals("/cookies/session_id", INVALID_VALUE)]},
    }
    none = _step(
        "nothing",
        "/anything/both",
        "none",
        _absent("/headers/X-Api-Key"),
        _absent("/args/key"),
        _absent("/headers/Authorization"),
    )

    outcome = execute_pack(
        [_pack(cookie, none)], api=echo_api, base_url=httpbin_url, secrets=SECRETS
    )

    assert _outcomes(outcome) == [
        ("cookie key", "passed", ""),
        ("nothing", "passed", ""),
    ]


def test_missing_secret_is_noted_and_nothing_is_sent(
    httpbin_url: str, echo_api: ApiModel
) -> None:
    """Without the scheme's secret, the step goes out bare and the log names the secret."""
    step = _step(
        "header key", "/anything/header", "valid", _absent("/headers/X-Api-Key")
    )

    outcome = execute_pack(
        [_pack(step)], api=echo_api, base_url=httpbin_url, secrets={}
    )

    assert outcome.results[0].outcome == "passed"
    assert (
        "no secret API_KEY for apikey auth" in outcome.artifacts["logs/echo.json.log"]
    )


def _schema_step(operation: str = "GET /anything/bearer") -> dict[str, Any]:
    return {
        "name": "echo body against its schema",
        "operation": operation,
        "auth": "none",
        "request": {"method": "GET", "path": "/anything/bearer"},
        "expect": {"status": [200], "schema": True},
    }


def test_openapi_30_nullable_is_honoured(httpbin_url: str, echo_api: ApiModel) -> None:
    """Under 3.0, ``nullable: true`` accepts httpbin's ``"json": null``."""
    outcome = execute_pack([_pack(_schema_step())], api=echo_api, base_url=httpbin_url)

    assert _outcomes(outcome) == [("echo body against its schema", "passed", "")]


def test_openapi_31_reads_the_same_schema_as_json_schema(httpbin_url: str) -> None:
    """Under 3.1, ``nullable`` means nothing: null fails, ``type: [object, null]`` passes."""
    strict = copy.deepcopy(DOCUMENT)
    strict["openapi"] = "3.1.0"
    lenient = copy.deepcopy(strict)
    lenient["components"]["schemas"]["Echo"]["properties"]["json"] = {
        "type": ["object", "null"]
    }

    failed = execute_pack(
        [_pack(_schema_step())], api=to_api_model(strict), base_url=httpbin_url
    )
    passed = execute_pack(
        [_pack(_schema_step())], api=to_api_model(lenient), base_url=httpbin_url
    )

    assert failed.results[0].outcome == "failed"
    assert "schema /json: None is not of type 'object'" in failed.results[0].message
    assert passed.results[0].outcome == "passed"


def test_schema_check_without_a_documented_status_fails(
    httpbin_url: str, echo_api: ApiModel
) -> None:
    """A status the operation does not document fails the schema check, naming it."""
    step = _schema_step()
    step["request"]["path"] = "/status/201"
    step["expect"]["status"] = [201]

    outcome = execute_pack([_pack(step)], api=echo_api, base_url=httpbin_url)

    assert outcome.results[0].outcome == "failed"
    assert "documents no response for status 201" in outcome.results[0].message
