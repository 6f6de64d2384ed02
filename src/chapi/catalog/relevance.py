"""Measuring search relevance against a labelled set of queries.

A labelled query names the one endpoint (``"METHOD /path"``) a person means
by it. The hit rate at ``k`` is the share of queries whose endpoint is among
the first ``k`` results.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .search import CatalogEntry, SearchIndex

__all__ = ["Relevance", "hit_rates"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Relevance:
    """Hit rates of a labelled set.

    Attributes:
        queries: how many labelled queries were asked.
        at_1: share of queries whose endpoint came first.
        at_5: share of queries whose endpoint was in the first five.
        missed: the queries whose endpoint was not in the first five.
    """

    queries: int
    at_1: float
    at_5: float
    missed: tuple[str, ...]


def hit_rates(
    index: SearchIndex,
    entries: Sequence[CatalogEntry],
    labelled: Iterable[Mapping[str, str]],
) -> Relevance:
    """Ask each labelled query and count where its endpoint ranks.

    Args:
        index: the index built from ``entries``.
        entries: the catalog rows, in the order the index was built from.
        labelled: mappings with ``query`` and ``expected`` (``"METHOD /path"``).

    Returns:
        The hit rates at 1 and at 5 and the queries missed at 5.
    """
    count = first = top5 = 0
    missed: list[str] = []
    for item in labelled:
        hits = index.search(item["query"], 5)
        keys = [f"{entries[h.index].method} {entries[h.index].path}" for h in hits]
        count += 1
        first += bool(keys) and keys[0] == item["expected"]
        if item["expected"] in keys:
            top5 += 1
        else:
            missed.append(item["query"])
    logger.debug("relevance over %d queries: %d first, %d in five", count, first, top5)

    return Relevance(
        queries=count,
        at_1=first / count if count else 0.0,
        at_5=top5 / count if count else 0.0,
        missed=tuple(missed),
    )
