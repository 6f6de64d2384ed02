"""Policies: parsing their JSON and applying require-auth and validate-json-schema."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from chapi.domain import Policy
from chapi.errors import ValidationError
from chapi.rules import (
    PackFile,
    Registry,
    RequireAuth,
    RuleContext,
    RuleOverride,
    ValidateJsonSchema,
    parse_policy,
    validate_pack,
)
from chapi.specs.model import ApiModel, MediaSchema, Operation, Response

API = ApiModel(
    spec_version="3.0",
    operations=(
        Operation(
            method="GET", path="/pets", security=(("bearer",),),
            responses=(Response(status="200", contents=(MediaSchema(media_type="application/json", schema={"type": "array"}),)),),
        ),
        Operation(method="GET", path="/health", responses=(Response(status="200"),)),
    ),
)  # fmt: skip


def _step(
    auth: str, status: list[Any], schema: bool = False, path: str = "/pets"
) -> dict[str, Any]:
    return {
        "name": f"{auth} {path}",
        "auth": auth,
        "request": {"method": "GET", "path": path},
        "expect": {"status": status, "schema": schema},
    }


def _file(path: str, role: str, *steps: dict[str, Any]) -> PackFile:
    return PackFile(
        path, json.dumps({"jsonir": 1, "name": path, "steps": list(steps)}), role
    )


SMOKE = _file("smoke.json", "SMOKE", _step("valid", [200], schema=True))
AUTH = _file(
    "auth.json",
    "AUTH",
    _step("none", [401]),
    _step("invalid", [403]),
    _step("valid", [200], True),
)


@pytest.mark.parametrize(
    ("policy_type", "rules", "expected"),
    [
        ("require-auth", {}, RequireAuth()),
        ("require-auth", {"roles": ["AUTH", "SECURITY"], "scope": ["get /pets"]},
         RequireAuth(roles=("AUTH", "SECURITY"), scope=("GET /pets",))),
        ("validate-json-schema", None, ValidateJsonSchema()),
        ("validate-json-schema", {"bash": "require-marker"}, ValidateJsonSchema(bash="require-marker")),
        ("rule", {"rule": "NoDangerousShell", "enabled": False}, RuleOverride("NoDangerousShell", enabled=False)),
        ("rule", {"rule": "AllowedOps", "severity": "warning"}, RuleOverride("AllowedOps", severity="warning")),
    ],
)  # fmt: skip
def test_parse_policy_accepts_valid_shapes(
    policy_type: str, rules: dict[str, Any] | None, expected: object
) -> None:
    """Well-formed policies parse into their typed form."""
    # Arrange / Act
    parsed = parse_policy(policy_type, rules)

    # Assert
    assert parsed == expected


@pytest.mark.parametrize(
    ("policy_type", "rules"),
    [
        ("no-such-type", {}),
        ("require-auth", {"roles": "AUTH"}),
        ("require-auth", {"scope": ["pets"]}),
        ("require-auth", {"extra": 1}),
        ("validate-json-schema", {"bash": "maybe"}),
        ("rule", {"rule": "NoDangerousShell"}),
        ("rule", {"rule": "NoDangerousShell", "enabled": "no"}),
        ("rule", {"rule": "NoDangerousShell", "severity": "fatal"}),
        ("rule", {"rule": "rm -rf", "enabled": False}),
        ("rule", [1, 2]),
    ],
)
def test_parse_policy_refuses_bad_shapes(policy_type: str, rules: Any) -> None:
    """Unknown types and malformed JSON raise ValidationError."""
    # Arrange / Act / Assert
    with pytest.raises(ValidationError):
        parse_policy(policy_type, rules)


def test_parse_policy_checks_rule_names_against_a_registry() -> None:
    """With known rule names, a rule policy naming an unknown rule is refused."""
    # Arrange
    names = Registry.builtins().names()

    # Act / Assert
    parse_policy("rule", {"rule": "SafePath", "enabled": False}, known_rules=names)
    with pytest.raises(ValidationError, match="NoSuchRule"):
        parse_policy(
            "rule", {"rule": "NoSuchRule", "enabled": False}, known_rules=names
        )


def test_require_auth_passes_with_coverage_and_fails_without() -> None:
    """Secured operations touched by the pack need an AUTH file with the three cases."""
    # Arrange
    context = RuleContext(api=API)
    policy = [("require-auth", {})]

    # Act
    covered = validate_pack([SMOKE, AUTH], context, Registry(), policies=policy)
    uncovered = validate_pack([SMOKE], context, Registry(), policies=policy)

    # Assert
    assert covered.passed
    assert [(f.rule, f.file) for f in uncovered.errors] == [
        ("policy:require-auth", "*")
    ]
    assert "GET /pets" in uncovered.errors[0].message


def test_require_auth_scope_and_roles() -> None:
    """An explicit scope and role list are honoured; unsecured operations need nothing."""
    # Arrange
    context = RuleContext(api=API)
    health_only = [("require-auth", {"scope": ["GET /health"]})]
    other_role = [("require-auth", {"roles": ["SECURITY"]})]

    # Act
    health = validate_pack([SMOKE], context, Registry(), policies=health_only)
    wrong_role = validate_pack([SMOKE, AUTH], context, Registry(), policies=other_role)

    # Assert
    assert health.passed
    assert not wrong_role.passed


def test_validate_json_schema_policy() -> None:
    """Success steps must set expect.schema when the operation has a response schema."""
    # Arrange
    missing = _file("s.json", "SMOKE", _step("valid", [200], schema=False))
    no_schema_op = _file(
        "h.json", "SMOKE", _step("valid", [200], schema=False, path="/health")
    )
    stored = Policy(project_id=uuid.uuid4(), type="validate-json-schema", rules={})

    # Act
    report = validate_pack(
        [SMOKE, missing, no_schema_op],
        RuleContext(api=API),
        Registry(),
        policies=[stored],
    )

    # Assert
    assert [(f.file, f.rule) for f in report.errors] == [
        ("s.json", "policy:validate-json-schema")
    ]


def test_validate_json_schema_policy_on_bash() -> None:
    """Bash files without schema markers warn by default and fail with require-marker."""
    # Arrange
    bash = PackFile("a.sh", 'curl "$BASE_URL/pets"\n')
    marked = PackFile(
        "b.sh",
        '# chapi:step operation="GET /pets" expect=200 schema=true\ncurl "$BASE_URL/pets"\n',
    )

    # Act
    warn = validate_pack(
        [bash, marked], RuleContext(api=API), Registry(), [("validate-json-schema", {})]
    )
    strict = validate_pack(
        [bash],
        RuleContext(api=API),
        Registry(),
        [("validate-json-schema", {"bash": "require-marker"})],
    )

    # Assert
    assert warn.passed and [f.file for f in warn.warnings] == ["a.sh"]
    assert not strict.passed
