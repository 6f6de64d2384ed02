"""``{{name}}`` placeholders in json-ir steps, compiled once and filled per request."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

__all__ = [
    "MissingCaptureError",
    "Template",
    "compile_value",
    "encode_segment",
    "has_placeholders",
]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class MissingCaptureError(KeyError):
    """A placeholder names a capture no earlier step produced."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"{{{{{self.name}}}}} has no captured value (no earlier step captured {self.name!r})"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


class Template:
    """A string split once into literal parts and placeholder names.

    Attributes:
        names: the placeholder names, in order of appearance.
        whole: the single name when the string is exactly one placeholder.
    """

    __slots__ = ("_parts", "names", "source", "whole")

    def __init__(self, source: str) -> None:
        self.source = source
        self._parts: list[tuple[bool, str]] = []
        position = 0
        for match in _PLACEHOLDER.finditer(source):
            if match.start() > position:
                self._parts.append((False, source[position : match.start()]))
            self._parts.append((True, match.group(1)))
            position = match.end()
        if position < len(source):
            self._parts.append((False, source[position:]))
        self.names = tuple(text for is_name, text in self._parts if is_name)
        whole = len(self._parts) == 1 and self._parts[0][0]
        self.whole = self._parts[0][1] if whole else None

    @property
    def static(self) -> bool:
        """True when the string holds no placeholder."""
        return not self.names

    def render(
        self, values: Mapping[str, Any], encode: Callable[[str], str] | None = None
    ) -> str:
        """The string with every placeholder filled (each value passed through ``encode``).

        Raises:
            MissingCaptureError: a placeholder has no value.
        """
        if not self.names:
            return self.source
        out: list[str] = []
        for is_name, text in self._parts:
            if not is_name:
                out.append(text)
                continue
            if text not in values:
                raise MissingCaptureError(text)
            piece = _text(values[text])
            out.append(encode(piece) if encode is not None else piece)
        return "".join(out)


def encode_segment(value: str) -> str:
    """Percent-encode a value placed in a path: ``/``, ``?``, ``#`` and ``..`` cannot escape."""
    return quote(value, safe="")


def has_placeholders(value: Any) -> bool:
    """True when a JSON-like value holds a ``{{name}}`` anywhere."""
    if isinstance(value, str):
        return _PLACEHOLDER.search(value) is not None
    if isinstance(value, dict):
        return any(has_placeholders(k) or has_placeholders(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_placeholders(v) for v in value)
    return False


def compile_value(value: Any) -> Callable[[Mapping[str, Any]], Any]:
    """A function filling placeholders in a JSON-like value.

    A string that is exactly ``{{name}}`` becomes the captured value itself
    (keeping numbers numbers); other strings get the text of each value.
    Values without placeholders are returned as they are, without copying.
    """
    if not has_placeholders(value):
        return lambda _values: value
    if isinstance(value, str):
        template = Template(value)
        if template.whole is not None:
            name = template.whole

            def whole(values: Mapping[str, Any]) -> Any:
                if name not in values:
                    raise MissingCaptureError(name)
                return values[name]

            return whole
        return template.render
    if isinstance(value, dict):
        items = [(Template(k), compile_value(v)) for k, v in value.items()]
        return lambda values: {k.render(values): f(values) for k, f in items}
    if isinstance(value, list):
        parts = [compile_value(v) for v in value]
        return lambda values: [f(values) for f in parts]
    return lambda _values: value
