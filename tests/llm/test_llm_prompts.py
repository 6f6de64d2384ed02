"""The prompt text and the checks applied to an LLM's answer."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llm_samples import (
    BASH_SCRIPT,
    ENDPOINTS_CONTEXT,
    REQUEST,
    card_dict,
    card_text,
    jsonir_document,
    pets_api,
)

from chapi.errors import ValidationError
from chapi.generation.card import card_schema
from chapi.generation.llm import parse_card_answer
from chapi.generation.prompts import (
    MAX_REPAIR_PROBLEMS,
    PROMPT_VERSION,
    build_messages,
    prompt_fingerprint,
    repair_message,
    system_prompt,
)
from chapi.jsonir import dumps, schema


def _messages(**overrides: object) -> list[dict[str, str]]:
    arguments: dict[str, object] = {
        "api": pets_api(),
        "endpoints_context": ENDPOINTS_CONTEXT,
        "role_contexts": {"SMOKE": "GET /pets", "AUTH": "GET /pets/{petId}"},
        "allowed_ops": ["GET", "GET", "HEAD"],
        "mode": "hybrid",
        "env": "prod",
        "notes": None,
    } | overrides
    return [dict(m) for m in build_messages(REQUEST, **arguments)]  # type: ignore[arg-type]


def test_system_prompt_carries_rules_and_contracts() -> None:
    """The system message holds both schemas, the roles, auth cases and bash conventions."""
    text = system_prompt()

    assert json.dumps(schema(), sort_keys=True, separators=(",", ":")) in text
    assert json.dumps(card_schema(), sort_keys=True, separators=(",", ":")) in text
    for word in ("SMOKE", "AUTH", "CRUD", "NEGATIVE", "`valid`", "`invalid`", "`none`"):
        assert word in text
    for word in (
        "set -euo pipefail",
        "${TOKEN}",
        "API_KEY",
        "USERNAME",
        "PASSWORD",
        "1..N",
    ):
        assert word in text


def test_user_prompt_sections() -> None:
    """The user message holds the request, mode, env, deduplicated ops, schemes and contexts."""
    user = _messages(notes="use tag 'demo'")[1]["content"]

    assert REQUEST in user
    assert "- mode: hybrid." in user
    assert "- environment: prod" in user
    assert user.count("- GET\n") == 1 and "- HEAD" in user
    assert "- bearer: bearer" in user
    assert ENDPOINTS_CONTEXT in user
    assert user.index("### AUTH") < user.index("### SMOKE")
    assert "## Notes\n\nuse tag 'demo'" in user


def test_prompts_are_deterministic() -> None:
    """Same inputs give identical messages, whatever the role-context order."""
    first = _messages(role_contexts={"SMOKE": "a", "AUTH": "b"})
    second = _messages(role_contexts={"AUTH": "b", "SMOKE": "a"})

    assert first == second


def test_fingerprint_tracks_model_messages_and_version() -> None:
    """The fingerprint changes with the model or a message and is stable otherwise."""
    messages = build_messages(
        REQUEST,
        api=None,
        endpoints_context=ENDPOINTS_CONTEXT,
        role_contexts={},
        allowed_ops=[],
        mode="json-ir",
        env="local",
        notes=None,
    )
    changed = [messages[0], {"role": "user", "content": messages[1]["content"] + "!"}]

    same = prompt_fingerprint(messages, "m1")

    assert same == prompt_fingerprint(list(messages), "m1")
    assert same != prompt_fingerprint(messages, "m2")
    assert same != prompt_fingerprint(changed, "m1")  # type: ignore[arg-type]
    assert PROMPT_VERSION


@pytest.mark.parametrize(
    ("request_text", "mode", "message"),
    [
        ("tests please", "yaml", "unknown pack mode"),
        ("   ", "json-ir", "request is empty"),
    ],
)
def test_bad_prompt_inputs_are_refused(
    request_text: str, mode: str, message: str
) -> None:
    """An unknown mode or an empty request raises ValidationError."""
    with pytest.raises(ValidationError, match=message):
        build_messages(
            request_text,
            api=None,
            endpoints_context="",
            role_contexts={},
            allowed_ops=[],
            mode=mode,
            env="local",
            notes=None,
        )


def test_repair_message_is_bounded() -> None:
    """A repair message lists at most MAX_REPAIR_PROBLEMS problems and counts the rest."""
    problems = [f"problem {i}" for i in range(MAX_REPAIR_PROBLEMS + 5)]

    message = repair_message(problems)

    assert message["role"] == "user"
    assert f"problem {MAX_REPAIR_PROBLEMS - 1}" in message["content"]
    assert f"problem {MAX_REPAIR_PROBLEMS}\n" not in message["content"]
    assert "... and 5 more" in message["content"]


def _problems(text: str, **options: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        parse_card_answer(text, **({"mode": "json-ir"} | options))  # type: ignore[arg-type]
    return caught.value.problems


def test_hybrid_accepts_both_modes() -> None:
    """A hybrid pack takes a json-ir file and a bash-curl script side by side."""
    card = card_dict()
    card["files"].append(
        {
            "path": "smoke/pets.sh",
            "role": "SMOKE",
            "mode": "bash-curl",
            "content": BASH_SCRIPT,
        }
    )

    parsed = parse_card_answer(json.dumps(card), mode="hybrid", allowed_ops=["get"])

    assert [f.mode for f in parsed.files] == ["json-ir", "bash-curl"]


def test_mode_and_paths_are_checked() -> None:
    """A bash file in a json-ir pack, an absolute path and a '..' path are each named."""
    card = card_dict(path="/etc/pets.json")
    card["files"] += [
        {
            "path": "../up.json",
            "role": "SMOKE",
            "mode": "json-ir",
            "content": card_dict()["files"][0]["content"],
        },
        {
            "path": "run.sh",
            "role": "SMOKE",
            "mode": "bash-curl",
            "content": BASH_SCRIPT,
        },
    ]

    problems = _problems(json.dumps(card))

    assert (
        "file 0 '/etc/pets.json': path must be relative, not '/etc/pets.json'"
        in problems
    )
    assert any(p.startswith("file 1 '../up.json': path") for p in problems)
    assert "file 2 'run.sh': mode 'bash-curl' does not fit a json-ir pack" in problems


def test_duplicate_paths_and_empty_cards_are_refused() -> None:
    """Two files on one path, and a card without files, are problems."""
    card = card_dict()
    card["files"].append(card["files"][0])
    empty = card_dict()
    empty["files"] = []

    assert "file 1 'smoke/pets.json': the path is used by an earlier file" in _problems(
        json.dumps(card)
    )
    assert _problems(json.dumps(empty)) == ["card /files: the card has no files"]


def test_operations_are_checked_against_the_api() -> None:
    """A step naming an operation the API lacks, or the wrong method, is refused."""
    document = jsonir_document()
    document["steps"][0]["operation"] = "GET /owners"
    wrong_method = jsonir_document()
    wrong_method["steps"][0]["operation"] = "POST /pets"

    missing = _problems(card_text(document=document), api=pets_api())
    mismatch = _problems(card_text(document=wrong_method))

    assert any("'GET /owners' is not in the API description" in p for p in missing)
    assert any("does not match method GET" in p for p in mismatch)


def test_allowed_operation_keys() -> None:
    """Allowed operations given as 'METHOD /path' admit exactly those operations."""
    allowed = ["get /pets"]

    parsed = parse_card_answer(card_text(), mode="json-ir", allowed_ops=allowed)
    refused = _problems(
        card_text(document=jsonir_document(method="DELETE")), allowed_ops=allowed
    )

    assert parsed.files
    assert any("DELETE /pets is not among the allowed operations" in p for p in refused)


def test_bash_method_outside_allowed_ops() -> None:
    """A curl -X DELETE in a script is refused when only GET is allowed."""
    script = BASH_SCRIPT.replace("-X GET", "-X DELETE")

    problems = _problems(
        card_text(path="p.sh", mode="bash-curl", content=script),
        mode="bash-curl",
        allowed_ops=["GET"],
    )

    assert problems == [
        "file 0 'p.sh': method DELETE is not among the allowed operations"
    ]


def test_object_content_is_serialized_canonically() -> None:
    """A json-ir content given as an object is accepted and stored in canonical form."""
    card = card_dict()
    card["files"][0]["content"] = jsonir_document()

    parsed = parse_card_answer(json.dumps(card), mode="json-ir")

    assert parsed.files[0].content == dumps(jsonir_document())


def test_non_object_answer_is_refused() -> None:
    """A JSON array answer is named as the wrong type."""
    problems = _problems("[1, 2]")

    assert problems == ["the answer must be a JSON object, not list"]


_PROSE = st.text(
    alphabet=st.characters(blacklist_characters="`{}", blacklist_categories=("Cs",)),
    max_size=80,
)


@settings(max_examples=40, deadline=None)
@given(
    before=_PROSE, after=_PROSE, fence=st.sampled_from(["```json", "```", "```JSON"])
)
def test_fenced_answers_parse_like_bare_ones(
    before: str, after: str, fence: str
) -> None:
    """Prose and a code fence around the card do not change the parsed card."""
    bare = parse_card_answer(card_text(), mode="json-ir")

    wrapped = parse_card_answer(
        f"{before}\n{fence}\n{card_text()}\n```\n{after}", mode="json-ir"
    )

    assert wrapped == bare


def test_trailing_prose_after_bare_json_is_ignored() -> None:
    """A bare card followed by a closing remark parses like the card alone."""
    bare = parse_card_answer(card_text(), mode="json-ir")

    chatty = parse_card_answer(
        card_text() + "\nHope this helps! {smile}", mode="json-ir"
    )

    assert chatty == bare


def test_empty_answer_is_named() -> None:
    """An empty or blank answer is reported as empty, not as a JSON error."""
    problems = _problems("  \n")

    assert problems == ["the answer is empty"]


def test_prompt_commands_fit_the_shell_guardrail() -> None:
    """Every command the prompt allows in bash-curl scripts is allowed by NoDangerousShell."""
    from chapi.generation.prompts import _BASH_COMMANDS
    from chapi.rules.builtin.no_dangerous_shell import ALLOWED_COMMANDS

    allowed = set(ALLOWED_COMMANDS)

    assert set(_BASH_COMMANDS) <= allowed
    assert "chapi-invalid-credential" in system_prompt()
