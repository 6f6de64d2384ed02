"""Gathering case results as they happen, so a run that stops early keeps them."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from .events import CaseFinished, Event, EventCallback, FileFinished
from .masking import Masker
from .results import CaseResult, Outcome

__all__ = ["Collector"]

logger = logging.getLogger(__name__)

MESSAGE_CAP = 4_000
"""The longest failure message kept per case, in characters."""


class Collector:
    """Receives every case of a run, masks it, emits events and keeps per-file logs.

    Executors call :meth:`plan` before a file starts, :meth:`case` for every
    case and :meth:`finish_file` at the end. When the run stops early,
    :meth:`fill_unfinished` records every planned case that never ended.

    Args:
        run_id: the run's id, copied into every event.
        masker: hides secrets in every string recorded.
        on_event: the caller's callback; an exception it raises is logged and
            otherwise ignored, so a broken consumer cannot stop a run.
        file_order: pack paths in pack order (results are reported that way).
    """

    def __init__(
        self,
        run_id: str,
        masker: Masker,
        on_event: EventCallback | None,
        file_order: Sequence[str],
    ) -> None:
        self.run_id = run_id
        self.masker = masker
        self._on_event = on_event
        self._order = list(file_order)
        self._planned: dict[str, list[str]] = {path: [] for path in self._order}
        self._cases: dict[str, list[CaseResult]] = {path: [] for path in self._order}
        self._logs: dict[str, list[str]] = {path: [] for path in self._order}
        self._started: dict[str, float] = {}
        self._finished: set[str] = set()

    def emit(self, event: Event) -> None:
        """Pass ``event`` to the caller's callback, never letting it break the run."""
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:
            logger.exception(
                "run %s: the event callback raised; ignoring it", self.run_id
            )

    def plan(self, file: str, names: Sequence[str]) -> None:
        """Announce the cases ``file`` will produce (json-ir steps) and start its clock."""
        self._planned[file] = list(names)
        self._started.setdefault(file, time.perf_counter())

    def start(self, file: str) -> None:
        """Start ``file``'s clock without announcing cases (bash scripts)."""
        self._started.setdefault(file, time.perf_counter())

    def log(self, file: str, line: str) -> None:
        """Append one masked line to ``file``'s log."""
        self._logs.setdefault(file, []).append(self.masker.text(line))

    def case(
        self,
        file: str,
        name: str,
        outcome: Outcome,
        *,
        duration_ms: float = 0.0,
        message: str = "",
        request: str = "",
        response: str = "",
    ) -> CaseResult:
        """Record one case (masking every string) and emit :class:`CaseFinished`."""
        mask = self.masker.text
        cases = self._cases.setdefault(file, [])
        result = CaseResult(
            file=file,
            name=mask(name),
            outcome=outcome,
            duration_ms=duration_ms,
            message=mask(message)[:MESSAGE_CAP],
            index=len(cases),
            request=mask(request),
            response=mask(response),
        )
        cases.append(result)
        line = f"{outcome.upper():7} {result.name} ({duration_ms:.1f} ms)"
        if result.message:
            line += f": {result.message}"
        self._logs.setdefault(file, []).append(line)
        self.emit(
            CaseFinished(
                run_id=self.run_id,
                file=file,
                name=result.name,
                outcome=outcome,
                duration_ms=duration_ms,
                message=result.message,
            )
        )
        return result

    def finish_file(self, file: str) -> None:
        """Mark ``file`` done and emit :class:`FileFinished` (once)."""
        if file in self._finished:
            return
        self._finished.add(file)
        counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        for case in self._cases.get(file, []):
            counts[case.outcome] += 1
        started = self._started.get(file, time.perf_counter())
        duration = (time.perf_counter() - started) * 1000
        self.emit(FileFinished(self.run_id, file, duration, counts))

    def fill_unfinished(self, reason: str) -> None:
        """Record every planned case that never ended as an error with ``reason``."""
        for file in self._order:
            self.fill_file(file, reason)

    def fill_file(self, file: str, reason: str) -> None:
        """Record ``file``'s cases that never ended as errors with ``reason``, and finish it."""
        if file in self._finished:
            return
        done = len(self._cases.get(file, []))
        planned = self._planned.get(file, [])
        if planned:
            for name in planned[done:]:
                self.case(file, name, "error", message=reason)
        else:
            self.case(file, file.rsplit("/", 1)[-1], "error", message=reason)
        self.finish_file(file)

    def results(self) -> list[CaseResult]:
        """Every case recorded, in pack order then case order."""
        ordered = [case for path in self._order for case in self._cases.get(path, [])]
        known = set(self._order)
        extra = [
            case
            for path, cases in self._cases.items()
            if path not in known
            for case in cases
        ]
        return ordered + extra

    def logs(self) -> dict[str, list[str]]:
        """Each file's masked log lines."""
        return {path: list(lines) for path, lines in self._logs.items()}
