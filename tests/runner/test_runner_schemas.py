"""Response-schema checks in the three dialects, with references inlined or kept."""

from __future__ import annotations

from typing import Any

import pytest

from chapi.runner import schemas as schemas_module
from chapi.runner.schemas import ResponseSchemas
from chapi.specs.normalize import to_api_model


def _oas3(version: str, schema: dict[str, Any], components: dict[str, Any]) -> Any:
    return to_api_model(
        {
            "openapi": version,
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/things": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/json": {"schema": schema}},
                            },
                            "4XX": {
                                "description": "client error",
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Error"}
                                    }
                                },
                            },
                        }
                    }
                }
            },
            "components": {
                "schemas": {
                    "Error": {
                        "type": "object",
                        "required": ["message"],
                        "properties": {"message": {"type": "string"}},
                    },
                    **components,
                }
            },
        }
    )


def _check(api: Any, body: Any, status: int = 200) -> list[str]:
    operation = api.operation("GET /things")
    assert operation is not None
    return ResponseSchemas(api).check(operation, status, body)


NODE = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
    },
}


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_circular_schema_checks_every_level(version: str) -> None:
    """A self-referencing schema is checked at depth, without endless expansion."""
    api = _oas3(version, {"$ref": "#/components/schemas/Node"}, {"Node": NODE})
    good = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    bad = {"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]}

    assert _check(api, good) == []
    problems = _check(api, bad)

    assert len(problems) == 1
    assert problems[0].startswith("/children/0/children/0/name:")


def test_openapi_30_nullable_is_understood() -> None:
    """``nullable: true`` (3.0) admits null; without it null is refused."""
    schema = {
        "type": "object",
        "properties": {
            "tag": {"type": "string", "nullable": True},
            "name": {"type": "string"},
        },
    }
    api = _oas3("3.0.3", schema, {})

    assert _check(api, {"tag": None, "name": "x"}) == []
    assert _check(api, {"tag": "t", "name": None}) != []


def test_openapi_31_type_lists_and_ref_siblings() -> None:
    """3.1 takes ``type`` lists, and keywords beside a ``$ref`` apply too."""
    schema = {
        "type": "object",
        "properties": {
            "tag": {"type": ["string", "null"]},
            "pet": {"$ref": "#/components/schemas/Pet", "required": ["id"]},
        },
    }
    pet = {"type": "object", "properties": {"id": {"type": "integer"}}}
    api = _oas3("3.1.0", schema, {"Pet": pet})

    assert _check(api, {"tag": None, "pet": {"id": 1}}) == []
    assert any(p.startswith("/pet:") for p in _check(api, {"pet": {}}))
    assert any(p.startswith("/pet/id:") for p in _check(api, {"pet": {"id": "x"}}))


def test_openapi_30_ignores_ref_siblings() -> None:
    """Before 3.1 a ``$ref`` replaces its object, siblings and all."""
    schema = {"$ref": "#/components/schemas/Pet", "required": ["id"]}
    pet = {"type": "object", "properties": {"id": {"type": "integer"}}}
    api = _oas3("3.0.3", schema, {"Pet": pet})

    assert _check(api, {}) == []
    assert _check(api, {"id": "x"}) != []


def test_swagger_20_definitions_are_followed() -> None:
    """A 2.0 response schema referencing ``#/definitions`` is checked."""
    api = to_api_model(
        {
            "swagger": "2.0",
            "info": {"title": "t", "version": "1"},
            "produces": ["application/json"],
            "paths": {
                "/things": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/definitions/Thing"},
                                },
                            }
                        }
                    }
                }
            },
            "definitions": {
                "Thing": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "integer", "format": "int64"}},
                }
            },
        }
    )

    assert _check(api, [{"id": 1}, {"id": 2}]) == []
    assert _check(api, [{"id": 1}, {}]) == ["/1: 'id' is a required property"]


def test_ranged_status_and_unknown_status() -> None:
    """``4XX`` covers a 404; a status with no documented response is one problem."""
    api = _oas3("3.1.0", {"type": "object"}, {})

    assert _check(api, {"message": "gone"}, status=404) == []
    assert _check(api, {}, status=404) == ["/: 'message' is a required property"]
    assert _check(api, {}, status=500) == [
        "GET /things documents no response for status 500"
    ]


def test_one_checker_answers_each_status_and_body_on_its_own() -> None:
    """Reusing one checker across statuses and bodies keeps every answer apart."""
    api = _oas3("3.0.3", {"type": "object", "required": ["id"]}, {})
    operation = api.operation("GET /things")
    assert operation is not None
    checker = ResponseSchemas(api)

    answers = [
        checker.check(operation, status, body)
        for status, body in [
            (200, {"id": 1}),
            (404, {"message": "gone"}),
            (500, {}),
            (200, {}),
            (404, {}),
            (500, {"id": 1}),
            (200, {"id": 2}),
        ]
    ]

    assert answers == [
        [],
        [],
        ["GET /things documents no response for status 500"],
        ["/: 'id' is a required property"],
        ["/: 'message' is a required property"],
        ["GET /things documents no response for status 500"],
        [],
    ]


def test_budget_keeps_references_past_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the inlining budget spent, references stay and still resolve."""
    monkeypatch.setattr(schemas_module, "INLINE_BUDGET", 3)
    schema = {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/components/schemas/Leaf"},
            "b": {"$ref": "#/components/schemas/Leaf"},
            "c": {"$ref": "#/components/schemas/Leaf"},
        },
    }
    leaf = {"type": "integer", "minimum": 0}
    api = _oas3("3.1.0", schema, {"Leaf": leaf})

    assert _check(api, {"a": 1, "b": 2, "c": 3}) == []
    problems = _check(api, {"a": 1, "b": 2, "c": -1})

    assert len(problems) == 1
    assert problems[0].startswith("/c:")


def test_dangling_reference_is_reported_not_raised() -> None:
    """A reference to nothing gives a problem line, never an exception."""
    api = _oas3("3.1.0", {"$ref": "#/components/schemas/Missing"}, {})

    problems = _check(api, {"x": 1})

    assert len(problems) == 1
    assert "could not be used" in problems[0]
