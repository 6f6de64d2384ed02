"""The pruned search returns exactly what the plain BM25 scan it replaced returned.

``_Reference`` is the search as it was before postings held precomputed
contributions and before entries that cannot reach the re-ranked head were
skipped: every matching entry scored, boosted, rounded and sorted. Both must
give the same hit indexes and the same rounded scores for every query and limit.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chapi.catalog import SearchIndex, tokenize
from chapi.catalog.search import _METHOD_HINTS, _STOP, _normalize_word, _words

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Row:
    """A catalog row as search reads it."""

    method: str
    path: str
    summary: str
    operation_id: str | None = None
    tags: list[str] = field(default_factory=list)


class _Reference:
    """The previous SearchIndex, kept unchanged as the oracle."""

    def __init__(self, entries: Sequence[Row]) -> None:
        weights_by_field = (
            ("summary", 3.0),
            ("path", 2.0),
            ("operation_id", 1.5),
            ("tags", 1.0),
            ("method", 0.5),
        )
        postings: dict[str, list[tuple[int, float]]] = {}
        lengths: list[float] = []
        self._methods: list[str] = []
        self._collection: list[bool] = []
        self._summaries: list[frozenset[str]] = []
        for i, entry in enumerate(entries):
            fields = {
                "summary": entry.summary or "",
                "path": entry.path or "",
                "operation_id": entry.operation_id or "",
                "tags": " ".join(entry.tags or ()),
                "method": str(entry.method or ""),
            }
            weights: dict[str, float] = {}
            for name, weight in weights_by_field:
                for term in tokenize(fields[name]):
                    weights[term] = weights.get(term, 0.0) + weight
            for term, tf in weights.items():
                postings.setdefault(term, []).append((i, tf))
            lengths.append(sum(weights.values()))
            self._methods.append(str(entry.method or "").upper())
            self._collection.append(not (entry.path or "").rstrip("/").endswith("}"))
            self._summaries.append(frozenset(tokenize(entry.summary or "")))
        self._postings = postings
        self._lengths = lengths
        count = len(lengths)
        self._avg = (sum(lengths) / count) if count else 1.0
        self._idf = {
            term: math.log(1.0 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            for term, docs in postings.items()
        }

    def search(self, query: str, limit: int = 10) -> list[tuple[int, float]]:
        words = [w for w in _words(query) if w not in _STOP]
        hinted: set[str] = set()
        for word in words:
            hinted.update(_METHOD_HINTS.get(word, ()))
        wants_list = "list" in words
        terms = [_normalize_word(w) for w in words]
        scores: dict[int, float] = {}
        lengths, avg = self._lengths, self._avg
        for term in dict.fromkeys(terms):
            docs = self._postings.get(term)
            if not docs:
                continue
            idf = self._idf[term]
            for doc, tf in docs:
                norm = 1.2 * (1.0 - 0.75 + 0.75 * lengths[doc] / avg)
                scores[doc] = scores.get(doc, 0.0) + idf * tf * (1.2 + 1.0) / (
                    tf + norm
                )
        ranked: list[tuple[float, int]] = []
        for doc, score in scores.items():
            if hinted and self._methods[doc] in hinted:
                score *= 1.25
            if wants_list and self._collection[doc]:
                score *= 1.1
            ranked.append((-round(score, 6), doc))
        head = heapq.nsmallest(max(limit * 5, 50), ranked)
        wanted = set(terms)
        reranked = []
        for negative, doc in head:
            summary = self._summaries[doc]
            shared = len(summary & wanted)
            coverage = (
                (shared / len(summary) + shared / len(wanted)) / 2 if summary else 0.0
            )
            reranked.append((round(negative * (1.0 + 0.3 * coverage), 6), doc))
        reranked.sort()
        return [(doc, -negative) for negative, doc in reranked[: max(limit, 0)]]


def _github_rows() -> list[Row]:
    return [
        Row(**row) for row in json.loads((DATA / "github_catalog.json").read_text())
    ]


def _replicated(rows: list[Row], copies: int) -> list[Row]:
    """``rows`` repeated under ``/v{n}`` prefixes, as the search benchmark builds its catalog."""
    out = list(rows)
    for copy in range(1, copies):
        out.extend(
            Row(
                row.method,
                f"/v{copy}{row.path}",
                row.summary,
                f"{row.operation_id}-{copy}" if row.operation_id else None,
                list(row.tags),
            )
            for row in rows
        )
    return out


def _vocabulary(rows: list[Row]) -> list[str]:
    text = " ".join(
        f"{r.method} {r.path} {r.summary} {r.operation_id or ''} {' '.join(r.tags)}"
        for r in rows
    )
    return sorted(set(_words(text)))


def _queries(vocabulary: list[str], count: int, seed: int) -> list[str]:
    labelled = json.loads((DATA / "search_queries.json").read_text())["queries"]
    rng = random.Random(seed)
    random_words = [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 6)))
        for _ in range(count)
    ]
    edge = ["", "the of a", "list", "get", "zebra", "list list repos repos", "v1 3"]
    return [q["query"] for q in labelled] + random_words + edge


def _hits(index: SearchIndex, query: str, limit: int) -> list[tuple[int, float]]:
    return [(hit.index, hit.score) for hit in index.search(query, limit)]


@pytest.fixture(scope="module")
def catalogs() -> dict[str, tuple[SearchIndex, _Reference, list[str]]]:
    """GitHub's catalog, and 300 of its rows 40 times over (ties across the head), indexed."""
    github = _github_rows()
    vocabulary = _vocabulary(github)
    built = {}
    for name, rows in (
        ("github", github),
        ("replicated", _replicated(github[:300], 40)),
    ):
        built[name] = (SearchIndex.build(rows), _Reference(rows), vocabulary)
    return built


@pytest.mark.parametrize("name", ["github", "replicated"])
def test_same_hits_as_reference(
    catalogs: dict[str, tuple[SearchIndex, _Reference, list[str]]], name: str
) -> None:
    """Labelled, random-word and edge queries at several limits give identical hits."""
    index, reference, vocabulary = catalogs[name]
    limits = [1, 3, 10, 11, 60, 0, -1]
    compared = 0

    for i, query in enumerate(_queries(vocabulary, 250, seed=11)):
        limit = limits[i % len(limits)]
        assert _hits(index, query, limit) == reference.search(query, limit), query
        compared += 1

    assert compared > 300


@settings(max_examples=60)
@given(data=st.data())
def test_same_hits_as_reference_for_generated_text(
    catalogs: dict[str, tuple[SearchIndex, _Reference, list[str]]],
    data: st.DataObject,
) -> None:
    """Free text mixed with catalog words gives identical hits at any limit."""
    index, reference, vocabulary = catalogs["replicated"]
    pieces = data.draw(
        st.lists(
            st.one_of(st.sampled_from(vocabulary), st.text(max_size=12)), max_size=8
        )
    )
    query = " ".join(pieces)
    limit = data.draw(st.integers(min_value=-2, max_value=80))

    assert _hits(index, query, limit) == reference.search(query, limit)


_WORDS = ["pet", "owner", "list", "get", "create", "order", "store", "user", "tag"]


@st.composite
def _small_catalogs(draw: st.DrawFn) -> list[Row]:
    """40 to 300 rows over a tiny vocabulary: many matches and many ties."""
    word = st.sampled_from(_WORDS)
    row = st.builds(
        Row,
        method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "get"]),
        path=st.lists(st.one_of(word, st.just("{id}")), max_size=4).map(
            lambda parts: "/" + "/".join(parts)
        ),
        summary=st.lists(word, max_size=5).map(" ".join),
        operation_id=st.one_of(st.none(), word),
        tags=st.lists(word, max_size=2),
    )
    return draw(st.lists(row, min_size=40, max_size=300))


@settings(max_examples=40)
@given(
    rows=_small_catalogs(),
    query=st.lists(st.sampled_from([*_WORDS, "the", "remove", "update"]), max_size=5),
    limit=st.integers(min_value=1, max_value=15),
)
def test_same_hits_on_generated_catalogs(
    rows: list[Row], query: list[str], limit: int
) -> None:
    """Generated catalogs full of ties give identical hits, including at the cut-off."""
    text = " ".join(query)

    assert _hits(SearchIndex.build(rows), text, limit) == _Reference(rows).search(
        text, limit
    )
