"""The RunPack aggregate: generated files, their provenance and validations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, computed_field, field_validator

from ..errors import InvalidStateError
from ._base import Entity, UtcDatetime, utc_now
from .enums import PackMode, PackStatus

__all__ = [
    "FORCED_RULE",
    "RunPack",
    "RunPackFile",
    "RunPackInputs",
    "RunPackValidation",
]

FORCED_RULE = "ForcedFinalize"
"""The rule name of the validation row that records a forced finalization."""

_NEXT: dict[PackStatus, tuple[PackStatus, ...]] = {
    PackStatus.DRAFT: (PackStatus.FINALIZED, PackStatus.EXPIRED),
    PackStatus.FINALIZED: (PackStatus.EXPIRED,),
    PackStatus.EXPIRED: (),
}
_STATUSES = frozenset(s.value for s in PackStatus)


class RunPackFile(Entity):
    """One file of a pack, with the role it plays (AUTH, SMOKE, CRUD, ...)."""

    runpack_id: uuid.UUID
    path: str = Field(min_length=1)
    content: str
    role: str = Field(min_length=1)
    created_at: UtcDatetime = Field(default_factory=utc_now)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def size_bytes(self) -> int:
        """The UTF-8 size of the content."""
        return len(self.content.encode("utf-8"))


class RunPackInputs(Entity):
    """Everything a pack was generated from, so it can be rebuilt and audited."""

    runpack_id: uuid.UUID
    file_roles_json: dict[str, str] = Field(default_factory=dict)
    role_contexts_json: dict[str, str] = Field(default_factory=dict)
    endpoints_context: str = ""
    allowed_ops: list[str] = Field(default_factory=list)
    env: str = "local"
    selector_output_json: dict[str, Any] | None = None
    notes: str | None = None
    created_at: UtcDatetime = Field(default_factory=utc_now)

    @field_validator("allowed_ops")
    @classmethod
    def _upper_ops(cls, value: list[str]) -> list[str]:
        return [op.strip().upper() for op in value if op.strip()]


class RunPackValidation(Entity):
    """One rule's verdict on one file (``details`` holds the findings)."""

    runpack_id: uuid.UUID
    file_path: str
    rule: str
    passed: bool
    details: dict[str, Any] | None = None
    created_at: UtcDatetime = Field(default_factory=utc_now)


class RunPack(Entity):
    """A cacheable bundle of generated test files.

    Moves draft → finalized → expired (a draft may also expire) and never
    back. A pack with a failed validation cannot be finalized unless forced,
    and a forced finalization is recorded as a validation row with the reason.
    Both rules hold for plain assignment of ``status`` and for a pack built
    from stored values, not only for :meth:`finalize` and :meth:`expire`.
    """

    project_id: uuid.UUID
    conversation_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    mode: PackMode
    zip_url: str | None = None
    status: PackStatus = PackStatus.DRAFT
    generator_version: str | None = None
    card_hash: str | None = None
    inputs_hash: str | None = None
    created_at: UtcDatetime = Field(default_factory=utc_now)
    finalized_at: UtcDatetime | None = None
    files: list[RunPackFile] = Field(default_factory=list)
    inputs: RunPackInputs | None = None
    validations: list[RunPackValidation] = Field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        # checked before the value is set: a refused assignment changes nothing
        if name == "status" and isinstance(value, str) and value in _STATUSES:
            target = PackStatus(value)
            if target not in _NEXT[self.status]:
                raise InvalidStateError(
                    f"pack {self.id} cannot go from {self.status.value} to {target.value}"
                )
            _check_finalized(self.id, target, self.validations)
        elif name == "validations" and isinstance(value, list):
            _check_finalized(self.id, self.status, value)
        super().__setattr__(name, value)

    def model_post_init(self, context: Any, /) -> None:
        """Refuse a pack built as finalized despite unforced failed validations."""
        _check_finalized(self.id, self.status, self.validations)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def files_count(self) -> int:
        """How many files the pack holds."""
        return len(self.files)

    def file(self, path: str) -> RunPackFile | None:
        """The file at ``path``, if the pack has one."""
        return next((f for f in self.files if f.path == path), None)

    def add_file(
        self, path: str, content: str, role: str, *, now: datetime
    ) -> RunPackFile:
        """Add a file to a draft pack; paths are unique within a pack."""
        self._require_draft("add files to")
        if self.file(path) is not None:
            raise InvalidStateError(f"pack {self.id} already has a file at {path!r}")
        item = RunPackFile(
            runpack_id=self.id, path=path, content=content, role=role, created_at=now
        )
        self.files.append(item)
        return item

    @property
    def failed_validations(self) -> list[RunPackValidation]:
        """Validation rows that did not pass."""
        return [v for v in self.validations if not v.passed]

    def replace_validations(self, rows: list[RunPackValidation]) -> None:
        """Swap the pack's validation rows for a fresh set (a draft only)."""
        self._require_draft("revalidate")
        self.validations = list(rows)

    def finalize(
        self, *, now: datetime, force: bool = False, reason: str | None = None
    ) -> None:
        """Finalize a draft pack.

        Raises:
            InvalidStateError: the pack is not a draft, it has failed
                validations and ``force`` is false, or ``force`` has no reason.
        """
        self._require_draft("finalize")
        failed = self.failed_validations
        if failed and not force:
            names = sorted({f"{v.rule} on {v.file_path}" for v in failed})
            raise InvalidStateError(
                f"pack {self.id} has failed validations: {', '.join(names[:10])}"
            )
        if force:
            if not reason or not reason.strip():
                raise InvalidStateError("forcing finalization needs a reason")
            self.validations.append(
                RunPackValidation(
                    runpack_id=self.id,
                    file_path="*",
                    rule=FORCED_RULE,
                    passed=True,
                    details={
                        "reason": reason.strip(),
                        "overridden": sorted(
                            {f"{v.rule}:{v.file_path}" for v in failed}
                        ),
                    },
                    created_at=now,
                )
            )
        self.status = PackStatus.FINALIZED
        self.finalized_at = now

    def expire(self) -> None:
        """Retire a pack; an expired pack is never served from the cache."""
        if self.status is PackStatus.EXPIRED:
            raise InvalidStateError(f"pack {self.id} has already expired")
        self.status = PackStatus.EXPIRED

    def _require_draft(self, action: str) -> None:
        if self.status is not PackStatus.DRAFT:
            raise InvalidStateError(
                f"cannot {action} pack {self.id}: it is {self.status.value}, not draft"
            )


def _check_finalized(
    pack_id: uuid.UUID, status: PackStatus, validations: list[Any]
) -> None:
    """A finalized pack has no failed validation unless a forced finalization is recorded."""
    if status is not PackStatus.FINALIZED:
        return
    rows = [v for v in validations if isinstance(v, RunPackValidation)]
    if any(not v.passed for v in rows) and not any(v.rule == FORCED_RULE for v in rows):
        raise InvalidStateError(
            f"pack {pack_id} is finalized but has failed validations "
            "and no record of a forced finalization"
        )
