"""Ranked search: relevance on GitHub's REST catalog, determinism, tokenization."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chapi.catalog import SearchIndex, hit_rates, rank, tokenize

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Row:
    """A catalog row as search reads it."""

    method: str
    path: str
    summary: str
    operation_id: str | None = None
    tags: list[str] = field(default_factory=list)


def _github_rows() -> list[Row]:
    raw = json.loads((DATA / "github_catalog.json").read_text())
    return [Row(**row) for row in raw]


def _queries() -> list[dict[str, str]]:
    return list(json.loads((DATA / "search_queries.json").read_text())["queries"])


@pytest.fixture(scope="module")
def github() -> tuple[list[Row], SearchIndex]:
    """GitHub's catalog and its index, built once."""
    rows = _github_rows()
    return rows, SearchIndex.build(rows)


def test_labelled_set_is_large_enough() -> None:
    """The relevance set has at least 30 queries, each naming a real endpoint."""
    keys = {f"{r.method} {r.path}" for r in _github_rows()}

    queries = _queries()

    assert len(queries) >= 30
    assert all(q["expected"] in keys for q in queries)


def test_relevance_floor(github: tuple[list[Row], SearchIndex]) -> None:
    """Hit rate at 5 is at least 0.9 and at 1 at least 0.8 on the labelled set."""
    rows, index = github

    figures = hit_rates(index, rows, _queries())

    assert figures.queries == len(_queries())
    assert figures.at_5 >= 0.9, figures.missed
    assert figures.at_1 >= 0.8


def test_hit_rates_count_first_and_top_five() -> None:
    """A query answered first counts at 1 and 5, a miss at neither."""
    rows = [Row("GET", "/pets", "List pets"), Row("POST", "/pets", "Create a pet")]
    index = SearchIndex.build(rows)
    labelled = [
        {"query": "list pets", "expected": "GET /pets"},
        {"query": "create a pet", "expected": "GET /pets"},
        {"query": "weather forecast", "expected": "POST /pets"},
    ]

    figures = hit_rates(index, rows, labelled)

    assert (figures.queries, figures.at_1) == (3, 1 / 3)
    assert figures.at_5 == 2 / 3
    assert figures.missed == ("weather forecast",)


def test_user_repositories_first(github: tuple[list[Row], SearchIndex]) -> None:
    """'list repositories for a user' finds GET /users/{username}/repos first."""
    rows, index = github

    best = rows[index.search("list repositories for a user", 1)[0].index]

    assert (best.method, best.path) == ("GET", "/users/{username}/repos")


def test_method_hint_prefers_delete(github: tuple[list[Row], SearchIndex]) -> None:
    """A 'remove' request ranks a DELETE endpoint first."""
    rows, index = github

    best = rows[index.search("remove a collaborator", 1)[0].index]

    assert best.method == "DELETE"


def test_rank_matches_index_and_is_deterministic() -> None:
    """rank() equals SearchIndex.search and gives the same hits every time."""
    rows = _github_rows()[:300]

    first = rank(rows, "create a gist comment", 10)
    second = SearchIndex.build(rows).search("create a gist comment", 10)

    assert first == second
    assert [h.score for h in first] == sorted((h.score for h in first), reverse=True)


def test_ties_keep_input_order() -> None:
    """Identical entries score the same and come back in input order."""
    rows = [Row("GET", "/pets", "List pets")] * 3

    hits = rank(rows, "list pets")

    assert [h.index for h in hits] == [0, 1, 2]


def test_no_match_and_empty_query() -> None:
    """Queries with no known word, or nothing but stop words, find nothing."""
    rows = [Row("GET", "/pets", "List pets")]

    assert rank(rows, "zebra") == []
    assert rank(rows, "the of a") == []
    assert rank([], "pets") == []


def test_tokenize_paths_and_identifiers() -> None:
    """Paths, camelCase and snake_case split into stemmed words; abbreviations expand."""
    assert tokenize("/users/{username}/repos") == ["user", "usernam", "repositori"]
    assert tokenize("listPetsByOwner") == ["list", "pet", "owner"]
    assert tokenize("get_org_members") == ["get", "organiz", "member"]
    assert tokenize("HTTPServerError") == ["http", "server", "error"]


def test_operation_id_and_tags_are_searched() -> None:
    """Words only in operationId or tags still find the entry."""
    rows = [
        Row("GET", "/a", "One", operation_id="fetchInventory"),
        Row("GET", "/b", "Two", tags=["billing"]),
    ]

    assert [h.index for h in rank(rows, "inventory")] == [0]
    assert [h.index for h in rank(rows, "billing")] == [1]
