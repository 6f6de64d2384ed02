"""Writing and reading endpoint-catalog rows in bulk.

A spec's catalog can hold thousands of rows; writing them is most of an
import, and reading them is the hot path of search and generation.
SQLAlchemy's per-value processing plus ``Endpoint.model_validate`` cost
several times the driver's own work, so this module hands the driver its
values directly.

Writing (:func:`catalog_insert`): each value goes through the column type's
own SQLAlchemy bind processor, so what is stored is exactly what a Core
``insert()`` stores, but values rows share (project and spec ids, tags,
creation time) are processed once, and the rows go to the driver's
``executemany`` as plain tuples.

Reading (:func:`catalog_query`, :class:`EndpointReader`):

- Catalog rows were validated as ``Endpoint`` objects when they were written,
  so each stored value is converted to the type the model holds and the
  fields are set directly, as pydantic's ``model_construct`` does. Should the
  model gain a field, validators, private attributes or a post-init hook,
  rows are validated again instead (:data:`FAST_PATH`).
- The query leaves out what it already knows: ``spec_id`` is the filter, and
  ``project_id`` comes back as ``NULL`` where it equals the spec's project
  (every row chapi writes), so the driver creates no value for it.
- Values many rows share (method, tags, creation time, a differing project
  id) are converted once per distinct stored value.
- SQLite returns ids as 32 hex digits; they become ``uuid.UUID`` objects the
  way ``uuid.UUID.__init__`` makes them, minus its argument parsing
  (:func:`uuid_from_hex`).
"""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..domain import Endpoint, HttpMethod
from ..errors import StorageError
from . import tables as t
from .types import UtcDateTime

__all__ = [
    "FAST_PATH",
    "EndpointReader",
    "catalog_insert",
    "catalog_query",
    "collector_paused",
    "uuid_from_hex",
]

FIELDS = (
    "id",
    "project_id",
    "spec_id",
    "method",
    "path",
    "summary",
    "auth",
    "req_content",
    "success_content",
    "operation_id",
    "tags",
    "created_at",
)
"""The catalog's columns, which are the fields of ``Endpoint``."""

FAST_PATH = (
    set(FIELDS) == set(Endpoint.model_fields)
    and not Endpoint.__private_attributes__
    and Endpoint.__pydantic_post_init__ is None
    and Endpoint.model_config.get("extra") != "allow"
    and not Endpoint.__pydantic_decorators__.field_validators
    and not Endpoint.__pydantic_decorators__.model_validators
)
"""Whether rows can be built without validating them again."""

_new = object.__new__
_set = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown


def uuid_from_hex(text: str) -> uuid.UUID:
    """``uuid.UUID(text)`` for exactly 32 hex digits, about twice as fast.

    ``uuid.UUID.__init__`` checks its arguments, strips braces, dashes and
    ``urn:uuid:``, then sets ``int`` and ``is_safe``; this sets the same two
    slots from the same ``int(text, 16)``. The result is an ordinary
    ``uuid.UUID``, equal to and hashing like the one ``uuid.UUID(text)`` gives.

    Raises:
        ValueError: ``text`` is not 32 hex digits.
    """
    if len(text) != 32:
        raise ValueError(f"badly formed hexadecimal UUID string: {text!r}")
    value = _new(uuid.UUID)
    _set(value, "int", int(text, 16))
    _set(value, "is_safe", _UNKNOWN)
    return value


def _check_uuid_from_hex() -> bool:
    """Whether :func:`uuid_from_hex` still matches ``uuid.UUID`` on this Python."""
    sample = uuid.uuid4()
    try:
        made = uuid_from_hex(sample.hex)
    except (AttributeError, TypeError):  # a future uuid.UUID with other slots
        return False
    return (
        made == sample
        and made.__getstate__() == uuid.UUID(sample.hex).__getstate__()
        and str(made) == str(sample)
    )


_HEX_IDS_DIRECT = _check_uuid_from_hex()
_text_id = uuid_from_hex if _HEX_IDS_DIRECT else uuid.UUID


def _read_column(name: str) -> sa.ColumnElement[Any]:
    """A catalog column as :class:`EndpointReader` wants it from the driver.

    ``tags`` is read as its JSON text: most rows of a spec share a few tag
    lists, and the reader decodes each distinct text once, where a driver
    that decodes ``jsonb`` itself (psycopg) would parse every row.
    """
    column: sa.ColumnElement[Any] = t.endpoint_catalog.c[name]
    if name == "tags":
        column = sa.cast(column, sa.Text)
    return sa.type_coerce(column, sa.types.NullType()).label(name)


_COLUMNS = tuple(
    _read_column(name) for name in FIELDS if name not in ("project_id", "spec_id")
)


def catalog_insert(
    dialect: sa.Dialect, endpoints: Sequence[Endpoint]
) -> tuple[str, list[tuple[Any, ...]]]:
    """The ``INSERT`` statement and the value tuples for a driver's ``executemany``.

    Values are converted by the columns' bind processors for ``dialect``, as
    SQLAlchemy converts them for ``endpoint_catalog.insert()``.
    """
    catalog = t.endpoint_catalog
    processors = [
        catalog.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        for name in FIELDS
    ]
    as_id, _, _, _, _, _, _, _, _, _, as_tags, as_time = processors
    if any(processors[i] is not None for i in range(3, 10)):
        raise StorageError("the catalog's text columns gained a conversion")
    same_id: dict[uuid.UUID, Any] = {}
    same_tags: dict[tuple[str, ...], Any] = {}
    same_time: dict[datetime, Any] = {}

    def shared_id(value: uuid.UUID) -> Any:
        found = same_id[value] = as_id(value) if as_id else value
        return found

    def shared_tags(value: list[str]) -> Any:
        found = same_tags[tuple(value)] = as_tags(value) if as_tags else value
        return found

    def shared_time(value: datetime) -> Any:
        found = same_time[value] = as_time(value) if as_time else value
        return found

    values = []
    for endpoint in endpoints:
        row = endpoint.__dict__
        project, spec, tags, at = (
            row["project_id"],
            row["spec_id"],
            row["tags"],
            row["created_at"],
        )
        values.append(
            (
                as_id(row["id"]) if as_id else row["id"],
                same_id.get(project) or shared_id(project),
                same_id.get(spec) or shared_id(spec),
                row["method"].value,
                row["path"],
                row["summary"],
                row["auth"],
                row["req_content"],
                row["success_content"],
                row["operation_id"],
                same_tags.get(tuple(tags)) or shared_tags(tags),
                same_time.get(at) or shared_time(at),
            )
        )
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {catalog.name} ({', '.join(FIELDS)}) "
        f"VALUES ({', '.join([mark] * len(FIELDS))})"
    )
    return statement, values


def catalog_query(spec_id: uuid.UUID, project_id: uuid.UUID | None) -> sa.Select[Any]:
    """The rows of one spec in catalog order, as the driver returns them.

    Columns, in order: ``id``, the row's ``project_id`` or ``NULL`` where it
    is ``project_id`` (the spec's project), then the fields of
    :data:`FIELDS` after ``spec_id``. Values skip SQLAlchemy's result
    processing; :class:`EndpointReader` converts them.
    """
    catalog = t.endpoint_catalog
    stored = sa.type_coerce(catalog.c.project_id, sa.types.NullType())
    own: sa.ColumnElement[Any] = (
        stored
        if project_id is None
        else sa.case((catalog.c.project_id == project_id, sa.null()), else_=stored)
    )
    return (
        sa.select(_COLUMNS[0], own.label("project_id"), *_COLUMNS[1:])
        .where(catalog.c.spec_id == spec_id)
        .order_by(catalog.c.created_at, catalog.c.path, catalog.c.method)
    )


class EndpointReader:
    """Builds ``Endpoint`` objects from the rows of :func:`catalog_query`.

    Args:
        dialect: the dialect the rows came from (for stored timestamps).
        spec_id: the spec the rows belong to.
        project_id: the project rows with a ``NULL`` project column belong to.
    """

    def __init__(
        self, dialect: sa.Dialect, spec_id: uuid.UUID, project_id: uuid.UUID | None
    ) -> None:
        self._dialect = dialect
        self._created = UtcDateTime()
        self._spec_id = spec_id
        self._project_id = project_id
        self._projects: dict[Any, uuid.UUID] = {}
        self._methods: dict[str, HttpMethod] = {m.value: m for m in HttpMethod}
        self._tags: dict[str, list[str]] = {}
        self._times: dict[Any, datetime] = {}

    def _project(self, value: Any) -> uuid.UUID:
        if value is None:
            if self._project_id is None:
                raise StorageError("a catalog row has no project_id")
            return self._project_id
        found = self._projects.get(value)
        if found is None:
            found = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
            self._projects[value] = found
        return found

    def _method(self, value: str) -> HttpMethod:
        converted = self._methods[value] = HttpMethod(value)
        return converted

    def _tag_list(self, value: Any) -> list[str]:
        if not isinstance(value, str):  # the driver decoded the JSON itself
            return list(value)
        converted: list[str] = json.loads(value)
        self._tags[value] = converted
        return converted[:]

    def _time(self, value: Any) -> datetime:
        converted = self._created.process_result_value(value, self._dialect)
        if converted is None:
            raise StorageError("a catalog row has no created_at")
        self._times[value] = converted
        return converted

    def read(self, rows: Sequence[Sequence[Any]]) -> list[Endpoint]:
        """Convert every row; pauses the cyclic garbage collector meanwhile."""
        with collector_paused():
            return self._read(rows)

    def _read(self, rows: Sequence[Sequence[Any]]) -> list[Endpoint]:
        built = self._construct(rows)
        if FAST_PATH:
            return built
        # the model changed since this reader was written: validate each row
        return [Endpoint.model_validate(dict(e.__dict__)) for e in built]

    def _construct(self, rows: Sequence[Sequence[Any]]) -> list[Endpoint]:
        spec_id, own = self._spec_id, self._project_id
        methods, tags, times = self._methods, self._tags, self._times
        text_ids = bool(rows) and rows[0][0].__class__ is str
        make_id = _text_id if text_ids else _as_uuid
        copy_fields = set(FIELDS).copy
        endpoints: list[Endpoint] = []
        append = endpoints.append
        for (
            key,
            project,
            method,
            path,
            summary,
            auth,
            req,
            success,
            op,
            tag,
            at,
        ) in rows:
            # a fresh list each time: every Endpoint owns its tags
            tag_list = tags.get(tag) if tag.__class__ is str else None
            endpoint = _new(Endpoint)
            _set(
                endpoint,
                "__dict__",
                {
                    "id": make_id(key),
                    "project_id": own
                    if project is None and own
                    else self._project(project),
                    "spec_id": spec_id,
                    "method": methods.get(method) or self._method(method),
                    "path": path,
                    "summary": summary,
                    "auth": auth,
                    "req_content": req,
                    "success_content": success,
                    "operation_id": op,
                    "tags": tag_list[:]
                    if tag_list is not None
                    else self._tag_list(tag),
                    "created_at": times.get(at) or self._time(at),
                },
            )
            _set(endpoint, "__pydantic_fields_set__", copy_fields())
            _set(endpoint, "__pydantic_extra__", None)
            _set(endpoint, "__pydantic_private__", None)
            append(endpoint)
        return endpoints


def _as_uuid(value: Any) -> uuid.UUID:
    """A stored id as a UUID (PostgreSQL's driver returns UUIDs, SQLite hex text)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while fetching or building many objects.

    Reading 100,000 catalog rows allocates several hundred thousand
    containers (the driver's row tuples, then the objects), none of them
    part of a reference cycle; with the collector running, the full
    collections this triggers cost more than the building itself. The
    collector is left alone if it was already disabled (so pauses nest), and
    re-enabled afterwards otherwise. The pause is process-wide: another
    thread allocating meanwhile is not collected until it ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
