"""Loading an API description from a path, URL, dict, text or bytes.

The loader reads JSON or YAML, refuses hostile input (oversized documents,
YAML alias bombs, deep nesting, undecodable bytes, a dict that contains
itself) and bundles every external ``$ref`` into the document, so the result
only holds local references.

The result holds JSON types only, as it is validated and stored as JSON: what
YAML adds is converted (unquoted ``200:`` keys become ``"200"``, dates and
timestamps ISO 8601 text), and numbers JSON cannot hold (``NaN``,
``Infinity``, ``.inf``, ``1e400``) are refused.

External references are confined:

* relative file references must stay inside the document's folder (or the
  ``base_dir`` given for a dict or text source); absolute paths and symlinks
  that lead outside are refused;
* ``http``/``https`` references are followed only with ``allow_remote=True``
  and never to private, link-local, multicast or reserved addresses (loopback
  is allowed, so a local development server works);
* every other scheme (``file:``, ``ftp:``, ``data:`` ...) is refused.

Bundled targets are copied under ``x-chapi-external`` in the root document and
the references rewritten to ``#/x-chapi-external/<key>``.

Known shortcoming: the address check of a remote reference resolves the host
name before the request is sent; a DNS answer that changes between the check
and the connection (rebinding) is not detected.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import json
import logging
import math
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import httpx
import yaml

from chapi.errors import SpecLoadError

__all__ = [
    "EXTERNAL_KEY",
    "Limits",
    "LoadedDocument",
    "SpecVersion",
    "detect_version",
    "load_document",
    "parse_text",
]

logger = logging.getLogger(__name__)

EXTERNAL_KEY = "x-chapi-external"
"""Where bundled external reference targets live in the root document."""

SpecVersion = Literal["2.0", "3.0", "3.1"]


@dataclass(frozen=True)
class Limits:
    """Bounds applied while loading a document and its references.

    Attributes:
        max_bytes: largest document (and each referenced file) accepted, in bytes.
        max_yaml_nodes: most YAML nodes a document may expand to once aliases
            are counted as copies of what they point at.
        max_yaml_aliases: most alias uses in one YAML document.
        max_depth: deepest nesting of objects and arrays accepted.
        max_external_documents: most distinct external documents bundled.
        timeout: seconds allowed for fetching one document over HTTP, redirects
            and the whole body included.
        max_redirects: redirects followed for each HTTP request.
    """

    max_bytes: int = 64 * 1024 * 1024
    max_yaml_nodes: int = 2_000_000
    max_yaml_aliases: int = 10_000
    max_depth: int = 200
    max_external_documents: int = 200
    timeout: float = 10.0
    max_redirects: int = 5


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed document with every external reference bundled in.

    Attributes:
        document: the bundled document; each ``$ref`` in it is local.
        source: the path or URL it came from, ``None`` for a dict or text.
        version: ``"2.0"``, ``"3.0"`` or ``"3.1"``, or ``None`` when the
            document declares no supported ``swagger``/``openapi`` version.
        external_refs: how many external targets were bundled.
    """

    document: dict[str, Any]
    source: str | None = None
    version: SpecVersion | None = None
    external_refs: int = field(default=0)


def detect_version(document: Any) -> SpecVersion | None:
    """The supported OpenAPI version a document declares, or ``None``.

    The version must be text (``"2.0"``, ``"3.0.x"``, ``"3.1.x"``); a YAML
    number written without quotes (``swagger: 2.0``, ``openapi: 3.0``) is
    recognised too, and validation reports it as a finding.
    """
    if not isinstance(document, dict):
        return None
    swagger = document.get("swagger")
    if (isinstance(swagger, str) and swagger.startswith("2.0")) or _is_number(
        swagger, 2.0
    ):
        return "2.0"
    openapi = document.get("openapi")
    if isinstance(openapi, str):
        if openapi.startswith("3.0"):
            return "3.0"
        if openapi.startswith("3.1"):
            return "3.1"
    if _is_number(openapi, 3.0):
        return "3.0"
    if _is_number(openapi, 3.1):
        return "3.1"
    return None


def _is_number(value: Any, wanted: float) -> bool:
    return isinstance(value, float) and value == wanted


# ----------------------------------------------------------------- parsing


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecLoadError(
            f"{where} is not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_problem(text: str) -> str | None:
    """What makes ``text`` unstorable: a NUL character or a lone surrogate."""
    if "\x00" in text:
        return "a NUL character (\\u0000), which cannot be stored"
    if not text.isascii() and _SURROGATE.search(text):
        return "a lone surrogate (\\ud800-\\udfff), which is not valid Unicode text"
    return None


def _locate(root: Any, target: Any) -> str:
    """The JSON Pointer of ``target`` (a value or a mapping key) in ``root``.

    Only called once a problem was found, to name where it is.
    """
    stack: list[tuple[Any, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, pointer = stack.pop()
        if node is target:
            return pointer or "/"
        if isinstance(node, (dict, list)):
            if id(node) in seen:
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                at = f"{pointer}/{_escape(str(key))}"
                if key is target:
                    return at
                stack.append((value, at))
        elif isinstance(node, list):
            stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(node))
    return "/"


def _check_depth(value: Any, limit: int, where: str) -> None:
    """Refuse nesting deeper than ``limit`` and values that cannot be stored.

    Strings (keys included) may hold no NUL character or lone surrogate;
    numbers must be finite (JSON has no ``NaN`` or ``Infinity``). Shared
    containers are visited once, so a container holding itself does not loop
    here. Errors name the JSON Pointer of the offending value.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise SpecLoadError(f"{where} is nested deeper than {limit} levels")
        problem: str | None = None
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for key in node:
                if isinstance(key, str):
                    problem = _text_problem(key)
                    if problem is not None:
                        raise SpecLoadError(
                            f"{where} contains {problem} (in a key at "
                            f"{_locate(value, key)!r})"
                        )
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str):
            problem = _text_problem(node)
        elif isinstance(node, float) and not math.isfinite(node):
            problem = f"the number {node!r}, which JSON cannot represent"
        if problem is not None:
            raise SpecLoadError(
                f"{where} contains {problem} (at {_locate(value, node)})"
            )


class _NotJson(Exception):
    """Raised inside :func:`_to_json_data`; collects the pointer while unwinding."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.trail: list[str] = []

    def pointer(self) -> str:
        return "/" + "/".join(_escape(part) for part in reversed(self.trail))


def _json_key(key: Any) -> str:
    """A mapping key as JSON text would spell it (YAML allows ``200:`` unquoted)."""
    if isinstance(key, str):
        return str.__str__(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return str(int(key))
    if isinstance(key, float) and math.isfinite(key):
        return repr(key)
    if isinstance(key, datetime.date):
        return key.isoformat()
    raise _NotJson(f"a {type(key).__name__} mapping key")


_JSON_LEAVES = (str, int, float, bool, type(None))
_CYCLE = "a cycle"


def _to_json_data(value: Any, where: str) -> Any:
    """A copy of ``value`` made only of JSON types.

    YAML (and a caller's dict) may hold what JSON cannot: integer, boolean or
    null mapping keys become their JSON spelling (``200`` -> ``"200"``), dates
    and timestamps their ISO 8601 text, tuples lists. Other types (bytes,
    sets, arbitrary objects) and a container that holds itself are refused,
    naming the JSON Pointer. Shared containers (YAML aliases) stay shared in
    the copy. Keys that become equal (``200`` and ``"200"``) keep the later
    value, as duplicate keys do. The caller bounds the depth first
    (:func:`_check_depth`).
    """
    done: dict[int, Any] = {}
    active: set[int] = set()

    def convert(node: Any) -> Any:
        if isinstance(node, datetime.date):
            return node.isoformat()
        if isinstance(node, bool):  # subclasses of the JSON types, e.g. enums
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            return str.__str__(node)
        if not isinstance(node, (dict, list, tuple)):
            raise _NotJson(f"a {type(node).__name__} value")
        key = id(node)
        if key in done:
            return done[key]
        if key in active:
            raise _NotJson(_CYCLE)
        active.add(key)
        out: Any
        if isinstance(node, dict):
            out = {}
            for name, item in node.items():
                text = name if type(name) is str else _json_key(name)
                if type(item) in _JSON_LEAVES:
                    out[text] = item
                    continue
                try:
                    out[text] = convert(item)
                except _NotJson as exc:
                    exc.trail.append(text)
                    raise
        else:
            out = []
            for i, item in enumerate(node):
                if type(item) in _JSON_LEAVES:
                    out.append(item)
                    continue
                try:
                    out.append(convert(item))
                except _NotJson as exc:
                    exc.trail.append(str(i))
                    raise
        active.discard(key)
        done[key] = out
        return out

    try:
        return convert(value) if type(value) not in _JSON_LEAVES else value
    except _NotJson as exc:
        if exc.problem == _CYCLE:
            message = f"{where} contains itself at {exc.pointer()} (a cycle)"
        else:
            message = (
                f"{where} holds {exc.problem} at {exc.pointer()}, "
                "which JSON cannot represent"
            )
        raise SpecLoadError(message) from None
    except RecursionError:
        raise SpecLoadError(f"{where} is nested too deeply to read") from None


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_expanded_size(root: yaml.Node, limits: Limits, where: str) -> None:
    """Refuse alias bombs: count nodes as if every alias were a copy."""
    sizes: dict[int, int] = {}
    aliases = 0
    # Iterative post-order walk; a node met again while on the stack is a cycle.
    on_stack: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_stack.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > limits.max_yaml_nodes:
                raise SpecLoadError(
                    f"{where} expands to more than {limits.max_yaml_nodes} YAML "
                    "nodes (alias bomb?)"
                )
            sizes[key] = total
            continue
        if key in sizes:
            aliases += 1
            if aliases > limits.max_yaml_aliases:
                raise SpecLoadError(
                    f"{where} uses more than {limits.max_yaml_aliases} YAML aliases"
                )
            continue
        if key in on_stack:
            raise SpecLoadError(f"{where} holds a recursive YAML alias")
        on_stack.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def _yaml_event_count(text: str, limits: Limits, where: str) -> int:
    """Count nodes and alias uses from the event stream, before composing.

    Composing builds a Python object per node, which is slow on a large
    document; the event stream is cheap, so oversized input is refused here,
    early. Returns how many aliases the document uses.
    """
    nodes = 0
    aliases = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > limits.max_yaml_aliases:
                raise SpecLoadError(
                    f"{where} uses more than {limits.max_yaml_aliases} YAML aliases"
                )
        elif isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            nodes += 1
            if nodes > limits.max_yaml_nodes:
                raise SpecLoadError(
                    f"{where} holds more than {limits.max_yaml_nodes} YAML nodes"
                )

    return aliases


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def parse_text(
    text: str, *, where: str = "document", limits: Limits | None = None
) -> Any:
    """Parse JSON or YAML text safely.

    Args:
        text: the document text.
        where: how error messages name the document.
        limits: size, alias and depth bounds (defaults: :class:`Limits`).

    Returns:
        The parsed value (usually a dict).

    Raises:
        SpecLoadError: the text is too large, malformed, or hostile.
    """
    limits = limits or Limits()
    if len(text) > limits.max_bytes or (
        # Only text that might be over the limit in UTF-8 is measured.
        len(text) * 4 > limits.max_bytes
        and not text.isascii()
        and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        raise SpecLoadError(f"{where} is larger than {limits.max_bytes} bytes")
    stripped = text.lstrip()
    try:
        if stripped.startswith(("{", "[")):
            try:
                value = json.loads(text)
                from_yaml = False
            except json.JSONDecodeError:
                value = _parse_yaml(text, where, limits)
                from_yaml = True
            except ValueError as exc:  # e.g. an integer over Python's digit limit
                raise SpecLoadError(
                    f"{where} could not be read as JSON: {exc}"
                ) from None
        else:
            value = _parse_yaml(text, where, limits)
            from_yaml = True
    except RecursionError:
        raise SpecLoadError(f"{where} is nested too deeply to parse") from None
    _check_depth(value, limits.max_depth, where)
    if from_yaml:
        value = _to_json_data(value, where)

    return value


def _parse_yaml(text: str, where: str, limits: Limits) -> Any:
    try:
        aliases = _yaml_event_count(text, limits, where)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if aliases:
                _yaml_expanded_size(node, limits, where)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except SpecLoadError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecLoadError(
            f"{where} is not valid JSON or YAML{at}: {problem}"
        ) from None
    except (ValueError, TypeError) as exc:
        raise SpecLoadError(f"{where} could not be read as YAML: {exc}") from None


# ------------------------------------------------------------------ fetching


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for addresses a remote reference may not reach (loopback excepted)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        not address.is_global
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _check_remote_host(url: str, where: str) -> None:
    """Refuse URLs whose host resolves to a private or otherwise internal address.

    Loopback is allowed (a local development server); everything else that is
    not globally routable is refused: private ranges, shared address space
    (100.64.0.0/10), link-local (cloud metadata), multicast, reserved and
    unspecified addresses, also when written as IPv4-mapped IPv6.
    """
    host = urlsplit(url).hostname
    if not host:
        raise SpecLoadError(f"{where}: URL {url!r} has no host")
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError) as exc:
        raise SpecLoadError(f"{where}: cannot resolve host {host!r} ({exc})") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        mapped = (
            address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        )
        if address.is_loopback or (mapped is not None and mapped.is_loopback):
            continue
        if _is_internal(address):
            raise SpecLoadError(
                f"{where}: refused URL {url!r}: host {host!r} is an internal "
                f"address ({address})"
            )


def _fetch(url: str, limits: Limits, where: str, *, check_hosts: bool) -> bytes:
    """GET ``url`` within the limits; ``limits.timeout`` bounds the whole fetch.

    httpx applies the timeout to each connect and each read; a server that
    answers a byte at a time would never trip it, so the elapsed time is also
    checked after every chunk and each request gets only what is left.
    """
    current = url
    deadline = time.monotonic() + limits.timeout

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SpecLoadError(
                f"{where}: GET {current} took longer than {limits.timeout:g} s"
            )
        return left

    with httpx.Client(timeout=limits.timeout, follow_redirects=False) as client:
        for _ in range(limits.max_redirects + 1):
            if urlsplit(current).scheme not in ("http", "https"):
                raise SpecLoadError(f"{where}: refused non-HTTP URL {current!r}")
            if check_hosts:
                _check_remote_host(current, where)
            try:
                with client.stream("GET", current, timeout=remaining()) as response:
                    if response.is_redirect:
                        current = urljoin(current, response.headers.get("location", ""))
                        continue
                    if response.status_code >= 400:
                        raise SpecLoadError(
                            f"{where}: GET {current} answered {response.status_code}"
                        )
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > limits.max_bytes:
                            raise SpecLoadError(
                                f"{where}: {current} is larger than "
                                f"{limits.max_bytes} bytes"
                            )
                        chunks.append(chunk)
                        remaining()
                    return b"".join(chunks)
            except httpx.HTTPError as exc:
                raise SpecLoadError(f"{where}: GET {current} failed: {exc}") from None
    raise SpecLoadError(f"{where}: too many redirects from {url}")


def _read_file(path: Path, limits: Limits, where: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise SpecLoadError(
                f"{where}: {path} is larger than {limits.max_bytes} bytes"
            )
        return path.read_bytes()
    except SpecLoadError:
        raise
    except OSError as exc:
        raise SpecLoadError(f"{where}: cannot read {path}: {exc.strerror}") from None


# ------------------------------------------------------------------ bundling


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer_get(document: Any, pointer: str, where: str) -> Any:
    node = document
    if pointer in ("", "/"):
        return node
    if not pointer.startswith("/"):
        raise SpecLoadError(f"{where}: fragment {pointer!r} is not a JSON Pointer")
    for raw in pointer[1:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SpecLoadError(f"{where}: pointer {pointer!r} does not exist")
    return node


@dataclass
class _Base:
    """Where a document came from: a confined folder path or a URL."""

    kind: Literal["file", "url", "none"]
    location: str  # absolute file path, URL, or "" for inline sources

    @property
    def id(self) -> str:
        return self.location


class _Bundler:
    def __init__(
        self,
        root: dict[str, Any],
        base: _Base,
        root_dir: Path | None,
        allow_remote: bool,
        limits: Limits,
    ) -> None:
        self.root = root
        self.root_base = base
        self.root_dir = root_dir.resolve() if root_dir is not None else None
        self.allow_remote = allow_remote
        self.limits = limits
        self.documents: dict[str, Any] = {}
        self.keys: dict[tuple[str, str], str] = {}
        self.used_keys: set[str] = set()
        self.external: dict[str, Any] = {}

    def run(self) -> int:
        # Work list of (node container, doc base, pointer of node in its doc).
        pending: list[tuple[Any, _Base, str]] = [(self.root, self.root_base, "")]
        while pending:
            node, base, where = pending.pop()
            stack: list[tuple[Any, str]] = [(node, where)]
            while stack:
                current, pointer = stack.pop()
                if isinstance(current, dict):
                    ref = current.get("$ref")
                    if isinstance(ref, str) and (
                        not ref.startswith("#") or base is not self.root_base
                    ):
                        current["$ref"] = self._rewrite(ref, base, pointer, pending)
                    for key, value in current.items():
                        if isinstance(value, (dict, list)):
                            stack.append((value, f"{pointer}/{_escape(str(key))}"))
                elif isinstance(current, list):
                    for i, value in enumerate(current):
                        if isinstance(value, (dict, list)):
                            stack.append((value, f"{pointer}/{i}"))
        if self.external:
            self.root[EXTERNAL_KEY] = {
                k: self.external[k] for k in sorted(self.external)
            }

        return len(self.external)

    def _describe(self, base: _Base, pointer: str) -> str:
        source = base.location or "document"
        return f"{source}#{pointer or '/'}"

    def _rewrite(
        self, ref: str, base: _Base, pointer: str, pending: list[tuple[Any, _Base, str]]
    ) -> str:
        where = f"$ref {ref!r} at {self._describe(base, pointer)}"
        uri, fragment = urldefrag(ref)
        local = ref.startswith("#")
        target_base = base if local else self._target(uri, base, where)
        if (
            target_base.location == self.root_base.location
            and target_base.kind == self.root_base.kind
        ):
            return "#" + fragment
        key_id = (target_base.location, fragment)
        if key_id in self.keys:
            return f"#/{EXTERNAL_KEY}/{self.keys[key_id]}"
        document = self._document(target_base, where)
        target = copy.deepcopy(_pointer_get(document, fragment, where))
        key = self._key(target_base, fragment)
        self.keys[key_id] = key
        self.external[key] = target
        pending.append((target, target_base, fragment))
        logger.debug("bundled %s as %s", ref, key)

        return f"#/{EXTERNAL_KEY}/{key}"

    def _key(self, base: _Base, fragment: str) -> str:
        if base.kind == "file" and self.root_dir is not None:
            name = Path(base.location).relative_to(self.root_dir).as_posix()
        else:
            name = base.location
        raw = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{name}{fragment}").strip("_") or "ref"
        key, n = raw, 2
        while key in self.used_keys:
            key, n = f"{raw}_{n}", n + 1
        self.used_keys.add(key)

        return key

    def _target(self, uri: str, base: _Base, where: str) -> _Base:
        scheme = urlsplit(uri).scheme.lower()
        if scheme in ("http", "https") or (scheme == "" and base.kind == "url"):
            absolute = urljoin(base.location, uri) if base.kind == "url" else uri
            if not self.allow_remote:
                raise SpecLoadError(
                    f"{where}: remote references are disabled (pass allow_remote=True)"
                )
            _check_remote_host(absolute, where)
            return _Base("url", absolute)
        if scheme and not (len(scheme) == 1 and uri[1:2] == ":"):
            raise SpecLoadError(f"{where}: refused reference scheme {scheme!r}")
        if scheme:  # a Windows drive letter: an absolute path
            raise SpecLoadError(f"{where}: absolute file references are refused")
        if base.kind != "file" or self.root_dir is None:
            raise SpecLoadError(
                f"{where}: file references need a document loaded from a path "
                "or a base_dir"
            )
        relative = unquote(uri)
        if relative.startswith(("/", "\\")) or Path(relative).is_absolute():
            raise SpecLoadError(f"{where}: absolute file references are refused")
        candidate = (Path(base.location).parent / relative).resolve()
        if not candidate.is_relative_to(self.root_dir):
            raise SpecLoadError(
                f"{where}: refused reference outside the document folder {self.root_dir}"
            )
        return _Base("file", str(candidate))

    def _document(self, base: _Base, where: str) -> Any:
        if base.location in self.documents:
            return self.documents[base.location]
        if len(self.documents) >= self.limits.max_external_documents:
            raise SpecLoadError(
                f"{where}: more than {self.limits.max_external_documents} "
                "external documents"
            )
        if base.kind == "url":
            data = _fetch(base.location, self.limits, where, check_hosts=True)
        else:
            data = _read_file(Path(base.location), self.limits, where)
        value = parse_text(
            _decode(data, base.location), where=base.location, limits=self.limits
        )
        self.documents[base.location] = value

        return value


# ------------------------------------------------------------------ entry point


def _is_url(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text))


def load_document(
    source: str | Path | dict[str, Any] | bytes,
    *,
    base_dir: str | Path | None = None,
    allow_remote: bool = False,
    limits: Limits | None = None,
) -> LoadedDocument:
    """Load a document and bundle its external references.

    Args:
        source: a filesystem path (``str`` or ``Path``), an ``http(s)`` URL, a
            dict, or the document's text or bytes (JSON or YAML). A ``str`` that
            holds a newline or starts with ``{`` or ``[`` is treated as text.
        base_dir: the folder relative file references of a dict or text source
            resolve against (and may not leave). For a path source the
            document's own folder is used unless ``base_dir`` is given.
        allow_remote: follow ``http(s)`` references (never to internal addresses).
        limits: size, alias, depth and network bounds (defaults: :class:`Limits`).

    Returns:
        The bundled document, where it came from and its detected version.

    Raises:
        SpecLoadError: the source cannot be read, is hostile or too large, or a
            reference is refused or broken; the message names it and where it
            appeared.
    """
    limits = limits or Limits()
    where: str
    source_name: str | None = None
    base = _Base("none", "")
    root_dir = Path(base_dir) if base_dir is not None else None

    if isinstance(source, dict):
        where = "document"
        _check_depth(source, limits.max_depth, where)
        document: Any = _to_json_data(source, where)
    elif isinstance(source, (bytes, bytearray)):
        where = "document"
        if len(source) > limits.max_bytes:
            raise SpecLoadError(f"document is larger than {limits.max_bytes} bytes")
        document = parse_text(_decode(bytes(source), where), where=where, limits=limits)
    elif isinstance(source, str) and _is_url(source):
        scheme = urlsplit(source).scheme.lower()
        if scheme not in ("http", "https"):
            raise SpecLoadError(
                f"refused source URL {source!r}: only http(s) is supported"
            )
        where = source
        source_name = source
        data = _fetch(source, limits, source, check_hosts=False)
        document = parse_text(_decode(data, source), where=source, limits=limits)
        base = _Base("url", source)
    elif isinstance(source, str) and (
        "\n" in source or source.lstrip().startswith(("{", "["))
    ):
        where = "document"
        document = parse_text(source, where=where, limits=limits)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        where = str(path)
        source_name = str(path)
        data = _read_file(path, limits, where)
        document = parse_text(_decode(data, where), where=where, limits=limits)
        base = _Base("file", str(path.resolve()))
        if root_dir is None:
            root_dir = path.resolve().parent
    else:
        raise SpecLoadError(f"unsupported source type {type(source).__name__}")

    if root_dir is not None and base.kind == "none":
        base = _Base("file", str((root_dir / "__document__").resolve()))
    if not isinstance(document, dict):
        raise SpecLoadError(
            f"{where} is not a mapping at the top level (found {type(document).__name__})"
        )
    try:
        count = _Bundler(document, base, root_dir, allow_remote, limits).run()
    except RecursionError:
        raise SpecLoadError(f"{where} is nested too deeply") from None
    logger.info("loaded %s (%d external references bundled)", where, count)

    return LoadedDocument(
        document=document,
        source=source_name,
        version=detect_version(document),
        external_refs=count,
    )
