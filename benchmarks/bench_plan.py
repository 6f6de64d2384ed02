"""Offline planning and rendering of a pack over all of GitHub's REST operations.

Run with ``python -m benchmarks.bench_plan``. It loads GitHub's REST
description (``benchmarks._data.github_spec_path``), builds the ApiModel
with the importer (timed and reported separately), then for each mode
times :func:`chapi.generation.plan_pack` (planning + rendering, the spec
hash passed in so the document is not hashed inside the timing) for a
request naming every role and no scope, i.e. every operation.

In the same run it measures a reference: serializing the finished card to
canonical JSON (``Card.canonical_json``), i.e. writing out the same files'
content once without planning them. It prints the median time of
``--repeat`` runs, the ratio to the reference, and the peak Python memory
(tracemalloc, a separate run) of planning.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks._data import github_spec_path
from chapi.generation import plan_pack, spec_hash
from chapi.specs.normalize import to_api_model

REQUEST = "smoke, auth, crud and negative tests for all endpoints"
MODES = ("json-ir", "bash-curl", "hybrid")


def _median_seconds(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_mib(action: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    """Print the benchmark figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per mode")
    args = parser.parse_args()

    path = github_spec_path()
    start = time.perf_counter()
    document = json.loads(path.read_text("utf-8"))
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    api = to_api_model(document)
    built = time.perf_counter() - start
    start = time.perf_counter()
    digest = spec_hash(document)
    hashed = time.perf_counter() - start
    print(
        f"GitHub REST description: {path.stat().st_size / 2**20:.1f} MiB, "
        f"{len(api.operations)} operations"
    )
    print(
        f"  json.loads {loaded:.2f} s, ApiModel build {built:.2f} s, spec hash {hashed:.2f} s"
    )
    print()
    print(
        f"{'mode':<10} {'files':>5} {'steps':>6} {'ops':>5} {'MiB out':>8} {'plan s':>7} "
        f"{'ref s':>7} {'ratio':>6} {'peak MiB':>9}"
    )

    for mode in MODES:

        def run(mode: str = mode) -> Any:
            return plan_pack(api, REQUEST, mode=mode, document_hash=digest)  # type: ignore[arg-type]

        result = run()
        card = result.card
        seconds = _median_seconds(run, args.repeat)
        reference = _median_seconds(card.canonical_json, args.repeat)
        peak = _peak_mib(run)
        size = sum(len(f.content.encode("utf-8")) for f in card.files) / 2**20
        steps = card.plan.summary.split(" step(s)")[0].rsplit(" ", 1)[-1]
        ops = card.plan.summary.split(" operation(s)")[0].rsplit(" ", 1)[-1]
        print(
            f"{mode:<10} {len(card.files):>5} {steps:>6} {ops:>5} {size:>8.2f} {seconds:>7.2f} "
            f"{reference:>7.3f} {seconds / reference:>6.1f} {peak:>9.1f}"
        )
    print()
    print("ops = distinct operations the pack's steps exercise")
    print("ratio = planning+rendering time / time to serialize the finished card")


if __name__ == "__main__":
    main()
