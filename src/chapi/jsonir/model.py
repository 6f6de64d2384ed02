"""Typed models of json-ir version 1, and parsing against the shipped schema."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

import jsonschema_rs
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field

from ..errors import ValidationError

__all__ = [
    "Assertion",
    "AuthCase",
    "Expect",
    "JsonIrFile",
    "Request",
    "Step",
    "dumps",
    "is_valid",
    "parse",
    "schema",
    "schema_errors",
]

AuthCase = Literal["valid", "invalid", "none"]
Scalar = str | int | float | bool | None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Request(_Model):
    """The HTTP request of a step; ``path`` is relative to the base URL."""

    method: str
    path: str
    query: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    json_: Any = Field(default=None, alias="json")
    has_json: bool = Field(default=False, exclude=True)
    form: dict[str, Scalar] | None = None
    body: str | None = None
    content_type: str | None = None


class Assertion(_Model):
    """A check on the value at a JSON Pointer in the response body."""

    pointer: str
    equals: Any = None
    has_equals: bool = Field(default=False, exclude=True)
    exists: bool | None = None
    type: str | None = None


class Expect(_Model):
    """What a response must look like for the step to pass."""

    status: list[int | str] = Field(default_factory=lambda: list[int | str](["2XX"]))
    headers: dict[str, str] = Field(default_factory=dict)
    json_: list[Assertion] = Field(default_factory=list, alias="json")
    schema_: bool = Field(default=False, alias="schema")
    max_ms: int | None = None

    def allows(self, status: int) -> bool:
        """True when ``status`` is one of the allowed codes or ranges."""
        for item in self.status:
            if isinstance(item, int) and item == status:
                return True
            if isinstance(item, str) and item[0] == str(status)[0]:
                return True
        return False


class Step(_Model):
    """One request, its auth case, expectations and captures."""

    name: str
    operation: str | None = None
    request: Request
    auth: AuthCase = "valid"
    expect: Expect = Field(default_factory=Expect)
    capture: dict[str, str] = Field(default_factory=dict)


class JsonIrFile(_Model):
    """A whole json-ir file."""

    jsonir: Literal[1] = 1
    name: str
    role: str | None = None
    description: str | None = None
    steps: list[Step]


@cache
def schema() -> dict[str, Any]:
    """The json-ir version 1 JSON Schema shipped with chapi."""
    text = resources.files(__package__).joinpath("schema-v1.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


@cache
def _fast_validator() -> Any:
    return jsonschema_rs.validator_for(schema())


def is_valid(document: Any) -> bool:
    """True when ``document`` conforms to the json-ir version 1 schema.

    Answered by a validator compiled once (``jsonschema-rs``); use
    :func:`schema_errors` to learn what is wrong with an invalid document.
    """
    valid: bool = _fast_validator().is_valid(document)
    return valid


def schema_errors(document: Any) -> list[str]:
    """Every schema violation in ``document``, as ``/pointer: message`` lines.

    A compiled validator answers whether the document is valid; only when it
    is not does the ``jsonschema`` package list the violations, whose
    messages are the ones chapi documents and tests.
    """
    if is_valid(document):
        return []
    errors = sorted(
        _validator().iter_errors(document), key=lambda e: list(e.absolute_path)
    )
    return [
        "/" + "/".join(str(p) for p in err.absolute_path) + f": {err.message}"
        for err in errors
    ]


def _build(document: dict[str, Any]) -> JsonIrFile:
    steps = []
    for raw in document["steps"]:
        step = dict(raw)
        request = dict(step["request"])
        request["has_json"] = "json" in request
        step["request"] = request
        if "expect" in step:
            expect = dict(step["expect"])
            expect["json"] = [
                {**a, "has_equals": "equals" in a} for a in expect.get("json", [])
            ]
            step["expect"] = expect
        steps.append(step)
    return JsonIrFile.model_validate({**document, "steps": steps})


def parse(text: str | bytes) -> JsonIrFile:
    """Parse and validate a json-ir file.

    Raises:
        ValidationError: the text is not JSON or breaks the schema; every
            violation is listed in ``problems``.
    """
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"json-ir file is not valid JSON: {exc}") from exc
    problems = schema_errors(document)
    if problems:
        raise ValidationError("json-ir file breaks the version 1 schema", problems)
    return _build(document)


def dumps(document: dict[str, Any]) -> str:
    """Serialize a json-ir document canonically: sorted keys, two-space indent, final newline.

    Same document, same bytes, which keeps pack hashes stable.
    """
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
