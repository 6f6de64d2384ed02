"""Import speed and memory on GitHub's REST description, against references.

Measures, on the same file in the same process:

* chapi's ``prepare_import`` (read, parse, bundle, validate, normalize into
  the model and catalog rows), best of ``--repeat`` runs;
* the whole import, parse to stored catalog (``Chapi.specs.import_spec``),
  into SQLite and into PostgreSQL, best of ``--repeat`` runs each;
* the peak traced memory (``tracemalloc``) of each, in separate runs;
* ``openapi_spec_validator.validate()`` alone on the parsed document;
* Schemathesis loading the file and listing its operations (when installed).

Ratios are reference time / chapi time (above 1: chapi is faster). The
import target is at least 3x faster than ``validate()`` alone.

Run with ``python -m benchmarks.bench_import [--repeat 3] [--no-postgres]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._data import github_spec_path
from benchmarks._pg import temporary_database
from chapi import Chapi
from chapi.specs import prepare_import

TARGET = 3.0
"""The import must take at most 1/TARGET of ``validate()`` alone."""


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _peak(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _schemathesis_seconds(path: Path) -> float | None:
    try:
        import schemathesis
    except ImportError:
        return None

    def load() -> int:
        schema = schemathesis.openapi.from_path(str(path))
        return sum(1 for _ in schema.get_all_operations())

    return _best(load, 1)


def _stored_import(url: str, path: Path, repeat: int) -> tuple[float, int, int]:
    """Best time and peak memory of a whole import; the endpoints stored."""
    with (
        tempfile.TemporaryDirectory() as home,
        Chapi(url, home=home, llm=None) as chapi,
    ):
        chapi.migrate()

        def once() -> Any:
            project = chapi.projects.create(f"bench-{uuid.uuid4().hex[:8]}")
            return chapi.specs.import_spec(project.id, path)

        spec = once()  # warm-up: imports, engine, first connection
        stored = len(chapi.specs.endpoints(spec.project_id, spec=spec.id))
        seconds = _best(once, repeat)
        peak = _peak(once)
    return seconds, peak, stored


def measure(
    path: Path | None = None, *, repeat: int = 3, postgres: bool = True
) -> dict[str, Any]:
    """Measure import time and memory against the references.

    Args:
        path: the document; GitHub's REST description by default.
        repeat: runs of each chapi measurement (the best is kept).
        postgres: also import into a temporary PostgreSQL database.

    Returns:
        Figures in seconds and bytes.
    """
    from openapi_spec_validator import validate as osv_validate

    path = path or github_spec_path()
    prepared = prepare_import(path)
    figures: dict[str, Any] = {
        "file": str(path),
        "bytes": path.stat().st_size,
        "operations": len(prepared.rows),
        "findings": len(prepared.warnings),
        "prepare_s": _best(lambda: prepare_import(path), repeat),
        "prepare_peak": _peak(lambda: prepare_import(path)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        seconds, peak, stored = _stored_import(f"sqlite:///{tmp}/c.db", path, repeat)
        figures["sqlite"] = (seconds, peak, stored)
    if postgres:
        with temporary_database() as url:
            seconds, peak, stored = _stored_import(
                url.render_as_string(hide_password=False), path, repeat
            )
            figures["postgresql"] = (seconds, peak, stored)

    document = json.loads(path.read_text())
    start = time.perf_counter()
    osv_validate(document)
    figures["osv_s"] = time.perf_counter() - start
    figures["schemathesis_s"] = _schemathesis_seconds(path)
    return figures


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    f = measure(repeat=args.repeat, postgres=not args.no_postgres)
    mib = 2**20
    osv, st = f["osv_s"], f["schemathesis_s"]
    print(f"file: {f['file']} ({f['bytes'] / mib:.1f} MiB)")
    print(f"operations: {f['operations']}, validation findings: {f['findings']}")
    print(
        f"reference: openapi_spec_validator.validate() alone: {osv:6.2f} s; "
        + (f"schemathesis from_path + operations: {st:.2f} s" if st else "")
        + ("" if st else "schemathesis not installed (pip install 'chapi[bench]')")
    )
    print(
        f"{'chapi':44} {'time s':>7} {'peak MiB':>9} "
        f"{'vs validate()':>13} {'vs schemathesis':>15}"
    )
    rows = [
        ("prepare_import (parse..normalize)", f["prepare_s"], f["prepare_peak"], None)
    ]
    for backend in ("sqlite", "postgresql"):
        if backend in f:
            seconds, peak, stored = f[backend]
            rows.append(
                (f"import_spec into {backend} ({stored} rows)", seconds, peak, 0)
            )
    for label, seconds, peak, _ in rows:
        versus_st = f"{st / seconds:14.2f}x" if st else f"{'-':>15}"
        print(
            f"{label:44} {seconds:7.2f} {peak / mib:9.0f} "
            f"{osv / seconds:12.1f}x {versus_st}"
        )
    worst = max(seconds for _, seconds, _, _ in rows)
    verdict = "met" if osv / worst >= TARGET else "NOT met"
    print(
        f"target: whole import at least {TARGET:.0f}x faster than validate() alone: "
        f"{verdict} (slowest import {osv / worst:.1f}x)"
    )


if __name__ == "__main__":
    main()
