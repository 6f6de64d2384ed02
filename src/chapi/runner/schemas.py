"""Checking a response body against the operation's documented response schema.

Schemas stay as the API description holds them: local ``$ref``s are resolved
against :attr:`ApiModel.document` through a ``referencing`` registry, so a
schema is never copied whole. OpenAPI 3.1 schemas are checked with
``OAS31Validator``; 2.0 and 3.0 schemas (``nullable`` and friends) with
``OAS30Validator``. One validator is built per schema and reused for the run.
"""

from __future__ import annotations

from typing import Any

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


def _anchor_refs(schema: Any) -> Any:
    """A copy of ``schema`` whose local ``#...`` refs point at the registered document."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                out[key] = _DOCUMENT_URI + value
            else:
                out[key] = _anchor_refs(value)
        return out
    if isinstance(schema, list):
        return [_anchor_refs(item) for item in schema]
    return schema


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

    def _validator(self, operation: Operation, response: Response) -> Any:
        media = _json_media(response)
        key = (operation.key, response.status, media.media_type if media else "")
        if key in self._cache:
            return self._cache[key]
        validator: Any = None
        if media is not None and media.schema_ is not None:
            schema = _anchor_refs(media.schema_)
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
        response = find_response(operation, status)
        if response is None:
            return [f"{operation.key} documents no response for status {status}"]
        validator = self._validator(operation, response)
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
