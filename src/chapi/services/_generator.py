"""Choosing and driving a generator: the offline planner or the LLM.

Both paths end in a :class:`Generated` value: the card, the provenance the
pack stores (inputs hash, generator version, file roles, role contexts,
endpoints context, selector output) and, for the LLM, token usage. The
inputs hash is known before anything expensive runs, so the pack cache
can answer first: for the planner the plan is cheap and computed up
front; for the LLM the hash covers the exact prompts, the model, the
server's URL (without userinfo or query, never the key) and the sampling
settings, and the server is only asked when no finalized pack has that hash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ..catalog.context import endpoints_context as build_context
from ..domain import Endpoint
from ..generation.card import Card
from ..generation.intent import normalize_allowed_ops, understand
from ..generation.llm import LLMConfig, LLMGenerator
from ..generation.planner import Mode, plan_pack
from ..generation.prompts import PROMPT_VERSION
from ..generation.provenance import GENERATOR_VERSION, OFFLINE_GENERATOR, inputs_hash
from ..rules import PackFile, RuleContext, validate_pack
from ..specs import ApiModel, Operation

__all__ = [
    "ROLE_GUIDES",
    "Generated",
    "GenerationInputs",
    "Prepared",
    "prepare",
    "role_contexts_for",
]

logger = logging.getLogger(__name__)

#: What each role must check, as told to an LLM (the planner's own rules, in words).
ROLE_GUIDES: Final[dict[str, str]] = {
    "SMOKE": (
        "One step per selected read operation whose inputs can be filled; expect a"
        " documented success status and a body conforming to the response schema."
    ),
    "AUTH": (
        "For each secured operation three steps: auth 'none' and auth 'invalid'"
        " expect 401 or 403, auth 'valid' expects a documented success status."
    ),
    "CRUD": (
        "Per resource: create, capture the id, read it back and compare fields,"
        " update (PUT and PATCH where both exist) and read each update back,"
        " delete, then expect 404 when reading it again."
    ),
    "NEGATIVE": (
        "Requests that break the schema in the body or the query, path and"
        " header parameters (missing required value, wrong type, below minimum,"
        " above maximum, outside the enum, unknown field where"
        " additionalProperties is false) expecting a 4XX status, never a 5XX."
    ),
}

_CONTEXT_CHARS: Final = 8000


@dataclass(frozen=True)
class GenerationInputs:
    """What the caller asked for."""

    request: str
    mode: Mode
    env: str
    allowed_ops: tuple[str, ...] | None
    notes: str | None
    spec_id: str
    spec_version: str
    spec_hash: str


@dataclass
class Generated:
    """A card and everything the pack stores about how it was made."""

    card: Card
    inputs_hash: str
    generator: str
    generator_version: str
    file_roles: dict[str, str]
    role_contexts: dict[str, str]
    endpoints_context: str
    allowed_ops: list[str]
    selector_output: dict[str, Any]
    usage: dict[str, int] = field(default_factory=dict)
    model: str | None = None
    attempts: int = 1


@dataclass
class Prepared:
    """A generation whose inputs hash is known and whose card may not be yet."""

    inputs_hash: str
    produce: Callable[[], Generated]


def prepare(
    inputs: GenerationInputs,
    api: ApiModel,
    endpoints: Sequence[Endpoint],
    *,
    llm: LLMGenerator | None,
    secrets: dict[str, str] | None = None,
) -> Prepared:
    """Prepare a generation with the LLM when one is given, else the planner."""
    if llm is None:
        return _prepare_offline(inputs, api)
    return _prepare_llm(inputs, api, endpoints, llm, secrets or {})


def _selector(
    inputs: GenerationInputs, scope: str, roles: Sequence[str]
) -> dict[str, Any]:
    return {
        "request": inputs.request,
        "spec_id": inputs.spec_id,
        "spec_version": inputs.spec_version,
        "scope": scope,
        "roles": list(roles),
    }


def _prepare_offline(inputs: GenerationInputs, api: ApiModel) -> Prepared:
    result = plan_pack(
        api,
        inputs.request,
        mode=inputs.mode,
        allowed_ops=inputs.allowed_ops,
        env=inputs.env,
        notes=inputs.notes,
        document_hash=inputs.spec_hash,
    )
    selector = _selector(
        inputs, result.intent.scope, [r.value for r in result.intent.roles]
    )
    selector["operations"] = list(result.intent.operations)
    generated = Generated(
        card=result.card,
        inputs_hash=result.inputs_hash,
        generator=OFFLINE_GENERATOR,
        generator_version=result.generator_version,
        file_roles=result.file_roles,
        role_contexts={
            role: "\n".join(keys) for role, keys in result.role_contexts.items()
        },
        endpoints_context=result.endpoints_context,
        allowed_ops=list(result.intent.allowed_ops),
        selector_output=selector,
    )
    return Prepared(inputs_hash=result.inputs_hash, produce=lambda: generated)


def _collection(path: str) -> str:
    """``/pets`` for ``/pets/{id}``; the path itself when it ends in a static segment."""
    head, _, last = path.rstrip("/").rpartition("/")
    return (head or "/") if last.startswith("{") else path


def role_contexts_for(
    api: ApiModel, operations: Sequence[str], roles: Sequence[str]
) -> dict[str, str]:
    """Per role, what it must check and the selected operations it concerns.

    This is ``run_pack_inputs.role_contexts_json`` for an LLM pack and the
    prompt's "Role contexts" section: the role's guide (:data:`ROLE_GUIDES`)
    followed by the ``METHOD /path`` keys the role applies to, in selection
    order: SMOKE the reads, AUTH the secured operations, CRUD the operations
    of collections that have a create (``POST``), NEGATIVE the operations
    with parameters or a request body. A custom role gets the whole
    selection.
    """
    by_key = {op.key: op for op in api.operations}
    selected = [by_key[k] for k in operations if k in by_key]
    creates = {op.path for op in api.operations if op.method.upper() == "POST"}
    wanted: dict[str, Callable[[Operation], bool]] = {
        "SMOKE": lambda op: op.method.upper() == "GET",
        "AUTH": lambda op: op.secured,
        "CRUD": lambda op: _collection(op.path) in creates,
        "NEGATIVE": lambda op: bool(op.parameters or op.request_body),
    }
    contexts: dict[str, str] = {}
    for role in roles:
        keep = wanted.get(role)
        keys = [op.key for op in selected if keep is None or keep(op)]
        guide = ROLE_GUIDES.get(role, "")
        listed = "\n".join(keys) if keys else "(no selected operation fits this role)"
        contexts[role] = (guide + "\n" if guide else "") + "Operations:\n" + listed
    return contexts


def _llm_context(
    endpoints: Sequence[Endpoint], operations: Sequence[str], request: str
) -> str:
    """The compact endpoints context of the selected operations, most relevant first.

    The selection is already ranked, so its lines are listed in that order
    without searching again (a search for the request's words would drop
    every line when they are only role words, such as "smoke tests"). With
    nothing selected, the endpoints matching the request are listed, else
    every endpoint, as far as the budget goes.
    """
    rank = {key: i for i, key in enumerate(operations)}
    chosen = sorted((e for e in endpoints if e.key in rank), key=lambda e: rank[e.key])
    if chosen:
        return build_context(chosen, None, _CONTEXT_CHARS)
    return build_context(endpoints, request, _CONTEXT_CHARS) or build_context(
        endpoints, None, _CONTEXT_CHARS
    )


def _prepare_llm(
    inputs: GenerationInputs,
    api: ApiModel,
    endpoints: Sequence[Endpoint],
    llm: LLMGenerator,
    secrets: dict[str, str],
) -> Prepared:
    intent = understand(
        api, inputs.request, allowed_ops=inputs.allowed_ops, env=inputs.env
    )
    allowed = list(normalize_allowed_ops(inputs.allowed_ops, inputs.env))
    context = _llm_context(endpoints, intent.operations, inputs.request)
    roles = [r.value for r in intent.roles]
    role_contexts = role_contexts_for(api, intent.operations, roles)
    messages = llm.build_messages(
        inputs.request,
        api=api,
        endpoints_context=context,
        role_contexts=role_contexts,
        allowed_ops=allowed,
        mode=inputs.mode,
        env=inputs.env,
        notes=inputs.notes,
    )
    model = llm.config.request_model
    identity = llm.config.cache_identity()
    generator = f"llm:{model}"
    version = f"{GENERATOR_VERSION}+{PROMPT_VERSION}"
    digest = inputs_hash(
        generator=generator,
        generator_version=version,
        mode=inputs.mode,
        request=inputs.request,
        allowed_ops=allowed,
        env=inputs.env,
        spec_hash=inputs.spec_hash,
        operations=intent.operations,
        endpoints_context=context,
        notes=inputs.notes,
        prompts=[m["content"] for m in messages],
        model=model,
        llm=identity,
    )
    rule_context = RuleContext(
        mode=inputs.mode,  # type: ignore[arg-type]
        allowed_ops=tuple(allowed),
        env=inputs.env,
        secrets=secrets,
        api=api,
    )

    def check(card: Card) -> list[str]:
        report = validate_pack(
            [PackFile(f.path, f.content, f.role) for f in card.files], rule_context
        )
        return [
            f"{f.rule} on {f.file}"
            + (f" line {f.line}" if f.line else "")
            + f": {f.message}"
            for f in report.errors
        ]

    def produce() -> Generated:
        result = llm.generate(
            inputs.request,
            api=api,
            endpoints_context=context,
            role_contexts=role_contexts,
            allowed_ops=allowed,
            mode=inputs.mode,
            env=inputs.env,
            notes=inputs.notes,
            check=check,
        )
        selector = _selector(inputs, intent.scope, roles)
        selector["operations"] = list(intent.operations)
        selector["prompt_fingerprint"] = result.prompt_fingerprint
        selector["llm"] = identity
        return Generated(
            card=result.card,
            inputs_hash=digest,
            generator=generator,
            generator_version=version,
            file_roles={f.path: f.role for f in result.card.files},
            role_contexts=role_contexts,
            endpoints_context=context,
            allowed_ops=allowed,
            selector_output=selector,
            usage=result.usage.model_dump(),
            model=result.response_model or result.model,
            attempts=result.attempts,
        )

    return Prepared(inputs_hash=digest, produce=produce)


def make_llm(config: LLMConfig | None) -> LLMGenerator | None:
    """An LLM generator for ``config``, or ``None`` to use the offline planner."""
    return LLMGenerator(config) if config is not None else None
