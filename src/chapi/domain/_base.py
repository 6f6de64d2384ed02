"""Shared pieces of the domain models: the base class, ids and UTC timestamps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must carry a time zone (chapi stores UTC)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A timezone-aware datetime, normalized to UTC; naive values are refused."""


def utc_now() -> datetime:
    """The current time in UTC, the default clock."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A new random (version 4) UUID, as the reference schema asks."""
    return uuid.uuid4()


class Entity(BaseModel):
    """Base of every stored entity: an id, validated assignment, no extra fields."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    id: uuid.UUID = Field(default_factory=new_id)
