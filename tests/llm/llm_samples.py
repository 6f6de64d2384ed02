"""Sample inputs and answers shared by the LLM generator tests."""

from __future__ import annotations

import json
from typing import Any

from chapi.specs.model import ApiModel, Operation, Response, SecurityScheme

TEST_KEY = "test-key-5f3c9a1e"
"""The API key the tests give the SDK; it must never reach a log line."""

REQUEST = "smoke tests for listing pets and reading one pet"
ENDPOINTS_CONTEXT = (
    "GET /pets | list pets | bearer\nGET /pets/{petId} | read a pet | bearer"
)
ALLOWED_OPS = ["GET"]
ROLE_CONTEXTS = {"SMOKE": "GET /pets; GET /pets/{petId}"}


def pets_api() -> ApiModel:
    """A two-operation API secured by a bearer token."""
    ok = (Response(status="200", description="ok"),)
    return ApiModel(
        spec_version="3.0",
        title="Pets",
        version="1.0",
        operations=(
            Operation(
                method="GET",
                path="/pets",
                summary="list pets",
                responses=ok,
                security=(("bearer",),),
                auth="bearer",
            ),
            Operation(
                method="GET",
                path="/pets/{petId}",
                summary="read a pet",
                responses=ok,
                security=(("bearer",),),
                auth="bearer",
            ),
            Operation(
                method="DELETE",
                path="/pets/{petId}",
                summary="delete a pet",
                responses=ok,
                security=(("bearer",),),
                auth="bearer",
            ),
        ),
        security_schemes={"bearer": SecurityScheme(name="bearer", kind="bearer")},
    )


def jsonir_document(path: str = "/pets", method: str = "GET") -> dict[str, Any]:
    """A json-ir smoke file with one step."""
    return {
        "jsonir": 1,
        "name": "pets smoke",
        "role": "SMOKE",
        "steps": [
            {
                "name": "list pets",
                "operation": f"{method} /pets",
                "request": {"method": method, "path": path},
                "expect": {"status": [200]},
            }
        ],
    }


BASH_SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
BASE_URL="${BASE_URL:?set BASE_URL}"
body="$(mktemp)"
echo "1..1"
status="$(curl -sS -X GET -o "$body" -w '%{http_code}' -H "Authorization: Bearer ${TOKEN}" "${BASE_URL}/pets")"
if [ "$status" = "200" ]; then echo "ok 1 - list pets"; else echo "not ok 1 - list pets"; exit 1; fi
"""


def card_dict(
    document: dict[str, Any] | None = None,
    *,
    path: str = "smoke/pets.json",
    mode: str = "json-ir",
    content: str | None = None,
) -> dict[str, Any]:
    """A card answer holding one file (a json-ir document by default)."""
    if content is None:
        content = json.dumps(document if document is not None else jsonir_document())
    return {
        "plan": {
            "summary": "Smoke test listing pets.",
            "roles": ["SMOKE"],
            "endpoints": ["GET /pets"],
            "files": [{"path": path, "role": "SMOKE", "operations": ["GET /pets"]}],
        },
        "files": [{"path": path, "role": "SMOKE", "mode": mode, "content": content}],
        "actions": [{"type": "validate", "label": "Validate the pack"}],
    }


def card_text(**kwargs: Any) -> str:
    """:func:`card_dict` as the JSON text a model would answer."""
    return json.dumps(card_dict(**kwargs))
