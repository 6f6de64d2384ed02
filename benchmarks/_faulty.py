"""A faulty variant of the demo pets API: the reference server plus one seeded defect.

``bench_quality`` measures how many realistic API bugs a generated test pack
finds. Each bug is a *mutant*: the demo API with exactly one defect, chosen
by name from :data:`MUTANTS`. Every variant serves the same OpenAPI
description as :mod:`chapi.demo`, so a tool has nothing to go on but that
description, exactly as against the shipped demo.

The variants reuse the shipped demo's request handler and store
(``chapi.demo.server``) and override only what a defect needs, so a mutant
differs from the real server by that defect and nothing else. Two more
changes apply to every variant, the *reference* included:

* a method the description does not declare for a path (``TRACE /pets``,
  ``QUERY /health``...) gets ``405`` with an ``Allow`` header; the shipped
  demo answers ``501`` for a method http.server has no handler for
  (anything but GET, POST, PUT, PATCH and DELETE);
* a blank query value (``GET /pets?status=``) is kept and rejected like any
  other invalid value; the shipped demo drops blank values (``parse_qs``'s
  default) and answers ``200``.

Both are defects of the shipped demo that Schemathesis reports; the
reference fixes them so that it conforms to its description and a tool's
failure on it is a genuine false positive. The benchmark also runs both
tools against the shipped demo and prints what they report there.

A defect that makes the server raise is answered ``500`` (as a web
framework's error handler would) instead of dropping the connection.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chapi.demo.server import DemoServer, PetStore, _Handler, _Server

__all__ = ["MUTANTS", "FaultyServer", "Mutant", "mutant_names"]

logger = logging.getLogger(__name__)

_STATUSES = ("available", "pending", "sold")
_PET_FIELDS = ("name", "tag", "status")
_DECLARED = {
    "/health": ("GET",),
    "/openapi.json": ("GET",),
    "/pets": ("GET", "POST"),
    "/pets/{petId}": ("GET", "PUT", "PATCH", "DELETE"),
}


@dataclass(frozen=True)
class Mutant:
    """One seeded defect.

    Attributes:
        name: the identifier passed to :class:`FaultyServer`.
        kind: the class of bug (auth, validation, state, contract).
        defect: what the faulty server does wrong, in one line.
    """

    name: str
    kind: str
    defect: str


MUTANTS: tuple[Mutant, ...] = (
    Mutant("no_auth_delete", "auth", "DELETE /pets/{petId} does not check the token"),
    Mutant("any_bearer", "auth", "any non-empty bearer token is accepted"),
    Mutant(
        "missing_name_500",
        "validation",
        "required body fields are not checked: POST/PUT without name answer 500",
    ),
    Mutant(
        "wrong_type_500",
        "validation",
        "name is stripped before validation: a non-string name answers 500",
    ),
    Mutant(
        "name_too_long",
        "validation",
        "name longer than maxLength 100 is accepted and stored",
    ),
    Mutant(
        "body_enum_unchecked",
        "validation",
        "a body status outside the enum is accepted and stored",
    ),
    Mutant(
        "extra_field_accepted",
        "validation",
        "unknown body properties are silently ignored (additionalProperties: false)",
    ),
    Mutant(
        "query_enum_unchecked",
        "validation",
        "GET /pets?status=<not in enum> lists every pet instead of answering 400",
    ),
    Mutant(
        "limit_clamped",
        "validation",
        "GET /pets?limit above the maximum 100 is clamped to 100 instead of 400",
    ),
    Mutant(
        "create_not_stored",
        "state",
        "POST answers 201 with the pet, but it is not stored (GET gives 404)",
    ),
    Mutant(
        "create_wrong_id",
        "state",
        "POST reports the next pet's id (and Location), not the created one's",
    ),
    Mutant("put_not_persisted", "state", "PUT answers the new pet but keeps the old"),
    Mutant(
        "patch_not_persisted",
        "state",
        "PATCH answers the changed pet but keeps the old",
    ),
    Mutant(
        "delete_not_deleting",
        "state",
        "DELETE answers 204 but the pet stays (GET after DELETE gives 200)",
    ),
    Mutant(
        "unknown_pet_500", "contract", "GET of a pet that does not exist answers 500"
    ),
    Mutant(
        "null_tag_omitted",
        "contract",
        "responses leave out the required tag property when it is null",
    ),
    Mutant("id_as_string", "contract", "responses give the pet id as a string"),
    Mutant("create_200", "contract", "POST /pets answers 200 instead of 201"),
    Mutant(
        "wrong_content_type",
        "contract",
        "pets responses are labelled text/plain instead of application/json",
    ),
)

_BY_NAME = {m.name: m for m in MUTANTS}


def mutant_names() -> list[str]:
    """The names of every mutant, in :data:`MUTANTS` order."""
    return [m.name for m in MUTANTS]


def _route(path: str) -> str | None:
    path = path.rstrip("/") or "/"
    if path in _DECLARED:
        return path
    if path.startswith("/pets/") and "/" not in path[len("/pets/") :]:
        return "/pets/{petId}"
    return None


def _is_pet(value: Any) -> bool:
    return isinstance(value, dict) and {"id", "name", "status"} <= value.keys()


class _FaultyStore(PetStore):
    """The demo store with the state defects; the others pass through."""

    def __init__(self, mutant: str | None) -> None:
        super().__init__()
        self.mutant = mutant

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        pet = super().create(data)
        if self.mutant == "create_not_stored":
            super().delete(pet["id"])
        elif self.mutant == "create_wrong_id":
            pet["id"] += 1
        return pet

    def get(self, pet_id: int) -> dict[str, Any] | None:
        pet = super().get(pet_id)
        if pet is None and self.mutant == "unknown_pet_500":
            raise KeyError(pet_id)
        return pet

    def replace(self, pet_id: int, data: dict[str, Any]) -> dict[str, Any] | None:
        if self.mutant != "put_not_persisted":
            return super().replace(pet_id, data)
        if super().get(pet_id) is None:
            return None
        return {
            "id": pet_id,
            "name": data["name"],
            "tag": data.get("tag"),
            "status": data.get("status", "available"),
        }

    def update(self, pet_id: int, data: dict[str, Any]) -> dict[str, Any] | None:
        if self.mutant != "patch_not_persisted":
            return super().update(pet_id, data)
        pet = super().get(pet_id)
        if pet is not None:
            pet.update(data)
        return pet

    def delete(self, pet_id: int) -> bool:
        if self.mutant == "delete_not_deleting":
            return super().get(pet_id) is not None
        return super().delete(pet_id)


class _FilteredValidator:
    """A body validator that forgets the errors a validation defect skips."""

    def __init__(self, inner: Any, mutant: str | None) -> None:
        self._inner = inner
        self._mutant = mutant

    def _skipped(self, error: Any) -> bool:
        where = tuple(error.absolute_path)
        return (
            (self._mutant == "missing_name_500" and error.validator == "required")
            or (
                self._mutant == "name_too_long"
                and error.validator == "maxLength"
                and where == ("name",)
            )
            or (self._mutant == "body_enum_unchecked" and error.validator == "enum")
            or (
                self._mutant == "extra_field_accepted"
                and error.validator == "additionalProperties"
            )
        )

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        return (e for e in self._inner.iter_errors(instance) if not self._skipped(e))


class _FaultyHandler(_Handler):
    server: _FaultyServer

    @property
    def _mutant(self) -> str | None:
        return self.server.mutant

    def _dispatch(self) -> None:
        route = _route(urlsplit(self.path).path)
        if route is not None and self.command not in _DECLARED[route]:
            self.server.count()
            if self._body() is None:
                self.close_connection = True
            allowed = ", ".join(_DECLARED[route])
            self._send(
                405,
                {"error": f"{self.command} is not allowed on {route}"},
                {"Allow": allowed},
            )
            return
        try:
            super()._dispatch()
        except Exception:
            logger.debug("faulty server: %s %s raised", self.command, self.path)
            self._error(500, "internal server error")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def __getattr__(self, name: str) -> Any:
        # http.server answers 501 for a method without a do_<METHOD>; route
        # every method (TRACE, HEAD, QUERY...) through _dispatch instead.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _authorized(self) -> bool:
        if self._mutant == "no_auth_delete" and self.command == "DELETE":
            return True
        if self._mutant == "any_bearer":
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            return scheme.lower() == "bearer" and bool(token.strip())
        return super()._authorized()

    def _json_body(self, raw: bytes, schema: str) -> dict[str, Any] | None:
        if self._mutant == "wrong_type_500":
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and "name" in parsed:
                parsed["name"].strip()  # raises for a non-string name
        data = super()._json_body(raw, schema)
        if data is not None and self._mutant == "extra_field_accepted":
            data = {k: v for k, v in data.items() if k in _PET_FIELDS}
        return data

    def _pets(self, method: str, query: dict[str, list[str]], raw: bytes) -> None:
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        if method == "GET":
            status = query.get("status", [None])[0]
            if self._mutant == "query_enum_unchecked" and status not in _STATUSES:
                query.pop("status", None)
            limit = query.get("limit", [""])[0]
            if self._mutant == "limit_clamped" and limit.isdigit() and int(limit) > 100:
                query["limit"] = ["100"]
        super()._pets(method, query, raw)

    def _send(
        self, status: int, payload: Any = None, extra: dict[str, str] | None = None
    ) -> None:
        mutant = self._mutant
        if mutant == "create_200" and self.command == "POST" and status == 201:
            status = 200
        if mutant in ("null_tag_omitted", "id_as_string"):
            pets = payload if isinstance(payload, list) else [payload]
            for pet in pets:
                if not _is_pet(pet):
                    continue
                if mutant == "null_tag_omitted" and pet.get("tag") is None:
                    pet.pop("tag", None)
                elif mutant == "id_as_string":
                    pet["id"] = str(pet["id"])
        super()._send(status, payload, extra)

    def send_header(self, keyword: str, value: str) -> None:
        if (
            self._mutant == "wrong_content_type"
            and keyword.lower() == "content-type"
            and urlsplit(self.path).path.startswith("/pets")
        ):
            value = "text/plain; charset=utf-8"
        super().send_header(keyword, value)


class _FaultyServer(_Server):
    def __init__(
        self, address: tuple[str, int], token: str, mutant: str | None
    ) -> None:
        super().__init__(address, token)
        self.RequestHandlerClass = _FaultyHandler
        self.mutant = mutant
        self.store = _FaultyStore(mutant)
        self.validators = {
            name: _FilteredValidator(validator, mutant)
            for name, validator in self.validators.items()
        }


class FaultyServer(DemoServer):
    """The demo pets API with at most one seeded defect, in a background thread.

    It runs like :class:`~chapi.demo.DemoServer` (``start``, ``stop``,
    ``base_url``, context manager)::

        with FaultyServer("delete_not_deleting", token="secret") as server:
            print(server.base_url)

    Args:
        mutant: a name from :data:`MUTANTS`, or ``None`` for the reference
            (the demo API with the two fixes described in the module).
        token: the bearer token every pets route requires.
        host: the address to listen on (loopback by default).
        port: the port; ``0`` picks a free one.

    Raises:
        ValueError: ``mutant`` is not a known name, or ``token`` is empty.
    """

    def __init__(
        self,
        mutant: str | None = None,
        *,
        token: str = "demo-token",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if mutant is not None and mutant not in _BY_NAME:
            raise ValueError(f"unknown mutant {mutant!r}; known: {mutant_names()}")
        if not token:
            raise ValueError("the faulty server needs a non-empty bearer token")
        # DemoServer.__init__ would bind its own server; set up the same two
        # attributes with the faulty one instead.
        self.mutant = _BY_NAME[mutant] if mutant else None
        self._server = _FaultyServer((host, port), token, mutant)
        self._thread = None
