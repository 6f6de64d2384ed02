"""LLMConfig: environment variables, masking, and the clients it builds."""

from __future__ import annotations

import logging

import openai
import pytest
from fake_openai_server import FakeOpenAIServer
from llm_samples import ENDPOINTS_CONTEXT, REQUEST, card_text

from chapi.errors import ConfigurationError
from chapi.generation.llm import LLMConfig, LLMGenerator

SECRET = "sk-config-secret-1234"


def test_nothing_configured_gives_none() -> None:
    """An environment without any LLM variable yields no configuration."""
    environ: dict[str, str] = {"PATH": "/usr/bin"}

    config = LLMConfig.from_env(environ)

    assert config is None


def test_key_without_model_stays_off(caplog: pytest.LogCaptureFixture) -> None:
    """A stray OPENAI_API_KEY alone does not turn LLM generation on, and says why."""
    caplog.set_level(logging.INFO, logger="chapi.generation.llm")

    config = LLMConfig.from_env({"OPENAI_API_KEY": SECRET})

    assert config is None
    assert "set OPENAI_MODEL" in caplog.text
    assert SECRET not in caplog.text


def test_openai_from_env() -> None:
    """OPENAI_MODEL and OPENAI_API_KEY configure OpenAI itself, with chapi's own tunables."""
    environ = {
        "OPENAI_MODEL": "gpt-test",
        "OPENAI_API_KEY": SECRET,
        "OPENAI_ORG_ID": "org-1",
        "CHAPI_LLM_TIMEOUT": "12.5",
        "CHAPI_LLM_MAX_RETRIES": "4",
    }

    config = LLMConfig.from_env(environ)

    assert config is not None
    assert (config.model, config.base_url, config.organization) == (
        "gpt-test",
        None,
        "org-1",
    )
    assert config.api_key is not None and config.api_key.get_secret_value() == SECRET
    assert (config.timeout, config.max_retries) == (12.5, 4)
    assert not config.is_azure
    assert config.server == "https://api.openai.com"


def test_local_server_needs_no_key() -> None:
    """A base URL alone (Ollama, vLLM, LM Studio) works; the SDK gets a placeholder key."""
    environ = {
        "OPENAI_MODEL": "llama3.1",
        "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
    }

    config = LLMConfig.from_env(environ)
    assert config is not None
    client = config.create_client()

    assert config.api_key is None
    assert client.api_key == "not-needed"
    assert str(client.base_url) == "http://127.0.0.1:11434/v1/"
    assert client.max_retries == 1
    client.close()


def test_model_without_key_or_url_is_an_error() -> None:
    """Naming a model with neither key nor base URL is a configuration error naming both."""
    environ = {"OPENAI_MODEL": "gpt-test"}

    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY nor OPENAI_BASE_URL"):
        LLMConfig.from_env(environ)


def test_bad_number_is_an_error() -> None:
    """A timeout that does not parse is a configuration error naming the variable."""
    environ = {
        "OPENAI_MODEL": "m",
        "OPENAI_API_KEY": SECRET,
        "CHAPI_LLM_TIMEOUT": "soon",
    }

    with pytest.raises(ConfigurationError, match="CHAPI_LLM_TIMEOUT"):
        LLMConfig.from_env(environ)


def test_out_of_range_number_is_an_error() -> None:
    """A negative timeout is refused as a configuration error, not a pydantic error."""
    environ = {"OPENAI_MODEL": "m", "OPENAI_API_KEY": SECRET, "CHAPI_LLM_TIMEOUT": "-1"}

    with pytest.raises(ConfigurationError, match="timeout"):
        LLMConfig.from_env(environ)


def test_azure_from_env() -> None:
    """Azure variables select AzureOpenAI with the deployment as the request model."""
    environ = {
        "AZURE_OPENAI_ENDPOINT": "https://example-resource.openai.azure.com",
        "AZURE_OPENAI_API_KEY": SECRET,
        "OPENAI_API_VERSION": "2024-10-21",
        "AZURE_OPENAI_DEPLOYMENT": "cards-deploy",
    }

    config = LLMConfig.from_env(environ)
    assert config is not None
    client = config.create_client()

    assert config.is_azure
    assert config.request_model == "cards-deploy"
    assert isinstance(client, openai.AzureOpenAI)
    client.close()


def test_azure_without_version_is_an_error() -> None:
    """Azure without OPENAI_API_VERSION is refused with the variable's name."""
    environ = {
        "AZURE_OPENAI_ENDPOINT": "https://example-resource.openai.azure.com",
        "AZURE_OPENAI_API_KEY": SECRET,
        "OPENAI_MODEL": "cards-deploy",
    }

    with pytest.raises(ConfigurationError, match="OPENAI_API_VERSION"):
        LLMConfig.from_env(environ)


def test_key_is_masked() -> None:
    """The API key is in no repr, str or JSON dump; extra headers stay out of repr."""
    config = LLMConfig(model="m", api_key=SECRET)
    with_headers = LLMConfig(model="m", extra_headers={"X-Token": SECRET})

    shown = [repr(config), str(config), config.model_dump_json(), repr(with_headers)]

    assert all(SECRET not in text for text in shown)
    assert "**********" in config.model_dump_json()


def test_azure_client_reaches_deployment_path(llm_server: FakeOpenAIServer) -> None:
    """An Azure configuration built by the generator itself posts to the deployment path with api-key."""
    llm_server.queue(card_text())
    config = LLMConfig(
        model="cards-deploy",
        azure_endpoint=llm_server.root,
        api_version="2024-10-21",
        deployment="cards-deploy",
        api_key=SECRET,
        timeout=5,
        transport_retries=0,
    )

    with LLMGenerator(config) as generator:
        result = generator.generate(
            REQUEST,
            api=None,
            endpoints_context=ENDPOINTS_CONTEXT,
            role_contexts={},
            allowed_ops=[],
            mode="json-ir",
            env="local",
        )

    received = llm_server.received[0]
    assert received.path == (
        "/openai/deployments/cards-deploy/chat/completions?api-version=2024-10-21"
    )
    assert received.headers["api-key"] == SECRET
    assert result.model == "cards-deploy"


def test_cache_identity_names_the_server_without_secrets() -> None:
    """Userinfo, query and fragment leave the server URL; the key and headers stay out."""
    config = LLMConfig(
        model="m",
        base_url="HTTP://user:pw@LocalHost:8000/v1/?key=abc#frag",
        api_key=SECRET,
        extra_headers={"X-Secret": "header-secret"},
        temperature=0.3,
        max_tokens=900,
    )

    identity = config.cache_identity()

    assert identity == {
        "server": "http://localhost:8000/v1",
        "temperature": 0.3,
        "max_tokens": 900,
    }
    for secret in (SECRET, "user", "pw", "key=abc", "frag", "header-secret"):
        assert secret not in str(identity)


def test_cache_identity_on_azure_adds_deployment_and_api_version() -> None:
    """Azure settings that change what answers are part of the identity."""
    config = LLMConfig(
        model="m",
        azure_endpoint="https://res.openai.azure.com/",
        api_version="2024-10-21",
        deployment="cards",
        api_key=SECRET,
    )
    plain = LLMConfig(model="m", api_key=SECRET)

    identity = config.cache_identity()

    assert identity["server"] == "https://res.openai.azure.com"
    assert identity["deployment"] == "cards"
    assert identity["api_version"] == "2024-10-21"
    assert plain.cache_identity()["server"] == "https://api.openai.com/v1"
    assert "deployment" not in plain.cache_identity()
