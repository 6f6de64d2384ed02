"""The Run aggregate: one execution of a pack and the artifacts it produced."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from ..errors import InvalidStateError
from ._base import Entity, UtcDatetime, utc_now
from .enums import RunStatus

__all__ = ["Artifact", "Run"]

_NEXT: dict[RunStatus, tuple[RunStatus, ...]] = {
    RunStatus.QUEUED: (RunStatus.RUNNING, RunStatus.FAILED),
    RunStatus.RUNNING: (RunStatus.PASSED, RunStatus.FAILED),
    RunStatus.PASSED: (),
    RunStatus.FAILED: (),
}
_STATUSES = frozenset(s.value for s in RunStatus)


class Artifact(Entity):
    """A file a run produced or used (results, JUnit XML, logs, pack files)."""

    run_id: uuid.UUID
    path: str = Field(min_length=1)
    content: str
    created_at: UtcDatetime = Field(default_factory=utc_now)


class Run(Entity):
    """One execution of a pack in an environment.

    The status moves queued → running → passed | failed and never back; a
    queued run may also fail directly (it could not start).
    """

    project_id: uuid.UUID
    env_id: uuid.UUID
    runpack_id: uuid.UUID | None = None
    status: RunStatus = RunStatus.QUEUED
    user_query: str = ""
    card: dict[str, Any] = Field(default_factory=dict)
    summary: dict[str, Any] | None = None
    created_at: UtcDatetime = Field(default_factory=utc_now)
    completed_at: UtcDatetime | None = None
    artifacts: list[Artifact] = Field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        # the state machine holds for plain assignment too, not only the methods
        if name == "status" and isinstance(value, str) and value in _STATUSES:
            target = RunStatus(value)
            if target not in _NEXT[self.status]:
                raise InvalidStateError(
                    f"run {self.id} cannot go from {self.status.value} to {target.value}"
                )
        super().__setattr__(name, value)

    def _move(self, target: RunStatus) -> None:
        self.status = target

    def start(self) -> None:
        """queued → running."""
        self._move(RunStatus.RUNNING)

    def finish(self, *, passed: bool, now: datetime, summary: dict[str, Any]) -> None:
        """running (or queued) → passed | failed, stamping ``completed_at``."""
        self._move(RunStatus.PASSED if passed else RunStatus.FAILED)
        self.completed_at = now
        self.summary = summary

    def abandon(self, reason: str, *, now: datetime) -> None:
        """queued | running → failed, for a run whose process ended without finishing it.

        Whatever summary the run already holds is kept; ``reason`` is recorded
        in it, and counts it lacks are set to zero, so the summary has the
        shape of any other run's.
        """
        summary: dict[str, Any] = dict(self.summary or {})
        for key in ("total", "passed", "failed", "errors", "skipped"):
            summary.setdefault(key, 0)
        summary["reason"] = reason
        self.finish(passed=False, now=now, summary=summary)

    def add_artifact(self, path: str, content: str, *, now: datetime) -> Artifact:
        """Attach an artifact; one per path."""
        if any(a.path == path for a in self.artifacts):
            raise InvalidStateError(
                f"run {self.id} already has an artifact at {path!r}"
            )
        item = Artifact(run_id=self.id, path=path, content=content, created_at=now)
        self.artifacts.append(item)
        return item
