"""The storage contract, run against SQLite and the real PostgreSQL server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from chapi import domain as d
from chapi.errors import ConflictError, NotFoundError, StorageError
from chapi.storage import SqlStorage
from chapi.storage.tables import metadata

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_project(storage: SqlStorage, name: str = "petstore") -> d.Project:
    project = d.Project(name=name, created_at=at(0), updated_at=at(0))
    project.environments.append(
        d.Environment(
            project_id=project.id, name="local", base_url="http://127.0.0.1:1"
        )
    )
    with storage.unit_of_work() as uow:
        uow.projects.add(project)
        uow.commit()
    return project


def make_spec(storage: SqlStorage, project: d.Project, version: str = "1") -> d.ApiSpec:
    spec = d.ApiSpec(
        project_id=project.id,
        version=version,
        raw_json={"openapi": "3.1.0"},
        created_at=at(0),
    )
    rows = [
        d.Endpoint(
            project_id=project.id,
            spec_id=spec.id,
            method="GET",
            path=f"/pets/{i}",
            summary="s",
            auth="bearer",
            req_content="-",
            success_content="200:application/json",
        )
        for i in range(3)
    ]
    with storage.unit_of_work() as uow:
        uow.specs.add(spec, rows)
        uow.commit()
    return spec


def make_run(storage: SqlStorage, project: d.Project) -> d.Run:
    run = d.Run(
        project_id=project.id, env_id=project.environments[0].id, user_query="q"
    )
    with storage.unit_of_work() as uow:
        uow.runs.add(run)
        uow.commit()
    return run


def test_project_round_trip(storage: SqlStorage) -> None:
    """A stored project loads back equal, environments included."""
    project = make_project(storage)

    with storage.unit_of_work() as uow:
        loaded = uow.projects.get(project.id)
        by_name = uow.projects.find_by_name("petstore")

    assert loaded == project
    assert by_name == project


def test_missing_project_is_not_found(storage: SqlStorage) -> None:
    """Looking up an unknown id raises NotFoundError, which is also a LookupError."""
    with storage.unit_of_work() as uow, pytest.raises(LookupError) as info:
        uow.projects.get(uuid.uuid4())

    assert isinstance(info.value, NotFoundError)


def test_duplicate_project_name_is_a_conflict(storage: SqlStorage) -> None:
    """The unique name surfaces as ConflictError, not a driver traceback."""
    make_project(storage)

    with storage.unit_of_work() as uow, pytest.raises(ConflictError, match="name"):
        uow.projects.add(d.Project(name="petstore"))


def test_duplicate_environment_name_is_a_conflict(storage: SqlStorage) -> None:
    """Two environments of one project cannot share a name."""
    project = make_project(storage)
    project.environments.append(
        d.Environment(project_id=project.id, name="local", base_url="http://a")
    )

    with (
        storage.unit_of_work() as uow,
        pytest.raises(ConflictError, match="environment"),
    ):
        uow.projects.update(project)


def test_uncommitted_work_is_rolled_back(storage: SqlStorage) -> None:
    """Leaving a unit of work without commit keeps nothing."""
    with storage.unit_of_work() as uow:
        uow.projects.add(d.Project(name="ghost"))

    with storage.unit_of_work() as uow:
        assert uow.projects.find_by_name("ghost") is None


def test_error_inside_unit_of_work_rolls_back(storage: SqlStorage) -> None:
    """An exception after some writes discards all of them."""
    with pytest.raises(RuntimeError), storage.unit_of_work() as uow:
        uow.projects.add(d.Project(name="half"))
        raise RuntimeError("boom")

    with storage.unit_of_work() as uow:
        assert uow.projects.list() == []


def test_commit_keeps_work_and_later_rollback_does_not_undo_it(
    storage: SqlStorage,
) -> None:
    """Work committed stays; only what follows the commit is discarded."""
    with storage.unit_of_work() as uow:
        uow.projects.add(d.Project(name="kept"))
        uow.commit()
        uow.projects.add(d.Project(name="dropped"))
        uow.rollback()

    with storage.unit_of_work() as uow:
        assert [p.name for p in uow.projects.list()] == ["kept"]


def test_deleting_a_project_removes_what_it_owns(storage: SqlStorage) -> None:
    """Project deletion cascades to environments, specs, catalog, packs, runs, chats."""
    project = make_project(storage)
    spec = make_spec(storage, project)
    run = make_run(storage, project)
    talk = d.Conversation(project_id=project.id, title="t")
    pack = d.RunPack(project_id=project.id, mode=d.PackMode.JSON_IR)
    pack.add_file("tests/a.json", "{}", "SMOKE", now=at(1))
    with storage.unit_of_work() as uow:
        uow.conversations.add(talk)
        uow.packs.add(pack)
        uow.policies.add(d.Policy(project_id=project.id, type="require-auth"))
        uow.commit()

    with storage.unit_of_work() as uow:
        uow.projects.delete(project.id)
        uow.commit()

    with storage.unit_of_work() as uow:
        for lookup in (
            lambda: uow.specs.get(spec.id),
            lambda: uow.runs.get(run.id),
            lambda: uow.packs.get(pack.id),
            lambda: uow.conversations.get(talk.id),
            lambda: uow.projects.get_environment(project.environments[0].id),
        ):
            with pytest.raises(NotFoundError):
                lookup()
        assert uow.specs.endpoints(spec.id) == []
        assert uow.policies.list(project.id) == []


def test_environment_used_by_runs_cannot_be_deleted(storage: SqlStorage) -> None:
    """Removing an environment that runs used is refused with a ConflictError."""
    project = make_project(storage)
    make_run(storage, project)
    project.environments = []

    with storage.unit_of_work() as uow, pytest.raises(ConflictError):
        uow.projects.update(project)
        uow.commit()


def test_unused_environment_can_be_deleted(storage: SqlStorage) -> None:
    """An environment no run used is removed by syncing the project."""
    project = make_project(storage)
    project.environments = []

    with storage.unit_of_work() as uow:
        uow.projects.update(project)
        uow.commit()

    with storage.unit_of_work() as uow:
        assert uow.projects.get(project.id).environments == []


def test_spec_versions_are_unique_and_listed_newest_first(storage: SqlStorage) -> None:
    """The same version twice is a conflict; list() is newest first."""
    project = make_project(storage)
    old = make_spec(storage, project, "1")
    new = d.ApiSpec(project_id=project.id, version="2", raw_json={}, created_at=at(60))
    with storage.unit_of_work() as uow:
        uow.specs.add(new, [])
        uow.commit()

    with storage.unit_of_work() as uow:
        listed = [s.version for s in uow.specs.list(project.id)]
        latest = uow.specs.latest(project.id)
        found = uow.specs.find_version(project.id, "1")

    assert listed == ["2", "1"]
    assert latest is not None and latest.id == new.id
    assert found is not None and found.id == old.id
    with storage.unit_of_work() as uow, pytest.raises(ConflictError, match="version"):
        uow.specs.add(d.ApiSpec(project_id=project.id, version="1", raw_json={}), [])


def test_catalog_rows_round_trip(storage: SqlStorage) -> None:
    """Endpoints come back with every field, tags included."""
    project = make_project(storage)
    spec = make_spec(storage, project)

    with storage.unit_of_work() as uow:
        rows = uow.specs.endpoints(spec.id)

    assert [r.path for r in rows] == ["/pets/0", "/pets/1", "/pets/2"]
    assert rows[0].success_content == "200:application/json"


def test_pack_round_trip_and_cache_lookup(storage: SqlStorage) -> None:
    """A pack loads back whole; only finalized packs answer a cache lookup."""
    project = make_project(storage)
    pack = d.RunPack(project_id=project.id, mode=d.PackMode.HYBRID, inputs_hash="h1")
    pack.add_file("tests/pets/smoke.json", '{"x": 1}', "SMOKE", now=at(1))
    pack.add_file("tests/pets/auth.sh", "echo ok\n", "AUTH", now=at(1))
    pack.inputs = d.RunPackInputs(
        runpack_id=pack.id, allowed_ops=["get", "POST"], endpoints_context="GET /pets"
    )
    pack.validations = [
        d.RunPackValidation(
            runpack_id=pack.id, file_path="tests/pets/auth.sh", rule="R", passed=True
        )
    ]
    with storage.unit_of_work() as uow:
        uow.packs.add(pack)
        uow.commit()

    with storage.unit_of_work() as uow:
        loaded = uow.packs.get(pack.id)
        cached_draft = uow.packs.find_cached(project.id, "h1")
    pack.finalize(now=at(5))
    with storage.unit_of_work() as uow:
        uow.packs.update(pack)
        uow.commit()
    with storage.unit_of_work() as uow:
        cached = uow.packs.find_cached(project.id, "h1")

    expected = pack.model_copy(
        update={
            "status": d.PackStatus.DRAFT,
            "finalized_at": None,
            "files": sorted(pack.files, key=lambda f: f.path),
        }
    )
    assert loaded == expected
    assert loaded.files_count == 2
    assert loaded.inputs is not None and loaded.inputs.allowed_ops == ["GET", "POST"]
    assert cached_draft is None
    assert (
        cached is not None
        and cached.id == pack.id
        and cached.status is d.PackStatus.FINALIZED
    )


def test_one_pack_per_message(storage: SqlStorage) -> None:
    """The partial unique index on run_packs.message_id holds."""
    project = make_project(storage)
    talk = d.Conversation(project_id=project.id, title="t")
    message = talk.add_message(d.MessageRole.USER, "hi", now=at(1))
    with storage.unit_of_work() as uow:
        uow.conversations.add(talk)
        uow.packs.add(
            d.RunPack(project_id=project.id, mode="json-ir", message_id=message.id)
        )
        uow.packs.add(d.RunPack(project_id=project.id, mode="json-ir"))
        uow.packs.add(d.RunPack(project_id=project.id, mode="json-ir"))
        uow.commit()

    with storage.unit_of_work() as uow, pytest.raises(ConflictError):
        uow.packs.add(
            d.RunPack(project_id=project.id, mode="json-ir", message_id=message.id)
        )


def test_run_lifecycle_and_artifacts_persist(storage: SqlStorage) -> None:
    """Status, summary, completion time and artifacts are saved and listed newest first."""
    project = make_project(storage)
    first = make_run(storage, project)
    second = d.Run(
        project_id=project.id,
        env_id=project.environments[0].id,
        created_at=first.created_at + timedelta(seconds=1),
    )
    second.start()
    second.finish(passed=True, now=at(99), summary={"total": 1})
    second.add_artifact("results.json", "{}", now=at(99))
    with storage.unit_of_work() as uow:
        uow.runs.add(second)
        uow.commit()

    with storage.unit_of_work() as uow:
        listed = uow.runs.list(project.id)
        loaded = uow.runs.get(second.id)

    assert [r.id for r in listed] == [second.id, first.id]
    assert loaded == second
    assert loaded.status is d.RunStatus.PASSED


def test_conversation_messages_keep_their_order(storage: SqlStorage) -> None:
    """Messages load in the order they were written, cards intact."""
    project = make_project(storage)
    talk = d.Conversation(project_id=project.id, title="pets", created_at=at(0))
    with storage.unit_of_work() as uow:
        uow.conversations.add(talk)
        uow.commit()
    for i in range(3):
        message = talk.add_message(
            d.MessageRole.ASSISTANT,
            f"m{i}",
            now=at(i + 1),
            card_type="plan",
            card_payload={"i": i},
        )
        with storage.unit_of_work() as uow:
            uow.conversations.add_message(message)
            uow.commit()

    with storage.unit_of_work() as uow:
        loaded = uow.conversations.get(talk.id)

    assert [m.content for m in loaded.messages] == ["m0", "m1", "m2"]
    assert loaded.messages[2].card_payload == {"i": 2}
    assert loaded.updated_at == at(3)


def test_small_entities_round_trip(storage: SqlStorage) -> None:
    """Policies, GitHub integrations and discovered endpoints store and delete."""
    project = make_project(storage)
    policy = d.Policy(
        project_id=project.id, type="require-auth", rules={"roles": ["AUTH"]}
    )
    hook = d.GitHubIntegration(
        project_id=project.id, installation_id="42", repo="acme/api"
    )
    found = d.EndpointDiscovery(
        project_id=project.id,
        code_snippet="@app.get('/x')",
        detected_path="/x",
        detected_method="GET",
    )
    with storage.unit_of_work() as uow:
        uow.policies.add(policy)
        uow.integrations.add(hook)
        uow.discoveries.add(found)
        uow.commit()
    found.status = d.DiscoveryStatus.ACCEPTED
    with storage.unit_of_work() as uow:
        uow.discoveries.update(found)
        uow.policies.delete(policy.id)
        uow.commit()

    with storage.unit_of_work() as uow:
        assert uow.policies.list(project.id) == []
        assert uow.integrations.list(project.id) == [hook]
        assert uow.discoveries.list(project.id) == [found]
        with pytest.raises(NotFoundError):
            uow.policies.delete(policy.id)


def test_unreachable_database_is_a_storage_error() -> None:
    """A dead server gives StorageError naming the database, not a driver traceback."""
    storage = SqlStorage(
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    )

    with pytest.raises(StorageError, match=r"127\.0\.0\.1"):
        storage.migrate()


@pytest.mark.postgres
def test_postgres_schema_matches_reference_types(
    pg_url: str, _pg_storage: SqlStorage
) -> None:
    """On PostgreSQL the columns use uuid, jsonb and timestamptz as the reference DDL says."""
    import sqlalchemy as sa

    with _pg_storage.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name <> 'alembic_version'"
            )
        ).all()
        indexes = {
            r[0]
            for r in conn.execute(
                sa.text("SELECT indexname FROM pg_indexes WHERE schemaname='public'")
            )
        }
    types = {(r[0], r[1]): (r[2], r[3]) for r in rows}

    assert types[("projects", "id")] == ("uuid", "NO")
    assert types[("environments", "secrets")] == ("jsonb", "NO")
    assert types[("runs", "completed_at")] == ("timestamp with time zone", "YES")
    assert types[("messages", "card_payload")] == ("jsonb", "YES")
    assert types[("run_pack_inputs", "allowed_ops")] == ("text", "NO")
    assert {
        "ix_endpoint_catalog_project_path_method",
        "ix_conversations_project_created",
        "ix_messages_conversation_created",
        "ix_runs_project_created",
        "ix_run_packs_project_created",
        "ix_run_packs_conversation",
        "ix_run_packs_message",
        "ix_run_packs_project_inputs_hash",
        "ix_run_pack_validations_file",
        "run_pack_files_runpack_id_path_key",
        "artifacts_run_id_path_key",
        "environments_project_id_name_key",
        "run_pack_inputs_runpack_id_key",
    } <= indexes


def populate_every_table(storage: SqlStorage, project: d.Project) -> dict[str, Any]:
    """One row or more in each of the fifteen tables, all owned by ``project``."""
    spec = make_spec(storage, project)
    talk = d.Conversation(project_id=project.id, title="t", created_at=at(0))
    message = talk.add_message(d.MessageRole.USER, "hi", now=at(1))
    pack = d.RunPack(
        project_id=project.id,
        mode=d.PackMode.JSON_IR,
        conversation_id=talk.id,
        message_id=message.id,
        created_at=at(2),
    )
    pack.add_file("tests/a.json", "{}", "SMOKE", now=at(2))
    pack.inputs = d.RunPackInputs(runpack_id=pack.id, allowed_ops=["GET"])
    pack.replace_validations(
        [
            d.RunPackValidation(
                runpack_id=pack.id, file_path="tests/a.json", rule="R", passed=True
            )
        ]
    )
    run = d.Run(
        project_id=project.id,
        env_id=project.environments[0].id,
        runpack_id=pack.id,
        created_at=at(3),
    )
    run.add_artifact("results.json", "{}", now=at(3))
    with storage.unit_of_work() as uow:
        uow.conversations.add(talk)
        uow.packs.add(pack)
        uow.runs.add(run)
        uow.policies.add(d.Policy(project_id=project.id, type="require-auth"))
        uow.integrations.add(
            d.GitHubIntegration(project_id=project.id, installation_id="1", repo="a/b")
        )
        uow.discoveries.add(
            d.EndpointDiscovery(
                project_id=project.id,
                code_snippet="x",
                detected_path="/x",
                detected_method="GET",
            )
        )
        uow.commit()
    return {"spec": spec, "talk": talk, "message": message, "pack": pack, "run": run}


def row_counts(storage: SqlStorage) -> dict[str, int]:
    with storage.engine.connect() as conn:
        return {
            table.name: conn.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
            for table in metadata.sorted_tables
        }


def test_project_delete_cascades_through_every_table(storage: SqlStorage) -> None:
    """Deleting a project leaves no row of it in any table; other projects stay whole."""
    doomed = make_project(storage, "doomed")
    kept = make_project(storage, "kept")
    populate_every_table(storage, doomed)
    populate_every_table(storage, kept)
    before = row_counts(storage)
    assert len(before) == 15 and all(n > 0 for n in before.values())

    with storage.unit_of_work() as uow:
        uow.projects.delete(doomed.id)
        uow.commit()

    after = row_counts(storage)
    assert after == {name: n // 2 for name, n in before.items()}


def test_set_null_links_keep_history(storage: SqlStorage) -> None:
    """Deleting a pack keeps its runs; deleting a chat keeps the packs it produced."""
    project = make_project(storage)
    made = populate_every_table(storage, project)
    pack, run, talk = made["pack"], made["run"], made["talk"]

    with storage.unit_of_work() as uow:
        uow.conversations.delete(talk.id)
        uow.commit()
    with storage.unit_of_work() as uow:
        kept_pack = uow.packs.get(pack.id)
        uow.packs.delete(pack.id)
        uow.commit()
    with storage.unit_of_work() as uow:
        kept_run = uow.runs.get(run.id)

    assert kept_pack.conversation_id is None and kept_pack.message_id is None
    assert kept_pack.files == pack.files
    assert kept_run.runpack_id is None
    assert kept_run.artifacts == run.artifacts


def test_deleting_a_spec_removes_only_its_catalog(storage: SqlStorage) -> None:
    """A spec's catalog rows go with it; another version's rows stay."""
    project = make_project(storage)
    old, new = make_spec(storage, project, "1"), make_spec(storage, project, "2")

    with storage.unit_of_work() as uow:
        uow.specs.delete(old.id)
        uow.commit()

    with storage.unit_of_work() as uow:
        assert uow.specs.endpoints(old.id) == []
        assert len(uow.specs.endpoints(new.id)) == 3
        with pytest.raises(NotFoundError):
            uow.specs.delete(old.id)


def _datetimes(model: Any) -> list[datetime]:
    """Every datetime field of a model and of the models it holds."""
    found: list[datetime] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, datetime):
                found.append(item)
            elif isinstance(item, d.Entity):
                found.extend(_datetimes(item))
    return found


@pytest.mark.postgres
def test_timestamps_load_as_utc_whatever_the_session_time_zone(pg_url: str) -> None:
    """A PostgreSQL session in another time zone still gives back UTC datetimes."""
    storage = SqlStorage(
        pg_url,
        engine_options={"connect_args": {"options": "-c timezone=Asia/Kolkata"}},
    )
    try:
        project = make_project(storage, f"tz-{uuid.uuid4()}")
        made = populate_every_table(storage, project)
        with storage.unit_of_work() as uow:
            zone = uow.execute(sa.text("SHOW timezone")).scalar_one()
            loaded: list[Any] = [
                uow.projects.get(project.id),
                uow.specs.get(made["spec"].id),
                *uow.specs.endpoints(made["spec"].id),
                uow.conversations.get(made["talk"].id),
                uow.packs.get(made["pack"].id),
                uow.runs.get(made["run"].id),
                *uow.policies.list(project.id),
                *uow.integrations.list(project.id),
                *uow.discoveries.list(project.id),
            ]
    finally:
        storage.close()

    stamps = [stamp for model in loaded for stamp in _datetimes(model)]
    assert zone == "Asia/Kolkata"
    assert len(stamps) >= 15
    assert all(stamp.tzinfo is UTC for stamp in stamps)
    assert loaded[0].created_at == at(0)
