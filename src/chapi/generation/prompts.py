"""The prompts the LLM generator sends, versioned with :data:`PROMPT_VERSION`.

A generation request becomes two chat messages:

- the **system** message is the same for every request of one prompt version:
  what chapi is, the meaning of the file roles and the three auth cases, the
  json-ir version 1 rules (with the shipped JSON Schema), the bash-curl
  conventions and the output contract (the card JSON Schema);
- the **user** message holds everything specific to the request: the words
  of the request, the pack mode, the environment, the allowed operations, the
  API's title and security schemes, the compact endpoints context, the
  per-role contexts and the notes.

The text is built only from its inputs (no clock, no randomness, sorted
where the input has no meaningful order), so the same inputs give the same
messages byte for byte and :func:`prompt_fingerprint` can be folded into a
pack's inputs hash. Change :data:`PROMPT_VERSION` whenever the wording
changes, so cached packs made with the old wording are not reused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Literal

from typing_extensions import TypedDict

from ..errors import ValidationError
from ..jsonir import schema as jsonir_schema
from ..runner.credentials import INVALID_VALUE
from ..specs.model import ApiModel
from .card import card_schema

__all__ = [
    "MODES",
    "PROMPT_VERSION",
    "ChatMessage",
    "build_messages",
    "prompt_fingerprint",
    "repair_message",
    "system_prompt",
    "user_prompt",
]

PROMPT_VERSION = "llm-card/1"
"""Version of the prompt wording; part of every prompt fingerprint."""

MODES: tuple[str, ...] = ("json-ir", "bash-curl", "hybrid")
"""Pack modes a prompt can ask for."""

MAX_REPAIR_PROBLEMS = 40
"""At most this many problems are listed in one repair message."""


class ChatMessage(TypedDict):
    """One chat message as sent to an OpenAI-compatible server."""

    role: Literal["system", "user", "assistant"]
    content: str


def _compact(document: object) -> str:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


_ROLES = """\
## File roles

Every file has one role (upper case). The usual roles:

- SMOKE: one quick request per selected operation with valid credentials,
  expecting a documented success status. Prefer read-only operations.
- AUTH: for every secured operation, three auth cases. `valid`: the
  environment's credentials, expect success. `invalid`: wrong credentials,
  expect 401 or 403. `none`: no credentials at all, expect 401 or 403.
  Operations that need no credentials get only the `valid` case.
- CRUD: a create -> read -> update -> delete chain on one resource; capture
  the created id from the create response and reuse it in later steps; read
  the item back after each update (PUT and PATCH where both exist) and
  compare the changed fields.
- NEGATIVE: invalid input in the body and in query, path and header
  parameters (missing required values, wrong types, values below a minimum
  or above a maximum, values outside an enum, unknown fields where
  additionalProperties is false, unknown ids), expecting a 4XX status.

A custom role is allowed when the request asks for one; name it in upper
case (letters, digits, underscore).
"""

_JSONIR = """\
## json-ir version 1 (files with mode "json-ir")

A json-ir file is one JSON document, stored as a string in the file's
`content`. Rules:

- top level: `"jsonir": 1`, `"name"`, optional `"role"` and
  `"description"`, and `"steps"` (at least one), run in order;
- a step: `name`, `operation` ("METHOD /path/{param}" exactly as in the
  endpoints list), `request`, `auth` (`valid`, `invalid` or `none`; the
  runner applies the environment's credentials, so never write credentials,
  tokens or Authorization headers into a file), `expect`, `capture`;
- `request`: `method`, `path` relative to the base URL, starting with one
  `/`, never an absolute URL; `query`, `headers`, and at most one body:
  `json`, `form`, or `body` with `content_type`;
- `expect`: `status` as a list of codes or ranges such as `"2XX"`, `headers`,
  `json` assertions (`pointer` as a JSON Pointer, with `equals`, `exists` or
  `type`), `schema: true` to check the documented response schema, `max_ms`;
- `capture`: a name bound to a JSON Pointer into the response body; later
  steps use it as `{{name}}` in paths, query values, headers or bodies.

The JSON Schema every json-ir file must satisfy:

"""

_BASH_COMMANDS: tuple[str, ...] = (
    "curl", "jq", "printf", "echo", "test", "[", "grep", "cat", "mktemp", "wc",
    "sed", "tr", "head", "tail", "cut", "sort", "date", "sleep", "true", "false",
    "exit", "return", "set", "local", "read", "shift", "export", "declare", "seq",
)  # fmt: skip
"""The commands a bash-curl script is told it may run."""

_BASH = (
    """\
## bash-curl conventions (files with mode "bash-curl")

- First line `#!/usr/bin/env bash`, then `set -euo pipefail`.
- The base URL only from the environment: `BASE_URL="${BASE_URL:?set BASE_URL}"`,
  every request to `"${BASE_URL}/path"`. Never an absolute URL, host name or
  IP address (no `http://`, `https://`, `localhost` anywhere in the script).
- Credentials only from the environment variables `TOKEN` (bearer token),
  `API_KEY` (API key) and `USERNAME` / `PASSWORD` (basic auth), for example
  `-H "Authorization: Bearer ${TOKEN}"`. Never a literal secret. The wrong
  credential of an `invalid` auth case is the literal `"""
    + INVALID_VALUE
    + """`.
- Quote every string that comes from the API description.
- Name the method with `-X METHOD` on every curl call.
- Run only these commands and your own functions: """
    + ", ".join(f"`{name}`" for name in _BASH_COMMANDS)
    + """.
  No `eval`, `source`, `exec`, `sudo`, `chmod`, pipes into a shell, or
  writes outside files made with `mktemp`; `rm` only those files, and `trap`
  only to call one of your functions.
- Output TAP: print the plan `1..N` first, then `ok K - description` or
  `not ok K - description` for each check. Read the status with
  `curl -sS -o "$body" -w '%{http_code}'` (with `body="$(mktemp)"`) so a
  failed check does not stop the script, and `exit 1` at the end when any
  check failed.
- File paths end in `.sh`.
"""
)

_CONTRACT = """\
## Output contract

Answer with exactly one JSON object and nothing else: no prose, no code
fences. It must satisfy this JSON Schema (the card):

"""

_CARD_RULES = """\

Card rules:

- `plan.summary` says in one or two sentences what the files test;
  `plan.roles` lists the roles used, `plan.endpoints` the operations covered
  ("METHOD /path"), `plan.files` one entry per file.
- `files[].path` is relative (no leading `/`, no `..`), made of letters,
  digits, `.`, `_`, `-` and `/`; json-ir files end in `.json`, bash-curl
  files in `.sh`; paths are unique.
- `files[].content` is the whole file as a string (a json-ir document is
  serialized JSON inside that string).
- `actions`: usually one `validate` action.
- Use only the operations listed in the request and allowed for it.
"""


def system_prompt() -> str:
    """The system message: roles, json-ir rules, bash-curl conventions, output contract."""
    return "".join(
        [
            "You write API tests for chapi, a tool that runs them against a",
            " test environment. You answer with a card: a plan and the test",
            " files, as JSON.\n\n",
            _ROLES,
            "\n",
            _JSONIR,
            _compact(jsonir_schema()),
            "\n\n",
            _BASH,
            "\n",
            _CONTRACT,
            _compact(card_schema()),
            "\n",
            _CARD_RULES,
        ]
    )


def _mode_line(mode: str) -> str:
    if mode == "json-ir":
        return "Write json-ir files only (mode `json-ir`, paths ending in `.json`)."
    if mode == "bash-curl":
        return "Write bash-curl files only (mode `bash-curl`, paths ending in `.sh`)."
    return (
        "Write both kinds: json-ir files (`.json`) and bash-curl scripts (`.sh`);"
        " each file names its own mode."
    )


def _api_section(api: ApiModel | None) -> list[str]:
    if api is None:
        return []
    lines = ["## API", ""]
    title = " ".join(part for part in (api.title, api.version) if part) or "(untitled)"
    lines.append(f"{title} (OpenAPI {api.spec_version})")
    if api.security_schemes:
        lines.append("Security schemes:")
        for name in sorted(api.security_schemes):
            scheme = api.security_schemes[name]
            where = ""
            if scheme.location and scheme.param_name:
                where = f" ({scheme.location} {scheme.param_name})"
            lines.append(f"- {name}: {scheme.kind}{where}")
    else:
        lines.append("No security schemes are declared.")
    lines.append("")

    return lines


def _allowed_section(allowed_ops: Sequence[str]) -> list[str]:
    lines = ["## Allowed operations", ""]
    wanted = list(dict.fromkeys(op.strip() for op in allowed_ops if op.strip()))
    if not wanted:
        lines.append("No restriction beyond the endpoints listed below.")
    else:
        lines.append(
            "Use only these HTTP methods or operations; any other request is refused:"
        )
        lines.extend(f"- {op}" for op in wanted)
    lines.append("")

    return lines


def user_prompt(
    request: str,
    *,
    api: ApiModel | None,
    endpoints_context: str,
    role_contexts: Mapping[str, str],
    allowed_ops: Sequence[str],
    mode: str,
    env: str,
    notes: str | None,
) -> str:
    """The user message for one request.

    Role contexts are listed sorted by role name; allowed operations keep the
    caller's order with duplicates dropped.

    Raises:
        ValidationError: ``mode`` is not one of :data:`MODES` or the request
            is empty.
    """
    if mode not in MODES:
        raise ValidationError(
            f"unknown pack mode {mode!r}; expected one of {list(MODES)}"
        )
    if not request.strip():
        raise ValidationError("the generation request is empty")

    lines = ["## Request", "", request.strip(), ""]
    lines += [
        "## Pack",
        "",
        f"- mode: {mode}. {_mode_line(mode)}",
        f"- environment: {env}",
        "",
    ]
    lines += _allowed_section(allowed_ops)
    lines += _api_section(api)
    lines += ["## Endpoints", "", endpoints_context.strip() or "(none given)", ""]
    if role_contexts:
        lines += ["## Role contexts", ""]
        for role in sorted(role_contexts):
            lines += [f"### {role}", "", role_contexts[role].strip(), ""]
    if notes and notes.strip():
        lines += ["## Notes", "", notes.strip(), ""]
    lines.append("Answer with the card JSON object only.")

    return "\n".join(lines)


def build_messages(
    request: str,
    *,
    api: ApiModel | None,
    endpoints_context: str,
    role_contexts: Mapping[str, str],
    allowed_ops: Sequence[str],
    mode: str,
    env: str,
    notes: str | None,
) -> list[ChatMessage]:
    """The system and user messages for one request (see :func:`user_prompt`)."""
    user = user_prompt(
        request,
        api=api,
        endpoints_context=endpoints_context,
        role_contexts=role_contexts,
        allowed_ops=allowed_ops,
        mode=mode,
        env=env,
        notes=notes,
    )

    return [
        {"role": "system", "content": system_prompt()},
        {"role": "user", "content": user},
    ]


def repair_message(problems: Sequence[str]) -> ChatMessage:
    """The user message that asks the model to fix its previous answer."""
    shown = list(problems[:MAX_REPAIR_PROBLEMS])
    lines = ["Your previous answer cannot be used. Problems:", ""]
    lines += [f"- {problem}" for problem in shown]
    if len(problems) > len(shown):
        lines.append(f"- ... and {len(problems) - len(shown)} more")
    lines += [
        "",
        "Answer again with the complete, corrected card as one JSON object and"
        " nothing else.",
    ]

    return {"role": "user", "content": "\n".join(lines)}


def prompt_fingerprint(messages: Sequence[ChatMessage], model: str) -> str:
    """``sha256:<hex>`` over :data:`PROMPT_VERSION`, the model name and the messages.

    Same prompts and model, same fingerprint: fold it into a pack's inputs
    hash so a cached pack is reused only when the LLM would be asked the very
    same thing.
    """
    payload = {
        "messages": [dict(message) for message in messages],
        "model": model,
        "prompt_version": PROMPT_VERSION,
    }

    return "sha256:" + hashlib.sha256(_compact(payload).encode("utf-8")).hexdigest()
