"""NoInlineSecrets: no credential is written into a file."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import permutations
from urllib.parse import quote, quote_plus

from .._shell import ShellParseError, curl_calls, parse_script
from ..finding import Finding
from ..rule import PackFile, Rule, RuleContext

__all__ = ["MIN_SECRET_LENGTH", "NoInlineSecrets"]

MIN_SECRET_LENGTH = 4
"""Secret values shorter than this are not searched for (they match everywhere)."""

# (label, pattern, literals): a pattern can only match where one of its
# literals occurs, so a plain substring test skips the regex scan of files
# holding none of them (the patterns are case-sensitive).
_SHAPES = (
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), ("eyJ",)),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"), ("AKIA", "ASIA", "AGPA", "AIDA", "AROA")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"), ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    ("an API secret key (sk-...)", re.compile(r"\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_]{20,}"), ("sk-",)),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), ("xox",)),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), ("AIza",)),
    ("a private key block", re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY( BLOCK)?-----"), ("-----BEGIN ",)),
)  # fmt: skip
_REFERENCE = re.compile(
    r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*(?:[:%#/][^}]*)?\}?|\{\{\s*[A-Za-z_][A-Za-z0-9_.]*\s*\}\}|\*+)$"
)
_AUTH_HEADER = re.compile(
    r"""(?ix)(?<![$\w{])(authorization|proxy-authorization|x-api-key|api-key|apikey|x-auth-token
    |x-access-token|api[-_]key)\b["']?\s*[:=]\s*["']?\s*
    (?:(bearer|basic|token|digest|apikey)\s+)?([^\s"',;}]*)"""
)
# Every header name _AUTH_HEADER knows contains one of these (lower case).
_AUTH_HEADER_LITERALS = (
    "authorization",
    "api-key",
    "api_key",
    "apikey",
    "x-auth-token",
    "x-access-token",
)
_BEARER = re.compile(r"\bBearer\s+((?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{12,})")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
_INVALID = re.compile(r"(?i)^(?:chapi[-_])?invalid(?:[-_][A-Za-z0-9]+)*$")


def _is_reference(value: str) -> bool:
    """True for empty values, variable and ``{{capture}}`` references and placeholders."""
    return (
        not value
        or value.startswith(("$", "{{", "<"))
        or bool(_REFERENCE.match(value))
        or bool(_INVALID.match(value))
    )


def _secret_forms(secrets: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(secret name, form label, text to look for) for every searched form."""
    forms: list[tuple[str, str, str]] = []
    usable = {n: v for n, v in secrets.items() if len(v) >= MIN_SECRET_LENGTH}
    for name, value in sorted(usable.items()):
        forms.append((name, "value", value))
        for label, encoded in (
            ("URL-encoded", quote(value, safe="")),
            ("form-encoded", quote_plus(value)),
            ("base64", base64.b64encode(value.encode()).decode()),
        ):
            if encoded != value:
                forms.append((name, label, encoded))
    for (a, va), (b, vb) in permutations(sorted(usable.items()), 2):
        pair = f"{va}:{vb}".encode()
        forms.append((b, f"base64 of {a}:{b}", base64.b64encode(pair).decode()))
    return forms


class NoInlineSecrets(Rule):
    """No literal credential appears in any file.

    Refused: the environment's secret values (as written, URL-encoded,
    form-encoded, base64, base64 of ``a:b`` pairs, and inside any base64
    token of the file), strings shaped like credentials (JWTs, ``Bearer``
    literals, AWS key ids, GitHub, Slack, Google and ``sk-`` keys, private
    key blocks), credential headers (``Authorization``, ``X-API-Key``, ...)
    with a literal value, and curl ``-u user:password`` with a literal
    password. References (``$TOKEN``, ``${TOKEN}``, ``{{token}}``) are fine,
    as are explicit invalid-credential literals (``invalid``,
    ``chapi-invalid-credential``). Messages never quote the value found.
    """

    name = "NoInlineSecrets"
    description = "no literal credentials or environment secret values in files"

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        """Search the content for secret values, credential shapes and literal headers."""
        text = file.content
        yield from self._secrets(file, context.secrets)
        for label, pattern, literals in _SHAPES:
            if not any(literal in text for literal in literals):
                continue
            for match in pattern.finditer(text):
                yield self.finding(
                    file,
                    f"looks like {label}",
                    line=_line(text, match.start()),
                    shape=label,
                )
        for match in _auth_headers(text):
            value = match.group(3)
            if not _is_reference(value):
                yield self.finding(
                    file,
                    f"{match.group(1)} header with a literal credential",
                    line=_line(text, match.start()),
                )
        bearers = _BEARER.finditer(text) if "Bearer" in text else iter(())
        for match in bearers:
            if not _is_reference(match.group(1)) and not _AUTH_HEADER.search(
                text, max(0, match.start() - 40), match.end()
            ):
                yield self.finding(
                    file,
                    "Bearer token written as a literal",
                    line=_line(text, match.start()),
                )
        if file.kind == "bash":
            yield from self._curl_users(file)

    def _secrets(self, file: PackFile, secrets: Mapping[str, str]) -> Iterator[Finding]:
        text = file.content
        reported: set[str] = set()
        for name, label, form in _secret_forms(secrets):
            position = text.find(form)
            if position >= 0 and name not in reported:
                reported.add(name)
                yield self.finding(
                    file,
                    f"the {label} of environment secret {name} appears in the file",
                    line=_line(text, position),
                    secret=name,
                )
        usable = [
            (n, v) for n, v in sorted(secrets.items()) if len(v) >= MIN_SECRET_LENGTH
        ]
        if not usable:
            return
        # A token decodes to at most 3 bytes per 4 characters, and a decoded
        # text has no more characters than bytes: shorter tokens cannot hold
        # the shortest secret and are not decoded.
        shortest = min(len(v) for _, v in usable)
        for match in _BASE64.finditer(text):
            token = match.group(0)
            if (len(token) + 3) // 4 * 3 < shortest:
                continue
            try:
                decoded = base64.b64decode(
                    token.replace("-", "+").replace("_", "/") + "=" * (-len(token) % 4)
                ).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                continue
            for name, value in usable:
                if value in decoded and name not in reported:
                    reported.add(name)
                    yield self.finding(
                        file,
                        f"a base64 token holding environment secret {name} appears",
                        line=_line(text, match.start()),
                        secret=name,
                    )

    def _curl_users(self, file: PackFile) -> Iterator[Finding]:
        try:
            script = parse_script(file.content)
        except ShellParseError:
            return
        for call in curl_calls(script):
            for word in call.values("--user", "--proxy-user", "--oauth2-bearer"):
                _, _, password = word.value.partition(":")
                secret = password if ":" in word.value else word.value
                if not _is_reference(secret) and not (
                    "$" in secret and re.fullmatch(r"(\$\{?[A-Za-z_]\w*\}?)+", secret)
                ):
                    yield self.finding(
                        file,
                        "curl credentials (-u/--user) hold a literal password",
                        line=word.line,
                    )


def _auth_headers(text: str) -> Iterator[re.Match[str]]:
    """The matches of :data:`_AUTH_HEADER` in ``text``.

    ASCII text naming none of the header names cannot match and is not
    scanned; other text always is, since case-insensitive matching also
    folds a few non-ASCII letters (the Kelvin sign, the long s).
    """
    if text.isascii():
        lowered = text.lower()
        if not any(literal in lowered for literal in _AUTH_HEADER_LITERALS):
            return iter(())
    return _AUTH_HEADER.finditer(text)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
