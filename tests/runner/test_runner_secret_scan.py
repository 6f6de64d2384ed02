"""A run whose server echoes every credential back leaves no secret anywhere.

httpbin (under waitress on 127.0.0.1) repeats the headers, query, cookies
and body it received, so every secret of the run comes back in response
bodies, in failure messages and in a bash script's output. The scan then
looks for each secret, in every encoding the runner could have written it,
in every artifact, case result, event and log record.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import asdict
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from test_runner_credentials import DOCUMENT, SECRETS, VALID_STEPS

from chapi.runner import MASK, Event, Masker, PackFile, RunStarted, execute_pack
from chapi.specs import to_api_model

EXTRA = {"SESSION_NOTE": "free-text-Secret-0042"}
ALL = {**SECRETS, **EXTRA}


def _forms(value: str) -> list[str]:
    return [
        value,
        quote(value, safe=""),
        quote_plus(value),
        json.dumps(value)[1:-1],
        base64.b64encode(value.encode()).decode().rstrip("="),
    ]


def _needles() -> list[str]:
    basic = f"{SECRETS['BASICAUTH_USERNAME']}:{SECRETS['PASSWORD']}"
    found = [form for value in ALL.values() for form in _forms(value)]
    return [*found, base64.b64encode(basic.encode()).decode()]


def _leaks(haystacks: list[str]) -> list[tuple[str, str]]:
    return [
        (needle, hay[max(hay.find(needle) - 40, 0) :][:100])
        for hay in haystacks
        for needle in _needles()
        if needle in hay
    ]


def _echo_failures() -> list[dict[str, Any]]:
    """Steps that fail while the server echoes secrets, so excerpts are kept."""
    token = SECRETS["BEARERAUTH_TOKEN"]
    key = SECRETS["QUERYKEY_API_KEY"]
    note = EXTRA["SESSION_NOTE"]
    # The JSON body below puts the note across the excerpt cap (2,048 bytes).
    padding = "p" * (2_048 - len('{"pad":"') - len('","note":"') - 5)
    return [
        {
            "name": "wrong expectation about the bearer header",
            "operation": "GET /anything/bearer",
            "request": {"method": "GET", "path": "/anything/bearer"},
            "expect": {"json": [{"pointer": "/headers", "equals": {"no": "match"}}]},
        },
        {
            "name": "credentials inside a JSON body and a query",
            "request": {
                "method": "POST",
                "path": "/anything/echo",
                "query": {"token": token, "q": key, "note": note},
                "json": {"password": SECRETS["PASSWORD"], "nested": {"t": token}},
            },
            "expect": {"status": [500]},
        },
        {
            "name": "a password in the path",
            "request": {
                "method": "GET",
                "path": f"/anything/{quote(SECRETS['PASSWORD'], safe='')}",
            },
            "expect": {"status": [404]},
        },
        {
            "name": "a secret split by the excerpt cap",
            "request": {
                "method": "POST",
                "path": "/anything/cap",
                "json": {"pad": padding, "note": note},
            },
            "expect": {"status": [500]},
        },
        {
            "name": "basic credentials echoed",
            "operation": "GET /anything/basic",
            "request": {"method": "GET", "path": "/anything/basic"},
            "expect": {"status": [401]},
        },
    ]


ECHO_SCRIPT = """#!/usr/bin/env bash
set -uo pipefail
echo "1..2"
body=$(curl -sS -u "${BASICAUTH_USERNAME}:${PASSWORD}" \\
  -H "Authorization: Bearer ${BEARERAUTH_TOKEN}" \\
  "${BASE_URL}/anything?key=${QUERYKEY_API_KEY}&note=${SESSION_NOTE}")
echo "not ok 1 - the echo is shown as diagnostics"
printf '%s\\n' "$body" | sed 's/^/# /'
echo "ok 2 - token printed in a description ${BEARERAUTH_TOKEN}"
echo "stderr has ${PASSWORD} and ${HEADERKEY_API_KEY}" >&2
exit 1
"""


def test_scan_finds_no_secret_after_an_echoing_run(
    httpbin_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No form of any secret is in artifacts, results, events or log records."""
    caplog.set_level(logging.DEBUG)
    events: list[Event] = []
    pack = [
        PackFile(
            "valid.json",
            json.dumps({"jsonir": 1, "name": "valid", "steps": VALID_STEPS}),
        ),
        PackFile(
            "echo.json",
            json.dumps({"jsonir": 1, "name": "echo", "steps": _echo_failures()}),
        ),
        PackFile("echo.sh", ECHO_SCRIPT),
    ]

    outcome = execute_pack(
        pack,
        api=to_api_model(DOCUMENT),
        base_url=httpbin_url,
        secrets=ALL,
        on_event=events.append,
    )

    by_file: dict[str, list[str]] = {}
    for case in outcome.results:
        by_file.setdefault(case.file, []).append(case.outcome)
    assert by_file == {
        "valid.json": ["passed"] * len(VALID_STEPS),
        "echo.json": ["failed"] * 5,
        "echo.sh": ["failed", "passed"],
    }
    haystacks = [
        *outcome.artifacts.values(),
        *(json.dumps(asdict(c)) for c in outcome.results),
        *(repr(e) for e in events),
        caplog.text,
        *(r.getMessage() for r in caplog.records),
    ]
    assert _leaks(haystacks) == []
    authorization = re.compile(r"(?im)^authorization:\s*(.*)$")
    shown = [
        v for text in outcome.artifacts.values() for v in authorization.findall(text)
    ]
    assert shown and set(shown) == {MASK}
    assert MASK in outcome.artifacts["logs/echo.sh.log"]
    assert MASK in outcome.artifacts["junit.xml"]


def test_crash_messages_are_masked_in_log_records(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An exception carrying a secret is logged masked, with its traceback frames."""
    caplog.set_level(logging.DEBUG)
    secret = "crash-Secret-5150"

    def explode(request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"transport failed for {secret}")

    step = {"name": "a", "request": {"method": "GET", "path": "/x"}, "expect": {}}
    outcome = execute_pack(
        [PackFile("c.json", json.dumps({"jsonir": 1, "name": "c", "steps": [step]}))],
        api=None,
        base_url="http://127.0.0.1:9",
        secrets={"TOKEN": secret},
        transport=httpx.MockTransport(explode),
    )

    assert (
        outcome.results[0].message
        == f"crashed: RuntimeError: transport failed for {MASK}"
    )
    assert secret not in caplog.text
    assert "Traceback (most recent call last)" in caplog.text
    assert "in explode" in caplog.text


def test_base_url_credentials_are_masked_in_events() -> None:
    """Userinfo in the base URL never reaches RunStarted, results.json or logs."""
    events: list[Event] = []

    outcome = execute_pack(
        [],
        api=None,
        base_url="http://admin:base-Url-Secret-77@127.0.0.1:9",
        on_event=events.append,
    )

    started = events[0]
    assert isinstance(started, RunStarted)
    assert started.base_url == f"http://{MASK}@127.0.0.1:9"
    assert "base-Url-Secret-77" not in outcome.artifacts["results.json"]


def test_excerpt_masks_before_cutting() -> None:
    """A secret that straddles the cap is hidden, not left half visible."""
    masker = Masker({"TOKEN": "straddling-Secret-99"})
    text = "x" * 10 + "straddling-Secret-99" + "y" * 10

    cut = masker.excerpt(text, 20)

    assert cut == "x" * 10 + MASK + "y" * 7
    assert "straddl" not in cut
