"""Checking a response body against the operation's documented response schema.

Before a validator is built, the local ``$ref``s of a response schema are
replaced by the schemas they name, so checking a body does not look each
reference up again for every value (that lookup was most of the check's
cost). A reference is left in place, pointing into :attr:`ApiModel.document`
through a ``referencing`` registry, when it is circular (a tree of nodes) or
once the inlined copy reaches :data:`INLINE_BUDGET` nodes, so a schema that
references itself, or one that would grow exponentially when expanded, still
costs bounded memory. OpenAPI 3.1 schemas are checked with
``OAS31Validator``; 2.0 and 3.0 schemas (``nullable`` and friends) with
``OAS30Validator``. One validator is built per schema and reused for the run,
and the documented response of each operation and status is looked up once.

The same object checks a response's ``Content-Type`` against the media types
documented for its status: the ``content`` keys of the response (3.x), or the
operation's ``produces``, else the document's (2.0). Matching ignores case and
parameters (``charset``...); a documented ``*/*``, ``application/*`` or
``application/*+json`` covers what its wildcard names, and nothing else does:
``application/problem+json`` is not ``application/json``. A response that
documents no media type (3.x without ``content``, 2.0 without ``produces``)
has nothing to check against and passes. The documented types of each
operation and status are parsed once, and the verdict for each distinct
header value is remembered.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from openapi_schema_validator import (
    OAS30Validator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from ..specs.model import ApiModel, MediaSchema, Operation, Response

__all__ = ["ResponseSchemas", "media_type_covers", "parse_media_type"]

_DOCUMENT_URI = "urn:chapi:api-description"
_MAX_ERRORS = 5
_MAX_VERDICTS = 32


INLINE_BUDGET = 20_000
"""The most schema nodes one response schema is expanded to by inlining."""


def _target(document: Any, ref: str) -> tuple[bool, Any]:
    """Whether the local ``ref`` resolves in ``document``, and to what."""
    node = document
    pointer = unquote(ref[1:])
    if pointer == "":
        return True, node
    if not pointer.startswith("/"):
        return False, None
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


class _Inliner:
    """Replaces local ``$ref``s by copies of their targets, within a budget."""

    def __init__(self, document: Any, *, siblings_apply: bool) -> None:
        self._document = document
        self._siblings_apply = siblings_apply
        self._left = INLINE_BUDGET

    def copy(self, schema: Any, active: tuple[str, ...] = ()) -> Any:
        self._left -= 1
        if isinstance(schema, list):
            return [self.copy(item, active) for item in schema]
        if not isinstance(schema, dict):
            return schema
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            return self._reference(schema, ref, active)
        return {key: self.copy(value, active) for key, value in schema.items()}

    def _reference(
        self, schema: dict[str, Any], ref: str, active: tuple[str, ...]
    ) -> Any:
        found, target = _target(self._document, ref)
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        if not found or ref in active or self._left <= 0:
            anchored: dict[str, Any] = {"$ref": _DOCUMENT_URI + ref}
            if self._siblings_apply:
                anchored.update(self.copy(siblings, active))
            return anchored
        inlined = self.copy(target, (*active, ref))
        if not self._siblings_apply or not siblings:
            # Before 3.1, keywords beside a $ref are ignored.
            return inlined
        return {"allOf": [inlined], **self.copy(siblings, active)}


def _json_media(response: Response) -> MediaSchema | None:
    with_schema = [m for m in response.contents if m.schema_ is not None]
    for media in with_schema:
        if "json" in media.media_type:
            return media
    return with_schema[0] if with_schema else None


def parse_media_type(text: str) -> tuple[str, str] | None:
    """``(type, subtype)`` of a media type, lower-cased and without parameters; ``None`` if malformed."""
    essence = text.split(";", 1)[0].strip().lower()
    kind, slash, subtype = essence.partition("/")
    if not slash or not kind or not subtype or "/" in subtype:
        return None
    if any(c.isspace() or c == "," for c in essence):
        return None
    return kind, subtype


def media_type_covers(documented: tuple[str, str], got: tuple[str, str]) -> bool:
    """Whether the documented (possibly wildcard) media type admits ``got``.

    ``*`` as the type or subtype admits anything there; a subtype ``*+json``
    admits any subtype with the ``+json`` suffix. Otherwise both parts must
    be equal: a structured suffix is not admitted by its base type.
    """
    kind, subtype = documented
    if kind != "*" and kind != got[0]:
        return False
    if subtype == "*":
        return True
    if subtype.startswith("*+"):
        return got[1].endswith(subtype[1:]) and len(got[1]) > len(subtype) - 1
    return subtype == got[1]


class _MediaTypes:
    """The media types documented for one operation and status, parsed once."""

    __slots__ = ("_label", "_parsed", "_status", "_verdicts")

    def __init__(self, status: str, documented: list[str]) -> None:
        self._status = status
        self._label = ", ".join(documented)
        self._parsed = [p for p in map(parse_media_type, documented) if p is not None]
        self._verdicts: dict[str | None, str | None] = {}

    @property
    def checkable(self) -> bool:
        """Whether at least one documented type could be understood."""
        return bool(self._parsed)

    def problem(self, header: str | None) -> str | None:
        """What is wrong with a response labelled ``header``, or ``None``."""
        if header in self._verdicts:
            return self._verdicts[header]
        verdict = self._judge(header)
        if len(self._verdicts) < _MAX_VERDICTS:
            self._verdicts[header] = verdict
        return verdict

    def _judge(self, header: str | None) -> str | None:
        where = f"response {self._status}"
        if header is None:
            return (
                f"the response has a body but no Content-Type; "
                f"{where} documents {self._label}"
            )
        got = parse_media_type(header)
        header = header if len(header) <= 200 else header[:200] + "..."
        if got is None:
            return (
                f"Content-Type {header!r} is not a valid media type; "
                f"{where} documents {self._label}"
            )
        if any(media_type_covers(d, got) for d in self._parsed):
            return None
        return (
            f"Content-Type {header!r} is not documented; "
            f"{where} documents {self._label}"
        )


def _produces(api: ApiModel, operation: Operation) -> list[str]:
    """A 2.0 operation's ``produces``, else the document's; ``[]`` when neither says."""
    document = api.document
    paths = document.get("paths")
    item = paths.get(operation.path) if isinstance(paths, dict) else None
    for _ in range(8):
        if not (isinstance(item, dict) and isinstance(item.get("$ref"), str)):
            break
        found, item = _target(document, item["$ref"])
        if not found:
            return []
    op = item.get(operation.method.lower()) if isinstance(item, dict) else None
    own = op.get("produces") if isinstance(op, dict) else None
    values = own if isinstance(own, list) else document.get("produces")
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, str)]


def find_response(operation: Operation, status: int) -> Response | None:
    """The documented response for ``status``: exact code, then ``2XX``-style range, then ``default``."""
    exact = str(status)
    ranged = f"{status // 100}XX"
    by_key = {r.status.upper(): r for r in operation.responses}
    return by_key.get(exact) or by_key.get(ranged) or by_key.get("DEFAULT")


class ResponseSchemas:
    """Validators for an API's response schemas, built lazily and cached.

    Args:
        api: the API description the schemas come from.
    """

    def __init__(self, api: ApiModel) -> None:
        self._api = api
        spec = DRAFT202012 if api.spec_version == "3.1" else DRAFT4
        resource: Resource[Any] = Resource.from_contents(
            api.document, default_specification=spec
        )
        self._registry: Registry[Any] = Registry().with_resource(
            _DOCUMENT_URI, resource
        )
        self._cache: dict[tuple[str, str, str], Any] = {}
        self._by_status: dict[tuple[str, int], tuple[Response | None, Any]] = {}
        self._media_by_status: dict[tuple[str, int], _MediaTypes | None] = {}

    def _validator(self, operation: Operation, response: Response) -> Any:
        media = _json_media(response)
        key = (operation.key, response.status, media.media_type if media else "")
        if key in self._cache:
            return self._cache[key]
        validator: Any = None
        if media is not None and media.schema_ is not None:
            schema = _Inliner(
                self._api.document, siblings_apply=self._api.spec_version == "3.1"
            ).copy(media.schema_)
            if self._api.spec_version == "3.1":
                validator = OAS31Validator(
                    schema, registry=self._registry, format_checker=oas31_format_checker
                )
            else:
                validator = OAS30Validator(
                    schema, registry=self._registry, format_checker=oas30_format_checker
                )
        self._cache[key] = validator
        return validator

    def check(
        self, operation: Operation, status: int, body: Any, *, empty: bool = False
    ) -> list[str]:
        """Every way ``body`` breaks the documented schema, as ``/pointer: message`` lines.

        A status with no documented response, or a response with no schema,
        gives one problem line for the first and none for the second. With
        ``empty`` the response had no body at all: that conforms only when
        the documented response has no schema (a 204, say).
        """
        known = self._by_status.get((operation.key, status))
        if known is None:
            response = find_response(operation, status)
            validator = self._validator(operation, response) if response else None
            known = self._by_status[(operation.key, status)] = (response, validator)
        response, validator = known
        if response is None:
            return [f"{operation.key} documents no response for status {status}"]
        if validator is None:
            return []
        if empty:
            return [f"the body is empty, but {status} documents a body schema"]
        problems: list[str] = []
        try:
            for error in validator.iter_errors(body):
                where = "/" + "/".join(str(p) for p in error.absolute_path)
                problems.append(f"{where}: {error.message[:300]}")
                if len(problems) >= _MAX_ERRORS:
                    break
        except Exception as exc:
            problems.append(f"the response schema could not be used: {exc}")
        return problems

    def check_media_type(
        self, operation: Operation, status: int, content_type: str | None
    ) -> list[str]:
        """What is wrong with the ``Content-Type`` of a response that has a body.

        ``content_type`` is the header's value, ``None`` when it is absent.
        Gives no problem when ``status`` has no documented response (:meth:`check`
        reports that) or the response documents no media type.
        """
        key = (operation.key, status)
        if key in self._media_by_status:
            known = self._media_by_status[key]
        else:
            known = self._media_by_status[key] = self._media_types(operation, status)
        if known is None:
            return []
        problem = known.problem(content_type)
        return [problem] if problem else []

    def _media_types(self, operation: Operation, status: int) -> _MediaTypes | None:
        response = find_response(operation, status)
        if response is None:
            return None
        if self._api.spec_version == "2.0":
            documented = _produces(self._api, operation)
        else:
            documented = [m.media_type for m in response.contents]
        media = _MediaTypes(response.status, documented)
        return media if media.checkable else None
