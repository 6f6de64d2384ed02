"""Encryption of environment secrets at rest.

Each secret value is encrypted on its own (Fernet: AES-128-CBC with an
HMAC-SHA256 tag), so the names stay listable while the values stay sealed.
A :class:`KeyProvider` does the sealing; the default one holds Fernet keys,
and a KMS can plug in by implementing the same two methods.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .domain import SealedSecret
from .errors import ConfigurationError, SecretError

__all__ = [
    "KEY_FILE_NAME",
    "FernetKeyProvider",
    "KeyProvider",
    "generate_key",
    "load_or_create_key_file",
    "open_secrets",
    "seal_secrets",
]

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"
"""The key file's name inside chapi's home folder."""


@runtime_checkable
class KeyProvider(Protocol):
    """Seals and opens secret values. Implement it to keep keys in a KMS."""

    def encrypt(self, plaintext: str) -> str:
        """Seal a value; the result is safe to store."""
        ...

    def decrypt(self, token: str) -> str:
        """Open a sealed value; raises ``SecretError`` when the key does not fit."""
        ...


def generate_key() -> str:
    """A new random Fernet key (URL-safe base64 text)."""
    return Fernet.generate_key().decode("ascii")


class FernetKeyProvider:
    """Fernet keys held in memory: the first seals, all of them open.

    Args:
        key: the current key (URL-safe base64 of 32 bytes).
        previous: older keys still accepted for opening, as during a rotation.
    """

    def __init__(self, key: str | bytes, previous: Sequence[str | bytes] = ()) -> None:
        try:
            self._current = Fernet(key)
            self._all = MultiFernet([self._current, *(Fernet(k) for k in previous)])
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "CHAPI_SECRET_KEY is not a valid key: expected 32 bytes of URL-safe base64 "
                "(make one with chapi.security.generate_key())"
            ) from exc

    def encrypt(self, plaintext: str) -> str:
        """Seal with the current key."""
        return self._current.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Open with any known key."""
        try:
            return self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise SecretError(
                "a stored secret cannot be decrypted with the configured key "
                "(was CHAPI_SECRET_KEY changed without rotating?)"
            ) from exc

    def __repr__(self) -> str:
        return "FernetKeyProvider(key=***)"


def load_or_create_key_file(home: Path) -> str:
    """The key in ``home/secret.key``, created readable by its owner only if missing.

    Raises:
        ConfigurationError: the file exists but others can read it, or it is empty.
    """
    path = home / KEY_FILE_NAME
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigurationError(
                f"{path} is readable by others (mode {mode:o}); run chmod 600 on it"
            ) from None
        key = path.read_text("ascii").strip()
        if not key:
            raise ConfigurationError(f"{path} is empty") from None
        return key
    key = generate_key()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    logger.info("created a new secret key file at %s", path)
    return key


def seal_secrets(
    provider: KeyProvider, values: Mapping[str, str]
) -> dict[str, SealedSecret]:
    """Encrypt each value of ``values``; names must be non-empty."""
    sealed = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name.strip():
            raise SecretError("secret names must be non-empty strings")
        if not isinstance(value, str):
            raise SecretError(f"secret {name!r} must be a string")
        sealed[name] = SealedSecret(provider.encrypt(value))
    return sealed


def open_secrets(
    provider: KeyProvider, sealed: Mapping[str, SealedSecret]
) -> dict[str, str]:
    """Decrypt every sealed value."""
    return {name: provider.decrypt(item.token) for name, item in sealed.items()}
