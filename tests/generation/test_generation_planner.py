"""The offline planner over real descriptions and a hand-built pets API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gen_support import petstore

from chapi.demo import DemoServer, openapi_document
from chapi.errors import GenerationError
from chapi.generation.planner import plan, plan_pack
from chapi.generation.synth import KINDS
from chapi.jsonir import parse, schema_errors
from chapi.runner import PackFile, execute_pack
from chapi.specs.normalize import to_api_model

EXAMPLES = sorted(
    (Path(__file__).parents[1] / "data" / "oas-examples").glob("*/*.json")
)
REQUEST = "smoke, auth, crud and negative tests"
# Descriptions with no GET, no secured operation, no create/read pair and no
# input to break: the planner refuses them, naming each role's reason.
NOTHING_TO_TEST = {
    "3.0/parameters-cookies",
    "3.0/server-variables",
    "3.1/webhooks",
}


def _bash_n(script: str) -> str:
    done = subprocess.run(
        ["bash", "-n"], input=script, text=True, capture_output=True, check=False
    )
    return done.stderr if done.returncode else ""


@pytest.mark.parametrize(
    "source", EXAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in EXAMPLES]
)
def test_every_example_plans_valid_files(source: Path) -> None:
    """Each description gives valid json-ir, parseable bash and a stable hash.

    Only the documents without a read, secured or breakable operation are
    refused, with a clear reason.
    """
    document = json.loads(source.read_text("utf-8"))
    api = to_api_model(document)
    name = f"{source.parent.name}/{source.stem}"

    modes = ("json-ir", "bash-curl", "hybrid")
    try:
        results = [plan_pack(api, REQUEST, mode=mode) for mode in modes]
    except GenerationError as exc:
        assert "nothing that can be tested" in str(exc)
        assert name in NOTHING_TO_TEST
        return

    assert name not in NOTHING_TO_TEST
    for mode, result in zip(modes, results, strict=True):
        assert result.card.files
        for item in result.card.files:
            assert item.path.startswith("tests/") and ".." not in item.path
            if item.mode == "json-ir":
                assert schema_errors(json.loads(item.content)) == []
            else:
                assert _bash_n(item.content) == ""
        rebuilt = plan_pack(to_api_model(document), REQUEST, mode=mode)
        assert rebuilt.card.digest() == result.card.digest()
        assert rebuilt.inputs_hash == result.inputs_hash


@pytest.mark.parametrize("mode", ["json-ir", "bash-curl", "hybrid"])
def test_rebuilding_is_byte_identical(mode: str) -> None:
    """The same inputs give the same files, byte for byte, and the same hashes."""
    source = next(
        p for p in EXAMPLES if p.name == "petstore.json" and p.parent.name == "3.0"
    )
    document = json.loads(source.read_text("utf-8"))

    first = plan_pack(to_api_model(document), REQUEST, mode=mode)  # type: ignore[arg-type]
    second = plan_pack(
        to_api_model(json.loads(json.dumps(document))), REQUEST, mode=mode
    )  # type: ignore[arg-type]

    assert [(f.path, f.content) for f in first.card.files] == [
        (f.path, f.content) for f in second.card.files
    ]
    assert first.inputs_hash == second.inputs_hash
    assert first.card.digest() == second.card.digest()


_DIGESTS = """
import json, sys
from pathlib import Path
from chapi.errors import GenerationError
from chapi.generation.planner import plan_pack
from chapi.specs.normalize import to_api_model
request = sys.argv[1]
for name in sys.argv[2:]:
    api = to_api_model(json.loads(Path(name).read_text("utf-8")))
    for mode in ("json-ir", "bash-curl", "hybrid"):
        try:
            result = plan_pack(api, request, mode=mode)
        except GenerationError:
            print(name, mode, "refused")
            continue
        print(name, mode, result.inputs_hash, result.card.digest())
"""


def _digests_in_process(request: str) -> list[str]:
    lines = []
    for source in EXAMPLES:
        api = to_api_model(json.loads(source.read_text("utf-8")))
        for mode in ("json-ir", "bash-curl", "hybrid"):
            try:
                result = plan_pack(api, request, mode=mode)  # type: ignore[arg-type]
            except GenerationError:
                lines.append(f"{source} {mode} refused")
                continue
            lines.append(f"{source} {mode} {result.inputs_hash} {result.card.digest()}")
    return lines


@pytest.mark.parametrize("seed", ["0", "4242"])
def test_rebuilding_in_another_process_gives_the_same_hashes(seed: str) -> None:
    """A fresh interpreter with another hash seed plans every example to the same hashes.

    Set and dict ordering of strings changes with ``PYTHONHASHSEED``; a
    planner that leaked it into its output would differ here.
    """
    expected = _digests_in_process(REQUEST)
    done = subprocess.run(
        [sys.executable, "-c", _DIGESTS, REQUEST, *map(str, EXAMPLES)],
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected


def test_inputs_hash_follows_every_input() -> None:
    """Changing the request, mode, env, allowed methods or notes changes the inputs hash."""
    api = petstore()
    base = plan_pack(api, REQUEST).inputs_hash

    variants = {
        plan_pack(api, REQUEST + " please").inputs_hash,
        plan_pack(api, REQUEST, mode="hybrid").inputs_hash,
        plan_pack(api, REQUEST, env="staging").inputs_hash,
        plan_pack(api, REQUEST, allowed_ops=["GET", "POST"]).inputs_hash,
        plan_pack(api, REQUEST, notes="use tag dog").inputs_hash,
    }

    assert base not in variants and len(variants) == 5


def test_crud_chain_creates_reads_updates_and_deletes() -> None:
    """The CRUD file creates, captures the id, reads back with equals, updates, deletes, expects 404."""
    card = plan(petstore(), "crud tests for pets")

    crud = parse(
        next(f.content for f in card.files if f.path == "tests/pets/crud.json")
    )

    assert [s.operation for s in crud.steps] == [
        "POST /pets",
        "GET /pets/{petId}",
        "PUT /pets/{petId}",
        "GET /pets/{petId}",
        "DELETE /pets/{petId}",
        "GET /pets/{petId}",
        "POST /pets",
        "GET /pets/{petId}",
        "DELETE /pets/{petId}",
    ]
    assert crud.steps[0].capture == {"petId": "/id"}
    assert crud.steps[1].request.path == "/pets/{{petId}}"
    sent = crud.steps[0].request.json_
    assert {a.pointer: a.equals for a in crud.steps[1].expect.json_} == {
        f"/{k}": v for k, v in sent.items()
    }
    assert crud.steps[5].expect.status == [404]
    assert crud.steps[0].expect.status == [201]
    # A second item with only the required fields: read back, conforming, then deleted.
    minimal = crud.steps[6].request.json_
    assert set(minimal) < set(sent) and set(minimal) == {"name"}
    assert crud.steps[6].capture == {"petId_required_only": "/id"}
    assert crud.steps[7].request.path == "/pets/{{petId_required_only}}"
    assert crud.steps[7].expect.schema_ is True
    assert crud.steps[8].request.path == "/pets/{{petId_required_only}}"


def test_crud_chain_updates_with_put_and_with_patch() -> None:
    """Where an item has both PUT and PATCH, each update is sent and read back."""
    api = to_api_model(openapi_document("http://127.0.0.1:8000"))
    card = plan(api, "crud tests for pets")

    crud = parse(
        next(f.content for f in card.files if f.path == "tests/pets/crud.json")
    )

    ops = [s.operation for s in crud.steps]
    assert ops[:6] == [
        "POST /pets",
        "GET /pets/{petId}",
        "PUT /pets/{petId}",
        "GET /pets/{petId}",
        "PATCH /pets/{petId}",
        "GET /pets/{petId}",
    ]
    put, patch = crud.steps[2].request.json_, crud.steps[4].request.json_
    assert put != patch
    for update, read in ((2, 3), (4, 5)):
        sent = crud.steps[update].request.json_
        assert crud.steps[update].request.path == "/pets/{{petId}}"
        assert {a.pointer: a.equals for a in crud.steps[read].expect.json_} == {
            f"/{k}": v for k, v in sent.items()
        }
    assert "PATCH" not in {
        s.request.method
        for s in parse(
            next(
                f.content
                for f in plan(
                    api, "crud tests for pets", allowed_ops=["GET", "POST", "PUT"]
                ).files
                if f.path == "tests/pets/crud.json"
            )
        ).steps
    }


def test_auth_triples_cover_every_secured_operation() -> None:
    """Each secured operation gets none → 401/403, invalid → 401/403, valid → documented success."""
    api = petstore()
    card = plan(api, "auth tests")

    auth = parse(
        next(f.content for f in card.files if f.path == "tests/pets/auth.json")
    )

    secured = [op.key for op in api.operations if op.secured]
    assert [s.operation for s in auth.steps] == [k for k in secured for _ in range(3)]
    for i in range(0, len(auth.steps), 3):
        none, invalid, valid = auth.steps[i : i + 3]
        assert (none.auth, invalid.auth, valid.auth) == ("none", "invalid", "valid")
        assert none.expect.status == invalid.expect.status == [401, 403]
        assert all(
            (isinstance(s, int) and 200 <= s < 300) or s in ("2XX", 404)
            for s in valid.expect.status
        )


def test_negative_steps_expect_client_errors() -> None:
    """NEGATIVE steps expect 4XX only and send a body missing the required name."""
    card = plan(petstore(), "negative tests for /pets")

    negative = parse(
        next(f.content for f in card.files if f.path == "tests/pets/negative.json")
    )

    assert all(s.expect.status == ["4XX"] for s in negative.steps)
    posts = [s for s in negative.steps if s.operation == "POST /pets"]
    assert any("name" not in (s.request.json_ or {}) for s in posts)


def test_negative_steps_break_enums_bounds_and_unknown_fields() -> None:
    """On the demo API, NEGATIVE breaks body and query enums, both bounds and a closed body."""
    api = to_api_model(openapi_document("http://127.0.0.1:8000"))
    card = plan(api, "negative tests")

    steps = [
        s for f in card.files if f.role == "NEGATIVE" for s in parse(f.content).steps
    ]
    by_op: dict[str, list[Any]] = {}
    for step in steps:
        by_op.setdefault(step.operation, []).append(step)

    queries = [s.request.query for s in by_op["GET /pets"]]
    assert {"limit": 0} in queries and {"limit": 101} in queries
    assert {"status": "chapi-not-in-enum"} in queries
    bodies = [s.request.json_ for s in by_op["POST /pets"]]
    assert {"name": "Rex", "tag": "dog", "status": "chapi-not-in-enum"} in bodies
    assert {"name": "Rex", "tag": "dog", "chapi_unknown_field": "chapi"} in bodies
    assert {"name": "", "tag": "dog"} in bodies
    assert all(len(found) <= len(KINDS) for found in by_op.values())
    assert all(s.expect.status == ["4XX"] for s in steps)


def test_negative_steps_stay_bounded_per_operation() -> None:
    """Every example spec gets at most one NEGATIVE step per kind of break per operation."""
    for source in EXAMPLES:
        api = to_api_model(json.loads(source.read_text("utf-8")))
        try:
            card = plan(api, "negative tests for all endpoints")
        except GenerationError:
            continue
        counts: dict[str, int] = {}
        for f in card.files:
            for step in parse(f.content).steps:
                counts[step.operation] = counts.get(step.operation, 0) + 1
        assert max(counts.values(), default=0) <= len(KINDS), source.name


def test_hybrid_writes_auth_as_bash_and_the_rest_as_jsonir() -> None:
    """In hybrid mode AUTH files are .sh scripts and every other role is .json."""
    card = plan(petstore(), "smoke auth crud", mode="hybrid")

    modes = {(f.role, f.mode, f.path.rsplit(".", 1)[1]) for f in card.files}

    assert modes == {
        ("SMOKE", "json-ir", "json"),
        ("AUTH", "bash-curl", "sh"),
        ("CRUD", "json-ir", "json"),
    }


def test_prod_pack_never_writes() -> None:
    """Planned for prod with default methods, no step uses a writing method."""
    card = plan(petstore(), "smoke auth crud negative", env="prod")

    methods = {s.request.method for f in card.files for s in parse(f.content).steps}

    assert methods == {"GET"}
    assert any("CRUD" in n for n in card.plan.notes)


def test_unknown_mode_is_refused() -> None:
    """A mode other than json-ir, bash-curl or hybrid raises GenerationError."""
    with pytest.raises(GenerationError, match="unknown pack mode"):
        plan(petstore(), "smoke", mode="yaml")  # type: ignore[arg-type]


def test_nothing_to_test_is_refused() -> None:
    """A request whose explicit path matches nothing raises GenerationError naming it."""
    with pytest.raises(GenerationError, match="/nowhere"):
        plan(petstore(), "smoke tests for /nowhere")


@pytest.mark.parametrize("mode", ["json-ir", "bash-curl", "hybrid"])
def test_generated_pack_passes_against_the_demo_api(mode: str) -> None:
    """The planned pack for chapi's demo API runs green with the runner, json-ir and bash alike."""
    api = to_api_model(openapi_document())
    card = plan(api, REQUEST, mode=mode)  # type: ignore[arg-type]
    files = [PackFile(f.path, f.content, f.role) for f in card.files]

    with DemoServer(token="demo-token-1") as server:
        outcome = execute_pack(
            files, api=api, base_url=server.base_url, secrets={"TOKEN": "demo-token-1"}
        )

    failures = [
        (c.file, c.name, c.message) for c in outcome.results if c.outcome != "passed"
    ]
    assert failures == []
    assert outcome.summary["total"] >= 20


def test_bash_script_runs_by_hand_with_tap_output(tmp_path: Path) -> None:
    """A bash file run directly prints a TAP plan and one ok line per step, and exits 0."""
    api = to_api_model(openapi_document())
    card = plan(api, "crud", mode="bash-curl")
    script = next(f for f in card.files if f.role == "CRUD")
    (tmp_path / "crud.sh").write_text(script.content, "utf-8")

    with DemoServer(token="t0k") as server:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "BASE_URL": server.base_url,
            "TOKEN": "t0k",
        }
        done = subprocess.run(
            ["bash", "crud.sh"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines[0] == f"1..{len(lines) - 1}"
    assert all(line.startswith("ok ") for line in lines[1:])


def test_bash_script_reports_failures_as_not_ok(tmp_path: Path) -> None:
    """With a wrong token the valid-credential steps print 'not ok' with a diagnostic and exit 1."""
    api = to_api_model(openapi_document())
    card = plan(api, "auth tests for /pets", mode="bash-curl")
    script = next(f for f in card.files if f.role == "AUTH")

    with DemoServer(token="right") as server:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "BASE_URL": server.base_url,
            "TOKEN": "wrong",
        }
        done = subprocess.run(
            ["bash", "-c", script.content],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert done.returncode == 1
    assert "not ok 3 - GET /pets with valid credentials is accepted" in done.stdout
    assert "# status 401, expected one of: 200" in done.stdout


def test_bash_script_demands_credentials(tmp_path: Path) -> None:
    """Without TOKEN a script that needs it stops before any request, naming the variable."""
    card = plan(petstore(), "auth", mode="bash-curl")
    script = next(f for f in card.files if f.role == "AUTH")

    done = subprocess.run(
        ["bash", "-c", script.content],
        cwd=tmp_path,
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "BASE_URL": "http://127.0.0.1:9",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode != 0
    assert "BEARERAUTH_TOKEN or TOKEN" in done.stderr
    assert "ok" not in done.stdout
