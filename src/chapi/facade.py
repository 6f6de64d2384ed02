"""The :class:`Chapi` facade: the one object most users touch."""

from __future__ import annotations

import logging
import os
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Literal

from .config import Settings
from .domain import utc_now
from .generation.llm import LLMConfig, LLMGenerator
from .security import (
    KEY_FILE_NAME,
    FernetKeyProvider,
    KeyProvider,
    generate_key,
    load_or_create_key_file,
)
from .services._common import Clock
from .services.chat import ChatService
from .services.packs import PackService
from .services.policies import PolicyService
from .services.projects import ProjectService
from .services.runs import RunService
from .services.specs import SpecService
from .storage import SqlStorage, Storage

__all__ = ["Chapi"]

logger = logging.getLogger(__name__)


class Chapi:
    """chapi's entry point: services composed over one storage and one configuration.

    Args:
        database_url: a SQLAlchemy URL. ``None`` reads ``CHAPI_DATABASE_URL``,
            else uses SQLite at ``<home>/chapi.db`` (no server needed).
        home: chapi's folder (default ``CHAPI_HOME`` or ``./.chapi``).
        secret_key: the Fernet key sealing environment secrets (default
            ``CHAPI_SECRET_KEY``, else a key file under ``home`` created with
            mode 600).
        key_provider: seals and opens secrets instead of a Fernet key (a KMS).
        storage: a ready storage, instead of ``database_url``.
        clock: returns the current UTC time (for tests).
        llm: the LLM that generates packs: an :class:`LLMConfig`, ``"env"``
            (the default: :meth:`LLMConfig.from_env`, which reads
            ``OPENAI_*`` / ``AZURE_OPENAI_*`` variables and gives ``None``
            when no model is set), or ``None`` for the offline planner.

    Nothing touches the database or the file system until a service is used.

    Example:
        >>> chapi = Chapi("sqlite://")
        >>> chapi.projects.create("petstore").name
        'petstore'
    """

    def __init__(
        self,
        database_url: str | None = None,
        *,
        home: str | os.PathLike[str] | None = None,
        secret_key: str | None = None,
        key_provider: KeyProvider | None = None,
        storage: Storage | None = None,
        clock: Clock | None = None,
        llm: LLMConfig | Literal["env"] | None = "env",
    ) -> None:
        self.settings = Settings.resolve(database_url, home=home, secret_key=secret_key)
        self._storage = storage
        self._key_provider = key_provider
        self._clock: Clock = clock or utc_now
        self._llm_config = LLMConfig.from_env() if llm == "env" else llm
        self._llm: LLMGenerator | None = None

    @property
    def storage(self) -> Storage:
        """The storage every service uses (created on first use)."""
        if self._storage is None:
            url = self.settings.effective_database_url
            if self.settings.database_url is None:
                self.settings.home.mkdir(parents=True, exist_ok=True)
            self._storage = SqlStorage(url)
        return self._storage

    @property
    def keys(self) -> KeyProvider:
        """The key provider sealing environment secrets."""
        if self._key_provider is None:
            key = self.settings.secret_key or load_or_create_key_file(
                self.settings.home
            )
            self._key_provider = FernetKeyProvider(key)
        return self._key_provider

    @cached_property
    def projects(self) -> ProjectService:
        """Projects and environments."""
        return ProjectService(self.storage, self.keys, self._clock)

    @cached_property
    def specs(self) -> SpecService:
        """API descriptions and the endpoint catalog."""
        return SpecService(self.storage, self._clock)

    @property
    def llm(self) -> LLMConfig | None:
        """The LLM configuration packs are generated with (``None``: offline planner)."""
        return self._llm_config

    @cached_property
    def packs(self) -> PackService:
        """RunPacks: generate, create, validate, finalize, export."""
        if self._llm_config is not None and self._llm is None:
            self._llm = LLMGenerator(self._llm_config)
        return PackService(
            self.storage, self.specs, self.projects, self._clock, llm=self._llm
        )

    @cached_property
    def chat(self) -> ChatService:
        """Conversations whose questions generate packs."""
        return ChatService(self.storage, self.packs, self._clock)

    @cached_property
    def policies(self) -> PolicyService:
        """Project policies applied when packs are validated."""
        return PolicyService(self.storage, self._clock)

    @cached_property
    def runs(self) -> RunService:
        """Running packs and the run history."""
        return RunService(self.storage, self.packs, self.projects, self._clock)

    def migrate(self) -> None:
        """Apply pending database migrations now (they also run on first use)."""
        self.storage.migrate()

    def rotate_secret_key(self, new_key: str | KeyProvider | None = None) -> int:
        """Re-encrypt every stored secret with a new key.

        Args:
            new_key: a Fernet key or a key provider; ``None`` generates a key.
                When chapi uses its key file (no ``CHAPI_SECRET_KEY``), the
                file is replaced after the database is rewritten.

        Returns:
            How many environments were rewritten.
        """
        provider = new_key if isinstance(new_key, KeyProvider) else None
        key_text = None
        if provider is None:
            key_text = new_key if isinstance(new_key, str) else generate_key()
            provider = FernetKeyProvider(key_text)
        count = self.projects.rotate_secret_key(provider)
        self._key_provider = provider
        if key_text is not None and self.settings.secret_key is None:
            _replace_key_file(self.settings.home, key_text)
        return count

    def close(self) -> None:
        """Release database connections and the LLM client."""
        if self._llm is not None:
            self._llm.close()
        if self._storage is not None:
            self._storage.close()

    def __enter__(self) -> Chapi:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._storage is not None:
            return f"Chapi({self._storage!r})"
        return f"Chapi({self.settings.shown_database_url!r})"


def _replace_key_file(home: Path, key: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        os.replace(tmp, home / KEY_FILE_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
