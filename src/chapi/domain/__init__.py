"""chapi's domain model: pydantic entities and their invariants, with no I/O.

Aggregates: :class:`Project` (with :class:`Environment`), :class:`Conversation`
(with :class:`Message`), :class:`RunPack` (with files, inputs, validations) and
:class:`Run` (with :class:`Artifact`). Specs, catalog rows, policies, GitHub
integrations and discovered endpoints stand on their own.
"""

from ._base import Entity, UtcDatetime, new_id, utc_now
from .conversation import Conversation, Message
from .enums import (
    CardType,
    DiscoveryStatus,
    FileRole,
    HttpMethod,
    MessageRole,
    PackMode,
    PackStatus,
    RunStatus,
)
from .governance import GitHubIntegration, Policy
from .pack import FORCED_RULE, RunPack, RunPackFile, RunPackInputs, RunPackValidation
from .project import Environment, Project
from .run import Artifact, Run
from .secrets import MASK, SealedSecret
from .spec import ApiSpec, Endpoint, EndpointDiscovery, SpecWarning

__all__ = [
    "FORCED_RULE",
    "MASK",
    "ApiSpec",
    "Artifact",
    "CardType",
    "Conversation",
    "DiscoveryStatus",
    "Endpoint",
    "EndpointDiscovery",
    "Entity",
    "Environment",
    "FileRole",
    "GitHubIntegration",
    "HttpMethod",
    "Message",
    "MessageRole",
    "PackMode",
    "PackStatus",
    "Policy",
    "Project",
    "Run",
    "RunPack",
    "RunPackFile",
    "RunPackInputs",
    "RunPackValidation",
    "RunStatus",
    "SealedSecret",
    "SpecWarning",
    "UtcDatetime",
    "new_id",
    "utc_now",
]
