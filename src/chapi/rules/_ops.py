"""The requests a file makes, read the same way for json-ir files and bash scripts.

json-ir steps are read from the document (leniently, so a file with schema
errors can still be judged by other rules). Bash scripts describe their
steps with ``# chapi:step`` comment markers placed before each request::

    # chapi:step operation="GET /pets" auth=none expect=401,403
    # chapi:step operation="POST /pets" auth=valid expect=201 schema=true

Without markers, a script's operations are read from its curl calls (method
and the path after ``$BASE_URL``), and auth cases cannot be known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ._jsondoc import load_json
from ._shell import (
    HELPER_CALL,
    Script,
    ShellParseError,
    Word,
    curl_calls,
    helper_call,
    parse_script,
    script_markers,
)
from .rule import PackFile

if TYPE_CHECKING:
    from ..specs.model import ApiModel

__all__ = [
    "StepInfo",
    "bash_url_path",
    "file_steps",
    "match_operation",
    "step_operation",
]


@dataclass(frozen=True)
class StepInfo:
    """One request of a file as the rules see it.

    Attributes:
        name: the step name (json-ir) or a description.
        method: the HTTP method, upper case, when known.
        path: the request path relative to the base URL, when known.
        operation: the declared ``METHOD /template`` key, when declared.
        auth: ``valid``, ``invalid`` or ``none``; ``None`` when unknown.
        expect: the expected statuses (codes and ``2XX`` ranges).
        schema: whether the response body is checked against the spec.
        line: the line of the step in the file, when known.
        source: ``json-ir``, ``marker`` or ``curl``.
    """

    name: str
    method: str | None
    path: str | None
    operation: str | None
    auth: str | None
    expect: tuple[int | str, ...]
    schema: bool | None
    line: int | None
    source: str


def _jsonir_steps(file: PackFile) -> list[StepInfo]:
    doc = load_json(file.content)
    value = doc.value
    if doc.error is not None or not isinstance(value, dict):
        return []
    raw_steps = value.get("steps")
    if not isinstance(raw_steps, list):
        return []
    steps: list[StepInfo] = []
    for index, raw in enumerate(raw_steps):
        if not isinstance(raw, dict):
            continue
        request = raw.get("request") if isinstance(raw.get("request"), dict) else {}
        expect = raw.get("expect") if isinstance(raw.get("expect"), dict) else {}
        assert isinstance(request, dict) and isinstance(expect, dict)
        status = expect.get("status", ["2XX"])
        method = request.get("method")
        path = request.get("path")
        operation = raw.get("operation")
        auth = raw.get("auth", "valid")
        steps.append(
            StepInfo(
                name=str(raw.get("name", f"step {index + 1}")),
                method=method.upper() if isinstance(method, str) else None,
                path=path if isinstance(path, str) else None,
                operation=operation if isinstance(operation, str) else None,
                auth=auth if isinstance(auth, str) else None,
                expect=tuple(s for s in status if isinstance(s, int | str))
                if isinstance(status, list)
                else (),
                schema=expect.get("schema") is True,
                line=doc.line_of(("steps", index)),
                source="json-ir",
            )
        )
    return steps


_BASE = re.compile(r"^\$(?:\{BASE_URL(?:[%#:/][^}]*)?\}|BASE_URL(?![A-Za-z0-9_]))")


def bash_url_path(word: Word) -> str | None:
    """The path of a curl URL after ``$BASE_URL``, without the query; ``None`` if not based."""
    match = _BASE.match(word.value)
    if not match:
        return None
    rest = word.value[match.end() :]
    if rest[:1] in ("?", "#", ""):
        return "/"
    return re.split(r"[?#]", rest, maxsplit=1)[0]


def _bash_steps(file: PackFile) -> list[StepInfo]:
    markers = script_markers(file.content)
    if markers:
        steps = []
        for marker in markers:
            operation = marker.operation
            method, _, path = (operation or "").partition(" ")
            steps.append(
                StepInfo(
                    name=marker.fields.get("name", operation or f"line {marker.line}"),
                    method=method.upper() or None,
                    path=path or None,
                    operation=operation,
                    auth=marker.fields.get("auth", "valid"),
                    expect=tuple(marker.expect),
                    schema=marker.fields.get("schema", "").lower()
                    in ("true", "1", "yes"),
                    line=marker.line,
                    source="marker",
                )
            )
        return steps
    try:
        script = parse_script(file.content)
    except ShellParseError:
        return []
    if "_step" in script.trusted_functions:
        return _helper_steps(file.content, script)
    steps = []
    for call in curl_calls(script):
        for url in call.urls:
            steps.append(
                StepInfo(
                    name=f"curl at line {call.line}",
                    method=call.method,
                    path=bash_url_path(url),
                    operation=None,
                    auth=None,
                    expect=(),
                    schema=None,
                    line=call.line,
                    source="curl",
                )
            )
    return steps


_AUTH_NOTE = re.compile(r"\[auth: (valid|invalid|none)\]\s*$")


def _helper_steps(text: str, script: Script) -> list[StepInfo]:
    """Steps of a script written with the trusted prelude's helpers.

    A step starts at ``_step NAME``; its auth case is the ``[auth: X]`` at
    the end of the comment line above it; ``_call METHOD URL`` gives the
    request and ``_expect_status`` the expected statuses.
    """
    lines = text.splitlines()
    steps: list[dict[str, Any]] = []
    for command in sorted(script.commands, key=lambda c: c.line):
        name = command.name.value if command.name is not None else ""
        args = [w.value for w in command.words[1:]]
        if name == "_step":
            above = lines[command.line - 2] if command.line >= 2 else ""
            note = _AUTH_NOTE.search(above)
            steps.append(
                {
                    "name": args[0] if args else f"line {command.line}",
                    "line": command.line,
                    "auth": note.group(1) if note else None,
                    "expect": (),
                    "method": None,
                    "path": None,
                }
            )
        elif name == HELPER_CALL and steps:
            call = helper_call(command)
            steps[-1]["method"] = call.method
            steps[-1]["path"] = bash_url_path(call.urls[0]) if call.urls else None
        elif name == "_expect_status" and steps:
            steps[-1]["expect"] = tuple(
                int(a) if a.isdigit() else a.upper() for a in args
            )
    return [
        StepInfo(
            name=s["name"],
            method=s["method"],
            path=s["path"],
            operation=None,
            auth=s["auth"],
            expect=s["expect"],
            schema=None,
            line=s["line"],
            source="helper",
        )
        for s in steps
    ]


def file_steps(file: PackFile) -> list[StepInfo]:
    """The requests of a json-ir file or a bash script (empty for other files)."""
    if file.kind == "json-ir":
        return _jsonir_steps(file)
    if file.kind == "bash":
        return _bash_steps(file)
    return []


_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^{}/]+\})", template)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}/?$")


def match_operation(
    method: str | None, path: str | None, api: ApiModel | None
) -> str | None:
    """The ``METHOD /template`` key of the API operation a request hits, if any."""
    if api is None or not method or not path:
        return None
    decoded = unquote(path)
    concrete = _PLACEHOLDER.sub("x", decoded)
    candidates = [op for op in api.operations if op.method == method.upper()]
    for op in candidates:
        if op.path in (path, decoded):
            return op.key
    for op in candidates:
        if _template_regex(op.path).match(concrete):
            return op.key
    return None


def step_operation(step: StepInfo, api: ApiModel | None) -> str | None:
    """The operation a step exercises: declared, else matched against the API, else guessed."""
    if step.operation:
        method, _, path = step.operation.partition(" ")
        return f"{method.upper()} {path}"
    matched = match_operation(step.method, step.path, api)
    if matched:
        return matched
    if step.method and step.path:
        return f"{step.method} {step.path}"
    return None


def json_value(file: PackFile) -> Any:
    """The parsed JSON of a json-ir file, or ``None`` when it is not valid JSON."""
    doc = load_json(file.content)
    return doc.value if doc.error is None else None
