"""The exceptions chapi raises.

Every error chapi raises on purpose derives from :class:`ChapiError`, so a
caller can catch the whole family with one ``except``. Rule outcomes are not
errors: a guardrail finding is a value in a validation report.

The tree::

    ChapiError
    ├── ConfigurationError          settings missing or contradictory
    │   └── MissingDependencyError  an optional extra is not installed (also ImportError)
    ├── NotFoundError               an entity does not exist (also LookupError)
    ├── ConflictError               a uniqueness or state conflict (duplicate name, same version)
    ├── InvalidStateError           a domain invariant would break (run goes backwards, ...)
    ├── ValidationError             input that does not fit (carries ``problems``)
    │   ├── SpecError               an OpenAPI document cannot be loaded or used
    │   │   ├── SpecLoadError       unreadable, too large, bomb, bad encoding, bad reference
    │   │   └── SpecValidationError refused by validation (strict mode or not an API description)
    │   └── PackValidationError     a pack cannot be finalized while error findings stand
    ├── GenerationError             a generator could not produce a usable card
    │   └── LLMError                the LLM server failed, timed out or kept answering badly
    ├── SecretError                 secrets cannot be encrypted or decrypted (wrong key)
    ├── StorageError                the database failed in a way chapi cannot name better
    └── RunError                    a run could not be started or executed
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ChapiError",
    "ConfigurationError",
    "ConflictError",
    "GenerationError",
    "InvalidStateError",
    "LLMError",
    "MissingDependencyError",
    "NotFoundError",
    "PackValidationError",
    "RunError",
    "SecretError",
    "SpecError",
    "SpecLoadError",
    "SpecValidationError",
    "StorageError",
    "ValidationError",
]


class ChapiError(Exception):
    """Root of every error chapi raises on purpose."""


class ConfigurationError(ChapiError):
    """Settings are missing, malformed or contradict each other."""


class MissingDependencyError(ConfigurationError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


class NotFoundError(ChapiError, LookupError):
    """An entity looked up by id or name does not exist.

    Attributes:
        entity: the kind of entity, such as ``"project"``.
        key: the id or name that was looked up.
    """

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key!s} not found")
        self.entity = entity
        self.key = key


class ConflictError(ChapiError):
    """The change would duplicate something unique or clash with stored state."""


class InvalidStateError(ChapiError):
    """A domain invariant forbids this change (for example a run going backwards)."""


class ValidationError(ChapiError, ValueError):
    """Input does not fit what chapi expects.

    Attributes:
        problems: one human-readable line per problem found, possibly empty.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        self.problems: list[str] = list(problems)
        text = message
        if self.problems:
            shown = "\n".join(f"  - {p}" for p in self.problems[:50])
            more = len(self.problems) - 50
            text = f"{message}\n{shown}" + (
                f"\n  ... and {more} more" if more > 0 else ""
            )
        super().__init__(text)


class SpecError(ValidationError):
    """An OpenAPI document cannot be loaded or used."""


class SpecLoadError(SpecError):
    """A document is unreadable, too large, hostile, or has a refused reference."""


class SpecValidationError(SpecError):
    """A document was refused by validation."""


class PackValidationError(ValidationError):
    """A RunPack cannot be finalized while error findings stand."""


class GenerationError(ChapiError):
    """A generator could not produce a usable card."""


class LLMError(GenerationError):
    """The LLM server failed, timed out, or kept answering with unusable output."""


class SecretError(ChapiError):
    """Secrets cannot be encrypted or decrypted, usually because of a wrong key."""


class StorageError(ChapiError):
    """The database failed in a way chapi has no better name for."""


class RunError(ChapiError):
    """A run could not be started or executed."""
