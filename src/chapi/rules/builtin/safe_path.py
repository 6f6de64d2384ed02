"""SafePath: file paths are short, relative, normalized and plainly spelled."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from ...domain import PackMode
from ..finding import PACK_SCOPE, Finding
from ..rule import PackFile, Rule, RuleContext

__all__ = ["MAX_PATH_LENGTH", "MAX_SEGMENT_LENGTH", "SafePath"]

MAX_PATH_LENGTH = 300
"""Longest accepted path, in characters (the card's limit)."""
MAX_SEGMENT_LENGTH = 100
"""Longest accepted folder or file name."""
MAX_DEPTH = 8
"""Most folders a path may nest."""

_EXTENSIONS = {
    PackMode.JSON_IR: (".json",),
    PackMode.BASH_CURL: (".sh",),
    PackMode.HYBRID: (".json", ".sh"),
}
_TEXT_EXTENSIONS = (".md", ".txt")
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]*$")
_RESERVED = frozenset(
    {
        "con",
        "prn",
        "aux",
        "nul",
        *(f"com{i}" for i in range(10)),
        *(f"lpt{i}" for i in range(10)),
    }
)
_LOOKALIKES = {
    "\u2215": "division slash", "\u2044": "fraction slash", "\uff0f": "fullwidth slash",
    "\u29f8": "big solidus", "\uff3c": "fullwidth backslash", "\u2216": "set minus",
    "\uff0e": "fullwidth full stop", "\u2024": "one dot leader", "\u3002": "ideographic full stop",
    "\ufe52": "small full stop", "\u0701": "Syriac supralinear full stop",
}  # fmt: skip


class SafePath(Rule):
    """Paths are relative, normalized, ASCII, inside the pack, with an allowed extension.

    Refused: absolute paths, ``~``, ``.``/``..`` segments, ``//``, trailing
    ``/``, backslashes, ``%`` (encoded forms), NUL and control characters,
    non-ASCII characters (look-alike slashes and dots such as U+2215 or
    U+FF0E are named), names starting with ``.`` or ``-``, Windows device
    names, and paths longer than 300 characters, names longer than 100 or
    deeper than 8 folders. Extensions: ``.json`` in json-ir packs, ``.sh``
    in bash-curl packs, both in hybrid packs, and ``.md``/``.txt`` read-me
    files in any pack. Across the pack, two paths that differ only in case
    are refused (they collide on case-insensitive file systems).
    """

    name = "SafePath"
    description = "file paths are relative, normalized and stay inside the pack"

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        """Check one path."""
        for problem in path_problems(file.path, context.mode):
            yield self.finding(file, problem)

    def check_pack(
        self, files: Sequence[PackFile], context: RuleContext
    ) -> Iterable[Finding]:
        """Refuse paths that collide when case is ignored (or are listed twice)."""
        seen: dict[str, str] = {}
        findings: list[Finding] = []
        for file in files:
            key = unicodedata.normalize("NFKC", file.path).casefold()
            if key in seen:
                findings.append(
                    self.finding(
                        PACK_SCOPE,
                        f"paths {seen[key]!r} and {file.path!r} collide",
                        paths=[seen[key], file.path],
                    )
                )
            else:
                seen[key] = file.path
        return findings


def path_problems(path: str, mode: PackMode | str = PackMode.HYBRID) -> list[str]:
    """Every problem with a pack file path (empty when the path is safe)."""
    shown = path.encode("unicode_escape").decode("ascii")[:120]
    problems: list[str] = []
    if not path:
        return ["path is empty"]
    if len(path) > MAX_PATH_LENGTH:
        problems.append(f"path is longer than {MAX_PATH_LENGTH} characters")
    for char, label in _LOOKALIKES.items():
        if char in path:
            problems.append(f"path {shown!r} holds a look-alike character ({label})")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        problems.append(f"path {shown!r} holds NUL or control characters")
    elif not path.isascii():
        problems.append(f"path {shown!r} holds non-ASCII characters")
    if path.startswith("/"):
        problems.append("path is absolute")
    if path.startswith("~"):
        problems.append("path starts with '~'")
    if "\\" in path:
        problems.append("path holds a backslash")
    if "%" in path:
        problems.append("path holds '%' (encoded characters are refused)")
    if re.match(r"^[A-Za-z]:", path):
        problems.append("path starts with a drive letter")
    segments = path.split("/")
    if "//" in path or path.endswith("/"):
        problems.append("path has an empty segment ('//' or a trailing '/')")
    if any(s in (".", "..") for s in segments):
        problems.append("path has '.' or '..' segments (it must be normalized)")
    if len(segments) > MAX_DEPTH + 1:
        problems.append(f"path nests deeper than {MAX_DEPTH} folders")
    for segment in segments:
        if segment in ("", ".", ".."):
            continue
        if len(segment) > MAX_SEGMENT_LENGTH:
            problems.append(f"name longer than {MAX_SEGMENT_LENGTH} characters")
        elif segment.isascii() and not _SEGMENT.match(segment):
            problems.append(
                f"name {segment[:60]!r} must use letters, digits and '._+-' "
                "and start with a letter, digit or '_'"
            )
        if segment.split(".")[0].lower() in _RESERVED:
            problems.append(f"name {segment[:60]!r} is a reserved device name")
    lowered = path.lower()
    try:
        allowed = _EXTENSIONS[PackMode(mode)] + _TEXT_EXTENSIONS
    except ValueError:
        allowed = _EXTENSIONS[PackMode.HYBRID] + _TEXT_EXTENSIONS
    if not lowered.endswith(allowed):
        problems.append(
            f"extension not allowed in a {mode} pack (use {', '.join(allowed)})"
        )
    return problems
