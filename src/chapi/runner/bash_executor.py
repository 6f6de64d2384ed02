"""Running bash-curl scripts as isolated subprocesses and reading their TAP output.

Each script runs as ``bash <name>.sh`` in a fresh temporary folder that is
also its ``HOME``, in a new session (its own process group), with a minimal
environment: a fixed system ``PATH``, ``HOME``, ``LANG``, ``BASE_URL`` and
only the secrets whose names appear in the script's text. When the script's
time is up, or the run is cancelled, the whole process group is killed.
stdout and stderr are each kept up to a cap; the rest is read and dropped.

TAP lines become cases: ``ok``/``not ok`` with ``# SKIP`` and ``# TODO``
directives, ``#`` diagnostics after a failing test as its message, a plan
(``1..N``) that says how many tests to expect, and ``Bail out!``.

Known shortcoming: a process that starts its own session (``setsid``) leaves
the script's process group and is not killed with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .collector import Collector
from .results import Outcome

__all__ = ["BashExecutor", "TapCase", "parse_tap"]

logger = logging.getLogger(__name__)

OUTPUT_CAP = 1_048_576
"""The most bytes of stdout (and, separately, stderr) kept per script."""

SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"

_TEST = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$")
_PLAN = re.compile(r"^1\.\.(\d+)\s*(?:#\s*(.*))?$")
_DIRECTIVE = re.compile(r"\s#\s*(SKIP|TODO)\S*\s*(.*)$", re.IGNORECASE)


@dataclass(slots=True)
class TapCase:
    """One TAP test line and the diagnostics that followed it."""

    name: str
    outcome: Outcome
    message: str = ""
    duration_ms: float = 0.0
    diagnostics: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TapReport:
    """What a script's TAP output said."""

    cases: list[TapCase] = field(default_factory=list)
    planned: int | None = None
    bailed: str | None = None


class _TapReader:
    """Parses TAP one line at a time, timing each test from the previous one."""

    def __init__(self) -> None:
        self.report = TapReport()
        self._last = time.perf_counter()
        self._yaml = False
        self.recorded = 0

    def feed(self, line: str) -> TapCase | None:
        """Consume one line; returns the case that the line completed, if any."""
        stripped = line.rstrip("\r\n")
        cases = self.report.cases
        if self._yaml:
            if stripped.strip() == "...":
                self._yaml = False
            elif cases:
                cases[-1].diagnostics.append(stripped.strip())
            return None
        if stripped.strip() == "---" and cases:
            self._yaml = True
            return None
        plan = _PLAN.match(stripped)
        if plan:
            self.report.planned = int(plan.group(1))
            return None
        if stripped.startswith("Bail out!"):
            self.report.bailed = stripped[len("Bail out!") :].strip() or "bailed out"
            return None
        if stripped.startswith("#"):
            if cases:
                cases[-1].diagnostics.append(stripped.lstrip("# ").rstrip())
            return None
        test = _TEST.match(stripped)
        if test is None:
            return None
        now = time.perf_counter()
        duration = (now - self._last) * 1000
        self._last = now
        ok = test.group(1) == "ok"
        description = test.group(3).strip()
        number = test.group(2)
        outcome: Outcome = "passed" if ok else "failed"
        message = ""
        directive = _DIRECTIVE.search(" " + description)
        if directive:
            description = description[: max(directive.start() - 1, 0)].rstrip()
            kind = directive.group(1).upper()
            reason = directive.group(2).strip()
            if kind == "SKIP" or not ok:
                outcome = "skipped"
                message = f"{kind.lower()}: {reason}" if reason else kind.lower()
        name = description or f"test {number or len(cases) + 1}"
        case = TapCase(
            name=name, outcome=outcome, message=message, duration_ms=duration
        )
        cases.append(case)
        return case


def parse_tap(text: str) -> TapReport:
    """Parse a whole TAP stream (the executor parses line by line as output arrives)."""
    reader = _TapReader()
    for line in text.splitlines():
        reader.feed(line)
    return reader.report


def _referenced(secrets: Mapping[str, str], script: str) -> dict[str, str]:
    return {
        name: value
        for name, value in secrets.items()
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", script)
    }


def _safe_name(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".") or "script.sh"
    return cleaned if cleaned.endswith(".sh") else cleaned + ".sh"


async def _drain(
    stream: asyncio.StreamReader | None, cap: int, sink: list[bytes]
) -> None:
    """Read ``stream`` to its end, keeping at most ``cap`` bytes in ``sink``."""
    if stream is None:
        return
    kept = 0
    while chunk := await stream.read(65_536):
        if kept < cap:
            sink.append(chunk[: cap - kept])
            kept += len(sink[-1])


class BashExecutor:
    """Runs bash-curl scripts, one subprocess each.

    Args:
        base_url: exported to scripts as ``BASE_URL``.
        secrets: plaintext secrets; a script gets only those it names.
        collector: receives every case.
        script_timeout: seconds a script may run before its process group
            is killed.
        output_cap: bytes of stdout and of stderr kept per script.
    """

    def __init__(
        self,
        *,
        base_url: str,
        secrets: Mapping[str, str],
        collector: Collector,
        script_timeout: float = 300.0,
        output_cap: int = OUTPUT_CAP,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._secrets = dict(secrets)
        self._collector = collector
        self._timeout = script_timeout
        self._cap = output_cap
        self._bash = shutil.which("bash", path=SAFE_PATH) or "/bin/bash"

    async def run_file(self, file: str, content: str) -> None:
        """Run the script ``file`` and record one case per TAP test line."""
        collector = self._collector
        collector.start(file)
        with tempfile.TemporaryDirectory(prefix="chapi-run-") as folder:
            script = Path(folder) / _safe_name(file)
            script.write_text(content, encoding="utf-8")
            env = {
                "PATH": SAFE_PATH,
                "HOME": folder,
                "LANG": "C.UTF-8",
                "BASE_URL": self._base_url,
                **_referenced(self._secrets, content),
            }
            collector.log(file, f"script {file}: bash {script.name}")
            started = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                self._bash,
                script.name,
                cwd=folder,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
            reader = _TapReader()
            stderr: list[bytes] = []
            timed_out = False
            try:
                async with asyncio.timeout(self._timeout):
                    await asyncio.gather(
                        self._read_tap(file, process.stdout, reader),
                        _drain(process.stderr, self._cap, stderr),
                    )
                    await process.wait()
            except TimeoutError:
                timed_out = True
            finally:
                await self._kill_group(process)
                self._flush(file, reader)
            duration = (time.perf_counter() - started) * 1000
            self._conclude(
                file, process.returncode, reader.report, stderr, timed_out, duration
            )
        collector.finish_file(file)

    async def _read_tap(
        self, file: str, stream: asyncio.StreamReader | None, reader: _TapReader
    ) -> None:
        if stream is None:
            return
        kept = 0
        cut = False
        pending = b""
        while chunk := await stream.read(65_536):
            if kept >= self._cap:
                cut = True
                continue
            if len(chunk) > self._cap - kept:
                cut = True
                chunk = chunk[: self._cap - kept]
            kept += len(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                self._feed(file, reader, raw.decode("utf-8", "replace"))
        if cut:
            # The last partial line is dropped: it may end inside a secret,
            # which the masker could then no longer recognise.
            self._collector.log(file, f"[stdout cut at {self._cap} bytes]")
        elif pending:
            self._feed(file, reader, pending.decode("utf-8", "replace"))

    def _feed(self, file: str, reader: _TapReader, line: str) -> None:
        self._collector.log(file, line)
        reader.feed(line)
        # A case is recorded once the next one starts, so the diagnostics
        # printed after it belong to its message.
        cases = reader.report.cases
        while reader.recorded < len(cases) - 1:
            self._record(file, cases[reader.recorded])
            reader.recorded += 1

    def _flush(self, file: str, reader: _TapReader) -> None:
        cases = reader.report.cases
        while reader.recorded < len(cases):
            self._record(file, cases[reader.recorded])
            reader.recorded += 1

    def _record(self, file: str, case: TapCase) -> None:
        message = case.message
        if case.diagnostics and case.outcome != "passed":
            message = "\n".join(filter(None, [message, *case.diagnostics]))
        self._collector.case(
            file, case.name, case.outcome, duration_ms=case.duration_ms, message=message
        )

    async def _kill_group(self, process: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            await asyncio.shield(asyncio.wait_for(process.wait(), 5))

    def _conclude(
        self,
        file: str,
        code: int | None,
        report: TapReport,
        stderr: list[bytes],
        timed_out: bool,
        duration_ms: float,
    ) -> None:
        # Masked whole before the tail is cut, so no secret is split.
        masker = self._collector.masker
        tail = masker.text(b"".join(stderr).decode("utf-8", "replace"))
        tail = tail[-2_000:].strip()
        for line in tail.splitlines()[-20:]:
            self._collector.log(file, f"stderr: {line}")
        name = file.rsplit("/", 1)[-1]
        seen = len(report.cases)
        problem = ""
        if timed_out:
            problem = f"script timed out after {self._timeout:g}s; its process group was killed"
        elif report.bailed:
            problem = f"bailed out: {report.bailed}"
        elif report.planned is not None and seen != report.planned:
            problem = f"plan said {report.planned} tests, the script reported {seen}"
        elif code and (
            report.planned is None
            or not any(c.outcome == "failed" for c in report.cases)
        ):
            problem = f"script exited with status {code}"
        elif seen == 0 and report.planned is None:
            problem = "script printed no TAP test lines"
        if problem:
            if tail:
                problem += f"\nstderr: {tail[-1_000:]}"
            self._collector.case(
                file, name, "error", duration_ms=duration_ms, message=problem
            )
