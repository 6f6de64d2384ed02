"""Other rankers for the catalog, measured against chapi's ``SearchIndex``.

Each engine indexes the same rows (method, path, summary, operationId, tags)
and answers ``search(query, limit)`` with row positions, best first, so that
relevance and latency can be compared like with like:

- :class:`Fts5Engine`: SQLite FTS5 (``porter`` over ``unicode61``) ranked by
  ``bm25()``, with or without column weights.
- :class:`PostgresEngine`: PostgreSQL ``to_tsvector('english', ...)`` in a GIN
  index ranked by ``ts_rank_cd``, with or without ``setweight`` classes.
- :class:`Bm25sEngine`: the ``bm25s`` package fed chapi's own tokens
  (``chapi.catalog.tokenize``), with or without field weights.

Queries become an OR of the query's words, each quoted for the engine's
syntax, so no input can change the query's structure. Ties are broken by row
position, as in chapi.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

import sqlalchemy as sa

from chapi.catalog import tokenize
from chapi.catalog.search import CatalogEntry

__all__ = [
    "Bm25sEngine",
    "Engine",
    "Fts5Engine",
    "PostgresEngine",
    "fts5_match",
    "tsquery_text",
]

_WORD = re.compile(r"\w+")

# chapi's field weights (summary 3, path 2, operationId 1.5, tags 1, method 0.5).
_WEIGHTS = {
    "method": 0.5,
    "path": 2.0,
    "summary": 3.0,
    "operation_id": 1.5,
    "tags": 1.0,
}
_COLUMNS = tuple(_WEIGHTS)


class Engine(Protocol):
    """A ranker: row positions for a query, best first."""

    name: str

    def search(self, query: str, limit: int) -> list[int]: ...


def _fields(row: CatalogEntry) -> tuple[str, str, str, str, str]:
    return (
        row.method,
        row.path,
        row.summary or "",
        row.operation_id or "",
        " ".join(row.tags or ()),
    )


def _query_words(query: str) -> list[str]:
    return list(dict.fromkeys(w.lower() for w in _WORD.findall(query)))


def fts5_match(query: str) -> str:
    """An FTS5 MATCH expression: the query's words as quoted strings joined by OR.

    Inside an FTS5 string a double quote is written twice; nothing else is
    special there, so operators, column filters and ``*`` in the input stay
    plain text. Empty when the query has no word.
    """
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in _query_words(query))


def tsquery_text(query: str) -> str:
    """Text for ``to_tsquery``: the query's words as quoted lexemes joined by ``|``.

    Inside a quoted tsquery lexeme a quote is doubled and a backslash escaped,
    so ``&``, ``!``, ``:*`` and ``<->`` in the input stay plain text. Words
    that are stop words drop out of the resulting tsquery.
    """
    quoted = (
        "'" + w.replace("\\", "\\\\").replace("'", "''") + "'"
        for w in _query_words(query)
    )
    return " | ".join(quoted)


class Fts5Engine:
    """SQLite FTS5 ranked by ``bm25()``; ``weighted`` uses chapi's field weights."""

    def __init__(self, rows: Sequence[CatalogEntry], *, weighted: bool = False) -> None:
        self.name = "SQLite FTS5 bm25()" + (" weighted" if weighted else "")
        self._db = sqlite3.connect(":memory:")
        columns = ", ".join(_COLUMNS)
        self._db.execute(
            f"CREATE VIRTUAL TABLE ops USING fts5({columns}, tokenize='porter unicode61')"
        )
        self._db.executemany(
            "INSERT INTO ops(rowid, method, path, summary, operation_id, tags) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            ((i, *_fields(row)) for i, row in enumerate(rows)),
        )
        self._db.commit()
        weights = ", ".join(str(_WEIGHTS[c]) for c in _COLUMNS) if weighted else ""
        rank = f"bm25(ops, {weights})" if weighted else "bm25(ops)"
        # bm25() is lower for better matches.
        self._sql = (
            f"SELECT rowid FROM ops WHERE ops MATCH ? ORDER BY {rank}, rowid LIMIT ?"
        )

    def search(self, query: str, limit: int) -> list[int]:
        """CatalogEntry positions of the best ``limit`` matches."""
        match = fts5_match(query)
        if not match:
            return []
        return [r[0] for r in self._db.execute(self._sql, (match, limit))]

    def close(self) -> None:
        """Close the in-memory database."""
        self._db.close()


_PG_WORDS = "regexp_replace({}, '[^[:alnum:]]+', ' ', 'g')"


class PostgresEngine:
    """PostgreSQL full-text search over a GIN index, ranked by ``ts_rank_cd`` or ``ts_rank``.

    Paths and operationIds have their punctuation turned into spaces before
    ``to_tsvector``: the default parser otherwise keeps ``/users/{username}/repos``
    as file-path tokens and ``repos/list-for-user`` as one word. ``weighted``
    ranks a ``setweight`` document (summary A, path B, operationId C, tags and
    method D) with the rank function's default class weights; otherwise the
    fields are one unweighted document. ``normalization`` is the rank
    function's bit mask (0: none, 1: divide by 1 + log of the document length,
    2: divide by the document length).
    """

    def __init__(
        self,
        url: sa.URL,
        rows: Sequence[CatalogEntry],
        *,
        weighted: bool = False,
        rank: str = "ts_rank_cd",
        normalization: int = 0,
    ) -> None:
        if rank not in ("ts_rank", "ts_rank_cd") or not 0 <= normalization <= 63:
            raise ValueError(f"unknown ranking {rank}/{normalization}")
        self.name = f"PostgreSQL {rank}" + (
            f"/{normalization}" if normalization else ""
        )
        self.name += " weighted" if weighted else ""
        self._engine = sa.create_engine(url)
        path = _PG_WORDS.format("path")
        op_id = _PG_WORDS.format("operation_id")
        if weighted:
            document = (
                "setweight(to_tsvector('english', summary), 'A') || "
                f"setweight(to_tsvector('english', {path}), 'B') || "
                f"setweight(to_tsvector('english', {op_id}), 'C') || "
                "setweight(to_tsvector('english', tags || ' ' || method), 'D')"
            )
        else:
            document = (
                "to_tsvector('english', method || ' ' || "
                f"{path} || ' ' || summary || ' ' || {op_id} || ' ' || tags)"
            )
        with self._engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS ops")
            conn.exec_driver_sql(
                "CREATE TABLE ops (id integer PRIMARY KEY, method text NOT NULL, "
                "path text NOT NULL, summary text NOT NULL, operation_id text NOT NULL, "
                "tags text NOT NULL, "
                f"doc tsvector GENERATED ALWAYS AS ({document}) STORED)"
            )
            conn.execute(
                sa.text(
                    "INSERT INTO ops (id, method, path, summary, operation_id, tags) "
                    "VALUES (:id, :method, :path, :summary, :operation_id, :tags)"
                ),
                [
                    dict(zip(("id", *_COLUMNS), (i, *_fields(row)), strict=True))
                    for i, row in enumerate(rows)
                ],
            )
            conn.exec_driver_sql("CREATE INDEX ops_doc ON ops USING gin (doc)")
            conn.exec_driver_sql("ANALYZE ops")
        self._sql = sa.text(
            "SELECT id FROM ops, to_tsquery('english', :q) AS q WHERE doc @@ q "
            f"ORDER BY {rank}(doc, q, {int(normalization)}) DESC, id LIMIT :limit"
        )
        self._conn = self._engine.connect()

    def search(self, query: str, limit: int) -> list[int]:
        """CatalogEntry positions of the best ``limit`` matches."""
        text = tsquery_text(query)
        if not text:
            return []
        return [
            r[0] for r in self._conn.execute(self._sql, {"q": text, "limit": limit})
        ]

    def close(self) -> None:
        """Drop the connection and the engine."""
        self._conn.close()
        self._engine.dispose()


class Bm25sEngine:
    """The ``bm25s`` package (Lucene BM25, ``k1 = 1.2``, ``b = 0.75``) over chapi's tokens.

    ``weighted`` repeats each field's tokens in proportion to chapi's field
    weights (summary 6, path 4, operationId 3, tags 2, method 1), the nearest a
    single-field BM25 comes to weighted fields.
    """

    def __init__(self, rows: Sequence[CatalogEntry], *, weighted: bool = False) -> None:
        import bm25s  # type: ignore[import-untyped]

        self.name = "bm25s, chapi tokens" + (" weighted" if weighted else "")
        corpus: list[list[str]] = []
        for row in rows:
            tokens: list[str] = []
            for column, text in zip(_COLUMNS, _fields(row), strict=True):
                repeat = round(_WEIGHTS[column] * 2) if weighted else 1
                tokens.extend(tokenize(text) * repeat)
            corpus.append(tokens)
        self._model: Any = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        self._model.index(corpus, show_progress=False)
        self._vocab: dict[str, int] = self._model.vocab_dict
        self._count = len(corpus)

    def search(self, query: str, limit: int) -> list[int]:
        """CatalogEntry positions of the best ``limit`` matches (rows scoring above zero)."""
        terms = [t for t in dict.fromkeys(tokenize(query)) if t in self._vocab]
        if not terms:
            return []
        import numpy as np

        scores = self._model.get_scores_from_ids([self._vocab[t] for t in terms])
        k = min(limit, self._count)
        if k <= 0:
            return []
        # The k highest scores (all rows tied with the k-th kept), then ordered
        # by score, ties by row position.
        floor = np.partition(scores, self._count - k)[self._count - k]
        candidates = np.nonzero((scores >= floor) & (scores > 0))[0]
        order = candidates[np.lexsort((candidates, -scores[candidates]))]
        return [int(i) for i in order[:k]]
