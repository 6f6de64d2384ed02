"""Validation, finalizing and policies through the facade, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chapi import Chapi
from chapi.domain import PackStatus
from chapi.domain.pack import FORCED_RULE
from chapi.errors import InvalidStateError, NotFoundError, ValidationError
from chapi.rules import Registry
from chapi.security import FernetKeyProvider, generate_key
from chapi.storage import SqlStorage

PETSTORE = Path(__file__).parents[1] / "data" / "oas-examples" / "3.0" / "petstore.json"

BAD_SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
curl -sS -X DELETE "http://evil.example/pet/1"
"""


def _step(auth: str, status: list[int]) -> dict[str, object]:
    return {
        "name": f"auth {auth}",
        "operation": "GET /pet/{petId}",
        "auth": auth,
        "request": {"method": "GET", "path": "/pet/1"},
        "expect": {"status": status},
    }


AUTH_FILE = json.dumps(
    {
        "jsonir": 1,
        "name": "pet auth",
        "role": "AUTH",
        "steps": [
            _step("none", [401, 403]),
            _step("invalid", [401, 403]),
            _step("valid", [200]),
        ],
    }
)


@pytest.fixture
def chapi(storage: SqlStorage, clock: object) -> Iterator[Chapi]:
    """A facade over the test storage with one project holding the petstore."""
    facade = Chapi(
        storage=storage,
        key_provider=FernetKeyProvider(generate_key()),
        clock=clock,  # type: ignore[arg-type]
        llm=None,
    )
    project = facade.projects.create("pets")
    facade.specs.import_spec(project.id, PETSTORE)
    yield facade


def test_validation_rows_are_stored_one_per_file_and_rule(chapi: Chapi) -> None:
    """A hand-made pack's findings are stored as one row per (file, rule) that applied."""
    # Arrange
    pack = chapi.packs.create(
        "pets",
        {"tests/pets/auth.sh": BAD_SCRIPT, "tests/pets/auth.json": AUTH_FILE},
        roles={"tests/pets/auth.sh": "AUTH", "tests/pets/auth.json": "AUTH"},
        allowed_ops=["GET", "POST"],
    )

    # Act
    report = chapi.packs.validate(pack.id)
    stored = chapi.packs.get(pack.id).validations

    # Assert
    assert not report.passed
    failed = {(f.rule, f.file) for f in report.errors}
    assert ("AllowedOps", "tests/pets/auth.sh") in failed
    assert ("NoRootUrl", "tests/pets/auth.sh") in failed
    assert all(f.file == "tests/pets/auth.sh" for f in report.errors)
    keys = [(v.file_path, v.rule) for v in stored]
    assert len(keys) == len(set(keys)) == len(report.outcomes)
    builtins = set(Registry.builtins().names())
    for path in ("tests/pets/auth.sh", "tests/pets/auth.json"):
        assert (
            {"NoRootUrl", "SafePath", "NoInlineSecrets", "AllowedOps"}
            <= {rule for file, rule in keys if file == path}
            <= builtins
        )
    row = next(
        v for v in stored if v.rule == "AllowedOps" and v.file_path.endswith("sh")
    )
    assert row.passed is False
    assert row.details is not None
    assert row.details["findings"][0]["line"] == 3
    assert "DELETE" in row.details["findings"][0]["message"]
    again = chapi.packs.validate(pack.id)
    assert len(chapi.packs.get(pack.id).validations) == len(again.outcomes)


def test_finalize_is_refused_until_forced_with_a_reason(chapi: Chapi) -> None:
    """Error findings block finalizing; forcing needs a reason, which is stored."""
    # Arrange
    pack = chapi.packs.create(
        "pets", {"tests/pets/auth.sh": BAD_SCRIPT}, roles={"tests/pets/auth.sh": "AUTH"}
    )

    # Act
    with pytest.raises(InvalidStateError, match="failed validations"):
        chapi.packs.finalize(pack.id)
    with pytest.raises(InvalidStateError, match="reason"):
        chapi.packs.finalize(pack.id, force=True, reason="  ")
    assert chapi.packs.get(pack.id).status is PackStatus.DRAFT
    chapi.packs.finalize(pack.id, force=True, reason="checked by hand on a sandbox")
    stored = chapi.packs.get(pack.id)

    # Assert
    assert stored.status is PackStatus.FINALIZED
    forced = [v for v in stored.validations if v.rule == FORCED_RULE]
    assert len(forced) == 1
    assert forced[0].details is not None
    assert forced[0].details["reason"] == "checked by hand on a sandbox"
    assert "NoRootUrl:tests/pets/auth.sh" in forced[0].details["overridden"]
    assert any(not v.passed for v in stored.validations)  # the findings stay on record


def test_clean_pack_finalizes_without_force(chapi: Chapi) -> None:
    """A pack with no error finding finalizes and keeps its passing rows."""
    # Arrange
    pack = chapi.packs.create(
        "pets",
        {"tests/pets/auth.json": AUTH_FILE},
        roles={"tests/pets/auth.json": "AUTH"},
    )

    # Act
    final = chapi.packs.finalize(pack.id)

    # Assert
    assert final.status is PackStatus.FINALIZED
    assert all(v.passed for v in chapi.packs.get(pack.id).validations)
    assert not any(v.rule == FORCED_RULE for v in final.validations)


def test_require_auth_policy_applies_to_every_pack_of_the_project(chapi: Chapi) -> None:
    """With require-auth, a secured operation lacking the three cases blocks the pack."""
    # Arrange
    smoke = json.dumps(
        {
            "jsonir": 1,
            "name": "pet smoke",
            "steps": [_step("valid", [200])],
        }
    )
    before = chapi.packs.create("pets", {"tests/pets/smoke.json": smoke})
    assert chapi.packs.validate(before.id).passed

    # Act
    policy = chapi.policies.add("pets", "require-auth", {"roles": ["AUTH"]})
    blocked = chapi.packs.validate(before.id)
    covered = chapi.packs.create(
        "pets",
        {"tests/pets/smoke.json": smoke, "tests/pets/auth.json": AUTH_FILE},
        roles={"tests/pets/auth.json": "AUTH"},
    )
    covered_report = chapi.packs.validate(covered.id)

    # Assert
    assert [p.id for p in chapi.policies.list("pets")] == [policy.id]
    assert not blocked.passed
    assert [f.rule for f in blocked.errors] == ["policy:require-auth"]
    assert "GET /pet/{petId}" in blocked.errors[0].message
    assert covered_report.passed
    with pytest.raises(InvalidStateError):
        chapi.packs.finalize(before.id)
    chapi.policies.delete(policy.id)
    assert chapi.packs.validate(before.id).passed


def test_validate_json_schema_policy_wants_schema_checks(chapi: Chapi) -> None:
    """With validate-json-schema, a 2xx expectation without schema: true is an error."""
    # Arrange
    pack = chapi.packs.create(
        "pets",
        {"tests/pets/auth.json": AUTH_FILE},
        roles={"tests/pets/auth.json": "AUTH"},
    )

    # Act
    chapi.policies.add("pets", "validate-json-schema", {})
    report = chapi.packs.validate(pack.id)

    # Assert
    assert not report.passed
    assert {f.rule for f in report.errors} == {"policy:validate-json-schema"}


def test_rule_policy_disables_and_rerates_rules(chapi: Chapi) -> None:
    """The generic form switches rules off or turns their errors into warnings."""
    # Arrange
    pack = chapi.packs.create(
        "pets", {"tests/pets/auth.sh": BAD_SCRIPT}, roles={"tests/pets/auth.sh": "AUTH"}
    )
    rules = {f.rule for f in chapi.packs.validate(pack.id).errors}
    assert {"NoRootUrl", "AuthThreeCases"} <= rules

    # Act
    for name in sorted(rules - {"NoRootUrl"}):
        chapi.policies.add("pets", "rule", {"rule": name, "enabled": False})
    chapi.policies.add("pets", "rule", {"rule": "NoRootUrl", "severity": "warning"})
    report = chapi.packs.validate(pack.id)

    # Assert
    assert report.passed
    assert {f.rule for f in report.warnings} == {"NoRootUrl"}
    assert not any(
        v.rule in rules - {"NoRootUrl"} for v in chapi.packs.get(pack.id).validations
    )
    assert chapi.packs.finalize(pack.id).status is PackStatus.FINALIZED


@pytest.mark.parametrize(
    ("policy_type", "rules"),
    [
        ("require-everything", {}),
        ("rule", {"rule": "NoSuchRule", "enabled": False}),
        ("rule", {"rule": "SafePath", "severity": "fatal"}),
        ("require-auth", {"roles": "AUTH"}),
    ],
)
def test_malformed_policies_are_refused_and_not_stored(
    chapi: Chapi, policy_type: str, rules: dict[str, object]
) -> None:
    """Unknown types, unknown rules and bad values are ValidationErrors; nothing is stored."""
    # Act
    with pytest.raises(ValidationError):
        chapi.policies.add("pets", policy_type, rules)

    # Assert
    assert chapi.policies.list("pets") == []


def test_policy_needs_an_existing_project(chapi: Chapi) -> None:
    """A policy for an unknown project is a NotFoundError."""
    with pytest.raises(NotFoundError):
        chapi.policies.add("nope", "require-auth", {})
