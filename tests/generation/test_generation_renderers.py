"""The renderers on hand-written json-ir documents."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from gen_support import petstore, recording_server
from hypothesis import given, settings
from hypothesis import strategies as st

from chapi.errors import GenerationError
from chapi.generation.paths import file_path, slugify
from chapi.generation.prompts import system_prompt
from chapi.generation.render_bash import _PRELUDE, _q, render_bash
from chapi.generation.render_jsonir import render_jsonir
from chapi.runner.credentials import INVALID_VALUE


def _doc(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"jsonir": 1, "name": "t", "role": "SMOKE", "steps": list(steps)}


def test_jsonir_renderer_refuses_schema_breaks() -> None:
    """A document breaking the schema raises GenerationError naming the pointer."""
    bad = _doc({"name": "s", "request": {"method": "GET", "path": "http://evil/"}})

    with pytest.raises(GenerationError, match="/steps/0/request/path"):
        render_jsonir(bad)


def test_jsonir_renderer_is_canonical() -> None:
    """Key order of the input does not change the output."""
    a = _doc({"name": "s", "request": {"method": "GET", "path": "/a"}})
    b = {
        "steps": [{"request": {"path": "/a", "method": "GET"}, "name": "s"}],
        "role": "SMOKE",
        "name": "t",
        "jsonir": 1,
    }

    assert render_jsonir(a) == render_jsonir(b)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Pet Store", "pet-store"),
        ("../../etc", "etc"),
        ("", "api"),
        ("Ünïcode/€", "unicode"),
    ],
)
def test_slugify_is_safe(text: str, slug: str) -> None:
    """Slugs are lower-case ascii letters, digits and dashes, never empty."""
    assert slugify(text) == slug


def test_file_paths_are_relative() -> None:
    """A file path is tests/<slug>/<role>.<ext> whatever the inputs hold."""
    assert file_path("/../x", "AUTH", "sh") == "tests/x/auth.sh"


def test_bash_sends_query_form_and_captured_values(tmp_path: Path) -> None:
    """Query values are URL-encoded, form bodies encoded, captures fill later paths and JSON bodies."""
    doc = _doc(
        {
            "name": "make",
            "request": {
                "method": "POST",
                "path": "/things",
                "query": {"q": "a b&c", "n": [1, 2]},
                "form": {"k": "v=1&x"},
            },
            "expect": {"status": [200], "json": [{"pointer": "/name", "equals": "x"}]},
            "capture": {"thing": "/id"},
        },
        {
            "name": "use",
            "request": {
                "method": "PUT",
                "path": "/things/{{thing}}",
                "json": {"ref": "{{thing}}", "note": "it's"},
            },
            "expect": {"status": ["2XX"]},
        },
    )
    script = render_bash(doc, petstore())

    with recording_server() as rec:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "BASE_URL": rec.base_url,
            "TOKEN": "t0k",  # steps naming no operation use the document's scheme
        }
        done = subprocess.run(
            ["bash", "-c", script],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    assert done.stdout.splitlines() == ["1..2", "ok 1 - make", "ok 2 - use"], (
        done.stderr
    )
    (m1, p1, h1, b1), (m2, p2, h2, b2) = rec.requests
    assert h1["authorization"] == h2["authorization"] == "Bearer t0k"
    assert (m1, p1, b1) == ("POST", "/things?n=1&n=2&q=a%20b%26c", b"k=v%3D1%26x")
    assert (m2, p2) == ("PUT", "/things/1")
    assert (
        b2 == b'{"note":"it\'s","ref":"1"}' and h2["content-type"] == "application/json"
    )


def test_bash_skips_a_step_whose_capture_is_missing(tmp_path: Path) -> None:
    """When nothing was captured the dependent request is not sent and the step is 'not ok'."""
    doc = _doc(
        {
            "name": "make",
            "request": {"method": "POST", "path": "/t"},
            "capture": {"tid": "/missing"},
        },
        {"name": "drop", "request": {"method": "DELETE", "path": "/t/{{tid}}"}},
    )
    script = render_bash(doc, petstore())

    with recording_server() as rec:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "BASE_URL": rec.base_url,
            "TOKEN": "t0k",  # steps naming no operation use the document's scheme
        }
        done = subprocess.run(
            ["bash", "-c", script],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    assert done.returncode == 1
    assert (
        "not ok 2 - drop" in done.stdout
        and "# no value was captured for tid" in done.stdout
    )
    assert [m for m, *_ in rec.requests] == ["POST"]


_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)


def _bash(code: str, *args: str) -> str:
    done = subprocess.run(
        ["bash", "-c", code, "bash", *args],
        env={
            "PATH": os.environ["PATH"],
            "BASE_URL": "http://127.0.0.1:9",
            "LANG": "C.UTF-8",
        },
        capture_output=True,
        check=True,
        timeout=10,
    )
    return done.stdout.decode("utf-8")


@settings(max_examples=40, deadline=None)
@given(_TEXT)
def test_quoted_words_reach_bash_unchanged(text: str) -> None:
    """Any text, once quoted, is one literal bash word: nothing expands or splits."""
    assert _bash(f"printf '%s' {_q(text)}") == text


@settings(max_examples=30, deadline=None)
@given(_TEXT)
def test_bash_urlencode_matches_python(text: str) -> None:
    """The script's _urlencode percent-encodes UTF-8 bytes as Python's quote does."""
    assert _bash(_PRELUDE + '\n_urlencode "$1"', text) == quote(text, safe="-._~")


def test_invalid_auth_sends_the_runner_invalid_credential(tmp_path: Path) -> None:
    """An ``invalid`` step sends the runner's invalid value; the LLM prompt names it."""
    doc = _doc(
        {
            "name": "wrong token",
            "operation": "GET /pets",
            "request": {"method": "GET", "path": "/pets"},
            "auth": "invalid",
            "expect": {"status": [200]},
        }
    )
    script = render_bash(doc, petstore())

    with recording_server() as rec:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "BASE_URL": rec.base_url,
            "TOKEN": "real-token-value",
        }
        subprocess.run(
            ["bash", "-c", script],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    (_, _, headers, _), *_ = rec.requests
    assert headers["authorization"] == f"Bearer {INVALID_VALUE}"
    assert INVALID_VALUE == "chapi-invalid-credential"
    assert f"literal `{INVALID_VALUE}`" in system_prompt()
    assert "chapi-invalid-token" not in system_prompt()
