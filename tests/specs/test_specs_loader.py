"""Loading documents: sources, bundling of references, and hostile input."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import partial
from http.server import (
    BaseHTTPRequestHandler,
    SimpleHTTPRequestHandler,
)
from pathlib import Path
from typing import Any

import pytest
from spec_support import loopback_server

from chapi.errors import SpecLoadError
from chapi.specs import Limits, load_document, prepare_import
from chapi.specs.loader import EXTERNAL_KEY

PETSTORE = Path(__file__).resolve().parents[1] / "data/oas-examples/3.0/petstore.json"


def _api(paths: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": paths or {},
    }
    doc.update(extra)
    return doc


def _ref_api(ref: str) -> dict[str, Any]:
    schema = {"application/json": {"schema": {"$ref": ref}}}
    return _api(
        {
            "/a": {
                "get": {"responses": {"200": {"description": "ok", "content": schema}}}
            }
        }
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def http_dir(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """Serve ``tmp_path / 'www'`` over HTTP on 127.0.0.1."""
    root = tmp_path / "www"
    root.mkdir()
    with loopback_server(partial(_QuietHandler, directory=str(root))) as url:
        yield root, url


# ---------------------------------------------------------------- sources


def test_loads_path_and_detects_version() -> None:
    """A JSON file path loads with its version and source."""
    loaded = load_document(PETSTORE)

    assert loaded.version == "3.0"
    assert loaded.source == str(PETSTORE)
    assert "/pet" in loaded.document["paths"]


def test_loads_yaml_text_and_bytes() -> None:
    """YAML text and bytes give the same document."""
    text = "openapi: 3.1.0\ninfo: {title: t, version: '2'}\npaths: {}\n"

    from_text = load_document(text)
    from_bytes = load_document(text.encode())

    assert from_text.document == from_bytes.document
    assert from_text.version == "3.1"


def test_dict_source_is_copied() -> None:
    """A dict source is not modified by bundling."""
    original = _api()

    loaded = load_document(original)
    loaded.document["paths"]["/x"] = {}

    assert original["paths"] == {}


def test_loads_url_from_loopback(http_dir: tuple[Path, str]) -> None:
    """An explicit http URL to a loopback server is fetched."""
    root, base = http_dir
    (root / "api.json").write_text(json.dumps(_api()))

    loaded = load_document(f"{base}/api.json")

    assert loaded.source == f"{base}/api.json"
    assert loaded.version == "3.0"


def test_url_error_status_is_a_load_error(http_dir: tuple[Path, str]) -> None:
    """A 404 from the server is a SpecLoadError naming the status."""
    _, base = http_dir

    with pytest.raises(SpecLoadError, match="404"):
        load_document(f"{base}/missing.json")


class _TrickyHandler(BaseHTTPRequestHandler):
    """Answers that test the fetch limits: big, slow, looping and odd redirects."""

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        """Serve the behaviour the path names."""
        try:
            if self.path == "/big":
                self.send_response(200)
                self.end_headers()
                for _ in range(64):
                    self.wfile.write(b" " * 1024)
            elif self.path == "/slow":
                time.sleep(2)
                self.send_response(200)
                self.end_headers()
            elif self.path == "/loop":
                self._redirect("/loop")
            elif self.path == "/to-file":
                self._redirect("file:///etc/passwd")
            elif self.path == "/hop":
                self._redirect("/api.json")
            else:
                body = json.dumps(_api()).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def tricky_server() -> Iterator[str]:
    """A loopback server whose answers stretch the fetch limits."""
    with loopback_server(_TrickyHandler) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "limits", "message"),
    [
        ("/big", Limits(max_bytes=16 * 1024), "larger than 16384 bytes"),
        ("/slow", Limits(timeout=0.3), "failed: .*timed out"),
        ("/loop", Limits(max_redirects=3), "too many redirects"),
        ("/to-file", Limits(), "refused non-HTTP URL 'file:///etc/passwd'"),
    ],
)
def test_url_fetch_limits(
    tricky_server: str, path: str, limits: Limits, message: str
) -> None:
    """Size, timeout and redirect limits of URL loading give clear errors."""
    with pytest.raises(SpecLoadError, match=message):
        load_document(tricky_server + path, limits=limits)


def test_url_redirect_is_followed(tricky_server: str) -> None:
    """A redirect within the limit reaches the document."""
    loaded = load_document(tricky_server + "/hop")

    assert loaded.version == "3.0"


# ---------------------------------------------------------------- references


def test_relative_file_refs_are_bundled(tmp_path: Path) -> None:
    """Refs to sibling JSON and YAML files are inlined and rewritten as local refs."""
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas/pet.yaml").write_text(
        "Pet:\n  type: object\n  properties:\n    owner: {$ref: 'owner.json'}\n"
        "    self: {$ref: '#/Pet'}\n"
    )
    (tmp_path / "schemas/owner.json").write_text('{"type": "string"}')
    (tmp_path / "api.json").write_text(json.dumps(_ref_api("schemas/pet.yaml#/Pet")))

    loaded = load_document(tmp_path / "api.json")

    refs = _all_refs(loaded.document)
    assert refs and all(ref.startswith("#/") for ref in refs)
    bundled = loaded.document[EXTERNAL_KEY]
    pet = next(v for k, v in bundled.items() if k.endswith("Pet"))
    assert pet["properties"]["self"]["$ref"] == pet_ref(loaded.document)
    assert loaded.external_refs == 2


def pet_ref(document: dict[str, Any]) -> str:
    content = document["paths"]["/a"]["get"]["responses"]["200"]["content"]
    return str(content["application/json"]["schema"]["$ref"])


def _all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _all_refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _all_refs(v)]
    return []


def test_circular_external_refs_terminate(tmp_path: Path) -> None:
    """Two files referring to each other bundle without looping."""
    (tmp_path / "a.json").write_text(
        '{"A": {"properties": {"b": {"$ref": "b.json#/B"}}}}'
    )
    (tmp_path / "b.json").write_text(
        '{"B": {"properties": {"a": {"$ref": "a.json#/A"}}}}'
    )
    (tmp_path / "api.json").write_text(json.dumps(_ref_api("a.json#/A")))

    loaded = load_document(tmp_path / "api.json")

    assert loaded.external_refs == 2
    assert all(ref.startswith("#/") for ref in _all_refs(loaded.document))


def test_circular_local_refs_stay_in_place() -> None:
    """A self-referencing local schema keeps its $ref."""
    doc = _ref_api("#/components/schemas/Node")
    doc["components"] = {
        "schemas": {
            "Node": {"properties": {"next": {"$ref": "#/components/schemas/Node"}}}
        }
    }

    loaded = load_document(doc)

    node = loaded.document["components"]["schemas"]["Node"]
    assert node["properties"]["next"] == {"$ref": "#/components/schemas/Node"}


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("../../etc/passwd", "outside the document folder"),
        ("/etc/passwd", "absolute file references"),
        ("file:///etc/passwd", "refused reference scheme 'file'"),
        ("ftp://example.org/a.json", "refused reference scheme 'ftp'"),
        ("http://169.254.169.254/latest/meta-data", "remote references are disabled"),
        ("%2e%2e/%2e%2e/etc/passwd", "outside the document folder"),
        ("sub/../../x.json", "outside the document folder"),
        ("//169.254.169.254/latest", "absolute file references"),
        ("C:/Windows/win.ini", "absolute file references"),
        ("data:application/json,{}", "refused reference scheme 'data'"),
    ],
)
def test_refused_refs(tmp_path: Path, ref: str, message: str) -> None:
    """Traversal, absolute, non-http and remote refs are refused, naming the ref."""
    (tmp_path / "api.json").write_text(json.dumps(_ref_api(ref)))

    with pytest.raises(SpecLoadError, match=message) as info:
        load_document(tmp_path / "api.json")

    assert repr(ref) in str(info.value)
    assert "/paths/~1a/get" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/a.json",
        "http://[fe80::1]/a",
    ],
)
def test_internal_addresses_refused_even_with_allow_remote(url: str) -> None:
    """Metadata, private and link-local addresses are refused for refs."""
    with pytest.raises(SpecLoadError, match="internal address"):
        load_document(_ref_api(url), allow_remote=True)


def test_symlink_escaping_folder_is_refused(tmp_path: Path) -> None:
    """A symlink inside the folder that points outside it is refused."""
    outside = tmp_path / "outside.json"
    outside.write_text('{"type": "string"}')
    folder = tmp_path / "spec"
    folder.mkdir()
    (folder / "link.json").symlink_to(outside)
    (folder / "api.json").write_text(json.dumps(_ref_api("link.json")))

    with pytest.raises(SpecLoadError, match="outside the document folder"):
        load_document(folder / "api.json")


def test_file_ref_from_dict_needs_base_dir(tmp_path: Path) -> None:
    """A dict source resolves file refs only against an explicit base_dir."""
    (tmp_path / "s.json").write_text('{"type": "integer"}')
    doc = _ref_api("s.json")

    with pytest.raises(SpecLoadError, match="base_dir"):
        load_document(doc)
    loaded = load_document(doc, base_dir=tmp_path)

    assert loaded.document[EXTERNAL_KEY]["s.json"] == {"type": "integer"}


def test_missing_pointer_is_named(tmp_path: Path) -> None:
    """A ref to a missing pointer in an existing file names the pointer."""
    (tmp_path / "s.json").write_text("{}")
    (tmp_path / "api.json").write_text(json.dumps(_ref_api("s.json#/Nope")))

    with pytest.raises(SpecLoadError, match="'/Nope' does not exist"):
        load_document(tmp_path / "api.json")


def test_remote_refs_need_allow_remote(http_dir: tuple[Path, str]) -> None:
    """Remote refs on a loopback server load only with allow_remote=True."""
    root, base = http_dir
    (root / "pet.json").write_text('{"Pet": {"type": "object"}}')
    doc = _ref_api(f"{base}/pet.json#/Pet")

    with pytest.raises(SpecLoadError, match="allow_remote"):
        load_document(doc)
    loaded = load_document(doc, allow_remote=True)

    assert list(loaded.document[EXTERNAL_KEY].values()) == [{"type": "object"}]


def test_relative_refs_of_url_document_are_remote(http_dir: tuple[Path, str]) -> None:
    """A URL document's relative refs resolve against its URL, with allow_remote."""
    root, base = http_dir
    (root / "pet.json").write_text('{"type": "object"}')
    (root / "api.json").write_text(json.dumps(_ref_api("pet.json")))

    with pytest.raises(SpecLoadError, match="allow_remote"):
        load_document(f"{base}/api.json")
    loaded = load_document(f"{base}/api.json", allow_remote=True)

    assert list(loaded.document[EXTERNAL_KEY].values()) == [{"type": "object"}]


# ---------------------------------------------------------------- hostile input


def test_yaml_alias_bomb_is_refused() -> None:
    """A billion-laughs YAML document is refused before it expands."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    bomb = "\n".join(lines) + "\n"

    with pytest.raises(SpecLoadError, match="alias"):
        load_document(bomb)


def test_alias_count_limit() -> None:
    """More alias uses than the limit are refused."""
    text = "x: &x 1\nitems:\n" + "".join("  - *x\n" for _ in range(20))

    with pytest.raises(SpecLoadError, match="aliases"):
        load_document(text, limits=Limits(max_yaml_aliases=10))


def test_recursive_yaml_alias_is_refused() -> None:
    """A YAML node that contains itself is refused."""
    with pytest.raises(SpecLoadError, match="recursive"):
        load_document("a: &a\n  b: *a\n")


def test_non_utf8_bytes() -> None:
    """Latin-1 bytes give a clear encoding error."""
    with pytest.raises(SpecLoadError, match="not UTF-8"):
        load_document("openapi: 3.0.0\ninfo: {title: caf\xe9}\n".encode("latin-1"))


def test_oversized_garbage_is_refused() -> None:
    """50 MB of garbage over a 10 MB limit is refused by size, unparsed."""
    garbage = b"\x00garbage" * (50 * 1024 * 1024 // 8)

    with pytest.raises(SpecLoadError, match="larger than"):
        load_document(garbage, limits=Limits(max_bytes=10 * 1024 * 1024))


_FIFTY_MB = 50 * 1024 * 1024


@pytest.mark.parametrize(
    ("garbage", "message"),
    [
        (b"\x00garbage" * (_FIFTY_MB // 8), "control characters"),
        (bytes(range(256)) * (_FIFTY_MB // 256), "not UTF-8"),
        (b"{" * _FIFTY_MB, "not valid JSON or YAML"),
        (b"word: [list] - {map} " * (_FIFTY_MB // 21), "not valid JSON or YAML"),
        (b"a: b\n" * (_FIFTY_MB // 5), "more than 2000000 YAML nodes"),
    ],
    ids=["nul", "binary", "brackets", "junk", "plain-yaml"],
)
def test_fifty_megabytes_of_garbage_under_default_limits(
    garbage: bytes, message: str
) -> None:
    """50 MB of garbage within the default size limit is refused by parsing.

    The plain YAML case is refused while streaming events, before any node is
    composed (composing ten million pairs would take minutes).
    """
    with pytest.raises(SpecLoadError, match=message) as caught:
        prepare_import(garbage)

    assert "could not be read" not in str(caught.value)


def test_yaml_node_limit_applies_without_aliases() -> None:
    """A YAML document without aliases is still bounded by the node limit."""
    text = "".join(f"k{i}: v\n" for i in range(50))

    with pytest.raises(SpecLoadError, match="more than 60 YAML nodes"):
        load_document(text, limits=Limits(max_yaml_nodes=60))
    assert load_document(text, limits=Limits(max_yaml_nodes=200)).document["k49"] == "v"


def test_garbage_text_is_a_parse_error() -> None:
    """Unparseable text names the position."""
    with pytest.raises(SpecLoadError, match="not valid JSON or YAML at line"):
        load_document("openapi: [unclosed\n  : : :\n")


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    """A file over the byte limit is refused by its size."""
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2048)

    with pytest.raises(SpecLoadError, match="larger than 1024 bytes"):
        load_document(path, limits=Limits(max_bytes=1024))


@pytest.mark.parametrize("depth", [300, 100_000])
def test_deeply_nested_json_is_refused(depth: int) -> None:
    """Deep nesting is refused with a SpecLoadError, never a RecursionError."""
    text = "[" * depth + "]" * depth

    with pytest.raises(SpecLoadError, match="nested"):
        load_document(text)


def test_deeply_nested_dict_is_refused() -> None:
    """A deeply nested dict source is refused before copying."""
    doc: dict[str, Any] = _api()
    node = doc
    for _ in range(1000):
        node["x"] = {}
        node = node["x"]

    with pytest.raises(SpecLoadError, match="nested deeper"):
        load_document(doc)


def test_top_level_must_be_a_mapping() -> None:
    """A YAML list at the top level is a load error."""
    with pytest.raises(SpecLoadError, match="not a mapping"):
        load_document("- a\n- b\n")


def test_missing_file() -> None:
    """A missing path is a SpecLoadError naming the path."""
    with pytest.raises(SpecLoadError, match="cannot read"):
        load_document(Path("/nonexistent/api.yaml"))


# ---------------------------------------------------------------- JSON data only

_YAML_WITH_NATIVE_TYPES = """\
openapi: 3.0.3
info: {title: Dates, version: 2021-01-01}
paths:
  /events:
    get:
      responses:
        200:
          description: ok
          content:
            application/json:
              example: {day: 2020-05-05, at: 2020-05-05T10:00:00Z, flags: {true: 1, null: 2}}
        404: {description: missing}
"""


def test_yaml_native_types_become_json_types() -> None:
    """Unquoted status codes, dates and boolean or null keys load as JSON text."""
    loaded = load_document(_YAML_WITH_NATIVE_TYPES)

    responses = loaded.document["paths"]["/events"]["get"]["responses"]
    assert list(responses) == ["200", "404"]
    assert loaded.document["info"]["version"] == "2021-01-01"
    example = responses["200"]["content"]["application/json"]["example"]
    assert example == {
        "day": "2020-05-05",
        "at": "2020-05-05T10:00:00+00:00",
        "flags": {"true": 1, "null": 2},
    }
    assert json.loads(json.dumps(loaded.document)) == loaded.document


def test_yaml_native_types_import_with_their_status_codes() -> None:
    """Such a YAML document validates, and its rows name the unquoted status code."""
    prepared = prepare_import(_YAML_WITH_NATIVE_TYPES)

    assert prepared.version == "2021-01-01"
    assert prepared.warnings == []
    assert [r["success_content"] for r in prepared.rows] == ["200:application/json"]


def test_dict_source_with_native_types_is_converted_not_changed() -> None:
    """A caller's dict with integer keys and dates is read as JSON; the dict is kept."""
    import datetime

    original = _api(
        {"/a": {"get": {"responses": {200: {"description": "ok"}}}}},
        info={"title": "t", "version": datetime.date(2024, 2, 29)},
    )

    loaded = load_document(original)

    assert loaded.document["info"]["version"] == "2024-02-29"
    assert list(loaded.document["paths"]["/a"]["get"]["responses"]) == ["200"]
    assert list(original["paths"]["/a"]["get"]["responses"]) == [200]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('{"openapi": "3.0.3", "x": [1, NaN]}', r"number nan, .* \(at /x/1\)"),
        ('{"openapi": "3.0.3", "x": {"y": -Infinity}}', r"number -inf, .* \(at /x/y\)"),
        ('{"openapi": "3.0.3", "x": 1e400}', r"number inf, .* \(at /x\)"),
        ("openapi: 3.0.3\nx: {max: .inf}\n", r"number inf, .* \(at /x/max\)"),
        (_api(x=float("nan")), r"number nan, .* \(at /x\)"),
        ('{"x": 1' + "0" * 5000 + "}", "could not be read as JSON: Exceeds the limit"),
        ("openapi: 3.0.3\nx: !!binary aGVsbG8=\n", r"bytes value at /x"),
        ("openapi: 3.0.3\nx: !!set {a, b}\n", r"set value at /x"),
        (_api(x={b"k": 1}), r"bytes mapping key at /x"),
        (_api(x=object()), r"object value at /x"),
    ],
    ids=[
        "json-nan",
        "json-infinity",
        "json-overflow",
        "yaml-inf",
        "dict-nan",
        "json-huge-int",
        "yaml-binary",
        "yaml-set",
        "dict-bytes-key",
        "dict-object",
    ],
)
def test_values_json_cannot_hold_are_refused(source: Any, message: str) -> None:
    """Non-finite numbers, over-long integers, bytes, sets and objects are named and refused."""
    with pytest.raises(SpecLoadError, match=message):
        load_document(source)


def test_nul_in_a_key_is_located() -> None:
    """A NUL character in a mapping key is refused with the key's pointer."""
    with pytest.raises(
        SpecLoadError, match=r"NUL character .* key at '/paths/~1a\\x00'"
    ):
        load_document('{"openapi": "3.0.3", "paths": {"/a\\u0000": {}}}')


def test_dict_that_contains_itself_is_refused() -> None:
    """A dict source holding itself is refused at once instead of looping forever."""
    import threading

    document = _api()
    document["paths"]["/a"] = {"x-loop": document}
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load_document(document)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)

    assert outcome, "load_document did not return within 10 s"
    assert isinstance(outcome[0], SpecLoadError)
    assert "contains itself at /paths/~1a/x-loop" in str(outcome[0])


# ---------------------------------------------------------------- network bounds


class _DripHandler(BaseHTTPRequestHandler):
    """Sends a valid document one byte at a time, each byte well within a read timeout."""

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        """Drip ``_api()`` as JSON, or redirect ``/private`` to a private address."""
        try:
            if self.path == "/private":
                self.send_response(302)
                self.send_header("Location", "http://10.0.0.1/schema.json")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps(_api()).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def drip_server() -> Iterator[str]:
    """A loopback server whose document arrives a byte every 20 ms."""
    with loopback_server(_DripHandler) as url:
        yield url


def test_timeout_bounds_the_whole_download(drip_server: str) -> None:
    """A server trickling bytes faster than the read timeout still hits the timeout."""
    started = time.monotonic()

    with pytest.raises(SpecLoadError, match=r"took longer than 0.5 s"):
        load_document(drip_server + "/api.json", limits=Limits(timeout=0.5))

    assert time.monotonic() - started < 1.5 * 0.5 + 0.5


def test_remote_ref_redirected_to_private_address_is_refused(
    drip_server: str,
) -> None:
    """Each redirect of a remote reference is checked; a hop to 10.0.0.1 is refused."""
    with pytest.raises(SpecLoadError, match=r"internal address \(10.0.0.1\)"):
        load_document(_ref_api(f"{drip_server}/private"), allow_remote=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://100.64.0.1/a.json",
        "http://[::ffff:10.0.0.1]/a.json",
        "http://0.0.0.0/a.json",
        "http://192.168.1.1/a.json",
        "http://[fd00::1]/a.json",
    ],
    ids=["shared-address-space", "ipv4-mapped", "unspecified", "private", "ula"],
)
def test_more_internal_addresses_refused(url: str) -> None:
    """Shared address space, IPv4-mapped private, unspecified and ULA hosts are refused."""
    with pytest.raises(SpecLoadError, match="internal address"):
        load_document(_ref_api(url), allow_remote=True)


def test_text_limit_counts_utf8_bytes_not_characters() -> None:
    """Text of 700 characters but 1,300 UTF-8 bytes is over a 1,000-byte limit."""
    text = (
        "openapi: 3.0.3\ninfo: {title: '" + "é" * 600 + "', version: '1'}\npaths: {}\n"
    )
    assert len(text) < 1000 < len(text.encode())

    with pytest.raises(SpecLoadError, match="larger than 1000 bytes"):
        load_document(text, limits=Limits(max_bytes=1000))
    assert load_document(text, limits=Limits(max_bytes=2000)).version == "3.0"


def test_dict_source_enum_values_become_plain_json() -> None:
    """Enum members (str and int subclasses) in a dict source load as their values."""
    import enum

    class Kind(enum.StrEnum):
        """A str enum."""

        OBJECT = "object"

    class Status(enum.IntEnum):
        """An int enum."""

        OK = 200

    loaded = load_document(
        _api({"/a": {"get": {"responses": {Status.OK: {"description": Kind.OBJECT}}}}})
    )

    response = loaded.document["paths"]["/a"]["get"]["responses"]
    assert json.dumps(response) == '{"200": {"description": "object"}}'
    assert type(response["200"]["description"]) is str
