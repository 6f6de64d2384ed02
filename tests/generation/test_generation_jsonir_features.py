"""Every json-ir version 1 feature, run as json-ir by the runner and as the rendered bash script.

One hand-written file uses query lists, headers, JSON, form and raw bodies,
the three auth cases, status codes and ranges, header and JSON Pointer
checks, a time limit and captures reused as ``{{name}}`` in a path, a query
value, a header and both kinds of body. Both formats run against the same
loopback server, which records what arrives; they must send the same
requests, credentials included (the steps name no operation, so both fall
back to a bearer ``TOKEN``), and reach the same verdicts.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gen_support import SLOW_PREFIX, SLOW_SECONDS, Recorder, recording_server

from chapi.generation.render_bash import render_bash
from chapi.generation.render_jsonir import render_jsonir
from chapi.jsonir import parse
from chapi.rules import PackFile as RulePackFile
from chapi.rules import RuleContext, validate_pack
from chapi.runner import PackFile, execute_pack
from chapi.runner.credentials import INVALID_VALUE
from chapi.specs.model import ApiModel

STEPS: list[dict[str, Any]] = [
    {
        "name": "create with a JSON body, query list and header",
        "request": {
            "method": "POST",
            "path": "/things",
            "query": {"tag": ["a", "b c"], "limit": 5, "on": True},
            "headers": {"X-Trace": "t-1"},
            "json": {"name": 'it\'s "x"', "n": 2},
        },
        "expect": {
            "status": [200, 201],
            "headers": {"Content-Type": "json"},
            "json": [
                {"pointer": "/id", "equals": 1},
                {"pointer": "/name", "type": "string"},
                {"pointer": "/name", "exists": True},
            ],
            "max_ms": 60000,
        },
        "capture": {"thing": "/id", "label": "/name"},
    },
    {
        "name": "update with a form body built from captures",
        "request": {
            "method": "PUT",
            "path": "/things/{{thing}}",
            "query": {"who": "{{label}}"},
            "headers": {"X-Label": "{{label}}"},
            "form": {"a": "1 & 2", "b": "{{label}}"},
        },
        "expect": {"status": ["2XX"]},
    },
    {
        "name": "patch with a raw body",
        "auth": "invalid",
        "request": {
            "method": "PATCH",
            "path": "/things/{{thing}}",
            "body": "raw {{label}}",
            "content_type": "text/plain",
        },
        "expect": {"status": [200]},
    },
    {
        "name": "a read without credentials expecting 404 fails",
        "auth": "none",
        "request": {"method": "GET", "path": "/things/{{thing}}"},
        "expect": {"status": [404]},
    },
    {
        "name": "a wrong value at a pointer fails",
        "request": {"method": "GET", "path": "/things"},
        "expect": {"status": [200], "json": [{"pointer": "/id", "equals": 2}]},
    },
    {
        "name": "headers in any case, a repeated one joined, pass",
        "request": {"method": "GET", "path": "/things"},
        "expect": {
            "headers": {"content-type": "APPLICATION/JSON", "X-Tag": "one, two"},
            "max_ms": 60000,
        },
    },
    {
        "name": "a missing header fails",
        "request": {"method": "GET", "path": "/things"},
        "expect": {"headers": {"X-Absent": ""}},
    },
    {
        "name": "a header without the wanted text fails",
        "request": {"method": "GET", "path": "/things"},
        "expect": {"headers": {"X-Served-By": "it's $(other)"}},
    },
    {
        "name": "a header name that is no HTTP token fails",
        "request": {"method": "GET", "path": "/things"},
        "expect": {"headers": {"X-Served-By:": ""}},
    },
    {
        "name": "a slow answer within the time limit passes, body intact",
        "request": {"method": "GET", "path": f"{SLOW_PREFIX}/ok"},
        "expect": {
            "headers": {"X-Served-By": "chapi-test"},
            "json": [{"pointer": "/id", "equals": 1}],
            "max_ms": 60000,
        },
        "capture": {"slow": "/name"},
    },
    {
        "name": "a slow answer over the time limit fails",
        "request": {"method": "GET", "path": f"{SLOW_PREFIX}/late/{{{{slow}}}}"},
        "expect": {"max_ms": int(SLOW_SECONDS * 1000) // 6},
    },
]
DOCUMENT: dict[str, Any] = {
    "jsonir": 1,
    "name": "every feature",
    "role": "SMOKE",
    "steps": STEPS,
}
EXPECTED_VERDICTS = [True, True, True, False, False]
EXPECTED_VERDICTS += [True, False, False, False, True, False]


def _requests(recorder: Recorder) -> list[dict[str, Any]]:
    """The recorded requests with query and body parsed, for comparing formats."""
    seen = []
    for method, target, headers, body in recorder.requests:
        parts = urlsplit(target)
        kind = headers.get("content-type", "").split(";")[0]
        parsed: Any = body.decode()
        if kind == "application/json":
            parsed = json.loads(body)
        elif kind == "application/x-www-form-urlencoded":
            parsed = parse_qs(body.decode(), keep_blank_values=True)
        seen.append(
            {
                "method": method,
                "path": parts.path,
                "query": parse_qs(parts.query, keep_blank_values=True),
                "type": kind,
                "body": parsed,
                "x-trace": headers.get("x-trace"),
                "x-label": headers.get("x-label"),
                "authorization": headers.get("authorization"),
            }
        )
    return seen


def test_the_feature_file_fits_the_schema() -> None:
    """The file parses into typed models that keep every feature."""
    parsed = parse(render_jsonir(DOCUMENT))

    first, second, third, fourth = parsed.steps[:4]
    assert first.request.query["tag"] == ["a", "b c"]
    assert first.expect.max_ms == 60000 and first.expect.headers
    assert first.capture == {"thing": "/id", "label": "/name"}
    assert second.request.form == {"a": "1 & 2", "b": "{{label}}"}
    assert third.request.body == "raw {{label}}" and third.auth == "invalid"
    assert fourth.auth == "none" and fourth.expect.allows(404)
    assert not fourth.expect.allows(200)


def test_runner_and_bash_send_the_same_requests_and_agree(tmp_path: Path) -> None:
    """Both formats send identical requests and pass and fail the same steps."""
    api = ApiModel(spec_version="3.1", title="things", operations=())
    script = render_bash(DOCUMENT, api)

    with recording_server() as by_runner:
        outcome = execute_pack(
            [PackFile("tests/things/smoke.json", render_jsonir(DOCUMENT), "SMOKE")],
            api=api,
            base_url=by_runner.base_url,
            secrets={"TOKEN": "tok-1"},
        )
    with recording_server() as by_bash:
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={
                "PATH": os.environ["PATH"],
                "HOME": str(tmp_path),
                "BASE_URL": by_bash.base_url,
                "TOKEN": "tok-1",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    runner_verdicts = [c.outcome == "passed" for c in outcome.results]
    tap = [line for line in done.stdout.splitlines() if line[:3] in ("ok ", "not")]
    bash_verdicts = [line.startswith("ok ") for line in tap]
    assert runner_verdicts == EXPECTED_VERDICTS, outcome.results
    assert bash_verdicts == EXPECTED_VERDICTS, done.stdout + done.stderr
    assert done.returncode == 1
    assert _requests(by_runner) == _requests(by_bash)
    first, second, third, fourth = _requests(by_bash)[:4]
    assert first["query"] == {"tag": ["a", "b c"], "limit": ["5"], "on": ["true"]}
    assert first["body"] == {"name": 'it\'s "x"', "n": 2}
    assert first["x-trace"] == "t-1"
    assert second["path"] == "/things/1" and second["query"] == {"who": ["x"]}
    assert second["body"] == {"a": ["1 & 2"], "b": ["x"]}
    assert second["x-label"] == "x"
    assert third["type"] == "text/plain" and third["body"] == "raw x"
    assert first["authorization"] == second["authorization"] == "Bearer tok-1"
    assert third["authorization"] == f"Bearer {INVALID_VALUE}"
    assert fourth["authorization"] is None
    late = int(SLOW_SECONDS * 1000) // 6
    for line in (
        "# header X-Absent is missing",
        "# header X-Served-By 'Chapi-Test' does not contain 'it's $(other)'",
        "# header X-Served-By: is missing",
        f"more than max_ms {late}",
    ):
        assert line in done.stdout
    assert list(tmp_path.iterdir()) == []  # the headers file is gone


def test_header_and_time_checks_keep_to_the_rules() -> None:
    """The script with header and time checks passes every built-in rule and bash -n."""
    api = ApiModel(spec_version="3.1", title="things", operations=())
    script = render_bash(DOCUMENT, api)

    report = validate_pack(
        [RulePackFile("tests/things/smoke.sh", script, "SMOKE")],
        RuleContext(mode="bash-curl", api=api),
    )
    syntax = subprocess.run(
        ["bash", "-n"], input=script, text=True, capture_output=True, check=False
    )

    assert report.passed, [(f.rule, f.message, f.line) for f in report.errors]
    assert syntax.returncode == 0, syntax.stderr
    tampered = script.replace(
        'HEADERS_FILE="$(mktemp chapi-headers.XXXXXX)"',
        'HEADERS_FILE="$HOME/.bashrc"',
    )
    found = validate_pack(
        [RulePackFile("tests/things/smoke.sh", tampered, "SMOKE")],
        RuleContext(mode="bash-curl", api=api),
    )
    messages = {f.message for f in found.errors}
    assert "rm may only delete the script's own temporary files" in messages
    assert "curl writes outside the working folder" in messages
    assert 'HEADERS_FILE="$(mktemp chapi-headers.XXXXXX)"' in script
    assert "-w '\\n%{time_total}\\n%{http_code}'" in script
