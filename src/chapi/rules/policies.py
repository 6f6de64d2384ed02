"""Project policies: parsing their JSON and applying them at validation time.

Three policy types exist (``Policy.type`` and the shape of ``Policy.rules``):

``require-auth``
    ``{}`` or ``{"roles": ["AUTH"], "scope": ["GET /pets"], "severity": "error"}``.
    Every secured operation in scope (the listed operations, or every
    operation the pack touches) must be covered by a file of one of the
    roles testing it with missing, invalid and valid credentials.
``validate-json-schema``
    ``{}`` or ``{"bash": "warn" | "require-marker" | "ignore", "severity": "error"}``.
    Every json-ir step expecting only 2xx statuses sets ``expect.schema:
    true`` (when the API model is known, only for operations whose success
    responses have a schema). Bash scripts are checked through their
    ``schema=true`` step markers; without markers they get a warning
    (``warn``), an error (``require-marker``) or nothing (``ignore``).
``rule``
    ``{"rule": "NoDangerousShell", "enabled": false}`` or
    ``{"rule": "AllowedOps", "severity": "warning"}``: switch any rule on or
    off, or change the severity of its error and warning findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from ..domain import FileRole
from ..errors import ValidationError
from ._auth import auth_coverage, is_secured
from ._ops import file_steps, step_operation
from .finding import PACK_SCOPE, SEVERITIES, Finding, Severity
from .rule import PackFile, RuleContext, RuleSettings

__all__ = [
    "POLICY_TYPES",
    "PolicySpec",
    "RequireAuth",
    "RuleOverride",
    "ValidateJsonSchema",
    "evaluate_policies",
    "parse_policy",
    "policy_settings",
]

BashSchemaMode = Literal["warn", "require-marker", "ignore"]
POLICY_TYPES = ("require-auth", "validate-json-schema", "rule")
"""The policy types :func:`parse_policy` accepts."""

_OPERATION = re.compile(r"^[A-Za-z]+ /\S*$")
_RULE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,99}$")
_ROLE = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class RequireAuth:
    """Secured operations in scope need a file of ``roles`` testing all three auth cases."""

    roles: tuple[str, ...] = (FileRole.AUTH.value,)
    scope: tuple[str, ...] = ()
    severity: Severity = "error"
    type: str = "require-auth"
    row_name: str = "policy:require-auth"


@dataclass(frozen=True)
class ValidateJsonSchema:
    """Success expectations check the response schema."""

    bash: BashSchemaMode = "warn"
    severity: Severity = "error"
    type: str = "validate-json-schema"
    row_name: str = "policy:validate-json-schema"


@dataclass(frozen=True)
class RuleOverride:
    """Switch one rule on or off, or change its severity."""

    rule: str
    enabled: bool | None = None
    severity: Severity | None = None
    type: str = "rule"


PolicySpec = RequireAuth | ValidateJsonSchema | RuleOverride


def _refuse(policy_type: str, problems: list[str]) -> ValidationError:
    return ValidationError(f"policy {policy_type!r} is malformed", problems)


def _keys(policy_type: str, rules: Mapping[str, Any], allowed: set[str]) -> list[str]:
    return [
        f"unknown key {k!r} (allowed: {', '.join(sorted(allowed))})"
        for k in rules
        if k not in allowed
    ]


def _severity(
    rules: Mapping[str, Any], problems: list[str], default: Severity | None
) -> Any:
    value = rules.get("severity", default)
    if value is not None and value not in SEVERITIES:
        problems.append(
            f"severity must be one of {', '.join(SEVERITIES)}, not {value!r}"
        )
    return value


def parse_policy(
    policy_type: str,
    rules: Mapping[str, Any] | None,
    *,
    known_rules: Iterable[str] | None = None,
) -> PolicySpec:
    """Check a policy's type and JSON and return its parsed form.

    Args:
        policy_type: ``require-auth``, ``validate-json-schema`` or ``rule``.
        rules: the policy JSON (an object; ``None`` counts as ``{}``).
        known_rules: rule names a ``rule`` policy may name; any well-formed
            name is accepted when ``None``.

    Raises:
        ValidationError: unknown type, unknown keys or values of the wrong
            shape; every problem is listed in ``problems``.
    """
    rules = {} if rules is None else rules
    if not isinstance(rules, Mapping):
        raise _refuse(str(policy_type), ["rules must be a JSON object"])
    if policy_type not in POLICY_TYPES:
        raise ValidationError(
            f"unknown policy type {policy_type!r} (known: {', '.join(POLICY_TYPES)})"
        )
    problems: list[str] = []

    if policy_type == "require-auth":
        problems += _keys(policy_type, rules, {"roles", "scope", "severity"})
        roles = rules.get("roles", [FileRole.AUTH.value])
        if (
            not isinstance(roles, list)
            or not roles
            or not all(isinstance(r, str) and _ROLE.match(r) for r in roles)
        ):
            problems.append("roles must be a non-empty list of upper-case role names")
            roles = []
        scope = rules.get("scope", [])
        if not isinstance(scope, list) or not all(
            isinstance(s, str) and _OPERATION.match(s) for s in scope
        ):
            problems.append("scope must be a list of 'METHOD /path' operations")
            scope = []
        severity = _severity(rules, problems, "error")
        if problems:
            raise _refuse(policy_type, problems)
        return RequireAuth(
            roles=tuple(roles),
            scope=tuple(
                f"{s.split(' ', 1)[0].upper()} {s.split(' ', 1)[1]}" for s in scope
            ),
            severity=severity,
        )

    if policy_type == "validate-json-schema":
        problems += _keys(policy_type, rules, {"bash", "severity"})
        bash = rules.get("bash", "warn")
        if bash not in get_args(BashSchemaMode):
            problems.append(
                f"bash must be one of {', '.join(get_args(BashSchemaMode))}"
            )
        severity = _severity(rules, problems, "error")
        if problems:
            raise _refuse(policy_type, problems)
        return ValidateJsonSchema(bash=bash, severity=severity)

    problems += _keys(policy_type, rules, {"rule", "enabled", "severity"})
    name = rules.get("rule")
    if not isinstance(name, str) or not _RULE_NAME.match(name):
        problems.append("rule must name a rule, such as 'NoDangerousShell'")
    elif known_rules is not None and name not in set(known_rules):
        problems.append(f"no rule is named {name!r}")
    enabled = rules.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        problems.append("enabled must be true or false")
    severity = _severity(rules, problems, None)
    if enabled is None and severity is None:
        problems.append("a rule policy sets 'enabled', 'severity' or both")
    if problems:
        raise _refuse(policy_type, problems)
    return RuleOverride(rule=str(name), enabled=enabled, severity=severity)


def policy_settings(specs: Iterable[PolicySpec]) -> dict[str, RuleSettings]:
    """Rule settings from the ``rule`` policies; later policies win."""
    settings: dict[str, RuleSettings] = {}
    for spec in specs:
        if isinstance(spec, RuleOverride):
            current = settings.get(spec.rule, RuleSettings())
            settings[spec.rule] = RuleSettings(
                enabled=current.enabled if spec.enabled is None else spec.enabled,
                severity=current.severity if spec.severity is None else spec.severity,
            )
    return settings


def _require_auth(
    spec: RequireAuth, files: Sequence[PackFile], context: RuleContext
) -> list[Finding]:
    rule = spec.row_name
    api = context.api
    if spec.scope:
        scope = list(spec.scope)
    else:
        scope = []
        for file in files:
            for step in file_steps(file):
                operation = step_operation(step, api)
                if operation and operation not in scope:
                    scope.append(operation)
    if api is None and not spec.scope:
        unknown = Finding(
            rule=rule,
            file=PACK_SCOPE,
            severity="warning",
            message="no API model: secured operations are unknown, so every touched "
            "operation is treated as secured",
        )
        return [unknown, *_coverage_gaps(spec, files, context, scope)]
    return _coverage_gaps(
        spec, files, context, [op for op in scope if is_secured(op, api)]
    )


def _coverage_gaps(
    spec: RequireAuth, files: Sequence[PackFile], context: RuleContext, scope: list[str]
) -> list[Finding]:
    roles = {r.upper() for r in spec.roles}
    coverages = [
        auth_coverage(f, context.api)
        for f in files
        if f.role.upper() in roles and f.kind in ("json-ir", "bash")
    ]
    findings = []
    for operation in sorted(scope):
        if not any(c.covered(operation) for c in coverages):
            findings.append(
                Finding(
                    rule=spec.row_name,
                    file=PACK_SCOPE,
                    severity=spec.severity,
                    message=f"secured operation {operation} has no {'/'.join(sorted(roles))} "
                    "file testing missing, invalid and valid credentials",
                    details={"operation": operation},
                )
            )
    return findings


def _success_only(expect: tuple[int | str, ...]) -> bool:
    return bool(expect) and all(
        (isinstance(s, int) and 200 <= s <= 299)
        or (isinstance(s, str) and s.upper() == "2XX")
        for s in expect
    )


def _has_schema(operation: str | None, context: RuleContext) -> bool:
    api = context.api
    if api is None or operation is None:
        return True
    found = api.operation(operation)
    if found is None:
        return True
    return any(
        media.schema_ is not None
        for r in found.success_responses()
        for media in r.contents
    )


def _validate_schema(
    spec: ValidateJsonSchema, file: PackFile, context: RuleContext
) -> list[Finding]:
    rule = spec.row_name
    steps = file_steps(file)
    findings: list[Finding] = []
    if file.kind == "bash":
        if spec.bash == "ignore":
            return []
        if not steps or any(s.source != "marker" for s in steps):
            severity: Severity = "error" if spec.bash == "require-marker" else "warning"
            return [
                Finding(
                    rule=rule,
                    file=file.path,
                    severity=severity,
                    message="bash file has no '# chapi:step ... schema=true' markers, so "
                    "response schema checks cannot be verified",
                )
            ]
    for step in steps:
        operation = step_operation(step, context.api)
        if (
            _success_only(step.expect)
            and not step.schema
            and _has_schema(operation, context)
        ):
            findings.append(
                Finding(
                    rule=rule,
                    file=file.path,
                    severity=spec.severity,
                    line=step.line,
                    message=f"step {step.name!r} expects success but does not check the "
                    "response schema (expect.schema: true)",
                    details={"operation": operation},
                )
            )
    return findings


def evaluate_policies(
    specs: Iterable[PolicySpec], files: Sequence[PackFile], context: RuleContext
) -> list[tuple[str, str, list[Finding]]]:
    """Apply the non-``rule`` policies: ``(row rule name, file path, findings)`` per verdict."""
    verdicts: list[tuple[str, str, list[Finding]]] = []
    for spec in specs:
        if isinstance(spec, RequireAuth):
            verdicts.append(
                (spec.row_name, PACK_SCOPE, _require_auth(spec, files, context))
            )
        elif isinstance(spec, ValidateJsonSchema):
            for file in files:
                if file.kind in ("json-ir", "bash"):
                    verdicts.append(
                        (
                            spec.row_name,
                            file.path,
                            _validate_schema(spec, file, context),
                        )
                    )
    return verdicts
