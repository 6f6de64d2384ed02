"""Replacing secret values with ``***`` wherever the runner writes text.

A :class:`Masker` is built once per run from the environment's plaintext
secrets. Every log line, event, case result and artifact passes through it
before it leaves the runner. It hides:

* each secret value as written, URL-encoded (``%``-style and ``+``-style),
  JSON-escaped and base64-encoded;
* the base64 ``user:password`` pair of HTTP basic credentials, for every
  pairing of a ``*USERNAME`` with a ``*PASSWORD`` secret (and of a
  ``*CLIENT_ID`` with a ``*CLIENT_SECRET``), prefixed or not;
* URL userinfo (``https://user:pass@host``) and query parameters whose name
  says they hold a credential (``token``, ``api_key``, ``password``...);
* JSON members whose name says they hold a credential;
* whole values of credential-bearing headers (``Authorization``, ``Cookie``,
  ``X-API-Key`` and any header whose name mentions a token, key, secret,
  session or auth).

Known shortcoming: secret values shorter than four characters are not
replaced inside free text (they would blank out ordinary words); they are
still hidden in credential headers, userinfo, query parameters and JSON
members by the name-based rules.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "Masker", "is_sensitive_name"]

MASK = "***"
"""What the runner writes in place of a secret."""

_MIN_FREE_TEXT = 4
_JSON_MEMBER_SLACK = 96

_SENSITIVE_WORDS = (
    "authorization",
    "cookie",
    "token",
    "secret",
    "password",
    "passwd",
    "apikey",
    "api-key",
    "api_key",
    "session",
    "signature",
    "credential",
)
_NAME_KEY = re.compile(r"(?i)(?:^|[-_.])key$")

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]+@")
_QUERY_PAIR = re.compile(r"([?&;])([^=&#\s;]+)=([^&#\s;]*)")
_JSON_MEMBER = re.compile(r'"([^"\\]{1,80})"(\s*:\s*)"((?:[^"\\]|\\.)*)"')


@lru_cache(maxsize=4096)
def is_sensitive_name(name: str) -> bool:
    """True when a header, query parameter or JSON member name suggests a credential.

    The answer depends on the name only, and a run sees the same few header
    and member names over and over, so answers are cached.
    """
    lowered = name.lower()
    if any(word in lowered for word in _SENSITIVE_WORDS):
        return True
    return bool(_NAME_KEY.search(lowered))


def _basic_pairs(secrets: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    """Every user/password pair that could end up in a basic header.

    The runner may take a scheme-prefixed user with a plain password (or the
    reverse), so every ``*USERNAME`` is paired with every ``*PASSWORD`` and
    every ``*CLIENT_ID`` with every ``*CLIENT_SECRET``.
    """
    for user_suffix, password_suffix in (
        ("USERNAME", "PASSWORD"),
        ("CLIENT_ID", "CLIENT_SECRET"),
    ):
        users = [v for k, v in secrets.items() if k.upper().endswith(user_suffix)]
        passwords = [
            v for k, v in secrets.items() if k.upper().endswith(password_suffix)
        ]
        for user in users:
            for password in passwords:
                yield user, password


class Masker:
    """Hides a fixed set of secret values (and values learned later) in text.

    Args:
        secrets: secret names to plaintext values, as the environment holds them.
        extra_header_names: more header names whose values are always hidden
            (for example an API key scheme's own header).
    """

    def __init__(
        self,
        secrets: Mapping[str, str] | None = None,
        *,
        extra_header_names: Iterable[str] = (),
    ) -> None:
        self._needles: set[str] = set()
        self._header_names = {name.lower() for name in extra_header_names}
        self._pattern: re.Pattern[str] | None = None
        self._margin = 0
        values = dict(secrets or {})
        for value in values.values():
            self.add(value)
        for user, password in _basic_pairs(values):
            self._add_form(base64.b64encode(f"{user}:{password}".encode()).decode())

    def add(self, value: str) -> None:
        """Hide ``value`` (and its encoded forms) from now on, e.g. a fetched token."""
        if not isinstance(value, str) or len(value) < _MIN_FREE_TEXT:
            return
        self._add_form(value)
        self._add_form(quote(value, safe=""))
        self._add_form(quote_plus(value))
        self._add_form(json.dumps(value, ensure_ascii=False)[1:-1])
        self._add_form(json.dumps(value)[1:-1])
        self._add_form(base64.b64encode(value.encode()).decode().rstrip("="))

    def add_header_name(self, name: str) -> None:
        """Hide every value of the header ``name`` from now on."""
        self._header_names.add(name.lower())

    def _add_form(self, form: str) -> None:
        if len(form) >= _MIN_FREE_TEXT and form not in self._needles:
            self._needles.add(form)
            self._pattern = None
            self._margin = max(self._margin, len(form))

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._needles:
            ordered = sorted(self._needles, key=lambda s: (-len(s), s))
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return self._pattern

    @property
    def margin(self) -> int:
        """How many characters past a cut :meth:`excerpt` needs to see."""
        return self._margin + _JSON_MEMBER_SLACK

    def excerpt(self, value: str, cap: int) -> str:
        """The first ``cap`` characters of ``value``, masked.

        Masking happens before the cut, so a secret the cut would split is
        still hidden. ``value`` needs only ``cap + margin`` characters.
        """
        return self.text(value[: cap + self.margin])[:cap]

    @property
    def active(self) -> bool:
        """True when there is at least one secret value to hide."""
        return bool(self._needles)

    def text(self, value: str) -> str:
        """``value`` with every secret, userinfo, credential query and JSON member hidden."""
        if not value:
            return value
        pattern = self._compiled()
        if pattern is not None:
            value = pattern.sub(MASK, value)
        if "@" in value:
            value = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", value)
        if "=" in value:
            value = _QUERY_PAIR.sub(self._query_sub, value)
        if '"' in value:
            value = _JSON_MEMBER.sub(self._json_sub, value)
        return value

    @staticmethod
    def _query_sub(match: re.Match[str]) -> str:
        if is_sensitive_name(match.group(2)) and match.group(3):
            return f"{match.group(1)}{match.group(2)}={MASK}"
        return match.group(0)

    @staticmethod
    def _json_sub(match: re.Match[str]) -> str:
        if is_sensitive_name(match.group(1)) and match.group(3):
            return f'"{match.group(1)}"{match.group(2)}"{MASK}"'
        return match.group(0)

    def header(self, name: str, value: str) -> str:
        """A header value as it may be shown: whole value hidden for credential headers."""
        lowered = name.lower()
        if lowered in self._header_names or is_sensitive_name(lowered):
            return MASK
        return self.text(value)

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Every ``(name, value)`` pair passed through :meth:`header`."""
        return [(name, self.header(name, value)) for name, value in headers]

    def value(self, value: Any) -> Any:
        """Mask every string inside a JSON-like value (dicts, lists, scalars)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                key: (
                    MASK
                    if isinstance(item, str) and item and is_sensitive_name(str(key))
                    else self.value(item)
                )
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value
