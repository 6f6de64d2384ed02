"""Import speed and memory on GitHub's REST description, against references.

Measures, on the same file in the same process:

* chapi's ``prepare_import`` end to end (read, parse, bundle, validate,
  normalize into the model and catalog rows), best of ``repeat`` runs, and its
  peak traced memory (a separate run under ``tracemalloc``);
* ``openapi_spec_validator.validate()`` alone on the parsed document;
* Schemathesis loading the file and listing its operations, when installed.

Run with ``python -m benchmarks.bench_import``. :func:`measure` returns the
figures so other benchmarks (storage inserts) can extend the report.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks._data import github_spec_path
from chapi.specs import prepare_import


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _schemathesis_seconds(path: Path) -> float | None:
    try:
        import schemathesis
    except ImportError:
        return None

    def load() -> int:
        schema = schemathesis.openapi.from_path(str(path))
        return sum(1 for _ in schema.get_all_operations())

    seconds, _ = _best(load, 1)
    return seconds


def measure(path: Path | None = None, *, repeat: int = 3) -> dict[str, Any]:
    """Measure import time and memory against the references.

    Args:
        path: the document; GitHub's REST description by default.
        repeat: runs of chapi's import (the best is kept).

    Returns:
        Figures in seconds and bytes, plus the ratios.
    """
    from openapi_spec_validator import validate as osv_validate

    path = path or github_spec_path()
    seconds, prepared = _best(lambda: prepare_import(path), repeat)

    tracemalloc.start()
    prepare_import(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    document = json.loads(path.read_text())
    start = time.perf_counter()
    osv_validate(document)
    osv_seconds = time.perf_counter() - start
    st_seconds = _schemathesis_seconds(path)

    return {
        "file": str(path),
        "bytes": path.stat().st_size,
        "operations": len(prepared.rows),
        "findings": len(prepared.warnings),
        "chapi_import_s": seconds,
        "chapi_peak_traced_bytes": peak,
        "osv_validate_s": osv_seconds,
        "schemathesis_load_s": st_seconds,
        "speedup_vs_osv": osv_seconds / seconds,
        "speedup_vs_schemathesis": (st_seconds / seconds) if st_seconds else None,
    }


def main() -> None:
    """Print the figures."""
    figures = measure()
    mb = 1024 * 1024
    print(f"file: {figures['file']} ({figures['bytes'] / mb:.1f} MB)")
    print(f"operations: {figures['operations']}, findings: {figures['findings']}")
    print(
        f"chapi prepare_import (parse+bundle+validate+normalize): {figures['chapi_import_s']:.2f} s"
    )
    print(f"chapi peak traced memory: {figures['chapi_peak_traced_bytes'] / mb:.0f} MB")
    print(f"openapi_spec_validator.validate() alone: {figures['osv_validate_s']:.2f} s")
    print(f"  ratio (validator alone / chapi import): {figures['speedup_vs_osv']:.1f}x")
    if figures["schemathesis_load_s"] is not None:
        print(
            f"schemathesis from_path + operations: {figures['schemathesis_load_s']:.2f} s"
        )
        print(
            f"  ratio (schemathesis / chapi import): {figures['speedup_vs_schemathesis']:.1f}x"
        )
    else:
        print("schemathesis not installed (pip install 'chapi[bench]')")


if __name__ == "__main__":
    main()
