"""Values for parameters and request bodies, valid and deliberately invalid.

Values come from the description first (a parameter's or media type's
example, then a schema's ``example``, ``examples``, ``default``, ``const`` or
first ``enum`` value) and are otherwise synthesized from the JSON Schema:
types, common formats, numeric bounds, string lengths, simple patterns,
``allOf`` (merged), ``oneOf``/``anyOf`` (the first branch that works, with the
discriminator set), nullable types (a non-null value is produced) and
circular schemas (only required properties below a depth, nothing past a
hard cap). ``readOnly`` properties are left out of requests.

Invalid values, for NEGATIVE steps, break one thing each (:data:`KINDS`): a
required field or parameter left out, a wrong type, a value below a minimum
or above a maximum (numbers, string lengths, item counts), a value outside
an enum, or an unknown body field where ``additionalProperties`` is
explicitly ``false``.

Every random choice comes from a :class:`random.Random` seeded from a string
such as the operation key, so a value does not depend on the order in which
operations are planned.

Known shortcomings: ``patternProperties``, ``not``, ``if``/``then``/``else``,
``dependentRequired`` and ``uniqueItems`` are ignored; a pattern beyond
:mod:`chapi.generation.regexgen` falls back to a plain word that may not
match; examples are used as written even when they contradict their schema.
Invalid values break only top-level body fields and parameters, one field
per kind (a body field shadows a parameter of the same kind); formats,
patterns and ``minItems`` are never broken, and an enum mixing strings with
other values gets no outside-the-enum case.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from ..specs.model import ApiModel, MediaSchema, Parameter
from .regexgen import sample

__all__ = [
    "KINDS",
    "MAX_DEPTH",
    "MISSING",
    "OPTIONAL_DEPTH",
    "Invalid",
    "InvalidKind",
    "Synthesizer",
    "rng_for",
    "schema_type",
]

logger = logging.getLogger(__name__)

JsonSchema = dict[str, Any]

#: Past this nesting depth only required properties are produced.
OPTIONAL_DEPTH: Final = 3
#: Past this nesting depth nothing is produced (the property is left out).
MAX_DEPTH: Final = 12


class _Missing:
    """Marks a value that is deliberately left out (a missing required field)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
_OMIT: Final = object()


def rng_for(*parts: str) -> random.Random:
    """A random source seeded from ``parts`` (for example an operation key and a purpose)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


BreakKind = Literal["below-minimum", "above-maximum", "not-in-enum"]
InvalidKind = Literal[
    "missing-required",
    "wrong-type",
    "below-minimum",
    "above-maximum",
    "not-in-enum",
    "unknown-field",
]
#: Every kind of break a NEGATIVE step makes, in the order they are listed.
KINDS: Final[tuple[InvalidKind, ...]] = (
    "missing-required",
    "wrong-type",
    "below-minimum",
    "above-maximum",
    "not-in-enum",
    "unknown-field",
)
_PARAM_ORDER: Final = ("query", "path", "header")
_NOT_IN_ENUM: Final = "chapi-not-in-enum"
_UNKNOWN_FIELD: Final = "chapi_unknown_field"


@dataclass(frozen=True)
class Invalid:
    """One deliberately invalid input for a NEGATIVE step.

    Attributes:
        kind: one of :data:`KINDS`.
        where: ``body``, or the parameter location (``query``, ``path``, ``header``).
        target: the field or parameter name (empty for the whole body).
        description: a short human-readable statement of what is broken.
        value: the broken body, or the broken parameter value (:data:`MISSING`
            when the parameter is left out).
    """

    kind: InvalidKind
    where: str
    target: str
    description: str
    value: Any


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _date(rng: random.Random) -> _dt.date:
    return _dt.date(2024, 1, 1) + _dt.timedelta(days=rng.randint(0, 364))


_FORMATS: dict[str, Callable[[random.Random], str]] = {
    "uuid": _uuid,
    "email": lambda r: f"user{r.randint(1, 999)}@example.com",
    "idn-email": lambda r: f"user{r.randint(1, 999)}@example.com",
    "date": lambda r: _date(r).isoformat(),
    "date-time": lambda r: (
        f"{_date(r).isoformat()}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z"
    ),
    "time": lambda r: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z",
    "duration": lambda r: f"P{r.randint(1, 30)}D",
    "uri": lambda r: f"https://example.com/item/{r.randint(1, 999)}",
    "url": lambda r: f"https://example.com/item/{r.randint(1, 999)}",
    "iri": lambda r: f"https://example.com/item/{r.randint(1, 999)}",
    "uri-reference": lambda r: f"/item/{r.randint(1, 999)}",
    "uri-template": lambda r: "https://example.com/item/{id}",
    "hostname": lambda r: f"host{r.randint(1, 99)}.example.com",
    "idn-hostname": lambda r: f"host{r.randint(1, 99)}.example.com",
    "ipv4": lambda r: f"192.0.2.{r.randint(1, 254)}",
    "ipv6": lambda r: f"2001:db8::{r.randint(1, 0xFFFF):x}",
    "byte": lambda r: "Y2hhcGk=",
    "binary": lambda r: "chapi",
    "password": lambda r: f"Chapi-pass-{r.randint(100, 999)}",
    "int32": lambda r: str(r.randint(1, 1000)),
    "int64": lambda r: str(r.randint(1, 1000)),
    "json-pointer": lambda r: "/chapi",
    "regex": lambda r: "^chapi$",
}

_WRONG_TYPE: dict[str, Any] = {
    "string": 12345,
    "integer": "not-a-number",
    "number": "not-a-number",
    "boolean": "not-a-boolean",
    "array": "not-an-array",
    "object": "not-an-object",
}


def _jsonable(value: Any) -> Any:
    """Make an example JSON-safe (YAML may give dates, bytes or tuples)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def schema_type(schema: JsonSchema) -> str | None:
    """The schema's single type (the first non-null one of a 3.1 type list), inferred if absent."""
    raw = schema.get("type")
    if isinstance(raw, list):
        raw = next((t for t in raw if t != "null"), None)
    if isinstance(raw, str):
        return raw
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
        return "string"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf")):
        return "number"
    return None


class Synthesizer:
    """Produces request values for one API, from a seed.

    Args:
        api: the API whose ``$ref``s are followed.
        seed: a string the random choices derive from (the operation key and
            a purpose, usually).
    """

    def __init__(self, api: ApiModel, seed: str) -> None:
        self.api = api
        self.rng = rng_for(seed)

    # -- public ---------------------------------------------------------------

    def parameter_value(self, param: Parameter) -> Any:
        """A valid value for ``param``: its example, else one from its schema."""
        if param.has_example and param.example is not None:
            return _jsonable(param.example)
        value = self.value(param.schema_)
        return "chapi" if value is None else value

    def has_spec_value(self, param: Parameter) -> bool:
        """True when the description itself gives a value (example, default, enum, const)."""
        if param.has_example and param.example is not None:
            return True
        resolved = self.flatten(param.schema_)
        return any(k in resolved for k in ("example", "default", "const")) or bool(
            resolved.get("enum") or resolved.get("examples")
        )

    def body_value(self, media: MediaSchema) -> Any:
        """A valid request body for ``media``: its example, else one from its schema."""
        if media.has_example and media.example is not None:
            return _jsonable(media.example)
        value = self.value(media.schema_)
        return {} if value is None else value

    def value(self, schema: JsonSchema | None, *, request: bool = True) -> Any:
        """A value valid against ``schema`` (``None`` when nothing can be produced).

        Args:
            schema: a JSON Schema, possibly a ``$ref``.
            request: leave ``readOnly`` properties out (``False``: leave
                ``writeOnly`` ones out, as a response would).
        """
        produced = self._gen(schema or {}, (), 0, request)
        return None if produced is _OMIT else _jsonable(produced)

    def flatten(
        self, schema: JsonSchema | None, _seen: tuple[str, ...] = ()
    ) -> JsonSchema:
        """``schema`` with top-level ``$ref`` followed and ``allOf`` merged into one object schema."""
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if ref in _seen:
                return {}
            _seen = (*_seen, ref)
        resolved = self.api.resolve(schema)
        parts = resolved.get("allOf")
        if not isinstance(parts, list) or len(_seen) > MAX_DEPTH:
            return resolved
        merged: JsonSchema = {k: v for k, v in resolved.items() if k != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties") or {})
        required: list[str] = list(merged.get("required") or [])
        for part in parts:
            flat = self.flatten(part, _seen) if isinstance(part, dict) else {}
            for name, prop in (flat.get("properties") or {}).items():
                properties.setdefault(name, prop)
            required.extend(r for r in flat.get("required") or [] if r not in required)
            for key, val in flat.items():
                if key not in ("properties", "required"):
                    merged.setdefault(key, val)
        if properties:
            merged["properties"] = properties
            merged.setdefault("type", "object")
        if required:
            merged["required"] = required
        return merged

    def invalid_bodies(self, schema: JsonSchema | None, valid: Any) -> list[Invalid]:
        """Bodies that break ``schema``, at most one per kind of break.

        For an object body, in this order where the schema allows it: a
        required field left out, a field of the wrong type, a field below its
        minimum (value, length) and one above its maximum, a field outside its
        enum, and an unknown extra field when ``additionalProperties`` is
        explicitly ``false``. Each kind takes the first field it applies to,
        required fields first. A body that is not an object gets a wrong-type
        variant only.
        """
        flat = self.flatten(schema)
        kind = schema_type(flat)
        if kind != "object" or not isinstance(valid, dict):
            if kind in _WRONG_TYPE and kind not in ("string",):
                wrong = (
                    {"chapi": "not-an-array"} if kind == "array" else _WRONG_TYPE[kind]
                )
                return [Invalid("wrong-type", "body", "", f"body is not {kind}", wrong)]
            return []
        props: dict[str, Any] = flat.get("properties") or {}
        required = [r for r in flat.get("required") or [] if isinstance(r, str)]
        found: dict[str, Invalid] = {}

        for name in required:
            if name in valid:
                broken = {k: v for k, v in valid.items() if k != name}
                found["missing-required"] = Invalid(
                    "missing-required",
                    "body",
                    name,
                    f"required field {name!r} missing",
                    broken,
                )
                break

        order = required + [n for n in props if n not in required]
        for name in order:
            prop = self.flatten(props.get(name))
            if prop.get("readOnly"):
                continue
            ptype = schema_type(prop)
            if ptype in _WRONG_TYPE:
                found.setdefault(
                    "wrong-type",
                    Invalid(
                        "wrong-type",
                        "body",
                        name,
                        f"field {name!r} is not {ptype}",
                        {**valid, name: _WRONG_TYPE[ptype]},
                    ),
                )
            for brk, bad, what in _breaks(prop):
                found.setdefault(
                    brk,
                    Invalid(
                        brk,
                        "body",
                        name,
                        f"field {name!r} {what}",
                        {**valid, name: bad},
                    ),
                )

        if flat.get("additionalProperties") is False:
            extra = _UNKNOWN_FIELD
            while extra in props or extra in valid:
                extra += "_x"
            found["unknown-field"] = Invalid(
                "unknown-field",
                "body",
                extra,
                f"unknown field {extra!r} (additionalProperties is false)",
                {**valid, extra: "chapi"},
            )
        return [found[k] for k in KINDS if k in found]

    def invalid_parameters(self, params: tuple[Parameter, ...]) -> list[Invalid]:
        """Parameter values that break the schema, at most one per kind of break.

        Query, path and header parameters are considered, query first: a
        required query or header parameter left out, a wrong type (for
        integer, number and boolean parameters), a value below the minimum
        and one above the maximum, and a value outside the enum. A break
        that would leave a path or header value empty is skipped (the
        request would mean something else, not something invalid). Callers
        pass only the parameters a request actually sends.
        """
        found: dict[str, Invalid] = {}
        candidates = sorted(
            (p for p in params if p.location in _PARAM_ORDER),
            key=lambda p: _PARAM_ORDER.index(p.location),
        )
        for p in candidates:
            if p.required and p.location in ("query", "header"):
                found.setdefault(
                    "missing-required",
                    Invalid(
                        "missing-required",
                        p.location,
                        p.name,
                        f"required {p.location} parameter {p.name!r} missing",
                        MISSING,
                    ),
                )
        for p in candidates:
            schema = self.flatten(p.schema_)
            ptype = schema_type(schema)
            label = f"{p.location} parameter {p.name!r}"
            if ptype in ("integer", "number", "boolean"):
                found.setdefault(
                    "wrong-type",
                    Invalid(
                        "wrong-type",
                        p.location,
                        p.name,
                        f"{label} is not {ptype}",
                        _WRONG_TYPE[ptype],
                    ),
                )
            for brk, bad, what in _breaks(schema):
                if p.location != "query" and bad in ("", []):
                    continue
                found.setdefault(
                    brk, Invalid(brk, p.location, p.name, f"{label} {what}", bad)
                )
        return [found[k] for k in KINDS if k in found]

    # -- generation -----------------------------------------------------------

    def _gen(
        self, schema: Any, stack: tuple[str, ...], depth: int, request: bool
    ) -> Any:
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return _OMIT
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if stack.count(ref) >= 2:
                return _OMIT
            stack = (*stack, ref)
        s = self.flatten(schema)
        cyclic = len(stack) != len(set(stack))

        for key in ("const", "example", "default"):
            if key in s and s[key] is not None:
                return s[key]
        examples = s.get("examples")
        if isinstance(examples, list) and examples:
            return examples[0]
        enum = s.get("enum")
        if isinstance(enum, list) and enum:
            return next((v for v in enum if v is not None), enum[0])

        for combinator in ("oneOf", "anyOf"):
            branches = s.get(combinator)
            if isinstance(branches, list) and branches:
                return self._branch(s, branches, stack, depth, request)

        kind = schema_type(s)
        if kind == "object":
            value = self._object(
                s,
                stack,
                depth,
                request,
                required_only=cyclic or depth >= OPTIONAL_DEPTH,
            )
            self._set_discriminator(s, ref, value)
            return value
        if kind == "array":
            return self._array(
                s, stack, depth, request, minimal=cyclic or depth >= OPTIONAL_DEPTH
            )
        if kind == "string":
            return self._string(s)
        if kind == "integer":
            return self._integer(s)
        if kind == "number":
            return self._number(s)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return "chapi"

    def _branch(
        self,
        s: JsonSchema,
        branches: list[Any],
        stack: tuple[str, ...],
        depth: int,
        request: bool,
    ) -> Any:
        for branch in branches:
            flat = self.flatten(branch) if isinstance(branch, dict) else {}
            if flat.get("type") == "null":
                continue
            value = self._gen(branch, stack, depth + 1, request)
            if value is _OMIT:
                continue
            disc = s.get("discriminator")
            if isinstance(disc, dict) and isinstance(value, dict):
                prop = disc.get("propertyName")
                if isinstance(prop, str):
                    value[prop] = _discriminator_value(disc, branch)
            return value
        return _OMIT

    def _set_discriminator(self, s: JsonSchema, ref: Any, value: Any) -> None:
        disc = s.get("discriminator")
        if not (
            isinstance(disc, dict) and isinstance(ref, str) and isinstance(value, dict)
        ):
            return
        prop = disc.get("propertyName")
        if isinstance(prop, str) and "oneOf" not in s and "anyOf" not in s:
            value[prop] = _discriminator_value(disc, {"$ref": ref})

    def _object(
        self,
        s: JsonSchema,
        stack: tuple[str, ...],
        depth: int,
        request: bool,
        *,
        required_only: bool,
    ) -> dict[str, Any]:
        props = s.get("properties")
        props = props if isinstance(props, dict) else {}
        required = set(r for r in s.get("required") or [] if isinstance(r, str))
        out: dict[str, Any] = {}
        for name, prop in props.items():
            if name not in required and required_only:
                continue
            raw = prop if isinstance(prop, dict) else {}
            resolved = self.api.resolve(raw)
            hidden = "readOnly" if request else "writeOnly"
            if raw.get(hidden) or resolved.get(hidden):
                continue
            value = self._gen(raw, stack, depth + 1, request)
            if value is not _OMIT:
                out[str(name)] = value
        extra = s.get("additionalProperties")
        if not props and isinstance(extra, dict) and extra and not required_only:
            value = self._gen(extra, stack, depth + 1, request)
            if value is not _OMIT:
                out["key1"] = value
        return out

    def _array(
        self,
        s: JsonSchema,
        stack: tuple[str, ...],
        depth: int,
        request: bool,
        *,
        minimal: bool,
    ) -> list[Any]:
        low = int(s.get("minItems") or 0)
        high = s.get("maxItems")
        count = low if minimal else max(low, 1)
        if isinstance(high, int):
            count = min(count, high)
        prefix = s.get("prefixItems")
        items = s.get("items")
        out: list[Any] = []
        for i in range(count):
            sub = prefix[i] if isinstance(prefix, list) and i < len(prefix) else items
            value = self._gen(
                sub if isinstance(sub, dict) else {}, stack, depth + 1, request
            )
            if value is not _OMIT:
                out.append(value)
        return out

    def _string(self, s: JsonSchema) -> str:
        fmt = s.get("format")
        low = int(s.get("minLength") or 0)
        high = s.get("maxLength")
        high = int(high) if isinstance(high, int | float) else None
        pattern = s.get("pattern")
        if isinstance(fmt, str) and fmt in _FORMATS:
            return _FORMATS[fmt](self.rng)
        if isinstance(pattern, str):
            found = sample(pattern, self.rng, max_length=high)
            if found is not None and len(found) >= low:
                return found
            logger.debug("no sample for pattern %r; using a plain word", pattern)
        text = f"chapi-{self.rng.getrandbits(24):06x}"
        if len(text) < low:
            text += "x" * (low - len(text))
        if high is not None and len(text) > high:
            text = text[:high]
        return text

    def _integer(self, s: JsonSchema) -> int:
        low, high = _bounds(s, step=1)
        lo = math.ceil(low) if low is not None else None
        hi = math.floor(high) if high is not None else None
        if lo is None and hi is None:
            value = self.rng.randint(1, 1000)
        elif lo is None:
            assert hi is not None
            value = min(hi, self.rng.randint(1, 1000))
        elif hi is None:
            value = lo + self.rng.randint(0, 10)
        else:
            value = self.rng.randint(lo, hi) if lo <= hi else lo
        multiple = s.get("multipleOf")
        if isinstance(multiple, int) and multiple > 0:
            value = math.ceil(value / multiple) * multiple
            if hi is not None and value > hi:
                value -= multiple
        return value

    def _number(self, s: JsonSchema) -> float | int:
        low, high = _bounds(s, step=0)
        multiple = s.get("multipleOf")
        if low is not None and high is not None:
            value: float = (low + high) / 2
        elif low is not None:
            value = low + 1.5
        elif high is not None:
            value = high - 1.5
        else:
            value = round(self.rng.uniform(1, 100), 2)
        if isinstance(multiple, int | float) and multiple > 0:
            steps = math.ceil(value / multiple)
            value = steps * multiple
            if high is not None and value > high:
                value -= multiple
            if float(value).is_integer():
                return int(value)
        return value


def _bounds(s: JsonSchema, *, step: int) -> tuple[float | None, float | None]:
    """Inclusive bounds, with 3.0 boolean and 3.1 numeric exclusive bounds applied."""
    low = s.get("minimum")
    high = s.get("maximum")
    low = low if isinstance(low, int | float) and not isinstance(low, bool) else None
    high = (
        high if isinstance(high, int | float) and not isinstance(high, bool) else None
    )
    ex_low = s.get("exclusiveMinimum")
    ex_high = s.get("exclusiveMaximum")
    nudge = step or 0.5
    if ex_low is True and low is not None:
        low += nudge
    elif isinstance(ex_low, int | float) and not isinstance(ex_low, bool):
        low = ex_low + nudge
    if ex_high is True and high is not None:
        high -= nudge
    elif isinstance(ex_high, int | float) and not isinstance(ex_high, bool):
        high = ex_high - nudge
    return low, high


def _breaks(s: JsonSchema) -> list[tuple[BreakKind, Any, str]]:
    """Values just outside ``s``'s enum, bounds, lengths or item counts, with a phrase for each.

    At most one value per kind (``below-minimum``, ``above-maximum``,
    ``not-in-enum``); nothing for an unconstrained schema.
    """
    kind = schema_type(s)
    enum = s.get("enum")
    if isinstance(enum, list) and enum:
        if all(isinstance(v, str) for v in enum):
            bad = _NOT_IN_ENUM
            while bad in enum:
                bad += "-x"
            return [("not-in-enum", bad, "outside its enum")]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in enum):
            return [("not-in-enum", max(enum) + 1, "outside its enum")]
        return []
    found: list[tuple[BreakKind, Any, str]] = []
    if kind in ("integer", "number"):
        low, high = _bounds(s, step=1 if kind == "integer" else 0)
        if low is not None:
            below = math.floor(low) - 1 if kind == "integer" else low - 1
            found.append(("below-minimum", below, "below its minimum"))
        if high is not None:
            above = math.ceil(high) + 1 if kind == "integer" else high + 1
            found.append(("above-maximum", above, "above its maximum"))
    elif kind == "string":
        low = s.get("minLength")
        if isinstance(low, int) and 0 < low <= 10_000:
            found.append(
                ("below-minimum", "x" * (low - 1), "shorter than its minLength")
            )
        high = s.get("maxLength")
        if isinstance(high, int) and 0 <= high < 10_000:
            found.append(
                ("above-maximum", "x" * (high + 1), "longer than its maxLength")
            )
    elif kind == "array":
        high = s.get("maxItems")
        if isinstance(high, int) and 0 <= high < 1000:
            found.append(
                ("above-maximum", ["chapi"] * (high + 1), "above its maxItems")
            )
    return found


def _discriminator_value(disc: dict[str, Any], branch: Any) -> str:
    ref = branch.get("$ref") if isinstance(branch, dict) else None
    mapping = disc.get("mapping")
    if isinstance(mapping, dict) and isinstance(ref, str):
        for key, target in mapping.items():
            if target == ref or (
                isinstance(target, str) and ref.endswith("/" + target)
            ):
                return str(key)
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    return "chapi"
