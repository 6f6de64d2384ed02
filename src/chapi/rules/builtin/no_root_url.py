"""NoRootUrl: requests go to the environment's base URL, never to a written-in host."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from .._jsondoc import load_json
from .._ops import bash_url_path
from .._shell import (
    DATA_OPTIONS,
    HELPER_CALL,
    CurlCall,
    ShellParseError,
    Word,
    curl_call,
    helper_call,
    parse_script,
    unwrap,
)
from ..finding import Finding
from ..rule import PackFile, Rule, RuleContext

__all__ = ["NoRootUrl", "find_host"]

_HOST_PATTERNS = (
    re.compile(r"\b[a-z][a-z0-9+.-]*://", re.IGNORECASE),
    re.compile(r"(?:^|[\s\"'=(])//[A-Za-z0-9\[]"),
    re.compile(r"\blocalhost\b", re.IGNORECASE),
    re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"),
    re.compile(r"\[[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\]"),
    re.compile(r"\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+:\d{2,5}\b"),
)
_TARGET_HEADERS = frozenset(
    {"host", "x-forwarded-host", "x-forwarded-server", "forwarded", "x-original-url",
     "x-rewrite-url", "x-host", ":authority"}
)  # fmt: skip
_CURL_REROUTE = (
    "--resolve", "--connect-to", "--proxy", "--preproxy", "--unix-socket",
    "--abstract-unix-socket", "--request-target", "--dns-servers", "--interface",
)  # fmt: skip


def find_host(text: str) -> str | None:
    """The first absolute URL, ``//host``, ``localhost``, IP address or ``host:port`` in ``text``."""
    for pattern in _HOST_PATTERNS:
        match = pattern.search(text)
        if match:
            return match.group(0).strip("\"'=( ")
    return None


class NoRootUrl(Rule):
    """No file names a host: the runner supplies the base URL of the environment.

    json-ir: ``request.path`` must be a relative path (no scheme, host or
    ``//``), and headers that choose the target (``Host``,
    ``X-Forwarded-Host``, ``Forwarded``, ...) are refused; a URL in any other
    header is a warning. Query, form and body values are data sent to the
    API (a ``callback`` or ``photoUrl`` field is a fair test value), so URLs
    there are allowed.

    bash: every curl URL must start with ``$BASE_URL`` or ``${BASE_URL}``;
    options that reroute the connection (``--resolve``, ``--connect-to``,
    ``--proxy``, ...) and target headers are refused; ``BASE_URL`` may only
    be assigned from itself (``BASE_URL="${BASE_URL%/}"``); any other
    command word or assignment holding a URL, ``host:port`` or IP address is
    refused, except curl data payloads (``-d``, ``--json``, ``-F``) and
    ``jq`` programs, which are data.
    """

    name = "NoRootUrl"
    description = "no absolute URL, host or port; bash uses $BASE_URL only"
    kinds = frozenset({"json-ir", "bash"})

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        """Check request targets (json-ir paths and headers, curl URLs and options)."""
        if file.kind == "json-ir":
            yield from self._jsonir(file)
        else:
            yield from self._bash(file)

    def _jsonir(self, file: PackFile) -> Iterator[Finding]:
        doc = load_json(file.content)
        if doc.error is not None or not isinstance(doc.value, dict):
            return
        steps = doc.value.get("steps")
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            request: Any = step.get("request") if isinstance(step, dict) else None
            if not isinstance(request, dict):
                continue
            path = request.get("path")
            if isinstance(path, str):
                host = find_host(path) if not path.startswith("/") else None
                if (
                    not path.startswith("/")
                    or path.startswith("//")
                    or "://" in path
                    or host
                ):
                    yield self.finding(
                        file,
                        "request path is not relative to the base URL",
                        line=doc.line_of(["steps", index, "request", "path"]),
                    )
                elif "\\" in path or "@" in path.split("?")[0].split("/")[1]:
                    yield self.finding(
                        file,
                        "request path could be read as a host ('\\' or '@')",
                        line=doc.line_of(["steps", index, "request", "path"]),
                    )
            headers = request.get("headers")
            for name, value in headers.items() if isinstance(headers, dict) else []:
                line = doc.line_of(["steps", index, "request", "headers", name])
                if str(name).lower() in _TARGET_HEADERS:
                    yield self.finding(
                        file,
                        f"header {name!r} redirects the request to another host",
                        line=line,
                    )
                elif isinstance(value, str) and find_host(value):
                    yield self.finding(
                        file,
                        f"header {name!r} holds an absolute URL or host",
                        severity="warning",
                        line=line,
                    )

    def _bash(self, file: PackFile) -> Iterator[Finding]:
        try:
            script = parse_script(file.content)
        except ShellParseError:
            return
        for command in map(unwrap, script.commands):
            for assignment in command.assignments:
                yield from self._assignment(file, assignment)
            name = command.name.value if command.name is not None else ""
            if name in ("export", "declare", "local", "readonly"):
                for word in command.words[1:]:
                    if "=" in word.value:
                        yield from self._assignment(file, word)
            if name == "curl":
                yield from self._curl(file, curl_call(command))
            elif name == HELPER_CALL and name in script.trusted_functions:
                yield from self._curl(file, helper_call(command))
            elif name != "jq":
                for word in command.words[1:]:
                    if find_host(word.value):
                        yield self.finding(
                            file,
                            f"'{name}' argument names a host or absolute URL",
                            line=word.line,
                        )

    def _assignment(self, file: PackFile, word: Word) -> Iterator[Finding]:
        variable, _, value = word.value.partition("=")
        if variable == "BASE_URL":
            if not re.fullmatch(r"\$\{?BASE_URL(?:[%#:/][^}]*)?\}?", value):
                yield self.finding(
                    file, "BASE_URL may only come from the environment", line=word.line
                )
        elif find_host(value):
            yield self.finding(
                file, f"{variable} is assigned a host or absolute URL", line=word.line
            )

    def _curl(self, file: PackFile, call: CurlCall) -> Iterator[Finding]:
        for url in call.urls:
            path = bash_url_path(url)
            if path is None:
                yield self.finding(
                    file, "curl URL does not start with $BASE_URL", line=url.line
                )
            elif not path.startswith("/"):
                yield self.finding(
                    file,
                    "curl URL must continue with '/' after $BASE_URL",
                    line=url.line,
                )
            elif find_host(url.value.split("?")[0].split("}", 1)[-1]):
                yield self.finding(file, "curl URL path names a host", line=url.line)
        for option, value in call.options:
            if option in _CURL_REROUTE:
                yield self.finding(
                    file, f"curl {option} reroutes the connection", line=call.line
                )
            elif option in ("--header", "--proxy-header") and value is not None:
                header = value.value.split(":", 1)[0].strip().lower()
                if header in _TARGET_HEADERS:
                    yield self.finding(
                        file,
                        f"header {header!r} redirects the request to another host",
                        line=value.line,
                    )
                elif find_host(value.value.split(":", 1)[-1]):
                    yield self.finding(
                        file,
                        "curl header holds an absolute URL or host",
                        severity="warning",
                        line=value.line,
                    )
            elif (
                value is not None
                and option not in DATA_OPTIONS
                and option not in ("--write-out", "--url", "--user-agent")
                and find_host(value.value)
            ):
                yield self.finding(
                    file, f"curl {option} names a host or absolute URL", line=value.line
                )
