"""Shared fixtures: storages on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from chapi.storage import SqlStorage
from chapi.storage.tables import metadata

settings.register_profile(
    "chapi",
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "chapi"))

PG_ADMIN_URL = os.environ.get(
    "CHAPI_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATA = Path(__file__).parent / "data"
OAS_EXAMPLES = DATA / "oas-examples"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    name = f"chapi_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = (
        sa.engine.make_url(PG_ADMIN_URL)
        .set(database=name)
        .render_as_string(hide_password=False)
    )
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def _pg_storage(pg_url: str) -> Iterator[SqlStorage]:
    storage = SqlStorage(pg_url)
    storage.migrate()
    yield storage
    storage.close()


def _empty_pg(storage: SqlStorage) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with storage.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    """The same storage contract on an SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        store = SqlStorage(f"sqlite:///{tmp_path / 'chapi.db'}")
        yield store
        store.close()
        return
    store = request.getfixturevalue("_pg_storage")
    _empty_pg(store)
    yield store


class FakeClock:
    """A clock that advances one millisecond per call, for ordered timestamps."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A deterministic, strictly increasing UTC clock."""
    return FakeClock()
