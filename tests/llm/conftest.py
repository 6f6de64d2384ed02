"""Fixtures for the LLM generator tests: a fake server on loopback and the real SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import openai
import pytest
from fake_openai_server import FakeOpenAIServer
from llm_samples import TEST_KEY

from chapi.generation.llm import LLMConfig, LLMGenerator


@pytest.fixture
def llm_server() -> Iterator[FakeOpenAIServer]:
    """A running fake OpenAI-compatible server on 127.0.0.1."""
    with FakeOpenAIServer() as server:
        assert urlsplit(server.base_url).hostname == "127.0.0.1"
        yield server


@pytest.fixture
def make_generator(
    llm_server: FakeOpenAIServer,
) -> Iterator[Callable[..., LLMGenerator]]:
    """Build generators over the real ``openai`` client pointed at the fake server."""
    clients: list[openai.OpenAI] = []

    def make(**settings: Any) -> LLMGenerator:
        defaults = {
            "model": "fake-model",
            "base_url": llm_server.base_url,
            "api_key": TEST_KEY,
            "timeout": 5.0,
            "transport_retries": 0,
        }
        config = LLMConfig.model_validate(defaults | settings)
        assert urlsplit(config.base_url or "").hostname == "127.0.0.1"
        client = openai.OpenAI(base_url=llm_server.base_url, api_key=TEST_KEY)
        clients.append(client)
        return LLMGenerator(config, client=client)

    yield make
    for client in clients:
        client.close()
