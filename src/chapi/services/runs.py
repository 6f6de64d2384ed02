"""Runs: executing a pack against an environment and keeping the history."""

from __future__ import annotations

import builtins
import html
import json
import logging
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..domain import (
    Artifact,
    CardType,
    Environment,
    MessageRole,
    PackStatus,
    Run,
    RunPack,
    RunStatus,
)
from ..errors import (
    ChapiError,
    ConflictError,
    InvalidStateError,
    NotFoundError,
    ValidationError,
)
from ..runner import (
    CaseFinished,
    CaseResult,
    Event,
    EventCallback,
    Masker,
    NotebookDisplay,
    ProgressPrinter,
    RunOutcome,
    execute_pack,
    summarize,
)
from ..runner.reports import build_artifacts
from ..storage import Storage
from ._common import Clock, Id, as_uuid, resolve_project
from .packs import PackService
from .projects import ProjectService

__all__ = ["RunResult", "RunService"]

logger = logging.getLogger(__name__)

_PACK_PREFIX = "pack/"


_HTML_FAILURE_ROWS = 50
"""The most failed cases a notebook shows; the rest are counted."""

_HTML_MESSAGE_CAP = 300
"""The longest failure message a notebook shows, in characters."""


@dataclass(frozen=True, repr=False)
class RunResult:
    """A finished run with its per-case results.

    In a notebook it shows as a table: status, counts, duration and the
    cases that failed. Every string it shows was masked when the run
    recorded it, and passes the runner's name-based masking once more on
    the way out (URL userinfo, credential query parameters and JSON
    members).

    Attributes:
        run: the stored run (status, summary, artifacts).
        results: every case: file, name, outcome, time and failure message.
        reason: why the run stopped early, if it did (masked).
    """

    run: Run
    results: list[CaseResult] = field(default_factory=list)
    reason: str | None = None

    @property
    def id(self) -> uuid.UUID:
        """The run's id."""
        return self.run.id

    @property
    def status(self) -> RunStatus:
        """``passed`` or ``failed``."""
        return self.run.status

    @property
    def passed(self) -> bool:
        """True when every case passed."""
        return self.run.status is RunStatus.PASSED

    @property
    def summary(self) -> dict[str, Any]:
        """Counts by outcome, duration and, when it stopped early, the reason."""
        return dict(self.run.summary or {})

    @property
    def artifacts(self) -> list[Artifact]:
        """results.json, junit.xml, summary.md, logs and the pack's files."""
        return self.run.artifacts

    @property
    def failures(self) -> list[CaseResult]:
        """The cases that failed or errored."""
        return [r for r in self.results if r.outcome in ("failed", "error")]

    def __str__(self) -> str:
        s = self.summary
        return (
            f"run {self.run.id} {self.status.value}: {s.get('passed', 0)} passed,"
            f" {s.get('failed', 0)} failed, {s.get('errors', 0)} errors,"
            f" {s.get('skipped', 0)} skipped"
        )

    def __repr__(self) -> str:
        s = self.summary
        reason = f" reason={Masker().text(self.reason)!r}" if self.reason else ""
        return (
            f"<RunResult {self.run.id} {self.status.value}"
            f" total={s.get('total', len(self.results))} passed={s.get('passed', 0)}"
            f" failed={s.get('failed', 0)} errors={s.get('errors', 0)}"
            f" skipped={s.get('skipped', 0)}"
            f" duration={_seconds(s.get('duration_ms'))}{reason}>"
        )

    def _repr_html_(self) -> str:
        """The run as an HTML table, for Jupyter and other rich displays."""
        mask = Masker().text

        def cell(value: object, tag: str = "td") -> str:
            return f"<{tag}>{html.escape(mask(str(value)))}</{tag}>"

        s = self.summary
        colour = "#1a7f37" if self.passed else "#cf222e"
        counts = [
            ("status", self.status.value),
            ("total", s.get("total", len(self.results))),
            ("passed", s.get("passed", 0)),
            ("failed", s.get("failed", 0)),
            ("errors", s.get("errors", 0)),
            ("skipped", s.get("skipped", 0)),
            ("duration", _seconds(s.get("duration_ms"))),
        ]
        parts = [
            '<div class="chapi-run">',
            f"<b>Run {html.escape(str(self.run.id))}</b>:"
            f' <b style="color:{colour}">{html.escape(self.status.value)}</b>',
            "<table><tr>" + "".join(cell(k, "th") for k, _ in counts) + "</tr>",
            "<tr>" + "".join(cell(v) for _, v in counts) + "</tr></table>",
        ]
        if self.reason:
            parts.append(f"<p>stopped early: {html.escape(mask(self.reason))}</p>")
        failures = self.failures
        if failures:
            head = ("file", "case", "outcome", "ms", "message")
            parts.append("<table><tr>" + "".join(cell(h, "th") for h in head) + "</tr>")
            for case in failures[:_HTML_FAILURE_ROWS]:
                message = case.message
                if len(message) > _HTML_MESSAGE_CAP:
                    message = message[:_HTML_MESSAGE_CAP] + "…"
                row = (
                    case.file,
                    case.name,
                    case.outcome,
                    f"{case.duration_ms:.1f}",
                    message,
                )
                parts.append("<tr>" + "".join(cell(v) for v in row) + "</tr>")
            parts.append("</table>")
            hidden = len(failures) - _HTML_FAILURE_ROWS
            if hidden > 0:
                parts.append(
                    f"<p>… and {hidden} more failed cases (see <code>results</code>)</p>"
                )
        parts.append("</div>")
        return "\n".join(parts)


def _seconds(duration_ms: object) -> str:
    """A summary's duration in seconds, or ``-`` when it has none."""
    if isinstance(duration_ms, int | float) and not isinstance(duration_ms, bool):
        return f"{duration_ms / 1000:.2f} s"
    return "-"


class RunService:
    """Run packs against environments and read the run history.

    Reached as ``chapi.runs``. A run is stored as ``queued`` before anything
    is sent, moves to ``running``, and always ends ``passed`` or ``failed``
    with its summary and artifacts, also when the server dies, the run times
    out, the process gets Ctrl-C, or chapi itself breaks (the interrupt or
    error is re-raised after the run is stored).
    """

    def __init__(
        self,
        storage: Storage,
        packs: PackService,
        projects: ProjectService,
        clock: Clock,
    ) -> None:
        self._storage = storage
        self._packs = packs
        self._projects = projects
        self._clock = clock

    def execute(
        self,
        pack: Id,
        env: Id,
        *,
        concurrency: int = 16,
        timeout: float = 30.0,
        run_timeout: float | None = None,
        script_timeout: float = 300.0,
        force: bool = False,
        on_event: EventCallback | None = None,
        progress: bool | None = False,
        cancel: threading.Event | None = None,
        user_query: str | None = None,
    ) -> RunResult:
        """Run a finalized pack against one of its project's environments.

        Args:
            pack: the pack's id.
            env: the environment's id, or its name within the pack's project.
            concurrency: files run at once (and the HTTP pool size).
            timeout: seconds for one HTTP request.
            run_timeout: seconds for the whole run (``None``: no limit).
            script_timeout: seconds one bash script may run.
            force: run a draft or expired pack anyway.
            on_event: called with every runner event.
            progress: draw progress on stderr (``None``: only on a terminal);
                in Jupyter a live table is shown as well.
            cancel: set it from another thread to stop the run.
            user_query: what the person asked, kept on the run (default: the
                pack's request).

        Raises:
            NotFoundError: no such pack or environment.
            InvalidStateError: the pack is not finalized and ``force`` is false.
        """
        record = self._packs.get(pack)
        if record.status is not PackStatus.FINALIZED and not force:
            raise InvalidStateError(
                f"pack {record.id} is {record.status.value}; finalize it first"
                " or pass force=True"
            )
        environment = self._environment(record, env)
        secrets = self._projects.reveal_secrets(environment.id)
        api = self._packs._api_for(record)
        card = self._packs._card_of(record)
        run = Run(
            project_id=record.project_id,
            env_id=environment.id,
            runpack_id=record.id,
            user_query=user_query if user_query is not None else _request_of(record),
            card={
                "pack_id": str(record.id),
                "card_hash": record.card_hash,
                "plan": card.plan.model_dump(mode="json"),
                "files": [f.path for f in card.files],
                "env": environment.name,
                "base_url": environment.base_url,
            },
            created_at=self._clock(),
        )
        with self._storage.unit_of_work() as uow:
            uow.runs.add(run)
            uow.commit()
        logger.info("run %s queued: pack %s on %s", run.id, record.id, environment.name)

        recorder = _Recorder()
        consumers = _consumers(on_event, progress, recorder)
        outcome: RunOutcome | None = None
        try:
            # Inside the try, so an interrupt between the two writes still
            # leaves a finished run rather than a queued one.
            run.start()
            self._save(run)
            outcome = execute_pack(
                record.files,
                api=api,
                base_url=environment.base_url,
                secrets=secrets,
                concurrency=concurrency,
                request_timeout=timeout,
                run_timeout=run_timeout,
                script_timeout=script_timeout,
                on_event=consumers,
                cancel=cancel,
                run_id=str(run.id),
            )
        except BaseException as exc:
            reason = (
                "cancelled"
                if isinstance(exc, KeyboardInterrupt)
                else f"crashed: {type(exc).__name__}"
            )
            self._finish(run, recorder.outcome(run, reason), record, secrets, reason)
            raise
        result = self._finish(run, outcome, record, secrets, outcome.reason)
        if outcome.reason == "cancelled" and cancel is None:
            # Ctrl-C was turned into a cancelled outcome; stop the caller too.
            raise KeyboardInterrupt
        return result

    def stream(self, pack: Id, env: Id, **options: Any) -> Iterator[Event]:
        """Run like :meth:`execute`, yielding each event as it happens.

        The last event is :class:`~chapi.runner.RunFinished`. Leaving the
        loop early cancels the run, which is still stored (failed,
        ``cancelled``).
        """
        events: queue.Queue[Event | BaseException | None] = queue.Queue()
        cancel = threading.Event()
        caller: EventCallback | None = options.pop("on_event", None)

        def forward(event: Event) -> None:
            events.put(event)
            if caller is not None:
                caller(event)

        def work() -> None:
            try:
                self.execute(pack, env, on_event=forward, cancel=cancel, **options)
            except BaseException as exc:  # handed to the consuming thread
                events.put(exc)
            finally:
                events.put(None)

        worker = threading.Thread(target=work, name="chapi-run", daemon=True)
        worker.start()
        try:
            while True:
                item = events.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancel.set()
            worker.join()

    def get(self, run: Id) -> Run:
        """A run with its artifacts."""
        run_id = as_uuid(run, "run")
        with self._storage.unit_of_work() as uow:
            return uow.runs.get(run_id)

    def list(self, project: Id, *, limit: int | None = None) -> builtins.list[Run]:
        """A project's runs, newest first (without artifacts)."""
        project_id = resolve_project(self._storage, project)
        with self._storage.unit_of_work() as uow:
            return uow.runs.list(project_id, limit=limit)

    def for_pack(self, pack: Id) -> builtins.list[Run]:
        """The runs of one pack, newest first."""
        pack_id = as_uuid(pack, "pack")
        with self._storage.unit_of_work() as uow:
            return uow.runs.list_for_pack(pack_id)

    def artifacts(self, run: Id) -> builtins.list[Artifact]:
        """A run's artifacts: results.json, junit.xml, summary.md, logs, pack files."""
        return sorted(self.get(run).artifacts, key=lambda a: a.path)

    def artifact(self, run: Id, path: str) -> str:
        """The text of one artifact.

        Raises:
            NotFoundError: the run has no artifact at ``path``.
        """
        for item in self.get(run).artifacts:
            if item.path == path:
                return item.content
        raise NotFoundError("artifact", path)

    def results(self, run: Id) -> builtins.list[dict[str, Any]]:
        """The per-case results of a stored run, as ``results.json`` holds them."""
        document = json.loads(self.artifact(run, "results.json"))
        return list(document.get("results", document.get("cases", [])))

    def recover(
        self,
        project: Id | None = None,
        *,
        older_than: timedelta,
        dry_run: bool = False,
    ) -> builtins.list[Run]:
        """Fail the runs a dead process left ``queued`` or ``running``.

        The process executing a run is the one that finishes it. When that
        process is killed outright (SIGKILL, out of memory, a power loss) or
        interrupted a second time while it stores the outcome, the run stays
        ``queued`` or ``running`` for good. This finds every such run created
        more than ``older_than`` ago and moves it, through the run's state
        machine, to ``failed`` with ``completed_at`` set and a summary reason
        starting ``abandoned:``. What the run already holds is kept; it gets
        ``results.json``, ``junit.xml`` and ``summary.md`` (no cases, the
        reason) like any finished run. Each run is recovered in its own
        transaction.

        The database does not record which process owns a run (the reference
        schema has no column for a host or process id), so a run is judged by
        its age alone: pick a bound longer than any of your runs can take.
        A run that finishes while it is being recovered keeps its own
        outcome (the recovery of that run is skipped); a live run the bound
        wrongly caught stays failed, and its process reports that its
        outcome could not be stored.

        Cases a killed process had finished are not recovered: a run's
        results are written once, when it ends.

        Args:
            project: a project's id or name; ``None`` looks at every project.
            older_than: how long ago a run must have been created to count as
                abandoned (zero: every unfinished run, for when no chapi
                process is running).
            dry_run: only list the runs that would be failed.

        Returns:
            The runs failed (or, with ``dry_run``, that would be), oldest first.

        Raises:
            ValidationError: ``older_than`` is not a non-negative timedelta.
            NotFoundError: no such project.
        """
        if not isinstance(older_than, timedelta) or older_than < timedelta(0):
            raise ValidationError(
                f"older_than must be a timedelta of zero or more, got {older_than!r}"
            )
        scope = None if project is None else resolve_project(self._storage, project)
        now = self._clock()
        cutoff = now - older_than
        with self._storage.unit_of_work() as uow:
            projects = [p.id for p in uow.projects.list()] if scope is None else [scope]
            stale = [
                run
                for project_id in projects
                for run in uow.runs.list(project_id)
                if not run.status.finished and run.created_at <= cutoff
            ]
        stale.sort(key=lambda r: (r.created_at, str(r.id)))
        if dry_run:
            return stale
        recovered: builtins.list[Run] = []
        for candidate in stale:
            run = self._abandon(candidate.id, now=now, cutoff=cutoff, bound=older_than)
            if run is not None:
                recovered.append(run)
        return recovered

    # -- helpers --------------------------------------------------------------

    def _abandon(
        self, run_id: uuid.UUID, *, now: datetime, cutoff: datetime, bound: timedelta
    ) -> Run | None:
        """Fail one stale run in its own transaction; ``None`` if it finished meanwhile."""
        try:
            with self._storage.unit_of_work() as uow:
                run = uow.runs.get(run_id)
                if run.status.finished or run.created_at > cutoff:
                    return None
                before = run.status.value
                reason = (
                    f"abandoned: still {before} {_age(now - run.created_at)} after it"
                    f" was created (bound {_age(bound)}); the process running it"
                    " ended without storing an outcome"
                )
                run.abandon(reason, now=now)
                summary = run.summary or {}
                artifacts = build_artifacts(
                    [],
                    summary,
                    {},
                    run_id=str(run.id),
                    base_url=Masker().text(str(run.card.get("base_url", ""))),
                )
                held = {a.path for a in run.artifacts}
                new = [
                    run.add_artifact(path, text, now=now)
                    for path, text in artifacts.items()
                    if path not in held
                ]
                uow.runs.update(run)
                # results.json is written once per run: if the run's own
                # process stored its outcome after the read above, this
                # insert conflicts and the whole recovery of the run rolls back.
                uow.runs.add_artifacts(new)
                if run.runpack_id is not None:
                    try:
                        pack = uow.packs.get(run.runpack_id)
                    except NotFoundError:
                        pack = None
                    if pack is not None and pack.conversation_id is not None:
                        _run_card(uow, pack.conversation_id, run, now)
                uow.commit()
        except ConflictError:
            logger.info("run %s finished while being recovered; left as it is", run_id)
            return None
        except NotFoundError:
            logger.info("run %s was deleted while being recovered", run_id)
            return None
        logger.warning("run %s was %s and is now failed: %s", run.id, before, reason)
        return run

    def _environment(self, pack: RunPack, env: Id) -> Environment:
        if isinstance(env, str):
            try:
                return self._projects.environment(env, project=pack.project_id)
            except NotFoundError:
                pass
        found = self._projects.environment(as_uuid(env, "environment"))
        if found.project_id != pack.project_id:
            raise NotFoundError("environment", env)
        return found

    def _finished_elsewhere(self, run_id: uuid.UUID) -> bool:
        """True when the stored run is already finished (someone else ended it)."""
        try:
            with self._storage.unit_of_work() as uow:
                return uow.runs.get(run_id, with_artifacts=False).status.finished
        except ChapiError:
            return False

    def _save(self, run: Run) -> None:
        with self._storage.unit_of_work() as uow:
            uow.runs.update(run)
            uow.commit()

    def _finish(
        self,
        run: Run,
        outcome: RunOutcome,
        pack: RunPack,
        secrets: dict[str, str],
        reason: str | None,
    ) -> RunResult:
        now = self._clock()
        masker = Masker(secrets)
        summary = dict(outcome.summary)
        passed = outcome.passed
        artifacts = dict(outcome.artifacts)
        results = list(outcome.results)
        if reason:
            reason = masker.text(reason)
            summary["reason"] = reason
        for item in pack.files:
            artifacts[_PACK_PREFIX + item.path] = masker.text(item.content)
        run.finish(passed=passed and not reason, now=now, summary=summary)
        new = [
            run.add_artifact(path, text, now=now) for path, text in artifacts.items()
        ]
        try:
            with self._storage.unit_of_work() as uow:
                uow.runs.update(run)
                uow.runs.add_artifacts(new)
                if pack.conversation_id is not None:
                    _run_card(uow, pack.conversation_id, run, now)
                uow.commit()
        except ConflictError:
            if self._finished_elsewhere(run.id):
                logger.error(
                    "run %s was marked failed by runs.recover before it ended;"
                    " its own outcome was not stored",
                    run.id,
                )
                raise InvalidStateError(
                    f"run {run.id} was recovered as abandoned while it was still"
                    " running (the recover bound was shorter than the run);"
                    " its outcome was not stored"
                ) from None
            logger.exception("run %s: storing the outcome failed", run.id)
            raise
        except ChapiError:
            logger.exception("run %s: storing the outcome failed", run.id)
            raise
        logger.info(
            "run %s %s: %s",
            run.id,
            run.status.value,
            ", ".join(f"{k}={v}" for k, v in summary.items() if k != "reason"),
        )
        return RunResult(run=run, results=results, reason=reason)


def _age(span: timedelta) -> str:
    """A span as ``1d2h3m4s``, leaving out zero parts (``0s`` for nothing)."""
    seconds = max(int(span.total_seconds()), 0)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _request_of(pack: RunPack) -> str:
    """What the person asked for when the pack was generated, else its plan's summary."""
    selector = (pack.inputs.selector_output_json if pack.inputs else None) or {}
    if selector.get("request"):
        return str(selector["request"])
    card = selector.get("card") or {}
    return str((card.get("plan") or {}).get("summary", ""))


class _Recorder:
    """Keeps every finished case from the run's events.

    The runner returns all it gathered in its outcome; this copy is what the
    stored run gets when the runner itself breaks before returning one.
    """

    def __init__(self) -> None:
        self.cases: builtins.list[CaseResult] = []
        self._started = time.perf_counter()

    def __call__(self, event: Event) -> None:
        if isinstance(event, CaseFinished):
            self.cases.append(
                CaseResult(
                    file=event.file,
                    name=event.name,
                    outcome=event.outcome,
                    duration_ms=event.duration_ms,
                    message=event.message,
                )
            )

    def outcome(self, run: Run, reason: str) -> RunOutcome:
        """What the run had gathered when it stopped for ``reason``."""
        duration = (time.perf_counter() - self._started) * 1000
        summary = summarize(self.cases, duration_ms=duration, reason=reason)
        artifacts = build_artifacts(
            self.cases, summary, {}, run_id=str(run.id), base_url=""
        )
        return RunOutcome(
            run_id=str(run.id),
            passed=False,
            summary=summary,
            results=list(self.cases),
            artifacts=artifacts,
            reason=reason,
        )


def _consumers(
    on_event: EventCallback | None, progress: bool | None, recorder: _Recorder
) -> Callable[[Event], None]:
    sinks: list[Callable[[Event], None]] = [recorder]
    display = NotebookDisplay()
    if display.enabled and "ipykernel" in sys.modules:
        sinks.append(display)
    elif progress or (progress is None and sys.stderr.isatty()):
        sinks.append(ProgressPrinter())
    if on_event is not None:
        sinks.append(on_event)

    def emit(event: Event) -> None:
        for sink in sinks:
            try:
                sink(event)
            except Exception:  # a consumer's failure never stops the run
                logger.exception("event consumer failed on %s", type(event).__name__)

    return emit


def _run_card(uow: Any, conversation_id: uuid.UUID, run: Run, now: datetime) -> None:
    """Add a ``run`` card to the conversation the pack came from."""
    talk = uow.conversations.get(conversation_id)
    summary = run.summary or {}
    message = talk.add_message(
        MessageRole.ASSISTANT,
        f"Run {run.status.value}: {summary.get('passed', 0)} passed,"
        f" {summary.get('failed', 0)} failed, {summary.get('errors', 0)} errors.",
        now=now,
        card_type=CardType.RUN,
        card_payload={
            "run_id": str(run.id),
            "pack_id": str(run.runpack_id),
            "status": run.status.value,
            "summary": summary,
        },
    )
    uow.conversations.add_message(message)
