"""json-ir steps against httpbin served by waitress on 127.0.0.1, with a Swagger 2.0 model.

httpbin's own ``/spec.json`` needs flasgger, which chapi does not install, so
the routes used here are described by ``data/httpbin-swagger.json``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from chapi.runner import PackFile, execute_pack
from chapi.specs.model import ApiModel
from chapi.specs.normalize import to_api_model
from conftest import DATA

USER = "alice"
PASSWORD = "pa:ss+w0rd!secret"
TOKEN = "httpbin-bearer-Token-99"
API_KEY = "query-Key-1234567"


@pytest.fixture(scope="module")
def httpbin_url() -> Iterator[str]:
    """httpbin under waitress in a thread on 127.0.0.1."""
    logging.getLogger("httpbin").setLevel(logging.ERROR)
    import httpbin
    from waitress.server import create_server

    server = create_server(httpbin.app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture(scope="module")
def httpbin_api() -> ApiModel:
    """The Swagger 2.0 description of the httpbin routes these tests use."""
    return to_api_model(json.loads((DATA / "httpbin-swagger.json").read_text("utf-8")))


def _pack(*steps: dict[str, Any]) -> list[PackFile]:
    return [
        PackFile(
            "httpbin.json",
            json.dumps({"jsonir": 1, "name": "httpbin", "steps": list(steps)}),
        )
    ]


SECRETS = {"USERNAME": USER, "PASSWORD": PASSWORD, "TOKEN": TOKEN, "API_KEY": API_KEY}
BASIC_PATH = f"/basic-auth/{USER}/{quote(PASSWORD, safe='')}"


def test_basic_auth_valid_invalid_and_none(
    httpbin_url: str, httpbin_api: ApiModel
) -> None:
    """Basic credentials come from USERNAME/PASSWORD; invalid and none are refused."""
    op = "GET /basic-auth/{user}/{passwd}"
    pack = _pack(
        {
            "name": "valid",
            "operation": op,
            "request": {"method": "GET", "path": BASIC_PATH},
            "expect": {
                "status": [200],
                "schema": True,
                "json": [{"pointer": "/user", "equals": USER}],
            },
        },
        {
            "name": "invalid",
            "operation": op,
            "auth": "invalid",
            "request": {"method": "GET", "path": BASIC_PATH},
            "expect": {"status": [401]},
        },
        {
            "name": "none",
            "operation": op,
            "auth": "none",
            "request": {"method": "GET", "path": BASIC_PATH},
            "expect": {"status": [401]},
        },
    )

    outcome = execute_pack(pack, api=httpbin_api, base_url=httpbin_url, secrets=SECRETS)

    assert [(c.name, c.outcome, c.message) for c in outcome.results] == [
        ("valid", "passed", ""),
        ("invalid", "passed", ""),
        ("none", "passed", ""),
    ]


def test_bearer_through_api_key_header_scheme(
    httpbin_url: str, httpbin_api: ApiModel
) -> None:
    """An apiKey scheme in the Authorization header sends API_KEY; /bearer echoes it."""
    pack = _pack(
        {
            "name": "token",
            "operation": "GET /bearer",
            "request": {"method": "GET", "path": "/bearer"},
            "auth": "none",
            "expect": {"status": [401]},
        },
        {
            "name": "query key",
            "operation": "GET /get",
            "request": {"method": "GET", "path": "/get", "query": {"x": "1"}},
            "expect": {
                "status": [200],
                "schema": True,
                "json": [
                    {"pointer": "/args/api_key", "equals": API_KEY},
                    {"pointer": "/args/x", "equals": "1"},
                ],
            },
        },
    )

    outcome = execute_pack(pack, api=httpbin_api, base_url=httpbin_url, secrets=SECRETS)

    assert [(c.name, c.outcome) for c in outcome.results] == [
        ("token", "passed"),
        ("query key", "passed"),
    ]
    assert API_KEY not in outcome.artifacts["results.json"]


def test_bearer_fallback_without_a_model(httpbin_url: str) -> None:
    """With no API description, a valid step sends TOKEN as a bearer token."""
    pack = _pack(
        {
            "name": "bearer",
            "request": {"method": "GET", "path": "/bearer"},
            "expect": {
                "status": [200],
                "json": [{"pointer": "/authenticated", "equals": True}],
            },
        },
    )

    outcome = execute_pack(
        pack, api=None, base_url=httpbin_url, secrets={"TOKEN": TOKEN}
    )

    assert outcome.passed, outcome.results


def test_status_expectations_and_ranges(
    httpbin_url: str, httpbin_api: ApiModel
) -> None:
    """Exact codes and 2XX-style ranges are honoured; a mismatch names the status."""
    pack = _pack(
        {
            "name": "teapot",
            "request": {"method": "GET", "path": "/status/418"},
            "expect": {"status": [418]},
        },
        {
            "name": "range",
            "request": {"method": "GET", "path": "/status/204"},
            "expect": {"status": ["2XX"]},
        },
        {
            "name": "wrong",
            "request": {"method": "GET", "path": "/status/503"},
            "expect": {"status": [200, "3XX"]},
        },
        {
            "name": "schema",
            "operation": "GET /json",
            "request": {"method": "GET", "path": "/json"},
            "expect": {
                "schema": True,
                "json": [{"pointer": "/slideshow/slides", "type": "array"}],
            },
        },
    )

    outcome = execute_pack(pack, api=httpbin_api, base_url=httpbin_url, secrets=SECRETS)

    outcomes = {c.name: (c.outcome, c.message) for c in outcome.results}
    assert outcomes["teapot"] == ("passed", "")
    assert outcomes["range"] == ("passed", "")
    assert outcomes["wrong"] == ("failed", "status 503 is not one of [200, 3XX]")
    assert outcomes["schema"] == ("passed", "")
