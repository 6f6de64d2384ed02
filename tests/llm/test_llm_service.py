"""Packs generated through the facade by the LLM: usage, provenance, cache, failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from llm_samples import TEST_KEY, card_text

from chapi import Chapi
from chapi.domain import CardType, MessageRole, PackStatus
from chapi.errors import LLMError
from chapi.generation.llm import LLMConfig
from chapi.generation.prompts import PROMPT_VERSION
from chapi.security import FernetKeyProvider, generate_key

PETSTORE = (
    Path(__file__).parents[1]
    / "data"
    / "oas-examples"
    / "3.0"
    / "petstore-expanded.json"
)


@pytest.fixture
def chapi(llm_server: FakeOpenAIServer, tmp_path: Path) -> Iterator[Chapi]:
    """A facade on SQLite whose LLM is the fake server, reached by the real SDK."""
    config = LLMConfig(
        model="fake-model",
        base_url=llm_server.base_url,
        api_key=TEST_KEY,
        timeout=5.0,
        transport_retries=0,
    )
    facade = Chapi(
        f"sqlite:///{tmp_path / 'chapi.db'}",
        key_provider=FernetKeyProvider(generate_key()),
        llm=config,
    )
    project = facade.projects.create("pets")
    facade.specs.import_spec(project.id, PETSTORE)
    with facade:
        yield facade


def test_chat_records_usage_and_prompt_version_then_hits_the_cache(
    chapi: Chapi, llm_server: FakeOpenAIServer
) -> None:
    """Token usage lands on the message; asking again is served without the model."""
    # Arrange
    llm_server.queue(Reply(card_text(), prompt_tokens=321, completion_tokens=45))
    talk = chapi.chat.start("pets", "pet smoke")
    again_talk = chapi.chat.start("pets", "pet smoke, again")

    # Act
    reply = chapi.chat.ask(talk.id, "smoke tests for listing pets")
    again = chapi.chat.ask(again_talk.id, "smoke tests for listing pets")

    # Assert
    assert len(llm_server.received) == 1
    payload = reply.message.card_payload or {}
    assert payload["generator"] == "llm:fake-model"
    assert payload["usage"]["prompt_tokens"] == 321
    assert payload["usage"]["completion_tokens"] == 45
    assert payload["attempts"] == 1
    assert reply.card_type is CardType.PLAN
    assert reply.pack.status is PackStatus.FINALIZED
    assert reply.pack.generator_version is not None
    assert reply.pack.generator_version.endswith(PROMPT_VERSION)
    assert [f.path for f in reply.pack.files] == ["smoke/pets.json"]
    assert again.cached and again.pack.id == reply.pack.id
    assert "usage" not in (again.message.card_payload or {})


def test_repaired_answer_sums_usage_over_attempts(
    chapi: Chapi, llm_server: FakeOpenAIServer
) -> None:
    """An invalid first answer is repaired; the message counts both attempts' tokens."""
    # Arrange
    llm_server.queue(
        Reply("{not json", prompt_tokens=100, completion_tokens=5),
        Reply(card_text(), prompt_tokens=150, completion_tokens=40),
    )
    talk = chapi.chat.start("pets", "pet smoke")

    # Act
    reply = chapi.chat.ask(talk.id, "smoke tests for listing pets")

    # Assert
    payload = reply.message.card_payload or {}
    assert payload["attempts"] == 2
    assert payload["usage"]["prompt_tokens"] == 250
    assert payload["usage"]["completion_tokens"] == 45
    second_prompt = llm_server.received[1].body["messages"][-1]["content"]
    assert "JSON" in second_prompt


def test_unusable_model_is_a_clear_error_kept_in_the_conversation(
    chapi: Chapi, llm_server: FakeOpenAIServer
) -> None:
    """A model that keeps answering the wrong shape raises LLMError; nothing is stored."""
    # Arrange
    llm_server.respond_with(lambda body: Reply('{"plan": 1}'))
    talk = chapi.chat.start("pets", "pet smoke")

    # Act
    with pytest.raises(LLMError):
        chapi.chat.ask(talk.id, "smoke tests for listing pets")

    # Assert
    messages = chapi.chat.messages(talk.id)
    assert [m.role for m in messages] == [MessageRole.USER, MessageRole.ASSISTANT]
    assert messages[1].content.startswith("No pack was generated")
    assert chapi.packs.list("pets") == []
    assert 1 < len(llm_server.received) <= 5


def test_role_contexts_name_each_roles_operations_in_prompt_and_provenance(
    chapi: Chapi, llm_server: FakeOpenAIServer
) -> None:
    """Each role's context lists the selected operations it concerns, stored and sent."""
    # Arrange
    llm_server.queue(card_text())

    # Act
    pack = chapi.packs.generate("pets", "smoke and crud tests for /pets")

    # Assert
    inputs = chapi.packs.get(pack.id).inputs
    assert inputs is not None
    contexts = inputs.role_contexts_json
    assert set(contexts) == {"SMOKE", "CRUD"}
    smoke = contexts["SMOKE"].split("Operations:\n", 1)[1].splitlines()
    crud = contexts["CRUD"].split("Operations:\n", 1)[1].splitlines()
    assert smoke == ["GET /pets", "GET /pets/{id}"]
    assert set(crud) == {
        "GET /pets",
        "POST /pets",
        "GET /pets/{id}",
        "DELETE /pets/{id}",
    }
    prompt = llm_server.received[0].body["messages"][1]["content"]
    assert "### CRUD\n\n" + contexts["CRUD"] in prompt
    assert "### SMOKE\n\n" + contexts["SMOKE"] in prompt


def _clear_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OPENAI_MODEL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_API_VERSION",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_DEPLOYMENT",
        "CHAPI_LLM_TIMEOUT",
        "CHAPI_LLM_MAX_RETRIES",
    ):
        monkeypatch.delenv(name, raising=False)


def _facade_from_env(tmp_path: Path) -> Chapi:
    facade = Chapi(
        f"sqlite:///{tmp_path / 'env.db'}",
        key_provider=FernetKeyProvider(generate_key()),
    )
    project = facade.projects.create("pets")
    facade.specs.import_spec(project.id, PETSTORE)
    return facade


def test_openai_variables_drive_pack_generation(
    llm_server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With OPENAI_* set, the default facade asks that server, with that model and key."""
    # Arrange
    _clear_llm_env(monkeypatch)
    monkeypatch.setenv("OPENAI_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("CHAPI_LLM_TIMEOUT", "7")
    llm_server.queue(card_text())

    # Act
    with _facade_from_env(tmp_path) as facade:
        pack = facade.packs.generate("pets", "smoke tests for listing pets")
        stored = facade.packs.get(pack.id)

    # Assert
    assert facade.llm is not None and facade.llm.timeout == 7.0
    received = llm_server.received[0]
    assert received.path == "/v1/chat/completions"
    assert received.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert received.body["model"] == "env-model"
    assert stored.inputs is not None
    assert (stored.inputs.selector_output_json or {})["generator"] == "llm:env-model"
    assert [f.path for f in stored.files] == ["smoke/pets.json"]


def test_max_retries_variable_bounds_the_repair_rounds(
    llm_server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CHAPI_LLM_MAX_RETRIES=1 means two answers at most, then a typed error."""
    # Arrange
    _clear_llm_env(monkeypatch)
    monkeypatch.setenv("OPENAI_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("CHAPI_LLM_MAX_RETRIES", "1")
    llm_server.respond_with(lambda body: Reply("[1, 2]"))

    # Act
    with (
        _facade_from_env(tmp_path) as facade,
        pytest.raises(LLMError, match="answered unusably 2 times"),
    ):
        facade.packs.generate("pets", "smoke tests for listing pets")

    # Assert
    assert len(llm_server.received) == 2
    assert "authorization" in llm_server.received[0].headers  # a placeholder key
    assert TEST_KEY not in llm_server.received[0].headers["authorization"]


def test_azure_variables_drive_pack_generation(
    llm_server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With AZURE_OPENAI_* set, packs come from the deployment path with an api-key header."""
    # Arrange
    _clear_llm_env(monkeypatch)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", llm_server.root)
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT", "cards-deploy")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    llm_server.queue(card_text())

    # Act
    with _facade_from_env(tmp_path) as facade:
        reply = facade.chat.ask(
            facade.chat.start("pets", "azure").id, "smoke tests for listing pets"
        )

    # Assert
    received = llm_server.received[0]
    assert received.path == (
        "/openai/deployments/cards-deploy/chat/completions?api-version=2024-10-21"
    )
    assert received.headers["api-key"] == TEST_KEY
    assert "authorization" not in received.headers
    payload = reply.message.card_payload or {}
    assert payload["generator"] == "llm:cards-deploy"
    assert reply.pack.status is PackStatus.FINALIZED
    assert reply.pack.message_id == reply.message.id


def test_endpoints_context_lists_the_selection_when_the_request_has_only_role_words(
    chapi: Chapi, llm_server: FakeOpenAIServer
) -> None:
    """ "smoke tests" selects every operation, and the prompt lists each one."""
    # Arrange
    llm_server.queue(card_text())

    # Act
    pack = chapi.packs.generate("pets", "smoke tests")

    # Assert
    inputs = chapi.packs.get(pack.id).inputs
    assert inputs is not None
    listed = [line.split(" | ")[0] for line in inputs.endpoints_context.splitlines()]
    assert sorted(listed) == [
        "DELETE /pets/{id}",
        "GET /pets",
        "GET /pets/{id}",
        "POST /pets",
    ]
    prompt = llm_server.received[0].body["messages"][1]["content"]
    assert "## Endpoints\n\n" + inputs.endpoints_context + "\n" in prompt


def test_server_and_sampling_settings_separate_cached_packs(
    llm_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    """Another server or temperature asks anew; the same settings hit the cache.

    Both servers serve a model of the same name and answer the same card; the
    stored provenance names each server without the key.
    """
    # Arrange
    database = f"sqlite:///{tmp_path / 'llm.db'}"
    keys = FernetKeyProvider(generate_key())
    request = "smoke tests for listing pets"

    def facade(server: FakeOpenAIServer, **settings: object) -> Chapi:
        config = LLMConfig.model_validate(
            {
                "model": "fake-model",
                "base_url": server.base_url,
                "api_key": TEST_KEY,
                "timeout": 5.0,
                "transport_retries": 0,
            }
            | settings
        )
        return Chapi(database, key_provider=keys, llm=config)

    with facade(llm_server) as setup:
        setup.specs.import_spec(setup.projects.create("pets").id, PETSTORE)
    with FakeOpenAIServer() as other_server:
        for server in (llm_server, other_server):
            server.respond_with(lambda body: Reply(card_text()))

        # Act
        with facade(llm_server) as chapi:
            first = chapi.packs.generate("pets", request)
        with facade(other_server) as chapi:
            other = chapi.packs.generate("pets", request)
        with facade(llm_server, temperature=0.7) as chapi:
            warmer = chapi.packs.generate("pets", request)
        with facade(llm_server) as chapi:
            again = chapi.packs.generate("pets", request)
            stored = [chapi.packs.get(p.id) for p in (first, other, warmer)]

    # Assert
    assert len({first.id, other.id, warmer.id}) == 3
    assert len({first.inputs_hash, other.inputs_hash, warmer.inputs_hash}) == 3
    assert again.id == first.id and again.inputs_hash == first.inputs_hash
    assert len(llm_server.received) == 2 and len(other_server.received) == 1
    assert [r.body.get("temperature") for r in llm_server.received] == [0.0, 0.7]
    identities = [
        (p.inputs.selector_output_json or {})["llm"] for p in stored if p.inputs
    ]
    assert [i["server"] for i in identities] == [
        llm_server.base_url,
        other_server.base_url,
        llm_server.base_url,
    ]
    assert [i["temperature"] for i in identities] == [0.0, 0.0, 0.7]
    for pack in stored:
        assert pack.inputs is not None
        assert TEST_KEY not in pack.inputs.model_dump_json()
    assert TEST_KEY.encode() not in (tmp_path / "llm.db").read_bytes()
