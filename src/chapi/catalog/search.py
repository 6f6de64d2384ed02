"""Ranked full-text search over catalog entries.

Each entry is indexed from its method, path, summary, operationId and tags.
Text is split into words (paths on ``/``, ``{}``, ``-``, ``_`` and ``.``;
camelCase and snake_case identifiers into their parts), lower-cased, a few API
abbreviations are expanded (``repos`` → ``repository``, ``orgs`` →
``organization``, ...), stop words dropped, and the rest stemmed with the
Snowball English stemmer.

Ranking is BM25 (``k1 = 1.2``, ``b = 0.75``) over a weighted term frequency:
a word counts 3 times in the summary, 2 in the path, 1.5 in the operationId, 1
in the tags and 0.5 for the method. On top of it, verbs in the query hint at a
method ("list", "get", "show" → GET; "create", "add" → POST; "delete",
"remove" → DELETE; "update", "edit" → PUT or PATCH): entries with a hinted
method get their score multiplied by 1.25, and "list" slightly prefers
collection paths (not ending in a parameter). Finally the best 50 (or
``5 * limit``) are re-ranked by how much of each entry's summary the query
covers: score * (1 + 0.3 * c), where c is the mean of the share of the
summary's words found in the query and the share of the query's words found
in the summary; this lifts the entry whose summary says what was asked.

Scores are rounded to 6 decimals and ties keep input order, so results are
deterministic.

The index stores, for each term, every matching entry's contribution to the
BM25 sum (idf and length normalization folded in at build time), so a search
adds up dictionaries rather than recomputing the formula per entry. It merges
the query's terms highest-contributing first and stops merging whole terms
once no entry matched only by the terms left could reach the re-ranked head;
only the entries that still can get their exact score (contributions added in
query order), multipliers and rounding. The bounds allow for rounding and
float error, so the hits and scores are the same as scoring every entry.

Known shortcomings: no synonyms beyond the abbreviation table, no phrase or
proximity scoring, English stemming only.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import repeat
from operator import add, mul
from typing import NamedTuple, Protocol

import snowballstemmer  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict

__all__ = ["CatalogEntry", "SearchHit", "SearchIndex", "rank", "tokenize"]


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


_K1 = 1.2
_B = 0.75
_FIELD_WEIGHTS = {
    "summary": 3.0,
    "path": 2.0,
    "operation_id": 1.5,
    "tags": 1.0,
    "method": 0.5,
}
_METHOD_BOOST = 1.25
_COLLECTION_BOOST = 1.1
_COVERAGE_BONUS = 0.3
_RERANK_DEPTH = 50

_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "for",
        "of",
        "to",
        "in",
        "on",
        "by",
        "with",
        "my",
        "me",
        "i",
        "and",
        "or",
        "from",
        "into",
        "at",
        "is",
        "are",
        "be",
        "it",
        "its",
        "this",
        "that",
        "as",
        "via",
        "any",
        "some",
    ]
)
_ABBREVIATIONS = {
    "repo": "repository",
    "repos": "repository",
    "org": "organization",
    "orgs": "organization",
    "pr": "pull",
    "prs": "pull",
    "pulls": "pull",
    "config": "configuration",
    "env": "environment",
    "envs": "environment",
    "auth": "authentication",
    "info": "information",
    "id": "identifier",
    "ids": "identifier",
    "msg": "message",
    "msgs": "message",
    "app": "application",
    "apps": "application",
    "del": "delete",
}
_METHOD_HINTS: dict[str, tuple[str, ...]] = {
    "list": ("GET",),
    "get": ("GET",),
    "show": ("GET",),
    "fetch": ("GET",),
    "retrieve": ("GET",),
    "read": ("GET",),
    "find": ("GET",),
    "search": ("GET",),
    "view": ("GET",),
    "download": ("GET",),
    "check": ("GET",),
    "create": ("POST",),
    "add": ("POST", "PUT"),
    "new": ("POST",),
    "make": ("POST",),
    "post": ("POST",),
    "submit": ("POST",),
    "upload": ("POST", "PUT"),
    "register": ("POST",),
    "delete": ("DELETE",),
    "remove": ("DELETE",),
    "destroy": ("DELETE",),
    "unset": ("DELETE",),
    "update": ("PUT", "PATCH"),
    "edit": ("PUT", "PATCH"),
    "modify": ("PUT", "PATCH"),
    "change": ("PUT", "PATCH"),
    "patch": ("PATCH",),
    "replace": ("PUT",),
    "set": ("PUT", "POST"),
}

_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _normalize_word(word: str) -> str:
    word = _ABBREVIATIONS.get(word, word)
    return str(_STEMMER.stemWord(word))


def _words(text: str) -> list[str]:
    words: list[str] = []
    for chunk in _SPLIT.split(text):
        if not chunk:
            continue
        parts = _CAMEL.findall(chunk) or [chunk]
        words.extend(part.lower() for part in parts)
    return words


def tokenize(text: str) -> list[str]:
    """Split, lower-case, expand abbreviations, drop stop words and stem ``text``."""
    return [_normalize_word(w) for w in _words(text) if w not in _STOP]


def _entry_fields(entry: CatalogEntry) -> dict[str, str]:
    return {
        "summary": entry.summary or "",
        "path": entry.path or "",
        "operation_id": entry.operation_id or "",
        "tags": " ".join(entry.tags or ()),
        "method": str(entry.method or ""),
    }


class _Query(NamedTuple):
    """What a search needs from its query text."""

    terms: tuple[str, ...]  # distinct stemmed terms, in order of appearance
    wanted: frozenset[str]
    hinted: frozenset[str]  # methods the query's verbs point at
    wants_list: bool


@lru_cache(maxsize=4096)
def _analyse(query: str) -> _Query:
    words = [w for w in _words(query) if w not in _STOP]
    hinted: set[str] = set()
    for word in words:
        hinted.update(_METHOD_HINTS.get(word, ()))
    terms = tuple(dict.fromkeys(_normalize_word(w) for w in words))
    return _Query(terms, frozenset(terms), frozenset(hinted), "list" in words)


def _lower(floor: float, most: float) -> float:
    """A plain score below which, times at most ``most``, rounding falls under ``floor``.

    Generous beyond rounding to 6 decimals and float error in sums and products.
    """
    return (floor - 1e-5 - abs(floor) * 1e-9) / most * (1.0 - 1e-9)


class SearchIndex:
    """An inverted BM25 index over catalog entries; build once, search many times.

    Build with :meth:`build`; hit indexes refer to positions in the entries given.
    The index holds no reference to the entries themselves.
    """

    def __init__(
        self,
        postings: dict[str, dict[int, float]],
        groups: list[int],
        group_keys: list[tuple[str, bool]],
        summaries: list[frozenset[str]],
    ) -> None:
        # term -> {entry: the term's BM25 contribution to the entry's score}
        self._postings = postings
        # term -> its largest contribution to any entry
        self._peaks = {term: max(docs.values()) for term, docs in postings.items()}
        # entry -> index into group_keys: the entry's (method, is a collection)
        self._groups = groups
        self._group_keys = group_keys
        self._summaries = summaries

    @classmethod
    def build(cls, entries: Iterable[CatalogEntry]) -> SearchIndex:
        """Index ``entries`` (any objects with the :class:`CatalogEntry` attributes)."""
        frequencies: dict[str, list[tuple[int, float]]] = {}
        lengths: list[float] = []
        groups: list[int] = []
        group_ids: dict[tuple[str, bool], int] = {}
        summaries: list[frozenset[str]] = []
        for i, entry in enumerate(entries):
            weights: dict[str, float] = {}
            for name, text in _entry_fields(entry).items():
                weight = _FIELD_WEIGHTS[name]
                terms = tokenize(text)
                if name == "summary":
                    summaries.append(frozenset(terms))
                for term in terms:
                    weights[term] = weights.get(term, 0.0) + weight
            for term, tf in weights.items():
                frequencies.setdefault(term, []).append((i, tf))
            lengths.append(sum(weights.values()))
            key = (
                str(entry.method or "").upper(),
                not (entry.path or "").rstrip("/").endswith("}"),
            )
            groups.append(group_ids.setdefault(key, len(group_ids)))
        count = len(lengths)
        avg = (sum(lengths) / count) if count else 1.0
        norms = [_K1 * (1.0 - _B + _B * length / avg) for length in lengths]
        # One int object per entry, allocated together and shared by every
        # posting: this keeps the dictionary merges of a search cache-friendly.
        ids = list(range(count))
        postings: dict[str, dict[int, float]] = {}
        for term, docs in frequencies.items():
            idf = math.log(1.0 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            postings[term] = {
                ids[doc]: idf * tf * (_K1 + 1.0) / (tf + norms[doc]) for doc, tf in docs
            }
        return cls(postings, groups, list(group_ids), summaries)

    def __len__(self) -> int:
        return len(self._groups)

    def _boost(self, score: float, doc: int, query: _Query) -> float:
        """``score`` times the method-hint and collection multipliers that apply."""
        method, collection = self._group_keys[self._groups[doc]]
        if query.hinted and method in query.hinted:
            score *= _METHOD_BOOST
        if query.wants_list and collection:
            score *= _COLLECTION_BOOST
        return score

    def _head_candidates(self, query: _Query, depth: int) -> list[int]:
        """Entries that may be among the ``depth`` best by boosted rounded score.

        A superset of them, found with sums of the contributions in any order
        (exact but for float error, which the bounds allow for). Terms are
        merged highest peak contribution first. Once the terms left could add
        at most ``rest`` to any entry, and ``rest`` times the largest multiplier
        falls below the depth-th best sum so far (which is at most the
        depth-th best boosted score) by more than rounding, no entry those
        terms alone match can reach the head: they are then only looked up for
        the entries kept.
        """
        order = sorted(
            (t for t in query.terms if t in self._postings),
            key=lambda term: -self._peaks[term],
        )
        peaks = [self._peaks[t] for t in order]
        table = [
            (_METHOD_BOOST if query.hinted and method in query.hinted else 1.0)
            * (_COLLECTION_BOOST if query.wants_list and collection else 1.0)
            for method, collection in self._group_keys
        ]
        most = max(table, default=1.0)
        partial: dict[int, float] = {}
        floor: float | None = None
        merged, rest = len(order), 0.0
        for i, term in enumerate(order):
            contributions = self._postings[term]
            if not partial:
                partial = dict(contributions)
            else:
                shared = list(partial.keys() & contributions.keys())
                sums = list(
                    map(
                        add,
                        map(partial.__getitem__, shared),
                        map(contributions.__getitem__, shared),
                    )
                )
                partial.update(contributions)
                partial.update(zip(shared, sums, strict=True))
            rest = sum(peaks[i + 1 :]) * (1.0 + 1e-9)
            # The depth-th best sum is at most the sum of the merged peaks.
            if (
                not rest
                or len(partial) <= depth
                or _lower(sum(peaks[: i + 1]) * (1.0 + 1e-9), most) <= rest
            ):
                continue
            floor = heapq.nlargest(depth, partial.values())[-1]
            if _lower(floor, most) > rest:
                merged = i + 1
                break
            floor = None
        if len(partial) <= depth:
            return list(partial)
        if floor is None:
            rest = 0.0
            floor = heapq.nlargest(depth, partial.values())[-1]
        least = _lower(floor, most) - rest
        docs = [doc for doc, score in partial.items() if score >= least]
        if len(docs) <= depth:
            return docs
        # The kept entries' full sums, times each entry's own multiplier.
        scores = list(map(partial.__getitem__, docs))
        for term in order[merged:]:
            found = map(self._postings[term].get, docs, repeat(0.0))
            scores = list(map(add, scores, found))
        factors = map(table.__getitem__, map(self._groups.__getitem__, docs))
        boosted = list(map(mul, scores, factors))
        least = _lower(heapq.nlargest(depth, boosted)[-1], 1.0)
        return [doc for doc, value in zip(docs, boosted, strict=True) if value >= least]

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """The ``limit`` entries most relevant to ``query``, best first; ties keep input order."""
        if limit <= 0:
            return []
        analysed = _analyse(query)
        depth = max(limit * 5, _RERANK_DEPTH)
        columns = [self._postings[t] for t in analysed.terms if t in self._postings]
        ranked = []
        for doc in self._head_candidates(analysed, depth):
            # The BM25 score: the terms' contributions added in query order.
            score = 0.0
            for contributions in columns:
                contribution = contributions.get(doc)
                if contribution is not None:
                    score += contribution
            ranked.append((-round(self._boost(score, doc, analysed), 6), doc))
        # Re-rank the head by how much of each summary the query covers.
        head = heapq.nsmallest(depth, ranked)
        wanted = analysed.wanted
        reranked = []
        for negative, doc in head:
            summary = self._summaries[doc]
            shared = len(summary & wanted)
            coverage = (
                (shared / len(summary) + shared / len(wanted)) / 2 if summary else 0.0
            )
            reranked.append(
                (round(negative * (1.0 + _COVERAGE_BONUS * coverage), 6), doc)
            )
        reranked.sort()
        return [
            SearchHit(index=doc, score=-negative) for negative, doc in reranked[:limit]
        ]


def rank(
    entries: Sequence[CatalogEntry], query: str, limit: int = 10
) -> list[SearchHit]:
    """The ``limit`` entries most relevant to ``query``, best first; ties keep input order.

    A one-shot :meth:`SearchIndex.build` plus :meth:`SearchIndex.search`;
    cache a :class:`SearchIndex` to search the same entries repeatedly.
    """
    return SearchIndex.build(entries).search(query, limit)
