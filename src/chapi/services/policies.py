"""Project policies: rules every pack of a project is validated against."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from typing import Any

from ..domain import Policy
from ..rules import default_registry, parse_policy
from ..storage import Storage
from ._common import Clock, Id, as_uuid, resolve_project

__all__ = ["PolicyService"]

logger = logging.getLogger(__name__)


class PolicyService:
    """Add, list and remove a project's policies.

    Reached as ``chapi.policies``. Policy types: ``require-auth``,
    ``validate-json-schema`` and ``rule`` (enable, disable or re-rate any
    rule); see ``docs/rules.md``. Policies apply to every pack of their
    project each time it is validated.
    """

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self._storage = storage
        self._clock = clock

    def add(
        self, project: Id, type: str, rules: Mapping[str, Any] | None = None
    ) -> Policy:
        """Check and store a policy.

        Raises:
            NotFoundError: no such project.
            ValidationError: unknown type, or malformed rules (every problem
                listed).
        """
        known = [rule.name for rule in default_registry()]
        parse_policy(type, rules, known_rules=known)
        project_id = resolve_project(self._storage, project)
        policy = Policy(
            project_id=project_id,
            type=type,
            rules=dict(rules or {}),
            created_at=self._clock(),
        )
        with self._storage.unit_of_work() as uow:
            uow.policies.add(policy)
            uow.commit()
        logger.info("added policy %s to project %s", type, project_id)
        return policy

    def list(self, project: Id) -> builtins.list[Policy]:
        """A project's policies, oldest first (the order they apply in)."""
        project_id = resolve_project(self._storage, project)
        with self._storage.unit_of_work() as uow:
            return uow.policies.list(project_id)

    def delete(self, policy: Id) -> None:
        """Remove a policy.

        Raises:
            NotFoundError: no such policy.
        """
        policy_id = as_uuid(policy, "policy")
        with self._storage.unit_of_work() as uow:
            uow.policies.delete(policy_id)
            uow.commit()
