"""Turning a bundled 2.0, 3.0 or 3.1 document into an :class:`ApiModel` and catalog rows.

Rules applied while normalizing:

* operations keep document order (paths in order, methods in the order the
  path item lists them);
* path-level parameters are merged into each operation, the operation's own
  parameter wins for the same ``name`` and ``in``;
* ``Operation.servers`` holds the operation's own ``servers`` or else the path
  item's; empty means the document's :attr:`ApiModel.servers` apply;
* 2.0 ``in: body`` and ``in: formData`` parameters become a
  :class:`RequestBody` (form fields gathered into one object schema);
  ``host`` + ``basePath`` + ``schemes`` become servers;
* 3.x server variables are replaced by their default values.

Catalog labels (see :func:`catalog_rows`):

* ``summary``: the summary, else the operationId, else the first sentence of
  the description, else ``METHOD path``;
* ``auth``: the kinds of the first security alternative of the operation (or
  of the document), in declared order, joined by ``+`` (``apikey+oauth2``);
  ``none`` when there is no requirement or the first alternative is empty
  (``security: []`` or ``- {}``). A scheme name missing from the document's
  schemes is used as its own kind;
* ``req_content``: the request body's preferred media type (JSON, then form,
  then the first) or ``-``;
* ``success_content``: ``code:media-type`` for the first 2xx response, with
  ``-`` for a response without body (``204:-``); ``-`` when no 2xx response is
  documented.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from chapi.errors import SpecError

from .loader import SpecVersion, detect_version
from .model import (
    ApiModel,
    MediaSchema,
    Operation,
    Parameter,
    RequestBody,
    Response,
    SecurityScheme,
)

__all__ = ["auth_label", "catalog_row", "catalog_rows", "summary_of", "to_api_model"]

logger = logging.getLogger(__name__)

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_LOCATIONS = ("path", "query", "header", "cookie")
_FLOWS_2 = {
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
    "implicit": "implicit",
    "password": "password",
}
_SCHEMA_FIELDS_2 = (
    "type",
    "format",
    "items",
    "collectionFormat",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
)


class _Doc:
    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document

    def pointer(self, ref: str) -> Any:
        node: Any = self.doc
        for raw in (
            ref.lstrip("#").lstrip("/").split("/") if ref not in ("#", "#/") else []
        ):
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def deref(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#"):
                return None
            seen.add(ref)
            node = self.pointer(ref)
        return node


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _example(node: dict[str, Any], doc: _Doc) -> tuple[Any, bool]:
    if "example" in node:
        return node["example"], True
    examples = node.get("examples")
    if isinstance(examples, dict):
        for item in examples.values():
            item = doc.deref(item)
            if isinstance(item, dict) and "value" in item:
                return item["value"], True
    return None, False


def _media(content: Any, doc: _Doc) -> tuple[MediaSchema, ...]:
    items = []
    for media_type, item in _dict(doc.deref(content)).items():
        item = _dict(doc.deref(item))
        example, has = _example(item, doc)
        schema = item.get("schema")
        items.append(
            MediaSchema(
                media_type=str(media_type),
                schema_=schema if isinstance(schema, dict) else None,
                example=example,
                has_example=has,
            )
        )
    return tuple(items)


def _server_urls(servers: Any) -> tuple[str, ...]:
    urls = []
    for server in _list(servers):
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        for name, variable in _dict(server.get("variables")).items():
            default = _dict(variable).get("default")
            if default is not None:
                url = url.replace("{" + str(name) + "}", str(default))
        urls.append(url)
    return tuple(urls)


def _security(value: Any) -> tuple[tuple[str, ...], ...]:
    return tuple(
        tuple(str(name) for name in alternative)
        for alternative in _list(value)
        if isinstance(alternative, dict)
    )


def auth_label(
    security: tuple[tuple[str, ...], ...], schemes: dict[str, SecurityScheme]
) -> str:
    """The catalog ``auth`` label for an operation's security alternatives.

    Args:
        security: the alternatives, each a tuple of scheme names.
        schemes: the document's schemes by name.

    Returns:
        The first alternative's kinds joined by ``+`` (duplicates dropped), or
        ``none`` when there is nothing to apply.
    """
    if not security or not security[0]:
        return "none"
    kinds: list[str] = []
    for name in security[0]:
        kind = schemes[name].kind if name in schemes else name
        if kind not in kinds:
            kinds.append(kind)
    return "+".join(kinds)


def summary_of(
    method: str, path: str, summary: str, operation_id: str | None, description: str
) -> str:
    """The catalog summary, with the fallbacks described in the module docs."""
    if summary.strip():
        return " ".join(summary.split())
    if operation_id:
        return operation_id
    text = " ".join(description.split())
    if text:
        first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
        return first[:200]
    return f"{method} {path}"


# ------------------------------------------------------------ security schemes


def _scheme_3(name: str, raw: dict[str, Any]) -> SecurityScheme:
    kind_raw = _text(raw.get("type"))
    location = raw.get("in") if raw.get("in") in ("header", "query", "cookie") else None
    if kind_raw == "http":
        scheme = _text(raw.get("scheme")).lower()
        kind = scheme if scheme in ("bearer", "basic") else (scheme or name)
        return SecurityScheme(
            name=name,
            kind=kind,
            bearer_format=raw.get("bearerFormat")
            if isinstance(raw.get("bearerFormat"), str)
            else None,
        )
    if kind_raw == "apiKey":
        return SecurityScheme(
            name=name,
            kind="apikey",
            location=location,
            param_name=raw.get("name") if isinstance(raw.get("name"), str) else None,
        )
    if kind_raw == "oauth2":
        flows = _dict(raw.get("flows"))
        return _oauth(name, {str(k): _dict(v) for k, v in flows.items()})
    known = {"openIdConnect": "openidconnect", "mutualTLS": "mutualtls"}
    return SecurityScheme(name=name, kind=known.get(kind_raw, name))


def _oauth(name: str, flows: dict[str, dict[str, Any]]) -> SecurityScheme:
    scopes: set[str] = set()
    for flow in flows.values():
        scopes.update(str(s) for s in _dict(flow.get("scopes")))
    token_url = None
    order = ["clientCredentials", *sorted(flows)]
    for flow_name in order:
        url = flows.get(flow_name, {}).get("tokenUrl")
        if isinstance(url, str):
            token_url = url
            break
    return SecurityScheme(
        name=name,
        kind="oauth2",
        token_url=token_url,
        flows=tuple(sorted(flows)),
        scopes=tuple(sorted(scopes)),
    )


def _scheme_2(name: str, raw: dict[str, Any]) -> SecurityScheme:
    kind_raw = _text(raw.get("type"))
    if kind_raw == "basic":
        return SecurityScheme(name=name, kind="basic")
    if kind_raw == "apiKey":
        location = raw.get("in") if raw.get("in") in ("header", "query") else None
        return SecurityScheme(
            name=name,
            kind="apikey",
            location=location,
            param_name=raw.get("name") if isinstance(raw.get("name"), str) else None,
        )
    if kind_raw == "oauth2":
        flow = _FLOWS_2.get(_text(raw.get("flow")), _text(raw.get("flow")) or "unknown")
        body = {
            k: v
            for k, v in raw.items()
            if k in ("tokenUrl", "scopes", "authorizationUrl")
        }
        return _oauth(name, {flow: body})
    return SecurityScheme(name=name, kind=name)


# ------------------------------------------------------------------ operations


class _Builder:
    def __init__(self, document: dict[str, Any], version: SpecVersion) -> None:
        self.doc = _Doc(document)
        self.raw = document
        self.version = version

    def parameters(self, shared: Any, own: Any) -> list[dict[str, Any]]:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*_list(self.doc.deref(shared)), *_list(self.doc.deref(own))]:
            param = self.doc.deref(raw)
            if isinstance(param, dict):
                merged[(str(param.get("name")), str(param.get("in")))] = param
        return list(merged.values())

    def parameter(self, param: dict[str, Any]) -> Parameter | None:
        location = param.get("in")
        if location not in _LOCATIONS:
            return None
        schema: dict[str, Any]
        if self.version == "2.0":
            schema = {k: param[k] for k in _SCHEMA_FIELDS_2 if k in param}
            example, has = (
                (param["x-example"], True) if "x-example" in param else (None, False)
            )
        else:
            raw = param.get("schema")
            if isinstance(raw, dict):
                schema = raw
            else:
                contents = _media(param.get("content"), self.doc)
                first = contents[0].schema_ if contents else None
                schema = first or {}
            example, has = _example(param, self.doc)
        explode = param.get("explode")
        style = param.get("style")
        return Parameter(
            name=str(param.get("name")),
            location=location,
            required=param.get("required") is True or location == "path",
            schema_=schema,
            example=example,
            has_example=has,
            style=style if isinstance(style, str) else None,
            explode=explode if isinstance(explode, bool) else None,
        )

    def consumes(self, op: dict[str, Any], key: str) -> list[str]:
        own = op.get(key)
        values = own if isinstance(own, list) else _list(self.raw.get(key))
        return [v for v in values if isinstance(v, str)]

    def request_body_2(
        self, params: list[dict[str, Any]], op: dict[str, Any]
    ) -> RequestBody | None:
        consumes = self.consumes(op, "consumes")
        body = [p for p in params if p.get("in") == "body"]
        if body:
            raw = body[0].get("schema")
            types = consumes or ["application/json"]
            return RequestBody(
                required=body[0].get("required") is True,
                contents=tuple(
                    MediaSchema(
                        media_type=t,
                        schema_=raw if isinstance(raw, dict) else None,
                    )
                    for t in types
                ),
            )
        form = [p for p in params if p.get("in") == "formData"]
        if not form:
            return None
        properties: dict[str, Any] = {}
        required: list[str] = []
        for p in form:
            name = str(p.get("name"))
            properties[name] = {k: p[k] for k in _SCHEMA_FIELDS_2 if k in p}
            if p.get("type") == "file":
                properties[name] = {"type": "string", "format": "binary"}
            if p.get("required") is True:
                required.append(name)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        types = [t for t in consumes if "form" in t]
        if not types:
            has_file = any(p.get("type") == "file" for p in form)
            types = [
                "multipart/form-data"
                if has_file
                else "application/x-www-form-urlencoded"
            ]
        return RequestBody(
            required=bool(required),
            contents=tuple(MediaSchema(media_type=t, schema_=schema) for t in types),
        )

    def request_body_3(self, raw: Any) -> RequestBody | None:
        body = self.doc.deref(raw)
        if not isinstance(body, dict):
            return None
        return RequestBody(
            required=body.get("required") is True,
            contents=_media(body.get("content"), self.doc),
        )

    def responses(self, raw: Any, op: dict[str, Any]) -> tuple[Response, ...]:
        out = []
        produces = self.consumes(op, "produces") or ["application/json"]
        for status, response in _dict(self.doc.deref(raw)).items():
            response = _dict(self.doc.deref(response))
            if self.version == "2.0":
                schema = response.get("schema")
                contents: tuple[MediaSchema, ...] = ()
                if isinstance(schema, dict):
                    examples = _dict(response.get("examples"))
                    contents = tuple(
                        MediaSchema(
                            media_type=t,
                            schema_=schema,
                            example=examples.get(t),
                            has_example=t in examples,
                        )
                        for t in produces
                    )
            else:
                contents = _media(response.get("content"), self.doc)
            out.append(
                Response(
                    status=str(status),
                    description=_text(response.get("description")),
                    contents=contents,
                )
            )
        return tuple(out)

    def operation(
        self,
        path: str,
        method: str,
        op: dict[str, Any],
        item: dict[str, Any],
        schemes: dict[str, SecurityScheme],
    ) -> Operation:
        raw_params = self.parameters(item.get("parameters"), op.get("parameters"))
        params = [p for p in (self.parameter(r) for r in raw_params) if p is not None]
        if self.version == "2.0":
            body = self.request_body_2(raw_params, op)
        else:
            body = self.request_body_3(op.get("requestBody"))
        security = _security(
            op["security"] if "security" in op else self.raw.get("security")
        )
        servers = _server_urls(op.get("servers")) or _server_urls(item.get("servers"))
        op_id = (
            op.get("operationId") if isinstance(op.get("operationId"), str) else None
        )
        return Operation(
            method=method.upper(),
            path=path,
            operation_id=op_id,
            summary=_text(op.get("summary")),
            description=_text(op.get("description")),
            tags=tuple(str(t) for t in _list(op.get("tags"))),
            parameters=tuple(params),
            request_body=body,
            responses=self.responses(op.get("responses"), op),
            security=security,
            auth=auth_label(security, schemes),
            servers=servers,
            deprecated=op.get("deprecated") is True,
        )

    def servers(self) -> tuple[str, ...]:
        if self.version != "2.0":
            return _server_urls(self.raw.get("servers"))
        host = self.raw.get("host")
        base = _text(self.raw.get("basePath"))
        if not isinstance(host, str) or not host:
            return (base,) if base and base != "/" else ()
        schemes = [s for s in _list(self.raw.get("schemes")) if isinstance(s, str)] or [
            "https"
        ]
        suffix = base.rstrip("/")
        return tuple(f"{scheme}://{host}{suffix}" for scheme in schemes)

    def schemes(self) -> dict[str, SecurityScheme]:
        if self.version == "2.0":
            raw = _dict(self.raw.get("securityDefinitions"))
            build = _scheme_2
        else:
            raw = _dict(_dict(self.raw.get("components")).get("securitySchemes"))
            build = _scheme_3
        out = {}
        for name, scheme in raw.items():
            scheme = self.doc.deref(scheme)
            if isinstance(scheme, dict):
                out[str(name)] = build(str(name), scheme)
        return out


def to_api_model(document: dict[str, Any]) -> ApiModel:
    """Normalize a bundled document into chapi's version-neutral :class:`ApiModel`.

    Args:
        document: a bundled OpenAPI 2.0, 3.0 or 3.1 document (see
            :func:`chapi.specs.loader.load_document`); it is kept, not copied.

    Returns:
        The model, with operations in document order.

    Raises:
        SpecError: the document declares no supported version.
    """
    version = detect_version(document)
    if version is None:
        raise SpecError("cannot normalize: no supported 'openapi' or 'swagger' version")
    builder = _Builder(document, version)
    schemes = builder.schemes()
    operations = []
    for path, raw_item in _dict(document.get("paths")).items():
        item = builder.doc.deref(raw_item)
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            op = builder.doc.deref(op)
            if method in _METHODS and isinstance(op, dict):
                operations.append(
                    builder.operation(str(path), method, op, item, schemes)
                )
    info = _dict(document.get("info"))
    model = ApiModel(
        spec_version=version,
        title=_text(info.get("title")),
        version=str(info.get("version", "")) if info.get("version") is not None else "",
        servers=builder.servers(),
        operations=tuple(operations),
        security_schemes=schemes,
        document=document,
    )
    logger.debug("normalized %d operations", len(operations))

    return model


def _content_label(contents: tuple[MediaSchema, ...]) -> str:
    return RequestBody(contents=contents).primary.media_type if contents else "-"  # type: ignore[union-attr]


def catalog_row(operation: Operation) -> dict[str, Any]:
    """The catalog fields of one operation (the ``Endpoint`` columns it fills)."""
    body = operation.request_body
    primary = body.primary if body is not None else None
    success = operation.success_responses()
    if success:
        first = success[0]
        success_content = f"{first.status}:{_content_label(first.contents)}"
    else:
        success_content = "-"
    return {
        "method": operation.method,
        "path": operation.path,
        "summary": summary_of(
            operation.method,
            operation.path,
            operation.summary,
            operation.operation_id,
            operation.description,
        ),
        "auth": operation.auth,
        "req_content": primary.media_type if primary is not None else "-",
        "success_content": success_content,
        "operation_id": operation.operation_id,
        "tags": list(operation.tags),
    }


def catalog_rows(model: ApiModel) -> list[dict[str, Any]]:
    """One catalog row per operation, in the model's order.

    Each row has ``method``, ``path``, ``summary``, ``auth``, ``req_content``,
    ``success_content``, ``operation_id`` and ``tags``: the fields of
    :class:`chapi.domain.Endpoint` a spec import fills.
    """
    return [catalog_row(op) for op in model.operations]
