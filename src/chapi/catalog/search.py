"""Ranked search over catalog entries.

NOTE: this first version ranks by plain token overlap; it is the contract
(names and signatures) that the real ranking replaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

__all__ = ["CatalogEntry", "SearchHit", "rank"]


class CatalogEntry(Protocol):
    """What search reads from a catalog row (the domain ``Endpoint`` fits)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def operation_id(self) -> str | None: ...
    @property
    def tags(self) -> list[str]: ...


class SearchHit(BaseModel):
    """One ranked result: the entry's position in the input and its score."""

    model_config = ConfigDict(frozen=True)

    index: int
    score: float


_WORD = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def rank(entries: Sequence[CatalogEntry], query: str, limit: int = 10) -> list[SearchHit]:
    """The ``limit`` entries most relevant to ``query``, best first; ties keep input order."""
    wanted = _tokens(query)
    hits = []
    for i, e in enumerate(entries):
        text = " ".join([e.method, e.path, e.summary, e.operation_id or "", *e.tags])
        score = float(len(wanted & _tokens(text)))
        if score > 0:
            hits.append(SearchHit(index=i, score=score))
    hits.sort(key=lambda h: (-h.score, h.index))
    return hits[:limit]
