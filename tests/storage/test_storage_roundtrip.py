"""Hypothesis round-trips: every entity stored then loaded comes back equal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chapi import domain as d
from chapi.storage import SqlStorage

# PostgreSQL text cannot hold NUL, and JSON cannot hold lone surrogates.
texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
names = texts.filter(lambda s: s.strip() != "").map(lambda s: s[:40])
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3)
    ),
    max_leaves=8,
)
json_objects = st.dictionaries(texts, json_values, max_size=4)
methods = st.sampled_from(list(d.HttpMethod))


def fresh_project(storage: SqlStorage) -> d.Project:
    project = d.Project(name=f"p-{uuid.uuid4()}")
    project.environments.append(
        d.Environment(
            project_id=project.id, name="local", base_url="http://127.0.0.1:9"
        )
    )
    with storage.unit_of_work() as uow:
        uow.projects.add(project)
        uow.commit()
    return project


@given(name=names, description=st.none() | texts, created=moments, secret=texts)
def test_project_and_environment_round_trip(
    storage: SqlStorage,
    name: str,
    description: str | None,
    created: datetime,
    secret: str,
) -> None:
    """Projects and their environments survive storage unchanged."""
    project = d.Project(
        name=f"{uuid.uuid4()}{name}".strip(),
        description=description,
        created_at=created,
    )
    project.environments.append(
        d.Environment(
            project_id=project.id,
            name=name,
            base_url="https://api.example.test/v1",
            secrets={"TOKEN": "gAAAA" + secret} if secret else {},
            created_at=created,
        )
    )

    with storage.unit_of_work() as uow:
        uow.projects.add(project)
        uow.commit()
    with storage.unit_of_work() as uow:
        loaded = uow.projects.get(project.id)

    assert loaded == project


@given(
    version=names,
    raw=json_objects,
    warnings=st.lists(
        st.builds(d.SpecWarning, location=texts, message=texts), max_size=3
    ),
    rows=st.lists(
        st.tuples(
            methods, texts, texts, st.none() | texts, st.lists(texts, max_size=2)
        ),
        max_size=5,
    ),
)
def test_spec_and_catalog_round_trip(
    storage: SqlStorage,
    version: str,
    raw: dict[str, Any],
    warnings: list[d.SpecWarning],
    rows: list[tuple[d.HttpMethod, str, str, str | None, list[str]]],
) -> None:
    """Specs (document, warnings) and catalog rows come back unchanged."""
    project = fresh_project(storage)
    spec = d.ApiSpec(
        project_id=project.id, version=version, raw_json=raw, warnings=warnings
    )
    created = datetime(2026, 1, 1, tzinfo=UTC)
    endpoints = [
        d.Endpoint(
            project_id=project.id,
            spec_id=spec.id,
            method=method,
            path=f"/{i}{path}",
            summary=summary,
            auth="bearer",
            req_content="-",
            success_content="200:-",
            operation_id=op_id,
            tags=tags,
            created_at=created,
        )
        for i, (method, path, summary, op_id, tags) in enumerate(rows)
    ]

    with storage.unit_of_work() as uow:
        uow.specs.add(spec, endpoints)
        uow.commit()
    with storage.unit_of_work() as uow:
        loaded = uow.specs.get(spec.id)
        loaded_rows = uow.specs.endpoints(spec.id)

    assert loaded == spec
    assert sorted(loaded_rows, key=lambda e: e.path) == sorted(
        endpoints, key=lambda e: e.path
    )


@given(
    title=names,
    contents=st.lists(
        st.tuples(
            st.sampled_from(list(d.MessageRole)),
            texts,
            st.sampled_from(list(d.CardType)),
            json_objects,
        ),
        max_size=4,
    ),
)
def test_conversation_round_trip(
    storage: SqlStorage,
    title: str,
    contents: list[tuple[d.MessageRole, str, d.CardType, dict[str, Any]]],
) -> None:
    """Conversations and messages, cards included, come back unchanged."""
    project = fresh_project(storage)
    talk = d.Conversation(
        project_id=project.id, title=title, created_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    for i, (role, text, card_type, card) in enumerate(contents):
        talk.add_message(
            role,
            text,
            now=datetime(2026, 1, 1, 0, 0, i, tzinfo=UTC),
            card_type=card_type,
            card_payload=None if card_type is d.CardType.NONE else card,
        )

    with storage.unit_of_work() as uow:
        uow.conversations.add(talk)
        uow.commit()
    with storage.unit_of_work() as uow:
        loaded = uow.conversations.get(talk.id)

    assert loaded == talk


@given(
    mode=st.sampled_from(list(d.PackMode)),
    files=st.dictionaries(names, texts, max_size=4),
    ops=st.lists(st.sampled_from(["GET", "POST", "DELETE"]), unique=True),
    details=st.none() | json_objects,
    selector=st.none() | json_objects,
    verdicts=st.lists(st.tuples(names, st.booleans()), max_size=3),
    ending=st.sampled_from(["draft", "finalized", "expired"]),
    created=moments,
    labels=st.tuples(st.none() | texts, st.none() | texts, st.none() | texts),
)
def test_pack_round_trip(
    storage: SqlStorage,
    mode: d.PackMode,
    files: dict[str, str],
    ops: list[str],
    details: dict[str, Any] | None,
    selector: dict[str, Any] | None,
    verdicts: list[tuple[str, bool]],
    ending: str,
    created: datetime,
    labels: tuple[str | None, str | None, str | None],
) -> None:
    """Packs in every status, with files, inputs, validations and their chat
    links, come back unchanged."""
    project = fresh_project(storage)
    talk = d.Conversation(project_id=project.id, title="t", created_at=created)
    message = talk.add_message(d.MessageRole.USER, "make tests", now=created)
    version, card_hash, zip_url = labels
    pack = d.RunPack(
        project_id=project.id,
        conversation_id=talk.id,
        message_id=message.id,
        mode=mode,
        inputs_hash="sha256:x",
        generator_version=version,
        card_hash=card_hash,
        zip_url=zip_url,
        created_at=created,
    )
    for path, content in sorted(files.items()):
        pack.add_file(path, content, "SMOKE", now=created)
    pack.inputs = d.RunPackInputs(
        runpack_id=pack.id,
        file_roles_json={p: "SMOKE" for p in files},
        role_contexts_json={"SMOKE": "GET /x"},
        allowed_ops=ops,
        selector_output_json=selector,
        created_at=created,
    )
    pack.replace_validations(
        [
            d.RunPackValidation(
                runpack_id=pack.id,
                file_path=f"tests/{i}",
                rule=rule,
                passed=passed,
                details=details,
                created_at=created,
            )
            for i, (rule, passed) in enumerate(verdicts)
        ]
    )
    if ending == "finalized":
        pack.finalize(now=created, force=bool(pack.failed_validations), reason="ok")
    elif ending == "expired":
        pack.expire()

    with storage.unit_of_work() as uow:
        uow.conversations.add(talk)
        uow.packs.add(pack)
        uow.commit()
    with storage.unit_of_work() as uow:
        loaded = uow.packs.get(pack.id)
        listed = uow.packs.list(project.id)

    # validations load ordered by time, file and rule; the list keeps no other order
    expected = pack.model_copy(
        update={
            "validations": sorted(
                pack.validations, key=lambda v: (v.created_at, v.file_path, v.rule)
            )
        }
    )
    assert loaded == expected
    assert [p.id for p in listed] == [pack.id]
    assert listed[0].status is pack.status


@given(
    query=texts,
    card=json_objects,
    summary=json_objects,
    artifacts=st.dictionaries(names, texts, max_size=3),
    ending=st.sampled_from(list(d.RunStatus)),
    created=moments,
    with_pack=st.booleans(),
)
def test_run_round_trip(
    storage: SqlStorage,
    query: str,
    card: dict[str, Any],
    summary: dict[str, Any],
    artifacts: dict[str, str],
    ending: d.RunStatus,
    created: datetime,
    with_pack: bool,
) -> None:
    """Runs in every status, with their pack link, summary and artifacts, come
    back unchanged."""
    project = fresh_project(storage)
    pack = d.RunPack(project_id=project.id, mode=d.PackMode.JSON_IR)
    run = d.Run(
        project_id=project.id,
        env_id=project.environments[0].id,
        runpack_id=pack.id if with_pack else None,
        user_query=query,
        card=card,
        created_at=created,
    )
    if ending is not d.RunStatus.QUEUED:
        if ending is not d.RunStatus.FAILED or with_pack:
            run.start()
        if ending.finished:
            run.finish(
                passed=ending is d.RunStatus.PASSED, now=created, summary=summary
            )
    for path, content in sorted(artifacts.items()):
        run.add_artifact(path, content, now=created)

    with storage.unit_of_work() as uow:
        if with_pack:
            uow.packs.add(pack)
        uow.runs.add(run)
        uow.commit()
    with storage.unit_of_work() as uow:
        loaded = uow.runs.get(run.id)
        for_pack = uow.runs.list_for_pack(pack.id)

    assert loaded == run
    assert loaded.status is ending
    assert [r.id for r in for_pack] == ([run.id] if with_pack else [])


@given(
    kind=names,
    rules=json_objects,
    repo=st.from_regex(r"[a-z0-9]{1,8}/[a-z0-9._-]{1,8}", fullmatch=True),
    snippet=texts,
    method=methods,
    status=st.sampled_from(list(d.DiscoveryStatus)),
    created=moments,
)
def test_policy_integration_discovery_round_trip(
    storage: SqlStorage,
    kind: str,
    rules: dict[str, Any],
    repo: str,
    snippet: str,
    method: d.HttpMethod,
    status: d.DiscoveryStatus,
    created: datetime,
) -> None:
    """Policies, GitHub integrations and discovered endpoints come back unchanged."""
    project = fresh_project(storage)
    now = created
    policy = d.Policy(project_id=project.id, type=kind, rules=rules, created_at=now)
    hook = d.GitHubIntegration(
        project_id=project.id, installation_id="1", repo=repo, created_at=now
    )
    found = d.EndpointDiscovery(
        project_id=project.id,
        code_snippet=snippet,
        detected_path="/x",
        detected_method=method,
        status=status,
        created_at=now,
    )

    with storage.unit_of_work() as uow:
        uow.policies.add(policy)
        uow.integrations.add(hook)
        uow.discoveries.add(found)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.policies.list(project.id) == [policy]
        assert uow.integrations.list(project.id) == [hook]
        assert uow.discoveries.list(project.id) == [found]
