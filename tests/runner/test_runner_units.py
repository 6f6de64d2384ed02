"""TAP parsing, templating, credentials choice, reports and progress output."""

from __future__ import annotations

import io
import json
import sys
import types
import xml.etree.ElementTree as ET

import pytest

from chapi.runner import (
    CaseFinished,
    CaseResult,
    FileFinished,
    NotebookDisplay,
    ProgressPrinter,
    RunFinished,
    RunStarted,
    scheme_env_prefix,
    secret_names,
    summarize,
)
from chapi.runner.bash_executor import parse_tap
from chapi.runner.credentials import choose_schemes
from chapi.runner.reports import build_artifacts, junit_xml, log_path
from chapi.runner.templating import (
    MissingCaptureError,
    Template,
    compile_value,
    encode_segment,
)
from chapi.specs.model import ApiModel, Operation, SecurityScheme


def test_tap_parser_reads_plan_directives_and_diagnostics() -> None:
    """ok/not ok, SKIP, TODO, diagnostics and the plan are all understood."""
    text = "\n".join(
        [
            "TAP version 13",
            "1..5",
            "ok 1 - first",
            "not ok 2 - second",
            "# expected 200",
            "# got 500",
            "ok 3 - third # SKIP no server",
            "not ok 4 - fourth # TODO later",
            "ok 5",
        ]
    )

    report = parse_tap(text)

    assert report.planned == 5
    assert [(c.name, c.outcome) for c in report.cases] == [
        ("first", "passed"),
        ("second", "failed"),
        ("third", "skipped"),
        ("fourth", "skipped"),
        ("test 5", "passed"),
    ]
    assert report.cases[1].diagnostics == ["expected 200", "got 500"]
    assert report.cases[2].message == "skip: no server"


def test_tap_parser_notes_bail_out() -> None:
    """A Bail out! line is recorded with its reason."""
    report = parse_tap("1..3\nok 1 - a\nBail out! database down\n")

    assert report.bailed == "database down"


def test_template_fills_and_encodes_path_values() -> None:
    """Placeholders are filled; path values are percent-encoded whole."""
    template = Template("/pets/{{id}}/toys/{{ toy }}")

    rendered = template.render({"id": 7, "toy": "a/b?c"}, encode_segment)

    assert rendered == "/pets/7/toys/a%2Fb%3Fc"
    assert template.names == ("id", "toy")


def test_template_missing_value_names_the_capture() -> None:
    """A missing capture raises MissingCaptureError naming it."""
    with pytest.raises(MissingCaptureError, match="pet_id"):
        Template("/pets/{{pet_id}}").render({})


def test_compiled_json_keeps_types_of_whole_placeholders() -> None:
    """A string that is exactly one placeholder takes the captured value's type."""
    fill = compile_value(
        {"id": "{{id}}", "label": "pet {{id}}", "tags": ["{{tag}}"], "n": 1}
    )

    assert fill({"id": 3, "tag": True}) == {
        "id": 3,
        "label": "pet 3",
        "tags": [True],
        "n": 1,
    }


def test_static_json_is_returned_without_copying() -> None:
    """A value without placeholders is returned as the same object."""
    body = {"name": "Rex"}

    assert compile_value(body)({}) is body


def test_secret_names_follow_the_convention() -> None:
    """Scheme-prefixed names come first, then the plain ones."""
    bearer = SecurityScheme(name="bearerAuth", kind="bearer")
    basic = SecurityScheme(name="basic-auth", kind="basic")
    key = SecurityScheme(
        name="ApiKey", kind="apikey", location="cookie", param_name="sid"
    )

    assert scheme_env_prefix("api-key.v2") == "API_KEY_V2"
    assert secret_names(bearer) == {"token": ("BEARERAUTH_TOKEN", "TOKEN")}
    assert secret_names(basic)["password"] == ("BASIC_AUTH_PASSWORD", "PASSWORD")
    assert secret_names(key) == {"api_key": ("APIKEY_API_KEY", "API_KEY")}


def test_choose_schemes_prefers_the_alternative_with_secrets() -> None:
    """Among alternatives, the first whose secrets are all present is chosen."""
    api = ApiModel(
        spec_version="3.0",
        operations=(
            Operation(method="GET", path="/x", security=(("bearer",), ("key",))),
        ),
        security_schemes={
            "bearer": SecurityScheme(name="bearer", kind="bearer"),
            "key": SecurityScheme(
                name="key", kind="apikey", location="header", param_name="X-Key"
            ),
        },
    )
    operation = api.operation("GET /x")

    chosen = choose_schemes(api, operation, {"API_KEY": "k"})
    unsecured = choose_schemes(
        api, Operation(method="GET", path="/open"), {"TOKEN": "t"}
    )
    fallback = choose_schemes(None, None, {"TOKEN": "t"})

    assert [c.scheme.name for c in chosen] == ["key"]
    assert unsecured == []
    assert fallback[0].scheme.kind == "bearer" and fallback[0].values == {"token": "t"}


def _cases() -> list[CaseResult]:
    return [
        CaseResult("a.json", "ok step", "passed", 12.5),
        CaseResult(
            "a.json",
            "bad \x1b[31mstep\x00",
            "failed",
            3,
            "status 500 is not one of [200]",
            1,
        ),
        CaseResult("b.sh", "skipped one", "skipped", 0, "skip: later"),
        CaseResult("b.sh", "b.sh", "error", 0, "run timed out", 1),
    ]


def test_junit_is_valid_xml_with_failures_errors_and_skips() -> None:
    """junit.xml parses, escapes control characters and counts every outcome."""
    cases = _cases()
    summary = summarize(cases, duration_ms=100)

    root = ET.fromstring(junit_xml(cases, summary))

    assert root.tag == "testsuites"
    assert (
        root.get("tests"),
        root.get("failures"),
        root.get("errors"),
        root.get("skipped"),
    ) == ("4", "1", "1", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["a.json", "b.sh"]
    failure = suites[0].find("testcase[2]/failure")
    assert (
        failure is not None
        and failure.get("message") == "status 500 is not one of [200]"
    )
    assert suites[0].findall("testcase")[1].get("name") == "bad \\x1b[31mstep\\x00"
    assert suites[1].find("testcase/skipped") is not None
    assert suites[1].find("testcase[2]/error") is not None


def test_artifacts_are_deterministic() -> None:
    """The same results give byte-identical artifacts."""
    cases = _cases()
    summary = summarize(cases, duration_ms=100, reason="run timed out")

    first = build_artifacts(
        cases, summary, {"a.json": ["x"]}, run_id="r1", base_url="http://h"
    )
    second = build_artifacts(
        cases, summary, {"a.json": ["x"]}, run_id="r1", base_url="http://h"
    )

    assert first == second
    assert json.loads(first["results.json"])["summary"]["reason"] == "run timed out"
    assert "stopped early: run timed out" in first["summary.md"]


def test_log_paths_stay_inside_logs() -> None:
    """A file path with .. or odd characters gives a log path under logs/."""
    assert log_path("../../etc/passwd") == "logs/etc/passwd.log"
    assert log_path("tests/a b.json") == "logs/tests/a_b.json.log"


def test_progress_printer_writes_plain_lines_off_a_tty() -> None:
    """Without a TTY the printer writes one line per file and a final verdict."""
    stream = io.StringIO()
    printer = ProgressPrinter(stream)

    printer(RunStarted("r", 1, 2, "http://h"))
    printer(CaseFinished("r", "a.json", "one", "passed", 1.0))
    printer(CaseFinished("r", "a.json", "two", "failed", 1.0, "boom"))
    printer(FileFinished("r", "a.json", 2.0, {"passed": 1, "failed": 1}))
    printer(RunFinished("r", False, summarize([], duration_ms=2.0), None))

    lines = stream.getvalue().splitlines()
    assert lines[0] == "running 1 files against http://h"
    assert lines[1] == "a.json: 1 failed, 1 passed"
    assert lines[2].startswith("FAILED: 0 passed")


def test_progress_printer_redraws_on_a_tty() -> None:
    """On a TTY the printer redraws a bar with carriage returns."""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    printer = ProgressPrinter(stream, width=10)

    printer(RunStarted("r", 1, 2, "http://h"))
    printer(CaseFinished("r", "a.json", "one", "passed", 1.0))

    assert "\r[#####-----] 1/2" in stream.getvalue()


def test_notebook_display_is_a_no_op_without_ipython(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without IPython the display accepts events and does nothing."""
    monkeypatch.setitem(sys.modules, "IPython.display", None)

    display = NotebookDisplay()
    display(RunStarted("r", 1, 1, "http://h"))

    assert display.enabled is False


def test_notebook_display_updates_one_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """With IPython, the run is one display handle updated as cases finish."""
    shown: list[str] = []

    class Handle:
        def update(self, obj: object) -> None:
            shown.append(str(obj))

    fake = types.ModuleType("IPython.display")
    fake.HTML = str  # type: ignore[attr-defined]
    fake.display = lambda obj, display_id=False: shown.append(str(obj)) or Handle()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython.display", fake)

    display = NotebookDisplay()
    display(RunStarted("r", 1, 1, "http://h"))
    display(CaseFinished("r", "a.json", "<one>", "failed", 1.0, "boom"))
    display(RunFinished("r", False, summarize([], duration_ms=1), None))

    assert display.enabled
    assert len(shown) == 3
    assert "&lt;one&gt;" in shown[1] and "(failed)" in shown[2]


def test_notebook_display_starts_a_new_table_per_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A display reused for a second run does not show the first run's cases."""
    shown: list[str] = []

    class Handle:
        def update(self, obj: object) -> None:
            shown.append(str(obj))

    fake = types.ModuleType("IPython.display")
    fake.HTML = str  # type: ignore[attr-defined]
    fake.display = lambda obj, display_id=False: shown.append(str(obj)) or Handle()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython.display", fake)
    display = NotebookDisplay()

    display(RunStarted("r1", 1, 1, "http://h"))
    display(CaseFinished("r1", "a.json", "first-run-case", "passed", 1.0))
    display(RunStarted("r2", 1, 1, "http://h"))
    display(CaseFinished("r2", "a.json", "second-run-case", "passed", 1.0))

    assert "first-run-case" not in shown[-1] and "second-run-case" in shown[-1]
