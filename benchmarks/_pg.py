"""A throw-away PostgreSQL database for one benchmark run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

PG_ADMIN = os.environ.get(
    "CHAPI_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
"""A URL of the local server on which the benchmark may create a database."""


@contextmanager
def temporary_database() -> Iterator[sa.URL]:
    """Create a fresh database, yield its URL, drop it afterwards."""
    name = f"chapi_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield sa.engine.make_url(PG_ADMIN).set(database=name)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
