"""Running a whole pack: dispatch, concurrency, time limits, and stopping cleanly.

:func:`execute_pack` (and :func:`aexecute_pack`) is the one entry point the
run service calls. It never raises for what happens during a run: a dead
server, a crashed executor, a run timeout, a cancellation or Ctrl-C all end
in a :class:`RunOutcome` holding every case gathered so far, the cases that
never ran recorded as errors with the reason, ``passed=False`` and
``reason`` set. The caller decides what to do next (mark the run failed,
re-raise an interrupt, ...).

Stopping:

* ``run_timeout`` seconds after the start, running files are cancelled and
  every unfinished case is recorded with reason ``"run timed out"``.
* Setting the ``cancel`` event (a :class:`threading.Event`, so another thread
  can set it) stops the run the same way with reason ``"cancelled"``.
* Ctrl-C during :func:`execute_pack` also gives reason ``"cancelled"``; the
  function returns the outcome instead of raising ``KeyboardInterrupt``
  (a service that wants to stop the process re-raises after storing it).
* Cancelling the task running :func:`aexecute_pack` records reason
  ``"cancelled"``, emits :class:`RunFinished` with the outcome, then lets
  ``CancelledError`` propagate (the outcome is on that last event).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from ..errors import ValidationError
from ..jsonir import JsonIrFile, parse
from ..specs.model import ApiModel
from .bash_executor import BashExecutor
from .collector import Collector
from .events import EventCallback, RunFinished, RunStarted
from .jsonir_executor import JsonIrExecutor
from .masking import Masker
from .reports import build_artifacts
from .results import PackFileLike, RunOutcome, summarize

__all__ = ["aexecute_pack", "execute_pack"]

logger = logging.getLogger(__name__)

_CANCEL_POLL = 0.05


_CLIENT_LOGGERS = ("httpx", "httpcore")


class _MaskRecords(logging.Filter):
    """Masks the records of the HTTP client's own loggers during a run.

    httpx logs every request's full URL at INFO, query string included, so
    an API key sent in the query would otherwise reach the application's
    log handlers.
    """

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self._masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._masker.text(record.getMessage())
        record.args = ()
        return True


def _frames(exc: BaseException) -> str:
    """The traceback of ``exc`` without its message (which may hold a secret).

    Frames show file, line and source text only, never local values, so a
    crash can be logged in full detail without passing the exception text
    (already masked by the caller) through ``logger.exception``.
    """
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"Traceback (most recent call last):\n{frames}{type(exc).__name__}"


@lru_cache(maxsize=512)
def _parse(content: str) -> JsonIrFile:
    """:func:`chapi.jsonir.parse`, remembered by file text.

    A pack's files do not change once it is finalized, so running the same
    pack again (a notebook, a service running it on a schedule) reuses the
    checked models; they are frozen and the executor only reads them. A
    file that fails to parse is not remembered and is parsed, and refused,
    again on each run.
    """
    return parse(content)


def _kind(path: str) -> str | None:
    lowered = path.lower()
    if lowered.endswith(".json"):
        return "jsonir"
    if lowered.endswith(".sh"):
        return "bash"
    return None


async def aexecute_pack(
    files: Iterable[PackFileLike],
    *,
    api: ApiModel | None,
    base_url: str,
    secrets: Mapping[str, str] | None = None,
    concurrency: int = 16,
    request_timeout: float = 30.0,
    run_timeout: float | None = None,
    script_timeout: float = 300.0,
    on_event: EventCallback | None = None,
    cancel: threading.Event | None = None,
    run_id: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RunOutcome:
    """Run a pack's json-ir files and bash scripts against one environment.

    Args:
        files: the pack's files (``path``, ``content``, ``role``); ``.json``
            files run as json-ir, ``.sh`` files as bash, others are ignored.
        api: the API description (security schemes, response schemas), or
            ``None``.
        base_url: the environment's base URL; no request leaves its host.
        secrets: plaintext secrets by name (see ``docs/runner.md`` for the
            names each security scheme reads).
        concurrency: how many files run at once (and the HTTP pool size).
        request_timeout: seconds for one HTTP request: the limit for each of
            connect, read, write and pool wait, and for the whole exchange.
        run_timeout: seconds for the whole run, or ``None`` for no limit.
        script_timeout: seconds one bash script may run.
        on_event: called with every :mod:`~chapi.runner.events` event.
        cancel: set it (from any thread) to stop the run.
        run_id: the id put in events and reports; a new UUID by default.
        transport: an ``httpx`` transport to use instead of the network
            (for tests).

    Returns:
        The outcome; see :class:`RunOutcome`.

    Raises:
        ValidationError: ``concurrency`` or a timeout is not positive.
        asyncio.CancelledError: the calling task was cancelled (after the
            outcome was emitted as :class:`RunFinished`).
    """
    if concurrency < 1:
        raise ValidationError(f"concurrency must be at least 1, got {concurrency}")
    for label, value in (
        ("request_timeout", request_timeout),
        ("run_timeout", run_timeout),
    ):
        if value is not None and value <= 0:
            raise ValidationError(f"{label} must be positive, got {value}")

    run = _Run(
        list(files),
        api=api,
        base_url=base_url,
        secrets=dict(secrets or {}),
        concurrency=concurrency,
        request_timeout=request_timeout,
        script_timeout=script_timeout,
        on_event=on_event,
        run_id=run_id or uuid.uuid4().hex,
    )
    guard = _MaskRecords(run.masker)
    for name in _CLIENT_LOGGERS:
        logging.getLogger(name).addFilter(guard)
    try:
        reason = await run.execute(run_timeout, cancel, transport)
    except asyncio.CancelledError:
        run.finish("cancelled")
        raise
    except Exception as exc:
        reason = run.masker.text(f"crashed: {type(exc).__name__}: {exc}")
        logger.error("run %s %s\n%s", run.run_id, reason, _frames(exc))
        return run.finish(reason)
    finally:
        for name in _CLIENT_LOGGERS:
            logging.getLogger(name).removeFilter(guard)
    return run.finish(reason)


def execute_pack(
    files: Iterable[PackFileLike],
    *,
    api: ApiModel | None,
    base_url: str,
    secrets: Mapping[str, str] | None = None,
    concurrency: int = 16,
    request_timeout: float = 30.0,
    run_timeout: float | None = None,
    script_timeout: float = 300.0,
    on_event: EventCallback | None = None,
    cancel: threading.Event | None = None,
    run_id: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RunOutcome:
    """Blocking form of :func:`aexecute_pack`, with its own event loop.

    Ctrl-C ends the run with reason ``"cancelled"`` and returns the outcome.
    Called where an event loop is already running in this thread (a Jupyter
    cell, an async application calling synchronous code), the run gets a
    worker thread with its own loop and this call blocks until it ends;
    Ctrl-C then sets ``cancel`` (a new event when none was given) and waits
    for the run to stop.
    """
    holder: dict[str, RunOutcome] = {}

    def remember(event: Any) -> None:
        if isinstance(event, RunFinished) and event.outcome is not None:
            holder["outcome"] = event.outcome
        if on_event is not None:
            on_event(event)

    def run(stop: threading.Event | None) -> RunOutcome:
        return asyncio.run(
            aexecute_pack(
                files,
                api=api,
                base_url=base_url,
                secrets=secrets,
                concurrency=concurrency,
                request_timeout=request_timeout,
                run_timeout=run_timeout,
                script_timeout=script_timeout,
                on_event=remember,
                cancel=stop,
                run_id=run_id,
                transport=transport,
            )
        )

    if _loop_running():
        return _on_worker_thread(run, cancel or threading.Event())
    try:
        return run(cancel)
    except (KeyboardInterrupt, asyncio.CancelledError):
        outcome = holder.get("outcome")
        if outcome is None:
            raise
        return outcome


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _on_worker_thread(
    run: Callable[[threading.Event], RunOutcome], stop: threading.Event
) -> RunOutcome:
    """``run(stop)`` on a new thread, waited for; Ctrl-C sets ``stop`` and waits on."""
    done: dict[str, Any] = {}
    ended = threading.Event()

    def work() -> None:
        try:
            done["outcome"] = run(stop)
        except BaseException as exc:  # handed to the waiting thread
            done["error"] = exc
        finally:
            ended.set()

    # Waiting on an event, not Thread.join: a join that Ctrl-C interrupted
    # cannot be relied on when called again.
    threading.Thread(target=work, name="chapi-run", daemon=True).start()
    try:
        ended.wait()
    except KeyboardInterrupt:
        stop.set()
        ended.wait()
    if "error" in done:
        raise done["error"]
    outcome: RunOutcome = done["outcome"]
    return outcome


class _Run:
    """The state of one run: its files, collector, executors and clock."""

    def __init__(
        self,
        files: list[PackFileLike],
        *,
        api: ApiModel | None,
        base_url: str,
        secrets: dict[str, str],
        concurrency: int,
        request_timeout: float,
        script_timeout: float,
        on_event: EventCallback | None,
        run_id: str,
    ) -> None:
        self.run_id = run_id
        self.api = api
        self.base_url = base_url
        self.secrets = secrets
        self.concurrency = concurrency
        self.request_timeout = request_timeout
        self.script_timeout = script_timeout
        self.masker = Masker(secrets)
        self.files = [f for f in files if _kind(f.path) is not None]
        skipped = [f.path for f in files if _kind(f.path) is None]
        if skipped:
            logger.info(
                "run %s ignores %d files that are neither .json nor .sh",
                run_id,
                len(skipped),
            )
        self.collector = Collector(
            run_id, self.masker, on_event, [f.path for f in self.files]
        )
        self.started = time.perf_counter()
        self.finished: RunOutcome | None = None

    async def execute(
        self,
        run_timeout: float | None,
        cancel: threading.Event | None,
        transport: httpx.AsyncBaseTransport | None,
    ) -> str | None:
        parsed: dict[str, JsonIrFile] = {}
        for file in self.files:
            if _kind(file.path) == "jsonir":
                try:
                    parsed[file.path] = _parse(file.content)
                except ValidationError as exc:
                    self.collector.start(file.path)
                    self.collector.case(
                        file.path,
                        file.path.rsplit("/", 1)[-1],
                        "error",
                        message=str(exc),
                    )
                    self.collector.finish_file(file.path)
        known = sum(len(p.steps) for p in parsed.values())
        known += sum(1 for f in self.files if _kind(f.path) == "bash")
        self.collector.emit(
            RunStarted(
                self.run_id, len(self.files), known, self.masker.text(self.base_url)
            )
        )
        logger.info(
            "run %s started: %d files against %s",
            self.run_id,
            len(self.files),
            self.masker.text(self.base_url),
        )

        limits = httpx.Limits(
            max_connections=self.concurrency,
            max_keepalive_connections=self.concurrency,
            keepalive_expiry=30.0,
        )
        async with httpx.AsyncClient(
            limits=limits,
            timeout=httpx.Timeout(self.request_timeout),
            follow_redirects=False,
            trust_env=False,
            transport=transport,
            # Files keep their own cookies (see jsonir_executor); a shared
            # jar would carry one file's session into every other file.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        ) as client:
            jsonir = JsonIrExecutor(
                client=client,
                api=self.api,
                base_url=self.base_url,
                secrets=self.secrets,
                masker=self.masker,
                collector=self.collector,
                request_timeout=self.request_timeout,
            )
            bash = BashExecutor(
                base_url=self.base_url,
                secrets=self.secrets,
                collector=self.collector,
                script_timeout=self.script_timeout,
            )
            for path, item in parsed.items():
                jsonir.plan(path, item)
            semaphore = asyncio.Semaphore(self.concurrency)

            async def one(file: PackFileLike) -> None:
                async with semaphore:
                    try:
                        if file.path in parsed:
                            await jsonir.run_file(file.path, parsed[file.path])
                        else:
                            await bash.run_file(file.path, file.content)
                    except Exception as exc:
                        reason = self.masker.text(
                            f"crashed: {type(exc).__name__}: {exc}"
                        )
                        logger.error(
                            "run %s: file %s %s\n%s",
                            self.run_id,
                            file.path,
                            reason,
                            _frames(exc),
                        )
                        self.collector.fill_file(file.path, reason)

            runnable = [
                f for f in self.files if f.path in parsed or _kind(f.path) == "bash"
            ]
            tasks = [asyncio.create_task(one(f)) for f in runnable]
            try:
                return await self._wait(tasks, run_timeout, cancel)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _wait(
        self,
        tasks: list[asyncio.Task[None]],
        run_timeout: float | None,
        cancel: threading.Event | None,
    ) -> str | None:
        deadline = None if run_timeout is None else self.started + run_timeout
        pending = set(tasks)
        while pending:
            timeout = (
                None if deadline is None else max(deadline - time.perf_counter(), 0)
            )
            if cancel is not None:
                timeout = (
                    _CANCEL_POLL if timeout is None else min(timeout, _CANCEL_POLL)
                )
            _done, pending = await asyncio.wait(pending, timeout=timeout)
            if cancel is not None and cancel.is_set():
                return "cancelled"
            if deadline is not None and time.perf_counter() >= deadline and pending:
                return "run timed out"
        return None

    def finish(self, reason: str | None) -> RunOutcome:
        if self.finished is not None:
            return self.finished
        if reason:
            self.collector.fill_unfinished(reason)
        results = self.collector.results()
        duration = (time.perf_counter() - self.started) * 1000
        summary = summarize(results, duration_ms=duration, reason=reason)
        passed = (
            reason is None
            and bool(results)
            and summary["failed"] == 0
            and summary["errors"] == 0
        )
        artifacts = build_artifacts(
            results,
            summary,
            self.collector.logs(),
            run_id=self.run_id,
            base_url=self.masker.text(self.base_url),
        )
        outcome = RunOutcome(
            run_id=self.run_id,
            passed=passed,
            summary=summary,
            results=results,
            artifacts=artifacts,
            reason=reason,
        )
        self.finished = outcome
        logger.info(
            "run %s %s: %d passed, %d failed, %d errors, %d skipped%s",
            self.run_id,
            "passed" if passed else "failed",
            summary["passed"],
            summary["failed"],
            summary["errors"],
            summary["skipped"],
            f" ({reason})" if reason else "",
        )
        self.collector.emit(
            RunFinished(self.run_id, passed, summary, reason, outcome=outcome)
        )
        return outcome
