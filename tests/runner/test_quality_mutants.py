"""The faulty demo server of ``bench_quality`` shows each seeded defect, and only that one.

Each probe sends a few requests that reveal one defect; every mutant must
trip its own probe and no other, and the reference must trip none, so the
benchmark cannot silently measure a mutant that behaves like the real API.
The offline planner's pack must pass on the reference and the shipped demo,
and fail on the mutants its NEGATIVE and CRUD steps are meant to catch.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from chapi.demo import DemoServer, openapi_document
from chapi.generation import plan_pack
from chapi.runner import PackFile, execute_pack
from chapi.specs.normalize import to_api_model

TOKEN = "quality-mutants-token"


class _Bearer(httpx.Auth):
    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {TOKEN}"
        yield request


def _anonymous(request: httpx.Request) -> httpx.Request:
    """Per-request auth that sends no credentials (overrides the client's)."""
    return request


def _load_faulty() -> ModuleType:
    # benchmarks/ is not an installed package; load the module from its file.
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "_faulty.py"
    spec = importlib.util.spec_from_file_location("_bench_faulty", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


faulty = _load_faulty()
Probe = Callable[[httpx.Client], bool]


def _name() -> str:
    return f"pet-{uuid.uuid4().hex[:8]}"


def _create(client: httpx.Client, **fields: Any) -> httpx.Response:
    return client.post("/pets", json={"name": _name(), "tag": "t", **fields})


def _no_auth_delete(client: httpx.Client) -> bool:
    pet = _create(client).json()
    return client.delete(f"/pets/{pet['id']}", auth=_anonymous).status_code != 401


def _any_bearer(client: httpx.Client) -> bool:
    wrong = {"Authorization": "Bearer not-the-token"}
    return client.get("/pets", headers=wrong, auth=_anonymous).status_code == 200


def _missing_name_500(client: httpx.Client) -> bool:
    return client.post("/pets", json={"tag": "t"}).status_code == 500


def _wrong_type_500(client: httpx.Client) -> bool:
    return client.post("/pets", json={"name": 5}).status_code == 500


def _name_too_long(client: httpx.Client) -> bool:
    return client.post("/pets", json={"name": "x" * 101}).status_code in (200, 201)


def _body_enum_unchecked(client: httpx.Client) -> bool:
    return _create(client, status="lost").status_code in (200, 201)


def _extra_field_accepted(client: httpx.Client) -> bool:
    return _create(client, colour="red").status_code in (200, 201)


def _query_enum_unchecked(client: httpx.Client) -> bool:
    return client.get("/pets", params={"status": "lost"}).status_code == 200


def _limit_clamped(client: httpx.Client) -> bool:
    return client.get("/pets", params={"limit": 101}).status_code == 200


def _create_not_stored(client: httpx.Client) -> bool:
    name = _name()
    created = client.post("/pets", json={"name": name})
    listed = [p["name"] for p in client.get("/pets").json()]
    return created.is_success and name not in listed


def _create_wrong_id(client: httpx.Client) -> bool:
    name = _name()
    reported = client.post("/pets", json={"name": name}).json()["id"]
    stored = [p["id"] for p in client.get("/pets").json() if p["name"] == name]
    return len(stored) == 1 and str(stored[0]) != str(reported)


def _update_not_persisted(client: httpx.Client, method: str) -> bool:
    pet = _create(client).json()
    new = _name()
    answered = client.request(method, f"/pets/{pet['id']}", json={"name": new})
    return (
        answered.status_code == 200
        and answered.json()["name"] == new
        and client.get(f"/pets/{pet['id']}").json()["name"] == pet["name"]
    )


def _put_not_persisted(client: httpx.Client) -> bool:
    return _update_not_persisted(client, "PUT")


def _patch_not_persisted(client: httpx.Client) -> bool:
    return _update_not_persisted(client, "PATCH")


def _delete_not_deleting(client: httpx.Client) -> bool:
    pet = _create(client).json()
    return (
        client.delete(f"/pets/{pet['id']}").status_code == 204
        and client.get(f"/pets/{pet['id']}").status_code == 200
    )


def _unknown_pet_500(client: httpx.Client) -> bool:
    return client.get("/pets/999999").status_code == 500


def _null_tag_omitted(client: httpx.Client) -> bool:
    return "tag" not in client.post("/pets", json={"name": _name()}).json()


def _id_as_string(client: httpx.Client) -> bool:
    return isinstance(_create(client).json()["id"], str)


def _create_200(client: httpx.Client) -> bool:
    return _create(client).status_code == 200


def _wrong_content_type(client: httpx.Client) -> bool:
    content_type = client.get("/pets").headers.get("Content-Type", "")
    return not content_type.startswith("application/json")


PROBES: dict[str, Probe] = {
    "no_auth_delete": _no_auth_delete,
    "any_bearer": _any_bearer,
    "missing_name_500": _missing_name_500,
    "wrong_type_500": _wrong_type_500,
    "name_too_long": _name_too_long,
    "body_enum_unchecked": _body_enum_unchecked,
    "extra_field_accepted": _extra_field_accepted,
    "query_enum_unchecked": _query_enum_unchecked,
    "limit_clamped": _limit_clamped,
    "create_not_stored": _create_not_stored,
    "create_wrong_id": _create_wrong_id,
    "put_not_persisted": _put_not_persisted,
    "patch_not_persisted": _patch_not_persisted,
    "delete_not_deleting": _delete_not_deleting,
    "unknown_pet_500": _unknown_pet_500,
    "null_tag_omitted": _null_tag_omitted,
    "id_as_string": _id_as_string,
    "create_200": _create_200,
    "wrong_content_type": _wrong_content_type,
}


def _client(mutant: str | None) -> Iterator[httpx.Client]:
    with (
        faulty.FaultyServer(mutant, token=TOKEN) as server,
        httpx.Client(base_url=server.base_url, auth=_Bearer(), trust_env=False) as c,
    ):
        yield c


def _shown(mutant: str | None) -> set[str]:
    shown = set()
    for client in _client(mutant):
        for name, probe in PROBES.items():
            if probe(client):
                shown.add(name)
    return shown


def test_every_mutant_has_a_probe() -> None:
    assert list(PROBES) == faulty.mutant_names()
    assert len(faulty.MUTANTS) >= 12


def test_the_reference_shows_no_defect() -> None:
    assert _shown(None) == set()


@pytest.mark.parametrize("mutant", list(PROBES))
def test_a_mutant_shows_its_defect_and_no_other(mutant: str) -> None:
    assert _shown(mutant) == {mutant}


def test_the_reference_serves_the_demo_description_and_conforms() -> None:
    for client in _client(None):
        served = client.get("/openapi.json").json()
        assert served == openapi_document(str(client.base_url).rstrip("/"))
        trace = client.request("TRACE", "/pets")
        assert trace.status_code == 405
        assert trace.headers["Allow"] == "GET, POST"
        assert client.request("QUERY", "/health").status_code == 405
        assert client.get("/pets", params={"status": ""}).status_code == 400
        assert client.get("/pets", auth=_anonymous).status_code == 401


def test_an_unknown_mutant_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mutant"):
        faulty.FaultyServer("no_such_bug")


# The offline planner's pack for the demo API, run against the reference and
# against the mutants its NEGATIVE and CRUD steps were extended to catch: the
# reference passes every case and each of these mutants fails the named ones.
PLAN_REQUEST = "smoke, auth, crud and negative tests for all endpoints"
CAUGHT_BY = {
    "body_enum_unchecked": "field 'status' outside its enum",
    "extra_field_accepted": "unknown field 'chapi_unknown_field'",
    "query_enum_unchecked": "query parameter 'status' outside its enum",
    "limit_clamped": "query parameter 'limit' above its maximum",
    "patch_not_persisted": "read back the PATCH update",
    "null_tag_omitted": "create with only the required fields",
}


def _run_planned_pack(mutant: str | None) -> list[str]:
    """Plan the pack for the served description, run it; the names of the failing cases."""
    with faulty.FaultyServer(mutant, token=TOKEN) as server:
        api = to_api_model(openapi_document(server.base_url))
        planned = plan_pack(api, PLAN_REQUEST, mode="json-ir")
        files = [PackFile(f.path, f.content, f.role) for f in planned.card.files]
        outcome = execute_pack(
            files, api=api, base_url=server.base_url, secrets={"TOKEN": TOKEN}
        )
    return [c.name for c in outcome.results if c.outcome in ("failed", "error")]


def test_the_planned_pack_passes_on_the_reference_and_the_shipped_demo() -> None:
    assert _run_planned_pack(None) == []
    with DemoServer(token=TOKEN) as server:
        api = to_api_model(openapi_document(server.base_url))
        planned = plan_pack(api, PLAN_REQUEST, mode="json-ir")
        files = [PackFile(f.path, f.content, f.role) for f in planned.card.files]
        outcome = execute_pack(
            files, api=api, base_url=server.base_url, secrets={"TOKEN": TOKEN}
        )
    assert outcome.passed, [c.name for c in outcome.results if c.outcome != "passed"]


@pytest.mark.parametrize("mutant", list(CAUGHT_BY))
def test_the_planned_pack_catches_the_mutant(mutant: str) -> None:
    failing = _run_planned_pack(mutant)
    assert any(CAUGHT_BY[mutant] in name for name in failing), failing
