"""The parsed, version-neutral view of an API description.

Importers turn a Swagger 2.0, OpenAPI 3.0 or 3.1 document into an
:class:`ApiModel`; the catalog, the generators, the rules and the runner all
read this one shape instead of the raw documents.

Schemas are kept as found in the (bundled) document: local ``$ref``s stay in
place and point into :attr:`ApiModel.document`, so circular schemas cost
nothing until somebody walks them. :meth:`ApiModel.resolve` follows one
reference at a time.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ApiModel",
    "MediaSchema",
    "Operation",
    "Parameter",
    "RequestBody",
    "Response",
    "SecurityScheme",
]

JsonSchema = dict[str, Any]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SecurityScheme(_Frozen):
    """A security scheme, normalized across 2.0 and 3.x.

    ``kind`` is the catalog label: ``bearer``, ``basic``, ``apikey``,
    ``oauth2``, ``openidconnect``, ``mutualtls``, or the scheme's own name
    where nothing fits.
    """

    name: str
    kind: str
    location: Literal["header", "query", "cookie"] | None = None
    param_name: str | None = None
    bearer_format: str | None = None
    token_url: str | None = None
    flows: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()


class Parameter(_Frozen):
    """A path, query, header or cookie parameter (body parameters of 2.0 become a request body)."""

    name: str
    location: Literal["path", "query", "header", "cookie"]
    required: bool = False
    schema_: JsonSchema = Field(default_factory=dict, alias="schema")
    example: Any = None
    has_example: bool = False
    style: str | None = None
    explode: bool | None = None


class MediaSchema(_Frozen):
    """One media type of a request or response, with its schema and example."""

    media_type: str
    schema_: JsonSchema | None = Field(default=None, alias="schema")
    example: Any = None
    has_example: bool = False


class RequestBody(_Frozen):
    """An operation's request body (2.0 ``in: body`` and ``formData`` included)."""

    required: bool = False
    contents: tuple[MediaSchema, ...] = ()

    @property
    def primary(self) -> MediaSchema | None:
        """The media type a generator should use: JSON first, then form, then the first."""
        for wanted in ("json", "x-www-form-urlencoded", "form-data"):
            for item in self.contents:
                if wanted in item.media_type:
                    return item
        return self.contents[0] if self.contents else None


class Response(_Frozen):
    """One documented response: its status key (``"200"``, ``"2XX"``, ``"default"``)."""

    status: str
    description: str = ""
    contents: tuple[MediaSchema, ...] = ()


class Operation(_Frozen):
    """One operation: a method on a path, with everything generators need.

    ``security`` lists the alternatives that satisfy the operation: each inner
    tuple names schemes that must all be applied; an empty outer tuple means
    the operation needs no credentials.
    """

    method: str
    path: str
    operation_id: str | None = None
    summary: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    request_body: RequestBody | None = None
    responses: tuple[Response, ...] = ()
    security: tuple[tuple[str, ...], ...] = ()
    auth: str = "none"
    servers: tuple[str, ...] = ()
    deprecated: bool = False

    @property
    def key(self) -> str:
        """``METHOD path``: how json-ir steps and catalog rows name this operation."""
        return f"{self.method} {self.path}"

    @property
    def secured(self) -> bool:
        """True when every alternative needs some credential."""
        return bool(self.security) and all(self.security)

    def success_responses(self) -> list[Response]:
        """Documented 2xx responses (explicit codes first, then ``2XX``)."""
        exact = [
            r for r in self.responses if r.status.isdigit() and r.status.startswith("2")
        ]
        ranged = [r for r in self.responses if r.status.upper() == "2XX"]
        return sorted(exact, key=lambda r: r.status) + ranged


class ApiModel(_Frozen):
    """A whole API description in chapi's neutral form.

    Attributes:
        spec_version: ``"2.0"``, ``"3.0"`` or ``"3.1"``.
        document: the bundled document; every ``$ref`` in it is local.
        servers: base URLs declared by the document (2.0's host and basePath
            become one server).
    """

    spec_version: Literal["2.0", "3.0", "3.1"]
    title: str = ""
    version: str = ""
    servers: tuple[str, ...] = ()
    operations: tuple[Operation, ...] = ()
    security_schemes: dict[str, SecurityScheme] = Field(default_factory=dict)
    document: dict[str, Any] = Field(default_factory=dict, repr=False)

    def operation(self, key: str) -> Operation | None:
        """The operation named ``METHOD path``, or ``None``."""
        method, _, path = key.partition(" ")
        for op in self.operations:
            if op.method == method.upper() and op.path == path:
                return op
        return None

    def resolve(self, schema: JsonSchema | None) -> JsonSchema:
        """Follow local ``$ref``s at the top of ``schema`` (cycle-safe); ``{}`` if none."""
        seen: set[str] = set()
        current: Any = schema or {}
        while isinstance(current, dict) and isinstance(current.get("$ref"), str):
            ref = current["$ref"]
            if ref in seen or not ref.startswith("#"):
                return {}
            seen.add(ref)
            current = self.pointer(ref[1:])
        return current if isinstance(current, dict) else {}

    def pointer(self, pointer: str) -> Any:
        """The value at a JSON Pointer in the document, or ``None``."""
        node: Any = self.document
        if pointer in ("", "/"):
            return node
        for raw in pointer.lstrip("/").split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node
