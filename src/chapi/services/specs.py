"""Importing API descriptions, and reading the endpoint catalog."""

from __future__ import annotations

import builtins
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from ..catalog import SearchIndex
from ..catalog.context import endpoints_context
from ..domain import ApiSpec, Endpoint
from ..errors import ConflictError, NotFoundError
from ..generation.provenance import spec_hash
from ..specs import ApiModel, Limits, prepare_import, to_api_model
from ..storage import Storage, UnitOfWork
from ._common import Clock, Id, as_uuid

__all__ = ["SearchResult", "SpecService"]

logger = logging.getLogger(__name__)

V = TypeVar("V")


class SearchResult(BaseModel):
    """A catalog row and how well it matched the query (higher is better)."""

    model_config = ConfigDict(frozen=True)

    endpoint: Endpoint
    score: float

    def __str__(self) -> str:
        return f"{self.score:6.2f}  {self.endpoint.key}  {self.endpoint.summary}"


class _Lru:
    """A small thread-safe cache keyed by spec id: parsed models and search indexes."""

    def __init__(self, size: int = 8) -> None:
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Any, build: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def drop(self, spec_id: uuid.UUID) -> None:
        with self._lock:
            for key in [k for k in self._items if k[0] == spec_id]:
                del self._items[key]


class SpecService:
    """Import OpenAPI documents into versioned specs and search their endpoints.

    Reached as ``chapi.specs``.
    """

    def __init__(
        self, storage: Storage, clock: Clock, *, limits: Limits | None = None
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._limits = limits
        self._cache = _Lru()

    def import_spec(
        self,
        project: Id,
        source: str | Path | dict[str, Any] | bytes,
        *,
        version: str | None = None,
        strict: bool = False,
        allow_remote: bool = False,
        replace: bool = False,
        base_dir: str | Path | None = None,
        limits: Limits | None = None,
    ) -> ApiSpec:
        """Import a description from a path, an http(s) URL, a dict, or JSON/YAML text.

        The spec and all its catalog rows are written in one transaction, or nothing is.

        Args:
            project: the project's id or name.
            source: where the document comes from.
            version: the version label; defaults to the document's ``info.version``.
            strict: refuse a document with any validation finding.
            allow_remote: follow ``http(s)`` references (never to internal addresses).
            replace: replace a stored spec of the same version instead of refusing.
            base_dir: where relative file references of a dict or text resolve.
            limits: size, YAML alias and node, depth and network bounds for this
                import; defaults to the service's (``chapi.specs.Limits()``).

        Raises:
            SpecLoadError: the document or a reference cannot be read or is refused.
            SpecValidationError: not an API description, or refused in strict mode.
            ConflictError: this version exists and ``replace`` is false.
        """
        prepared = prepare_import(
            source,
            strict=strict,
            allow_remote=allow_remote,
            version=version,
            base_dir=base_dir,
            limits=limits or self._limits,
        )
        now = self._clock()
        with self._storage.unit_of_work() as uow:
            owner = self._project_id(uow, project)
            spec = ApiSpec(
                project_id=owner,
                version=prepared.version,
                raw_json=prepared.document,
                source_url=prepared.source,
                warnings=prepared.warnings,
                created_at=now,
            )
            existing = uow.specs.find_version(owner, spec.version)
            if existing is not None:
                if not replace:
                    raise ConflictError(
                        f"version {spec.version!r} is already imported; "
                        "pass replace=True or another version"
                    )
                uow.specs.delete(existing.id)
            rows = [
                Endpoint(project_id=owner, spec_id=spec.id, created_at=now, **row)
                for row in prepared.rows
            ]
            uow.specs.add(spec, rows)
            uow.commit()
        if existing is not None:
            self._cache.drop(existing.id)
        self._cache.get((spec.id, "model"), lambda: prepared.model)
        logger.info(
            "imported spec %s version %s: %d endpoints, %d warnings",
            prepared.source or "document",
            spec.version,
            len(rows),
            len(spec.warnings),
        )
        return spec

    def list(self, project: Id) -> builtins.list[ApiSpec]:
        """A project's specs, newest first."""
        with self._storage.unit_of_work() as uow:
            return uow.specs.list(self._project_id(uow, project))

    def get(self, spec: Id) -> ApiSpec:
        """One spec by id, with its document."""
        with self._storage.unit_of_work() as uow:
            return uow.specs.get(as_uuid(spec, "spec"))

    def latest(self, project: Id) -> ApiSpec:
        """The newest spec of a project.

        Raises:
            NotFoundError: the project has no spec yet.
        """
        with self._storage.unit_of_work() as uow:
            owner = self._project_id(uow, project)
            found = uow.specs.latest(owner)
        if found is None:
            raise NotFoundError("spec of project", project)
        return found

    def delete(self, spec: Id) -> None:
        """Delete a spec and its catalog rows."""
        spec_id = as_uuid(spec, "spec")
        with self._storage.unit_of_work() as uow:
            uow.specs.delete(spec_id)
            uow.commit()
        self._cache.drop(spec_id)

    def endpoints(
        self, project: Id, *, spec: Id | None = None
    ) -> builtins.list[Endpoint]:
        """The catalog rows of a spec (the project's newest by default)."""
        return self._endpoints(self._spec_id(project, spec))

    def api_model(self, project: Id, *, spec: Id | None = None) -> ApiModel:
        """The parsed, version-neutral API of a spec (the newest by default)."""
        spec_id = self._spec_id(project, spec)
        return self._cache.get(
            (spec_id, "model"), lambda: to_api_model(self.get(spec_id).raw_json)
        )

    def document_hash(self, spec: Id) -> str:
        """``sha256:<hex>`` of a spec's stored document (cached)."""
        spec_id = as_uuid(spec, "spec")
        return self._cache.get(
            (spec_id, "hash"), lambda: spec_hash(self.get(spec_id).raw_json)
        )

    def search(
        self, project: Id, query: str, limit: int = 10, *, spec: Id | None = None
    ) -> builtins.list[SearchResult]:
        """Endpoints ranked by relevance to ``query``, best first."""
        spec_id = self._spec_id(project, spec)
        rows = self._endpoints(spec_id)
        index = self._index(spec_id, rows)
        return [
            SearchResult(endpoint=rows[h.index], score=h.score)
            for h in index.search(query, limit)
        ]

    def context(
        self,
        project: Id,
        query: str | None = None,
        max_chars: int = 4000,
        *,
        spec: Id | None = None,
    ) -> str:
        """The compact endpoints text an LLM receives, chosen by ``query``, within a budget."""
        spec_id = self._spec_id(project, spec)
        rows = self._endpoints(spec_id)
        return endpoints_context(
            rows, query, max_chars, index=self._index(spec_id, rows)
        )

    def _endpoints(self, spec_id: uuid.UUID) -> builtins.list[Endpoint]:
        def load() -> builtins.list[Endpoint]:
            with self._storage.unit_of_work() as uow:
                return uow.specs.endpoints(spec_id)

        return self._cache.get((spec_id, "rows"), load)

    def _index(self, spec_id: uuid.UUID, rows: builtins.list[Endpoint]) -> SearchIndex:
        return self._cache.get((spec_id, "index"), lambda: SearchIndex.build(rows))

    def _spec_id(self, project: Id, spec: Id | None) -> uuid.UUID:
        if spec is not None:
            return as_uuid(spec, "spec")
        return self.latest(project).id

    def _project_id(self, uow: UnitOfWork, project: Id) -> uuid.UUID:
        if isinstance(project, str):
            found = uow.projects.find_by_name(project)
            if found is not None:
                return found.id
        return uow.projects.get(as_uuid(project, "project")).id
