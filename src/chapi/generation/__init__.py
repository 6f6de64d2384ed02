"""Generators, renderers and provenance: from a request and an API to a Card.

The offline planner (:func:`plan`, :func:`plan_pack`) is deterministic and
needs no LLM; the renderers turn json-ir documents into files
(:func:`render_jsonir`, :func:`render_bash`); :func:`inputs_hash` and
:func:`diff_packs` serve the pack cache and ``diff`` cards.
"""

from .card import Card, CardAction, CardFile, Plan, PlannedFile, card_schema
from .diff import diff_packs
from .intent import Intent, default_allowed_ops, understand
from .planner import Mode, PlanResult, plan, plan_pack, role_mode
from .provenance import GENERATOR_VERSION, OFFLINE_GENERATOR, inputs_hash, spec_hash
from .render_bash import CREDENTIAL_VARS, render_bash
from .render_jsonir import render_jsonir

__all__ = [
    "CREDENTIAL_VARS",
    "GENERATOR_VERSION",
    "OFFLINE_GENERATOR",
    "Card",
    "CardAction",
    "CardFile",
    "Intent",
    "Mode",
    "Plan",
    "PlanResult",
    "PlannedFile",
    "card_schema",
    "default_allowed_ops",
    "diff_packs",
    "inputs_hash",
    "plan",
    "plan_pack",
    "render_bash",
    "render_jsonir",
    "role_mode",
    "spec_hash",
    "understand",
]
