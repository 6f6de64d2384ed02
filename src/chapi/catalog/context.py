"""The compact endpoints context an LLM reads: one line per endpoint.

Each line is ``METHOD path | auth | req | success | summary``. Without a query
the lines follow catalog order; with one they follow relevance (see
:mod:`chapi.catalog.search`) and only matching entries are listed. Lines are
added whole until the next one would exceed the budget, so the result is
never cut inside a line. Same entries and query give the same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .search import CatalogEntry, SearchIndex

__all__ = ["ContextEntry", "endpoint_line", "endpoints_context"]


class ContextEntry(CatalogEntry, Protocol):
    """A catalog row with the labels the context shows (the domain ``Endpoint`` fits)."""

    @property
    def auth(self) -> str: ...
    @property
    def req_content(self) -> str: ...
    @property
    def success_content(self) -> str: ...


def _clean(text: str) -> str:
    return " ".join(str(text).replace("|", "/").split())


def endpoint_line(entry: ContextEntry) -> str:
    """One entry as ``METHOD path | auth | req | success | summary``."""
    method = getattr(entry.method, "value", entry.method)
    fields = [
        f"{method} {entry.path}",
        entry.auth or "none",
        entry.req_content or "-",
        entry.success_content or "-",
        entry.summary or "",
    ]
    return " | ".join(_clean(field) for field in fields)


def endpoints_context(
    entries: Sequence[ContextEntry],
    query: str | None = None,
    max_chars: int = 4000,
    *,
    index: SearchIndex | None = None,
) -> str:
    """The endpoints context for ``entries``, within ``max_chars`` characters.

    Args:
        entries: catalog rows.
        query: the user's request; ``None`` or blank lists every entry in order.
        max_chars: budget for the whole text, newlines included.
        index: a prebuilt :class:`SearchIndex` over ``entries`` (built when omitted).

    Returns:
        Whole lines joined by ``\\n``; empty when nothing fits or matches.
    """
    if query and query.strip():
        searcher = index if index is not None else SearchIndex.build(entries)
        order = [hit.index for hit in searcher.search(query, limit=len(entries))]
    else:
        order = list(range(len(entries)))
    lines: list[str] = []
    used = 0
    for i in order:
        line = endpoint_line(entries[i])
        cost = len(line) + (1 if lines else 0)
        if used + cost > max_chars:
            break
        lines.append(line)
        used += cost

    return "\n".join(lines)
