"""The import entry point: one call, a prepared spec or a typed error."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chapi.errors import ChapiError, SpecError, SpecLoadError, SpecValidationError
from chapi.specs import prepare_import

EXAMPLES = Path(__file__).resolve().parents[1] / "data/oas-examples"


def _petstore() -> dict[str, Any]:
    return dict(json.loads((EXAMPLES / "3.0/petstore.json").read_text()))


def test_prepare_yaml_with_relative_refs(tmp_path: Path) -> None:
    """A YAML document with a sibling-file ref is bundled, validated and normalized."""
    (tmp_path / "pet.yaml").write_text(
        "type: object\nproperties:\n  name: {type: string}\n"
    )
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.3\n"
        "info: {title: Pets, version: 2.1.0}\n"
        "paths:\n"
        "  /pets:\n"
        "    post:\n"
        "      summary: Add a pet\n"
        "      requestBody:\n"
        "        content:\n"
        "          application/json:\n"
        "            schema: {$ref: 'pet.yaml'}\n"
        "      responses:\n"
        "        '201': {description: created}\n"
    )

    prepared = prepare_import(tmp_path / "api.yaml")

    assert prepared.version == "2.1.0"
    assert prepared.warnings == []
    assert prepared.source == str(tmp_path / "api.yaml")
    assert prepared.rows == [{
        "method": "POST", "path": "/pets", "summary": "Add a pet", "auth": "none",
        "req_content": "application/json", "success_content": "201:-",
        "operation_id": None, "tags": [],
    }]  # fmt: skip
    body = prepared.model.operations[0].request_body
    assert body is not None
    assert prepared.model.resolve(body.contents[0].schema_)["type"] == "object"


def test_version_label_given_wins() -> None:
    """An explicit version label overrides info.version."""
    prepared = prepare_import(_petstore(), version="release-7")

    assert prepared.version == "release-7"


def test_strict_refuses_with_all_findings() -> None:
    """strict=True turns findings into a SpecValidationError listing them."""
    document = _petstore()
    del document["info"]["title"]
    document["paths"]["/pet"]["put"]["operationId"] = "addPet"

    with pytest.raises(SpecValidationError) as info:
        prepare_import(document, strict=True)

    assert len(info.value.problems) >= 2
    assert any("not unique" in p for p in info.value.problems)


def test_lenient_import_keeps_findings() -> None:
    """Without strict, findings are returned with the prepared spec."""
    document = _petstore()
    del document["info"]["title"]

    prepared = prepare_import(document)

    assert prepared.warnings
    assert len(prepared.rows) == 20


def test_non_api_document_always_refused() -> None:
    """A JSON document that is not an API description is refused even without strict."""
    with pytest.raises(SpecValidationError, match="not an API description"):
        prepare_import('{"name": "package.json", "version": "1.0.0"}')


def test_load_errors_are_spec_errors() -> None:
    """Unreadable input surfaces as a SpecLoadError, a SpecError."""
    with pytest.raises(SpecLoadError) as info:
        prepare_import(b"\xff\xfe\x00garbage")

    assert isinstance(info.value, SpecError)


# Values a caller's dict (or YAML) may hold: JSON types, and also what JSON
# lacks (NaN and infinities, dates, integer and boolean keys).
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.dates()
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.text(max_size=6) | st.integers(-1, 600) | st.booleans(),
            children,
            max_size=3,
        )
    ),
    max_leaves=8,
)


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            found += _paths(value, (*prefix, i))
    return found


_BASE = {
    name: json.loads((EXAMPLES / name).read_text())
    for name in ("2.0/petstore.json", "3.0/petstore.json", "3.1/webhooks.json",
                 "3.0/parameters-style.json", "3.0/security.json")
}  # fmt: skip
_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(st.data())
def test_random_mutations_raise_only_chapi_errors(data: st.DataObject) -> None:
    """Randomly edited real documents either import or raise a ChapiError."""
    document = copy.deepcopy(_BASE[data.draw(st.sampled_from(sorted(_BASE)))])
    for _ in range(data.draw(st.integers(1, 4))):
        target = data.draw(st.sampled_from([p for p in _paths(document) if p]))
        parent: Any = document
        for part in target[:-1]:
            parent = parent[part]
        if data.draw(st.booleans()):
            del parent[target[-1]]
        else:
            parent[target[-1]] = data.draw(_values)

    try:
        prepared = prepare_import(document)
    except ChapiError:
        return

    assert len(prepared.rows) == len(prepared.model.operations)


@_SETTINGS
@given(
    st.fixed_dictionaries(
        {"openapi": st.sampled_from(["3.0.0", "3.1.0"]), "paths": st.dictionaries(
            st.sampled_from(["/a", "/a/{b}", "x", ""]),
            st.dictionaries(st.sampled_from(["get", "post", "parameters", "$ref", "servers"]),
                            _values, max_size=3),
            max_size=3)},
        optional={"info": _values, "components": _values, "security": _values,
                  "servers": _values, "swagger": st.sampled_from(["2.0", 2])},
    )
)  # fmt: skip
def test_generated_specs_raise_only_chapi_errors(document: dict[str, Any]) -> None:
    """Generated API-shaped documents either import or raise a ChapiError."""
    try:
        prepared = prepare_import(document)
    except ChapiError:
        return

    assert prepared.spec_version in ("2.0", "3.0", "3.1")


@_SETTINGS
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_input_raises_only_chapi_errors(raw: bytes | str) -> None:
    """Arbitrary bytes or text either import or raise a ChapiError."""
    if (
        isinstance(raw, str)
        and "\n" not in raw
        and not raw.lstrip().startswith(("{", "["))
    ):
        raw = raw + "\n"  # make it text, not a path

    try:
        prepare_import(raw)
    except ChapiError as exc:
        assert str(exc)
