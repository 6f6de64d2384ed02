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

Known shortcomings: no synonyms beyond the abbreviation table, no phrase or
proximity scoring, English stemming only.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

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


class SearchIndex:
    """An inverted BM25 index over catalog entries; build once, search many times.

    Build with :meth:`build`; hit indexes refer to positions in the entries given.
    The index holds no reference to the entries themselves.
    """

    def __init__(
        self,
        postings: dict[str, list[tuple[int, float]]],
        lengths: list[float],
        methods: list[str],
        collection: list[bool],
        summaries: list[frozenset[str]],
    ) -> None:
        self._summaries = summaries
        self._postings = postings
        self._lengths = lengths
        self._methods = methods
        self._collection = collection
        count = len(lengths)
        self._avg = (sum(lengths) / count) if count else 1.0
        self._idf = {
            term: math.log(1.0 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            for term, docs in postings.items()
        }

    @classmethod
    def build(cls, entries: Iterable[CatalogEntry]) -> SearchIndex:
        """Index ``entries`` (any objects with the :class:`CatalogEntry` attributes)."""
        postings: dict[str, list[tuple[int, float]]] = {}
        lengths: list[float] = []
        methods: list[str] = []
        collection: list[bool] = []
        summaries: list[frozenset[str]] = []
        for i, entry in enumerate(entries):
            weights: dict[str, float] = {}
            for name, text in _entry_fields(entry).items():
                weight = _FIELD_WEIGHTS[name]
                for term in tokenize(text):
                    weights[term] = weights.get(term, 0.0) + weight
            for term, tf in weights.items():
                postings.setdefault(term, []).append((i, tf))
            lengths.append(sum(weights.values()))
            methods.append(str(entry.method or "").upper())
            collection.append(not (entry.path or "").rstrip("/").endswith("}"))
            summaries.append(frozenset(tokenize(entry.summary or "")))
        return cls(postings, lengths, methods, collection, summaries)

    def __len__(self) -> int:
        return len(self._lengths)

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """The ``limit`` entries most relevant to ``query``, best first; ties keep input order."""
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
                norm = _K1 * (1.0 - _B + _B * lengths[doc] / avg)
                scores[doc] = scores.get(doc, 0.0) + idf * tf * (_K1 + 1.0) / (
                    tf + norm
                )
        ranked: list[tuple[float, int]] = []
        for doc, score in scores.items():
            if hinted and self._methods[doc] in hinted:
                score *= _METHOD_BOOST
            if wants_list and self._collection[doc]:
                score *= _COLLECTION_BOOST
            ranked.append((-round(score, 6), doc))
        # Re-rank the head by how much of each summary the query covers.
        head = heapq.nsmallest(max(limit * 5, _RERANK_DEPTH), ranked)
        wanted = set(terms)
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
            SearchHit(index=doc, score=-negative)
            for negative, doc in reranked[: max(limit, 0)]
        ]


def rank(
    entries: Sequence[CatalogEntry], query: str, limit: int = 10
) -> list[SearchHit]:
    """The ``limit`` entries most relevant to ``query``, best first; ties keep input order.

    A one-shot :meth:`SearchIndex.build` plus :meth:`SearchIndex.search`;
    cache a :class:`SearchIndex` to search the same entries repeatedly.
    """
    return SearchIndex.build(entries).search(query, limit)
