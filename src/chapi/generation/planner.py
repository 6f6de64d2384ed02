"""The deterministic offline planner: request + API → Card, with no LLM.

:func:`plan` reads the request (:mod:`chapi.generation.intent`), writes
json-ir documents per resource and role, and renders them in the pack's
mode. The same inputs always give byte-identical files and the same
:attr:`PlanResult.inputs_hash`.

What each role writes:

- **SMOKE**: one step per selected ``GET`` whose path values the
  description gives (example, default, enum); expects a documented success
  status and, where a response schema exists, conformance to it.
- **AUTH**: three steps per secured operation: no credentials and invalid
  credentials expect 401 or 403, valid credentials expect a documented
  success status (plus 404 when a path value had to be made up).
- **CRUD**: per collection with ``POST /x`` and ``GET /x/{id}``: create,
  capture the id, read back comparing the fields sent, update with ``PUT``
  and read back, update with ``PATCH`` and read back (each where the
  operation exists), delete, and expect 404 afterwards; each step only when
  its method is allowed. Where the create body has optional fields, a
  second item is then created with only the required ones, read back
  (conforming to the response schema) and deleted.
- **NEGATIVE**: per operation, at most one request per kind of break
  (:data:`~chapi.generation.synth.KINDS`: a missing required field or
  parameter, a wrong type, a value below its minimum, one above its
  maximum, one outside its enum, an unknown body field where
  ``additionalProperties`` is ``false``), so at most six; body fields come
  before query, path and header parameters. Each expects a 4XX status.

Files are ``tests/<resource>/<role>.json`` (json-ir) or ``.sh``
(bash-curl); the resource is the operation's first tag, else its first
path segment, slugified. A **hybrid** pack writes AUTH as bash-curl and
every other role as json-ir.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ..domain.enums import FileRole
from ..errors import GenerationError
from ..specs.model import ApiModel, Operation
from .card import Card, CardAction, CardFile, Plan, PlannedFile
from .intent import Intent, understand
from .paths import capture_name, file_path, has_dot_segment, one_line, slugify
from .provenance import GENERATOR_VERSION, OFFLINE_GENERATOR, inputs_hash, spec_hash
from .render_bash import render_bash
from .render_jsonir import render_jsonir
from .steps import (
    RequestParts,
    build_request,
    pointer,
    sends_parameter,
    success_schema,
    success_statuses,
)
from .synth import KINDS, Invalid, Synthesizer

__all__ = ["Mode", "PlanResult", "plan", "plan_pack", "resource_of", "role_mode"]

logger = logging.getLogger(__name__)

Mode = Literal["json-ir", "bash-curl", "hybrid"]
JsonDict = dict[str, Any]

_MAX_NEGATIVE: Final = len(KINDS)
_MAX_EQUALS: Final = 10
_ID_NAMES: Final = ("id", "uuid", "_id", "key", "name")
_ITEM: Final = re.compile(r"^(?P<collection>.*)/\{(?P<param>[^{}/]+)\}$")


@dataclass(frozen=True)
class PlanResult:
    """Everything a caller stores with a planned pack.

    Attributes:
        card: the card (plan, files, actions).
        intent: how the request was understood.
        inputs_hash: ``sha256:<hex>`` over every input that shapes the files.
        generator_version: :data:`~chapi.generation.provenance.GENERATOR_VERSION`.
        file_roles: path → role, for ``run_pack_inputs.file_roles_json``.
        role_contexts: role → operation keys it covers.
        endpoints_context: the compact endpoint lines the plan worked from.
    """

    card: Card
    intent: Intent
    inputs_hash: str
    generator_version: str
    file_roles: dict[str, str]
    role_contexts: dict[str, list[str]]
    endpoints_context: str


@dataclass
class _File:
    resource: str
    role: FileRole
    steps: list[JsonDict] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)

    def add(self, op_key: str, *steps: JsonDict) -> None:
        self.steps.extend(steps)
        if op_key not in self.operations:
            self.operations.append(op_key)


def role_mode(mode: Mode, role: str) -> Literal["json-ir", "bash-curl"]:
    """The file format a role gets in ``mode`` (hybrid: AUTH in bash-curl, the rest json-ir)."""
    if mode == "hybrid":
        return "bash-curl" if role == FileRole.AUTH.value else "json-ir"
    if mode in ("json-ir", "bash-curl"):
        return mode
    raise GenerationError(
        f"unknown pack mode {mode!r}; expected json-ir, bash-curl or hybrid"
    )


def plan(
    api: ApiModel,
    request: str,
    *,
    mode: Mode = "json-ir",
    allowed_ops: Iterable[str] | str | None = None,
    env: str = "local",
    notes: str | None = None,
) -> Card:
    """Plan and render a pack for ``request`` over ``api``; see :func:`plan_pack`."""
    return plan_pack(
        api, request, mode=mode, allowed_ops=allowed_ops, env=env, notes=notes
    ).card


def plan_pack(
    api: ApiModel,
    request: str,
    *,
    mode: Mode = "json-ir",
    allowed_ops: Iterable[str] | str | None = None,
    env: str = "local",
    notes: str | None = None,
    limit: int = 50,
    document_hash: str | None = None,
) -> PlanResult:
    """Plan and render a pack, returning the card with its provenance.

    Args:
        api: the API to test.
        request: the plain-words request ("smoke and auth tests for /pets").
        mode: ``json-ir``, ``bash-curl`` or ``hybrid``.
        allowed_ops: methods the pack may use; ``None`` means
            :func:`~chapi.generation.intent.default_allowed_ops` for ``env``.
        env: the environment name (``local``, ``staging``, ``prod``...).
        notes: extra hints from the user; recorded in the hash and on the card.
        limit: the most operations ranking may select.
        document_hash: the spec document's hash when the caller already has
            it (saves hashing a large document again).

    Raises:
        GenerationError: the mode is unknown, or nothing in the request can
            be tested (the message carries the planner's notes).
    """
    role_mode(mode, FileRole.SMOKE.value)
    intent = understand(api, request, allowed_ops=allowed_ops, env=env, limit=limit)
    planner = _Planner(api, intent)
    files = planner.build()
    all_notes = [*intent.notes, *planner.notes]
    if notes:
        all_notes.append("user notes: " + one_line(notes, 500))

    rendered: list[CardFile] = []
    planned: list[PlannedFile] = []
    role_contexts: dict[str, list[str]] = {}
    for item in sorted(files, key=lambda f: (f.resource, _role_index(f.role))):
        kind = role_mode(mode, item.role.value)
        extension = "sh" if kind == "bash-curl" else "json"
        path = file_path(item.resource, item.role.value.lower(), extension)
        document = _document(api, item)
        content = (
            render_bash(document, api, operations=planner.by_key)
            if kind == "bash-curl"
            else render_jsonir(document)
        )
        rendered.append(
            CardFile(path=path, role=item.role.value, mode=kind, content=content)
        )
        planned.append(
            PlannedFile(path=path, role=item.role.value, operations=item.operations)
        )
        known = role_contexts.setdefault(item.role.value, [])
        known.extend(k for k in item.operations if k not in known)
    if not rendered:
        raise GenerationError(
            "the request selected nothing that can be tested"
            + (": " + "; ".join(all_notes) if all_notes else "")
        )

    endpoints_context = "\n".join(intent.operations)
    digest = inputs_hash(
        generator=OFFLINE_GENERATOR,
        generator_version=GENERATOR_VERSION,
        mode=mode,
        request=request,
        allowed_ops=intent.allowed_ops,
        env=env,
        endpoints_context=endpoints_context,
        operations=intent.operations,
        spec_hash=document_hash or spec_hash(api.document),
        notes=notes,
        extra={"limit": limit},
    )
    roles = [r.value for r in intent.roles]
    covered = sorted({k for f in planned for k in f.operations})
    summary = (
        f"{len(rendered)} file(s), {sum(_count_steps(f) for f in files)} step(s) over "
        f"{len(covered)} operation(s); roles {', '.join(roles)}; mode {mode}"
    )
    card = Card(
        plan=Plan(
            summary=summary,
            roles=roles,
            endpoints=list(intent.operations),
            files=planned,
            notes=all_notes,
        ),
        files=rendered,
        actions=[
            CardAction(type="validate", label="Check the pack against the guardrails"),
            CardAction(type="run", label="Run the pack", params={"env": env}),
        ],
    )
    logger.info("planned %d file(s) for %d operation(s)", len(rendered), len(covered))
    return PlanResult(
        card=card,
        intent=intent,
        inputs_hash=digest,
        generator_version=GENERATOR_VERSION,
        file_roles={f.path: f.role for f in rendered},
        role_contexts=role_contexts,
        endpoints_context=endpoints_context,
    )


def _role_index(role: FileRole) -> int:
    return list(FileRole).index(role)


def _count_steps(item: _File) -> int:
    return len(item.steps)


def _document(api: ApiModel, item: _File) -> JsonDict:
    title = one_line(api.title, 120) or "the API"
    return {
        "jsonir": 1,
        "name": one_line(f"{item.resource} {item.role.value.lower()}", 300),
        "role": item.role.value,
        "description": f"{item.role.value} tests for {item.resource} in {title}, "
        f"written by the chapi offline planner {GENERATOR_VERSION}.",
        "steps": item.steps,
    }


def resource_of(op: Operation) -> str:
    """The resource an operation's file belongs to: first tag, else first static path segment."""
    if op.tags and slugify(op.tags[0], fallback=""):
        return slugify(op.tags[0])
    for segment in op.path.split("/"):
        if segment and not segment.startswith("{"):
            return slugify(segment)
    return "root"


class _Planner:
    def __init__(self, api: ApiModel, intent: Intent) -> None:
        self.api = api
        self.intent = intent
        self.notes: list[str] = []
        self.allowed = set(intent.allowed_ops)
        self.files: dict[tuple[str, FileRole], _File] = {}
        self.by_key = {op.key: op for op in api.operations}
        self.items: dict[str, dict[str, Operation]] | None = None
        self.unknown_ids: list[str] = []
        selected = [self.by_key[k] for k in intent.operations if k in self.by_key]
        unsafe = [op for op in selected if not _safe_path(op.path)]
        if unsafe:
            self.notes.append(
                f"{len(unsafe)} operation(s) left out: path is not a plain relative path "
                f"({_sample(op.key for op in unsafe)})"
            )
        self.selected = [op for op in selected if _safe_path(op.path)]

    def build(self) -> list[_File]:
        for role in self.intent.roles:
            if role is FileRole.SMOKE:
                self._smoke()
            elif role is FileRole.AUTH:
                self._auth()
            elif role is FileRole.CRUD:
                self._crud()
            elif role is FileRole.NEGATIVE:
                self._negative()
        return [f for f in self.files.values() if f.steps]

    def _file(self, resource: str, role: FileRole) -> _File:
        key = (resource, role)
        if key not in self.files:
            self.files[key] = _File(resource, role)
        return self.files[key]

    def _syn(self, op: Operation, purpose: str) -> Synthesizer:
        return Synthesizer(self.api, f"{op.key}\x1f{purpose}")

    # -- SMOKE ----------------------------------------------------------------

    def _smoke(self) -> None:
        skipped: list[str] = []
        reads = [op for op in self.selected if op.method.upper() == "GET"]
        for op in reads:
            parts = build_request(self.api, op, self._syn(op, "smoke"))
            if parts.guessed_path:
                skipped.append(op.key)
                continue
            expect: JsonDict = {"status": success_statuses(op)}
            if success_schema(self.api, op) is not None:
                expect["schema"] = True
            step = _step(
                f"{op.key} answers with success", op, parts.request, "valid", expect
            )
            self._file(resource_of(op), FileRole.SMOKE).add(op.key, step)
        if not reads:
            self.notes.append("SMOKE: no GET operation in scope")
        if skipped:
            self.notes.append(
                f"SMOKE: {len(skipped)} read operation(s) need path values the description "
                f"does not give, left to CRUD ({_sample(skipped)})"
            )

    # -- AUTH -----------------------------------------------------------------

    def _auth(self) -> None:
        secured = [op for op in self.selected if op.secured]
        if not secured:
            self.notes.append("AUTH: no secured operation in scope")
        for op in secured:
            parts = build_request(self.api, op, self._syn(op, "auth"))
            denied: JsonDict = {"status": [401, 403]}
            allowed_status = success_statuses(op)
            if parts.guessed_path:
                allowed_status = [*allowed_status, 404]
            steps = [
                _step(
                    f"{op.key} without credentials is refused",
                    op,
                    parts.request,
                    "none",
                    denied,
                ),
                _step(
                    f"{op.key} with invalid credentials is refused",
                    op,
                    parts.request,
                    "invalid",
                    denied,
                ),
                _step(
                    f"{op.key} with valid credentials is accepted",
                    op,
                    parts.request,
                    "valid",
                    {"status": allowed_status},
                ),
            ]
            self._file(resource_of(op), FileRole.AUTH).add(op.key, *steps)

    # -- CRUD -----------------------------------------------------------------

    def _crud(self) -> None:
        found = 0
        for create in self.api.operations:
            if create.method.upper() != "POST" or not _safe_path(create.path):
                continue
            item = self._item_ops(create.path)
            read = item.get("GET")
            if read is None:
                continue
            members = [create, *item.values()]
            if not any(op.key in self.intent.operations for op in members):
                continue
            if not {"POST", "GET"} <= self.allowed:
                self.notes.append(
                    f"CRUD: {create.path} needs POST and GET, not both allowed"
                )
                continue
            self._crud_chain(create, item)
            found += 1
        if not found:
            self.notes.append(
                "CRUD: no collection with POST /x and GET /x/{id} in scope"
            )

    def _item_ops(self, collection: str) -> dict[str, Operation]:
        if self.items is None:
            self.items = {}
            for op in self.api.operations:
                match = _ITEM.match(op.path)
                if match and _safe_path(op.path):
                    methods = self.items.setdefault(match.group("collection"), {})
                    methods.setdefault(op.method.upper(), op)
        return self.items.get(collection, {})

    def _crud_chain(self, create: Operation, item: dict[str, Operation]) -> None:
        read = item["GET"]
        param = _ITEM.match(read.path).group("param")  # type: ignore[union-attr]
        cap = capture_name(param)
        holder = f"{{{{{cap}}}}}"
        syn = self._syn(create, "crud")
        parent = _parent_values(self.api, create, syn)
        item_values = {**parent, param: holder}

        made = build_request(self.api, create, syn, path_values=parent)
        id_pointer = self._id_pointer(create, read, param)
        expect_create: JsonDict = {"status": success_statuses(create)}
        if success_schema(self.api, create) is not None:
            expect_create["schema"] = True
        steps: list[JsonDict] = [
            {
                **_step(
                    f"create via {create.key}",
                    create,
                    made.request,
                    "valid",
                    expect_create,
                ),
                "capture": {cap: id_pointer},
            }
        ]
        steps.append(
            self._read_back(read, item_values, made.body, "read back the created item")
        )

        for method in ("PUT", "PATCH"):
            update = item.get(method)
            if update is None or method not in self.allowed:
                continue
            purpose = "crud-update" if method == "PUT" else "crud-patch"
            changed = build_request(
                self.api, update, self._syn(update, purpose), path_values=item_values
            )
            steps.append(
                _step(
                    f"update via {update.key}",
                    update,
                    changed.request,
                    "valid",
                    {"status": success_statuses(update)},
                )
            )
            steps.append(
                self._read_back(
                    read, item_values, changed.body, f"read back the {method} update"
                )
            )

        delete = item.get("DELETE")
        if delete is not None and delete.method.upper() in self.allowed:
            gone = build_request(
                self.api, delete, self._syn(delete, "crud"), path_values=item_values
            )
            steps.append(
                _step(
                    f"delete via {delete.key}",
                    delete,
                    gone.request,
                    "valid",
                    {"status": success_statuses(delete)},
                )
            )
            after = build_request(
                self.api, read, self._syn(read, "crud"), path_values=item_values
            )
            steps.append(
                _step(
                    "the deleted item is gone",
                    read,
                    after.request,
                    "valid",
                    {"status": [404]},
                )
            )
        steps.extend(self._required_only(create, item, made, parent, param, id_pointer))
        target = self._file(resource_of(create), FileRole.CRUD)
        for step in steps:
            target.add(step["operation"], step)

    def _required_only(
        self,
        create: Operation,
        item: dict[str, Operation],
        made: RequestParts,
        parent: dict[str, str],
        param: str,
        id_pointer: str,
    ) -> list[JsonDict]:
        """A second item created with only the required body fields, read back, deleted.

        It shows how the server fills in what a client leaves out: the read
        back must still conform to the response schema (a property the
        schema requires, such as a nullable one left unset, must be there).
        Written only when the create body is a JSON object with optional
        fields to leave out and at least one required field to keep.
        """
        rb = create.request_body
        media = rb.primary if rb is not None else None
        if media is None or made.body_kind != "json" or not isinstance(made.body, dict):
            return []
        flat = Synthesizer(self.api, "").flatten(media.schema_)
        required = [r for r in flat.get("required") or [] if isinstance(r, str)]
        body = {k: v for k, v in made.body.items() if k in required}
        if not body or body == made.body:
            return []
        read = item["GET"]
        cap = capture_name(f"{param}_required_only")
        values = {**parent, param: f"{{{{{cap}}}}}"}
        parts = build_request(
            self.api,
            create,
            self._syn(create, "crud"),
            path_values=parent,
            body_override=body,
        )
        expect: JsonDict = {"status": success_statuses(create)}
        if success_schema(self.api, create) is not None:
            expect["schema"] = True
        steps = [
            {
                **_step(
                    f"create with only the required fields via {create.key}",
                    create,
                    parts.request,
                    "valid",
                    expect,
                ),
                "capture": {cap: id_pointer},
            },
            self._read_back(
                read, values, body, "read back the item with only the required fields"
            ),
        ]
        delete = item.get("DELETE")
        if delete is not None and delete.method.upper() in self.allowed:
            gone = build_request(
                self.api, delete, self._syn(delete, "crud"), path_values=values
            )
            steps.append(
                _step(
                    f"delete the item with only the required fields via {delete.key}",
                    delete,
                    gone.request,
                    "valid",
                    {"status": success_statuses(delete)},
                )
            )
        return steps

    def _read_back(
        self, read: Operation, values: dict[str, str], sent: Any, label: str
    ) -> JsonDict:
        parts = build_request(
            self.api, read, self._syn(read, "crud"), path_values=values
        )
        expect: JsonDict = {"status": success_statuses(read)}
        schema = success_schema(self.api, read)
        if schema is not None:
            expect["schema"] = True
            equals = self._equals(schema, sent)
            if equals:
                expect["json"] = equals
        return _step(f"{label} via {read.key}", read, parts.request, "valid", expect)

    def _equals(self, schema: JsonDict, sent: Any) -> list[JsonDict]:
        if not isinstance(sent, dict):
            return []
        flat = Synthesizer(self.api, "").flatten(schema)
        props = flat.get("properties") or {}
        checks: list[JsonDict] = []
        for name, value in sent.items():
            prop = self.api.resolve(props.get(name)) if name in props else None
            if (
                prop is None
                or prop.get("writeOnly")
                or prop.get("format") == "password"
            ):
                continue
            if isinstance(value, str) and "{{" in value:
                continue
            if isinstance(value, str | int | bool) and not isinstance(value, float):
                checks.append({"pointer": pointer(name), "equals": value})
            if len(checks) >= _MAX_EQUALS:
                break
        return checks

    def _id_pointer(self, create: Operation, read: Operation, param: str) -> str:
        """Where the new item's id is in the create response.

        The create response's schema is searched first, then the read
        response's (the same resource); ``/id`` when neither names one.
        """
        for op in (create, read):
            schema = success_schema(self.api, op)
            props = (
                Synthesizer(self.api, "").flatten(schema).get("properties")
                if schema
                else None
            )
            if isinstance(props, dict):
                for name in (*_ID_NAMES[:3], param, param.lower(), *_ID_NAMES[3:]):
                    if name in props:
                        return pointer(name)
        self.unknown_ids.append(create.key)
        return "/id"

    # -- NEGATIVE -------------------------------------------------------------

    def _negative(self) -> None:
        none_found: list[str] = []
        for op in self.selected:
            syn = self._syn(op, "negative")
            valid = build_request(self.api, op, syn)
            variants = []
            rb = op.request_body
            media = rb.primary if rb is not None else None
            if valid.body_kind in ("json", "form") and media is not None:
                variants.extend(syn.invalid_bodies(media.schema_, valid.body))
            sent = tuple(p for p in op.parameters if sends_parameter(p))
            variants.extend(syn.invalid_parameters(sent))
            chosen: dict[str, Invalid] = {}
            for variant in variants:
                chosen.setdefault(variant.kind, variant)
            if not chosen:
                none_found.append(op.key)
                continue
            steps = []
            ordered = [chosen[k] for k in KINDS if k in chosen]
            for variant in ordered[:_MAX_NEGATIVE]:
                parts = build_request(
                    self.api, op, syn, broken=variant, body_override=valid.body
                )
                steps.append(
                    _step(
                        f"{op.key} rejects: {variant.description}",
                        op,
                        parts.request,
                        "valid",
                        {"status": ["4XX"]},
                    )
                )
            self._file(resource_of(op), FileRole.NEGATIVE).add(op.key, *steps)
        if none_found:
            self.notes.append(
                f"NEGATIVE: {len(none_found)} operation(s) have no input to break "
                f"({_sample(none_found)})"
            )


def _step(
    name: str, op: Operation, request: JsonDict, auth: str, expect: JsonDict
) -> JsonDict:
    return {
        "name": one_line(name, 500),
        "operation": op.key,
        "request": request,
        "auth": auth,
        "expect": expect,
    }


def _parent_values(api: ApiModel, op: Operation, syn: Synthesizer) -> dict[str, str]:
    """Fixed values for the collection path's own parameters, shared by the whole chain."""
    return build_request(api, op, syn, with_body=False).path_values


def _safe_path(path: str) -> bool:
    return (
        path.startswith("/") and not path.startswith("//") and not has_dot_segment(path)
    )


def _sample(keys: Iterable[str] | Sequence[str], count: int = 5) -> str:
    items = list(keys)
    shown = ", ".join(one_line(k, 120) for k in items[:count])
    return shown + (f" and {len(items) - count} more" if len(items) > count else "")
