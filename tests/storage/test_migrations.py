"""Alembic migrations: applied on first use, by an explicit call, and only once."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from chapi import Chapi
from chapi.errors import StorageError
from chapi.security import FernetKeyProvider, generate_key
from chapi.storage import SqlStorage
from chapi.storage.migrate import current_revision, head_revision
from chapi.storage.tables import metadata


def _tables(storage: SqlStorage) -> set[str]:
    return set(sa.inspect(storage.engine).get_table_names())


def test_first_unit_of_work_migrates_an_empty_database(tmp_path: Path) -> None:
    """A new SQLite file is empty until the first unit of work brings it to head."""
    storage = SqlStorage(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(storage.engine) is None
    assert _tables(storage) == set()

    with storage.unit_of_work() as uow:
        assert uow.projects.list() == []

    assert current_revision(storage.engine) == head_revision()
    assert _tables(storage) == {*metadata.tables, "alembic_version"}
    storage.close()


def test_explicit_migrate_without_auto_migration(tmp_path: Path) -> None:
    """With auto_migrate off nothing is created until migrate() is called."""
    storage = SqlStorage(f"sqlite:///{tmp_path / 'manual.db'}", auto_migrate=False)

    with storage.unit_of_work() as uow, pytest.raises(StorageError):
        uow.projects.list()
    assert current_revision(storage.engine) is None
    storage.migrate()
    storage.migrate()  # a second call finds nothing to do

    assert current_revision(storage.engine) == head_revision()
    with storage.unit_of_work() as uow:
        assert uow.projects.list() == []
    storage.close()


def test_facade_migrate_and_data_survive_a_new_process(tmp_path: Path) -> None:
    """Chapi.migrate() prepares the database; a later Chapi on it keeps the data."""
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    key = FernetKeyProvider(generate_key())
    first = Chapi(url, key_provider=key, llm=None)
    first.migrate()
    first.projects.create("kept")
    first.close()

    second = Chapi(url, key_provider=key, llm=None)

    assert [p.name for p in second.projects.list()] == ["kept"]
    assert current_revision(second.storage.engine) == head_revision()  # type: ignore[attr-defined]
    second.close()


@pytest.mark.postgres
def test_postgres_migrates_on_first_use(pg_url: str) -> None:
    """On PostgreSQL too, the first unit of work applies the migration."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"chapi_migrate_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(pg_url).set(database=name)
    storage = SqlStorage(url.render_as_string(hide_password=False))
    try:
        assert current_revision(storage.engine) is None
        with storage.unit_of_work() as uow:
            uow.projects.list()
        assert current_revision(storage.engine) == head_revision()
        assert metadata.tables.keys() <= _tables(storage)
    finally:
        storage.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
