"""Guardrails: the validation-rules engine, the built-in rules and project policies.

A pack's files are checked by every enabled rule before the pack can be
finalized or run::

    from chapi.rules import PackFile, RuleContext, validate_pack

    report = validate_pack(
        [PackFile("auth/pets.json", text, role="AUTH")],
        RuleContext(mode="json-ir", allowed_ops=("GET",), secrets={"TOKEN": token}),
    )
    report.passed, report.errors
    rows = report.rows(pack.id, now)      # RunPackValidation rows to store

Rules return :class:`Finding` values; a rule that raises is reported as an
error finding. Other packages add rules through the ``chapi.rules`` entry
points (see :mod:`chapi.rules.registry`).
"""

from .builtin import (
    BUILTIN_RULES,
    AllowedOps,
    AuthThreeCases,
    JsonSchemaValid,
    NoDangerousShell,
    NoInlineSecrets,
    NoRootUrl,
    SafePath,
)
from .engine import Outcome, ValidationReport, validate_pack
from .finding import PACK_SCOPE, SEVERITIES, Finding, Severity
from .policies import (
    POLICY_TYPES,
    PolicySpec,
    RequireAuth,
    RuleOverride,
    ValidateJsonSchema,
    evaluate_policies,
    parse_policy,
    policy_settings,
)
from .registry import ENTRY_POINT_GROUP, LoadError, Registry, default_registry
from .rule import (
    FileKind,
    PackFile,
    Rule,
    RuleContext,
    RuleLike,
    RuleSettings,
    file_kind,
)

__all__ = [
    "BUILTIN_RULES",
    "ENTRY_POINT_GROUP",
    "PACK_SCOPE",
    "POLICY_TYPES",
    "SEVERITIES",
    "AllowedOps",
    "AuthThreeCases",
    "FileKind",
    "Finding",
    "JsonSchemaValid",
    "LoadError",
    "NoDangerousShell",
    "NoInlineSecrets",
    "NoRootUrl",
    "Outcome",
    "PackFile",
    "PolicySpec",
    "Registry",
    "RequireAuth",
    "Rule",
    "RuleContext",
    "RuleLike",
    "RuleOverride",
    "RuleSettings",
    "SafePath",
    "Severity",
    "ValidateJsonSchema",
    "ValidationReport",
    "default_registry",
    "evaluate_policies",
    "file_kind",
    "parse_policy",
    "policy_settings",
    "validate_pack",
]
