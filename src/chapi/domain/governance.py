"""Project governance: policies and the GitHub integration."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from ._base import Entity, UtcDatetime, utc_now

__all__ = ["GitHubIntegration", "Policy"]


class Policy(Entity):
    """A project policy applied to every pack at validation time."""

    project_id: uuid.UUID
    type: str = Field(min_length=1)
    rules: dict[str, Any] = Field(default_factory=dict)
    created_at: UtcDatetime = Field(default_factory=utc_now)


class GitHubIntegration(Entity):
    """A link between a project and a GitHub App installation on one repository."""

    project_id: uuid.UUID
    installation_id: str = Field(min_length=1)
    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    created_at: UtcDatetime = Field(default_factory=utc_now)
