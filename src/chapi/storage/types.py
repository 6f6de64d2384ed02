"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

__all__ = ["JSONB", "UUID", "GenRandomUuid", "UtcDateTime"]

UUID = sa.Uuid(as_uuid=True)
"""Native ``uuid`` on PostgreSQL, 32 hex characters on SQLite."""

JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
"""``jsonb`` on PostgreSQL, JSON text on SQLite."""


class UtcDateTime(sa.TypeDecorator[datetime]):
    """``timestamptz`` on PostgreSQL; on SQLite, UTC text that sorts in time order.

    Values going in must be timezone-aware; values coming out are always UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


class GenRandomUuid(FunctionElement[Any]):
    """A random UUID server default: ``gen_random_uuid()`` on PostgreSQL."""

    inherit_cache = True
    name = "gen_random_uuid"


@compiles(GenRandomUuid, "postgresql")
def _pg_uuid(element: GenRandomUuid, compiler: Any, **kw: Any) -> str:
    return "gen_random_uuid()"


@compiles(GenRandomUuid)
def _sqlite_uuid(element: GenRandomUuid, compiler: Any, **kw: Any) -> str:
    return "(lower(hex(randomblob(16))))"
