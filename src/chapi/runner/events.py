"""Typed, past-tense events a run emits, and two ready consumers.

A run calls its ``on_event`` callback with, in order: one :class:`RunStarted`,
then :class:`CaseFinished` for every case and :class:`FileFinished` when a
file is done (files interleave when they run concurrently), and last one
:class:`RunFinished`. Every string in an event is already masked.

:class:`ProgressPrinter` draws a progress bar on a terminal (plain lines when
the stream is not a TTY); :class:`NotebookDisplay` shows a live table in
Jupyter when IPython is importable, and does nothing otherwise.
"""

from __future__ import annotations

import html
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from .results import Outcome

if TYPE_CHECKING:
    from .results import RunOutcome

__all__ = [
    "CaseFinished",
    "Event",
    "EventCallback",
    "FileFinished",
    "NotebookDisplay",
    "ProgressPrinter",
    "RunFinished",
    "RunStarted",
]


@dataclass(frozen=True, slots=True)
class RunStarted:
    """The run began.

    Attributes:
        run_id: the run's id.
        total_files: how many files will run (json-ir and bash).
        total_cases: how many cases are known in advance (json-ir steps; a
            bash script counts as one until its TAP plan is read).
        base_url: the environment's base URL.
    """

    run_id: str
    total_files: int
    total_cases: int
    base_url: str


@dataclass(frozen=True, slots=True)
class CaseFinished:
    """One case ended."""

    run_id: str
    file: str
    name: str
    outcome: Outcome
    duration_ms: float
    message: str = ""


@dataclass(frozen=True, slots=True)
class FileFinished:
    """Every case of one file ended; ``counts`` maps outcome to number of cases."""

    run_id: str
    file: str
    duration_ms: float
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunFinished:
    """The run ended (normally or not); ``outcome`` holds the results and artifacts."""

    run_id: str
    passed: bool
    summary: dict[str, Any]
    reason: str | None
    outcome: RunOutcome | None = field(default=None, repr=False, compare=False)


Event = RunStarted | CaseFinished | FileFinished | RunFinished
EventCallback = Callable[[Event], None]

_MARKS = {"passed": ".", "failed": "F", "error": "E", "skipped": "s"}


class ProgressPrinter:
    """Writes a run's progress to a stream.

    On a TTY it redraws one line (a bar, counts and the last case); on
    anything else it writes one plain line per finished file and a final
    summary line, which reads well in CI logs.

    Args:
        stream: where to write; ``sys.stderr`` by default.
        width: the bar's width in characters.
    """

    def __init__(self, stream: TextIO | None = None, *, width: int = 30) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._width = width
        self._total = 0
        self._done = 0
        self._counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        isatty = getattr(self._stream, "isatty", None)
        self._tty = bool(isatty()) if callable(isatty) else False

    def __call__(self, event: Event) -> None:
        """Consume one event."""
        if isinstance(event, RunStarted):
            self._total = max(event.total_cases, 1)
            self._write(f"running {event.total_files} files against {event.base_url}\n")
        elif isinstance(event, CaseFinished):
            self._done += 1
            self._counts[event.outcome] += 1
            self._total = max(self._total, self._done)
            if self._tty:
                self._redraw(f"{event.file} :: {event.name}")
        elif isinstance(event, FileFinished):
            if not self._tty:
                counts = ", ".join(
                    f"{v} {k}" for k, v in sorted(event.counts.items()) if v
                )
                self._write(f"{event.file}: {counts or 'no cases'}\n")
        else:
            if self._tty:
                self._write("\n")
            summary = event.summary
            verdict = "PASSED" if event.passed else "FAILED"
            line = (
                f"{verdict}: {summary.get('passed', 0)} passed, "
                f"{summary.get('failed', 0)} failed, {summary.get('errors', 0)} errors, "
                f"{summary.get('skipped', 0)} skipped in "
                f"{summary.get('duration_ms', 0) / 1000:.2f}s"
            )
            if event.reason:
                line += f" ({event.reason})"
            self._write(line + "\n")

    def _redraw(self, last: str) -> None:
        filled = int(self._width * self._done / self._total)
        bar = "#" * filled + "-" * (self._width - filled)
        counts = " ".join(f"{_MARKS[k]}{v}" for k, v in self._counts.items())
        self._write(f"\r[{bar}] {self._done}/{self._total} {counts} {last[:60]}\x1b[K")

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()


class NotebookDisplay:
    """Shows a run in a Jupyter notebook as a table updated in place.

    Uses ``IPython.display`` when it can be imported; otherwise every call is
    a no-op, so the same code runs in scripts. IPython is not a dependency.
    One display can follow several runs in turn: each ``RunStarted`` opens a
    new table. Only the last 200 cases are shown.
    """

    def __init__(self) -> None:
        self._display: Any = None
        self._html: Any = None
        try:
            module = importlib.import_module("IPython.display")
        except ImportError:
            return
        self._display = module.display
        self._html = module.HTML
        self._handle: Any = None
        self._rows: list[tuple[str, str, str, str]] = []
        self._title = ""

    @property
    def enabled(self) -> bool:
        """True when IPython is available and the display does something."""
        return self._display is not None

    def __call__(self, event: Event) -> None:
        """Consume one event."""
        if self._display is None:
            return
        if isinstance(event, RunStarted):
            self._title = f"Run {event.run_id}: {event.total_files} files"
            self._rows = []
            self._handle = self._display(self._html(self._render()), display_id=True)
            return
        if isinstance(event, CaseFinished):
            self._rows.append((event.file, event.name, event.outcome, event.message))
        elif isinstance(event, RunFinished):
            self._title += (
                " (passed)"
                if event.passed
                else f" (failed{': ' + event.reason if event.reason else ''})"
            )
        else:
            return
        if self._handle is not None:
            self._handle.update(self._html(self._render()))

    def _render(self) -> str:
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in self._rows[-200:]
        )
        head = "<tr><th>file</th><th>case</th><th>outcome</th><th>message</th></tr>"
        return f"<b>{html.escape(self._title)}</b><table>{head}{rows}</table>"
