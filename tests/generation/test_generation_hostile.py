"""A hostile description cannot make generated scripts run anything or leave the base URL."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from gen_support import recording_server
from hypothesis import given, settings
from hypothesis import strategies as st

from chapi.errors import GenerationError
from chapi.generation.planner import plan, plan_pack
from chapi.jsonir import parse, schema_errors
from chapi.rules import PackFile, Registry, RuleContext, validate_pack
from chapi.specs import prepare_import
from chapi.specs.model import (
    ApiModel,
    MediaSchema,
    Operation,
    Parameter,
    RequestBody,
    Response,
    SecurityScheme,
)


def _hostile_api(canary: Path) -> ApiModel:
    boom = f"$(touch {canary})"
    tick = f"`touch {canary}`"
    evil = f"x'\"; touch {canary}; echo \"'\n{boom} {tick} \\ \x00 #"
    json_body = MediaSchema(
        media_type="application/json",
        schema={
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "maxLength": 3},
                tick: {"type": "string"},
            },
        },
        example={"name": boom, tick: evil, "n": {"deep": [evil]}},
        has_example=True,
    )
    secured = (("bearer",), ("key",))
    ops = (
        Operation(
            method="GET",
            path=f"/items/{{id}};{boom}",
            summary=evil,
            tags=("../../etc", tick),
            parameters=(
                Parameter(
                    name="id",
                    location="path",
                    required=True,
                    schema={"type": "string"},
                    example=evil,
                    has_example=True,
                ),
                Parameter(
                    name=f"q'{boom}",
                    location="query",
                    required=True,
                    schema={"type": "string", "enum": [tick, boom]},
                ),
                Parameter(
                    name=f"X-Evil\n{boom}",
                    location="header",
                    required=True,
                    schema={"type": "string"},
                    example=evil,
                    has_example=True,
                ),
                Parameter(
                    name=f"c;{boom}",
                    location="cookie",
                    required=True,
                    schema={"type": "string", "default": evil},
                ),
            ),
            responses=(Response(status="200", description=evil),),
            security=secured,
        ),
        Operation(
            method="POST",
            path="/items",
            summary=boom,
            tags=(boom,),
            request_body=RequestBody(required=True, contents=(json_body,)),
            responses=(
                Response(
                    status="201",
                    contents=(
                        MediaSchema(
                            media_type="application/json",
                            schema={
                                "type": "object",
                                "properties": {"id": {"type": "integer"}},
                            },
                        ),
                    ),
                ),
            ),
            security=secured,
        ),
        Operation(
            method="GET",
            path="/items/{id}",
            parameters=(
                Parameter(
                    name="id",
                    location="path",
                    required=True,
                    schema={"type": "integer"},
                ),
            ),
            responses=(Response(status="200"),),
            security=(("key",),),
        ),
        Operation(
            method="GET",
            path="/a/../../b",
            summary=boom,
            responses=(Response(status="200"),),
        ),
        Operation(
            method="GET",
            path="/x/{{y}}/`id`",
            summary=tick,
            responses=(Response(status="200"),),
        ),
        Operation(
            method="POST",
            path="/forms",
            request_body=RequestBody(
                required=True,
                contents=(
                    MediaSchema(
                        media_type="application/x-www-form-urlencoded",
                        example={f"k@{canary}": evil, "v": boom},
                        has_example=True,
                    ),
                ),
            ),
            responses=(Response(status="200"),),
        ),
    )
    schemes = {
        "bearer": SecurityScheme(name="bearer", kind="bearer"),
        "key": SecurityScheme(
            name="key", kind="apikey", location="query", param_name=f"k{boom}&x=1"
        ),
    }
    return ApiModel(
        spec_version="3.0",
        title=evil,
        operations=ops,
        security_schemes=schemes,
        document={},
    )


def _run(
    script: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hostile_spec_runs_nothing_and_stays_on_the_base_url(tmp_path: Path) -> None:
    """Every script runs against a loopback server without executing spec text or touching HOME."""
    canary = tmp_path / "canary"
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    api = _hostile_api(canary)
    card = plan(api, "smoke auth crud negative tests", mode="bash-curl")
    results: list[subprocess.CompletedProcess[str]] = []

    with recording_server() as recorder:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "BASE_URL": recorder.base_url,
            "TOKEN": f"$(touch {canary})",
            "API_KEY": f"`touch {canary}`",
        }
        for item in card.files:
            results.append(_run(item.content, work, env))

    assert card.files
    assert not canary.exists()
    assert list(home.iterdir()) == []
    assert sorted(p.name for p in work.iterdir()) == []
    assert all(
        r.returncode in (0, 1) and r.stdout.startswith("1..") for r in results
    ), results
    assert recorder.requests
    assert all(
        path.startswith("/") and not path.startswith("//")
        for _, path, _, _ in recorder.requests
    )
    assert not any(
        "/../" in path or path.startswith("/a/") for _, path, _, _ in recorder.requests
    )
    posted = [
        body
        for method, path, _, body in recorder.requests
        if method == "POST" and path == "/items"
    ]
    assert any(f"$(touch {canary})".encode() in body for body in posted)


def test_hostile_spec_keeps_jsonir_paths_relative() -> None:
    """json-ir files stay under tests/, request paths stay relative, and dot segments are refused."""
    api = _hostile_api(Path("/nonexistent/canary"))

    card = plan(api, "smoke auth crud negative tests", mode="json-ir")

    steps = [s for f in card.files for s in parse(f.content).steps]
    assert all(f.path.startswith("tests/") and ".." not in f.path for f in card.files)
    assert all(
        set(f.path) <= set("abcdefghijklmnopqrstuvwxyz0123456789-/.")
        for f in card.files
    )
    assert all(
        s.request.path.startswith("/") and not s.request.path.startswith("//")
        for s in steps
    )
    assert not any(".." in s.request.path.split("/") for s in steps)
    assert any("not a plain relative path" in n for n in card.plan.notes)


def test_hostile_header_values_stay_on_one_line() -> None:
    """Header names are reduced to token characters and values lose CR/LF."""
    api = _hostile_api(Path("/nonexistent/canary"))

    card = plan(api, "smoke", mode="json-ir")

    headers: dict[str, Any] = {}
    for item in card.files:
        for step in json.loads(item.content)["steps"]:
            headers.update(step["request"].get("headers", {}))
    assert headers and all("\n" not in v and "\r" not in v for v in headers.values())


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=30, deadline=None)
@given(segment=_ANY_TEXT, example=_ANY_TEXT, tag=_ANY_TEXT, header=_ANY_TEXT)
def test_any_spec_text_gives_parseable_files(
    segment: str, example: str, tag: str, header: str
) -> None:
    """Whatever text a description holds, bash files pass bash -n and json-ir files the schema."""
    op = Operation(
        method="POST",
        path="/" + segment.replace("/", "-") + "/{p}",
        summary=example,
        tags=(tag,),
        parameters=(
            Parameter(
                name="p",
                location="path",
                required=True,
                example=example,
                has_example=True,
            ),
            Parameter(
                name=header or "h",
                location="header",
                required=True,
                example=example,
                has_example=True,
            ),
            Parameter(
                name=example or "q",
                location="query",
                required=True,
                schema={"enum": [example]},
            ),
        ),
        request_body=RequestBody(
            required=True,
            contents=(
                MediaSchema(
                    media_type="application/json",
                    example={tag: example},
                    has_example=True,
                ),
            ),
        ),
        responses=(Response(status="200"),),
        security=(("k",),),
    )
    schemes = {
        "k": SecurityScheme(
            name="k", kind="apikey", location="header", param_name=header
        )
    }
    api = ApiModel(
        spec_version="3.1", title=tag, operations=(op,), security_schemes=schemes
    )

    try:
        files = [
            f
            for mode in ("json-ir", "bash-curl")
            for f in plan(api, "auth negative smoke", mode=mode).files
        ]  # type: ignore[arg-type]
    except GenerationError:
        return

    for item in files:
        assert item.path.startswith("tests/") and ".." not in item.path
        if item.mode == "json-ir":
            assert schema_errors(json.loads(item.content)) == []
        else:
            done = subprocess.run(
                ["bash", "-n"],
                input=item.content,
                text=True,
                capture_output=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr


def _hostile_document(canary: Path) -> dict[str, Any]:
    wipe = "$(rm -rf ~)"
    touch = f"`touch {canary}`"
    text = f'it\'s "{wipe}"\n{touch}; touch {canary}'
    thing = {
        "type": "object",
        "required": ["name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        "example": {"id": 1, "name": text},
    }
    ok = {"description": text, "content": {"application/json": {"schema": thing}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": text, "version": wipe},
        "components": {
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": text}
            }
        },
        "security": [{"token": []}],
        "paths": {
            "/things": {
                "get": {"summary": text, "operationId": wipe, "responses": {"200": ok}},
                "post": {
                    "summary": wipe,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": thing}},
                    },
                    "responses": {"201": ok},
                },
            },
            "/things/{id}": {
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "example": f"../../{wipe}",
                    }
                ],
                "get": {"tags": ["../../etc"], "responses": {"200": ok}},
                "delete": {
                    "description": text,
                    "responses": {"204": {"description": "x"}},
                },
            },
            "/../../up": {"get": {"summary": touch, "responses": {"200": ok}}},
        },
    }


def test_imported_hostile_document_gives_harmless_packs(tmp_path: Path) -> None:
    """A document imported from JSON with `$(rm -rf ~)`, quotes, newlines and '..' is inert.

    Its packs pass every built-in rule, and running the scripts with HOME set
    to a scratch folder leaves that folder intact and runs no spec text.
    """
    canary = tmp_path / "canary"
    home = tmp_path / "home"
    home.mkdir()
    (home / "keep").write_text("x")
    work = tmp_path / "work"
    work.mkdir()
    api = prepare_import(json.dumps(_hostile_document(canary))).model
    request = "smoke auth crud negative tests"
    packs = {
        mode: plan_pack(api, request, mode=mode) for mode in ("bash-curl", "hybrid")
    }

    findings = []
    for mode, pack in packs.items():
        files = [PackFile(f.path, f.content, f.role) for f in pack.card.files]
        context = RuleContext(
            mode=mode,
            allowed_ops=tuple(pack.intent.allowed_ops),
            secrets={"TOKEN": "token-value-123"},
            file_roles=pack.file_roles,
            api=api,
        )
        findings += validate_pack(files, context, Registry.builtins()).errors
    scripts = [
        f.content for p in packs.values() for f in p.card.files if f.mode == "bash-curl"
    ]
    with recording_server() as recorder:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "BASE_URL": recorder.base_url,
            "TOKEN": "token-value-123",
        }
        results = [_run(script, work, env) for script in scripts]

    assert findings == []
    assert scripts and all(r.stdout.startswith("1..") for r in results), results
    assert (home / "keep").exists() and not canary.exists()
    assert list(work.iterdir()) == []
    assert recorder.requests and all(
        path.startswith("/things") for _, path, _, _ in recorder.requests
    )
