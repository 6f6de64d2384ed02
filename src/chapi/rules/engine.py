"""Running the rules over a pack: :func:`validate_pack` and its report."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from ..domain import MASK, Policy, RunPackValidation
from .finding import PACK_SCOPE, Finding
from .policies import PolicySpec, evaluate_policies, parse_policy, policy_settings
from .registry import Registry, default_registry
from .rule import PackFile, RuleContext, RuleLike, RuleSettings

__all__ = ["Outcome", "ValidationReport", "validate_pack"]

logger = logging.getLogger(__name__)


class _FileLike(Protocol):
    path: str
    content: str
    role: str


@dataclass(frozen=True)
class Outcome:
    """One rule's verdict on one file (or on the pack, with the path ``"*"``)."""

    file_path: str
    rule: str
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity == "error" for f in self.findings)


@dataclass(frozen=True)
class ValidationReport:
    """Everything one validation found, ready to store as validation rows."""

    outcomes: tuple[Outcome, ...]

    @property
    def findings(self) -> list[Finding]:
        """All findings, ordered by file, line, rule and message."""
        every = [f for outcome in self.outcomes for f in outcome.findings]
        return sorted(every, key=lambda f: (f.file, f.line or 0, f.rule, f.message))

    @property
    def errors(self) -> list[Finding]:
        """The findings that fail validation."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """The warning findings."""
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def passed(self) -> bool:
        """True when no finding is an error."""
        return all(outcome.passed for outcome in self.outcomes)

    def rows(self, runpack_id: uuid.UUID, now: datetime) -> list[RunPackValidation]:
        """One validation row per (file, rule) that applied, ``details`` holding the findings."""
        return [
            RunPackValidation(
                runpack_id=runpack_id,
                file_path=outcome.file_path,
                rule=outcome.rule,
                passed=outcome.passed,
                details={"findings": [f.to_dict() for f in outcome.findings]},
                created_at=now,
            )
            for outcome in self.outcomes
        ]

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "failed"
        lines = [
            f"validation {verdict}: {len(self.errors)} errors, {len(self.warnings)} warnings"
        ]
        lines += [str(f) for f in self.findings]
        return "\n".join(lines)


def _crash(rule: str, path: str, exc: BaseException) -> Finding:
    logger.warning("rule %s crashed on %s: %s", rule, path, type(exc).__name__)
    return Finding(
        rule=rule,
        file=path,
        message=f"rule crashed: {type(exc).__name__}: {str(exc)[:300]}",
        severity="error",
        details={"crash": True, "exception": type(exc).__name__},
    )


def _tune(
    findings: Iterable[Any], settings: RuleSettings, rule: str, path: str
) -> list[Finding]:
    tuned: list[Finding] = []
    for item in findings:
        if not isinstance(item, Finding):
            raise TypeError(
                f"rule {rule} returned {type(item).__name__}, not a Finding"
            )
        if settings.severity is not None and item.severity != "info":
            item = item.with_severity(settings.severity)
        tuned.append(item)
    return tuned


def _check_file(rule: RuleLike, file: PackFile, context: RuleContext) -> Outcome | None:
    name = rule.name
    try:
        if not rule.applies_to(file):
            return None
        found = _tune(rule.check(file, context), context.setting(name), name, file.path)
    except Exception as exc:  # a rule's crash is reported, never raised
        found = [_crash(name, file.path, exc)]
    return Outcome(file.path, name, tuple(found))


def _check_pack(
    rule: RuleLike, files: Sequence[PackFile], context: RuleContext
) -> Outcome | None:
    name = rule.name
    check_pack = getattr(rule, "check_pack", None)
    if not callable(check_pack):
        return None
    try:
        result = check_pack(files, context)
        if result is None:
            return None
        found = _tune(result, context.setting(name), name, PACK_SCOPE)
    except Exception as exc:  # a rule's crash is reported, never raised
        found = [_crash(name, PACK_SCOPE, exc)]
    return Outcome(PACK_SCOPE, name, tuple(found))


def _mask(outcome: Outcome, secrets: Sequence[str]) -> Outcome:
    if not secrets:
        return outcome

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    findings = tuple(
        replace(f, message=clean(f.message), details=clean(f.details))
        for f in outcome.findings
    )
    return replace(outcome, findings=findings)


def _as_spec(policy: Policy | PolicySpec | tuple[str, dict[str, Any]]) -> PolicySpec:
    if isinstance(policy, Policy):
        return parse_policy(policy.type, policy.rules)
    if isinstance(policy, tuple):
        return parse_policy(policy[0], policy[1])
    return policy


def validate_pack(
    files: Iterable[PackFile | _FileLike],
    context: RuleContext,
    registry: Registry | None = None,
    policies: Iterable[Policy | PolicySpec | tuple[str, dict[str, Any]]] = (),
) -> ValidationReport:
    """Run every enabled rule and policy over a pack's files.

    Args:
        files: the pack's files (:class:`PackFile`, or anything with
            ``path``, ``content`` and ``role`` such as a ``RunPackFile``).
        context: what the rules know about the pack (mode, allowed
            operations, secrets, API model, settings).
        registry: the rules to run; the built-ins plus installed plugins
            when ``None``.
        policies: stored ``Policy`` rows (or parsed specs, or ``(type,
            rules)`` pairs). ``rule`` policies enable, disable or re-rate
            rules, in the order given; the others add their own checks.

    Returns:
        The report; a rule that raises is reported as an ``error`` finding
        of that rule, never raised.

    Raises:
        ValidationError: a policy is malformed.
    """
    specs = [_as_spec(p) for p in policies]
    settings = {**context.settings, **policy_settings(specs)}
    context = replace(context, settings=settings)
    rules = registry if registry is not None else default_registry()
    pack = [
        PackFile(
            path=f.path,
            content=f.content,
            role=context.role_of(PackFile(f.path, "", f.role)),
        )
        for f in files
    ]

    outcomes: list[Outcome] = []
    for error in rules.load_errors:
        if context.setting(error.name).enabled:
            finding = Finding(rule=error.name, file=PACK_SCOPE, message=error.message)
            outcomes.append(Outcome(PACK_SCOPE, error.name, (finding,)))
    active = [rule for rule in rules if context.setting(rule.name).enabled]
    # File by file, so each file's parse (cached) serves every rule in turn.
    for file in pack:
        for rule in active:
            outcome = _check_file(rule, file, context)
            if outcome is not None:
                outcomes.append(outcome)
    for rule in active:
        pack_outcome = _check_pack(rule, pack, context)
        if pack_outcome is not None:
            outcomes.append(pack_outcome)
    for name, path, found in evaluate_policies(specs, pack, context):
        outcomes.append(Outcome(path, name, tuple(found)))

    secrets = sorted({v for v in context.secrets.values() if v}, key=len, reverse=True)
    ordered = sorted(
        (_mask(o, secrets) for o in outcomes), key=lambda o: (o.file_path, o.rule)
    )
    report = ValidationReport(outcomes=tuple(ordered))
    logger.info(
        "validated %d files with %d rules: %d errors, %d warnings",
        len(pack),
        len(rules),
        len(report.errors),
        len(report.warnings),
    )
    return report
