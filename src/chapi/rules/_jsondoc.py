"""JSON documents with source lines: loading with duplicate-key detection, locating pointers."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

__all__ = ["JsonDoc", "load_json"]

# The stdlib's string scanner (the one json.loads uses), typed here because
# the type stubs do not declare it.
_scanstring = cast(
    "Callable[[str, int], tuple[str, int]]",
    getattr(json.decoder, "scanstring"),  # noqa: B009
)

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


@dataclass
class JsonDoc:
    """A loaded JSON text: the value, its duplicate keys and a pointer→line locator."""

    text: str
    value: Any = None
    error: str | None = None
    error_line: int | None = None
    duplicates: list[tuple[tuple[str | int, ...], str]] = field(default_factory=list)
    _offsets: dict[tuple[str | int, ...], int] | None = None

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line where the value at ``path`` starts (its nearest located parent otherwise)."""
        if self.error is not None:
            return None
        if self._offsets is None:
            self._offsets = {}
            with contextlib.suppress(ValueError, IndexError, RecursionError):
                start = _WS.match(self.text, 0).end()  # type: ignore[union-attr]
                _locate(self.text, start, (), self._offsets)
        key = tuple(path)
        while key not in self._offsets and key:
            key = key[:-1]
        offset = self._offsets.get(key)
        return None if offset is None else self.text.count("\n", 0, offset) + 1


def _locate(
    text: str,
    i: int,
    path: tuple[str | int, ...],
    out: dict[tuple[str | int, ...], int],
) -> int:
    out.setdefault(path, i)
    ch = text[i]
    if ch == "{":
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if text[i] == "}":
            return i + 1
        while True:
            key, i = _scanstring(text, i + 1)
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            i = _locate(text, i, (*path, key), out)
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == "}":
                return i + 1
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
    if ch == "[":
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if text[i] == "]":
            return i + 1
        index = 0
        while True:
            i = _locate(text, i, (*path, index), out)
            index += 1
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == "]":
                return i + 1
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
    if ch == '"':
        return _scanstring(text, i + 1)[1]
    match = _SCALAR.match(text, i)
    if not match:
        raise ValueError(f"unexpected character at {i}")
    return match.end()


@lru_cache(maxsize=512)
def load_json(text: str) -> JsonDoc:
    """Load ``text`` as JSON, noting duplicate object keys and syntax errors."""
    doc = JsonDoc(text=text)
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        doc.value = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        doc.error = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        doc.error_line = exc.lineno
    except (ValueError, RecursionError) as exc:
        doc.error = f"not valid JSON: {type(exc).__name__}"
    doc.duplicates = [((), key) for key in duplicates]
    return doc
