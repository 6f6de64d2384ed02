"""LLMGenerator against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from llm_samples import (
    ALLOWED_OPS,
    BASH_SCRIPT,
    ENDPOINTS_CONTEXT,
    REQUEST,
    ROLE_CONTEXTS,
    TEST_KEY,
    card_text,
    jsonir_document,
    pets_api,
)

from chapi.errors import LLMError
from chapi.generation.card import Card, card_schema
from chapi.generation.llm import GenerationResult, LLMConfig, LLMGenerator
from chapi.generation.prompts import PROMPT_VERSION
from chapi.jsonir import dumps

MakeGenerator = Callable[..., LLMGenerator]


def _generate(generator: LLMGenerator, **overrides: Any) -> GenerationResult:
    arguments: dict[str, Any] = {
        "api": pets_api(),
        "endpoints_context": ENDPOINTS_CONTEXT,
        "role_contexts": ROLE_CONTEXTS,
        "allowed_ops": ALLOWED_OPS,
        "mode": "json-ir",
        "env": "staging",
        "notes": "pets are called animals in the UI",
    } | overrides
    return generator.generate(REQUEST, **arguments)


def _last_user_message(server: FakeOpenAIServer) -> str:
    content: str = server.received[-1].body["messages"][-1]["content"]
    return content


def test_good_card_first_try(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """A valid first answer is returned as a card after one request carrying every input."""
    llm_server.queue(card_text())
    generator = make_generator()

    result = _generate(generator)

    assert result.attempts == 1
    assert result.card.files[0].path == "smoke/pets.json"
    assert result.card.files[0].content == dumps(jsonir_document())
    assert len(llm_server.received) == 1
    body = llm_server.received[0].body
    prompt = "\n".join(m["content"] for m in body["messages"])
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert REQUEST in prompt
    assert ENDPOINTS_CONTEXT in prompt
    assert "- GET" in prompt
    assert "staging" in prompt
    assert "pets are called animals in the UI" in prompt
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "chapi_card", "schema": card_schema(), "strict": False},
    }
    assert result.messages == body["messages"]
    assert result.response_format == "json_schema"
    assert result.prompt_version == PROMPT_VERSION
    assert result.response_model == "fake-model-served"


def test_usage_is_recorded_over_attempts(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """Token usage is summed over every answer, the rejected ones included."""
    llm_server.queue(
        Reply(content="not json", prompt_tokens=300, completion_tokens=5),
        Reply(content=card_text(), prompt_tokens=320, completion_tokens=90),
    )

    result = _generate(make_generator())

    assert result.usage.prompt_tokens == 620
    assert result.usage.completion_tokens == 95
    assert result.usage.total_tokens == 715


def test_invalid_json_is_repaired(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """Invalid JSON gets a repair message naming the JSON error, then the good answer wins."""
    llm_server.queue('{"plan": {"summary": "x"', card_text())

    result = _generate(make_generator())

    assert result.attempts == 2
    assert len(llm_server.received) == 2
    messages = llm_server.received[1].body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == '{"plan": {"summary": "x"'
    assert "not valid JSON" in messages[3]["content"]
    assert result.problems and "not valid JSON" in result.problems[0][0]


def test_code_fences_are_stripped(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """An answer wrapped in prose and a json code fence is accepted on the first try."""
    llm_server.queue("Here is the card:\n```json\n" + card_text() + "\n```\nEnjoy.")

    result = _generate(make_generator())

    assert result.attempts == 1
    assert result.card.plan.summary == "Smoke test listing pets."


def test_wrong_schema_past_the_bound_raises(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """A card missing its plan, answered every time, ends in LLMError after max_retries + 1 tries."""
    wrong = json.dumps({"files": [], "actions": []})
    llm_server.respond_with(lambda body: Reply(content=wrong))
    generator = make_generator(max_retries=2)

    with pytest.raises(LLMError) as caught:
        _generate(generator)

    assert len(llm_server.received) == 3
    assert "3 times" in str(caught.value)
    assert "card /plan: Field required" in str(caught.value)
    assert "card /plan: Field required" in _last_user_message(llm_server)


def test_broken_jsonir_file_is_repaired(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """A json-ir file with an absolute URL path is sent back with the schema error, then fixed."""
    llm_server.queue(
        card_text(document=jsonir_document(path="https://example.com/pets")),
        card_text(),
    )

    result = _generate(make_generator())

    assert result.attempts == 2
    repair = _last_user_message(llm_server)
    assert "file 0 'smoke/pets.json': json-ir /steps/0/request/path" in repair
    assert result.card.files[0].content == dumps(jsonir_document())


def test_disallowed_operation_is_repaired(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """A step using a method outside the allowed operations is named in the repair message."""
    llm_server.queue(card_text(document=jsonir_document(method="DELETE")), card_text())

    result = _generate(make_generator())

    assert result.attempts == 2
    assert "DELETE /pets is not among the allowed operations" in _last_user_message(
        llm_server
    )


def test_bash_file_rules_are_repaired(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """A bash-curl script with an absolute URL and a .json path is repaired in a bash pack."""
    bad = BASH_SCRIPT.replace("${BASE_URL}/pets", "http://example.com/pets")
    llm_server.queue(
        card_text(path="smoke/pets.json", mode="bash-curl", content=bad),
        card_text(path="smoke/pets.sh", mode="bash-curl", content=BASH_SCRIPT),
    )

    result = _generate(make_generator(), mode="bash-curl")

    repair = _last_user_message(llm_server)
    assert "absolute URL" in repair
    assert "must end in '.sh'" in repair
    assert result.card.files[0].content == BASH_SCRIPT


def test_timeout_raises_llm_error(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """A server slower than the configured timeout gives LLMError naming the timeout."""
    llm_server.queue(Reply(content=card_text(), delay=3.0))
    generator = make_generator(timeout=0.3)

    with pytest.raises(LLMError, match=r"did not answer within 0\.3 s"):
        _generate(generator)


def test_server_error_raises_llm_error_after_sdk_retry(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """HTTP 500 is retried once by the SDK, then raised as LLMError with the status."""
    llm_server.respond_with(
        lambda body: Reply(status=500, error_message="model crashed")
    )
    generator = make_generator(transport_retries=1)

    with pytest.raises(LLMError, match="answered HTTP 500") as caught:
        _generate(generator)

    assert "model crashed" in str(caught.value)
    assert len(llm_server.received) == 2


def test_connection_refused_raises_llm_error() -> None:
    """A server that is not listening gives LLMError saying it cannot be reached."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = LLMConfig(
        model="m",
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key=TEST_KEY,
        timeout=2,
        transport_retries=0,
    )

    with (
        LLMGenerator(config) as generator,
        pytest.raises(
            LLMError, match=f"cannot reach the LLM server http://127.0.0.1:{port}"
        ) as caught,
    ):
        _generate(generator)

    assert "refused" in str(caught.value).lower()
    assert isinstance(caught.value.__cause__, Exception)


def test_response_format_fallback_is_remembered(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """A 400 about response_format falls back to json_object, then plain, and stays there."""

    def refuse_structured(body: dict[str, Any]) -> Reply:
        if "response_format" in body:
            kind = body["response_format"]["type"]
            return Reply(
                status=400,
                error_message=f"response_format type {kind} is not supported",
                error_param="response_format",
            )
        return Reply(content=card_text())

    llm_server.respond_with(refuse_structured)
    generator = make_generator()

    first = _generate(generator)
    second = _generate(generator)

    kinds = [r.body.get("response_format", {}).get("type") for r in llm_server.received]
    assert kinds == ["json_schema", "json_object", None, None]
    assert first.response_format == second.response_format == "none"
    assert first.attempts == second.attempts == 1
    assert "Output contract" in first.messages[0]["content"]


def test_other_bad_request_is_not_a_fallback(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """A 400 about something else is raised as LLMError without changing the format."""
    llm_server.queue(Reply(status=400, error_message="model fake-model does not exist"))
    generator = make_generator()

    with pytest.raises(LLMError, match="HTTP 400: model fake-model does not exist"):
        _generate(generator)

    assert generator.response_format == "json_schema"


def test_api_key_never_logged(
    llm_server: FakeOpenAIServer,
    make_generator: MakeGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither log records (DEBUG included) nor errors carry the API key, even when the server echoes it."""
    caplog.set_level(logging.DEBUG)
    llm_server.queue(
        "garbage",
        card_text(),
        Reply(status=401, error_message=f"Incorrect API key provided: {TEST_KEY}"),
    )
    generator = make_generator()

    _generate(generator)
    with pytest.raises(LLMError) as caught:
        _generate(generator)

    assert caplog.records
    assert any(r.name == "chapi.generation.llm" for r in caplog.records)
    assert all(TEST_KEY not in r.getMessage() for r in caplog.records)
    assert TEST_KEY not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "HTTP 401" in str(caught.value)
    assert TEST_KEY not in repr(generator.config)
    assert llm_server.received[0].headers["authorization"] == f"Bearer {TEST_KEY}"


def test_prompts_not_logged_at_info(
    llm_server: FakeOpenAIServer,
    make_generator: MakeGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """INFO and DEBUG lines of the generator hold neither the request nor the endpoints context."""
    caplog.set_level(logging.DEBUG, logger="chapi.generation.llm")
    llm_server.queue(card_text())

    _generate(make_generator())

    lines = [r.getMessage() for r in caplog.records if r.name == "chapi.generation.llm"]
    assert any("LLM card generated" in line for line in lines)
    assert all(REQUEST not in line and "GET /pets |" not in line for line in lines)


def test_fingerprint_matches_prompts_and_model(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """The result's fingerprint equals the one computable before the call, and tracks the model."""
    llm_server.queue(card_text())
    generator = make_generator()
    other = make_generator(model="other-model")
    messages = generator.build_messages(
        REQUEST,
        api=pets_api(),
        endpoints_context=ENDPOINTS_CONTEXT,
        role_contexts=ROLE_CONTEXTS,
        allowed_ops=ALLOWED_OPS,
        mode="json-ir",
        env="staging",
        notes="pets are called animals in the UI",
    )

    result = _generate(generator)

    assert result.prompt_fingerprint == generator.prompt_fingerprint(messages)
    assert result.prompt_fingerprint != other.prompt_fingerprint(messages)
    assert result.prompt_fingerprint.startswith("sha256:")


def test_truncated_answer_is_named_in_repair(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """An answer cut at the token limit is sent back saying so, with max_tokens forwarded."""
    llm_server.queue(
        Reply(content=card_text()[:40], finish_reason="length"), card_text()
    )

    result = _generate(make_generator(max_tokens=50))

    assert result.problems[0][0] == "the answer was cut off at the token limit"
    assert "cut off at the token limit" in _last_user_message(llm_server)
    assert llm_server.received[0].body["max_tokens"] == 50


def test_temperature_none_is_not_sent(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """With temperature None the request leaves the field out for the server's default."""
    llm_server.queue(card_text())

    _generate(make_generator(temperature=None))

    assert "temperature" not in llm_server.received[0].body


def test_guardrail_check_hook_drives_repair(
    llm_server: FakeOpenAIServer, make_generator: MakeGenerator
) -> None:
    """Findings of the real guardrail rules, passed as ``check``, are sent back and repaired."""
    from chapi.rules import PackFile, RuleContext, validate_pack

    def guardrails(card: Card) -> list[str]:
        files = [PackFile(f.path, f.content, role=f.role) for f in card.files]
        report = validate_pack(
            files, RuleContext(mode="bash-curl", allowed_ops=("GET",))
        )
        return [f"{f.rule}: {f.message}" for f in report.errors]

    dangerous = BASH_SCRIPT.replace('echo "1..1"', 'eval "echo 1..1"')
    llm_server.queue(
        card_text(path="smoke/pets.sh", mode="bash-curl", content=dangerous),
        card_text(path="smoke/pets.sh", mode="bash-curl", content=BASH_SCRIPT),
    )

    result = _generate(make_generator(), mode="bash-curl", check=guardrails)

    assert result.attempts == 2
    assert "NoDangerousShell: eval runs a string as code" in _last_user_message(
        llm_server
    )
    assert result.card.files[0].content == BASH_SCRIPT
