"""Projects and their environments, with secrets sealed at rest."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable, Mapping

from ..domain import Environment, Project
from ..errors import ConflictError, NotFoundError
from ..security import KeyProvider, open_secrets, seal_secrets
from ..storage import Storage, UnitOfWork
from ._common import Clock, Id, as_uuid

__all__ = ["ProjectService"]

logger = logging.getLogger(__name__)


class ProjectService:
    """Create, read, change and delete projects and environments.

    Reached as ``chapi.projects``.
    """

    def __init__(self, storage: Storage, keys: KeyProvider, clock: Clock) -> None:
        self._storage = storage
        self._keys = keys
        self._clock = clock

    def create(self, name: str, *, description: str | None = None) -> Project:
        """Create a project; its name must be unique.

        Raises:
            ConflictError: a project with this name exists.
        """
        now = self._clock()
        project = Project(
            name=name, description=description, created_at=now, updated_at=now
        )
        with self._storage.unit_of_work() as uow:
            if uow.projects.find_by_name(project.name) is not None:
                raise ConflictError(f"a project named {project.name!r} already exists")
            uow.projects.add(project)
            uow.commit()
        logger.info("created project %s (%s)", project.name, project.id)
        return project

    def get(self, project: Id) -> Project:
        """A project by id or name, with its environments."""
        with self._storage.unit_of_work() as uow:
            return self._find(uow, project)

    def list(self) -> builtins.list[Project]:
        """Every project, by name."""
        with self._storage.unit_of_work() as uow:
            return uow.projects.list()

    def update(
        self, project: Id, *, name: str | None = None, description: str | None = None
    ) -> Project:
        """Rename a project or change its description."""
        with self._storage.unit_of_work() as uow:
            found = self._find(uow, project)
            if name is not None and name != found.name:
                if uow.projects.find_by_name(name) is not None:
                    raise ConflictError(f"a project named {name!r} already exists")
                found.name = name
            if description is not None:
                found.description = description
            found.updated_at = self._clock()
            uow.projects.update(found)
            uow.commit()
        return found

    def delete(self, project: Id) -> None:
        """Delete a project and everything it owns (specs, packs, runs, ...)."""
        with self._storage.unit_of_work() as uow:
            found = self._find(uow, project)
            uow.projects.delete(found.id)
            uow.commit()
        logger.info("deleted project %s (%s)", found.name, found.id)

    def add_environment(
        self,
        project: Id,
        name: str,
        *,
        base_url: str,
        secrets: Mapping[str, str] | None = None,
    ) -> Environment:
        """Add an environment; each secret value is encrypted before it is stored.

        Raises:
            ConflictError: the project already has an environment with this name.
        """
        now = self._clock()
        with self._storage.unit_of_work() as uow:
            found = self._find(uow, project)
            env = Environment(
                project_id=found.id,
                name=name,
                base_url=base_url,
                secrets=seal_secrets(self._keys, secrets or {}),
                created_at=now,
                updated_at=now,
            )
            if found.environment(env.name) is not None:
                raise ConflictError(
                    f"project {found.name!r} already has an environment named {env.name!r}"
                )
            found.environments.append(env)
            uow.projects.update(found)
            uow.commit()
        logger.info("added environment %s to project %s", env.name, found.name)
        return env

    def environment(self, env: Id, *, project: Id | None = None) -> Environment:
        """An environment by id, or by name within ``project``."""
        with self._storage.unit_of_work() as uow:
            return self._environment(uow, env, project)

    def update_environment(
        self,
        env: Id,
        *,
        project: Id | None = None,
        base_url: str | None = None,
        secrets: Mapping[str, str] | None = None,
        remove_secrets: Iterable[str] = (),
    ) -> Environment:
        """Change an environment's base URL, set secrets, or remove some by name."""
        with self._storage.unit_of_work() as uow:
            found = self._environment(uow, env, project)
            owner = uow.projects.get(found.project_id)
            target = next(e for e in owner.environments if e.id == found.id)
            if base_url is not None:
                target.base_url = base_url
            merged = dict(target.secrets)
            merged.update(seal_secrets(self._keys, secrets or {}))
            for name in remove_secrets:
                merged.pop(name, None)
            target.secrets = merged
            target.updated_at = self._clock()
            uow.projects.update(owner)
            uow.commit()
        return target

    def remove_environment(self, env: Id, *, project: Id | None = None) -> None:
        """Delete an environment.

        Raises:
            ConflictError: runs used it; their history would lose its environment.
        """
        with self._storage.unit_of_work() as uow:
            found = self._environment(uow, env, project)
            owner = uow.projects.get(found.project_id)
            owner.environments = [e for e in owner.environments if e.id != found.id]
            try:
                uow.projects.update(owner)
            except ConflictError:
                raise ConflictError(
                    f"environment {found.name!r} is used by runs and cannot be deleted"
                ) from None
            uow.commit()

    def reveal_secrets(self, env: Id, *, project: Id | None = None) -> dict[str, str]:
        """Decrypt an environment's secrets. Only callers that send them should ask."""
        found = self.environment(env, project=project)
        return open_secrets(self._keys, found.secrets)

    def rotate_secret_key(self, new_keys: KeyProvider) -> int:
        """Re-encrypt every stored secret with ``new_keys``, in one transaction.

        Returns:
            How many environments were rewritten.
        """
        count = 0
        with self._storage.unit_of_work() as uow:
            for env in uow.projects.all_environments():
                if not env.secrets:
                    continue
                plain = open_secrets(self._keys, env.secrets)
                env.secrets = seal_secrets(new_keys, plain)
                uow.projects.save_environment_secrets(env)
                count += 1
            uow.commit()
        self._keys = new_keys
        logger.info("re-encrypted the secrets of %d environments with a new key", count)
        return count

    def _find(self, uow: UnitOfWork, project: Id) -> Project:
        if isinstance(project, str):
            by_name = uow.projects.find_by_name(project)
            if by_name is not None:
                return by_name
        try:
            return uow.projects.get(as_uuid(project, "project"))
        except NotFoundError:
            raise NotFoundError("project", project) from None

    def _environment(self, uow: UnitOfWork, env: Id, project: Id | None) -> Environment:
        if project is not None:
            owner = self._find(uow, project)
            found = owner.environment(env if isinstance(env, str) else str(env))
            if found is None:
                raise NotFoundError("environment", env)
            return found
        return uow.projects.get_environment(as_uuid(env, "environment"))
