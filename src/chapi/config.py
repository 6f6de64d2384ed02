"""Settings: from arguments first, then environment variables, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]

ENV_DATABASE_URL = "CHAPI_DATABASE_URL"
ENV_HOME = "CHAPI_HOME"
ENV_SECRET_KEY = "CHAPI_SECRET_KEY"


@dataclass(frozen=True)
class Settings:
    """Where chapi keeps its data and how it seals secrets.

    Attributes:
        database_url: a SQLAlchemy URL; ``None`` means SQLite under ``home``.
        home: chapi's folder for the embedded database and key file.
        secret_key: a Fernet key; ``None`` means the key file under ``home``.
    """

    database_url: str | None
    home: Path
    secret_key: str | None

    @classmethod
    def resolve(
        cls,
        database_url: str | None = None,
        *,
        home: str | os.PathLike[str] | None = None,
        secret_key: str | None = None,
    ) -> Settings:
        """Combine arguments with ``CHAPI_DATABASE_URL``, ``CHAPI_HOME`` and ``CHAPI_SECRET_KEY``."""
        env = os.environ
        chosen_home = home if home is not None else env.get(ENV_HOME) or ".chapi"
        return cls(
            database_url=database_url or env.get(ENV_DATABASE_URL) or None,
            home=Path(chosen_home).expanduser(),
            secret_key=secret_key or env.get(ENV_SECRET_KEY) or None,
        )

    @property
    def effective_database_url(self) -> str:
        """The URL chapi connects to."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'chapi.db').resolve()}"

    def __repr__(self) -> str:
        key = "***" if self.secret_key else None
        return (
            f"Settings(database_url={self.shown_database_url!r},"
            f" home={str(self.home)!r}, secret_key={key})"
        )

    @property
    def shown_database_url(self) -> str:
        """The database URL with any password replaced by ``***``."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(self.effective_database_url).render_as_string(
                hide_password=True
            )
        except ArgumentError:
            return "<unparsable database URL>"
