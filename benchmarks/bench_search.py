"""Search latency over a 100,000-endpoint catalog, relevance, and other rankers.

The catalog is GitHub's REST operations (``tests/data/github_catalog.json``)
replicated with varied path prefixes (``/v{n}/...``) until it holds
``size`` entries. Reports index build time and p50/p99 latency of
``SearchIndex.search`` over the labelled queries, and, as a reference measured
in the same run, the latency of a plain linear scan that only counts shared
words (the ranking chapi started with).

It then measures relevance: the labelled queries of
``tests/data/search_queries.json`` against GitHub's REST description as
chapi imports it today (``prepare_import`` of ``api.github.com.json``, fetched
by ``benchmarks/_data.py``), with the hit rate at 1 and at 5 and the queries
not answered first; and checks that the stored test catalog
(``tests/data/github_catalog.json``) still holds the same rows.

Finally, in the same run, it measures the rankers chapi could use instead of
its own (``benchmarks/_search_engines.py``): SQLite FTS5 ``bm25()``,
PostgreSQL full-text search over a GIN index (in a temporary database on the
server of ``benchmarks/_pg.py``) and the ``bm25s`` package fed chapi's tokens,
each in its plain form and in its best-scoring tuning found (field weights;
for PostgreSQL also length normalization and ``ts_rank``). Each gets the same labelled queries over
the same imported operations (hit rates at 1 and 5) and the same queries over
the same 100,000-entry catalog (build time, p50/p99 latency at limit 10).

Run with ``python -m benchmarks.bench_search [--no-relevance]
[--no-alternatives] [--rounds N] [--alternative-rounds N]``; ``bm25s`` comes
with the ``bench`` extra. In the comparison every ranker, chapi's included,
is timed over the same searches (``--alternative-rounds``, default 2, rounds
of the labelled queries; chapi's are the first of its ``--rounds``).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chapi.catalog import SearchIndex, hit_rates

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


@dataclass(frozen=True)
class _Row:
    method: str
    path: str
    summary: str
    operation_id: str | None = None
    tags: list[str] = field(default_factory=list)


def synthesize(size: int = 100_000) -> list[_Row]:
    """GitHub's rows replicated under varied prefixes up to ``size`` entries."""
    base = json.loads((DATA / "github_catalog.json").read_text())
    rows: list[_Row] = []
    copy = 0
    while len(rows) < size:
        for row in base:
            if len(rows) >= size:
                break
            prefix = f"/v{copy}" if copy else ""
            op_id = row["operation_id"]
            rows.append(
                _Row(
                    method=row["method"],
                    path=prefix + row["path"],
                    summary=row["summary"],
                    operation_id=f"{op_id}-{copy}" if op_id else None,
                    tags=list(row["tags"]),
                )
            )
        copy += 1
    return rows


_WORD = re.compile(r"[a-z0-9]+")


def _overlap_scan(rows: list[_Row], query: str, limit: int) -> list[int]:
    wanted = set(_WORD.findall(query.lower()))
    scored = []
    for i, row in enumerate(rows):
        text = f"{row.method} {row.path} {row.summary} {row.operation_id or ''}"
        score = len(wanted & set(_WORD.findall(text.lower())))
        if score:
            scored.append((-score, i))
    scored.sort()
    return [i for _, i in scored[:limit]]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _labelled() -> list[dict[str, str]]:
    queries: list[dict[str, str]] = json.loads(
        (DATA / "search_queries.json").read_text()
    )["queries"]
    return queries


def _latencies(
    search: Callable[[str, int], object], queries: Sequence[str], rounds: int
) -> list[float]:
    """Milliseconds of each ``search(query, 10)``, every query ``rounds`` times."""
    latencies = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            search(query, 10)
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def measure(
    size: int = 100_000, rounds: int = 5, rows: list[_Row] | None = None
) -> dict[str, Any]:
    """Index build time and search latency percentiles, in milliseconds."""
    rows = synthesize(size) if rows is None else rows
    queries = [q["query"] for q in _labelled()]

    start = time.perf_counter()
    index = SearchIndex.build(rows)
    build_s = time.perf_counter() - start

    latencies = _latencies(index.search, queries, rounds)
    scans = []
    for query in queries[:10]:
        start = time.perf_counter()
        _overlap_scan(rows, query, 10)
        scans.append((time.perf_counter() - start) * 1000)

    return {
        "entries": len(rows),
        "queries": len(latencies),
        "build_s": build_s,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "latencies_ms": latencies,
        "scan_p50_ms": statistics.median(scans),
    }


def imported_rows() -> list[_Row]:
    """The catalog rows of GitHub's REST description as chapi imports it."""
    from benchmarks._data import github_spec_path
    from chapi.specs import prepare_import

    return [
        _Row(r["method"], r["path"], r["summary"], r["operation_id"], r["tags"])
        for r in prepare_import(github_spec_path()).rows
    ]


def relevance(imported: list[_Row]) -> tuple[float, float]:
    """Print hit rates at 1 and 5 of the labelled set over GitHub's imported description."""
    labelled = _labelled()
    stored = [_Row(**r) for r in json.loads((DATA / "github_catalog.json").read_text())]
    index = SearchIndex.build(imported)
    figures = hit_rates(index, imported, labelled)
    by_query = {q["query"]: q["expected"] for q in labelled}
    first = {
        q: f"{imported[h[0].index].method} {imported[h[0].index].path}" if h else "-"
        for q in by_query
        for h in [index.search(q, 1)]
    }
    print(
        f"relevance: {figures.queries} labelled queries over {len(imported)} operations "
        f"of api.github.com.json: hit@1 {figures.at_1:.3f} "
        f"({round(figures.at_1 * figures.queries)}), hit@5 {figures.at_5:.3f} "
        f"({round(figures.at_5 * figures.queries)})"
    )
    for query, expected in by_query.items():
        if first[query] != expected:
            print(f"  not first: {query!r}: got {first[query]}, labelled {expected}")
    same = {(r.method, r.path, r.summary) for r in stored} == {
        (r.method, r.path, r.summary) for r in imported
    }
    print(f"tests/data/github_catalog.json matches the import: {same}")
    return figures.at_1, figures.at_5


def _hits(
    search: Callable[[str, int], list[int]],
    rows: Sequence[_Row],
    labelled: Sequence[dict[str, str]],
) -> tuple[int, int]:
    """How many labelled queries a ranker answers first, and within five."""
    first = top5 = 0
    for item in labelled:
        keys = [f"{rows[i].method} {rows[i].path}" for i in search(item["query"], 5)]
        first += bool(keys) and keys[0] == item["expected"]
        top5 += item["expected"] in keys
    return first, top5


@dataclass
class _Line:
    """One ranker's row of the comparison table."""

    name: str
    first: int | None = None
    top5: int | None = None
    build_s: float | None = None
    latencies: list[float] = field(default_factory=list)


# (kind, options): the plain form of each ranker, then its best-scoring tuning.
_ALTERNATIVES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("fts5", {}),
    ("fts5", {"weighted": True}),
    ("pg", {}),
    ("pg", {"weighted": True, "normalization": 2}),
    ("pg", {"weighted": True, "rank": "ts_rank", "normalization": 1}),
    ("bm25s", {}),
    ("bm25s", {"weighted": True}),
)


def _build(kind: str, options: dict[str, Any], rows: Sequence[_Row], url: Any) -> Any:
    from benchmarks._search_engines import Bm25sEngine, Fts5Engine, PostgresEngine

    if kind == "fts5":
        return Fts5Engine(rows, **options)
    if kind == "pg":
        return PostgresEngine(url, rows, **options)
    return Bm25sEngine(rows, **options)


def _close(engine: Any) -> None:
    close = getattr(engine, "close", None)
    if close is not None:
        close()


def _has_bm25s() -> bool:
    try:
        import bm25s  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def _postgres() -> Iterator[Any | None]:
    """A temporary database's URL, or None (with a note) when the server is not reachable."""
    import sqlalchemy as sa

    from benchmarks._pg import PG_ADMIN, temporary_database

    database = temporary_database()
    try:
        url = database.__enter__()
    except sa.exc.OperationalError as exc:
        print(
            f"PostgreSQL at {PG_ADMIN} not reachable, its rankers skipped: {exc.orig}"
        )
        yield None
        return
    try:
        yield url
    finally:
        database.__exit__(None, None, None)


def alternatives(
    imported: list[_Row] | None,
    catalog: list[_Row],
    chapi_line: _Line,
    rounds: int,
) -> None:
    """Print relevance and latency of the alternative rankers beside chapi's.

    Relevance is over ``imported`` (skipped when None), latency over ``catalog``.
    """
    labelled = _labelled()
    queries = [q["query"] for q in labelled]
    lines = [chapi_line]
    if not _has_bm25s():
        print("bm25s is not installed (pip install -e '.[bench]'); its rankers skipped")
    with _postgres() as url:
        for kind, options in _ALTERNATIVES:
            if (kind == "pg" and url is None) or (kind == "bm25s" and not _has_bm25s()):
                continue
            line = _Line(name="")
            if imported is not None:
                engine = _build(kind, options, imported, url)
                line.first, line.top5 = _hits(engine.search, imported, labelled)
                _close(engine)
            start = time.perf_counter()
            engine = _build(kind, options, catalog, url)
            line.build_s = time.perf_counter() - start
            line.name = engine.name
            line.latencies = _latencies(engine.search, queries, rounds)
            _close(engine)
            lines.append(line)

    count = len(labelled)
    print(
        f"rankers compared: relevance over the {count} labelled queries and "
        f"{len(imported or [])} imported operations; build and latency over "
        f"{len(catalog)} entries, {rounds * count} searches at limit 10 each"
    )
    print(
        f"  {'ranker':<34} {'hit@1':>12} {'hit@5':>12} {'build':>9} "
        f"{'p50':>10} {'p99':>10}"
    )
    for line in lines:
        at_1 = (
            f"{line.first / count:.3f} ({line.first})"
            if line.first is not None
            else "-"
        )
        at_5 = (
            f"{line.top5 / count:.3f} ({line.top5})" if line.top5 is not None else "-"
        )
        print(
            f"  {line.name:<34} {at_1:>12} {at_5:>12} {line.build_s or 0:>7.2f} s "
            f"{_percentile(line.latencies, 0.50):>7.1f} ms "
            f"{_percentile(line.latencies, 0.99):>7.1f} ms"
        )


def main(argv: list[str] | None = None) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_search")
    parser.add_argument("--no-relevance", action="store_true")
    parser.add_argument("--no-alternatives", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds of the queries for SearchIndex"
    )
    parser.add_argument(
        "--alternative-rounds",
        type=int,
        default=2,
        help="rounds of the queries for every ranker in the comparison",
    )
    args = parser.parse_args(argv)

    catalog = synthesize()
    figures = measure(rounds=args.rounds, rows=catalog)
    print(
        f"catalog: {figures['entries']} entries; index built in {figures['build_s']:.2f} s"
    )
    print(
        f"SearchIndex.search over {figures['queries']} queries: "
        f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
    )
    print(
        f"reference linear word-overlap scan: p50 {figures['scan_p50_ms']:.1f} ms "
        f"(ratio {figures['scan_p50_ms'] / figures['p50_ms']:.1f}x)"
    )
    chapi_line = _Line(
        "chapi SearchIndex",
        build_s=figures["build_s"],
        latencies=figures["latencies_ms"][: args.alternative_rounds * len(_labelled())],
    )
    imported = None
    if not args.no_relevance:
        imported = imported_rows()
        at_1, at_5 = relevance(imported)
        count = len(_labelled())
        chapi_line.first, chapi_line.top5 = round(at_1 * count), round(at_5 * count)
    if not args.no_alternatives:
        alternatives(imported, catalog, chapi_line, args.alternative_rounds)


if __name__ == "__main__":
    main()
