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
