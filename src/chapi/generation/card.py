"""The Card: what a generator answers with, and what a chat message shows.

A card has three parts: the ``plan`` (what will be tested, which endpoints,
which roles, which files), the ``files`` (path, role, mode, content) and the
``actions`` a person or the CLI can take next. The LLM generator is asked
for exactly this shape (:func:`card_schema`), and every card is hashed
canonically (:meth:`Card.digest`) into ``run_packs.card_hash``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Card", "CardAction", "CardFile", "Plan", "PlannedFile", "card_schema"]

FileMode = Literal["json-ir", "bash-curl"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlannedFile(_Model):
    """One file the plan promises: its path, role and the operations it covers."""

    path: str = Field(min_length=1, max_length=300)
    role: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    operations: list[str] = Field(default_factory=list)


class Plan(_Model):
    """What will be tested and why."""

    summary: str
    roles: list[str] = Field(default_factory=list)
    endpoints: list[str] = Field(
        default_factory=list, description="'METHOD /path' keys"
    )
    files: list[PlannedFile] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class CardFile(_Model):
    """A generated file: relative path, role, mode and full content."""

    path: str = Field(min_length=1, max_length=300)
    role: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    mode: FileMode
    content: str


class CardAction(_Model):
    """Something the reader can do next (``validate``, ``finalize``, ``run``, ``export``)."""

    type: Literal["validate", "finalize", "run", "export", "regenerate"]
    label: str = ""
    params: dict[str, str] = Field(default_factory=dict)


class Card(_Model):
    """A generator's answer: plan, files and actions."""

    plan: Plan
    files: list[CardFile] = Field(default_factory=list)
    actions: list[CardAction] = Field(default_factory=list)

    def canonical_json(self) -> str:
        """The card as canonical JSON: sorted keys, no spaces, UTF-8 kept."""
        return json.dumps(
            self.model_dump(mode="json"),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )

    def digest(self) -> str:
        """``sha256:<hex>`` of the canonical JSON, stored as ``card_hash``."""
        return (
            "sha256:"
            + hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()
        )


@cache
def card_schema() -> dict[str, Any]:
    """The JSON Schema of a card, as sent to an LLM for structured output."""
    return Card.model_json_schema()
