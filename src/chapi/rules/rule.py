"""The rule contract: the files a rule sees, the context it gets, and its base class."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

from ..domain import PackMode
from .finding import Finding, Severity

if TYPE_CHECKING:
    from ..domain import RunPack
    from ..specs.model import ApiModel

__all__ = [
    "FileKind",
    "PackFile",
    "Rule",
    "RuleContext",
    "RuleLike",
    "RuleSettings",
    "file_kind",
]

FileKind = Literal["json-ir", "bash", "text", "other"]


def file_kind(path: str) -> FileKind:
    """What a file is, judged by its extension.

    ``.json`` is json-ir, ``.sh`` and ``.bash`` are bash-curl scripts,
    ``.md`` and ``.txt`` are text (read-me files); anything else is ``other``.
    """
    lowered = path.lower()
    if lowered.endswith(".json"):
        return "json-ir"
    if lowered.endswith((".sh", ".bash")):
        return "bash"
    if lowered.endswith((".md", ".txt")):
        return "text"
    return "other"


@dataclass(frozen=True)
class PackFile:
    """One file handed to the rules: its pack-relative path, content and role."""

    path: str
    content: str
    role: str = "SMOKE"

    @property
    def kind(self) -> FileKind:
        """The file's kind from its extension (see :func:`file_kind`)."""
        return file_kind(self.path)


@dataclass(frozen=True)
class RuleSettings:
    """How a policy tuned one rule: switched on or off, or a severity override.

    ``severity`` replaces the severity of the rule's ``error`` and ``warning``
    findings; ``info`` findings and crash reports keep theirs.
    """

    enabled: bool = True
    severity: Severity | None = None


@dataclass(frozen=True)
class RuleContext:
    """What rules know about the pack besides the files.

    Attributes:
        mode: the pack's mode (``json-ir``, ``bash-curl`` or ``hybrid``).
        allowed_ops: methods (``"GET"``) or operations (``"GET /pets"``) the
            pack may call; empty means no restriction was recorded.
        env: the name of the environment the pack is validated for.
        secrets: the environment's secrets by name, in plaintext. They are
            only compared against file contents and never appear in a
            finding, a log line or a repr.
        file_roles: role by file path, for files whose role is known
            elsewhere (the pack inputs).
        api: the API model, when the pack's spec is known; rules use it for
            secured operations and response schemas.
        settings: effective per-rule settings by rule name.
    """

    mode: PackMode = PackMode.HYBRID
    allowed_ops: tuple[str, ...] = ()
    env: str = "local"
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    file_roles: Mapping[str, str] = field(default_factory=dict)
    api: ApiModel | None = field(default=None, repr=False)
    settings: Mapping[str, RuleSettings] = field(default_factory=dict)

    def role_of(self, file: PackFile) -> str:
        """The file's role: the pack inputs' record wins over the file's own."""
        return self.file_roles.get(file.path, file.role).upper()

    def setting(self, rule: str) -> RuleSettings:
        """The effective settings of ``rule`` (defaults when no policy tuned it)."""
        return self.settings.get(rule, RuleSettings())

    @classmethod
    def from_pack(
        cls,
        pack: RunPack,
        *,
        secrets: Mapping[str, str] | None = None,
        api: ApiModel | None = None,
        env: str | None = None,
    ) -> RuleContext:
        """Build a context from a stored pack and its inputs.

        Args:
            pack: the pack; its mode and inputs (allowed operations,
                environment name, file roles) are read.
            secrets: the plaintext secrets of the environment validated for.
            api: the API model of the pack's spec, if known.
            env: overrides the environment name recorded in the inputs.
        """
        inputs = pack.inputs
        return cls(
            mode=pack.mode,
            allowed_ops=tuple(inputs.allowed_ops) if inputs else (),
            env=env or (inputs.env if inputs else "local"),
            secrets=dict(secrets or {}),
            file_roles=dict(inputs.file_roles_json) if inputs else {},
            api=api,
        )


@runtime_checkable
class RuleLike(Protocol):
    """What the engine needs from a rule; :class:`Rule` is the usual base."""

    @property
    def name(self) -> str:
        """The rule's unique name."""
        ...

    def applies_to(self, file: PackFile) -> bool:
        """True when the rule has something to say about ``file``."""
        ...

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        """The findings about one file."""
        ...


class Rule:
    """Base class of validation rules.

    A subclass sets :attr:`name` (unique across the registry), narrows
    :meth:`applies_to` and implements :meth:`check`. Rules that judge the
    pack as a whole also override :meth:`check_pack`; their findings use
    the file path ``"*"``. A rule returns findings and never raises on
    purpose: the engine turns an exception into an ``error`` finding.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    kinds: ClassVar[frozenset[FileKind]] = frozenset(
        {"json-ir", "bash", "text", "other"}
    )

    def applies_to(self, file: PackFile) -> bool:
        """True when the file's kind is one of :attr:`kinds`."""
        return file.kind in self.kinds

    def check(self, file: PackFile, context: RuleContext) -> Iterable[Finding]:
        """The findings about one file (none by default)."""
        return ()

    def check_pack(
        self, files: Sequence[PackFile], context: RuleContext
    ) -> Iterable[Finding] | None:
        """Findings about the pack as a whole; ``None`` when the rule has no pack check."""
        return None

    def finding(
        self,
        file: PackFile | str,
        message: str,
        *,
        severity: Severity = "error",
        line: int | None = None,
        **details: Any,
    ) -> Finding:
        """A finding of this rule about ``file`` (a file or a path)."""
        path = file if isinstance(file, str) else file.path
        return Finding(
            rule=self.name,
            file=path,
            message=message,
            severity=severity,
            line=line,
            details=details,
        )

    def __repr__(self) -> str:
        return f"<rule {self.name}>"
