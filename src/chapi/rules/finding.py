"""Findings: what a rule reports about a file or a whole pack."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = ["PACK_SCOPE", "SEVERITIES", "Finding", "Severity"]

Severity = Literal["error", "warning", "info"]
"""How bad a finding is: only ``error`` findings fail a validation."""

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

PACK_SCOPE = "*"
"""The file path of findings and validation rows about the pack as a whole."""


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


@dataclass(frozen=True)
class Finding:
    """One thing a rule found.

    Attributes:
        rule: the name of the rule that reported it.
        file: the pack-relative path of the file, or ``"*"`` for the pack.
        line: the 1-based line the finding points at, when it can be located.
        message: one human-readable sentence; never holds a secret value.
        severity: ``error`` (fails validation), ``warning`` or ``info``.
        details: extra JSON-safe facts (pointer, command, operation, ...).
    """

    rule: str
    file: str
    message: str
    severity: Severity = "error"
    line: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def with_severity(self, severity: Severity) -> Finding:
        """A copy of this finding with another severity."""
        return replace(self, severity=severity)

    def to_dict(self) -> dict[str, Any]:
        """The finding as a JSON-safe dict (the shape stored in validation rows)."""
        return {
            "rule": self.rule,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "severity": self.severity,
            "details": _json_safe(self.details),
        }

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.severity}: {self.message} [{self.rule}]"
