"""Which credentials a step sends, from the operation's security scheme and the secrets.

Secret-name convention (shared with the bash-curl renderer). ``<SCHEME>`` is
the scheme's name upper-cased with every run of other characters turned into
``_`` (``bearerAuth`` → ``BEARERAUTH``, ``api-key`` → ``API_KEY``); the
scheme-prefixed name wins over the plain one when both exist:

========================  =================================================
scheme kind               secrets read
========================  =================================================
bearer, openidconnect     ``<SCHEME>_TOKEN`` or ``TOKEN``
basic                     ``<SCHEME>_USERNAME``/``<SCHEME>_PASSWORD`` or
                          ``USERNAME``/``PASSWORD``
apikey                    ``<SCHEME>_API_KEY`` or ``API_KEY``
oauth2                    a ready ``<SCHEME>_TOKEN``/``TOKEN``; otherwise
                          ``<SCHEME>_CLIENT_ID``/``<SCHEME>_CLIENT_SECRET`` or
                          ``CLIENT_ID``/``CLIENT_SECRET`` exchanged at the
                          scheme's token URL (client credentials grant)
========================  =================================================

A step's ``auth`` case decides what is sent: ``valid`` applies the secrets,
``invalid`` sends well-formed but wrong credentials of the same kind, and
``none`` sends nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..specs.model import ApiModel, Operation, SecurityScheme

__all__ = [
    "INVALID_VALUE",
    "AppliedAuth",
    "SchemeSecrets",
    "choose_schemes",
    "scheme_env_prefix",
    "secret_names",
]

INVALID_VALUE = "chapi-invalid-credential"
"""What an ``auth: invalid`` step sends in place of each credential."""

_NON_WORD = re.compile(r"[^A-Z0-9]+")


def scheme_env_prefix(scheme_name: str) -> str:
    """The secret-name prefix of a scheme: ``bearerAuth`` → ``BEARERAUTH``."""
    return _NON_WORD.sub("_", scheme_name.upper()).strip("_")


def secret_names(scheme: SecurityScheme) -> dict[str, tuple[str, ...]]:
    """Each credential part of ``scheme`` to the secret names tried, in order.

    Example: a bearer scheme ``bearerAuth`` gives
    ``{"token": ("BEARERAUTH_TOKEN", "TOKEN")}``.
    """
    prefix = scheme_env_prefix(scheme.name)

    def names(suffix: str) -> tuple[str, ...]:
        return (f"{prefix}_{suffix}", suffix) if prefix else (suffix,)

    kind = scheme.kind.lower()
    if kind == "basic":
        return {"username": names("USERNAME"), "password": names("PASSWORD")}
    if kind == "apikey":
        return {"api_key": names("API_KEY")}
    if kind == "oauth2":
        return {
            "token": names("TOKEN"),
            "client_id": names("CLIENT_ID"),
            "client_secret": names("CLIENT_SECRET"),
        }
    return {"token": names("TOKEN")}


@dataclass(frozen=True, slots=True)
class SchemeSecrets:
    """The secrets found for one scheme (``None`` where a part is missing)."""

    scheme: SecurityScheme
    values: dict[str, str | None]

    @property
    def complete(self) -> bool:
        """True when the scheme can be applied with these secrets."""
        kind = self.scheme.kind.lower()
        if kind == "basic":
            return (
                bool(self.values.get("username"))
                and self.values.get("password") is not None
            )
        if kind == "oauth2":
            return bool(self.values.get("token")) or (
                bool(self.values.get("client_id"))
                and bool(self.values.get("client_secret"))
            )
        if kind == "apikey":
            return bool(self.values.get("api_key"))
        return bool(self.values.get("token"))

    def missing(self) -> list[str]:
        """The first secret name of every part with no value."""
        names = secret_names(self.scheme)
        if self.scheme.kind.lower() == "oauth2":
            return [] if self.complete else [names["token"][-1]]
        return [names[part][-1] for part, value in self.values.items() if value is None]


def lookup(scheme: SecurityScheme, secrets: Mapping[str, str]) -> SchemeSecrets:
    """The secrets ``scheme`` reads, looked up by the naming convention."""
    values: dict[str, str | None] = {}
    for part, names in secret_names(scheme).items():
        values[part] = next((secrets[n] for n in names if n in secrets), None)
    return SchemeSecrets(scheme, values)


_FALLBACK = SecurityScheme(name="", kind="bearer")


def choose_schemes(
    api: ApiModel | None, operation: Operation | None, secrets: Mapping[str, str]
) -> list[SchemeSecrets]:
    """The schemes to apply for a step, with their secrets.

    The operation's own alternatives come first: the first alternative whose
    every scheme has its secrets is chosen, else the first alternative. An
    operation that needs no credentials gets none. Without an operation, the
    document's top-level ``security`` is used, then its first scheme, then a
    bearer ``TOKEN``.
    """
    if api is not None and operation is not None:
        alternatives = [list(alt) for alt in operation.security]
        if not alternatives or not any(alternatives):
            return []
    else:
        alternatives = _document_alternatives(api)
    if api is None or not alternatives:
        return [lookup(_FALLBACK, secrets)]

    chosen: list[SchemeSecrets] | None = None
    for alternative in alternatives:
        found = [
            lookup(api.security_schemes[name], secrets)
            for name in alternative
            if name in api.security_schemes
        ]
        if found and all(item.complete for item in found):
            return found
        if chosen is None and found:
            chosen = found
    return chosen if chosen is not None else [lookup(_FALLBACK, secrets)]


def _document_alternatives(api: ApiModel | None) -> list[list[str]]:
    if api is None:
        return []
    raw = api.document.get("security")
    result: list[list[str]] = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and item:
                result.append([str(name) for name in item])
    if not result and api.security_schemes:
        result.append([next(iter(api.security_schemes))])
    return result


@dataclass(slots=True)
class AppliedAuth:
    """Headers, query parameters and cookies a step adds for its credentials."""

    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
