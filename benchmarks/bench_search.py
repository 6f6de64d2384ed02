"""Search latency over a 100,000-endpoint catalog.

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

Run with ``python -m benchmarks.bench_search [--no-relevance]``.
"""

from __future__ import annotations

import json
import re
import statistics
import time
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


def measure(size: int = 100_000, rounds: int = 5) -> dict[str, Any]:
    """Index build time and search latency percentiles, in milliseconds."""
    rows = synthesize(size)
    queries = [
        q["query"]
        for q in json.loads((DATA / "search_queries.json").read_text())["queries"]
    ]

    start = time.perf_counter()
    index = SearchIndex.build(rows)
    build_s = time.perf_counter() - start

    latencies = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            index.search(query, 10)
            latencies.append((time.perf_counter() - start) * 1000)
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
        "scan_p50_ms": statistics.median(scans),
    }


def relevance() -> None:
    """Print hit rates at 1 and 5 of the labelled set over GitHub's imported description."""
    from benchmarks._data import github_spec_path
    from chapi.specs import prepare_import

    labelled = json.loads((DATA / "search_queries.json").read_text())["queries"]
    imported = [
        _Row(r["method"], r["path"], r["summary"], r["operation_id"], r["tags"])
        for r in prepare_import(github_spec_path()).rows
    ]
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


def main() -> None:
    """Print the figures."""
    import sys

    figures = measure()
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
    if "--no-relevance" not in sys.argv[1:]:
        relevance()


if __name__ == "__main__":
    main()
