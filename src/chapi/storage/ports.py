"""Storage ports: one repository protocol per aggregate, and the unit of work.

Services depend on these protocols only. :mod:`chapi.storage.sql` implements
them over SQLAlchemy Core for SQLite and PostgreSQL.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

from ..domain import (
    ApiSpec,
    Artifact,
    Conversation,
    Endpoint,
    EndpointDiscovery,
    Environment,
    GitHubIntegration,
    Message,
    PackStatus,
    Policy,
    Project,
    Run,
    RunPack,
)

__all__ = [
    "ConversationRepository",
    "DiscoveryRepository",
    "IntegrationRepository",
    "PackRepository",
    "PolicyRepository",
    "ProjectRepository",
    "RunRepository",
    "SpecRepository",
    "Storage",
    "UnitOfWork",
]


class ProjectRepository(Protocol):
    """Projects with their environments."""

    def add(self, project: Project) -> None:
        """Store a new project and its environments."""

    def get(self, project_id: uuid.UUID) -> Project:
        """Load a project; raises ``NotFoundError``."""

    def find_by_name(self, name: str) -> Project | None:
        """The project with this name, if any."""

    def list(self) -> builtins.list[Project]:
        """Every project, by name."""

    def update(self, project: Project) -> None:
        """Save the project row and sync its environments (added, changed, removed)."""

    def delete(self, project_id: uuid.UUID) -> None:
        """Delete a project and everything it owns; raises ``NotFoundError``."""

    def get_environment(self, env_id: uuid.UUID) -> Environment:
        """Load one environment; raises ``NotFoundError``."""

    def all_environments(self) -> builtins.list[Environment]:
        """Every environment of every project (for key rotation)."""

    def save_environment_secrets(self, env: Environment) -> None:
        """Rewrite one environment's sealed secrets."""


class SpecRepository(Protocol):
    """Imported API descriptions and their catalog rows."""

    def add(self, spec: ApiSpec, endpoints: Sequence[Endpoint]) -> None:
        """Store a spec and all its catalog rows."""

    def get(self, spec_id: uuid.UUID) -> ApiSpec:
        """Load a spec with its document; raises ``NotFoundError``."""

    def find_version(self, project_id: uuid.UUID, version: str) -> ApiSpec | None:
        """The spec of this version, if imported."""

    def latest(self, project_id: uuid.UUID) -> ApiSpec | None:
        """The newest imported spec of a project."""

    def list(self, project_id: uuid.UUID) -> builtins.list[ApiSpec]:
        """A project's specs, newest first."""

    def delete(self, spec_id: uuid.UUID) -> None:
        """Delete a spec and its catalog rows."""

    def endpoints(self, spec_id: uuid.UUID) -> builtins.list[Endpoint]:
        """The catalog rows of one spec, in import order."""


class ConversationRepository(Protocol):
    """Conversations with their messages."""

    def add(self, conversation: Conversation) -> None:
        """Store a new conversation (and any messages it already has)."""

    def get(self, conversation_id: uuid.UUID) -> Conversation:
        """Load a conversation with its messages; raises ``NotFoundError``."""

    def list(self, project_id: uuid.UUID) -> builtins.list[Conversation]:
        """A project's conversations, newest first, without messages."""

    def add_message(self, message: Message) -> None:
        """Append one message and touch the conversation's ``updated_at``."""

    def update_message(self, message: Message) -> None:
        """Rewrite a message's card (runs fill in ``run`` cards later)."""

    def delete(self, conversation_id: uuid.UUID) -> None:
        """Delete a conversation and its messages."""


class PackRepository(Protocol):
    """RunPacks with files, inputs and validations."""

    def add(self, pack: RunPack) -> None:
        """Store a new pack with its files, inputs and validations."""

    def get(self, pack_id: uuid.UUID) -> RunPack:
        """Load a whole pack; raises ``NotFoundError``."""

    def find_cached(self, project_id: uuid.UUID, inputs_hash: str) -> RunPack | None:
        """The newest finalized pack built from these inputs, if any."""

    def list(
        self, project_id: uuid.UUID, *, status: PackStatus | None = None
    ) -> builtins.list[RunPack]:
        """A project's packs, newest first, without file contents."""

    def update(self, pack: RunPack) -> None:
        """Save the pack's status fields and replace its validations."""

    def delete(self, pack_id: uuid.UUID) -> None:
        """Delete a pack (runs keep their history; their link is cleared)."""


class RunRepository(Protocol):
    """Runs with their artifacts."""

    def add(self, run: Run) -> None:
        """Store a new run (normally queued)."""

    def get(self, run_id: uuid.UUID, *, with_artifacts: bool = True) -> Run:
        """Load a run; raises ``NotFoundError``."""

    def list(
        self, project_id: uuid.UUID, *, limit: int | None = None
    ) -> builtins.list[Run]:
        """A project's runs, newest first, without artifacts."""

    def list_for_pack(self, pack_id: uuid.UUID) -> builtins.list[Run]:
        """The runs of one pack, newest first, without artifacts."""

    def update(self, run: Run) -> None:
        """Save status, summary and ``completed_at``."""

    def add_artifacts(self, artifacts: Sequence[Artifact]) -> None:
        """Store artifacts of a run."""


class PolicyRepository(Protocol):
    """Project policies."""

    def add(self, policy: Policy) -> None:
        """Store a policy."""

    def list(self, project_id: uuid.UUID) -> builtins.list[Policy]:
        """A project's policies, oldest first."""

    def delete(self, policy_id: uuid.UUID) -> None:
        """Delete a policy; raises ``NotFoundError``."""


class IntegrationRepository(Protocol):
    """GitHub integrations."""

    def add(self, integration: GitHubIntegration) -> None:
        """Store an integration."""

    def list(self, project_id: uuid.UUID) -> builtins.list[GitHubIntegration]:
        """A project's integrations."""

    def delete(self, integration_id: uuid.UUID) -> None:
        """Delete an integration; raises ``NotFoundError``."""


class DiscoveryRepository(Protocol):
    """Endpoints discovered in source code."""

    def add(self, item: EndpointDiscovery) -> None:
        """Store a discovered endpoint."""

    def list(self, project_id: uuid.UUID) -> builtins.list[EndpointDiscovery]:
        """A project's discovered endpoints, oldest first."""

    def update(self, item: EndpointDiscovery) -> None:
        """Save a discovered endpoint's review status."""


class UnitOfWork(Protocol):
    """A transaction: changes are kept only when :meth:`commit` is called.

    Leaving the ``with`` block without committing, or with an exception,
    rolls everything back.
    """

    projects: ProjectRepository
    specs: SpecRepository
    conversations: ConversationRepository
    packs: PackRepository
    runs: RunRepository
    policies: PolicyRepository
    integrations: IntegrationRepository
    discoveries: DiscoveryRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Keep every change made in this unit of work."""

    def rollback(self) -> None:
        """Discard every change not yet committed."""


class Storage(Protocol):
    """A database chapi can open units of work on."""

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work (use it in a ``with`` block)."""

    def migrate(self) -> None:
        """Apply any pending schema migrations."""

    def close(self) -> None:
        """Release connections."""
