"""Bulk insert and read-back of endpoint-catalog rows through chapi's storage adapter,
against a plain driver-level ``executemany`` of the same rows, on SQLite and PostgreSQL.

Each round inserts a fresh spec's rows through chapi (``SpecRepository.add``) and
reads them back as ``Endpoint`` objects (``SpecRepository.endpoints``), then does
the same with the bare driver (``sqlite3`` / ``psycopg`` ``executemany``, and a
``fetchall`` of the same ``SELECT ... ORDER BY`` the adapter sends, returning
the driver's raw tuples). Both sides write to the same database with the same
settings. chapi pauses Python's cyclic garbage collector while it fetches and
builds catalog rows; the driver's fetch is timed under the same pause, so the
read ratio compares like with like rather than crediting chapi with the full
collections a plain ``fetchall`` of 100,000 rows happens to trigger. The median
of ``--rounds`` rounds is reported.

With ``--breakdown`` it also splits chapi's SQLite read into its parts, each
timed alone against the same driver fetch: the adapter's own query fetched
with ``sqlite3``, converting those rows into ``Endpoint`` objects, and the
floor of any path that returns ``Endpoint`` objects: building them from
values that need no conversion at all.

Run: ``python -m benchmarks.bench_storage [--rows 100000] [--rounds 3] [--breakdown]``
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from benchmarks._pg import temporary_database
from chapi import domain as d
from chapi.storage import SqlStorage
from chapi.storage.endpoint_rows import FIELDS, EndpointReader, catalog_query

COLUMNS = (
    "id, project_id, spec_id, method, path, summary, auth, req_content, "
    "success_content, operation_id, tags, created_at"
)
# the order SpecRepository.endpoints returns rows in
ORDER = "ORDER BY created_at, path, method"


def make_rows(n: int, project_id: uuid.UUID, spec_id: uuid.UUID) -> list[d.Endpoint]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        d.Endpoint(
            project_id=project_id,
            spec_id=spec_id,
            method="GET",
            path=f"/resources/{i}/items/{{item_id}}",
            summary=f"List items of resource {i}",
            auth="bearer",
            req_content="-",
            success_content="200:application/json",
            operation_id=f"items/list-{i}",
            tags=["items"],
            created_at=now,
        )
        for i in range(n)
    ]


def paused(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` run with the cyclic collector off, its young objects swept once inside the timing."""

    def run() -> None:
        gc.disable()
        try:
            fn()
        finally:
            gc.enable()
            gc.collect(0)

    return run


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def adapter_run(storage: SqlStorage, rows: list[d.Endpoint]) -> tuple[float, float]:
    """Insert through the repository, then read every row back as domain objects."""
    project = d.Project(name=f"bench-{uuid.uuid4()}", id=rows[0].project_id)
    spec = d.ApiSpec(
        id=rows[0].spec_id, project_id=project.id, version="1", raw_json={}
    )
    with storage.unit_of_work() as uow:
        uow.projects.add(project)
        uow.commit()

    def insert() -> None:
        with storage.unit_of_work() as uow:
            uow.specs.add(spec, rows)
            uow.commit()

    def read() -> None:
        with storage.unit_of_work() as uow:
            assert len(uow.specs.endpoints(spec.id)) == len(rows)

    return timed(insert), timed(read)


def sqlite_driver_run(path: Path, rows: list[d.Endpoint]) -> tuple[float, float]:
    """The same rows with sqlite3's executemany, values prepared as the adapter stores them."""
    import json

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")  # as the adapter sets it (WAL file)
    project_id = rows[0].project_id.hex
    conn.execute(
        "INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
        (
            project_id,
            f"raw-{uuid.uuid4()}",
            "2026-01-01 00:00:00",
            "2026-01-01 00:00:00",
        ),
    )
    conn.execute(
        "INSERT INTO api_specs (id, project_id, version, raw_json, warnings, created_at) "
        "VALUES (?, ?, '1', '{}', '[]', '2026-01-01 00:00:00')",
        (rows[0].spec_id.hex, project_id),
    )
    conn.commit()

    def insert() -> None:
        values = [
            (
                e.id.hex,
                e.project_id.hex,
                e.spec_id.hex,
                e.method.value,
                e.path,
                e.summary,
                e.auth,
                e.req_content,
                e.success_content,
                e.operation_id,
                json.dumps(e.tags),
                e.created_at.replace(tzinfo=None).isoformat(sep=" "),
            )
            for e in rows
        ]
        conn.executemany(
            f"INSERT INTO endpoint_catalog ({COLUMNS}) VALUES ({', '.join('?' * 12)})",
            values,
        )
        conn.commit()

    def read() -> None:
        found = conn.execute(
            f"SELECT {COLUMNS} FROM endpoint_catalog WHERE spec_id = ? {ORDER}",
            (rows[0].spec_id.hex,),
        ).fetchall()
        assert len(found) == len(rows)

    result = timed(insert), timed(paused(read))
    conn.close()
    return result


def pg_driver_run(dsn: str, rows: list[d.Endpoint]) -> tuple[float, float]:
    """The same rows with psycopg's executemany (pipeline mode), native types."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO projects (id, name) VALUES (%s, %s)",
            (rows[0].project_id, f"raw-{uuid.uuid4()}"),
        )
        conn.execute(
            "INSERT INTO api_specs (id, project_id, version, raw_json) VALUES (%s, %s, '1', '{}')",
            (rows[0].spec_id, rows[0].project_id),
        )
        conn.commit()

        def insert() -> None:
            values = [
                (
                    e.id,
                    e.project_id,
                    e.spec_id,
                    e.method.value,
                    e.path,
                    e.summary,
                    e.auth,
                    e.req_content,
                    e.success_content,
                    e.operation_id,
                    Jsonb(e.tags),
                    e.created_at,
                )
                for e in rows
            ]
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO endpoint_catalog ({COLUMNS}) VALUES ({', '.join(['%s'] * 12)})",
                    values,
                )
            conn.commit()

        def read() -> None:
            found = conn.execute(
                f"SELECT {COLUMNS} FROM endpoint_catalog WHERE spec_id = %s {ORDER}",
                (rows[0].spec_id,),
            ).fetchall()
            assert len(found) == len(rows)

        return timed(insert), timed(paused(read))


def report(
    backend: str,
    n: int,
    ours: list[tuple[float, float]],
    plain: list[tuple[float, float]],
) -> None:
    """Print rows per second (median of the rounds) and the time ratio."""
    for index, label in enumerate(("insert", "read")):
        mine = statistics.median(r[index] for r in ours)
        ref = statistics.median(r[index] for r in plain)
        print(
            f"{backend:10} {label:6}  chapi {n / mine:>9,.0f} rows/s   "
            f"driver {n / ref:>9,.0f} rows/s   ratio {mine / ref:4.2f}x"
        )


def rounds_on(
    storage: SqlStorage,
    driver: Callable[[list[d.Endpoint]], tuple[float, float]],
    n: int,
    rounds: int,
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Alternate chapi and driver rounds, each on fresh rows, so both see the same load."""
    ours, plain = [], []
    for _ in range(rounds):
        ours.append(adapter_run(storage, make_rows(n, uuid.uuid4(), uuid.uuid4())))
        plain.append(driver(make_rows(n, uuid.uuid4(), uuid.uuid4())))
    return ours, plain


def _bare_objects(rows: list[tuple[Any, ...]]) -> list[d.Endpoint]:
    """Endpoint objects from values used as they are: no conversion, only building."""
    new, set_, names = object.__new__, object.__setattr__, FIELDS
    fields = set(names)
    built = []
    for row in rows:
        endpoint = new(d.Endpoint)
        set_(endpoint, "__dict__", dict(zip(names, row, strict=False)))
        set_(endpoint, "__pydantic_fields_set__", fields.copy())
        set_(endpoint, "__pydantic_extra__", None)
        set_(endpoint, "__pydantic_private__", None)
        built.append(endpoint)
    return built


def sqlite_breakdown(path: Path, storage: SqlStorage, n: int, rounds: int) -> None:
    """Time the parts of chapi's SQLite read separately (median of ``rounds``)."""
    rows = make_rows(n, uuid.uuid4(), uuid.uuid4())
    adapter_run(storage, rows)
    spec_id, project_id = rows[0].spec_id, rows[0].project_id
    dialect = storage.engine.dialect
    compiled = catalog_query(spec_id, project_id).compile(
        dialect=dialect, compile_kwargs={"literal_binds": True}
    )
    conn = sqlite3.connect(path)
    reference = f"SELECT {COLUMNS} FROM endpoint_catalog WHERE spec_id = ? {ORDER}"
    raw = conn.execute(str(compiled)).fetchall()
    assert len(raw) == n

    parts: dict[str, Callable[[], Any]] = {
        "driver fetch, the reference": paused(
            lambda: conn.execute(reference, (spec_id.hex,)).fetchall()
        ),
        "adapter's query, fetched by sqlite3": paused(
            lambda: conn.execute(str(compiled)).fetchall()
        ),
        "converting its rows to Endpoint objects": paused(
            lambda: EndpointReader(dialect, spec_id, project_id).read(raw)
        ),
        "floor: building Endpoint objects only": paused(lambda: _bare_objects(raw)),
    }
    times: dict[str, list[float]] = {label: [] for label in parts}
    for _ in range(rounds):
        for label, fn in parts.items():
            times[label].append(timed(fn))
    conn.close()
    base = statistics.median(times["driver fetch, the reference"])
    print("sqlite read, part by part (time / driver fetch):")
    for label, values in times.items():
        taken = statistics.median(values)
        print(f"  {label:42} {taken * 1000:7.1f} ms   {taken / base:4.2f}x")


def main() -> None:
    """Print the figures for SQLite, then PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--breakdown", action="store_true", help="also time the SQLite read's parts"
    )
    args = parser.parse_args()
    n = args.rows
    print(
        f"{n:,} endpoint-catalog rows, median of {args.rounds} rounds; "
        "ratio = chapi time / driver time (lower is better)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        storage = SqlStorage(f"sqlite:///{tmp}/chapi.db")
        storage.migrate()
        ours, plain = rounds_on(
            storage,
            lambda rows: sqlite_driver_run(Path(tmp) / "chapi.db", rows),
            n,
            args.rounds,
        )
        report("sqlite", n, ours, plain)
        if args.breakdown:
            sqlite_breakdown(Path(tmp) / "chapi.db", storage, n, max(args.rounds, 5))
        storage.close()

    with temporary_database() as url:
        storage = SqlStorage(url.render_as_string(hide_password=False))
        storage.migrate()
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        ours, plain = rounds_on(
            storage, lambda rows: pg_driver_run(dsn, rows), n, args.rounds
        )
        storage.close()
        report("postgresql", n, ours, plain)


if __name__ == "__main__":
    main()
