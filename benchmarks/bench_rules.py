"""Validating a 2,000-file pack with every built-in rule.

Run with ``python -m benchmarks.bench_rules``. The pack is made by the
offline planner over the Swagger Petstore (``tests/data/oas-examples``): its
json-ir and bash-curl files are repeated, each copy made unique (a renamed
document, a trailing comment) so no parse cache can serve a copy, until the
pack holds ``--files`` files, half json-ir and half bash.

It times :func:`chapi.rules.validate_pack` (all built-in rules, the API
model and environment secrets in the context, caches cleared before each
run) and, in the same run, a reference doing only the two costly parts:
``bashlex.parse`` over the bash files (the text the shell rules parse, with
the renderer's prelude set aside) and ``jsonschema`` validation of the json
files against the json-ir schema. It prints files per second for both, and
the ratio of the validation time to the reference time (median of
``--repeat`` runs). It also prints the ``bashlex.parse`` time alone: the
floor no shell rule can go below without another parser.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bashlex
from jsonschema import Draft202012Validator

from chapi.generation.planner import plan_pack
from chapi.jsonir import schema
from chapi.rules import PackFile, Registry, RuleContext, _jsondoc, _shell, validate_pack
from chapi.specs import prepare_import

SPEC = (
    Path(__file__).resolve().parent.parent / "tests/data/oas-examples/3.0/petstore.json"
)
REQUEST = "smoke, auth, crud and negative tests"


def _median_seconds(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        _shell._parse_cached.cache_clear()
        _jsondoc.load_json.cache_clear()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _pack(count: int) -> tuple[list[PackFile], Any]:
    api = prepare_import(str(SPEC)).model
    json_files = [f for f in plan_pack(api, REQUEST, mode="json-ir").card.files]
    bash_files = [f for f in plan_pack(api, REQUEST, mode="bash-curl").card.files]
    files: list[PackFile] = []
    index = 0
    while len(files) < count:
        source = json_files[index % len(json_files)]
        document = json.loads(source.content)
        document["name"] = f"{document['name']} #{index}"
        files.append(
            PackFile(
                f"c{index}/{source.path}", json.dumps(document, indent=2), source.role
            )
        )
        script = bash_files[index % len(bash_files)]
        files.append(
            PackFile(
                f"c{index}/{script.path}",
                f"{script.content}# copy {index}\n",
                script.role,
            )
        )
        index += 1
    return files[:count], api


def main() -> None:
    """Build the pack, time validation and the reference, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    files, api = _pack(args.files)
    bash = [f.content for f in files if f.kind == "bash"]
    documents = [json.loads(f.content) for f in files if f.kind == "json-ir"]
    context = RuleContext(
        mode="hybrid",  # type: ignore[arg-type]
        allowed_ops=("GET", "POST", "PUT", "PATCH", "DELETE"),
        secrets={"TOKEN": "bench-token-0123456789", "API_KEY": "bench-key-0123456789"},
        api=api,
    )
    registry = Registry.builtins()
    validator = Draft202012Validator(schema())

    def validate() -> None:
        report = validate_pack(files, context, registry)
        assert report.passed, str(report)[:2000]

    def shell_parse() -> None:
        for text in bash:
            stripped, _ = _shell._set_aside_preludes(text)
            bashlex.parse(stripped)

    def reference() -> None:
        shell_parse()
        for document in documents:
            list(validator.iter_errors(document))

    validation = _median_seconds(validate, args.repeat)
    baseline = _median_seconds(reference, args.repeat)
    floor = _median_seconds(shell_parse, args.repeat)
    print(f"pack: {len(files)} files ({len(documents)} json-ir, {len(bash)} bash)")
    print(
        f"validate_pack (7 rules):  {validation:8.3f} s  {len(files) / validation:9.1f} files/s"
    )
    print(
        f"reference (parse+schema): {baseline:8.3f} s  {len(files) / baseline:9.1f} files/s"
    )
    print(
        f"bashlex.parse alone:      {floor:8.3f} s  {len(bash) / floor:9.1f} bash files/s"
    )
    print(f"ratio validate / reference: {validation / baseline:.2f}")
    print(f"ratio validate / bashlex alone: {validation / floor:.2f}")


if __name__ == "__main__":
    main()
