"""Normalization into ApiModel and catalog rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from spec_support import count_operations

from chapi.specs import catalog_rows, prepare_import, to_api_model

EXAMPLES = Path(__file__).resolve().parents[1] / "data/oas-examples"
ALL_EXAMPLES = sorted(EXAMPLES.glob("*/*.json"))


@pytest.mark.parametrize(
    "path", ALL_EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_every_example_imports_all_operations(path: Path) -> None:
    """Each example imports with one row per method of each path."""
    raw = json.loads(path.read_text())
    expected = count_operations(raw)

    prepared = prepare_import(path)

    assert len(prepared.rows) == expected
    assert prepared.spec_version == path.parent.name
    assert all(row["summary"] for row in prepared.rows)


SWAGGER_20 = {
    "swagger": "2.0",
    "info": {"title": "Shop", "version": "1.2"},
    "host": "api.example.org",
    "basePath": "/v1",
    "schemes": ["https"],
    "consumes": ["application/json"],
    "produces": ["application/json"],
    "securityDefinitions": {
        "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
        "oauth": {
            "type": "oauth2",
            "flow": "application",
            "tokenUrl": "https://auth.example.org/token",
            "scopes": {"read": "r"},
        },
        "basic": {"type": "basic"},
    },
    "security": [{"key": []}],
    "paths": {
        "/items": {
            "get": {
                "operationId": "listItems",
                "tags": ["items"],
                "responses": {
                    "200": {
                        "description": "ok",
                        "schema": {"type": "array", "items": {}},
                    }
                },
            },
            "post": {
                "summary": "Create an item",
                "security": [{"oauth": ["read"], "key": []}],
                "parameters": [
                    {
                        "in": "body",
                        "name": "b",
                        "required": True,
                        "schema": {"type": "object"},
                    }
                ],
                "responses": {
                    "201": {"description": "made", "schema": {"type": "object"}}
                },
            },
        },
        "/items/{id}": {
            "parameters": [
                {"in": "path", "name": "id", "required": True, "type": "string"}
            ],
            "delete": {
                "description": "Removes it. For good.",
                "security": [],
                "responses": {"204": {"description": "gone"}},
            },
            "put": {
                "consumes": ["application/x-www-form-urlencoded"],
                "security": [{"basic": []}],
                "parameters": [
                    {
                        "in": "formData",
                        "name": "name",
                        "type": "string",
                        "required": True,
                    }
                ],
                "responses": {
                    "200": {"description": "ok", "schema": {"type": "object"}}
                },
            },
        },
    },
}

OPENAPI_30 = {
    "openapi": "3.0.3",
    "info": {"title": "Shop", "version": "1.2"},
    "servers": [{"url": "https://api.example.org/v1"}],
    "components": {"securitySchemes": {
        "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
        "oauth": {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": "https://auth.example.org/token", "scopes": {"read": "r"}}}},
        "basic": {"type": "http", "scheme": "basic"},
    }},
    "security": [{"key": []}],
    "paths": {
        "/items": {
            "get": {"operationId": "listItems", "tags": ["items"],
                    "responses": {"200": {"description": "ok", "content": {
                        "application/json": {"schema": {"type": "array", "items": {}}}}}}},
            "post": {"summary": "Create an item",
                     "security": [{"oauth": ["read"], "key": []}],
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": {"type": "object"}}}},
                     "responses": {"201": {"description": "made", "content": {
                         "application/json": {"schema": {"type": "object"}}}}}},
        },
        "/items/{id}": {
            "parameters": [{"in": "path", "name": "id", "required": True,
                            "schema": {"type": "string"}}],
            "delete": {"description": "Removes it. For good.", "security": [],
                       "responses": {"204": {"description": "gone"}}},
            "put": {"security": [{"basic": []}],
                    "requestBody": {"content": {"application/x-www-form-urlencoded": {
                        "schema": {"type": "object", "properties": {"name": {"type": "string"}},
                                   "required": ["name"]}}}},
                    "responses": {"200": {"description": "ok", "content": {
                        "application/json": {"schema": {"type": "object"}}}}}},
        },
    },
}  # fmt: skip


def test_swagger_20_and_openapi_30_give_equal_rows() -> None:
    """The same API written in 2.0 and 3.0 gives identical catalog rows."""
    rows_20 = catalog_rows(to_api_model(SWAGGER_20))
    rows_30 = catalog_rows(to_api_model(OPENAPI_30))

    assert rows_20 == rows_30
    assert [(r["method"], r["path"], r["auth"]) for r in rows_30] == [
        ("GET", "/items", "apikey"),
        ("POST", "/items", "oauth2+apikey"),
        ("DELETE", "/items/{id}", "none"),
        ("PUT", "/items/{id}", "basic"),
    ]


def test_openapi_31_form_gives_the_same_rows() -> None:
    """The 3.0 API declared as 3.1 gives the same rows as its 2.0 form."""
    openapi_31 = {**OPENAPI_30, "openapi": "3.1.0"}

    rows_31 = catalog_rows(to_api_model(openapi_31))

    assert rows_31 == catalog_rows(to_api_model(SWAGGER_20))


def test_example_collection_totals() -> None:
    """The shared examples hold 60 documents and 660 operations in all.

    Guards the per-file test above against an empty glob or a counting rule
    that drifts together with the importer.
    """
    counts = {
        f"{path.parent.name}/{path.name}": len(prepare_import(path).rows)
        for path in ALL_EXAMPLES
    }

    assert len(counts) == 60
    assert sum(counts.values()) == 660
    assert counts["2.0/petstore.json"] == counts["3.0/petstore.json"] == 20
    assert counts["3.0/star-trek.json"] == 120
    assert counts["3.1/webhooks.json"] == 0


def test_row_labels() -> None:
    """Summary fallbacks and content labels follow the documented rules."""
    rows = {
        f"{r['method']} {r['path']}": r for r in catalog_rows(to_api_model(OPENAPI_30))
    }

    assert rows["GET /items"]["summary"] == "listItems"
    assert rows["DELETE /items/{id}"]["summary"] == "Removes it."
    assert rows["DELETE /items/{id}"]["success_content"] == "204:-"
    assert rows["POST /items"]["req_content"] == "application/json"
    assert rows["POST /items"]["success_content"] == "201:application/json"
    assert rows["PUT /items/{id}"]["req_content"] == "application/x-www-form-urlencoded"
    assert rows["GET /items"]["req_content"] == "-"


def test_summary_falls_back_to_method_and_path() -> None:
    """An operation with no summary, id or description is named METHOD path."""
    doc = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
           "paths": {"/x": {"head": {"responses": {"200": {"description": "ok"}}}}}}  # fmt: skip

    rows = catalog_rows(to_api_model(doc))

    assert rows[0]["summary"] == "HEAD /x"
    assert rows[0]["success_content"] == "200:-"


def test_swagger_20_servers_and_bodies() -> None:
    """2.0 host/basePath/schemes become a server; body and formData become request bodies."""
    model = to_api_model(SWAGGER_20)

    assert model.servers == ("https://api.example.org/v1",)
    put = model.operation("PUT /items/{id}")
    assert put is not None and put.request_body is not None
    schema = put.request_body.contents[0].schema_
    assert schema == {"type": "object", "properties": {"name": {"type": "string"}},
                      "required": ["name"]}  # fmt: skip
    assert [p.name for p in put.parameters] == ["id"]


def test_security_schemes_normalized() -> None:
    """API key location and name, and the client-credentials token URL, are kept."""
    for document in (SWAGGER_20, OPENAPI_30):
        schemes = to_api_model(document).security_schemes

        assert schemes["key"].location == "header"
        assert schemes["key"].param_name == "X-Key"
        assert schemes["oauth"].token_url == "https://auth.example.org/token"
        assert schemes["oauth"].flows == ("clientCredentials",)
        assert schemes["oauth"].scopes == ("read",)
        assert schemes["basic"].kind == "basic"


def test_bearer_and_unknown_schemes() -> None:
    """HTTP bearer maps to ``bearer``; other HTTP schemes keep their scheme name."""
    doc = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
           "components": {"securitySchemes": {
               "jwt": {"type": "http", "scheme": "Bearer", "bearerFormat": "JWT"},
               "sig": {"type": "http", "scheme": "digest"},
               "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://x/.well-known"}}},
           "paths": {"/a": {"get": {"security": [{"jwt": [], "sig": []}],
                                    "responses": {"200": {"description": "ok"}}},
                            "post": {"security": [{"oidc": []}, {}],
                                     "responses": {"200": {"description": "ok"}}},
                            "put": {"security": [{"missing": []}],
                                    "responses": {"200": {"description": "ok"}}}}}}  # fmt: skip

    model = to_api_model(doc)

    assert model.security_schemes["jwt"].bearer_format == "JWT"
    assert [op.auth for op in model.operations] == [
        "bearer+digest",
        "openidconnect",
        "missing",
    ]


def test_path_parameters_merged_and_overridden() -> None:
    """Path-level parameters are merged; the operation's own one wins by name and in."""
    doc = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
           "paths": {"/a/{id}": {
               "parameters": [{"name": "id", "in": "path", "required": True,
                               "schema": {"type": "string"}},
                              {"name": "v", "in": "query", "schema": {"type": "string"}}],
               "get": {"parameters": [{"name": "v", "in": "query", "required": True,
                                       "schema": {"type": "integer"}}],
                       "responses": {"200": {"description": "ok"}}}}}}  # fmt: skip

    op = to_api_model(doc).operations[0]

    assert [(p.name, p.location, p.required) for p in op.parameters] == [
        ("id", "path", True), ("v", "query", True),
    ]  # fmt: skip
    assert op.parameters[1].schema_ == {"type": "integer"}


def test_path_and_operation_servers() -> None:
    """Operation servers win over path-item servers; variables take their defaults."""
    raw = json.loads((EXAMPLES / "3.0/server-path-level.json").read_text())
    raw["paths"]["/x-op"] = {
        "servers": [{"url": "https://{region}.p.example/", "variables": {"region": {"default": "eu"}}}],
        "get": {"servers": [{"url": "https://op.example/"}],
                "responses": {"200": {"description": "ok"}}},
        "put": {"responses": {"200": {"description": "ok"}}},
    }  # fmt: skip

    model = to_api_model(raw)

    get_op = model.operation("GET /x-op")
    put_op = model.operation("PUT /x-op")
    assert get_op is not None and get_op.servers == ("https://op.example/",)
    assert put_op is not None and put_op.servers == ("https://eu.p.example/",)


def test_petstore_20_and_30_rows_match() -> None:
    """The petstore examples in 2.0 and 3.0 give the same rows (summaries compared case-blind)."""
    rows_20 = prepare_import(EXAMPLES / "2.0/petstore.json").rows
    rows_30 = prepare_import(EXAMPLES / "3.0/petstore.json").rows

    def fold(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, "summary": r["summary"].lower()} for r in rows]

    assert fold(rows_20) == fold(rows_30)


def test_circular_schemas_keep_refs() -> None:
    """Circular schemas stay as $refs and the model resolves one level at a time."""
    model = prepare_import(EXAMPLES / "3.0/circular-request-bodies.json").model

    schemas = [
        c.schema_ for op in model.operations
        for c in [*(op.request_body.contents if op.request_body else ()),
                  *(c for r in op.responses for c in r.contents)]
        if c.schema_
    ]  # fmt: skip

    assert any("$ref" in s for s in schemas)
    assert all(isinstance(model.resolve(s), dict) for s in schemas)
