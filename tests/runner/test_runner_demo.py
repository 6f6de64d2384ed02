"""A hand-written pack (json-ir and bash) passes against the demo API."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx

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
from chapi.specs import prepare_import
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


def test_schema_check_accepts_an_empty_documented_response(
    demo: DemoServer, demo_api: ApiModel
) -> None:
    """A 204 documented without a body passes a schema check; an empty 200 would not."""
    steps = [
        {
            "name": "create",
            "operation": "POST /pets",
            "request": {"method": "POST", "path": "/pets", "json": {"name": "Kit"}},
            "expect": {"status": [201], "schema": True},
            "capture": {"pet_id": "/id"},
        },
        {
            "name": "delete with a schema check",
            "operation": "DELETE /pets/{petId}",
            "request": {"method": "DELETE", "path": "/pets/{{pet_id}}"},
            "expect": {"status": [204], "schema": True},
        },
        {
            "name": "create another",
            "operation": "POST /pets",
            "request": {"method": "POST", "path": "/pets", "json": {"name": "Kat"}},
            "expect": {"status": [201]},
            "capture": {"other_id": "/id"},
        },
        {
            "name": "an empty body where JSON is asserted",
            "operation": "DELETE /pets/{petId}",
            "request": {"method": "DELETE", "path": "/pets/{{other_id}}"},
            "expect": {"status": [204], "json": [{"pointer": "/id", "exists": True}]},
        },
    ]
    pack = [PackFile("d.json", json.dumps({"jsonir": 1, "name": "d", "steps": steps}))]

    outcome = execute_pack(
        pack, api=demo_api, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )

    assert [(c.name, c.outcome, c.message) for c in outcome.results] == [
        ("create", "passed", ""),
        ("delete with a schema check", "passed", ""),
        ("create another", "passed", ""),
        (
            "an empty body where JSON is asserted",
            "failed",
            "response body is empty, JSON was expected",
        ),
    ]


_CASE_CHILDREN = {"failure", "error", "skipped", "system-out", "system-err"}


def _check_junit(root: ET.Element) -> list[str]:
    """Problems with ``root`` as the JUnit report format CI servers read.

    The rules are those shared by the Ant JUnit report that Jenkins, GitLab
    and GitHub reporters parse: a ``testsuites`` root of ``testsuite``
    elements; every suite and case named; counts and times numeric; a case
    holding at most one of failure, error or skipped, each with a
    ``message``; and the counts adding up at every level.
    """
    problems: list[str] = []

    def number(element: ET.Element, name: str, kind: type) -> float:
        value = element.get(name)
        try:
            parsed = kind(value)
        except (TypeError, ValueError):
            problems.append(
                f"<{element.tag}> {name}={value!r} is not a {kind.__name__}"
            )
            return 0
        if parsed < 0:
            problems.append(f"<{element.tag}> {name}={value!r} is negative")
        return float(parsed)

    if root.tag != "testsuites":
        return [f"root is <{root.tag}>"]
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0.0)
    for suite in root:
        if suite.tag != "testsuite" or not suite.get("name"):
            problems.append(f"unnamed or unexpected <{suite.tag}> under the root")
            continue
        seen = dict.fromkeys(totals, 0.0)
        for case in suite:
            if case.tag != "testcase":
                problems.append(f"<{case.tag}> inside a testsuite")
                continue
            if not case.get("name") or not case.get("classname"):
                problems.append("a testcase lacks name or classname")
            number(case, "time", float)
            kinds = [child.tag for child in case]
            if not set(kinds) <= _CASE_CHILDREN:
                problems.append(f"testcase children {kinds}")
            verdicts = [k for k in kinds if k in ("failure", "error", "skipped")]
            if len(verdicts) > 1:
                problems.append(f"testcase with {verdicts}")
            for child in case:
                if child.tag in ("failure", "error") and child.get("message") is None:
                    problems.append(f"<{child.tag}> without message")
            seen["tests"] += 1
            for tag, key in (
                ("failure", "failures"),
                ("error", "errors"),
                ("skipped", "skipped"),
            ):
                seen[key] += tag in verdicts
        for key in totals:
            if number(suite, key, int) != seen[key]:
                problems.append(f"suite {suite.get('name')} {key} != {seen[key]:g}")
            totals[key] += seen[key]
        number(suite, "time", float)
    for key, value in totals.items():
        if number(root, key, int) != value:
            problems.append(f"testsuites {key} != {value:g}")
    number(root, "time", float)
    return problems


def test_junit_report_has_the_structure_ci_servers_read(
    demo: DemoServer, demo_api: ApiModel, demo_pack: list[PackFile]
) -> None:
    """A run with every outcome gives a JUnit report whose structure and counts hold."""
    steps = [
        {
            "name": "create fails on purpose",
            "request": {"method": "POST", "path": "/pets", "json": {}},
            "expect": {"status": [201]},
            "capture": {"pet_id": "/id"},
        },
        {
            "name": "read <it> & check",
            "request": {"method": "GET", "path": "/pets/{{pet_id}}"},
        },
    ]
    script = "#!/usr/bin/env bash\necho 1..2\necho 'ok 1 - a # SKIP later'\necho 'not ok 2 - b'\n"
    pack = [
        *demo_pack,
        PackFile("mixed.json", json.dumps({"jsonir": 1, "name": "m", "steps": steps})),
        PackFile("broken.json", '{"jsonir": 1}'),
        PackFile("mixed.sh", script),
    ]

    outcome = execute_pack(
        pack, api=demo_api, base_url=demo.base_url, secrets={"TOKEN": DEMO_TOKEN}
    )
    text = outcome.artifacts["junit.xml"]
    root = ET.fromstring(text)

    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert _check_junit(root) == []
    assert {k: root.get(k) for k in ("failures", "errors", "skipped")} == {
        "failures": "2",
        "errors": "1",
        "skipped": "2",
    }
    names = [c.get("name") for c in root.iter("testcase")]
    assert "read <it> & check" in names


def test_junit_checker_catches_broken_reports() -> None:
    """The structure check above does fail on a report whose counts are wrong."""
    root = ET.fromstring(
        '<testsuites tests="2" failures="0" errors="0" skipped="0" time="x">'
        '<testsuite name="s" tests="1" failures="1" errors="0" skipped="0" time="0">'
        '<testcase name="c" classname="s" time="0"><failure/><skipped/></testcase>'
        "</testsuite></testsuites>"
    )

    problems = _check_junit(root)

    assert "testcase with ['failure', 'skipped']" in problems
    assert "<failure> without message" in problems
    assert "testsuites tests != 1" in problems
    assert "<testsuites> time='x' is not a float" in problems


def test_demo_serves_its_own_valid_description(demo: DemoServer) -> None:
    """/openapi.json imports strictly as 3.1 and names the running server."""
    document = httpx.get(f"{demo.base_url}/openapi.json", timeout=5).json()

    prepared = prepare_import(document, strict=True)

    assert prepared.spec_version == "3.1" and prepared.warnings == []
    assert prepared.model.servers == (demo.base_url,)
    keys = {op.key for op in prepared.model.operations}
    assert {"POST /pets", "GET /pets/{petId}", "DELETE /pets/{petId}"} <= keys
    pets = prepared.model.operation("GET /pets")
    assert pets is not None and pets.secured
