"""json-ir steps against httpbin served by waitress on 127.0.0.1, with Swagger 2.0 models.

Two descriptions are used. httpbin's own: its view docstrings hold the
Swagger operations that flasgger would serve at ``/spec.json``; flasgger is
not installed, so the test assembles the same document from those
docstrings and imports it with :func:`chapi.specs.prepare_import`. It has no
security schemes and no response schemas, so credentials and schema checks
are tested with ``data/httpbin-swagger.json``, which describes a few routes
in full.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from chapi.runner import PackFile, execute_pack
from chapi.specs import PreparedSpec, prepare_import
from chapi.specs.model import ApiModel
from chapi.specs.normalize import to_api_model
from conftest import DATA

USER = "alice"
PASSWORD = "pa:ss+w0rd!secret"
TOKEN = "httpbin-bearer-Token-99"
API_KEY = "query-Key-1234567"


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


def _string_keys(value: Any) -> Any:
    """YAML reads response codes as integers; Swagger wants string keys."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


@pytest.fixture(scope="module")
def httpbin_own() -> PreparedSpec:
    """httpbin's own Swagger 2.0 description, assembled from its view docstrings."""
    import httpbin

    paths: dict[str, dict[str, Any]] = {}
    for rule in httpbin.app.url_map.iter_rules():
        doc = httpbin.app.view_functions[rule.endpoint].__doc__ or ""
        if "---" not in doc:
            continue
        operation = yaml.safe_load(doc.split("---", 1)[1])
        if not isinstance(operation, dict):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _string_keys(operation)
    document = {
        "swagger": "2.0",
        "info": {"title": "httpbin.org", "version": "0.10"},
        "host": "127.0.0.1",
        "basePath": "/",
        "schemes": ["http"],
        "paths": paths,
    }
    return prepare_import(document)


def test_httpbin_own_description_imports(httpbin_own: PreparedSpec) -> None:
    """httpbin's own description imports as Swagger 2.0 with its routes."""
    keys = {op.key for op in httpbin_own.model.operations}

    assert httpbin_own.spec_version == "2.0"
    assert {"GET /get", "POST /post", "GET /status/{codes}", "GET /uuid"} <= keys
    assert len(httpbin_own.rows) == len(httpbin_own.model.operations) > 50


def test_pack_from_httpbin_own_description_passes(
    httpbin_url: str, httpbin_own: PreparedSpec
) -> None:
    """One step per JSON GET route without parameters, judged by its own description."""
    model = httpbin_own.model

    def produces(path: str) -> list[str]:
        return list(httpbin_own.document["paths"][path]["get"].get("produces", []))

    steps = [
        {
            "name": f"{op.key} answers as documented",
            "operation": op.key,
            "request": {"method": "GET", "path": op.path},
            "expect": {
                "status": sorted(int(r.status) for r in op.responses),
                "schema": True,
            },
        }
        for op in model.operations
        if op.method == "GET"
        and "{" not in op.path
        and not op.parameters
        and "application/json" in produces(op.path)
    ]
    status = model.operation("GET /status/{codes}")
    assert status is not None
    steps.append(
        {
            "name": "a documented error status",
            "operation": status.key,
            "request": {"method": "GET", "path": "/status/500"},
            "expect": {"status": [500]},
        }
    )

    outcome = execute_pack(_pack(*steps), api=model, base_url=httpbin_url)

    assert len(steps) >= 8
    assert [c.message for c in outcome.results if c.outcome != "passed"] == []
    assert outcome.passed


def test_swagger2_schema_mismatch_fails(
    httpbin_url: str, httpbin_api: ApiModel
) -> None:
    """A 2.0 response schema the body breaks fails the step with the pointer named."""
    document = json.loads((DATA / "httpbin-swagger.json").read_text("utf-8"))
    document["definitions"]["Echo"]["required"] = ["args", "not_there"]
    broken = to_api_model(document)
    step = {
        "name": "echo checked",
        "operation": "GET /get",
        "request": {"method": "GET", "path": "/get"},
        "expect": {"status": [200], "schema": True},
    }

    good = execute_pack(
        _pack(step), api=httpbin_api, base_url=httpbin_url, secrets=SECRETS
    )
    bad = execute_pack(_pack(step), api=broken, base_url=httpbin_url, secrets=SECRETS)

    assert good.results[0].outcome == "passed"
    assert bad.results[0].outcome == "failed"
    assert "schema /: 'not_there' is a required property" in bad.results[0].message


def _cookies_are(name: str, cookies: dict[str, str], auth: str = "valid") -> Any:
    return {
        "name": name,
        "auth": auth,
        "request": {"method": "GET", "path": "/cookies"},
        "expect": {"json": [{"pointer": "/cookies", "equals": cookies}]},
    }


def test_server_cookies_stay_in_their_file_and_off_unauthenticated_steps(
    httpbin_url: str,
) -> None:
    """A file's session cookie follows its valid steps only, never another file."""
    login = {
        "name": "server sets a session cookie",
        "request": {
            "method": "GET",
            "path": "/cookies/set",
            "query": {"session": "s-0123456789"},
        },
        "expect": {"status": [302]},
    }
    files = [
        ("login.json", [
            login,
            _cookies_are("sent back by the same file", {"session": "s-0123456789"}),
            _cookies_are("not sent without credentials", {}, auth="none"),
            _cookies_are("not sent with wrong credentials", {}, auth="invalid"),
        ]),
        ("other.json", [_cookies_are("another file has no session", {})]),
    ]  # fmt: skip
    pack = [
        PackFile(name, json.dumps({"jsonir": 1, "name": name, "steps": steps}))
        for name, steps in files
    ]

    outcome = execute_pack(pack, api=None, base_url=httpbin_url, concurrency=1)

    assert [(c.name, c.outcome, c.message) for c in outcome.results] == [
        (step["name"], "passed", "") for _, steps in files for step in steps
    ]
    sent = outcome.results[1].request
    assert re.search(r"(?m)^cookie: \*\*\*$", sent), sent
