"""Helpers shared by the services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from ..errors import NotFoundError
from ..storage.ports import Storage

Clock = Callable[[], datetime]
"""A function returning the current UTC time; injectable for tests."""

Id = uuid.UUID | str
"""Ids are accepted as UUIDs or their text."""


def as_uuid(value: Id, entity: str) -> uuid.UUID:
    """``value`` as a UUID; malformed text is reported as a missing ``entity``."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFoundError(entity, value) from None


def resolve_project(storage: Storage, project: Id) -> uuid.UUID:
    """The id of a project given by id or by name.

    Raises:
        NotFoundError: no such project.
    """
    with storage.unit_of_work() as uow:
        if isinstance(project, str):
            found = uow.projects.find_by_name(project)
            if found is not None:
                return found.id
        try:
            return uow.projects.get(as_uuid(project, "project")).id
        except NotFoundError:
            raise NotFoundError("project", project) from None
