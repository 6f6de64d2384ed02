"""``chapi.specs``: importing into storage, versions, and reading the catalog back.

Run against SQLite and the real PostgreSQL server (the ``storage`` fixture).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_support import count_operations, loopback_server

from chapi import Chapi
from chapi.errors import (
    ChapiError,
    ConflictError,
    SpecLoadError,
    SpecValidationError,
    StorageError,
)
from chapi.security import FernetKeyProvider, generate_key
from chapi.specs import Limits
from chapi.storage import SqlStorage

EXAMPLES = Path(__file__).resolve().parents[1] / "data/oas-examples"
ALL_EXAMPLES = sorted(EXAMPLES.glob("*/*.json"))
PETSTORE_30 = EXAMPLES / "3.0/petstore.json"
PETSTORE_20 = EXAMPLES / "2.0/petstore.json"


def _api(version: str = "1", paths: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": version},
        "paths": paths
        or {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
    }


def _chapi(storage: SqlStorage) -> Chapi:
    return Chapi(
        storage=storage, key_provider=FernetKeyProvider(generate_key()), llm=None
    )


def _stored(storage: SqlStorage) -> tuple[int, int]:
    """How many specs and catalog rows the database holds."""
    with storage.engine.connect() as conn:
        specs = conn.execute(sa.text("SELECT count(*) FROM api_specs")).scalar_one()
        rows = conn.execute(
            sa.text("SELECT count(*) FROM endpoint_catalog")
        ).scalar_one()
    return specs, rows


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The examples folder over HTTP on 127.0.0.1."""
    with loopback_server(partial(_QuietHandler, directory=str(EXAMPLES))) as url:
        yield url


def test_every_shared_example_is_stored_with_all_its_operations(
    storage: SqlStorage,
) -> None:
    """Each of the 60 documents imports; the stored catalog has one row per operation."""
    chapi = _chapi(storage)
    project = chapi.projects.create("examples")
    expected_total = 0

    for path in ALL_EXAMPLES:
        expected = count_operations(json.loads(path.read_text()))
        spec = chapi.specs.import_spec(
            project.id, path, version=f"{path.parent.name}/{path.name}"
        )
        rows = chapi.specs.endpoints(project.id, spec=spec.id)
        assert len(rows) == expected, path.name
        assert all(r.spec_id == spec.id and r.summary for r in rows)
        expected_total += expected

    assert len(ALL_EXAMPLES) == 60
    assert _stored(storage) == (60, expected_total) == (60, 660)


def test_swagger_and_openapi_petstores_store_equal_rows(storage: SqlStorage) -> None:
    """The 2.0 and 3.0 Petstores store the same rows (their summaries differ in case only)."""
    chapi = _chapi(storage)
    project = chapi.projects.create("pets")
    old = chapi.specs.import_spec(project.id, PETSTORE_20, version="2.0")
    new = chapi.specs.import_spec(project.id, PETSTORE_30, version="3.0")

    def shape(spec_id: Any) -> list[tuple[Any, ...]]:
        return sorted(
            (
                r.method,
                r.path,
                r.summary.lower(),
                r.auth,
                r.req_content,
                r.success_content,
            )
            for r in chapi.specs.endpoints(project.id, spec=spec_id)
        )

    assert len(shape(old.id)) == 20
    assert shape(old.id) == shape(new.id)


def test_sources_path_url_dict_and_text(storage: SqlStorage, served: str) -> None:
    """A path, a loopback URL, a dict and YAML text all import, with their source."""
    chapi = _chapi(storage)
    project = chapi.projects.create("sources")

    by_path = chapi.specs.import_spec(project.id, PETSTORE_30, version="path")
    by_url = chapi.specs.import_spec(
        project.id, f"{served}/3.0/petstore.json", version="url"
    )
    by_dict = chapi.specs.import_spec(project.id, _api("dict"))
    by_text = chapi.specs.import_spec(
        project.name,
        "openapi: 3.0.3\ninfo: {title: t, version: text}\npaths:\n"
        "  /a: {get: {responses: {'200': {description: ok}}}}\n",
    )

    assert by_path.source_url is not None and by_path.source_url.endswith(
        "petstore.json"
    )
    assert by_url.source_url == f"{served}/3.0/petstore.json"
    assert (by_dict.version, by_text.version) == ("dict", "text")
    assert [s.version for s in chapi.specs.list(project.id)] == [
        "text",
        "dict",
        "url",
        "path",
    ]
    assert len(chapi.specs.endpoints(project.id, spec=by_url.id)) == 20
    assert [r.key for r in chapi.specs.endpoints(project.id)] == ["GET /a"]


def test_same_version_is_a_conflict_unless_replaced(storage: SqlStorage) -> None:
    """Importing a version again is refused; with replace=True the rows are swapped."""
    chapi = _chapi(storage)
    project = chapi.projects.create("versions")
    first = chapi.specs.import_spec(project.id, _api("7"))

    with pytest.raises(ConflictError, match="'7' is already imported"):
        chapi.specs.import_spec(project.id, _api("7"))
    again = chapi.specs.import_spec(
        project.id,
        _api("7", {"/b": {"post": {"responses": {"201": {"description": "made"}}}}}),
        replace=True,
    )

    assert [s.id for s in chapi.specs.list(project.id)] == [again.id]
    assert [r.key for r in chapi.specs.endpoints(project.id)] == ["POST /b"]
    assert again.id != first.id
    assert _stored(storage) == (1, 1)


def test_version_defaults_to_info_version_and_can_be_given(
    storage: SqlStorage,
) -> None:
    """``info.version`` labels the spec unless ``version=`` is passed."""
    chapi = _chapi(storage)
    project = chapi.projects.create("labels")

    from_doc = chapi.specs.import_spec(project.id, PETSTORE_30)
    given_label = chapi.specs.import_spec(project.id, PETSTORE_30, version="v2")

    assert from_doc.version == json.loads(PETSTORE_30.read_text())["info"]["version"]
    assert given_label.version == "v2"
    assert chapi.specs.latest(project.id).id == given_label.id


def test_lenient_import_keeps_findings_and_strict_refuses(storage: SqlStorage) -> None:
    """Findings are stored as warnings by default; strict=True stores nothing."""
    chapi = _chapi(storage)
    project = chapi.projects.create("lenient")
    document = _api("w")
    document["paths"]["/a"]["get"]["responses"]["200"] = {"content": {}}

    with pytest.raises(SpecValidationError) as refused:
        chapi.specs.import_spec(project.id, document, strict=True)
    assert _stored(storage) == (0, 0)
    spec = chapi.specs.import_spec(project.id, document)

    assert refused.value.problems
    assert spec.warnings and chapi.specs.get(spec.id).warnings == spec.warnings
    assert all(w.location and w.message for w in spec.warnings)


class _FailingUnitOfWork:
    """A real unit of work whose catalog insert fails after writing the rows."""

    def __init__(self, storage: SqlStorage) -> None:
        self._inner = storage.unit_of_work()

    def __enter__(self) -> Any:
        uow = self._inner.__enter__()
        real_add = uow.specs.add

        def add(spec: Any, endpoints: Any) -> None:
            real_add(spec, endpoints)
            raise StorageError("disk full while writing the catalog")

        uow.specs.add = add  # type: ignore[method-assign]
        return uow

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(None, None, None)


class _FailingRows:
    """A storage whose units of work fail in the catalog insert."""

    def __init__(self, storage: SqlStorage) -> None:
        self._storage = storage

    def unit_of_work(self) -> _FailingUnitOfWork:
        return _FailingUnitOfWork(self._storage)

    def migrate(self) -> None:
        self._storage.migrate()

    def close(self) -> None:
        """The wrapped storage is closed by its fixture."""


def test_import_writes_spec_and_rows_together_or_nothing(storage: SqlStorage) -> None:
    """A failure after the rows were written leaves neither spec nor rows; a
    failed replacement keeps the version it was to replace."""
    chapi = _chapi(storage)
    project = chapi.projects.create("atomic")
    kept = chapi.specs.import_spec(project.id, PETSTORE_30, version="1")
    failing = Chapi(
        storage=_FailingRows(storage),  # type: ignore[arg-type]
        key_provider=FernetKeyProvider(generate_key()),
        llm=None,
    )

    with pytest.raises(StorageError, match="disk full"):
        failing.specs.import_spec(project.id, _api("2"))
    with pytest.raises(StorageError, match="disk full"):
        failing.specs.import_spec(project.id, _api("1"), replace=True)

    assert [s.id for s in chapi.specs.list(project.id)] == [kept.id]
    assert _stored(storage) == (1, 20)


def _bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def _with_ref(ref: str) -> dict[str, Any]:
    schema = {"application/json": {"schema": {"$ref": ref}}}
    return _api(
        paths={
            "/a": {
                "get": {"responses": {"200": {"description": "ok", "content": schema}}}
            }
        }
    )


def _self_containing() -> dict[str, Any]:
    document = _api()
    document["paths"]["/a"]["x-self"] = document
    return document


HOSTILE: dict[str, tuple[Any, str]] = {
    "alias bomb": (_bomb(), "alias"),
    "traversal ref": (_with_ref("../../../etc/passwd"), "outside the document folder"),
    "file: ref": (_with_ref("file:///etc/passwd"), "refused reference scheme 'file'"),
    "private address ref": (
        _with_ref("http://10.0.0.1/schema.json"),
        "remote references are disabled",
    ),
    "non-UTF-8": (
        "openapi: 3.0.0\ninfo: {title: caf\xe9}\n".encode("latin-1"),
        "UTF-8",
    ),
    "50 MB of garbage": (bytes(range(256)) * (50 * 1024 * 1024 // 256), "UTF-8"),
    "NUL in a summary": (
        _api(paths={"/a": {"get": {"summary": "a\x00b", "responses": {}}}}),
        "NUL character",
    ),
    "lone surrogate": (
        '{"openapi": "3.0.3", "info": {"title": "\\ud800", "version": "1"}, "paths": {}}',
        "surrogate",
    ),
    "not an API description": ({"hello": "world"}, "not an API description"),
    "NaN number": (
        '{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, '
        '"paths": {}, "x-limit": NaN}',
        r"number nan, which JSON cannot represent \(at /x-limit\)",
    ),
    "dict that contains itself": (_self_containing(), "contains itself"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_gives_a_clear_error_and_stores_nothing(
    storage: SqlStorage, tmp_path: Path, case: str
) -> None:
    """Bombs, refused references, bad encodings and garbage are refused, nothing kept."""
    source, message = HOSTILE[case]
    chapi = _chapi(storage)
    project = chapi.projects.create("hostile")

    with pytest.raises((SpecLoadError, SpecValidationError), match=message):
        chapi.specs.import_spec(project.id, source, base_dir=tmp_path)

    assert _stored(storage) == (0, 0)


def test_yaml_native_types_are_stored_as_json(storage: SqlStorage) -> None:
    """Unquoted status codes and dates in YAML import and read back as JSON text."""
    chapi = _chapi(storage)
    project = chapi.projects.create("yaml-types")
    text = (
        "openapi: 3.0.3\n"
        "info: {title: t, version: 2024-02-29}\n"
        "paths:\n"
        "  /a:\n"
        "    get:\n"
        "      responses:\n"
        "        201:\n"
        "          description: made\n"
        "          content:\n"
        "            application/json: {example: {day: 2024-03-01}}\n"
    )

    spec = chapi.specs.import_spec(project.id, text)

    stored = chapi.specs.get(spec.id).raw_json
    response = stored["paths"]["/a"]["get"]["responses"]["201"]
    assert spec.version == "2024-02-29"
    assert response["content"]["application/json"]["example"] == {"day": "2024-03-01"}
    assert [r.success_content for r in chapi.specs.endpoints(project.id)] == [
        "201:application/json"
    ]


def test_limits_are_configurable_per_import(storage: SqlStorage) -> None:
    """``limits=`` reaches the loader: tighter YAML and size bounds refuse, store nothing."""
    chapi = _chapi(storage)
    project = chapi.projects.create("limits")
    text = (
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "x-ok: &ok {description: ok}\n"
        "paths:\n  /a: {get: {responses: {'200': *ok}}}\n"
        "  /b: {get: {responses: {'200': *ok}}}\n"
    )

    with pytest.raises(SpecLoadError, match="more than 1 YAML aliases"):
        chapi.specs.import_spec(project.id, text, limits=Limits(max_yaml_aliases=1))
    with pytest.raises(SpecLoadError, match="larger than 100 bytes"):
        chapi.specs.import_spec(project.id, text, limits=Limits(max_bytes=100))
    assert _stored(storage) == (0, 0)
    spec = chapi.specs.import_spec(project.id, text, limits=Limits(max_yaml_aliases=2))

    assert len(chapi.specs.endpoints(project.id, spec=spec.id)) == 2


def test_private_address_ref_refused_even_when_remote_allowed(
    storage: SqlStorage,
) -> None:
    """allow_remote never reaches internal addresses; nothing is stored."""
    chapi = _chapi(storage)
    project = chapi.projects.create("remote")

    with pytest.raises(SpecLoadError, match="internal address"):
        chapi.specs.import_spec(
            project.id,
            _with_ref("http://169.254.169.254/latest/meta-data"),
            allow_remote=True,
        )

    assert _stored(storage) == (0, 0)


def test_search_and_context_through_the_facade(storage: SqlStorage) -> None:
    """Search ranks the stored rows of the latest spec; context stays in budget."""
    chapi = _chapi(storage)
    project = chapi.projects.create("search")
    chapi.specs.import_spec(project.id, PETSTORE_30)

    hits = chapi.specs.search(project.id, "add a new pet to the store", limit=3)
    text = chapi.specs.context(project.id, "pets", max_chars=300)

    assert hits[0].endpoint.key == "POST /pet"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert 0 < len(text) <= 300
    assert all(line.split(" ", 1)[0] in {"GET", "POST", "PUT", "DELETE"}
               for line in text.splitlines())  # fmt: skip


_PETS = json.loads(PETSTORE_30.read_text())
_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=6)
    | st.sampled_from(["#/components/schemas/Pet", "../x.json", "\x00"])
)
_value = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_specs_through_storage_raise_only_chapi_errors(
    storage: SqlStorage, data: st.DataObject
) -> None:
    """Edited Petstores either import and store, or raise a ChapiError and store nothing."""
    document = copy.deepcopy(_PETS)
    operation = document["paths"]["/pet"]["post"]
    for _ in range(data.draw(st.integers(1, 3))):
        key = data.draw(st.sampled_from(["summary", "operationId", "tags", "security",
                                         "requestBody", "responses", "parameters"]))  # fmt: skip
        operation[key] = data.draw(_value)
    document["info"]["version"] = data.draw(st.text(max_size=8))
    chapi = _chapi(storage)
    name = f"gen-{len(chapi.projects.list())}"
    project = chapi.projects.create(name)
    before = _stored(storage)

    try:
        spec = chapi.specs.import_spec(project.id, document)
    except ChapiError:
        assert _stored(storage) == before
        return

    assert len(chapi.specs.endpoints(project.id, spec=spec.id)) == 19 + 1
