"""``chapi.runs`` end to end through the facade, on SQLite and on PostgreSQL.

The whole flow runs against the demo API on 127.0.0.1: import its spec from
its URL, ask for tests in a conversation, validate, finalize, run, and read
the stored run, its artifacts and the history back.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chapi import Chapi
from chapi.demo import DemoServer
from chapi.domain import CardType, PackStatus, RunStatus
from chapi.errors import InvalidStateError, NotFoundError
from chapi.runner import CaseFinished, Event, RunFinished, RunStarted
from chapi.security import generate_key
from chapi.storage import SqlStorage
from chapi.storage.tables import metadata
from conftest import DEMO_TOKEN


@pytest.fixture
def chapi(storage: SqlStorage, tmp_path: Path) -> Iterator[Chapi]:
    """The facade over the parametrized storage, offline planner, fixed key."""
    facade = Chapi(storage=storage, home=tmp_path, secret_key=generate_key(), llm=None)
    yield facade


@pytest.fixture
def flow(chapi: Chapi, demo: DemoServer) -> dict[str, Any]:
    """A project with a ``local`` environment and the demo spec imported by URL."""
    project = chapi.projects.create("pets")
    env = chapi.projects.add_environment(
        project.id, "local", base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )
    chapi.specs.import_spec(project.id, f"{demo.base_url}/openapi.json")
    return {"project": project, "env": env, "demo": demo}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_conversation_pack_runs_and_is_stored(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """Ask, run, and find the run stored with its card, artifacts and history."""
    talk = chapi.chat.start(flow["project"].id, "pet tests")
    reply = chapi.chat.ask(
        talk.id,
        "smoke, auth and crud tests for the pet endpoints",
        mode="hybrid",
        env="local",
    )
    assert chapi.packs.validate(reply.pack.id).passed
    pack = chapi.packs.finalize(reply.pack.id)
    seen: list[Event] = []

    result = chapi.runs.execute(pack.id, flow["env"].id, on_event=seen.append)

    failures = [(c.file, c.name, c.message) for c in result.failures]
    assert failures == []
    assert result.status is RunStatus.PASSED
    assert result.summary["total"] == len(result.results) > 10
    stored = chapi.runs.get(result.id)
    assert stored.status is RunStatus.PASSED
    assert stored.completed_at is not None
    assert stored.completed_at >= stored.created_at
    assert stored.runpack_id == pack.id
    assert stored.env_id == flow["env"].id
    assert stored.user_query == "smoke, auth and crud tests for the pet endpoints"
    assert stored.card["card_hash"] == pack.card_hash
    assert isinstance(seen[0], RunStarted)
    assert isinstance(seen[-1], RunFinished)
    assert sum(isinstance(e, CaseFinished) for e in seen) == len(result.results)

    paths = {a.path for a in chapi.runs.artifacts(result.id)}
    assert {"results.json", "junit.xml", "summary.md"} <= paths
    assert {f"pack/{f.path}" for f in pack.files} <= paths
    assert any(p.startswith("logs/") for p in paths)
    ET.fromstring(chapi.runs.artifact(result.id, "junit.xml"))
    assert len(chapi.runs.results(result.id)) == len(result.results)

    messages = chapi.chat.messages(talk.id)
    assert messages[-1].card_type is CardType.RUN
    assert messages[-1].card_payload["run_id"] == str(result.id)


def test_history_is_newest_first_and_per_pack(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """Two runs of one pack are listed newest first, by project and by pack."""
    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")

    first = chapi.runs.execute(pack.id, "local")
    second = chapi.runs.execute(pack.id, "local")

    assert [r.id for r in chapi.runs.list(flow["project"].id)] == [
        second.id,
        first.id,
    ]
    assert [r.id for r in chapi.runs.for_pack(pack.id)] == [second.id, first.id]
    assert chapi.runs.list(flow["project"].id, limit=1)[0].id == second.id


def test_run_is_queued_then_running_before_requests(
    chapi: Chapi, flow: dict[str, Any], storage: SqlStorage
) -> None:
    """The run is written queued, then running, before the first event; then passed."""
    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")
    statuses: list[RunStatus] = []
    writes: list[str] = []
    values = {s.value for s in RunStatus}

    def watch(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        words = statement.split()
        if words[0] in ("INSERT", "UPDATE") and "runs" in (words[1], words[2]):
            found = params.values() if isinstance(params, dict) else params
            writes.extend(f"{words[0]} {v}" for v in found if v in values)

    def look(event: Event) -> None:
        if isinstance(event, RunStarted):
            writes.append("RunStarted")
            with storage.engine.connect() as conn:
                row = conn.execute(
                    sa.text("SELECT status FROM runs WHERE runpack_id = :p"),
                    {"p": pack.id.hex if storage.backend == "sqlite" else pack.id},
                ).one()
            statuses.append(RunStatus(row[0]))

    sa.event.listen(storage.engine, "before_cursor_execute", watch)
    try:
        chapi.runs.execute(pack.id, "local", on_event=look)
    finally:
        sa.event.remove(storage.engine, "before_cursor_execute", watch)

    assert statuses == [RunStatus.RUNNING]
    assert writes == [
        "INSERT queued",
        "UPDATE running",
        "RunStarted",
        "UPDATE passed",
    ]


def test_a_draft_pack_is_refused_unless_forced(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """Running a draft needs ``force=True``; nothing is stored for the refusal."""
    pack = chapi.packs.generate(
        flow["project"].id, "smoke tests for pets", finalize=False
    )
    assert pack.status is PackStatus.DRAFT

    with pytest.raises(InvalidStateError, match="finalize it first"):
        chapi.runs.execute(pack.id, "local")
    assert chapi.runs.list(flow["project"].id) == []

    forced = chapi.runs.execute(pack.id, "local", force=True)
    assert forced.passed


def test_environment_of_another_project_is_not_found(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """A pack runs only in its own project's environments."""
    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")
    other = chapi.projects.create("other")
    foreign = chapi.projects.add_environment(
        other.id, "local", base_url="http://127.0.0.1:1"
    )

    with pytest.raises(NotFoundError):
        chapi.runs.execute(pack.id, foreign.id)


def test_a_run_started_inside_a_running_loop_is_stored(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """``chapi.runs.execute`` works from a notebook cell, where a loop is running."""
    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")

    async def cell() -> Any:
        return chapi.runs.execute(pack.id, "local")

    result = asyncio.run(cell())

    assert result.status is RunStatus.PASSED
    assert chapi.runs.get(result.id).status is RunStatus.PASSED


def test_dead_server_gives_a_stored_failed_run(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """Nothing listening: every case fails, the run is stored failed."""
    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")
    chapi.projects.update_environment(
        "local",
        project=flow["project"].id,
        base_url=f"http://127.0.0.1:{_closed_port()}",
    )

    result = chapi.runs.execute(pack.id, "local", timeout=5)

    assert result.status is RunStatus.FAILED
    assert result.results
    assert all("could not reach the server" in c.message for c in result.failures)
    assert chapi.runs.get(result.id).status is RunStatus.FAILED


def test_runner_crash_stores_a_failed_run_with_what_it_had(
    chapi: Chapi, flow: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """chapi breaking mid-run re-raises, after storing the cases seen so far."""
    import chapi.services.runs as runs_module

    real = runs_module.execute_pack
    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")

    def breaking(*args: Any, **kwargs: Any) -> Any:
        forward = kwargs["on_event"]
        seen = 0

        def on_event(event: Event) -> None:
            nonlocal seen
            forward(event)
            if isinstance(event, CaseFinished):
                seen += 1

        outcome = real(*args, **{**kwargs, "on_event": on_event})
        assert seen == len(outcome.results) > 0
        raise RuntimeError("storage writer broke")

    monkeypatch.setattr(runs_module, "execute_pack", breaking)

    with pytest.raises(RuntimeError, match="storage writer broke"):
        chapi.runs.execute(pack.id, "local")

    [stored] = chapi.runs.list(flow["project"].id)
    assert stored.status is RunStatus.FAILED
    assert stored.summary is not None
    assert stored.summary["reason"] == "crashed: RuntimeError"
    assert stored.summary["passed"] > 0
    assert len(chapi.runs.results(stored.id)) == stored.summary["total"]


def test_cancel_event_stores_a_cancelled_run(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """Setting ``cancel`` from the first event ends the run failed, cancelled."""
    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")
    cancel = threading.Event()

    result = chapi.runs.execute(
        pack.id, "local", cancel=cancel, on_event=lambda _e: cancel.set()
    )

    assert result.status is RunStatus.FAILED
    assert result.reason == "cancelled"
    assert chapi.runs.get(result.id).summary["reason"] == "cancelled"  # type: ignore[index]


def test_stream_yields_live_events_and_stores_the_run(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """``stream`` yields RunStarted, the cases, then RunFinished."""
    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")

    events = list(chapi.runs.stream(pack.id, "local"))

    assert isinstance(events[0], RunStarted)
    assert isinstance(events[-1], RunFinished)
    assert events[-1].passed
    assert any(isinstance(e, CaseFinished) for e in events)
    [stored] = chapi.runs.list(flow["project"].id)
    assert stored.status is RunStatus.PASSED


def test_leaving_a_stream_early_cancels_and_stores(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """Breaking out of the loop stops the run; it is stored failed."""
    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")

    for event in chapi.runs.stream(pack.id, "local"):
        if isinstance(event, RunStarted):
            break

    [stored] = chapi.runs.list(flow["project"].id)
    assert stored.status is RunStatus.FAILED
    assert stored.summary is not None
    assert stored.summary["reason"] == "cancelled"


def test_no_secret_reaches_the_database(
    chapi: Chapi, flow: dict[str, Any], storage: SqlStorage
) -> None:
    """After a run, no table holds the token in plain text."""
    pack = chapi.packs.generate(flow["project"].id, "smoke and auth tests for pets")
    chapi.runs.execute(pack.id, "local")

    with storage.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                assert DEMO_TOKEN not in repr(tuple(row)), table.name
        artifacts = conn.execute(sa.text("SELECT count(*) FROM artifacts")).scalar()
    assert artifacts


def test_an_environment_with_runs_cannot_be_deleted(
    chapi: Chapi, flow: dict[str, Any]
) -> None:
    """The run history keeps its environment: deleting it is refused."""
    from chapi.errors import ConflictError

    pack = chapi.packs.generate(flow["project"].id, "smoke tests for pets")
    chapi.runs.execute(pack.id, "local")

    with pytest.raises(ConflictError):
        chapi.projects.remove_environment(flow["env"].id)
