"""The rule registry: the built-in rules plus those other packages add.

A package adds rules through the ``chapi.rules`` entry-point group; each
entry point names a rule class (instantiated without arguments) or a rule
instance::

    [project.entry-points."chapi.rules"]
    NoTodo = "my_package.rules:NoTodo"
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from ..errors import ConflictError, ValidationError
from .builtin import BUILTIN_RULES
from .rule import RuleLike

__all__ = ["ENTRY_POINT_GROUP", "LoadError", "Registry", "default_registry"]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "chapi.rules"
"""The entry-point group rule plugins register under."""


@dataclass(frozen=True)
class LoadError:
    """A plugin rule that could not be loaded; validation reports it as an error."""

    name: str
    message: str


class Registry:
    """An ordered set of rules, unique by name.

    Args:
        rules: the rules to start with (instances).
    """

    def __init__(self, rules: Iterable[RuleLike] = ()) -> None:
        self._rules: dict[str, RuleLike] = {}
        self.load_errors: list[LoadError] = []
        for rule in rules:
            self.register(rule)

    @classmethod
    def builtins(cls) -> Registry:
        """A registry holding only the built-in rules."""
        return cls(rule() for rule in BUILTIN_RULES)

    def register(self, rule: RuleLike) -> None:
        """Add a rule.

        Raises:
            ValidationError: the object does not look like a rule.
            ConflictError: a rule with the same name is already registered.
        """
        if not isinstance(rule, RuleLike) or not isinstance(
            getattr(rule, "name", None), str
        ):
            raise ValidationError(
                f"{rule!r} is not a rule (needs name, applies_to and check)"
            )
        if not rule.name:
            raise ValidationError(f"rule {rule!r} has an empty name")
        if rule.name in self._rules:
            raise ConflictError(f"a rule named {rule.name!r} is already registered")
        self._rules[rule.name] = rule

    def load_entry_points(self, found: Iterable[EntryPoint] | None = None) -> None:
        """Load plugin rules from the ``chapi.rules`` entry points (or the ones given).

        A plugin that fails to load, is not a rule, or reuses a registered
        name is recorded in :attr:`load_errors` and logged, never raised.
        """
        points = entry_points(group=ENTRY_POINT_GROUP) if found is None else found
        for point in sorted(points, key=lambda p: p.name):
            try:
                loaded = point.load()
                rule = loaded() if isinstance(loaded, type) else loaded
                self.register(rule)
            except Exception as exc:  # a broken plugin must not break validation
                message = (
                    f"plugin rule {point.name!r} ({point.value}) could not be loaded: "
                )
                message += f"{type(exc).__name__}: {exc}"
                logger.warning("%s", message)
                self.load_errors.append(LoadError(name=point.name, message=message))

    def get(self, name: str) -> RuleLike | None:
        """The rule called ``name``, if registered."""
        return self._rules.get(name)

    def names(self) -> list[str]:
        """Registered rule names, in registration order."""
        return list(self._rules)

    def __iter__(self) -> Iterator[RuleLike]:
        return iter(list(self._rules.values()))

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, name: object) -> bool:
        return name in self._rules


def default_registry() -> Registry:
    """The built-in rules plus every installed plugin rule (freshly loaded)."""
    registry = Registry.builtins()
    registry.load_entry_points()
    return registry
