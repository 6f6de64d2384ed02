"""How a run result shows in a notebook and a console: escaped, masked, complete."""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path

import pytest

from chapi import Chapi
from chapi.demo import DemoServer
from chapi.domain import Run, RunStatus
from chapi.runner import MASK, CaseResult
from chapi.security import generate_key
from chapi.services import RunResult
from conftest import DEMO_TOKEN

HOSTILE = "<script>alert('pwned')</script> & \"quoted\""


@pytest.fixture
def chapi(tmp_path: Path) -> Chapi:
    """The facade on an in-memory database, offline planner."""
    return Chapi("sqlite://", home=tmp_path, secret_key=generate_key(), llm=None)


def _failing_run(chapi: Chapi, demo: DemoServer) -> RunResult:
    """A real run against the demo API: one step passes, two fail, one echoes the token."""
    project = chapi.projects.create("shown")
    env = chapi.projects.add_environment(
        project.id, "local", base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )
    steps = [
        {
            "name": "health",
            "request": {"method": "GET", "path": "/health"},
            "expect": {"status": [200]},
        },
        {
            "name": HOSTILE,
            "request": {"method": "GET", "path": "/health"},
            "expect": {"status": [418]},
        },
        {
            "name": "create a pet named after the token",
            "request": {
                "method": "POST",
                "path": "/pets",
                "headers": {"Authorization": f"Bearer {DEMO_TOKEN}"},
                "json": {"name": DEMO_TOKEN},
            },
            "expect": {
                "status": [201],
                "json": [{"pointer": "/name", "type": "integer"}],
            },
        },
    ]
    pack = chapi.packs.create(
        project.id,
        {
            "tests/<b>shown</b>.json": json.dumps(
                {"jsonir": 1, "name": "x", "steps": steps}
            )
        },
        mode="json-ir",
    )
    return chapi.runs.execute(pack.id, env.id, force=True)


def test_html_shows_status_counts_and_failed_cases_escaped_and_masked(
    chapi: Chapi, demo: DemoServer
) -> None:
    """The table holds the counts and each failure; names are escaped, no token shows."""
    result = _failing_run(chapi, demo)
    assert result.status is RunStatus.FAILED
    assert [c.name for c in result.failures] == [
        HOSTILE,
        "create a pet named after the token",
    ]

    shown = result._repr_html_()

    assert "<script>" not in shown
    assert html.escape(HOSTILE) in shown
    assert "&lt;b&gt;shown&lt;/b&gt;" in shown and "<b>shown</b>" not in shown
    assert DEMO_TOKEN not in shown
    assert DEMO_TOKEN not in repr(result) + str(result)
    cells = re.findall(r"<td>(.*?)</td>", shown)
    assert cells[:7] == ["failed", "3", "1", "2", "0", "0", cells[6]]
    assert cells[6].endswith(" s")
    assert shown.count("<tr>") == 2 + 1 + len(result.failures)
    assert "health</td>" not in shown  # the passed case is not listed
    # the echoed token was masked when the run recorded it
    assert any(MASK in c.message for c in result.failures)


def _result(cases: list[CaseResult], reason: str | None = None) -> RunResult:
    run = Run(project_id=uuid.uuid4(), env_id=uuid.uuid4())
    run.start()
    failed = sum(c.outcome == "failed" for c in cases)
    run.finish(
        passed=False,
        now=run.created_at,
        summary={"total": len(cases), "passed": 0, "failed": failed, "errors": 0},
    )
    return RunResult(run=run, results=cases, reason=reason)


def test_html_and_repr_mask_credentials_by_name_once_more() -> None:
    """URL userinfo, credential query parameters and JSON members never show."""
    leaked = [
        "https://user:hunter2-Pass@api.example.test/x?api_key=QWERTY-9876",
        '{"password": "s3cret-Value-42"}',
    ]
    cases = [
        CaseResult(file="t.json", name=f"case {i}", outcome="failed", message=text)
        for i, text in enumerate(leaked)
    ]
    result = _result(cases, reason="crashed: GET /x?token=ZXCV-5555")

    shown = result._repr_html_() + repr(result)

    for needle in ("hunter2-Pass", "QWERTY-9876", "s3cret-Value-42"):
        assert needle not in shown, needle
    assert "ZXCV-5555" not in shown
    assert "stopped early: crashed: GET /x?token=***" in shown


def test_html_caps_long_lists_and_messages() -> None:
    """Fifty failures are listed, the rest counted; a long message is cut."""
    cases = [
        CaseResult(file="t.json", name=f"case {i}", outcome="failed", message="m" * 900)
        for i in range(60)
    ]
    shown = _result(cases)._repr_html_()
    assert shown.count("<td>t.json</td>") == 50
    assert "and 10 more failed cases" in shown
    assert "m" * 301 not in shown and "m" * 300 + "…" in shown


def test_repr_is_one_line_with_id_status_counts_and_duration() -> None:
    """repr names the run and its counts; it does not dump the whole run."""
    result = _result(
        [CaseResult(file="t.json", name="a", outcome="failed", message="no")]
    )
    text = repr(result)
    assert text.startswith(f"<RunResult {result.id} failed total=1 passed=0 failed=1")
    assert "duration=-" in text
    assert "\n" not in text and "card" not in text
