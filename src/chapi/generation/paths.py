"""Safe names: file-path slugs and request paths built from spec text.

Everything here treats its input as hostile: a tag, a path or a parameter
name may hold ``..``, ``/``, quotes, shell syntax or control characters.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import quote

__all__ = [
    "capture_name",
    "file_path",
    "has_dot_segment",
    "one_line",
    "slugify",
    "url_quote",
]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
SLUG_MAX: Final = 60
#: Characters kept as they are in a path segment or query value (RFC 3986 unreserved).
_SAFE: Final = "-._~"


def slugify(text: str, *, fallback: str = "api") -> str:
    """Lower-case ASCII ``[a-z0-9-]`` slug of ``text``; ``fallback`` when nothing is left."""
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug or fallback


def file_path(resource: str, role: str, extension: str) -> str:
    """``tests/<resource-slug>/<role>.<ext>``; every part slugified, so never absolute or ``..``."""
    return f"tests/{slugify(resource)}/{slugify(role, fallback='tests')}.{slugify(extension)}"


def capture_name(text: str) -> str:
    """A json-ir capture name (``[A-Za-z_][A-Za-z0-9_]*``) made from ``text``."""
    name = _NOT_IDENT.sub("_", text).strip("_")[:40] or "id"
    return name if not name[0].isdigit() else f"v_{name}"


def url_quote(value: str) -> str:
    """Percent-encode ``value`` for a path segment or query component (only unreserved kept)."""
    return quote(value, safe=_SAFE)


def has_dot_segment(path: str) -> bool:
    """True when ``path`` holds a ``.`` or ``..`` segment (a traversal a client would collapse)."""
    return any(seg in (".", "..") for seg in path.split("/"))


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line: control characters become spaces, whitespace collapses, cut at ``limit``."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."
