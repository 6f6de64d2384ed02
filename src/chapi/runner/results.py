"""The values a run produces: pack files in, case results and the outcome out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = [
    "CaseResult",
    "Outcome",
    "PackFile",
    "PackFileLike",
    "RunOutcome",
    "summarize",
]

Outcome = Literal["passed", "failed", "error", "skipped"]
"""How one case ended: ``error`` means it could not be judged (crash, timeout, cancel)."""


class PackFileLike(Protocol):
    """Anything with a pack file's ``path``, ``content`` and ``role`` (a ``RunPackFile`` fits)."""

    @property
    def path(self) -> str: ...

    @property
    def content(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PackFile:
    """One file to run: its path in the pack, its text and its role."""

    path: str
    content: str
    role: str = ""


@dataclass(frozen=True, slots=True)
class CaseResult:
    """How one case (a json-ir step or a TAP test line) ended.

    Every string is already masked and size-capped.

    Attributes:
        file: the pack path of the file the case belongs to.
        name: the step name or TAP description.
        outcome: passed, failed, error or skipped.
        duration_ms: wall time of the case in milliseconds.
        message: why it did not pass (empty when it passed).
        index: the case's position in its file, from 0.
        request: a short excerpt of the request sent, if any.
        response: a short excerpt of the response received, if any.
    """

    file: str
    name: str
    outcome: Outcome
    duration_ms: float = 0.0
    message: str = ""
    index: int = 0
    request: str = ""
    response: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The case as a JSON-ready dict (the ``results.json`` shape)."""
        return {
            "file": self.file,
            "index": self.index,
            "name": self.name,
            "outcome": self.outcome,
            "duration_ms": round(self.duration_ms, 3),
            "message": self.message,
            "request": self.request,
            "response": self.response,
        }


def summarize(
    results: list[CaseResult], *, duration_ms: float, reason: str | None = None
) -> dict[str, Any]:
    """The run summary: counts per outcome, duration and the reason it stopped early."""
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for case in results:
        counts[case.outcome] += 1
    summary: dict[str, Any] = {
        "total": len(results),
        "passed": counts["passed"],
        "failed": counts["failed"],
        "errors": counts["error"],
        "skipped": counts["skipped"],
        "duration_ms": round(duration_ms, 3),
    }
    if reason:
        summary["reason"] = reason
    return summary


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """Everything a run produced, even when it stopped early.

    Attributes:
        run_id: the id the run was given (also in every event).
        passed: true when the run finished, had at least one case, and no
            case failed or errored.
        summary: see :func:`summarize`.
        results: every case, in pack order then case order.
        artifacts: artifact path to text content: ``results.json``,
            ``junit.xml``, ``summary.md`` and ``logs/<file>.log``.
        reason: why the run stopped early (``"run timed out"``,
            ``"cancelled"``, ``"crashed: ..."``), or ``None``.
    """

    run_id: str
    passed: bool
    summary: dict[str, Any]
    results: list[CaseResult] = field(default_factory=list)
    artifacts: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
