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


_DECODER = json.JSONDecoder()

Path = tuple[str | int, ...]


@dataclass
class JsonDoc:
    """A loaded JSON text: the value, its duplicate keys and a pointer→line locator."""

    text: str
    value: Any = None
    error: str | None = None
    error_line: int | None = None
    duplicates: list[tuple[tuple[str | int, ...], str]] = field(default_factory=list)
    # Where each located path's value starts, every occurrence in document
    # order (a duplicated key has several); filled lazily, one container at
    # a time, only along the paths asked for.
    _starts: dict[Path, list[int]] | None = None
    _expanded: set[Path] = field(default_factory=set)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line where the value at ``path`` starts (its nearest located parent otherwise)."""
        if self.error is not None:
            return None
        if self._starts is None:
            self._starts = {}
            with contextlib.suppress(AttributeError, IndexError):
                self._starts[()] = [_WS.match(self.text, 0).end()]  # type: ignore[union-attr]
        if not self._starts:
            return None
        key: Path = ()
        for part in path:
            if key not in self._expanded:
                self._expand(key)
            child = (*key, part)
            if child not in self._starts:
                break
            key = child
        offset = self._starts[key][0]
        return self.text.count("\n", 0, offset) + 1

    def _expand(self, key: Path) -> None:
        assert self._starts is not None
        self._expanded.add(key)
        for start in self._starts[key]:
            with contextlib.suppress(ValueError, IndexError, RecursionError):
                for name, offset in _children(self.text, start):
                    self._starts.setdefault((*key, name), []).append(offset)


def _children(text: str, i: int) -> list[tuple[str | int, int]]:
    """Names (keys or indexes) and start offsets of the container's members at ``text[i]``.

    Member values are skipped with the C JSON scanner, so locating a value
    costs a pass over its ancestors only.
    """
    found: list[tuple[str | int, int]] = []
    ch = text[i]
    if ch == "{":
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if text[i] == "}":
            return found
        while True:
            key, i = _scanstring(text, i + 1)
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            found.append((key, i))
            i = _DECODER.raw_decode(text, i)[1]
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == "}":
                return found
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
    if ch == "[":
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if text[i] == "]":
            return found
        index = 0
        while True:
            found.append((index, i))
            i = _DECODER.raw_decode(text, i)[1]
            index += 1
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == "]":
                return found
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
    return found


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
