"""Understanding a plain-words request: which roles, which operations.

Roles are found by keywords (see :data:`ROLE_WORDS`); when none is named the
request gets SMOKE and AUTH. The scope is, in order of precedence:

1. explicit paths written in the request (``/pets`` selects ``/pets`` and
   every path below it; ``{param}`` names need not match the spec's);
2. the operations :func:`chapi.catalog.search.rank` finds for the words
   left once role words and filler are removed: hits scoring at least half
   the best score, at most ``limit`` of them (the word "all" lifts both
   limits and keeps every hit);
3. every operation, when no word is left or nothing matched.

The selection is then filtered by the allowed methods.
:func:`default_allowed_ops` gives the default per environment: everything
outside production, only ``GET``, ``HEAD`` and ``OPTIONS`` in production
(``prod``/``production``/``live``), so a pack planned for production never writes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from ..catalog.search import rank
from ..domain.enums import FileRole
from ..specs.model import ApiModel, Operation

__all__ = [
    "ALL_METHODS",
    "ROLE_WORDS",
    "SAFE_METHODS",
    "Intent",
    "default_allowed_ops",
    "normalize_allowed_ops",
    "parse_roles",
    "understand",
]

logger = logging.getLogger(__name__)

ALL_METHODS: Final = (
    "GET",
    "HEAD",
    "OPTIONS",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "TRACE",
)
SAFE_METHODS: Final = ("GET", "HEAD", "OPTIONS")
PRODUCTION_ENVS: Final = frozenset({"prod", "production", "live"})

ROLE_WORDS: Final[dict[FileRole, frozenset[str]]] = {
    FileRole.SMOKE: frozenset(
        {"smoke", "sanity", "health", "healthcheck", "basic", "ping"}
    ),
    FileRole.AUTH: frozenset(
        {
            "auth",
            "authn",
            "authz",
            "authentication",
            "authorization",
            "authorisation",
            "security",
            "secured",
            "credential",
            "credentials",
            "permission",
            "permissions",
        }
    ),
    FileRole.CRUD: frozenset(
        {
            "crud",
            "create",
            "lifecycle",
            "roundtrip",
            "round-trip",
            "update",
            "persistence",
            "delete",
            "deletes",
            "deleting",
            "deletion",
        }
    ),
    FileRole.NEGATIVE: frozenset(
        {
            "negative",
            "invalid",
            "validation",
            "validate",
            "edge",
            "edges",
            "bad",
            "malformed",
            "error",
            "errors",
        }
    ),
}

_FILLER: Final = frozenset(
    [
        "a",
        "an",
        "and",
        "also",
        "all",
        "any",
        "api",
        "apis",
        "are",
        "as",
        "at",
        "be",
        "bash",
        "by",
        "case",
        "cases",
        "check",
        "checks",
        "curl",
        "do",
        "each",
        "endpoint",
        "endpoints",
        "every",
        "for",
        "from",
        "generate",
        "give",
        "hybrid",
        "i",
        "in",
        "ir",
        "is",
        "it",
        "json",
        "make",
        "me",
        "my",
        "of",
        "on",
        "only",
        "operation",
        "operations",
        "or",
        "pack",
        "please",
        "plus",
        "route",
        "routes",
        "script",
        "scripts",
        "some",
        "suite",
        "test",
        "tests",
        "testing",
        "that",
        "the",
        "their",
        "these",
        "this",
        "to",
        "using",
        "want",
        "we",
        "with",
        "write",
    ]
)
_WORD: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_PATH: Final = re.compile(r"(?:^|(?<=[\s\"'`(\[]))(/[^\s\"'`()\[\],;]*)")
_PARAM: Final = re.compile(r"\{[^}/]*\}")
_ROLE_ORDER: Final = (FileRole.SMOKE, FileRole.AUTH, FileRole.CRUD, FileRole.NEGATIVE)


@dataclass(frozen=True)
class Intent:
    """What a request asks for.

    Attributes:
        roles: requested roles in the order SMOKE, AUTH, CRUD, NEGATIVE.
        operations: keys (``METHOD /path``) of the selected, allowed
            operations, in the description's order.
        scope: how they were chosen: ``explicit``, ``ranked`` or ``all``.
        explicit_paths: the paths written in the request.
        allowed_ops: the allowed methods, upper case, sorted.
        notes: plain statements about choices made (shown on the card).
    """

    roles: tuple[FileRole, ...]
    operations: tuple[str, ...]
    scope: Literal["explicit", "ranked", "all"]
    explicit_paths: tuple[str, ...] = ()
    allowed_ops: tuple[str, ...] = ALL_METHODS
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Entry:
    method: str
    path: str
    summary: str
    operation_id: str | None
    tags: list[str]


def default_allowed_ops(env: str) -> tuple[str, ...]:
    """The methods a pack may use in ``env`` when the caller names none.

    Production (``prod``, ``production``, ``live``; any case) gets the safe
    methods ``GET``, ``HEAD`` and ``OPTIONS``; every other environment gets
    all methods.
    """
    return SAFE_METHODS if env.strip().lower() in PRODUCTION_ENVS else ALL_METHODS


def normalize_allowed_ops(
    allowed_ops: Iterable[str] | str | None, env: str
) -> tuple[str, ...]:
    """Allowed methods as a sorted upper-case tuple; ``None`` means :func:`default_allowed_ops`.

    A string is split on commas and spaces (``"GET,POST"``).
    """
    if allowed_ops is None:
        return tuple(sorted(default_allowed_ops(env)))
    items = (
        re.split(r"[\s,]+", allowed_ops)
        if isinstance(allowed_ops, str)
        else allowed_ops
    )
    return tuple(sorted({m.strip().upper() for m in items if m.strip()}))


def parse_roles(request: str) -> tuple[FileRole, ...]:
    """The roles ``request`` names; SMOKE and AUTH when it names none."""
    words = {w.lower() for w in _WORD.findall(request)}
    found = [role for role in _ROLE_ORDER if words & ROLE_WORDS[role]]
    return tuple(found) if found else (FileRole.SMOKE, FileRole.AUTH)


def understand(
    api: ApiModel,
    request: str,
    *,
    allowed_ops: Iterable[str] | str | None = None,
    env: str = "local",
    limit: int = 50,
) -> Intent:
    """Roles and operations for ``request`` against ``api``.

    A request of several lines (a conversation's questions, one per line)
    is understood line by line and the results are joined: every role and
    every operation any line asks for.

    Args:
        api: the API to select from.
        request: the plain-words request.
        allowed_ops: allowed methods; ``None`` for :func:`default_allowed_ops`.
        env: the environment name the pack is meant for.
        limit: the most operations ranking may select (explicit paths and
            "all" are not limited).
    """
    lines = [line for line in request.splitlines() if line.strip()]
    if len(lines) > 1:
        parts = [
            _understand_line(api, line, allowed_ops=allowed_ops, env=env, limit=limit)
            for line in lines
        ]
        wanted = {key for part in parts for key in part.operations}
        scopes = {part.scope for part in parts}
        return Intent(
            roles=tuple(
                role for role in _ROLE_ORDER if any(role in p.roles for p in parts)
            ),
            operations=tuple(op.key for op in api.operations if op.key in wanted),
            scope="explicit"
            if "explicit" in scopes
            else ("all" if scopes == {"all"} else "ranked"),
            explicit_paths=tuple(
                dict.fromkeys(p for part in parts for p in part.explicit_paths)
            ),
            allowed_ops=parts[0].allowed_ops,
            notes=tuple(dict.fromkeys(n for part in parts for n in part.notes)),
        )
    return _understand_line(api, request, allowed_ops=allowed_ops, env=env, limit=limit)


def _understand_line(
    api: ApiModel,
    request: str,
    *,
    allowed_ops: Iterable[str] | str | None,
    env: str,
    limit: int,
) -> Intent:
    roles = parse_roles(request)
    allowed = normalize_allowed_ops(allowed_ops, env)
    notes: list[str] = []

    explicit = tuple(
        dict.fromkeys(p.rstrip(".") for p in _PATH.findall(request) if len(p) > 1)
    )
    if explicit:
        chosen = [
            op for op in api.operations if any(_under(op.path, p) for p in explicit)
        ]
        scope: Literal["explicit", "ranked", "all"] = "explicit"
        if not chosen:
            notes.append("no operation matches " + ", ".join(explicit))
    else:
        chosen, scope = _ranked(api.operations, request, limit, notes)

    kept = [op for op in chosen if op.method.upper() in allowed]
    dropped = len(chosen) - len(kept)
    if dropped:
        notes.append(
            f"{dropped} operation(s) left out: method not allowed (allowed: {', '.join(allowed)})"
        )
    logger.debug("request selected %d operation(s), scope %s", len(kept), scope)
    return Intent(
        roles=roles,
        operations=tuple(op.key for op in kept),
        scope=scope,
        explicit_paths=explicit,
        allowed_ops=allowed,
        notes=tuple(notes),
    )


def _ranked(
    operations: Sequence[Operation], request: str, limit: int, notes: list[str]
) -> tuple[list[Operation], Literal["ranked", "all"]]:
    words = [w for w in _WORD.findall(request) if w.lower() not in _FILLER]
    role_words = set().union(*ROLE_WORDS.values())
    scope_words = [w for w in words if w.lower() not in role_words]
    if not scope_words:
        return list(operations), "all"

    entries = [
        _Entry(op.method, op.path, op.summary, op.operation_id, list(op.tags))
        for op in operations
    ]
    everything = "all" in {w.lower() for w in _WORD.findall(request)}
    hits = rank(entries, " ".join(scope_words), limit=len(entries))
    if not hits:
        notes.append(
            f"nothing matched {' '.join(scope_words)!r}; covering every operation"
        )
        return list(operations), "all"
    if not everything:
        top = hits[0].score
        hits = [h for h in hits if h.score >= top / 2][:limit]
    picked = sorted(h.index for h in hits)
    return [operations[i] for i in picked], "ranked"


def _under(path: str, wanted: str) -> bool:
    """True when ``path`` is ``wanted`` or below it (parameter names ignored)."""
    norm_path = _PARAM.sub("{}", path).rstrip("/") or "/"
    norm_wanted = _PARAM.sub("{}", wanted).rstrip("/") or "/"
    return norm_path == norm_wanted or norm_path.startswith(
        norm_wanted.rstrip("/") + "/"
    )
