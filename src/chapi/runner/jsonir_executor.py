"""Running json-ir files in-process over one pooled HTTP client.

Steps of a file run in order (later steps use earlier captures); files run
concurrently, bounded by the caller's semaphore. A step is one case. When a
step fails, the steps after it still run, except those that need a value it
should have captured: they are recorded as skipped, naming the step.

Cookies a server sets are kept per file, not per run: each file has its
own jar, filled from the ``Set-Cookie`` headers of its responses and sent
only with its ``valid`` steps, so one file's session never reaches another
file, nor a step that must go without credentials (``none``) or with wrong
ones (``invalid``). The run's shared client keeps no cookies itself.

Safety: a request never leaves the environment's host. Paths must start with
one ``/`` (never ``//`` or an absolute URL), captured values are
percent-encoded inside paths, redirects are not followed, and the final URL's
scheme, host and port are compared with the base URL's before sending.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ..jsonir import Assertion, JsonIrFile, Step
from ..specs.model import ApiModel, Operation
from .collector import Collector
from .credentials import INVALID_VALUE, AppliedAuth, SchemeSecrets, choose_schemes
from .masking import Masker
from .schemas import ResponseSchemas
from .templating import (
    MissingCaptureError,
    Template,
    compile_value,
    encode_segment,
    has_placeholders,
)

__all__ = ["JsonIrExecutor", "StepFailure"]

logger = logging.getLogger(__name__)

EXCERPT_CAP = 2_048
"""The most characters of a request or response body kept in a case result."""

_MISSING = object()
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class StepFailure(Exception):
    """A step could not be sent or judged; the message says why."""


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON Pointer (RFC 6901), or a sentinel when absent."""
    if pointer == "":
        return document
    node = document
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            if part not in node:
                return _MISSING
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return _MISSING
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _type_matches(value: Any, wanted: str) -> bool:
    if wanted == "null":
        return value is None
    if isinstance(value, bool) and wanted != "boolean":
        return False
    if wanted == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _JSON_TYPES[wanted])


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:200] + "..."


@dataclass(slots=True)
class _Compiled:
    """A step prepared once: templates split, static bodies serialized."""

    step: Step
    operation: Operation | None
    path: Template
    query: list[tuple[Template, list[Template]]]
    headers: list[tuple[str, Template]]
    body: Any
    body_static: bytes | None
    content_type: str | None
    equals: list[Any]
    needs_json: bool


def _compile(step: Step, operations: Mapping[str, Operation]) -> _Compiled:
    request = step.request
    query: list[tuple[Template, list[Template]]] = []
    for key, value in request.query.items():
        items = value if isinstance(value, list) else [value]
        query.append(
            (
                Template(key),
                [Template(_scalar_text(v)) for v in items if v is not None],
            )
        )
    headers = [(name, Template(value)) for name, value in request.headers.items()]

    body: Any = None
    static: bytes | None = None
    content_type = request.content_type
    if request.has_json:
        body = compile_value(request.json_)
        content_type = content_type or "application/json"
        if not has_placeholders(request.json_):
            static = json.dumps(request.json_, separators=(",", ":")).encode()
    elif request.form is not None:
        body = compile_value({k: _scalar_text(v) for k, v in request.form.items()})
        content_type = content_type or "application/x-www-form-urlencoded"
    elif request.body is not None:
        body = Template(request.body)
        if body.static:
            static = request.body.encode()

    expect = step.expect
    needs_json = bool(expect.json_ or step.capture or expect.schema_)
    return _Compiled(
        step=step,
        operation=operations.get(_operation_key(step.operation)),
        path=Template(request.path),
        query=query,
        headers=headers,
        body=body,
        body_static=static,
        content_type=content_type,
        equals=[
            compile_value(a.equals) if a.has_equals else None for a in expect.json_
        ],
        needs_json=needs_json,
    )


def _operation_key(named: str | None) -> str:
    """A step's ``operation`` in :attr:`Operation.key` form (method upper-cased)."""
    if not named:
        return ""
    method, _, path = named.partition(" ")
    return f"{method.upper()} {path}"


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


class JsonIrExecutor:
    """Runs json-ir files against one base URL with one pooled client.

    Args:
        client: the run's shared ``httpx.AsyncClient`` (redirects off).
        api: the API description, used for security schemes and response
            schemas; may be ``None``.
        base_url: the environment's base URL (scheme, host, optional port
            and path prefix).
        secrets: plaintext secrets by name.
        masker: hides secrets; tokens fetched during the run are added to it.
        collector: receives every case.
        request_timeout: seconds one request may take from sending to its
            last body byte, or ``None``; the client's own timeout applies to
            each connect, read and write separately, so a server dripping
            bytes would otherwise never time out.
    """

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        api: ApiModel | None,
        base_url: str,
        secrets: Mapping[str, str],
        masker: Masker,
        collector: Collector,
        request_timeout: float | None = None,
    ) -> None:
        self._client = client
        self._request_timeout = request_timeout
        self._api = api
        self._base = base_url.rstrip("/")
        self._origin = httpx.URL(self._base + "/")
        self._secrets = dict(secrets)
        self._masker = masker
        self._collector = collector
        self._schemas = ResponseSchemas(api) if api is not None else None
        self._operations = {op.key: op for op in api.operations} if api else {}
        self._tokens: dict[str, tuple[str, float | None]] = {}
        self._token_lock = asyncio.Lock()
        self._auth_cache: dict[tuple[str | None, str], list[SchemeSecrets]] = {}
        self._static_urls: dict[str, httpx.URL | StepFailure] = {}
        for scheme in api.security_schemes.values() if api else ():
            if scheme.kind.lower() == "apikey" and scheme.param_name:
                masker.add_header_name(scheme.param_name)

    def plan(self, file: str, parsed: JsonIrFile) -> None:
        """Announce ``file``'s steps to the collector."""
        self._collector.plan(file, [step.name for step in parsed.steps])

    async def run_file(self, file: str, parsed: JsonIrFile) -> None:
        """Run every step of ``file`` in order, recording one case per step."""
        compiled = [_compile(step, self._operations) for step in parsed.steps]
        captures: dict[str, Any] = {}
        jar = httpx.Cookies()
        lost: dict[str, str] = {}
        self._collector.log(file, f"file {file}: {len(compiled)} steps")
        for item in compiled:
            if not await self._run_step(file, item, captures, lost, jar):
                for name in item.step.capture:
                    if name not in captures:
                        lost[name] = item.step.name
        self._collector.finish_file(file)

    async def _run_step(
        self,
        file: str,
        item: _Compiled,
        captures: dict[str, Any],
        lost: dict[str, str],
        jar: httpx.Cookies,
    ) -> bool:
        step = item.step
        started = time.perf_counter()
        request_text = f"{step.request.method} {step.request.path}"
        try:
            request, notes = await self._build(item, captures, jar)
            for note in notes:
                self._collector.log(file, f"note: {note}")
            request_text = self._describe_request(request)
            self._collector.log(file, f"> {request_text.splitlines()[0]}")
            sent = time.perf_counter()
            async with asyncio.timeout(self._request_timeout):
                response = await self._client.send(request)
            if "set-cookie" in response.headers:
                jar.extract_cookies(response)
            elapsed_ms = (time.perf_counter() - sent) * 1000
        except MissingCaptureError as exc:
            if exc.name in lost:
                message = f"skipped: needs {{{{{exc.name}}}}}, which step {lost[exc.name]!r} did not capture"
                self._collector.case(file, step.name, "skipped", message=message)
                return False
            return self._fail(file, step, started, str(exc), request_text, "")
        except StepFailure as exc:
            return self._fail(file, step, started, str(exc), request_text, "")
        except TimeoutError:
            message = (
                f"request timed out (no full response in {self._request_timeout:g}s)"
            )
            return self._fail(file, step, started, message, request_text, "")
        except httpx.TimeoutException as exc:
            message = f"request timed out ({type(exc).__name__})"
            return self._fail(file, step, started, message, request_text, "")
        except httpx.TransportError as exc:
            message = f"could not reach the server: {type(exc).__name__}: {exc}"
            return self._fail(file, step, started, message, request_text, "")

        problems = self._judge(item, response, elapsed_ms, captures)
        response_text = self._describe_response(response)
        duration = (time.perf_counter() - started) * 1000
        self._collector.log(
            file, f"< HTTP {response.status_code} in {elapsed_ms:.1f} ms"
        )
        if problems:
            self._collector.case(
                file,
                step.name,
                "failed",
                duration_ms=duration,
                message="; ".join(problems),
                request=request_text,
                response=response_text,
            )
            return False
        self._collector.case(
            file,
            step.name,
            "passed",
            duration_ms=duration,
            request=request_text,
            response=response_text,
        )
        return True

    def _fail(
        self,
        file: str,
        step: Step,
        started: float,
        message: str,
        request: str,
        response: str,
    ) -> bool:
        duration = (time.perf_counter() - started) * 1000
        self._collector.case(
            file,
            step.name,
            "failed",
            duration_ms=duration,
            message=message,
            request=request,
            response=response,
        )
        return False

    def _url(self, path: str) -> httpx.URL:
        """The URL of ``path`` under the base URL, refused when it could leave its host."""
        if not path.startswith("/") or path.startswith("//") or "\\" in path:
            raise StepFailure(
                f"path {path!r} must start with a single '/' and hold no backslash"
            )
        url = httpx.URL(self._base + path)
        if (url.scheme, url.host, url.port) != (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ):
            raise StepFailure(f"path {path!r} leaves the environment's host")
        return url

    def _static_url(self, path: str) -> httpx.URL:
        """:meth:`_url` for a path without placeholders, worked out once per run."""
        known = self._static_urls.get(path)
        if known is None:
            try:
                known = self._url(path)
            except StepFailure as exc:
                known = exc
            self._static_urls[path] = known
        if isinstance(known, StepFailure):
            raise StepFailure(str(known))
        return known

    async def _build(
        self, item: _Compiled, captures: dict[str, Any], jar: httpx.Cookies
    ) -> tuple[httpx.Request, list[str]]:
        step = item.step
        if item.path.static:
            url = self._static_url(item.path.source)
        else:
            url = self._url(item.path.render(captures, encode_segment))

        params: list[tuple[str, str | int | float | bool | None]] = []
        for key, values in item.query:
            name = key.render(captures)
            params.extend((name, value.render(captures)) for value in values)
        headers: dict[str, str] = {name: t.render(captures) for name, t in item.headers}

        content: bytes | None = item.body_static
        if content is None and item.body is not None:
            if step.request.has_json:
                content = json.dumps(
                    item.body(captures), separators=(",", ":")
                ).encode()
            elif step.request.form is not None:
                form = item.body(captures)
                content = str(httpx.QueryParams(form)).encode()
            else:
                content = item.body.render(captures).encode()
        if (
            content is not None
            and item.content_type
            and not _has_header(headers, "content-type")
        ):
            headers["Content-Type"] = item.content_type

        auth = await self._credentials(item)
        headers.update(auth.headers)
        params.extend(auth.query.items())
        if auth.cookies:
            _add_cookies(
                headers, "; ".join(f"{k}={v}" for k, v in auth.cookies.items())
            )
        if params:
            url = url.copy_merge_params(params)
        if step.auth == "valid" and jar:
            # The file's own session: sent only where valid credentials go.
            probe = httpx.Request(step.request.method, url)
            jar.set_cookie_header(probe)
            if "cookie" in probe.headers:
                _add_cookies(headers, probe.headers["cookie"])
        request = self._client.build_request(
            step.request.method, url, headers=headers, content=content
        )
        return request, auth.notes

    async def _credentials(self, item: _Compiled) -> AppliedAuth:
        step = item.step
        applied = AppliedAuth()
        if step.auth == "none":
            return applied
        key = (step.operation, step.auth)
        schemes = self._auth_cache.get(key)
        if schemes is None:
            schemes = choose_schemes(self._api, item.operation, self._secrets)
            self._auth_cache[key] = schemes
        for found in schemes:
            await self._apply(found, step.auth == "invalid", applied)
        return applied

    async def _apply(
        self, found: SchemeSecrets, invalid: bool, applied: AppliedAuth
    ) -> None:
        scheme = found.scheme
        kind = scheme.kind.lower()
        values = found.values
        if not invalid and not found.complete:
            applied.notes.append(
                f"no secret {', '.join(found.missing())} for {kind} auth"
            )
            return
        if kind == "basic":
            user = INVALID_VALUE if invalid else values["username"] or ""
            password = INVALID_VALUE if invalid else values["password"] or ""
            pair = base64.b64encode(f"{user}:{password}".encode()).decode()
            applied.headers["Authorization"] = f"Basic {pair}"
        elif kind == "apikey":
            value = INVALID_VALUE if invalid else values["api_key"] or ""
            name = scheme.param_name or "X-API-Key"
            if scheme.location == "query":
                applied.query[name] = value
            elif scheme.location == "cookie":
                applied.cookies[name] = value
            else:
                applied.headers[name] = value
        elif kind == "oauth2" and not invalid and not values.get("token"):
            token = await self._oauth2_token(found)
            applied.headers["Authorization"] = f"Bearer {token}"
        else:
            token = INVALID_VALUE if invalid else values.get("token") or ""
            applied.headers["Authorization"] = f"Bearer {token}"

    async def _oauth2_token(self, found: SchemeSecrets) -> str:
        scheme = found.scheme
        async with self._token_lock:
            cached = self._tokens.get(scheme.name)
            if cached is not None and (
                cached[1] is None or time.monotonic() < cached[1]
            ):
                return cached[0]
            if not scheme.token_url:
                raise StepFailure(f"oauth2 scheme {scheme.name!r} has no token URL")
            url = httpx.URL(self._base + "/").join(scheme.token_url)
            data = {"grant_type": "client_credentials"}
            if scheme.scopes:
                data["scope"] = " ".join(scheme.scopes)
            try:
                async with asyncio.timeout(self._request_timeout):
                    response = await self._client.post(
                        url,
                        data=data,
                        auth=(
                            found.values["client_id"] or "",
                            found.values["client_secret"] or "",
                        ),
                    )
            except TimeoutError as exc:
                raise StepFailure(
                    f"could not get an OAuth2 token from {url}: no full answer"
                    f" in {self._request_timeout:g}s"
                ) from exc
            except httpx.HTTPError as exc:
                raise StepFailure(
                    f"could not get an OAuth2 token from {url}: {type(exc).__name__}"
                ) from exc
            try:
                answer = response.json()
                token = str(answer["access_token"])
            except (ValueError, KeyError, TypeError) as exc:
                raise StepFailure(
                    f"the OAuth2 token endpoint {url} answered HTTP {response.status_code} "
                    "without an access_token"
                ) from exc
            self._masker.add(token)
            self._tokens[scheme.name] = (token, _token_deadline(answer))
            return token

    def _judge(
        self,
        item: _Compiled,
        response: httpx.Response,
        elapsed_ms: float,
        captures: dict[str, Any],
    ) -> list[str]:
        expect = item.step.expect
        problems: list[str] = []
        status = response.status_code
        if not expect.allows(status):
            allowed = ", ".join(str(s) for s in expect.status)
            problems.append(f"status {status} is not one of [{allowed}]")
        for name, wanted in expect.headers.items():
            actual = response.headers.get(name)
            if actual is None:
                problems.append(f"header {name} is missing")
            elif wanted.lower() not in actual.lower():
                problems.append(f"header {name} {actual!r} does not contain {wanted!r}")
        if expect.max_ms is not None and elapsed_ms > expect.max_ms:
            problems.append(
                f"took {elapsed_ms:.0f} ms, more than max_ms {expect.max_ms}"
            )
        if expect.schema_ and response.content:
            problems.extend(self._check_media_type(item, response))
        if not item.needs_json:
            return problems

        try:
            body = json.loads(response.content) if response.content else _MISSING
        except ValueError as exc:
            problems.append(f"response body is not valid JSON ({exc})")
            return problems
        if body is _MISSING:
            if expect.json_ or item.step.capture:
                problems.append("response body is empty, JSON was expected")
            elif item.step.request.method.upper() != "HEAD":
                # The answer to HEAD never has a body, whatever GET would send.
                problems.extend(self._check_schema(item, status, None, empty=True))
            return problems

        for assertion, equals in zip(expect.json_, item.equals, strict=True):
            problems.extend(_check_assertion(assertion, equals, body, captures))
        if expect.schema_:
            problems.extend(self._check_schema(item, status, body))
        if not problems:
            for name, pointer in item.step.capture.items():
                value = resolve_pointer(body, pointer)
                if value is _MISSING:
                    problems.append(f"capture {name}: nothing at {pointer or '(root)'}")
                else:
                    captures[name] = value
        return problems

    def _check_schema(
        self, item: _Compiled, status: int, body: Any, *, empty: bool = False
    ) -> list[str]:
        if self._schemas is None:
            return ["schema check needs an API description, and the run has none"]
        if item.operation is None:
            named = item.step.operation or "(no operation)"
            return [f"schema check: operation {named} is not in the API description"]
        return [
            f"schema {p}"
            for p in self._schemas.check(item.operation, status, body, empty=empty)
        ]

    def _check_media_type(self, item: _Compiled, response: httpx.Response) -> list[str]:
        # Without a description or a known operation the schema check
        # reports the problem; the media type has nothing to go by.
        if self._schemas is None or item.operation is None:
            return []
        return self._schemas.check_media_type(
            item.operation, response.status_code, response.headers.get("content-type")
        )

    def _describe_request(self, request: httpx.Request) -> str:
        mask = self._masker
        lines = [f"{request.method} {mask.text(str(request.url))}"]
        lines.extend(f"{k}: {mask.header(k, v)}" for k, v in request.headers.items())
        if request.content:
            lines.append("")
            lines.append(_excerpt(mask, request.content))
        return "\n".join(lines)

    def _describe_response(self, response: httpx.Response) -> str:
        mask = self._masker
        lines = [f"HTTP {response.status_code} {response.reason_phrase}"]
        lines.extend(f"{k}: {mask.header(k, v)}" for k, v in response.headers.items())
        if response.content:
            lines.append("")
            lines.append(_excerpt(mask, response.content))
        return "\n".join(lines)


TOKEN_REFRESH_SHARE = 0.9
"""A fetched OAuth2 token is replaced once this share of its ``expires_in`` has passed."""


def _token_deadline(answer: Any) -> float | None:
    """When a token with this token-endpoint answer should be fetched anew, if ever."""
    lifetime = answer.get("expires_in") if isinstance(answer, dict) else None
    if isinstance(lifetime, str) and lifetime.isdigit():
        lifetime = int(lifetime)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float):
        return None
    return time.monotonic() + max(float(lifetime), 0.0) * TOKEN_REFRESH_SHARE


def _excerpt(mask: Masker, content: bytes) -> str:
    # Mask before cutting: a secret split by the cap would otherwise leak
    # its first part.
    window = content[: EXCERPT_CAP + mask.margin].decode("utf-8", "replace")
    return mask.excerpt(window, EXCERPT_CAP)


def _add_cookies(headers: dict[str, str], cookies: str) -> None:
    """Append ``cookies`` to the ``Cookie`` header in ``headers``, creating it if needed."""
    existing = headers.pop("Cookie", None) or headers.pop("cookie", None)
    headers["Cookie"] = f"{existing}; {cookies}" if existing else cookies


def _has_header(headers: Mapping[str, str], name: str) -> bool:
    return any(key.lower() == name for key in headers)


def _check_assertion(
    assertion: Assertion, equals: Any, body: Any, captures: Mapping[str, Any]
) -> list[str]:
    where = assertion.pointer or "(root)"
    value = resolve_pointer(body, assertion.pointer)
    problems: list[str] = []
    if assertion.exists is not None:
        if assertion.exists and value is _MISSING:
            problems.append(f"{where} does not exist")
        elif not assertion.exists and value is not _MISSING:
            problems.append(f"{where} exists but should not")
    if assertion.has_equals:
        try:
            wanted = equals(captures)
        except MissingCaptureError as exc:
            return [*problems, f"{where}: {exc}"]
        if value is _MISSING:
            problems.append(f"{where} does not exist (expected {_short(wanted)})")
        elif value != wanted or (type(value) is bool) != (type(wanted) is bool):
            problems.append(f"{where} is {_short(value)}, expected {_short(wanted)}")
    if assertion.type is not None:
        if value is _MISSING:
            problems.append(f"{where} does not exist (expected a {assertion.type})")
        elif not _type_matches(value, assertion.type):
            problems.append(f"{where} is {_short(value)}, not a {assertion.type}")
    return problems
