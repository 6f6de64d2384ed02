"""Recovering runs a killed process left unfinished, on SQLite and PostgreSQL.

A ``chapi run`` process runs a pack against a server on 127.0.0.1 that
holds one request open; once that request has arrived the test kills the
process with SIGKILL, so nothing of chapi's own clean-up runs and the stored
run stays ``running``. ``chapi.runs.recover`` must leave it alone while it
is younger than the bound and fail it, with the reason and the usual
reports, once it is older.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from runner_support import HangingServer, hanging_server

from chapi import Chapi
from chapi.cli import main
from chapi.demo import DemoServer
from chapi.domain import CardType, Run, RunStatus
from chapi.errors import InvalidStateError, ValidationError
from chapi.runner import CaseFinished, Event
from chapi.security import generate_key
from chapi.storage import SqlStorage

TOKEN = "recover-Secret-Token-2207"

_CLI = "import sys\nfrom chapi.cli import main\nraise SystemExit(main(sys.argv[1:]))\n"


@pytest.fixture
def server() -> Iterator[HangingServer]:
    """The hanging server in a thread."""
    with hanging_server() as instance:
        yield instance


def _steps(*paths: str) -> str:
    steps = [
        {
            "name": f"get {path}",
            "request": {"method": "GET", "path": path},
            "expect": {"status": [200]},
        }
        for path in paths
    ]
    return json.dumps({"jsonir": 1, "name": "steps", "steps": steps})


def _later(hours: float) -> Any:
    """A clock standing ``hours`` after the real time."""
    return lambda: datetime.now(UTC) + timedelta(hours=hours)


def _kill_mid_run(
    storage: SqlStorage, home: Path, key: str, pack_id: Any, server: HangingServer
) -> None:
    """``chapi run`` in its own process, SIGKILLed while a request hangs."""
    command = [sys.executable, "-c", _CLI, "--database-url", storage.url]
    command += ["--home", str(home), "--offline", "run", str(pack_id), "local"]
    command += ["--force", "--concurrency", "1", "--quiet"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAPI_")}
    env["CHAPI_SECRET_KEY"] = key
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        if not server.hanging.wait(60):
            process.kill()
            _out, err = process.communicate()
            pytest.fail(f"the run never reached the hanging request: {err}")
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == -signal.SIGKILL


def test_a_sigkilled_run_is_left_alone_while_young_and_failed_once_old(
    storage: SqlStorage,
    tmp_path: Path,
    server: HangingServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGKILL mid-run leaves ``running``; recover fails it only past the bound."""
    home = tmp_path / "home"
    key = generate_key()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    chapi = Chapi(storage=storage, home=home, secret_key=key, llm=None)
    project = chapi.projects.create("killable")
    chapi.projects.add_environment(
        project.id, "local", base_url=base_url, secrets={"TOKEN": TOKEN}
    )
    pack = chapi.packs.create(
        project.id,
        {"tests/a.json": _steps("/fast", "/hang", "/fast")},
        mode="json-ir",
    )

    _kill_mid_run(storage, home, key, pack.id, server)

    [stuck] = chapi.runs.list(project.id)
    assert stuck.status is RunStatus.RUNNING
    assert stuck.completed_at is None

    # Younger than the bound: nothing changes, also when only listing.
    assert chapi.runs.recover(project.id, older_than=timedelta(hours=1)) == []
    assert chapi.runs.get(stuck.id).status is RunStatus.RUNNING

    out = io.StringIO()
    cli = ["--database-url", storage.url, "--home", str(home), "--offline"]
    monkeypatch.setenv("CHAPI_SECRET_KEY", key)
    code = main(
        [*cli, "recover", "killable", "--older-than", "0", "--dry-run"], stdout=out
    )
    assert code == 0
    assert str(stuck.id) in out.getvalue()
    assert "would mark 1 abandoned run(s) failed" in out.getvalue()
    assert chapi.runs.get(stuck.id).status is RunStatus.RUNNING

    # Two hours on, the same bound catches it.
    later = Chapi(storage=storage, home=home, secret_key=key, llm=None, clock=_later(2))
    [recovered] = later.runs.recover("killable", older_than=timedelta(hours=1))

    assert recovered.id == stuck.id
    stored = chapi.runs.get(stuck.id)
    assert stored.status is RunStatus.FAILED
    assert stored.completed_at is not None
    assert stored.completed_at - stored.created_at > timedelta(hours=1)
    assert stored.runpack_id == pack.id
    assert stored.user_query == stuck.user_query
    assert stored.card == stuck.card
    assert stored.summary is not None
    reason = stored.summary["reason"]
    assert reason.startswith("abandoned: still running 2h")
    assert "bound 1h" in reason
    assert (stored.summary["total"], stored.summary["errors"]) == (0, 0)
    assert chapi.runs.results(stuck.id) == []
    junit = ET.fromstring(chapi.runs.artifact(stuck.id, "junit.xml"))
    assert junit.get("tests") == "0"
    assert "abandoned" in chapi.runs.artifact(stuck.id, "summary.md")
    for artifact in chapi.runs.artifacts(stuck.id):
        assert TOKEN not in artifact.content, artifact.path

    # A second pass finds nothing left to do.
    assert later.runs.recover(None, older_than=timedelta(hours=1)) == []


def test_recover_is_scoped_to_a_project_and_fails_queued_runs_too(
    storage: SqlStorage, tmp_path: Path, demo: DemoServer
) -> None:
    """Only the named project's stale runs move; finished and fresh ones stay."""
    chapi = Chapi(storage=storage, home=tmp_path, secret_key=generate_key(), llm=None)
    runs: dict[str, Run] = {}
    for name in ("one", "two"):
        project = chapi.projects.create(name)
        env = chapi.projects.add_environment(
            project.id, "local", base_url=demo.base_url
        )
        pack = chapi.packs.create(project.id, {"tests/h.json": _steps("/health")})
        done = chapi.runs.execute(pack.id, env.id, force=True)
        assert done.status is RunStatus.PASSED
        runs[f"{name}-done"] = done.run
        now = datetime.now(UTC)
        for label, age in (("old", timedelta(hours=3)), ("new", timedelta(minutes=5))):
            run = Run(project_id=project.id, env_id=env.id, created_at=now - age)
            with storage.unit_of_work() as uow:
                uow.runs.add(run)
                uow.commit()
            runs[f"{name}-{label}"] = run

    failed = chapi.runs.recover("one", older_than=timedelta(hours=1))

    assert [r.id for r in failed] == [runs["one-old"].id]
    stored = chapi.runs.get(runs["one-old"].id)
    assert stored.status is RunStatus.FAILED
    assert stored.summary is not None
    assert stored.summary["reason"].startswith("abandoned: still queued 3h")
    for label in ("one-new", "two-old", "two-new"):
        assert chapi.runs.get(runs[label].id).status is RunStatus.QUEUED, label
    for label in ("one-done", "two-done"):
        again = chapi.runs.get(runs[label].id)
        assert again.status is RunStatus.PASSED, label
        assert again.completed_at == runs[label].completed_at

    failed = chapi.runs.recover(None, older_than=timedelta(hours=1))
    assert [r.id for r in failed] == [runs["two-old"].id]
    assert chapi.runs.get(runs["two-new"].id).status is RunStatus.QUEUED


def test_a_live_run_caught_by_too_short_a_bound_stays_failed(
    storage: SqlStorage, tmp_path: Path, demo: DemoServer
) -> None:
    """Recovery first, outcome second: the first final state is the one kept."""
    chapi = Chapi(storage=storage, home=tmp_path, secret_key=generate_key(), llm=None)
    project = chapi.projects.create("racy")
    env = chapi.projects.add_environment(project.id, "local", base_url=demo.base_url)
    pack = chapi.packs.create(
        project.id, {"tests/h.json": _steps("/health", "/health")}
    )
    caught: list[Run] = []

    def recover_mid_run(event: Event) -> None:
        if isinstance(event, CaseFinished) and not caught:
            caught.extend(chapi.runs.recover(project.id, older_than=timedelta(0)))

    with pytest.raises(InvalidStateError, match="recovered as abandoned"):
        chapi.runs.execute(pack.id, env.id, force=True, on_event=recover_mid_run)

    [run] = caught
    stored = chapi.runs.get(run.id)
    assert stored.status is RunStatus.FAILED
    assert stored.summary is not None
    assert stored.summary["reason"].startswith("abandoned: still running")
    assert chapi.runs.results(run.id) == []


@pytest.mark.parametrize("bound", [timedelta(seconds=-1), 3600, None])
def test_recover_refuses_a_bound_that_is_not_a_non_negative_span(
    tmp_path: Path, bound: Any
) -> None:
    """A negative or non-timedelta bound is a ValidationError, nothing changes."""
    chapi = Chapi("sqlite://", home=tmp_path, secret_key=generate_key(), llm=None)
    with pytest.raises(ValidationError, match="older_than"):
        chapi.runs.recover(older_than=bound)


@pytest.mark.parametrize("span", ["1x", "-1h", "h", "1h 30m"])
def test_cli_recover_refuses_a_malformed_duration(
    tmp_path: Path, span: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--older-than`` takes 90s, 15m, 1h30m, 2d or seconds; others exit 2."""
    with pytest.raises(SystemExit) as stop:
        main(["--home", str(tmp_path), "recover", f"--older-than={span}"])
    assert stop.value.code == 2
    assert "is not a duration" in capsys.readouterr().err


def test_a_recovered_run_of_a_conversation_pack_gets_its_run_card(
    storage: SqlStorage, tmp_path: Path, demo: DemoServer
) -> None:
    """The conversation a pack came from shows the recovered run as failed."""
    chapi = Chapi(storage=storage, home=tmp_path, secret_key=generate_key(), llm=None)
    project = chapi.projects.create("talky")
    env = chapi.projects.add_environment(project.id, "local", base_url=demo.base_url)
    chapi.specs.import_spec(project.id, f"{demo.base_url}/openapi.json")
    talk = chapi.chat.start(project.id, "pets")
    reply = chapi.chat.ask(talk.id, "smoke tests for the pet endpoints", env="local")
    assert reply.pack is not None
    run = Run(
        project_id=project.id,
        env_id=env.id,
        runpack_id=reply.pack.id,
        created_at=datetime.now(UTC) - timedelta(days=1),
    )
    run.start()
    with storage.unit_of_work() as uow:
        uow.runs.add(run)
        uow.commit()

    [recovered] = chapi.runs.recover(project.id, older_than=timedelta(hours=1))

    last = chapi.chat.messages(talk.id)[-1]
    assert last.card_type is CardType.RUN
    assert last.card_payload is not None
    assert last.card_payload["run_id"] == str(recovered.id)
    assert last.card_payload["status"] == "failed"
    assert last.card_payload["summary"]["reason"].startswith(
        "abandoned: still running 1d"
    )


def test_abandon_keeps_what_the_run_held_and_refuses_a_finished_run() -> None:
    """The domain move: counts kept, reason set; a finished run cannot be abandoned."""
    run = Run(project_id=uuid.uuid4(), env_id=uuid.uuid4())
    run.start()
    run.summary = {"passed": 3, "total": 5}
    now = datetime.now(UTC)
    run.abandon("abandoned: test", now=now)
    assert run.status is RunStatus.FAILED and run.completed_at == now
    assert run.summary == {
        "passed": 3,
        "total": 5,
        "failed": 0,
        "errors": 0,
        "skipped": 0,
        "reason": "abandoned: test",
    }
    with pytest.raises(InvalidStateError):
        run.abandon("again", now=now)
