"""Synthesized values fit their schemas; invalid variants do not."""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from chapi.generation.regexgen import sample
from chapi.generation.synth import MISSING, Synthesizer
from chapi.specs.model import ApiModel, Parameter

SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer", "minimum": 5, "maximum": 7},
    {"type": "integer", "exclusiveMinimum": 10, "multipleOf": 5},
    {"type": "number", "minimum": 0.5, "maximum": 0.75},
    {"type": "string", "minLength": 20},
    {"type": "string", "maxLength": 3},
    {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}$"},
    {"type": "string", "enum": ["a", "b"]},
    {"type": ["null", "string"], "format": "email"},
    {"type": "array", "items": {"type": "boolean"}, "minItems": 2, "maxItems": 2},
    {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "string", "format": "uuid"},
            "b": {"type": "integer"},
        },
        "additionalProperties": False,
    },
    {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 3}]},
    {"type": "object", "additionalProperties": {"type": "integer"}},
]


def _api(schemas: dict[str, Any] | None = None) -> ApiModel:
    return ApiModel(
        spec_version="3.1", document={"components": {"schemas": schemas or {}}}
    )


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
def test_values_are_valid_against_their_schema(schema: dict[str, Any]) -> None:
    """A synthesized value passes JSON Schema validation of the schema it came from."""
    syn = Synthesizer(_api(), "GET /x\x1fvalid")

    value = syn.value(schema)

    assert list(Draft202012Validator(schema).iter_errors(value)) == []


def test_formats_are_well_formed() -> None:
    """uuid, date-time, date and ipv4 formats give values their parsers accept."""
    syn = Synthesizer(_api(), "seed")

    values = {
        f: syn.value({"type": "string", "format": f})
        for f in ("uuid", "date-time", "date", "ipv4")
    }

    uuid.UUID(values["uuid"])
    dt.datetime.fromisoformat(values["date-time"].replace("Z", "+00:00"))
    dt.date.fromisoformat(values["date"])
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", values["ipv4"])


def test_same_seed_same_value_whatever_came_before() -> None:
    """Values depend on the seed only, not on earlier calls of other synthesizers."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
    }
    first = Synthesizer(_api(), "POST /pets").value(schema)
    Synthesizer(_api(), "other").value(schema)

    again = Synthesizer(_api(), "POST /pets").value(schema)

    assert first == again


def test_spec_examples_win_over_synthesis() -> None:
    """A parameter's example is used as written."""
    syn = Synthesizer(_api(), "seed")
    param = Parameter(
        name="q",
        location="query",
        schema={"type": "integer"},
        example=42,
        has_example=True,
    )

    assert syn.parameter_value(param) == 42
    assert syn.has_spec_value(param)


def test_read_only_properties_are_left_out_of_requests() -> None:
    """readOnly properties are not sent; writeOnly ones are left out of response-like values."""
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "pw": {"type": "string", "writeOnly": True},
        },
    }
    syn = Synthesizer(_api(), "seed")

    assert set(syn.value(schema)) == {"pw"}
    assert set(syn.value(schema, request=False)) == {"id"}


def test_circular_schema_terminates_with_required_fields() -> None:
    """A self-referencing schema gives a finite value that still holds the required fields."""
    node = {
        "type": "object",
        "required": ["name", "child"],
        "properties": {
            "name": {"type": "string"},
            "child": {"$ref": "#/components/schemas/Node"},
        },
    }
    syn = Synthesizer(_api({"Node": node}), "seed")

    value = syn.value({"$ref": "#/components/schemas/Node"})

    assert value["name"] and isinstance(value["child"], dict)
    depth = 0
    while isinstance(value, dict) and "child" in value:
        value, depth = value["child"], depth + 1
    assert depth < 20


def test_discriminator_names_the_chosen_branch() -> None:
    """oneOf with a discriminator mapping sets the property to the mapping key of the first branch."""
    schemas = {
        "Cat": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string"}, "purrs": {"type": "boolean"}},
        },
        "Dog": {"type": "object", "properties": {"kind": {"type": "string"}}},
    }
    schema = {
        "oneOf": [
            {"$ref": "#/components/schemas/Cat"},
            {"$ref": "#/components/schemas/Dog"},
        ],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {"cat": "#/components/schemas/Cat"},
        },
    }

    value = Synthesizer(_api(schemas), "seed").value(schema)

    assert value["kind"] == "cat"


def test_all_of_is_merged() -> None:
    """allOf parts' properties and required lists are merged."""
    schema = {
        "allOf": [
            {
                "type": "object",
                "required": ["a"],
                "properties": {"a": {"type": "integer"}},
            },
            {
                "required": ["b"],
                "properties": {"b": {"type": "string", "format": "email"}},
            },
        ]
    }

    value = Synthesizer(_api(), "seed").value(schema)

    assert isinstance(value["a"], int) and "@" in value["b"]


def test_invalid_bodies_break_the_schema() -> None:
    """Each invalid variant (one per kind of break) fails validation."""
    schema = {
        "type": "object",
        "required": ["name", "age"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 2, "maxLength": 5},
            "age": {"type": "integer", "minimum": 0},
            "kind": {"type": "string", "enum": ["cat", "dog"]},
        },
    }
    syn = Synthesizer(_api(), "seed")
    valid = syn.value(schema)
    assert not list(Draft202012Validator(schema).iter_errors(valid))

    variants = syn.invalid_bodies(schema, valid)

    assert [(v.kind, v.target) for v in variants] == [
        ("missing-required", "name"),
        ("wrong-type", "name"),
        ("below-minimum", "name"),
        ("above-maximum", "name"),
        ("not-in-enum", "kind"),
        ("unknown-field", "chapi_unknown_field"),
    ]
    for variant in variants:
        assert list(Draft202012Validator(schema).iter_errors(variant.value)), (
            variant.description
        )


def test_an_unknown_field_only_when_additional_properties_is_false() -> None:
    """An open object, or one whose additionalProperties is a schema, gets no unknown-field case."""
    for extra in (None, True, {"type": "string"}):
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {"name": {"type": "string"}},
        }
        if extra is not None:
            schema["additionalProperties"] = extra
        variants = Synthesizer(_api(), "seed").invalid_bodies(schema, {"name": "a"})
        assert "unknown-field" not in {v.kind for v in variants}


def test_invalid_parameters_cover_every_kind_of_break() -> None:
    """Query, path and header parameters yield one case per kind of break, query first."""
    params = (
        Parameter(name="q", location="query", required=True, schema={"type": "string"}),
        Parameter(
            name="limit",
            location="query",
            schema={"type": "integer", "minimum": 1, "maximum": 10},
        ),
        Parameter(
            name="sort", location="query", schema={"type": "string", "enum": ["a", "b"]}
        ),
        Parameter(
            name="id", location="path", required=True, schema={"type": "integer"}
        ),
    )

    variants = Synthesizer(_api(), "seed").invalid_parameters(params)

    assert [(v.kind, v.target, v.value) for v in variants] == [
        ("missing-required", "q", MISSING),
        ("wrong-type", "limit", "not-a-number"),
        ("below-minimum", "limit", 0),
        ("above-maximum", "limit", 11),
        ("not-in-enum", "sort", "chapi-not-in-enum"),
    ]


def test_invalid_parameters_break_headers_and_paths_without_blanks() -> None:
    """Header and path parameters are broken too, but never with an empty value."""
    params = (
        Parameter(name="slug", location="path", required=True, schema={"minLength": 1}),
        Parameter(
            name="X-Mode",
            location="header",
            required=True,
            schema={"type": "integer", "enum": [1, 2]},
        ),
    )

    variants = Synthesizer(_api(), "seed").invalid_parameters(params)

    assert [(v.kind, v.where, v.value) for v in variants] == [
        ("missing-required", "header", MISSING),
        ("wrong-type", "header", "not-a-number"),
        ("not-in-enum", "header", 3),
    ]


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(
        [
            r"^[a-z]+$",
            r"^\d{3}-\d{4}$",
            r"^(GET|POST)/[a-z0-9_]{1,8}$",
            r"^[^\s@]+@[^\s@]+$",
            r"^v[0-9]+(\.[0-9]+)?$",
            r"\w+\s\w+",
        ]
    ),
    st.integers(min_value=0, max_value=2**32),
)
def test_pattern_samples_match(pattern: str, seed: int) -> None:
    """A sampled string always matches its pattern."""
    text = sample(pattern, random.Random(seed))

    assert text is not None and re.search(pattern, text)


def test_unsupported_pattern_gives_up() -> None:
    """Back-references are beyond the generator: it returns None instead of a wrong string."""
    assert sample(r"(a)\1", random.Random(1)) is None
