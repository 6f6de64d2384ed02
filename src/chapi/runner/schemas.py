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

__all__ = ["ResponseSchemas"]

_DOCUMENT_URI = "urn:chapi:api-description"
_MAX_ERRORS = 5


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
