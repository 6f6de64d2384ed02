"""chat and packs services end to end: cards, diffs, cache, lifecycle, export.

Every test runs on SQLite and on the real PostgreSQL server.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from chapi import Chapi
from chapi.domain import CardType, MessageRole, PackStatus
from chapi.errors import GenerationError, InvalidStateError, ValidationError
from chapi.generation.card import Card, card_schema
from chapi.jsonir import parse
from chapi.security import FernetKeyProvider, generate_key
from chapi.storage import SqlStorage

EXAMPLES = Path(__file__).parents[1] / "data" / "oas-examples" / "3.0"


@pytest.fixture
def chapi(storage: SqlStorage, clock: object) -> Iterator[Chapi]:
    """A facade over the test storage, with the offline planner."""
    yield Chapi(
        storage=storage,
        key_provider=FernetKeyProvider(generate_key()),
        clock=clock,  # type: ignore[arg-type]
        llm=None,
    )


def _project(chapi: Chapi, name: str, document: str) -> str:
    project = chapi.projects.create(name)
    chapi.specs.import_spec(project.id, EXAMPLES / document)
    return str(project.id)


def test_chat_answers_with_a_plan_then_a_diff_card(chapi: Chapi) -> None:
    """The first answer is a plan card; a follow-up gives a new pack and its file diff."""
    # Arrange
    project = _project(chapi, "pets", "petstore.json")
    talk = chapi.chat.start(project, "pet tests")

    # Act
    first = chapi.chat.ask(
        talk.id, "smoke and auth tests for the pet endpoints", mode="json-ir"
    )
    second = chapi.chat.ask(talk.id, "also cover deleting a pet")

    # Assert
    assert first.card_type is CardType.PLAN and first.diff is None
    assert first.pack.message_id == first.message.id
    assert first.pack.conversation_id == talk.id
    assert {f.role for f in first.pack.files} == {"SMOKE", "AUTH"}
    assert second.card_type is CardType.DIFF
    assert second.pack.id != first.pack.id
    assert second.pack.mode.value == "json-ir"  # kept from the previous pack
    assert second.diff is not None
    added = second.diff["added"]
    assert added and all(path.endswith("crud.json") for path in added)
    assert second.diff["removed"] == [] and second.diff["changed"] == []
    assert second.diff["unchanged"] == len(first.pack.files)
    payload = second.message.card_payload or {}
    assert payload["previous_pack_id"] == str(first.pack.id)
    assert payload["pack_id"] == str(second.pack.id)
    stored = chapi.chat.messages(talk.id)
    assert [m.role for m in stored] == [
        MessageRole.USER,
        MessageRole.ASSISTANT,
        MessageRole.USER,
        MessageRole.ASSISTANT,
    ]
    assert [m.card_type for m in stored[1::2]] == [CardType.PLAN, CardType.DIFF]
    assert stored[3].card_payload == payload


def test_diff_card_lists_changed_files_with_their_text_diff(chapi: Chapi) -> None:
    """A follow-up that changes a file shows it as changed, with a unified diff."""
    # Arrange
    project = _project(chapi, "pets", "petstore.json")
    talk = chapi.chat.start(project, "pet tests")
    chapi.chat.ask(talk.id, "smoke tests for GET /pet/findByStatus")

    # Act
    reply = chapi.chat.ask(talk.id, "smoke tests for GET /pet/findByTags")

    # Assert
    assert reply.diff is not None
    assert reply.diff["changed"] == ["tests/pet/smoke.json"]
    text = reply.diff["diffs"]["tests/pet/smoke.json"]
    assert "+" in text and "findByTags" in text


def test_stored_card_fits_its_schema_and_its_hash(chapi: Chapi) -> None:
    """The stored card validates against the card schema and hashes to card_hash."""
    # Arrange
    project = _project(chapi, "pets", "petstore.json")

    # Act
    pack = chapi.packs.generate(project, "smoke tests for the pet endpoints")
    card = chapi.packs.card(pack.id)

    # Assert
    assert card is not None
    Draft202012Validator(card_schema()).validate(card.model_dump(mode="json"))
    assert pack.card_hash == card.digest()
    assert [f.path for f in card.files] == [f.path for f in pack.files]
    for item in card.files:
        parse(item.content)


def test_same_request_is_a_cache_hit_returning_the_finalized_pack(
    chapi: Chapi,
) -> None:
    """Asking again with identical inputs returns the stored finalized pack."""
    # Arrange
    project = _project(chapi, "pets", "petstore-expanded.json")
    first = chapi.packs.generate(project, "CRUD tests for /pets", mode="bash-curl")

    # Act
    again = chapi.packs.generate(project, "CRUD tests for /pets", mode="bash-curl")
    other = chapi.packs.generate(project, "CRUD tests for /pets", mode="json-ir")

    # Assert
    assert first.status is PackStatus.FINALIZED and first.finalized_at is not None
    assert again.id == first.id
    assert other.id != first.id
    assert len(chapi.packs.list(project)) == 2
    files = chapi.packs.files(first.id)
    assert [f.path for f in files] == ["tests/pets/crud.sh"]
    assert files[0].content.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in files[0].content


def test_provenance_is_stored_with_the_pack(chapi: Chapi) -> None:
    """The pack's inputs hold roles, contexts, allowed methods, env and selector output."""
    # Arrange
    project = _project(chapi, "pets", "petstore.json")

    # Act
    pack = chapi.packs.generate(
        project, "smoke and auth tests for pets", env="staging", notes="be gentle"
    )
    stored = chapi.packs.get(pack.id)

    # Assert
    inputs = stored.inputs
    assert inputs is not None
    assert inputs.file_roles_json == {f.path: f.role for f in stored.files}
    assert set(inputs.role_contexts_json) == {"SMOKE", "AUTH"}
    assert "GET /pet/{petId}" in inputs.endpoints_context
    assert "DELETE" in inputs.allowed_ops and inputs.env == "staging"
    assert inputs.notes == "be gentle"
    selector = inputs.selector_output_json or {}
    assert selector["generator"] == "offline-planner"
    assert "GET /pet/{petId}" in selector["operations"]
    assert stored.generator_version == "chapi-gen/1.1.0"
    assert (stored.inputs_hash or "").startswith("sha256:")


def test_pack_moves_from_draft_to_finalized_to_expired(chapi: Chapi) -> None:
    """A draft is finalized (again is a no-op), expires once, and then is no cache hit."""
    # Arrange
    project = _project(chapi, "pets", "petstore-expanded.json")
    draft = chapi.packs.generate(project, "smoke tests", finalize=False)

    # Act
    assert draft.status is PackStatus.DRAFT
    same_draft_again = chapi.packs.generate(project, "smoke tests", finalize=False)
    final = chapi.packs.finalize(draft.id)
    assert chapi.packs.finalize(draft.id).finalized_at == final.finalized_at
    hit = chapi.packs.generate(project, "smoke tests")
    expired = chapi.packs.expire(final.id)
    with pytest.raises(InvalidStateError):
        chapi.packs.expire(final.id)
    with pytest.raises(InvalidStateError):
        chapi.packs.finalize(final.id)
    fresh = chapi.packs.generate(project, "smoke tests")

    # Assert
    assert same_draft_again.id != draft.id  # a draft is never served from the cache
    assert final.status is PackStatus.FINALIZED and final.finalized_at is not None
    assert hit.id == draft.id
    assert expired.status is PackStatus.EXPIRED
    assert chapi.packs.get(draft.id).status is PackStatus.EXPIRED
    assert fresh.id not in {draft.id, same_draft_again.id}
    assert fresh.status is PackStatus.FINALIZED
    assert fresh.inputs_hash == draft.inputs_hash
    assert fresh.card_hash == draft.card_hash  # rebuilt byte for byte
    assert [(f.path, f.content) for f in chapi.packs.files(fresh.id)] == [
        (f.path, f.content) for f in chapi.packs.files(draft.id)
    ]


def test_export_writes_a_folder_and_a_zip(chapi: Chapi, tmp_path: Path) -> None:
    """Export gives the same files as a folder (scripts executable) and as a zip."""
    # Arrange
    project = _project(chapi, "pets", "petstore.json")
    pack = chapi.packs.generate(project, "smoke, auth and crud tests", mode="hybrid")
    files = {f.path: f.content for f in chapi.packs.files(pack.id)}

    # Act
    folder = chapi.packs.export(pack.id, tmp_path / "out")
    archive = chapi.packs.export(pack.id, tmp_path / "out.zip")

    # Assert
    written = {
        str(p.relative_to(folder)): p.read_text("utf-8")
        for p in folder.rglob("*")
        if p.is_file()
    }
    assert written == files
    assert any(p.endswith(".sh") for p in files)
    for path in files:
        if path.endswith(".sh"):
            assert (folder / path).stat().st_mode & 0o111
    with zipfile.ZipFile(archive) as opened:
        assert {n: opened.read(n).decode() for n in opened.namelist()} == files
    with pytest.raises(Exception, match="exists"):
        chapi.packs.export(pack.id, tmp_path / "out.zip")


def test_chat_failure_is_stored_and_raised(chapi: Chapi) -> None:
    """A request with nothing to test raises, and the conversation says so."""
    # Arrange
    project = _project(chapi, "pets", "petstore-expanded.json")
    talk = chapi.chat.start(project, "pets")

    # Act
    with pytest.raises(GenerationError):
        chapi.chat.ask(talk.id, "smoke tests for /nowhere")

    # Assert
    messages = chapi.chat.messages(talk.id)
    assert [m.role for m in messages] == [MessageRole.USER, MessageRole.ASSISTANT]
    assert messages[1].content.startswith("No pack was generated")
    assert messages[1].card_type is CardType.NONE


def test_bad_requests_are_typed_errors(chapi: Chapi) -> None:
    """Empty requests, unknown modes and empty titles are refused before anything is stored."""
    # Arrange
    project = _project(chapi, "pets", "petstore-expanded.json")

    # Act / Assert
    with pytest.raises(ValidationError):
        chapi.packs.generate(project, "   ")
    with pytest.raises(ValidationError):
        chapi.packs.generate(project, "smoke", mode="yaml")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        chapi.chat.start(project, " ")
    assert chapi.packs.list(project) == []


def test_card_of_a_created_pack_describes_its_files(chapi: Chapi) -> None:
    """A hand-made pack gets a card naming its files, so chat and runs can show it."""
    # Arrange
    project = _project(chapi, "pets", "petstore-expanded.json")
    document = {
        "jsonir": 1,
        "name": "list",
        "steps": [{"name": "list", "request": {"method": "GET", "path": "/pets"}}],
    }

    # Act
    pack = chapi.packs.create(
        project, {"tests/pets/smoke.json": json.dumps(document)}, mode="json-ir"
    )
    card = chapi.packs.card(pack.id)

    # Assert
    assert isinstance(card, Card)
    assert [(f.path, f.role, f.mode) for f in card.files] == [
        ("tests/pets/smoke.json", "SMOKE", "json-ir")
    ]
    assert pack.status is PackStatus.DRAFT
