"""The bash-curl renderer: a json-ir document → a self-contained bash script.

The script reads the base URL and credentials from environment variables
only: ``BASE_URL``, and per security scheme ``<SCHEME>_TOKEN`` else
``TOKEN`` (bearer, OAuth 2, OpenID Connect), ``<SCHEME>_API_KEY`` else
``API_KEY`` (API keys), ``<SCHEME>_USERNAME``/``<SCHEME>_PASSWORD`` else
``USERNAME``/``PASSWORD`` (basic), where ``<SCHEME>`` is
:func:`credential_var`'s prefix (the runner passes secrets by the same
names). It runs each step with curl and prints TAP (``1..N``,
``ok``/``not ok`` lines and ``#`` diagnostics). Every value that comes from
the description or the request is quoted; path and query values are
percent-encoded; curl runs with ``-q`` (no ``.curlrc``), ``--globoff``,
``--proto =http,https`` and a time limit, and bodies go through
``--data-raw`` (no ``@file`` reading).

``expect.headers`` and ``expect.max_ms`` are checked as the runner checks
them: curl writes the response headers (``-D``) to a file the script makes
with ``mktemp`` in the working folder and removes on exit, and reports its
``time_total`` through ``-w``. The helpers for this (:data:`TRUSTED_PRELUDES`)
are only included when a step uses them, so other scripts are unchanged.

Known shortcomings: response-schema conformance (``expect.schema``) is
checked by the json-ir runner only; value checks and captures need ``jq``
(without it, value checks are reported as skipped in a diagnostic and
captures fail); pointer segments made only of digits are read as array
indices; header names and values are compared case-insensitively for ASCII
letters only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

from ..runner.credentials import INVALID_VALUE, choose_schemes
from ..specs.model import ApiModel, Operation, SecurityScheme
from .paths import one_line
from .provenance import GENERATOR_VERSION

__all__ = [
    "CREDENTIAL_VARS",
    "INVALID_VALUE",
    "TRUSTED_PRELUDES",
    "credential_var",
    "render_bash",
]

#: Which environment variable holds the credential of each scheme kind.
CREDENTIAL_VARS: Final[dict[str, tuple[str, ...]]] = {
    "bearer": ("TOKEN",),
    "oauth2": ("TOKEN",),
    "openidconnect": ("TOKEN",),
    "apikey": ("API_KEY",),
    "basic": ("USERNAME", "PASSWORD"),
}
_NON_WORD: Final = re.compile(r"[^A-Z0-9]+")
_PLACEHOLDER: Final = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")
_NOT_TOKEN: Final = re.compile(r"[^!#$%&'*+.^_`|~0-9A-Za-z-]")
_PATH_SAFE: Final = "/%:@!$&'()*+,;=-._~"
_TIMED_WRITE_OUT: Final = r"\n%{time_total}\n%{http_code}"
"""curl's -w for a step with a time limit: it replaces the prelude's own -w
(curl keeps the last), so the status stays the last line and the time comes
before it."""

_PRELUDE: Final = r"""BASE_URL="${BASE_URL:?set BASE_URL to the API base URL}"
BASE_URL="${BASE_URL%/}"
MAX_TIME="${CHAPI_MAX_TIME:-30}"
HAVE_JQ=0
if command -v jq >/dev/null 2>&1; then HAVE_JQ=1; fi
N=0
FAILED=0
NAME=""
STATUS=""
BODY=""
PROBLEMS=()
NOTES=()

# Percent-encode one value for a URL path segment or query component.
_urlencode() {
  local text="$1" out="" ch i
  local LC_ALL=C
  for ((i = 0; i < ${#text}; i++)); do
    ch="${text:i:1}"
    case "$ch" in
      [a-zA-Z0-9.~_-]) out+="$ch" ;;
      *) out+="$(printf '%%%02X' "'$ch")" ;;
    esac
  done
  printf '%s' "$out"
}

# Escape one value for use inside a JSON string.
_json_escape() {
  local text="$1"
  text="${text//\\/\\\\}"
  text="${text//\"/\\\"}"
  text="${text//$'\n'/\\n}"
  text="${text//$'\r'/\\r}"
  text="${text//$'\t'/\\t}"
  printf '%s' "$text"
}

_step() {
  N=$((N + 1))
  NAME="$1"
  PROBLEMS=()
  NOTES=()
  STATUS=""
  BODY=""
}

# True when every named capture holds a value; otherwise the step fails.
_ready() {
  local name var
  for name in "$@"; do
    var="cap_$name"
    if [ -z "${!var:-}" ]; then
      PROBLEMS+=("no value was captured for $name; request not sent")
      return 1
    fi
  done
  return 0
}

# _call METHOD URL [curl options...]: sets STATUS and BODY.
_call() {
  local method="$1" url="$2" out
  shift 2
  local -a verb=(-X "$method")
  if [ "$method" = "HEAD" ]; then verb=(--head); fi
  if out="$(curl -q -sS --globoff --proto '=http,https' --max-time "$MAX_TIME" \
      "${verb[@]}" -w '\n%{http_code}' "$@" --url "$url")"; then
    STATUS="${out##*$'\n'}"
    BODY="${out%$'\n'*}"
  else
    STATUS="000"
    PROBLEMS+=("curl could not complete the $method request")
  fi
  return 0
}

# _expect_status CODE_OR_RANGE...: 200, 404, 2XX...
_expect_status() {
  local want
  for want in "$@"; do
    if [ "$STATUS" = "$want" ] || [ "${STATUS:0:1}XX" = "$want" ]; then return 0; fi
  done
  PROBLEMS+=("status $STATUS, expected one of: $*")
  local snippet="${BODY:0:200}"
  PROBLEMS+=("body: ${snippet//$'\n'/ }")
  return 0
}

# _expect_json JQ_PATH EXPECTED_JSON POINTER: the value at POINTER equals EXPECTED_JSON.
_expect_json() {
  if [ "$HAVE_JQ" != 1 ]; then NOTES+=("jq not installed: value check at $3 skipped"); return 0; fi
  if ! printf '%s' "$BODY" | jq -e --argjson p "$1" --argjson v "$2" 'getpath($p) == $v' >/dev/null 2>&1; then
    PROBLEMS+=("value at $3 is not $2")
  fi
  return 0
}

# _expect_exists JQ_PATH POINTER
_expect_exists() {
  if [ "$HAVE_JQ" != 1 ]; then NOTES+=("jq not installed: check at $2 skipped"); return 0; fi
  if ! printf '%s' "$BODY" | jq -e --argjson p "$1" 'getpath($p) != null' >/dev/null 2>&1; then
    PROBLEMS+=("no value at $2")
  fi
  return 0
}

# _expect_type JQ_PATH TYPE POINTER (TYPE as json-ir names it; integer counts as number).
_expect_type() {
  if [ "$HAVE_JQ" != 1 ]; then NOTES+=("jq not installed: type check at $3 skipped"); return 0; fi
  local want="$2"
  if [ "$want" = "integer" ]; then want="number"; fi
  if ! printf '%s' "$BODY" | jq -e --argjson p "$1" --arg t "$want" 'getpath($p) | type == $t' >/dev/null 2>&1; then
    PROBLEMS+=("value at $3 is not of type $2")
  fi
  return 0
}

# _capture NAME JQ_PATH POINTER: stores the value at POINTER in cap_NAME.
_capture() {
  local value=""
  if [ "$HAVE_JQ" != 1 ]; then
    PROBLEMS+=("jq is needed to capture $1")
  else
    value="$(printf '%s' "$BODY" | jq -r --argjson p "$2" \
      'getpath($p) // empty | if type == "string" then . else tojson end' 2>/dev/null)" || value=""
    if [ -z "$value" ]; then PROBLEMS+=("nothing to capture at $3"); fi
  fi
  printf -v "cap_$1" '%s' "$value"
  return 0
}

_end() {
  local line
  if [ "${#PROBLEMS[@]}" -eq 0 ]; then
    printf 'ok %d - %s\n' "$N" "$NAME"
  else
    FAILED=$((FAILED + 1))
    printf 'not ok %d - %s\n' "$N" "$NAME"
    for line in "${PROBLEMS[@]}"; do printf '# %s\n' "$line"; done
  fi
  for line in "${NOTES[@]}"; do printf '# %s\n' "$line"; done
  return 0
}
"""


_CHECKS_PRELUDE: Final = r"""
# Response header and time checks, in scripts whose steps expect them.
# HEADERS_FILE (made after this prelude with mktemp in the working folder,
# where the rules can see it) receives each such response's headers
# through curl -D.

# _expect_header NAME WANTED: the response header NAME holds WANTED, both
# compared without regard to case; a header sent more than once counts with
# its values joined by ", ". Only the last response's headers count.
_expect_header() {
  if [ "$STATUS" = "000" ]; then return 0; fi
  local name want text lowered line low value="" found=0
  name="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')"
  want="$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')"
  if [ -z "$1" ] || [ "$1" != "$(printf '%s' "$1" | tr -cd 'A-Za-z0-9!#$%&\047*+.^_`|~-')" ]; then
    PROBLEMS+=("header $1 is missing")
    return 0
  fi
  text="$(tr -d '\r' < "$HEADERS_FILE")"
  lowered="$(printf '%s' "$text" | tr '[:upper:]' '[:lower:]')"
  while read -r line && read -r low <&3; do
    case "$low" in
      http/*) value=""; found=0 ;;
      "$name":*)
        line="${line#*:}"
        line="${line#"${line%%[![:space:]]*}"}"
        if [ "$found" = 1 ]; then value+=", $line"; else value="$line"; fi
        found=1
        ;;
    esac
  done <<< "$text" 3<<< "$lowered"
  if [ "$found" != 1 ]; then
    PROBLEMS+=("header $1 is missing")
    return 0
  fi
  low="$(printf '%s' "$value" | tr '[:upper:]' '[:lower:]')"
  case "$low" in
    *"$want"*) ;;
    *) PROBLEMS+=("header $1 '$value' does not contain '$2'") ;;
  esac
  return 0
}

# _expect_time MAX_MS: the request took at most MAX_MS milliseconds by curl's
# time_total, which the step's -w option leaves as the last line of BODY
# (this function takes it off again, so it runs right after _call).
_expect_time() {
  if [ "$STATUS" = "000" ]; then return 0; fi
  local seconds="${BODY##*$'\n'}" whole frac micros
  BODY="${BODY%$'\n'*}"
  seconds="${seconds/,/.}"
  whole="${seconds%%.*}"
  frac="${seconds#"$whole"}"
  frac="${frac#.}000000"
  frac="${frac:0:6}"
  case "$whole" in '' | *[!0-9]*) whole="x" ;; esac
  case "$frac" in *[!0-9]*) whole="x" ;; esac
  if [ "$whole" = "x" ]; then
    PROBLEMS+=("curl reported no usable time for the request")
    return 0
  fi
  micros=$((10#$whole * 1000000 + 10#$frac))
  if [ "$micros" -gt $(($1 * 1000)) ]; then
    PROBLEMS+=("took $(((micros + 500) / 1000)) ms, more than max_ms $1")
  fi
  return 0
}
"""

_HEADERS_FILE_LINES: Final = (
    'HEADERS_FILE="$(mktemp chapi-headers.XXXXXX)"',
    "_forget_headers() {",
    '  rm -f "$HEADERS_FILE"',
    "}",
    "trap _forget_headers EXIT",
)
"""The headers file's lifetime, written outside the trusted prelude: the rules
check that what it removes is the script's own mktemp file."""

TRUSTED_PRELUDES: Final = (
    (_PRELUDE + _CHECKS_PRELUDE).rstrip("\n"),
    _PRELUDE.rstrip("\n"),
)
"""The fixed helper texts a script may hold, longest first.

Every script holds the first or the second verbatim: the second, unchanged
since version 1.0.0, when no step expects headers or a time limit. The
guardrail rules set these texts aside before parsing a script (bashlex
cannot parse their arrays and arithmetic) and count their functions as
defined; they are package text, never built from a description or a request.
"""


Part = tuple[bool, str]
"""A piece of a shell word: ``(True, literal text)`` or ``(False, expansion)``."""

_PLAIN: Final = re.compile(r"[A-Za-z0-9 /_.,:~%=&?+@*-]*")


_BARE: Final = re.compile(r"[A-Za-z0-9_./:,+@%=-]+")


def _q(text: str) -> str:
    """One shell word holding ``text`` literally: bare when inert, else single-quoted.

    NUL bytes are dropped (a bash string cannot hold them).
    """
    text = text.replace("\x00", "")
    if _BARE.fullmatch(text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _join(parts: Sequence[Part]) -> str:
    """One shell word from literal pieces and expansions.

    Plain literals (letters, digits and a few inert signs) are written inside
    one double-quoted string, which reads well; anything else is
    single-quoted piece by piece, so no spec-derived text is ever expanded.
    """
    merged: list[Part] = []
    for lit, text in parts:
        if lit and merged and merged[-1][0]:
            merged[-1] = (True, merged[-1][1] + text)
        else:
            merged.append((lit, text))
    parts = merged
    if not parts:
        return "''"
    if all(not lit or _PLAIN.fullmatch(text) for lit, text in parts):
        return '"' + "".join(text for _, text in parts) + '"'
    return "".join(
        _q(text) if lit else f'"{text}"' for lit, text in parts if text or not lit
    )


def _parts(text: str, encoder: str | None) -> list[Part]:
    """``text`` split into literals and ``{{name}}`` capture expansions.

    Args:
        text: literal text, possibly holding placeholders.
        encoder: the prelude function applied to each captured value
            (``_urlencode``, ``_json_escape``) or ``None`` for raw.
    """
    out: list[Part] = []
    last = 0
    for match in _PLACEHOLDER.finditer(text):
        if match.start() > last:
            out.append((True, text[last : match.start()]))
        var = f"${{cap_{match.group(1)}:-}}"
        out.append((False, f'$({encoder} "{var}")' if encoder else var))
        last = match.end()
    if last < len(text):
        out.append((True, text[last:]))
    return out


def _word(text: str, encoder: str | None) -> str:
    """A shell word for ``text`` with ``{{name}}`` placeholders expanded from captures."""
    return _join(_parts(text, encoder))


def _placeholders(value: Any) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return list(dict.fromkeys(_PLACEHOLDER.findall(text)))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _jq_path(pointer: str) -> str:
    """A JSON Pointer as a jq path array (numeric segments become indices)."""
    parts: list[str | int] = []
    if pointer:
        for raw in pointer[1:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            parts.append(int(part) if part.isdigit() and len(part) < 10 else part)
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def _header_name(name: str) -> str:
    return _NOT_TOKEN.sub("", name)


def _header_value(value: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", " ", value)


def _comment(text: str) -> str:
    return "# " + one_line(text, 300)


def _tap_name(text: str) -> str:
    return one_line(text, 300).replace("#", "no.") or "step"


def _schemes(api: ApiModel, op: Operation | None) -> list[SecurityScheme]:
    """The schemes of the first security alternative whose kinds a script can apply.

    A step that names no operation of ``api`` gets what the json-ir runner
    gives it: the document's own ``security``, else its first scheme, else
    a bearer ``TOKEN``.
    """
    if op is None:
        chosen = [found.scheme for found in choose_schemes(api, None, {})]
        return [s for s in chosen if s.kind.lower() in CREDENTIAL_VARS]
    if not op.secured:
        return []
    for alternative in op.security:
        found = [api.security_schemes.get(name) for name in alternative]
        schemes = [s for s in found if s is not None]
        if schemes and all(s.kind.lower() in CREDENTIAL_VARS for s in schemes):
            return schemes
    return []


def credential_var(scheme_name: str, part: str) -> str:
    """The scheme-specific variable of a credential part: ``bearerAuth``, ``TOKEN`` → ``BEARERAUTH_TOKEN``.

    A script reads this variable first and falls back to the plain ``part``
    name (``TOKEN``, ``API_KEY``, ``USERNAME``, ``PASSWORD``). A name with
    no letter or digit gives the plain name itself, as the runner does.
    """
    prefix = _NON_WORD.sub("_", scheme_name.upper()).strip("_")
    if not prefix:
        return part
    if prefix[0].isdigit():
        prefix = "SCHEME_" + prefix
    return f"{prefix}_{part}"


def _auth_args(
    schemes: Sequence[SecurityScheme], case: str
) -> tuple[list[str], list[list[Part]]]:
    """Curl arguments and extra query pairs for an auth case."""
    args: list[str] = []
    query: list[list[Part]] = []
    if case == "none":
        return args, query
    valid = case == "valid"
    bad: Part = (True, INVALID_VALUE)
    for scheme in schemes:
        kind = scheme.kind.lower()

        def var(part: str, name: str = scheme.name) -> str:
            return "${" + credential_var(name, part) + "}"

        if kind in ("bearer", "oauth2", "openidconnect"):
            token: Part = (False, var("TOKEN")) if valid else bad
            args += ["-H", _join([(True, "Authorization: Bearer "), token])]
        elif kind == "basic":
            pair = f"{var('USERNAME')}:{var('PASSWORD')}"
            user: Part = (
                (False, pair) if valid else (True, f"{INVALID_VALUE}:{INVALID_VALUE}")
            )
            args += ["--user", _join([user])]
        elif kind == "apikey":
            name = scheme.param_name or "X-API-Key"
            key: Part = (False, var("API_KEY")) if valid else bad
            encoded: Part = (
                (False, f'$(_urlencode "{var("API_KEY")}")') if valid else bad
            )
            if scheme.location == "query":
                query.append([(True, quote(name, safe="-._~") + "="), encoded])
            elif scheme.location == "cookie":
                args += [
                    "--cookie",
                    _join([(True, quote(name, safe="-._~") + "="), encoded]),
                ]
            else:
                args += [
                    "-H",
                    _join([(True, f"{_header_name(name) or 'X-API-Key'}: "), key]),
                ]
    return args, query


def _query_parts(query: dict[str, Any], extra: list[list[Part]]) -> list[Part]:
    pairs: list[list[Part]] = []
    for key in sorted(query):
        values = query[key] if isinstance(query[key], list) else [query[key]]
        for value in values:
            prefix: Part = (True, quote(key, safe="-._~") + "=")
            pairs.append([prefix, *_parts(_scalar(value), "_urlencode")])
    pairs.extend(extra)
    out: list[Part] = []
    for i, pair in enumerate(pairs):
        out.append((True, "?" if i == 0 else "&"))
        out.extend(_encode_literals(pair))
    return out


def _encode_literals(parts: list[Part]) -> list[Part]:
    """Percent-encode the literal pieces of a query value (the key is already encoded)."""
    if not parts:
        return parts
    head, *rest = parts
    return [
        head,
        *((True, quote(t, safe="-._~")) if lit else (lit, t) for lit, t in rest),
    ]


def _path_parts(path: str) -> list[Part]:
    parts: list[Part] = []
    for lit, text in _parts(path, "_urlencode"):
        parts.append((True, quote(text, safe=_PATH_SAFE)) if lit else (False, text))
    return parts


def _body_args(request: dict[str, Any]) -> list[str]:
    if "json" in request:
        text = json.dumps(
            request["json"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return [
            "-H",
            _q("Content-Type: application/json"),
            "--data-raw",
            _q_or_word(text, "_json_escape"),
        ]
    if "form" in request:
        form = request["form"] or {}
        parts: list[Part] = []
        for i, k in enumerate(sorted(form)):
            parts.append((True, ("&" if i else "") + quote(str(k), safe="-._~") + "="))
            parts.extend(
                _encode_literals([(True, ""), *_parts(_scalar(form[k]), "_urlencode")])[
                    1:
                ]
            )
        return [
            "-H",
            _q("Content-Type: application/x-www-form-urlencoded"),
            "--data-raw",
            _join(parts),
        ]
    if "body" in request:
        args = ["--data-raw", _q_or_word(str(request["body"]), None)]
        if request.get("content_type"):
            ctype = _header_value(str(request["content_type"]))
            args = ["-H", _q(f"Content-Type: {ctype}"), *args]
        return args
    return []


def _q_or_word(text: str, encoder: str | None) -> str:
    """Single-quoted text, or a joined word when it holds capture placeholders."""
    parts = _parts(text, encoder)
    if all(lit for lit, _ in parts):
        return _q(text)
    return "".join(_q(t) if lit else f'"{t}"' for lit, t in parts)


def _step_lines(
    api: ApiModel, step: dict[str, Any], operations: Mapping[str, Operation]
) -> list[str]:
    request: dict[str, Any] = step["request"]
    key = step.get("operation")
    op = operations.get(key) if isinstance(key, str) else None
    case = step.get("auth", "valid")
    expect: dict[str, Any] = step.get("expect") or {}
    method = str(request["method"]).upper()

    auth_args, auth_query = _auth_args(_schemes(api, op), case)
    url = _join(
        [
            (False, "${BASE_URL}"),
            *_path_parts(str(request["path"])),
            *_query_parts(request.get("query") or {}, auth_query),
        ]
    )
    args: list[str] = list(auth_args)
    headers: dict[str, str] = request.get("headers") or {}
    for name in sorted(headers):
        clean = _header_name(name)
        if clean:
            value = _parts(_header_value(str(headers[name])), None)
            args += ["-H", _join([(True, f"{clean}: "), *value])]
    args += _body_args(request)
    wanted_headers: dict[str, Any] = expect.get("headers") or {}
    max_ms = expect.get("max_ms")
    if wanted_headers:
        args += ["-D", '"$HEADERS_FILE"']
    if max_ms is not None:
        args += ["-w", _q(_TIMED_WRITE_OUT)]

    needs = _placeholders(request)
    lines = [
        _comment(f"{step['name']}  [auth: {case}]"),
        f"_step {_q(_tap_name(str(step['name'])))}",
    ]
    indent = ""
    if needs:
        lines.append(f"if _ready {' '.join(_q(n) for n in needs)}; then")
        indent = "  "
    call = f"{indent}_call {_q(method)} {url}"
    if args:
        call += " \\\n" + "".join(f"{indent}    {a} \\\n" for a in _pairs(args)).rstrip(
            " \\\n"
        )
    lines.append(call)
    if max_ms is not None:
        lines.append(f"{indent}_expect_time {_q(str(int(max_ms)))}")

    statuses = expect.get("status") or ["2XX"]
    lines.append(f"{indent}_expect_status {' '.join(_q(_scalar(s)) for s in statuses)}")
    for name in sorted(wanted_headers):
        lines.append(
            f"{indent}_expect_header {_q(name)} {_q(str(wanted_headers[name]))}"
        )
    if expect.get("schema"):
        lines.append(
            f"{indent}# response schema conformance is checked by the json-ir runner only"
        )
    for check in expect.get("json") or []:
        ptr = str(check.get("pointer", ""))
        path = _q(_jq_path(ptr))
        if "equals" in check:
            expected = json.dumps(
                check["equals"],
                sort_keys=True,
                ensure_ascii=False,
                separators=(",", ":"),
            )
            lines.append(
                f"{indent}_expect_json {path} {_word(expected, '_json_escape')} {_q(ptr)}"
            )
        if check.get("exists"):
            lines.append(f"{indent}_expect_exists {path} {_q(ptr)}")
        if check.get("type"):
            lines.append(
                f"{indent}_expect_type {path} {_q(str(check['type']))} {_q(ptr)}"
            )
    for name, ptr in sorted((step.get("capture") or {}).items()):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            lines.append(f"{indent}_capture {_q(name)} {_q(_jq_path(ptr))} {_q(ptr)}")
    if needs:
        lines.append("fi")
    lines.append("_end")
    return lines


def _pairs(args: list[str]) -> list[str]:
    """Options joined with their values, one option per continuation line."""
    out: list[str] = []
    i = 0
    while i < len(args):
        if args[i].startswith("-") and i + 1 < len(args):
            out.append(f"{args[i]} {args[i + 1]}")
            i += 2
        else:
            out.append(args[i])
            i += 1
    return out


def _credential_lines(
    api: ApiModel, steps: Sequence[dict[str, Any]], operations: Mapping[str, Operation]
) -> list[str]:
    """Prelude lines binding each needed credential: scheme variable, else the plain name."""
    needed: dict[tuple[str, str], str] = {}
    for step in steps:
        if step.get("auth", "valid") != "valid":
            continue
        key = step.get("operation")
        op = operations.get(key) if isinstance(key, str) else None
        for scheme in _schemes(api, op):
            for part in CREDENTIAL_VARS[scheme.kind.lower()]:
                needed.setdefault(
                    (credential_var(scheme.name, part), part), scheme.kind.lower()
                )
    lines = []
    for (var, plain), kind in sorted(needed.items()):
        if var == plain:
            lines.append(f'{var}="${{{var}:?set {var} ({kind} credentials)}}"')
            continue
        message = f"set {var} or {plain} ({kind} credentials)"
        lines.append(f'{var}="${{{var}:-${{{plain}:?{message}}}}}"')
    return lines


def render_bash(
    document: dict[str, Any],
    api: ApiModel,
    *,
    operations: Mapping[str, Operation] | None = None,
) -> str:
    """A bash-curl script running the steps of a json-ir ``document``.

    Args:
        document: a json-ir version 1 document (as a dict).
        api: the API the steps' ``operation`` keys refer to (for security
            schemes).
        operations: ``METHOD /path`` → operation, when the caller has that
            index already (saves a scan of ``api`` per step).

    Returns:
        The script text: ``#!/usr/bin/env bash``, ``set -euo pipefail``, a
        prelude of helper functions, one block per step, TAP output, and
        exit status 1 when any step failed.
    """
    steps: list[dict[str, Any]] = list(document.get("steps") or [])
    role = str(document.get("role") or "")
    index = (
        operations if operations is not None else {op.key: op for op in api.operations}
    )
    credentials = _credential_lines(api, steps, index)
    head = [
        "#!/usr/bin/env bash",
        _comment(f"chapi bash-curl test: {document.get('name', '')}"),
        _comment(
            f"role {role or '-'}; written by {GENERATOR_VERSION}; run it by hand or with chapi"
        ),
        "# environment: BASE_URL (required), CHAPI_MAX_TIME (seconds per request, default 30)",
    ]
    if credentials:
        head.append(
            "# credentials: from the variables below (scheme-specific name, else plain)"
        )
    head += ["set -euo pipefail", ""]
    expects = [step.get("expect") or {} for step in steps]
    wants_headers = any(e.get("headers") for e in expects)
    checks = wants_headers or any(e.get("max_ms") is not None for e in expects)
    body = [TRUSTED_PRELUDES[0 if checks else 1], ""]
    body.extend(credentials)
    if wants_headers:
        body.extend(_HEADERS_FILE_LINES)
    body.append(f"printf '1..%d\\n' {len(steps)}")
    body.append("")
    for step in steps:
        body.extend(_step_lines(api, step, index))
        body.append("")
    body.append('if [ "$FAILED" -gt 0 ]; then exit 1; fi')
    return "\n".join(head + body) + "\n"
