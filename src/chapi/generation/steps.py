"""Building json-ir steps for one operation: request, expectations, invalid variants.

The planner composes these into files; both renderers read the resulting
json-ir documents, so a step is written once whatever the pack's mode.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from ..specs.model import ApiModel, MediaSchema, Operation, Parameter
from .paths import one_line, url_quote
from .synth import MISSING, Invalid, Synthesizer

__all__ = [
    "RequestParts",
    "build_request",
    "pointer",
    "scalar_text",
    "sends_parameter",
    "success_schema",
    "success_statuses",
]

JsonDict = dict[str, Any]

_TEMPLATE: Final = re.compile(r"\{([^{}/]*)\}")
#: Headers the runner or curl sets itself; a spec parameter of that name is not sent.
_RESERVED_HEADERS: Final = frozenset(
    {"accept", "content-type", "authorization", "content-length", "host", "cookie"}
)
_LITERAL_SAFE: Final = "/-._~:@!$&'()*+,;="


@dataclass(frozen=True)
class RequestParts:
    """A json-ir request plus what the planner needs to know about it.

    Attributes:
        request: the json-ir ``request`` object.
        body: the body value sent (``None`` when there is none).
        body_kind: ``json``, ``form``, ``body`` (raw text) or ``""``.
        guessed_path: True when some path value was synthesized rather than
            taken from the description (the server may not know it).
        path_values: the (encoded) value used for each path parameter.
    """

    request: JsonDict
    body: Any
    body_kind: str
    guessed_path: bool
    path_values: dict[str, str]


def pointer(*parts: str | int) -> str:
    """A JSON Pointer from raw parts (``~`` and ``/`` escaped)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def success_statuses(op: Operation) -> list[int | str]:
    """The documented success statuses of ``op`` (``["2XX"]`` when none is documented)."""
    found: list[int | str] = []
    for resp in op.success_responses():
        if resp.status.isdigit():
            found.append(int(resp.status))
        elif "2XX" not in found:
            found.append("2XX")
    return found or ["2XX"]


def success_schema(api: ApiModel, op: Operation) -> JsonDict | None:
    """The JSON schema of ``op``'s first documented success response, if any."""
    for resp in op.success_responses():
        media = _json_media(resp.contents)
        if media is not None and media.schema_:
            return api.resolve(media.schema_) or media.schema_
    return None


def build_request(
    api: ApiModel,
    op: Operation,
    syn: Synthesizer,
    *,
    path_values: dict[str, str] | None = None,
    with_body: bool = True,
    body_override: Any = MISSING,
    broken: Invalid | None = None,
) -> RequestParts:
    """The json-ir request for ``op`` with valid values (or one :class:`Invalid` applied).

    Args:
        api: the API (for ``$ref``s).
        op: the operation.
        syn: the value source.
        path_values: ready path values by parameter name (already
            URL-encoded, or ``{{capture}}`` placeholders).
        with_body: send a body when the operation takes one.
        body_override: send this body instead of a synthesized one.
        broken: an invalid parameter or body to apply.
    """
    fixed = path_values or {}
    params = {(p.location, p.name): p for p in op.parameters}
    guessed = False

    def path_value(name: str) -> str:
        nonlocal guessed
        if broken is not None and broken.where == "path" and broken.target == name:
            return url_quote(scalar_text(broken.value))
        if name in fixed:
            return fixed[name]
        param = params.get(("path", name))
        if param is None:
            guessed = True
            return "chapi"
        guessed = guessed or not syn.has_spec_value(param)
        return url_quote(scalar_text(syn.parameter_value(param))) or "chapi"

    pieces = _TEMPLATE.split(op.path)
    path_parts: list[str] = []
    used: dict[str, str] = {}
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            path_parts.append(_quote_literal(piece))
        else:
            used[piece] = path_value(piece)
            path_parts.append(used[piece])
    request: JsonDict = {"method": op.method.upper(), "path": "".join(path_parts)}

    query: JsonDict = {}
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for param in op.parameters:
        if param.location == "path":
            continue
        value = _param_value(param, syn, broken)
        if value is MISSING:
            continue
        if param.location == "query":
            query[param.name] = _query_value(value)
        elif param.location == "header" and param.name.lower() not in _RESERVED_HEADERS:
            headers[param.name] = one_line(scalar_text(value), 500)
        elif param.location == "cookie":
            cookies.append(f"{url_quote(param.name)}={url_quote(scalar_text(value))}")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    if query:
        request["query"] = query
    if headers:
        request["headers"] = headers

    body: Any = None
    kind = ""
    rb = op.request_body
    media = rb.primary if rb is not None else None
    wants_body = (
        with_body
        and media is not None
        and (
            rb is not None
            and (rb.required or op.method.upper() in ("POST", "PUT", "PATCH"))
        )
    )
    if media is not None and wants_body:
        if broken is not None and broken.where == "body":
            body = broken.value
        elif body_override is not MISSING:
            body = body_override
        else:
            body = syn.body_value(media)
        kind = _attach_body(request, media, body)
    return RequestParts(request, body, kind, guessed, used)


def sends_parameter(param: Parameter) -> bool:
    """True when a request built here carries ``param`` (a reserved header is never sent)."""
    if param.location == "header":
        return param.name.lower() not in _RESERVED_HEADERS
    return param.location in ("path", "query", "cookie")


def scalar_text(value: Any) -> str:
    """A parameter value as text: booleans lower-case, lists comma-joined, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(scalar_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
    return str(value)


def _param_value(param: Parameter, syn: Synthesizer, broken: Invalid | None) -> Any:
    if (
        broken is not None
        and broken.where == param.location
        and broken.target == param.name
    ):
        return broken.value
    if not param.required:
        return MISSING
    return syn.parameter_value(param)


def _query_value(value: Any) -> Any:
    if isinstance(value, list):
        return [
            v
            if isinstance(v, str | int | float | bool) or v is None
            else scalar_text(v)
            for v in value
        ]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return scalar_text(value)


def _quote_literal(piece: str) -> str:
    """Percent-encode what is not a plain path character; braces never survive."""
    return "".join(
        ch if ch in _LITERAL_SAFE or (ch.isascii() and ch.isalnum()) else url_quote(ch)
        for ch in piece
    )


def _json_media(contents: tuple[MediaSchema, ...]) -> MediaSchema | None:
    for media in contents:
        if "json" in media.media_type.lower():
            return media
    return None


def _attach_body(request: JsonDict, media: MediaSchema, body: Any) -> str:
    media_type = media.media_type.lower()
    if "json" in media_type or media_type in ("*/*", "application/*"):
        request["json"] = body
        return "json"
    if "x-www-form-urlencoded" in media_type or "form-data" in media_type:
        fields = body if isinstance(body, dict) else {"value": body}
        request["form"] = {
            str(k): v
            if isinstance(v, str | int | float | bool) or v is None
            else scalar_text(v)
            for k, v in fields.items()
        }
        return "form"
    request["body"] = body if isinstance(body, str) else scalar_text(body)
    request["content_type"] = one_line(media.media_type, 200)
    return "body"
