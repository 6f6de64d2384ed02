"""Helpers shared by the services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from ..errors import NotFoundError

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
