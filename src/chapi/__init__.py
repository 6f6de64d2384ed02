"""chapi: AI-assisted API testing from OpenAPI descriptions.

Import OpenAPI documents, ask in plain words for tests, get a RunPack of
reviewable test files checked by guardrail rules, run it against an
environment, and keep the history.

    >>> from chapi import Chapi
    >>> chapi = Chapi()            # SQLite under ./.chapi/, no server
"""

from .domain import (
    ApiSpec,
    Artifact,
    CardType,
    Conversation,
    DiscoveryStatus,
    Endpoint,
    EndpointDiscovery,
    Environment,
    FileRole,
    GitHubIntegration,
    HttpMethod,
    Message,
    MessageRole,
    PackMode,
    PackStatus,
    Policy,
    Project,
    Run,
    RunPack,
    RunPackFile,
    RunPackInputs,
    RunPackValidation,
    RunStatus,
    SpecWarning,
)
from .errors import (
    ChapiError,
    ConfigurationError,
    ConflictError,
    GenerationError,
    InvalidStateError,
    LLMError,
    MissingDependencyError,
    NotFoundError,
    PackValidationError,
    RunError,
    SecretError,
    SpecError,
    SpecLoadError,
    SpecValidationError,
    StorageError,
    ValidationError,
)
from .facade import Chapi
from .generation.llm import LLMConfig

__version__ = "0.1.0"

__all__ = [
    "ApiSpec",
    "Artifact",
    "CardType",
    "Chapi",
    "ChapiError",
    "ConfigurationError",
    "ConflictError",
    "Conversation",
    "DiscoveryStatus",
    "Endpoint",
    "EndpointDiscovery",
    "Environment",
    "FileRole",
    "GenerationError",
    "GitHubIntegration",
    "HttpMethod",
    "InvalidStateError",
    "LLMConfig",
    "LLMError",
    "Message",
    "MessageRole",
    "MissingDependencyError",
    "NotFoundError",
    "PackMode",
    "PackStatus",
    "PackValidationError",
    "Policy",
    "Project",
    "Run",
    "RunError",
    "RunPack",
    "RunPackFile",
    "RunPackInputs",
    "RunPackValidation",
    "RunStatus",
    "SecretError",
    "SpecError",
    "SpecLoadError",
    "SpecValidationError",
    "SpecWarning",
    "StorageError",
    "ValidationError",
    "__version__",
]
