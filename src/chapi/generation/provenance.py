"""Provenance: the generator's version and the hash of everything that shapes a pack.

:func:`inputs_hash` is what ``run_packs.inputs_hash`` stores and what the
pack cache looks up: two generations with the same hash produce the same
files, so the second can reuse the first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = [
    "GENERATOR_VERSION",
    "OFFLINE_GENERATOR",
    "canonical_json",
    "inputs_hash",
    "spec_hash",
]

#: Bumped whenever a change to the planner or the renderers changes their output.
GENERATOR_VERSION: Final = "chapi-gen/1.1.0"
#: The name the offline planner is recorded under.
OFFLINE_GENERATOR: Final = "offline-planner"


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def spec_hash(document: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of a spec document's canonical JSON."""
    return _sha256(canonical_json(document))


def inputs_hash(
    *,
    generator: str,
    generator_version: str,
    mode: str,
    request: str,
    allowed_ops: Iterable[str],
    env: str,
    spec_hash: str,
    operations: Iterable[str],
    endpoints_context: str = "",
    notes: str | None = None,
    prompts: Iterable[str] = (),
    model: str | None = None,
    llm: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """``sha256:<hex>`` over the canonical JSON of every input that determines a pack.

    Allowed methods and selected operations are sets (order ignored);
    prompts keep their order. Same inputs, same hash.

    Args:
        generator: ``offline-planner`` or the LLM generator's name.
        generator_version: the generator's version string.
        mode: ``json-ir``, ``bash-curl`` or ``hybrid``.
        request: the user's request, as written.
        allowed_ops: the allowed methods.
        env: the environment name.
        spec_hash: the hash of the spec document (:func:`spec_hash`).
        operations: the selected operation keys.
        endpoints_context: the compact endpoints text the generator saw.
        notes: extra user hints.
        prompts: for the LLM path, the exact prompts sent.
        model: for the LLM path, the model name.
        llm: for the LLM path, the server and sampling settings
            (:meth:`~chapi.generation.llm.LLMConfig.cache_identity`); never a
            secret. Left out of the hashed payload when ``None``, so the
            offline planner's hashes do not depend on it.
        extra: anything else a generator wants pinned (JSON-serializable).
    """
    payload = {
        "generator": generator,
        "generator_version": generator_version,
        "mode": mode,
        "request": request,
        "allowed_ops": sorted({m.upper() for m in allowed_ops}),
        "env": env,
        "spec_hash": spec_hash,
        "operations": sorted(set(operations)),
        "endpoints_context": endpoints_context,
        "notes": notes,
        "prompts": list(prompts),
        "model": model,
        "extra": dict(extra or {}),
    }
    if llm is not None:
        payload["llm"] = dict(llm)
    return _sha256(canonical_json(payload))
