"""The compact endpoints context for an LLM."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from chapi.catalog import endpoint_line, endpoints_context
from chapi.specs import prepare_import

EXAMPLES = Path(__file__).resolve().parents[1] / "data/oas-examples"


@dataclass(frozen=True)
class Row:
    """A catalog row with context labels."""

    method: str
    path: str
    summary: str
    auth: str = "none"
    req_content: str = "-"
    success_content: str = "200:application/json"
    operation_id: str | None = None
    tags: list[str] = field(default_factory=list)


def _petstore_rows() -> list[Row]:
    rows = prepare_import(EXAMPLES / "3.0/petstore.json").rows
    return [Row(**row) for row in rows]


def test_line_format() -> None:
    """A line is METHOD path | auth | req | success | summary, pipes escaped."""
    row = Row(
        "POST", "/pets", "Add a pet | fast", "bearer", "application/json", "201:-"
    )

    line = endpoint_line(row)

    assert line == "POST /pets | bearer | application/json | 201:- | Add a pet / fast"


def test_without_query_lists_catalog_order() -> None:
    """With no query every entry appears once, in catalog order."""
    rows = _petstore_rows()

    text = endpoints_context(rows, max_chars=100_000)

    assert text.splitlines() == [endpoint_line(r) for r in rows]


def test_query_orders_by_relevance_and_filters() -> None:
    """With a query only matching entries appear, best first."""
    rows = _petstore_rows()

    text = endpoints_context(rows, "delete an order")

    first = text.splitlines()[0]
    assert first.startswith("DELETE /store/order/{orderId} |")
    assert "GET /pet/findByStatus |" not in text
    assert len(text.splitlines()) < len(rows)


def test_budget_never_breaks_a_line() -> None:
    """The text fits the budget and holds only whole lines."""
    rows = _petstore_rows()
    whole = {endpoint_line(r) for r in rows}

    for budget in (0, 10, 80, 333, 1000):
        text = endpoints_context(rows, max_chars=budget)

        assert len(text) <= budget
        assert all(line in whole for line in text.splitlines())


def test_deterministic() -> None:
    """The same rows and query give byte-identical text."""
    rows = _petstore_rows()

    first = endpoints_context(rows, "find pets by status", 500)
    second = endpoints_context(list(rows), "find pets by status", 500)

    assert first == second
    assert json.dumps(first) == json.dumps(second)
