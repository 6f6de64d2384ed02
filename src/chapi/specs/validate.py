"""Validation of OpenAPI 2.0, 3.0 and 3.1 documents, returning findings.

``openapi_spec_validator.validate()`` checks a document in two passes: the
whole document against the OpenAPI meta-schema, then a walk over paths,
operations, parameters, responses and schemas with semantic checks (each
schema against the schema dialect, defaults against their schema, duplicate
operation ids and parameters, unresolved path parameters, required
properties missing from ``allOf``, duplicate tags). On large documents the
walk dominates: every step goes through ``jsonschema-path`` reference
resolution, visited schemas are remembered in lists (quadratic lookups) and
each schema is meta-checked by the pure-Python ``jsonschema`` validator.

:func:`validate` runs the same two passes faster:

* the meta-schema pass uses openapi-spec-validator's own compiled validator
  (``jsonschema-rs`` when installed), so it finds exactly what that pass finds;
* the walk is re-implemented over plain dicts, visiting the same places in the
  same order with the same checks, using sets for the visited schemas and a
  compiled ``jsonschema-rs`` validator for the OpenAPI 3.0 schema meta-check
  (plus Python's ``re`` for ``pattern``, which the Python checker uses);
  3.1 schemas and default values are checked with the same
  ``openapi-schema-validator`` classes as the original;
* every ``$ref`` in the document must resolve locally.

The contract, tested with mutated real documents and generated ones: every
document openapi-spec-validator rejects gets at least one finding here.
Messages may differ in wording. ``thorough=True`` also runs
openapi-spec-validator itself and adds its first finding when it has one.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from openapi_schema_validator import (
    OAS31_BASE_DIALECT_ID,
    OAS30Validator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from openapi_spec_validator.schemas import (
    openapi_v2_schema_validator,
    openapi_v30_schema_validator,
    openapi_v31_schema_validator,
)
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

from chapi.domain import SpecWarning
from chapi.errors import SpecValidationError

from .loader import SpecVersion, detect_version

__all__ = ["MAX_FINDINGS", "MAX_MESSAGE", "check_is_api_description", "validate"]

logger = logging.getLogger(__name__)

MAX_FINDINGS = 1000
"""Findings kept per document; the last one says how many more were dropped."""

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_DOC_URI = "urn:chapi:document"


def _escape(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _join(pointer: str, *parts: Any) -> str:
    return pointer + "".join("/" + _escape(p) for p in parts)


def check_is_api_description(document: Any) -> SpecVersion:
    """Refuse anything that is not an OpenAPI 2.0, 3.0 or 3.1 description.

    Args:
        document: the parsed document.

    Returns:
        The declared version.

    Raises:
        SpecValidationError: not a mapping, no ``openapi``/``swagger`` key, an
            unsupported version, or neither ``paths`` nor ``webhooks``.
    """
    if not isinstance(document, dict):
        raise SpecValidationError(
            f"not an API description: top level is {type(document).__name__}, "
            "expected a mapping"
        )
    if "openapi" not in document and "swagger" not in document:
        raise SpecValidationError(
            "not an API description: no 'openapi' or 'swagger' version field"
        )
    version = detect_version(document)
    if version is None:
        declared = document.get("openapi", document.get("swagger"))
        raise SpecValidationError(
            f"unsupported OpenAPI version {declared!r}: expected 2.0, 3.0.x or 3.1.x"
        )
    if not isinstance(document.get("paths"), dict) and not isinstance(
        document.get("webhooks"), dict
    ):
        raise SpecValidationError(
            "not an API description: no 'paths' object (nor 'webhooks')"
        )
    return version


MAX_MESSAGE = 400
"""Longest finding message kept, in characters; longer ones keep their head and tail."""


def _short(message: str) -> str:
    """One finding message: its first paragraph, at most :data:`MAX_MESSAGE` long.

    The compiled meta-schema validator appends the failing schema keyword and
    the whole offending instance, and often starts with that instance too; on
    a large document one finding could hold megabytes. The tail (what is wrong)
    and the head (which value) are kept.
    """
    text = " ".join(message.split("\n\n", 1)[0].split())
    if len(text) <= MAX_MESSAGE:
        return text
    tail = MAX_MESSAGE * 2 // 3
    head = MAX_MESSAGE - tail - 5
    return f"{text[:head]} ... {text[-tail:]}"


class _Collector:
    def __init__(self) -> None:
        self.items: list[SpecWarning] = []
        self.dropped = 0
        self.seen: set[tuple[str, str]] = set()

    def add(self, location: str, message: str) -> None:
        message = _short(message)
        key = (location or "/", message)
        if key in self.seen:
            return
        self.seen.add(key)
        if len(self.items) >= MAX_FINDINGS:
            self.dropped += 1
            return
        self.items.append(SpecWarning(location=location or "/", message=message))

    def result(self) -> list[SpecWarning]:
        if self.dropped:
            return [
                *self.items,
                SpecWarning(
                    location="/", message=f"{self.dropped} more findings omitted"
                ),
            ]
        return list(self.items)


def _meta_validator(version: SpecVersion) -> Any:
    if version == "2.0":
        return openapi_v2_schema_validator
    if version == "3.0":
        return openapi_v30_schema_validator
    return openapi_v31_schema_validator


@cache
def _oas30_schema_checker() -> Any:
    return jsonschema_rs.validator_for(
        OAS30Validator.META_SCHEMA, validate_formats=True
    )


_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_SINGLE = ("not", "additionalItems", "additionalProperties")


def _bad_patterns(schema: Any) -> Iterator[str]:
    """Yield error text for each ``pattern`` Python's ``re`` cannot compile."""
    stack = [schema]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error as exc:
                yield f"{pattern!r} is not a 'regex': {exc}"
        for key in _SCHEMA_MAPS:
            value = node.get(key)
            if isinstance(value, dict):
                stack.extend(value.values())
        for key in _SCHEMA_LISTS:
            value = node.get(key)
            if isinstance(value, list):
                stack.extend(value)
        for key in _SCHEMA_SINGLE:
            stack.append(node.get(key))
        items = node.get("items")
        if isinstance(items, list):
            stack.extend(items)
        else:
            stack.append(items)
        dependencies = node.get("dependencies")
        if isinstance(dependencies, dict):
            stack.extend(dependencies.values())


class _Walker:
    """The semantic checks, over plain dicts, in openapi-spec-validator's order."""

    def __init__(
        self, document: dict[str, Any], version: SpecVersion, out: _Collector
    ) -> None:
        self.doc = document
        self.version = version
        self.out = out
        self.meta_checked: set[int] = set()
        self.visited: set[int] = set()
        self.operation_ids: set[Any] = set()
        spec = DRAFT202012 if version == "3.1" else DRAFT4
        self.resolver = (
            Registry()
            .with_resource(_DOC_URI, spec.create_resource(document))
            .resolver(base_uri=_DOC_URI)
        )
        self.dialect_classes: dict[str, Any] = {}
        dialect = document.get("jsonSchemaDialect", OAS31_BASE_DIALECT_ID)
        self.default_dialect = (
            dialect if isinstance(dialect, str) else OAS31_BASE_DIALECT_ID
        )

    # -- references

    def pointer(self, ref: str) -> tuple[bool, Any]:
        if not ref.startswith("#"):
            return False, None
        node: Any = self.doc
        body = ref[1:]
        if body in ("", "/"):
            return True, node
        if not body.startswith("/"):
            return False, None
        for raw in body[1:].split("/"):
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return False, None
        return True, node

    def deref(self, node: Any, where: str) -> tuple[Any, str]:
        """Follow ``$ref`` chains; unresolvable ones are reported by :meth:`check_refs`."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                self.out.add(where, f"circular reference {ref!r}")
                return None, where
            seen.add(ref)
            found, target = self.pointer(ref)
            if not found:
                return None, where
            node, where = target, ref[1:]
        return node, where

    def check_refs(self) -> None:
        stack: list[tuple[Any, str]] = [(self.doc, "")]
        while stack:
            node, where = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    found, _ = self.pointer(ref)
                    if not found:
                        self.out.add(where, f"unresolvable reference {ref!r}")
                for key, value in node.items():
                    if isinstance(value, (dict, list)):
                        stack.append((value, _join(where, key)))
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    if isinstance(value, (dict, list)):
                        stack.append((value, _join(where, i)))

    # -- the walk

    def run(self) -> None:
        tags = self.doc.get("tags")
        if isinstance(tags, list):
            names: set[Any] = set()
            for i, tag in enumerate(tags):
                tag, _ = self.deref(tag, _join("/tags", i))
                name = tag.get("name") if isinstance(tag, dict) else None
                if isinstance(name, str):
                    if name in names:
                        self.out.add(_join("/tags", i), f"Duplicate tag name {name!r}")
                    names.add(name)
        paths = self.doc.get("paths")
        if isinstance(paths, dict):
            for url, item in paths.items():
                self.path_item(str(url), item, _join("/paths", url))
        components = self.doc.get("components")
        components, where = self.deref(components, "/components")
        if isinstance(components, dict):
            schemas, swhere = self.deref(
                components.get("schemas"), _join(where, "schemas")
            )
            if isinstance(schemas, dict):
                for name, schema in schemas.items():
                    self.schema(schema, _join(swhere, name))

    def path_item(self, url: str, item: Any, where: str) -> None:
        item, where = self.deref(item, where)
        if not isinstance(item, dict):
            return
        shared, shared_where = self.deref(
            item.get("parameters"), _join(where, "parameters")
        )
        if "parameters" in item:
            self.parameters(shared, shared_where)
        for name, operation in item.items():
            if name in _METHODS:
                self.operation(url, name, operation, shared, _join(where, name))

    def operation(self, url: str, name: str, op: Any, shared: Any, where: str) -> None:
        op, where = self.deref(op, where)
        if not isinstance(op, dict):
            return
        if "operationId" in op:
            op_id = op["operationId"]
            if op_id is not None:
                try:
                    duplicate = op_id in self.operation_ids
                    self.operation_ids.add(op_id)
                except TypeError:
                    duplicate = False
                if duplicate:
                    self.out.add(
                        _join(where, "operationId"),
                        f"Operation ID {op_id!r} for {name!r} in {url!r} is not unique",
                    )
        if "responses" in op:
            responses, rwhere = self.deref(op["responses"], _join(where, "responses"))
            if isinstance(responses, dict):
                for code, response in responses.items():
                    self.response(response, _join(rwhere, code))
        names: list[str] = []
        if "parameters" in op:
            params, pwhere = self.deref(op["parameters"], _join(where, "parameters"))
            self.parameters(params, pwhere)
            names += self.path_param_names(params)
        if shared is not None:
            names += self.path_param_names(shared)
        try:
            in_url = {part[1] for part in string.Formatter().parse(url) if part[1]}
        except ValueError as exc:
            self.out.add(where, f"path template {url!r} is malformed: {exc}")
            return
        declared = set(names)
        for param in sorted(in_url ^ declared):
            self.out.add(
                where,
                f"Path parameter {param!r} for {name!r} operation in {url!r} was not resolved",
            )

    def path_param_names(self, params: Any) -> list[str]:
        names: list[str] = []
        if isinstance(params, list):
            for param in params:
                param, _ = self.deref(param, "")
                if isinstance(param, dict) and param.get("in") == "path":
                    name = param.get("name")
                    if isinstance(name, str):
                        names.append(name)
        return names

    def parameters(self, params: Any, where: str) -> None:
        if not isinstance(params, list):
            return
        seen: set[tuple[Any, Any]] = set()
        for i, param in enumerate(params):
            param, pwhere = self.deref(param, _join(where, i))
            if not isinstance(param, dict):
                continue
            if "schema" in param:
                self.schema(param["schema"], _join(pwhere, "schema"))
            if self.version == "2.0" and "default" in param:
                self.default(param, param["default"], _join(pwhere, "default"))
            key = (param.get("name"), param.get("in"))
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                duplicate = False
            if duplicate:
                self.out.add(pwhere, f"Duplicate parameter {param.get('name')!r}")

    def response(self, response: Any, where: str) -> None:
        response, where = self.deref(response, where)
        if not isinstance(response, dict):
            return
        if self.version == "2.0":
            if "schema" in response:
                self.schema(response["schema"], _join(where, "schema"))
            return
        content, cwhere = self.deref(response.get("content"), _join(where, "content"))
        if isinstance(content, dict):
            for media, item in content.items():
                item, iwhere = self.deref(item, _join(cwhere, media))
                if isinstance(item, dict) and "schema" in item:
                    self.schema(item["schema"], _join(iwhere, "schema"))

    # -- schemas

    def schema_checker(self, schema: Any) -> Callable[[Any], Iterator[str]] | str:
        if self.version != "3.1":
            return self._check_oas30
        dialect = schema.get("$schema") if isinstance(schema, dict) else None
        if dialect is None:
            dialect = self.default_dialect
        if not isinstance(dialect, str):
            return f"Unknown JSON Schema dialect: {dialect!r}"
        if dialect not in self.dialect_classes:
            self.dialect_classes[dialect] = validator_for(
                {"$schema": dialect}, default=None
            )
        cls = self.dialect_classes[dialect]
        if cls is None:
            return f"Unknown JSON Schema dialect: {dialect!r}"

        def check(value: Any) -> Iterator[str]:
            try:
                cls.check_schema(value, format_checker=oas31_format_checker)
            except SchemaError as exc:
                yield str(exc.message)

        return check

    @staticmethod
    def _check_oas30(value: Any) -> Iterator[str]:
        for error in _oas30_schema_checker().iter_errors(value):
            yield error.message
            return
        yield from _bad_patterns(value)

    def schema(self, schema: Any, where: str, *, nested: bool = False) -> None:
        is_ref = isinstance(schema, dict) and isinstance(schema.get("$ref"), str)
        schema, where = self.deref(schema, where)
        if is_ref and schema is None:
            return  # reported by check_refs
        if not isinstance(schema, (dict, bool)):
            self.out.add(where, f"{schema!r} is not of type 'object', 'boolean'")
            return
        key = id(schema)
        if not nested and key not in self.meta_checked:
            self.meta_checked.add(key)
            checker = self.schema_checker(schema)
            if isinstance(checker, str):
                self.out.add(where, checker)
                return
            try:
                problem = next(iter(checker(schema)), None)
            except Exception as exc:  # a broken schema may break the checker
                problem = f"schema cannot be checked: {exc}"
            if problem is not None:
                self.out.add(where, problem)
                return
        if key in self.visited or not isinstance(schema, dict):
            return
        self.visited.add(key)
        nested_props: set[Any] = set()
        for keyword in ("allOf", "anyOf", "oneOf"):
            subs = schema.get(keyword)
            if keyword in schema and isinstance(subs, list):
                for i, sub in enumerate(subs):
                    self.schema(sub, _join(where, keyword, i), nested=True)
                    if keyword == "allOf":
                        nested_props |= self.collect_properties(sub)
        for keyword in ("not", "items"):
            if keyword in schema:
                self.schema(schema[keyword], _join(where, keyword), nested=True)
        props = schema.get("properties")
        if isinstance(props, dict):
            for name, prop in props.items():
                self.schema(prop, _join(where, "properties", name), nested=True)
        # openapi-spec-validator only checks this on schemas met at the top.
        self.required_check(schema, where, nested_props, top=not nested)
        if "default" in schema:
            nullable = schema.get("nullable", False)
            if schema["default"] is not None or nullable is not True:
                self.default(schema, schema["default"], _join(where, "default"))

    def required_check(
        self, schema: dict[str, Any], where: str, nested: set[Any], *, top: bool
    ) -> None:
        if not top or "allOf" not in schema:
            return
        required = schema.get("required") or []
        properties = schema.get("properties") or {}
        try:
            extra = set(required) - set(properties) - nested
        except TypeError:
            return
        if extra:
            self.out.add(
                where,
                f"Required list has not defined properties: {sorted(map(str, extra))}",
            )

    def collect_properties(self, schema: Any) -> set[Any]:
        found: set[Any] = set()
        stack = [schema]
        seen: set[int] = set()
        while stack:
            node, _ = self.deref(stack.pop(), "")
            if not isinstance(node, dict) or id(node) in seen:
                continue
            seen.add(id(node))
            props = node.get("properties")
            if isinstance(props, dict):
                found.update(props)
            for keyword in ("allOf", "anyOf", "oneOf"):
                subs = node.get(keyword)
                if isinstance(subs, list):
                    stack.extend(subs)
            for keyword in ("items", "not"):
                if keyword in node:
                    stack.append(node[keyword])
        return found

    def default(self, schema: Any, value: Any, where: str) -> None:
        cls = OAS31Validator if self.version == "3.1" else OAS30Validator
        checker = (
            oas31_format_checker if self.version == "3.1" else oas30_format_checker
        )
        try:
            resolver = self.resolver
            contents = schema
            if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
                resolved = self.resolver.lookup(
                    schema["$ref"].replace("#", _DOC_URI + "#", 1)
                )
                contents, resolver = resolved.contents, resolved.resolver
            validator = cls(contents, _resolver=resolver, format_checker=checker)
            for error in validator.iter_errors(value):
                self.out.add(
                    where, f"default value does not fit its schema: {error.message}"
                )
                return
        except Exception as exc:  # unresolvable refs or broken schemas
            self.out.add(where, f"default value cannot be checked: {exc}")


def _osv_first_error(document: dict[str, Any]) -> str | None:
    from openapi_spec_validator import validate as osv_validate

    try:
        osv_validate(document)
    except Exception as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def validate(document: Any, *, thorough: bool = False) -> list[SpecWarning]:
    """Check a document against its OpenAPI version; findings, not exceptions.

    Args:
        document: the parsed (bundled) document.
        thorough: also run ``openapi_spec_validator.validate`` itself (slow on
            large documents) and add its first finding.

    Returns:
        Findings in a stable order: meta-schema findings first, then
        unresolvable references, then the semantic checks. Empty when valid.

    Raises:
        SpecValidationError: the document is not an API description at all
            (see :func:`check_is_api_description`).
    """
    version = check_is_api_description(document)
    out = _Collector()

    for error in _meta_validator(version).iter_errors(document):
        location = "/" + "/".join(_escape(p) for p in error.path)
        out.add(location, str(error.message))
    walker = _Walker(document, version, out)
    try:
        walker.check_refs()
        walker.run()
    except RecursionError:
        out.add("/", "document is nested too deeply to check")
    if thorough:
        first = _osv_first_error(document)
        if first is not None:
            out.add("/", first)
    findings = out.result()
    logger.info("validated OpenAPI %s document: %d findings", version, len(findings))

    return findings
