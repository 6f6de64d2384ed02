"""Throughput and memory of the json-ir executor against the demo API.

Run with ``python -m benchmarks.bench_runner``. The demo server runs in a
separate process (so it does not share the client's GIL). In the same run it
measures:

* chapi's json-ir executor on a pack of FILES x STEPS GET steps, each with a
  response-schema check and a JSON assertion;
* a bare ``httpx.AsyncClient`` loop sending the same requests with the same
  concurrency and no checks (the reference);
* Schemathesis (``st run``, when installed) against the same server's
  ``/openapi.json``, counting the requests the server answered.

It prints requests per second, the ratio to the bare loop (target: at least
0.80) and the peak Python memory (tracemalloc) of each client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.connection
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from chapi.demo import DemoServer, openapi_document
from chapi.runner import PackFile, aexecute_pack
from chapi.specs.normalize import to_api_model

TOKEN = "bench-token-0123456789"


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """Child process: run the demo server and answer request-count queries."""
    with DemoServer(token=TOKEN) as server:
        conn.send(server.base_url)
        while True:
            message = conn.recv()
            if message == "count":
                conn.send(server.requests_served)
            else:
                break


def _pack(files: int, steps: int, pets: int) -> list[PackFile]:
    pack = []
    for f in range(files):
        document = {
            "jsonir": 1,
            "name": f"read pets {f}",
            "role": "SMOKE",
            "steps": [
                {
                    "name": f"read pet {(f * steps + s) % pets + 1}",
                    "operation": "GET /pets/{petId}",
                    "request": {
                        "method": "GET",
                        "path": f"/pets/{(f * steps + s) % pets + 1}",
                    },
                    "expect": {
                        "status": [200],
                        "schema": True,
                        "json": [{"pointer": "/name", "type": "string"}],
                    },
                }
                for s in range(steps)
            ],
        }
        pack.append(PackFile(f"bench/f{f:03d}.json", json.dumps(document), "SMOKE"))
    return pack


async def _bare(
    base_url: str, files: int, steps: int, pets: int, concurrency: int
) -> int:
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency
    )
    headers = {"Authorization": f"Bearer {TOKEN}"}
    semaphore = asyncio.Semaphore(concurrency)
    sent = 0
    async with httpx.AsyncClient(limits=limits, timeout=30, trust_env=False) as client:

        async def one(f: int) -> None:
            nonlocal sent
            async with semaphore:
                for s in range(steps):
                    path = f"/pets/{(f * steps + s) % pets + 1}"
                    response = await client.get(base_url + path, headers=headers)
                    response.raise_for_status()
                    sent += 1

        await asyncio.gather(*(one(f) for f in range(files)))
    return sent


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _peak(action: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _schemathesis(
    base_url: str, max_examples: int, workers: int
) -> tuple[float, str] | None:
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    if st is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        command = [
            st,
            "run",
            f"{base_url}/openapi.json",
            "-H",
            f"Authorization: Bearer {TOKEN}",
            "--max-examples",
            str(max_examples),
            "--phases",
            "fuzzing",
            "--checks",
            "response_schema_conformance",
            "--workers",
            str(workers),
            "--no-shrink",
            "--seed",
            "1",
            "--report-dir",
            folder,
        ]
        started = time.perf_counter()
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=folder, check=False
        )
        elapsed = time.perf_counter() - started
        tail = (done.stdout.strip().splitlines() or [""])[-1]
    return elapsed, tail


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_runner")
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--st-examples", type=int, default=300)
    parser.add_argument("--no-schemathesis", action="store_true")
    args = parser.parse_args(argv)

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    base_url = parent.recv()
    pets = 20

    def count() -> int:
        parent.send("count")
        served: int = parent.recv()
        return served

    try:
        with httpx.Client(trust_env=False) as client:
            for i in range(pets):
                client.post(
                    f"{base_url}/pets",
                    json={"name": f"pet {i}", "tag": "bench"},
                    headers={"Authorization": f"Bearer {TOKEN}"},
                ).raise_for_status()
        api = to_api_model(openapi_document(base_url))
        pack = _pack(args.files, args.steps, pets)
        total = args.files * args.steps

        def ours() -> Any:
            outcome = asyncio.run(
                aexecute_pack(
                    pack,
                    api=api,
                    base_url=base_url,
                    secrets={"TOKEN": TOKEN},
                    concurrency=args.concurrency,
                )
            )
            if not outcome.passed:
                raise SystemExit(f"the bench pack did not pass: {outcome.summary}")
            return outcome

        def bare() -> int:
            return asyncio.run(
                _bare(base_url, args.files, args.steps, pets, args.concurrency)
            )

        ours()  # warm-up: imports, validator and first connections
        bare()
        ours_times, bare_times = [], []
        for _ in range(args.rounds):
            ours_times.append(_timed(ours)[0])
            bare_times.append(_timed(bare)[0])
        ours_rps = total / statistics.median(ours_times)
        bare_rps = total / statistics.median(bare_times)
        ours_peak = _peak(ours)
        bare_peak = _peak(bare)

        print(
            f"requests per run: {total} ({args.files} files x {args.steps} steps), "
            f"concurrency {args.concurrency}, median of {args.rounds} rounds"
        )
        print(
            f"chapi json-ir executor : {ours_rps:8.0f} req/s   peak {ours_peak / 1e6:6.1f} MB"
        )
        print(
            f"bare httpx loop        : {bare_rps:8.0f} req/s   peak {bare_peak / 1e6:6.1f} MB"
        )
        print(f"ratio executor / bare  : {ours_rps / bare_rps:.2f} (target >= 0.80)")

        if not args.no_schemathesis:
            before = count()
            result = _schemathesis(base_url, args.st_examples, args.concurrency)
            if result is None:
                print(
                    "schemathesis           : not installed (pip install 'chapi[bench]')"
                )
            else:
                elapsed, tail = result
                sent = count() - before
                print(
                    f"schemathesis st run    : {sent / elapsed:8.0f} req/s   "
                    f"({sent} requests in {elapsed:.1f} s, CLI start-up included; {tail})"
                )
    finally:
        parent.send("stop")
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
