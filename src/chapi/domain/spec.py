"""API descriptions, their endpoint catalog, and endpoints discovered in code."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ._base import Entity, UtcDatetime, utc_now
from .enums import DiscoveryStatus, HttpMethod

__all__ = ["ApiSpec", "Endpoint", "EndpointDiscovery", "SpecWarning"]


class SpecWarning(BaseModel):
    """One validation finding kept with an imported spec."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    location: str
    message: str


class ApiSpec(Entity):
    """One imported version of a project's OpenAPI document."""

    project_id: uuid.UUID
    version: str = Field(min_length=1)
    raw_json: dict[str, Any]
    source_url: str | None = None
    warnings: list[SpecWarning] = Field(default_factory=list)
    created_at: UtcDatetime = Field(default_factory=utc_now)

    @property
    def openapi_version(self) -> str:
        """The document's ``openapi`` or ``swagger`` field, such as ``"3.1.0"``."""
        return str(self.raw_json.get("openapi") or self.raw_json.get("swagger") or "")


class Endpoint(Entity):
    """A normalized catalog row: one operation of a spec.

    ``req_content`` is a media type or ``-``; ``success_content`` is
    ``code:media-type`` (``204:-`` when the success response has no body).
    """

    project_id: uuid.UUID
    spec_id: uuid.UUID
    method: HttpMethod
    path: str
    summary: str
    auth: str
    req_content: str
    success_content: str
    operation_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: UtcDatetime = Field(default_factory=utc_now)

    @property
    def key(self) -> str:
        """``METHOD path``, the endpoint's name across spec versions."""
        return f"{self.method.value} {self.path}"


class EndpointDiscovery(Entity):
    """An endpoint found in source code, waiting for review."""

    project_id: uuid.UUID
    code_snippet: str
    detected_path: str
    detected_method: HttpMethod
    status: DiscoveryStatus = DiscoveryStatus.CANDIDATE
    created_at: UtcDatetime = Field(default_factory=utc_now)
