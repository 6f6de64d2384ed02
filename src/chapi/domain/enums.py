"""Closed value sets of the domain, stored as their string values."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CardType",
    "DiscoveryStatus",
    "FileRole",
    "HttpMethod",
    "MessageRole",
    "PackMode",
    "PackStatus",
    "RunStatus",
]


class RunStatus(StrEnum):
    """Where a run is in its life: queued → running → passed | failed."""

    QUEUED = "queued"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """True for the two final states."""
        return self in (RunStatus.PASSED, RunStatus.FAILED)


class PackStatus(StrEnum):
    """A RunPack's state: draft → finalized → expired."""

    DRAFT = "draft"
    FINALIZED = "finalized"
    EXPIRED = "expired"


class PackMode(StrEnum):
    """Which kinds of files a pack holds."""

    BASH_CURL = "bash-curl"
    JSON_IR = "json-ir"
    HYBRID = "hybrid"


class MessageRole(StrEnum):
    """Who wrote a chat message."""

    USER = "user"
    ASSISTANT = "assistant"


class CardType(StrEnum):
    """The structured card a message carries, if any."""

    NONE = "none"
    PLAN = "plan"
    DIFF = "diff"
    RUN = "run"


class FileRole(StrEnum):
    """What a generated test file checks."""

    SMOKE = "SMOKE"
    AUTH = "AUTH"
    CRUD = "CRUD"
    NEGATIVE = "NEGATIVE"


class DiscoveryStatus(StrEnum):
    """Review state of an endpoint found in source code."""

    CANDIDATE = "candidate"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class HttpMethod(StrEnum):
    """HTTP methods an OpenAPI operation can use."""

    GET = "GET"
    PUT = "PUT"
    POST = "POST"
    DELETE = "DELETE"
    OPTIONS = "OPTIONS"
    HEAD = "HEAD"
    PATCH = "PATCH"
    TRACE = "TRACE"

    @property
    def safe(self) -> bool:
        """True for methods that only read (RFC 9110 section 9.2.1)."""
        return self in (
            HttpMethod.GET,
            HttpMethod.HEAD,
            HttpMethod.OPTIONS,
            HttpMethod.TRACE,
        )
