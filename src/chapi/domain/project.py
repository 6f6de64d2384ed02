"""The Project aggregate: a project and its environments."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from ._base import Entity, UtcDatetime, utc_now
from .secrets import MASK, SealedSecret

__all__ = ["Environment", "Project"]


def _check_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a name cannot be empty")
    if len(value) > 200:
        raise ValueError("a name is at most 200 characters")
    return value


class Environment(Entity):
    """Where a pack runs: a base URL and the encrypted secrets it needs.

    Secret values are sealed (encrypted) and print as ``***``; their names
    stay readable so a UI can list them.
    """

    project_id: uuid.UUID
    name: str
    base_url: str
    secrets: dict[str, SealedSecret] = Field(default_factory=dict)
    created_at: UtcDatetime = Field(default_factory=utc_now)
    updated_at: UtcDatetime = Field(default_factory=utc_now)

    _check_name = field_validator("name")(_check_name)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"base_url must be an http(s) URL with a host, not {value!r}"
            )
        return value.rstrip("/")

    @property
    def secret_names(self) -> list[str]:
        """The names of the stored secrets, sorted."""
        return sorted(self.secrets)

    def __str__(self) -> str:
        shown = ", ".join(f"{name}={MASK}" for name in self.secret_names)
        return f"Environment {self.name} ({self.base_url}) secrets: {shown or '-'}"


class Project(Entity):
    """The root of everything chapi stores: specs, packs and runs belong to one."""

    name: str
    description: str | None = None
    created_at: UtcDatetime = Field(default_factory=utc_now)
    updated_at: UtcDatetime = Field(default_factory=utc_now)
    environments: list[Environment] = Field(default_factory=list)

    _check_name = field_validator("name")(_check_name)

    def environment(self, name_or_id: str | uuid.UUID) -> Environment | None:
        """The environment with this name or id, if the project has one."""
        for env in self.environments:
            if str(env.id) == str(name_or_id) or env.name == name_or_id:
                return env
        return None
