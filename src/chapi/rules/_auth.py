"""Auth coverage: which secured operations a file tests with all three credential cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._ops import StepInfo, file_steps, step_operation
from .rule import PackFile

if TYPE_CHECKING:
    from ..specs.model import ApiModel

__all__ = ["AUTH_CASES", "AuthCoverage", "auth_coverage", "expectation_problem"]

AUTH_CASES = ("none", "invalid", "valid")
_DENIED = frozenset({401, 403})


def _is_success(status: int | str) -> bool:
    if isinstance(status, int):
        return 200 <= status <= 299
    return status.upper() == "2XX"


def expectation_problem(auth: str, expect: tuple[int | str, ...]) -> str | None:
    """Why a step's expected statuses do not fit its auth case, or ``None``."""
    if not expect:
        return "no expected status"
    if auth in ("none", "invalid"):
        if all(isinstance(s, int) and s in _DENIED for s in expect):
            return None
        return f"auth={auth} must expect only 401 or 403, not {list(expect)}"
    success = [s for s in expect if _is_success(s)]
    others = [s for s in expect if not _is_success(s)]
    if success and all(
        isinstance(s, int) and 400 <= s <= 499 and s not in _DENIED for s in others
    ):
        return None
    return (
        "auth=valid must expect a 2xx status (plus, at most, 4xx codes other than "
        f"401/403 for made-up path values), not {list(expect)}"
    )


@dataclass
class AuthCoverage:
    """What one file proves about auth.

    Attributes:
        cases: operation key to the auth cases it tests with right expectations.
        problems: (step, message) for steps whose expectations are wrong.
        operations: every operation the file touches, in order.
        markers_missing: a bash file without step markers (cases unknown).
    """

    cases: dict[str, set[str]] = field(default_factory=dict)
    problems: list[tuple[StepInfo, str]] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    markers_missing: bool = False

    def covered(self, operation: str) -> bool:
        """True when all three cases of ``operation`` are tested correctly."""
        return self.cases.get(operation, set()) >= set(AUTH_CASES)


def is_secured(operation: str, api: ApiModel | None) -> bool:
    """True when the API says the operation needs credentials (unknown counts as secured)."""
    if api is None:
        return True
    found = api.operation(operation)
    return True if found is None else found.secured


def auth_coverage(file: PackFile, api: ApiModel | None) -> AuthCoverage:
    """Read a json-ir file or a marked bash script into an :class:`AuthCoverage`."""
    coverage = AuthCoverage()
    steps = file_steps(file)
    if file.kind == "bash" and any(s.source == "curl" for s in steps):
        coverage.markers_missing = True
    for step in steps:
        operation = step_operation(step, api)
        if operation is None or step.auth is None:
            continue
        if operation not in coverage.operations:
            coverage.operations.append(operation)
        problem = expectation_problem(step.auth, step.expect)
        if problem is not None:
            if is_secured(operation, api):
                coverage.problems.append((step, problem))
            continue
        coverage.cases.setdefault(operation, set()).add(step.auth)
    return coverage
