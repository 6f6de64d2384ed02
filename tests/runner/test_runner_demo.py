"""A hand-written pack (json-ir and bash) passes against the demo API."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from chapi.demo import DemoServer
from chapi.runner import (
    CaseFinished,
    Event,
    FileFinished,
    PackFile,
    RunFinished,
    RunStarted,
    execute_pack,
)
from chapi.specs.model import ApiModel
from conftest import DEMO_TOKEN


def test_demo_pack_passes(
    demo: DemoServer, demo_api: ApiModel, demo_pack: list[PackFile]
) -> None:
    """Every json-ir step and TAP test of the demo pack passes."""
    events: list[Event] = []

    outcome = execute_pack(
        demo_pack,
        api=demo_api,
        base_url=demo.base_url,
        secrets={"TOKEN": DEMO_TOKEN},
        on_event=events.append,
    )

    failures = [
        (c.file, c.name, c.message) for c in outcome.results if c.outcome != "passed"
    ]
    assert failures == []
    assert outcome.passed and outcome.reason is None
    assert outcome.summary["total"] == 2 + 3 + 6 + 4 + 3 + 3
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert sum(isinstance(e, CaseFinished) for e in events) == outcome.summary["total"]
    assert sum(isinstance(e, FileFinished) for e in events) == len(demo_pack)


def test_results_keep_pack_and_step_order(
    demo: DemoServer, demo_api: ApiModel, demo_pack: list[PackFile]
) -> None:
    """Results come in pack order, then step order, whatever order files finished in."""
    outcome = execute_pack(
        demo_pack, api=demo_api, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )

    files = [c.file for c in outcome.results]
    assert files == sorted(files, key=[f.path for f in demo_pack].index)
    crud = [c.name for c in outcome.results if c.file == "tests/crud.json"]
    assert crud[0] == "create a pet" and crud[-1] == "it is gone"


def test_artifacts_are_well_formed(
    demo: DemoServer, demo_api: ApiModel, demo_pack: list[PackFile]
) -> None:
    """results.json, junit.xml, summary.md and one log per file are produced and parse."""
    outcome = execute_pack(
        demo_pack, api=demo_api, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )

    results = json.loads(outcome.artifacts["results.json"])
    root = ET.fromstring(outcome.artifacts["junit.xml"])
    assert results["version"] == 1
    assert len(results["cases"]) == outcome.summary["total"]
    assert root.tag == "testsuites"
    assert [s.get("name") for s in root.findall("testsuite")] == [
        f.path for f in demo_pack
    ]
    assert len(root.findall("testsuite/testcase")) == outcome.summary["total"]
    assert outcome.artifacts["summary.md"].startswith(f"# Run {outcome.run_id}: passed")
    assert {f"logs/{f.path}.log" for f in demo_pack} <= set(outcome.artifacts)


def test_wrong_token_fails_the_valid_cases(
    demo: DemoServer, demo_api: ApiModel, demo_pack: list[PackFile]
) -> None:
    """With a wrong TOKEN, steps expecting success fail and the run does not pass."""
    outcome = execute_pack(
        demo_pack,
        api=demo_api,
        base_url=demo.base_url,
        secrets={"TOKEN": "not-the-token"},
    )

    by_name = {(c.file, c.name): c for c in outcome.results}
    valid = by_name[("tests/auth.json", "valid token is accepted")]
    assert not outcome.passed
    assert valid.outcome == "failed" and "status 401" in valid.message
    assert by_name[("tests/auth.json", "wrong token is refused")].outcome == "passed"
    assert (
        by_name[("tests/smoke.sh", "pets list with a valid token")].outcome == "failed"
    )


def test_schema_check_reports_nonconforming_body(
    demo: DemoServer, demo_api: ApiModel
) -> None:
    """A body that breaks the documented response schema fails with the pointer named."""
    step = {
        "name": "error body checked as a pet",
        "operation": "GET /pets/{petId}",
        "request": {"method": "GET", "path": "/pets/12345"},
        "expect": {"status": [404], "schema": True},
    }
    broken = demo_api.model_copy(
        update={
            "document": {
                **demo_api.document,
                "components": {
                    **demo_api.document["components"],
                    "schemas": {
                        **demo_api.document["components"]["schemas"],
                        "Error": {"type": "object", "required": ["code"]},
                    },
                },
            }
        }
    )
    pack = [PackFile("s.json", json.dumps({"jsonir": 1, "name": "s", "steps": [step]}))]

    outcome = execute_pack(
        pack, api=broken, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )

    assert outcome.results[0].outcome == "failed"
    assert "schema /: 'code' is a required property" in outcome.results[0].message


def test_non_pack_files_are_ignored(demo: DemoServer) -> None:
    """Files that are neither .json nor .sh are not run and leave no case."""
    pack = [PackFile("README.md", "# notes"), PackFile("data.csv", "a,b")]

    outcome = execute_pack(pack, api=None, base_url=demo.base_url)

    assert outcome.results == [] and outcome.summary["total"] == 0
    assert not outcome.passed
