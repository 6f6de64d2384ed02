"""Storage: the ports services depend on and the SQL adapter that implements them."""

from .ports import (
    ConversationRepository,
    DiscoveryRepository,
    IntegrationRepository,
    PackRepository,
    PolicyRepository,
    ProjectRepository,
    RunRepository,
    SpecRepository,
    Storage,
    UnitOfWork,
)
from .sql import SqlStorage, SqlUnitOfWork

__all__ = [
    "ConversationRepository",
    "DiscoveryRepository",
    "IntegrationRepository",
    "PackRepository",
    "PolicyRepository",
    "ProjectRepository",
    "RunRepository",
    "SpecRepository",
    "SqlStorage",
    "SqlUnitOfWork",
    "Storage",
    "UnitOfWork",
]
