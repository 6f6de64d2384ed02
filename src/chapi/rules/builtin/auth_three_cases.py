"""AuthThreeCases: AUTH files test missing, invalid and valid credentials."""

from __future__ import annotations

from collections.abc import Iterable

from ...domain import FileRole
from .._auth import AUTH_CASES, auth_coverage, is_secured
from ..finding import Finding
from ..rule import PackFile, Rule, RuleContext

__all__ = ["AuthThreeCases"]


class AuthThreeCases(Rule):
    """Every AUTH file tests each secured operation it touches three ways.

    Missing credentials (``auth: none``) and invalid ones (``auth:
    invalid``) must expect only 401 or 403; valid credentials must expect
    only 2xx statuses. json-ir files are read from ``operation`` (or the
    request matched against the API) and ``auth``; bash scripts from their
    ``# chapi:step operation="..." auth=... expect=...`` markers, and a
    bash AUTH file without markers is an error because its cases cannot be
    known. Without an API model every touched operation counts as secured.
    """

    name = "AuthThreeCases"
    description = (
        "AUTH files cover none, invalid and valid credentials per secured operation"
    )
    kinds = frozenset({"json-ir", "bash"})

    def applies_to(self, file: PackFile) -> bool:
        """Only json-ir and bash files whose role is AUTH."""
        return file.kind in self.kinds and file.role.upper() == FileRole.AUTH

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        """Check each step's expectations, then each secured operation's three cases."""
        coverage = auth_coverage(file, context.api)
        if coverage.markers_missing:
            yield self.finding(
                file,
                "bash AUTH file has no '# chapi:step' markers, so its auth cases "
                "cannot be checked",
            )
            return
        for step, problem in coverage.problems:
            yield self.finding(file, f"step {step.name!r}: {problem}", line=step.line)
        secured = [op for op in coverage.operations if is_secured(op, context.api)]
        for operation in secured:
            missing = [
                c for c in AUTH_CASES if c not in coverage.cases.get(operation, set())
            ]
            if missing:
                yield self.finding(
                    file,
                    f"{operation} lacks correct auth cases: {', '.join(missing)}",
                    operation=operation,
                    missing=missing,
                )
        if not secured:
            yield self.finding(
                file, "AUTH file touches no secured operation", severity="warning"
            )
