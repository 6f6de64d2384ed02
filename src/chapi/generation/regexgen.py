"""A small generator of strings that match simple regular expressions.

It walks the pattern as parsed by Python's own ``re`` parser and handles
literals, character classes and categories, repeats, groups, alternation and
anchors. Back-references, look-arounds and conditional groups are not
supported: :func:`sample` then returns ``None`` and the caller falls back to
something else. Every result is checked with ``re.search`` before it is
returned, so a string that comes back always matches.
"""

from __future__ import annotations

import importlib
import logging
import random
import re
from typing import Any

__all__ = ["sample"]

logger = logging.getLogger(__name__)

# NOTE: ``re._parser`` is private but has kept its shape since Python 3.0
# (it was ``sre_parse``); importing it by name avoids the deprecation warning
# of the old alias.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_MAX_REPEAT = 8
_DIGITS = "0123456789"
_WORD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
_SPACE = " "
_PRINTABLE = [chr(c) for c in range(0x21, 0x7F)]


class _Unsupported(Exception):
    pass


def sample(
    pattern: str, rng: random.Random, *, max_length: int | None = None
) -> str | None:
    """A string matching ``pattern``, or ``None`` when the pattern is beyond this generator.

    Args:
        pattern: an ECMA-like regular expression as found in a JSON Schema.
        rng: the random source (seeded by the caller for determinism).
        max_length: reject results longer than this.
    """
    try:
        parsed = _parser.parse(pattern)
        text = _emit(parsed, rng)
        if re.search(pattern, text) is None:
            return None
    except (
        _Unsupported,
        re.error,
        RecursionError,
        ValueError,
        TypeError,
        OverflowError,
    ):
        logger.debug("pattern %r is beyond the sample generator", pattern)
        return None
    if max_length is not None and len(text) > max_length:
        return None
    return text


def _emit(items: Any, rng: random.Random) -> str:
    return "".join(_emit_one(op, arg, rng) for op, arg in items)


def _emit_one(op: Any, arg: Any, rng: random.Random) -> str:
    if op is _c.LITERAL:
        return chr(arg)
    if op is _c.NOT_LITERAL:
        return next(ch for ch in _WORD + "".join(_PRINTABLE) if ord(ch) != arg)
    if op is _c.ANY:
        return "a"
    if op is _c.IN:
        return _emit_class(arg, rng)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, sub = arg
        top = min(high, low + _MAX_REPEAT, max(low, 1) + 2)
        count = rng.randint(low, max(low, top))
        return "".join(_emit(sub, rng) for _ in range(count))
    if op is _c.SUBPATTERN:
        return _emit(arg[-1], rng)
    if op is _c.ATOMIC_GROUP:
        return _emit(arg, rng)
    if op is _c.BRANCH:
        return _emit(arg[1][0], rng)
    if op is _c.AT:
        return ""
    if op is _c.CATEGORY:
        return _category(arg)
    raise _Unsupported(str(op))


def _category(cat: Any) -> str:
    if cat is _c.CATEGORY_DIGIT:
        return "7"
    if cat is _c.CATEGORY_WORD:
        return "a"
    if cat is _c.CATEGORY_SPACE:
        return _SPACE
    if cat is _c.CATEGORY_NOT_DIGIT:
        return "a"
    if cat is _c.CATEGORY_NOT_WORD:
        return "-"
    if cat is _c.CATEGORY_NOT_SPACE:
        return "a"
    raise _Unsupported(str(cat))


def _emit_class(items: Any, rng: random.Random) -> str:
    negate = any(op is _c.NEGATE for op, _ in items)
    allowed: list[str] = []
    for op, arg in items:
        if op is _c.LITERAL:
            allowed.append(chr(arg))
        elif op is _c.RANGE:
            low, high = arg
            allowed.extend(chr(c) for c in range(low, min(high, low + 60) + 1))
        elif op is _c.CATEGORY:
            pool = {
                _c.CATEGORY_DIGIT: _DIGITS,
                _c.CATEGORY_WORD: _WORD,
                _c.CATEGORY_SPACE: _SPACE,
            }.get(arg)
            if pool is None:
                raise _Unsupported(str(arg))
            allowed.extend(pool)
        elif op is not _c.NEGATE:
            raise _Unsupported(str(op))
    if negate:
        excluded = set(allowed)
        choices = [ch for ch in _WORD + "-" if ch not in excluded]
    else:
        choices = allowed
    if not choices:
        raise _Unsupported("empty class")
    return rng.choice(choices)
