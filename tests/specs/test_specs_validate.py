"""Validation findings, and the promise that every rejected document gets some."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate as osv_validate

from chapi.errors import SpecValidationError
from chapi.specs import detect_version, validate
from chapi.specs.validate import MAX_MESSAGE

EXAMPLES = Path(__file__).resolve().parents[1] / "data/oas-examples"
ALL_EXAMPLES = sorted(EXAMPLES.glob("*/*.json"))


def _load(relative: str) -> dict[str, Any]:
    return dict(json.loads((EXAMPLES / relative).read_text()))


def _osv_rejects(document: Any) -> bool:
    try:
        osv_validate(document)
    except Exception:
        return True
    return False


def _ours_flags(document: Any) -> bool:
    try:
        return bool(validate(document))
    except SpecValidationError:
        return True


# ------------------------------------------------------------------ basics


@pytest.mark.parametrize(
    "path", ALL_EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_examples_agree_with_openapi_spec_validator(path: Path) -> None:
    """On every example, findings appear exactly when openapi-spec-validator rejects."""
    document = json.loads(path.read_text())

    rejected = _osv_rejects(document)
    findings = validate(document)

    assert bool(findings) == rejected


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], "top level is list"),
        ({"info": {}}, "no 'openapi' or 'swagger'"),
        ({"openapi": "3.0.0", "info": {}}, "no 'paths' object"),
        ({"openapi": "4.0.0", "paths": {}}, "unsupported OpenAPI version"),
        ({"swagger": "1.2", "paths": {}}, "unsupported OpenAPI version"),
    ],
)
def test_not_an_api_description_is_refused(document: Any, message: str) -> None:
    """Non-API documents raise SpecValidationError naming what is missing."""
    with pytest.raises(SpecValidationError, match=message):
        validate(document)


def test_webhooks_only_31_document_is_accepted() -> None:
    """A 3.1 document with webhooks and no paths is an API description."""
    document = _load("3.1/webhooks.json")
    document.pop("paths", None)

    findings = validate(document)

    assert findings == []


def test_findings_name_location() -> None:
    """A finding's location is the JSON Pointer of the offending node."""
    document = _load("3.0/petstore.json")
    del document["paths"]["/pet"]["put"]["responses"]

    findings = validate(document)

    assert any(f.location == "/paths/~1pet/put" for f in findings)


def test_thorough_mode_adds_validator_finding() -> None:
    """thorough=True also reports openapi-spec-validator's own first finding."""
    document = _load("3.0/petstore.json")
    document["info"].pop("title")

    fast = validate(document)
    thorough = validate(document, thorough=True)

    assert len(thorough) >= len(fast) >= 1


# ------------------------------------------------------------------ mutations


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(document: dict[str, Any]) -> None:
        *parents, last = path.split("|")
        node = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = copy.deepcopy(value)

    return apply


_DELETE = object()

MUTATIONS_30: dict[str, Callable[[dict[str, Any]], None]] = {
    "info without title": _set("info|title", _DELETE),
    "duplicate operationId": _set("paths|/pet|put|operationId", "addPet"),
    "undeclared path parameter": _set("paths|/pet/{petId}|get|parameters", []),
    "unknown schema type": _set("components|schemas|Pet|properties|name|type", "text"),
    "default of wrong type": _set("components|schemas|Pet|properties|name|default", 42),
    "unresolvable ref": _set(
        "paths|/pet|post|requestBody", {"$ref": "#/components/requestBodies/Nope"}
    ),
    "required missing from allOf": _set(
        "components|schemas|Combo",
        {"allOf": [{"$ref": "#/components/schemas/Tag"}], "required": ["ghost"]},
    ),
    "duplicate parameter": _set(
        "paths|/pet/{petId}|delete|parameters|0",
        {
            "name": "petId",
            "in": "path",
            "required": True,
            "schema": {"type": "integer"},
        },
    ),
    "response without description": _set(
        "paths|/pet|put|responses|400|description", _DELETE
    ),
    "pattern Python cannot compile": _set(
        "components|schemas|Pet|properties|name|pattern", "(?<=a+)b"
    ),
    "path key without slash": _set("paths|pets", {"get": {"responses": {}}}),
    "schema not an object": _set("paths|/pet/{petId}|get|parameters|0|schema", 5),
    "duplicate tags": _set("tags", [{"name": "pet"}, {"name": "pet"}]),
    "malformed path template": _set(
        "paths|/pet}", {"get": {"responses": {"200": {"description": "x"}}}}
    ),
    "nullable default null in non-nullable": _set(
        "components|schemas|Pet|properties|status|default", None
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS_30))
def test_known_mutations_get_findings(name: str) -> None:
    """Each known way of breaking petstore 3.0 gets findings (a superset of the reference)."""
    document = _load("3.0/petstore.json")
    MUTATIONS_30[name](document)

    rejected = _osv_rejects(document)
    flagged = _ours_flags(document)

    assert flagged
    # The reference does not follow request bodies, so it misses this one.
    assert rejected or name == "unresolvable ref"


def test_31_unknown_dialect_gets_finding() -> None:
    """A 3.1 schema naming an unknown dialect is reported."""
    document = _load("3.1/petstore.json")
    schemas = document["components"]["schemas"]
    schemas["Pet"]["$schema"] = "https://example.org/my-dialect"

    findings = validate(document)

    assert _osv_rejects(document)
    assert any("dialect" in f.message for f in findings)


def test_20_parameter_default_checked() -> None:
    """A 2.0 parameter default that does not fit its type is reported."""
    document = _load("2.0/petstore.json")
    params = document["paths"]["/pet/findByStatus"]["get"]["parameters"]
    params[0]["default"] = 7

    findings = validate(document)

    assert _osv_rejects(document)
    assert findings


# ------------------------------------------------------------------ generated

_BASES = [
    "2.0/petstore.json",
    "3.0/petstore.json",
    "3.1/petstore.json",
    "3.0/callbacks.json",
]

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from(
        ["", "x", "#/components/schemas/Pet", "/a/{id}", "string", "object", "path"]
    ),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "$ref",
                    "name",
                    "in",
                    "schema",
                    "items",
                    "default",
                    "required",
                    "properties",
                    "allOf",
                    "description",
                    "x",
                ]
            ),
            children,
            max_size=3,
        )
    ),
    max_leaves=6,
)


def _nodes(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _nodes(value, (*prefix, key))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            found += _nodes(value, (*prefix, i))
    return found


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A real document with one to three random edits (replace, delete, add)."""
    document = _load(draw(st.sampled_from(_BASES)))
    for _ in range(draw(st.integers(1, 3))):
        nodes = [n for n in _nodes(document) if n]
        target = draw(st.sampled_from(nodes))
        parent: Any = document
        for part in target[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[target[-1]]
        elif action == "replace" or not isinstance(parent[target[-1]], dict):
            parent[target[-1]] = draw(_json_values)
        else:
            key = draw(
                st.sampled_from(["default", "$ref", "required", "type", "allOf"])
            )
            parent[target[-1]][key] = draw(_json_values)
    return document


@st.composite
def generated_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A small API description assembled from random parts."""
    version = draw(st.sampled_from(["3.0.3", "3.1.0"]))
    paths: dict[str, Any] = {}
    for template in draw(
        st.lists(
            st.sampled_from(["/a", "/a/{id}", "/b/{x}/c", "/{y}"]),
            max_size=3,
            unique=True,
        )
    ):
        operation: dict[str, Any] = {"responses": {"200": {"description": "ok"}}}
        if draw(st.booleans()):
            operation["parameters"] = draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "name": st.sampled_from(["id", "x", "y", "q"]),
                            "in": st.sampled_from(["path", "query"]),
                            "required": st.booleans(),
                            "schema": _json_values,
                        }
                    ),
                    max_size=2,
                )
            )
        if draw(st.booleans()):
            operation["operationId"] = draw(st.sampled_from(["one", "two"]))
        paths[template] = {draw(st.sampled_from(["get", "post"])): operation}
    return {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": draw(
                st.dictionaries(
                    st.sampled_from(["Pet", "Tag"]), _json_values, max_size=2
                )
            )
        },
    }


_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(mutated_documents())
def test_mutated_documents_rejected_get_findings(document: dict[str, Any]) -> None:
    """Whenever the reference rejects a mutated real document, we report findings."""
    rejected = _osv_rejects(copy.deepcopy(document))

    flagged = _ours_flags(document)

    assert flagged or not rejected


@_SETTINGS
@given(generated_documents())
def test_generated_documents_rejected_get_findings(document: dict[str, Any]) -> None:
    """Whenever the reference rejects a generated document, we report findings."""
    rejected = _osv_rejects(copy.deepcopy(document))

    flagged = _ours_flags(document)

    assert flagged or not rejected


def test_finding_messages_are_short_single_lines() -> None:
    """A meta-schema finding on a large node keeps what is wrong, not the whole node."""
    document = _load("3.0/petstore.json")
    document["components"]["schemas"]["Pet"]["properties"]["name"]["type"] = "text"
    document["info"].pop("title")

    findings = validate(document)

    messages = [(f.location, f.message) for f in findings]
    assert ("/info", '"title" is a required property') in messages
    assert any(
        location == "/components/schemas/Pet"
        and message.endswith(
            "not valid under any of the schemas listed in the 'oneOf' keyword"
        )
        for location, message in messages
    )
    assert all(len(f.message) <= MAX_MESSAGE for f in findings)
    assert all("\n" not in f.message for f in findings)


@pytest.mark.parametrize(
    ("field", "number", "version"),
    [("swagger", 2.0, "2.0"), ("openapi", 3.0, "3.0"), ("openapi", 3.1, "3.1")],
)
def test_unquoted_version_number_is_a_finding_not_a_refusal(
    field: str, number: float, version: str
) -> None:
    """``swagger: 2.0`` written as a YAML number is read as 2.0 and reported."""
    base = {"2.0": "2.0/petstore.json", "3.0": "3.0/petstore.json"}.get(
        version, "3.1/petstore.json"
    )
    document = _load(base)
    document[field] = number

    findings = validate(document)

    assert detect_version(document) == version
    assert [f.location for f in findings] == [f"/{field}"] * len(findings)
    assert findings and 'is not of type "string"' in findings[0].message
    assert _osv_rejects(document)
