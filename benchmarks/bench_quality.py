"""Test quality: how many seeded API defects chapi's generated pack finds, next to Schemathesis.

Run with ``python -m benchmarks.bench_quality``. The API under test is the
demo pets API (:mod:`chapi.demo`) as served by :mod:`benchmarks._faulty`:
the *reference* (the demo with two conformance fixes) and one *mutant* per
seeded defect in :data:`benchmarks._faulty.MUTANTS`. Every variant serves
the same OpenAPI description.

For every variant, each on a fresh server, in the same run:

* **chapi**: the offline planner plans a pack for :data:`REQUEST` from the
  description (modes ``json-ir`` and ``hybrid``), the built-in guardrail
  rules must pass it, and :func:`chapi.runner.execute_pack` runs it. The
  mutant is *killed* when the run does not pass.
* **Schemathesis**: ``st run`` against ``/openapi.json`` with the bearer
  token header, a fixed ``--seed``, ``--max-examples`` per operation, its
  default phases (examples, coverage, fuzzing, stateful) and its default
  checks (in 4.x: every built-in check but ``max_response_time``), no
  shrinking. The mutant is *killed* when ``st`` exits non-zero.

A tool that fails on the reference has a false positive: its kills are not
counted (the rate prints as ``n/a``). The shipped demo itself is run too,
for information: what each tool reports there is printed, not scored.

It prints a table (mutant, killed by each, time of each), then kill rates
and total times side by side, then what each tool reported per mutant.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._faulty import MUTANTS, FaultyServer, Mutant
from chapi.demo import DemoServer, openapi_document
from chapi.domain.enums import PackMode
from chapi.generation import Mode, plan_pack
from chapi.rules import PackFile as RulesFile
from chapi.rules import RuleContext, validate_pack
from chapi.runner import PackFile, execute_pack
from chapi.specs.normalize import to_api_model

REQUEST = "smoke, auth, crud and negative tests for all endpoints"
TOKEN = "quality-bench-token-0123456789"
MODES: tuple[Mode, ...] = ("json-ir", "hybrid")

Serve = Callable[[], AbstractContextManager[DemoServer]]


@dataclass
class Verdict:
    """One tool's result on one API variant."""

    failed: bool
    seconds: float
    findings: list[str] = field(default_factory=list)
    error: str | None = None


def _chapi(base_url: str, mode: Mode) -> Verdict:
    started = time.perf_counter()
    api = to_api_model(openapi_document(base_url))
    planned = plan_pack(api, REQUEST, mode=mode)
    files = [PackFile(f.path, f.content, f.role) for f in planned.card.files]
    report = validate_pack(
        [RulesFile(f.path, f.content, f.role) for f in planned.card.files],
        RuleContext(
            mode=PackMode(mode),
            allowed_ops=planned.intent.allowed_ops,
            secrets={"TOKEN": TOKEN},
            file_roles=planned.file_roles,
            api=api,
        ),
    )
    if not report.passed:
        raise SystemExit(f"the planned {mode} pack fails the guardrails:\n{report}")
    outcome = execute_pack(files, api=api, base_url=base_url, secrets={"TOKEN": TOKEN})
    seconds = time.perf_counter() - started
    findings = [
        f"{Path(c.file).stem}: {c.name}"
        for c in outcome.results
        if c.outcome in ("failed", "error")
    ]
    error = outcome.reason
    return Verdict(not outcome.passed, seconds, findings, error)


def _schemathesis(st: str, base_url: str, examples: int, seed: int) -> Verdict:
    with tempfile.TemporaryDirectory() as folder:
        command = [
            st,
            "run",
            f"{base_url}/openapi.json",
            "-H",
            f"Authorization: Bearer {TOKEN}",
            "--max-examples",
            str(examples),
            "--seed",
            str(seed),
            "--no-shrink",
            "--generation-database",
            "none",
            "--report",
            "json",
            "--report-dir",
            folder,
            "--no-color",
        ]
        started = time.perf_counter()
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=folder, check=False
        )
        seconds = time.perf_counter() - started
        reports = sorted(Path(folder).glob("*.json"))
        data = json.loads(reports[0].read_text("utf-8")) if reports else {}
    findings = [
        f"{f['code']} {f['title']}: {', '.join(f['operations'])}"
        for f in data.get("failures", [])
    ]
    error = None
    if data.get("errors"):
        error = f"{len(data['errors'])} error(s)"
    elif not data:
        tail = (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]
        error = f"no report (exit {done.returncode}): {tail}"
    return Verdict(done.returncode != 0, seconds, findings, error)


def _variants(names: list[str] | None) -> Iterator[tuple[str, Mutant | None, Serve]]:
    yield "(shipped demo)", None, lambda: DemoServer(TOKEN)
    yield "(reference)", None, lambda: FaultyServer(None, token=TOKEN)
    for mutant in MUTANTS:
        if names is None or mutant.name in names:
            yield (
                mutant.name,
                mutant,
                lambda m=mutant.name: FaultyServer(m, token=TOKEN),  # type: ignore[misc]
            )


def _yn(verdict: Verdict | None) -> str:
    if verdict is None:
        return "-"
    return ("y" if verdict.failed else "n") + ("!" if verdict.error else "")


def _rate(killed: int, total: int, false_positive: bool) -> str:
    if false_positive:
        return "n/a (fails on the reference)"
    return f"{killed}/{total} ({100 * killed / total:.0f} %)"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_quality")
    parser.add_argument("--st-examples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-schemathesis", action="store_true")
    parser.add_argument(
        "--mutant", action="append", help="run only this mutant (repeatable)"
    )
    args = parser.parse_args(argv)

    st = None
    if not args.no_schemathesis:
        st = shutil.which("st", path=str(Path(sys.executable).parent))
        if st is None:
            print("schemathesis: not installed (pip install 'chapi[bench]'); skipped")

    tools = [f"chapi {m}" for m in MODES] + (["schemathesis"] if st else [])
    print(
        f"request: {REQUEST!r}; Schemathesis: --seed {args.seed} "
        f"--max-examples {args.st_examples}, default phases and checks, --no-shrink"
    )
    print("killed = the tool's run failed; '!' = the tool reported errors too")
    print()
    print(f"{'mutant':<22} {'kind':<10}  " + "  ".join(f"{t:>14}" for t in tools))
    print(f"{'':<22} {'':<10}  " + "  ".join(f"{'killed   time':>14}" for _ in tools))
    results: dict[str, dict[str, Verdict]] = {}
    for label, mutant, serve in _variants(args.mutant):
        row: dict[str, Verdict] = {}
        for mode in MODES:
            with serve() as server:
                row[f"chapi {mode}"] = _chapi(server.base_url, mode)
        if st:
            with serve() as server:
                row["schemathesis"] = _schemathesis(
                    st, server.base_url, args.st_examples, args.seed
                )
        results[label] = row
        kind = mutant.kind if mutant else ""
        cells = "  ".join(f"{_yn(row[t]):>6} {row[t].seconds:6.2f}s" for t in tools)
        print(f"{label:<22} {kind:<10}  {cells}", flush=True)

    mutants = [label for label in results if not label.startswith("(")]
    print()
    for tool in tools:
        reference = results.get("(reference)", {}).get(tool)
        killed = sum(results[m][tool].failed for m in mutants)
        seconds = sum(r[tool].seconds for r in results.values())
        rate = _rate(killed, len(mutants), bool(reference and reference.failed))
        print(f"{tool:<14} kill rate {rate:<30} total time {seconds:7.1f} s")
    if len(tools) > 1 and st:
        for tool in tools[:-1]:
            ours = sum(r[tool].seconds for r in results.values())
            theirs = sum(r["schemathesis"].seconds for r in results.values())
            print(f"time ratio {tool} / schemathesis: {ours / theirs:.3f}")

    print()
    print("what each tool reported (failing cases / Schemathesis failure codes):")
    for label, row in results.items():
        print(f"{label}:")
        for tool in tools:
            verdict = row[tool]
            found = "; ".join(verdict.findings) or "nothing"
            if verdict.error:
                found += f" [{verdict.error}]"
            print(f"  {tool:<14} {found}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
