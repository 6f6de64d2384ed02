"""The bulk catalog path: rows written and read back are exactly what validation gives."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from chapi import domain as d
from chapi.errors import ValidationError
from chapi.storage import SqlStorage
from chapi.storage import endpoint_rows as er
from chapi.storage import tables as t

T0 = datetime(2026, 3, 1, 12, 30, 15, 250_000, tzinfo=UTC)


def _project(storage: SqlStorage, name: str) -> d.Project:
    project = d.Project(name=name)
    with storage.unit_of_work() as uow:
        uow.projects.add(project)
        uow.commit()
    return project


def _catalog(storage: SqlStorage) -> tuple[d.ApiSpec, list[d.Endpoint]]:
    """A spec whose rows vary in every column, one of them owned by another project."""
    owner, other = _project(storage, "owner"), _project(storage, "other")
    spec = d.ApiSpec(project_id=owner.id, version="1", raw_json={})
    rows = [
        d.Endpoint(
            project_id=other.id if i == 3 else owner.id,
            spec_id=spec.id,
            method=method,
            path=f"/items/{i}",
            summary=f"summary {i} ünïcödé",
            auth=("bearer", "none", "oauth2+apikey")[i % 3],
            req_content="-" if i % 2 else "application/json",
            success_content=f"{200 + i % 3}:application/json",
            operation_id=None if i % 4 == 0 else f"op{i}",
            tags=[[], ["a"], ["a", "b"]][i % 3],
            created_at=T0 + timedelta(microseconds=i % 2),
        )
        for i, method in enumerate([*d.HttpMethod, *d.HttpMethod])
    ]
    with storage.unit_of_work() as uow:
        uow.specs.add(spec, rows)
        uow.commit()
    return spec, rows


def _key(e: d.Endpoint) -> tuple[datetime, str, str]:
    return e.created_at, e.path, e.method.value


def test_rows_read_back_equal_validated_ones_type_by_type(storage: SqlStorage) -> None:
    """Every field has the value and the exact type ``model_validate`` produces."""
    spec, rows = _catalog(storage)

    with storage.unit_of_work() as uow:
        loaded = uow.specs.endpoints(spec.id)

    expected = sorted(
        (d.Endpoint.model_validate(r.model_dump()) for r in rows), key=_key
    )
    assert loaded == expected
    for got, want in zip(loaded, expected, strict=True):
        assert type(got) is d.Endpoint
        for name in d.Endpoint.model_fields:
            assert type(getattr(got, name)) is type(getattr(want, name)), name
            assert getattr(got, name) == getattr(want, name), name
        assert got.created_at.tzinfo is UTC
        assert got.model_fields_set == want.model_fields_set
        assert got.model_extra is None and got.__pydantic_private__ is None
    assert {r.project_id for r in loaded} == {r.project_id for r in rows}


def test_rows_read_back_are_independent_and_still_validated(
    storage: SqlStorage,
) -> None:
    """Rows share no mutable state, and assignment is validated as on any model."""
    spec, _ = _catalog(storage)
    with storage.unit_of_work() as uow:
        first, second, third = [
            r for r in uow.specs.endpoints(spec.id) if r.tags == ["a"]
        ][:3]

    first.tags.append("changed")
    first.model_fields_set.discard("path")

    assert second.tags == third.tags == ["a"]
    assert "path" in second.model_fields_set
    with pytest.raises(ValueError, match="method"):
        second.method = "FETCH"  # type: ignore[assignment]


def test_slow_path_gives_the_same_objects(
    storage: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the fast construction switched off, rows are validated and compare equal."""
    spec, _ = _catalog(storage)
    with storage.unit_of_work() as uow:
        fast = uow.specs.endpoints(spec.id)
    monkeypatch.setattr(er, "FAST_PATH", False)

    with storage.unit_of_work() as uow:
        slow = uow.specs.endpoints(spec.id)

    assert slow == fast
    assert er.FAST_PATH is False


def test_bulk_insert_stores_what_a_core_insert_stores(storage: SqlStorage) -> None:
    """The driver-level insert writes the same column values SQLAlchemy's insert() does."""
    spec, rows = _catalog(storage)
    copy = d.ApiSpec(project_id=spec.project_id, version="2", raw_json={})
    core_rows = [
        r.model_copy(update={"id": uuid.uuid4(), "spec_id": copy.id}) for r in rows
    ]
    with storage.unit_of_work() as uow:
        uow.execute(t.api_specs.insert(), copy.model_dump())
        uow.execute(
            t.endpoint_catalog.insert(),
            [{**r.model_dump(), "method": r.method.value} for r in core_rows],
        )
        uow.commit()

    def raw(spec_id: uuid.UUID) -> list[tuple[object, ...]]:
        catalog = t.endpoint_catalog
        columns = [
            sa.type_coerce(c, sa.types.NullType())
            for c in catalog.c
            if c.name not in ("id", "spec_id")
        ]
        with storage.engine.connect() as conn:
            return sorted(
                tuple(r)
                for r in conn.execute(
                    sa.select(*columns).where(catalog.c.spec_id == spec_id)
                )
            )

    assert raw(spec.id) == raw(copy.id)
    assert len(raw(spec.id)) == len(rows)


def test_duplicate_catalog_id_is_a_conflict(storage: SqlStorage) -> None:
    """An id written twice surfaces as a chapi error, and nothing of the spec stays."""
    from chapi.errors import ConflictError

    spec, rows = _catalog(storage)
    again = d.ApiSpec(project_id=spec.project_id, version="2", raw_json={})
    clash = [rows[0].model_copy(update={"spec_id": again.id})]

    with storage.unit_of_work() as uow, pytest.raises(ConflictError):
        uow.specs.add(again, clash)

    with storage.unit_of_work() as uow:
        assert uow.specs.find_version(spec.project_id, "2") is None


@pytest.mark.postgres
def test_value_postgresql_cannot_store_is_a_validation_error(
    _pg_storage: SqlStorage,
) -> None:
    """A NUL character refused by PostgreSQL is a ValidationError, not a driver error."""
    with (
        _pg_storage.unit_of_work() as uow,
        pytest.raises(ValidationError, match="0x00"),
    ):
        uow.projects.add(d.Project(name="nul\x00name"))


def test_uuid_from_hex_matches_uuid() -> None:
    """The quick constructor gives ordinary, equal UUIDs and refuses bad text."""
    for _ in range(100):
        value = uuid.uuid4()
        made = er.uuid_from_hex(value.hex)
        assert type(made) is uuid.UUID
        assert made == value and hash(made) == hash(value)
        assert (str(made), made.version, made.is_safe) == (
            str(value),
            4,
            uuid.UUID(value.hex).is_safe,
        )
    assert er.uuid_from_hex("0" * 32) == uuid.UUID(int=0)
    for bad in ("abc", "g" * 32, str(uuid.uuid4())):
        with pytest.raises(ValueError):
            er.uuid_from_hex(bad)
    assert er.FAST_PATH


def test_reading_the_catalog_leaves_the_collector_as_it_was(
    storage: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector is paused for the fetch and the building, then restored,
    also when the read fails; a collector the caller disabled stays disabled."""
    import gc

    spec, rows = _catalog(storage)
    seen: list[bool] = []
    real = er.EndpointReader.read

    def watching(self: er.EndpointReader, fetched: Any) -> list[d.Endpoint]:
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise RuntimeError("conversion failed")
        return real(self, fetched)

    monkeypatch.setattr(er.EndpointReader, "read", watching)
    assert gc.isenabled()
    with storage.unit_of_work() as uow:
        assert len(uow.specs.endpoints(spec.id)) == len(rows)
        assert gc.isenabled()
        with pytest.raises(RuntimeError, match="conversion failed"):
            uow.specs.endpoints(spec.id)
        assert gc.isenabled()
    assert seen == [False, False]

    gc.disable()
    try:
        with storage.unit_of_work() as uow:
            uow.specs.endpoints(spec.id)
        assert not gc.isenabled()
    finally:
        gc.enable()
