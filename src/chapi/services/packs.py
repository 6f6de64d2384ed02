"""RunPacks: generating, creating, validating, finalizing and exporting them."""

from __future__ import annotations

import builtins
import logging
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain import (
    Conversation,
    PackMode,
    PackStatus,
    Policy,
    RunPack,
    RunPackFile,
    RunPackInputs,
)
from ..errors import ConflictError, NotFoundError, ValidationError
from ..generation.card import Card, CardFile, Plan
from ..generation.llm import LLMGenerator
from ..generation.planner import Mode
from ..rules import RuleContext, ValidationReport, validate_pack
from ..rules.builtin.safe_path import path_problems
from ..storage import Storage
from ._common import Clock, Id, as_uuid, resolve_project
from ._generator import Generated, GenerationInputs, prepare
from .projects import ProjectService
from .specs import SpecService

__all__ = ["GeneratedPack", "PackService"]

logger = logging.getLogger(__name__)

_MODES = ("json-ir", "bash-curl", "hybrid")


@dataclass(frozen=True)
class GeneratedPack:
    """The outcome of a generation: the pack, and how it came about.

    Attributes:
        pack: the stored pack (finalized when its validation passed).
        card: the card the generator answered with.
        cached: true when an earlier finalized pack with the same inputs
            hash was returned instead of generating anew.
        report: the validation report of a new pack (``None`` on a cache hit).
        generated: provenance and usage of a new pack (``None`` on a cache hit).
    """

    pack: RunPack
    card: Card
    cached: bool
    report: ValidationReport | None = None
    generated: Generated | None = None


class PackService:
    """Generate, create, validate, finalize and export RunPacks.

    Reached as ``chapi.packs``.
    """

    def __init__(
        self,
        storage: Storage,
        specs: SpecService,
        projects: ProjectService,
        clock: Clock,
        llm: LLMGenerator | None = None,
    ) -> None:
        self._storage = storage
        self._specs = specs
        self._projects = projects
        self._clock = clock
        self._llm = llm

    # -- generation ---------------------------------------------------------

    def generate(
        self,
        project: Id,
        request: str,
        *,
        mode: Mode = "json-ir",
        env: str = "local",
        allowed_ops: Iterable[str] | str | None = None,
        notes: str | None = None,
        spec: Id | None = None,
        finalize: bool = True,
    ) -> RunPack:
        """Generate a pack for ``request`` from the project's newest spec.

        With no LLM configured the offline planner answers; otherwise the
        LLM does. When a finalized pack was built from identical inputs
        (same request, mode, environment, allowed operations, notes, spec
        and generator) that pack is returned instead.

        A new pack is validated with the guardrail rules and the project's
        policies, and finalized when nothing failed (``finalize=False``
        keeps it a draft); a pack that fails validation stays a draft with
        its findings stored.

        Raises:
            NotFoundError: the project or its spec does not exist.
            GenerationError: nothing in the request can be tested.
            LLMError: the LLM failed or answered unusably.
        """
        return self.generate_detailed(
            project,
            request,
            mode=mode,
            env=env,
            allowed_ops=allowed_ops,
            notes=notes,
            spec=spec,
            finalize=finalize,
        ).pack

    def generate_detailed(
        self,
        project: Id,
        request: str,
        *,
        mode: Mode = "json-ir",
        env: str = "local",
        allowed_ops: Iterable[str] | str | None = None,
        notes: str | None = None,
        spec: Id | None = None,
        finalize: bool = True,
        conversation: Conversation | None = None,
        on_store: Any = None,
    ) -> GeneratedPack:
        """:meth:`generate`, returning the card, cache verdict and report too.

        ``conversation`` and ``on_store`` are used by the chat service: the
        pack is linked to the conversation, and ``on_store(uow, pack, card,
        cached, generated)`` runs in the same transaction that stores it and
        returns the id of the message the pack links to.
        """
        if not request or not request.strip():
            raise ValidationError("the request is empty")
        if mode not in _MODES:
            raise ValidationError(
                f"unknown pack mode {mode!r}; expected json-ir, bash-curl or hybrid"
            )
        project_id = self._project_id(project)
        record = (
            self._specs.get(spec)
            if spec is not None
            else self._specs.latest(project_id)
        )
        api = self._specs.api_model(project_id, spec=record.id)
        ops = _ops_tuple(allowed_ops)
        inputs = GenerationInputs(
            request=request.strip(),
            mode=mode,
            env=env,
            allowed_ops=ops,
            notes=notes,
            spec_id=str(record.id),
            spec_version=record.version,
            spec_hash=self._specs.document_hash(record.id),
        )
        secrets = self._env_secrets(project_id, env)
        prepared = prepare(
            inputs,
            api,
            self._specs.endpoints(project_id, spec=record.id) if self._llm else [],
            llm=self._llm,
            secrets=secrets,
        )

        with self._storage.unit_of_work() as uow:
            hit = uow.packs.find_cached(project_id, prepared.inputs_hash)
        if hit is not None:
            logger.info("pack cache hit: %s", hit.id)
            card = self._card_of(hit)
            if on_store is not None:
                with self._storage.unit_of_work() as uow:
                    on_store(uow, hit, card, True, None)
                    uow.commit()
            return GeneratedPack(pack=hit, card=card, cached=True)

        generated = prepared.produce()
        now = self._clock()
        pack = RunPack(
            project_id=project_id,
            conversation_id=conversation.id if conversation else None,
            mode=PackMode(mode),
            status=PackStatus.DRAFT,
            generator_version=generated.generator_version,
            card_hash=generated.card.digest(),
            inputs_hash=generated.inputs_hash,
            created_at=now,
        )
        for item in generated.card.files:
            pack.add_file(item.path, item.content, item.role, now=now)
        pack.inputs = RunPackInputs(
            runpack_id=pack.id,
            file_roles_json=generated.file_roles,
            role_contexts_json=generated.role_contexts,
            endpoints_context=generated.endpoints_context,
            allowed_ops=generated.allowed_ops,
            env=env,
            selector_output_json={
                **generated.selector_output,
                "generator": generated.generator,
                "card": generated.card.model_dump(mode="json"),
            },
            notes=notes,
            created_at=now,
        )
        report = self._report(pack, api, secrets)
        pack.replace_validations(report.rows(pack.id, now))
        if finalize and report.passed:
            pack.finalize(now=now)

        with self._storage.unit_of_work() as uow:
            if on_store is not None:
                pack.message_id = on_store(uow, pack, generated.card, False, generated)
            uow.packs.add(pack)
            uow.commit()
        logger.info(
            "generated pack %s: %d files, %s, validation %s",
            pack.id,
            len(pack.files),
            pack.status.value,
            "passed" if report.passed else "failed",
        )
        return GeneratedPack(
            pack=pack,
            card=generated.card,
            cached=False,
            report=report,
            generated=generated,
        )

    def create(
        self,
        project: Id,
        files: Mapping[str, str],
        *,
        mode: Mode = "hybrid",
        roles: Mapping[str, str] | None = None,
        allowed_ops: Iterable[str] | str | None = None,
        env: str = "local",
        notes: str | None = None,
    ) -> RunPack:
        """Store files written by hand or by another tool as a draft pack.

        Args:
            project: the project's id or name.
            files: path → content.
            mode: ``json-ir``, ``bash-curl`` or ``hybrid``.
            roles: path → role (``AUTH``, ``SMOKE``, ...); ``SMOKE`` by default.
            allowed_ops: methods the pack may use; empty means unrestricted.
            env: the environment the pack is meant for.
            notes: free text kept with the pack's inputs.

        Raises:
            ValidationError: no files, or an unknown mode.
        """
        if mode not in _MODES:
            raise ValidationError(
                f"unknown pack mode {mode!r}; expected json-ir, bash-curl or hybrid"
            )
        if not files:
            raise ValidationError("a pack needs at least one file")
        project_id = self._project_id(project)
        roles = dict(roles or {})
        now = self._clock()
        pack = RunPack(project_id=project_id, mode=PackMode(mode), created_at=now)
        file_roles: dict[str, str] = {}
        for path, content in files.items():
            role = (roles.get(path) or "SMOKE").upper()
            pack.add_file(path, content, role, now=now)
            file_roles[path] = role
        pack.inputs = RunPackInputs(
            runpack_id=pack.id,
            file_roles_json=file_roles,
            allowed_ops=list(_ops_tuple(allowed_ops) or ()),
            env=env,
            notes=notes,
            created_at=now,
        )
        with self._storage.unit_of_work() as uow:
            uow.packs.add(pack)
            uow.commit()
        logger.info("created pack %s with %d files", pack.id, len(pack.files))
        return pack

    # -- reading ------------------------------------------------------------

    def get(self, pack: Id) -> RunPack:
        """A whole pack: files, inputs and validations."""
        pack_id = as_uuid(pack, "pack")
        with self._storage.unit_of_work() as uow:
            return uow.packs.get(pack_id)

    def list(
        self, project: Id, *, status: PackStatus | str | None = None
    ) -> builtins.list[RunPack]:
        """A project's packs, newest first (without file contents)."""
        project_id = self._project_id(project)
        wanted = PackStatus(status) if status is not None else None
        with self._storage.unit_of_work() as uow:
            return uow.packs.list(project_id, status=wanted)

    def files(self, pack: Id) -> builtins.list[RunPackFile]:
        """A pack's files, in path order."""
        return sorted(self.get(pack).files, key=lambda f: f.path)

    def card(self, pack: Id) -> Card | None:
        """The card a generated pack came from (``None`` for a created pack)."""
        return self._card_of(self.get(pack))

    def export(self, pack: Id, destination: str | os.PathLike[str]) -> Path:
        """Write a pack's files to a new folder, or to a ``.zip`` file.

        Every path is checked first; a path that is absolute, climbs out
        with ``..``, or is otherwise unsafe refuses the whole export, and
        nothing is written. The folder (or archive) appears complete or not
        at all.

        Raises:
            ValidationError: a file path is unsafe.
            ConflictError: the destination exists (a folder that is not empty).
        """
        record = self.get(pack)
        problems = [
            f"{f.path!r}: {problem}"
            for f in record.files
            for problem in _export_problems(f.path)
        ]
        if problems:
            raise ValidationError(
                f"pack {record.id} has unsafe file paths; nothing was exported",
                problems,
            )
        target = Path(destination)
        if target.suffix.lower() == ".zip":
            _write_zip(target, record.files)
        else:
            _write_folder(target, record.files)
        logger.info("exported pack %s to %s", record.id, target)
        return target

    # -- validation and lifecycle -------------------------------------------

    def validate(self, pack: Id, *, env: Id | None = None) -> ValidationReport:
        """Check a pack with every enabled rule and the project's policies.

        The findings of a draft are stored as its validation rows (replacing
        earlier ones). ``env`` (an environment id or name) supplies the
        secrets that must not appear in any file; by default the project's
        environment named in the pack's inputs, if there is one.
        """
        record = self.get(pack)
        env_name = (
            str(env)
            if env is not None
            else (record.inputs.env if record.inputs else "local")
        )
        secrets = self._env_secrets(record.project_id, env_name)
        api = self._api_for(record)
        report = self._report(record, api, secrets)
        if record.status is PackStatus.DRAFT:
            record.replace_validations(report.rows(record.id, self._clock()))
            with self._storage.unit_of_work() as uow:
                uow.packs.update(record)
                uow.commit()
        return report

    def finalize(
        self, pack: Id, *, force: bool = False, reason: str | None = None
    ) -> RunPack:
        """Validate a draft and finalize it; refused while any error finding stands.

        Args:
            force: finalize despite failed validations; needs a ``reason``,
                which is recorded as a ``ForcedFinalize`` validation row.

        A pack that is already finalized (``chat.ask`` and ``generate``
        finalize what passes) is returned as it is.

        Raises:
            InvalidStateError: the pack is expired, has error findings and
                ``force`` is false, or ``force`` has no reason.
        """
        record = self.get(pack)
        if record.status is PackStatus.FINALIZED and not force:
            return record
        self.validate(pack)
        record = self.get(pack)
        record.finalize(now=self._clock(), force=force, reason=reason)
        with self._storage.unit_of_work() as uow:
            uow.packs.update(record)
            uow.commit()
        logger.info("finalized pack %s%s", record.id, " (forced)" if force else "")
        return record

    def expire(self, pack: Id) -> RunPack:
        """Retire a pack: it is never served from the cache again."""
        record = self.get(pack)
        record.expire()
        with self._storage.unit_of_work() as uow:
            uow.packs.update(record)
            uow.commit()
        return record

    def delete(self, pack: Id) -> None:
        """Delete a pack; runs of it keep their history."""
        pack_id = as_uuid(pack, "pack")
        with self._storage.unit_of_work() as uow:
            uow.packs.delete(pack_id)
            uow.commit()

    # -- helpers --------------------------------------------------------------

    def _report(
        self, pack: RunPack, api: Any, secrets: Mapping[str, str]
    ) -> ValidationReport:
        with self._storage.unit_of_work() as uow:
            policies: builtins.list[Policy] = uow.policies.list(pack.project_id)
        context = RuleContext.from_pack(pack, secrets=secrets, api=api)
        return validate_pack(pack.files, context, policies=policies)

    def _api_for(self, pack: RunPack) -> Any:
        selector = pack.inputs.selector_output_json if pack.inputs else None
        spec_id = (selector or {}).get("spec_id")
        try:
            if spec_id:
                return self._specs.api_model(pack.project_id, spec=spec_id)
            return self._specs.api_model(pack.project_id)
        except NotFoundError:
            return None

    def _env_secrets(self, project_id: uuid.UUID, env: str) -> dict[str, str]:
        try:
            return self._projects.reveal_secrets(env, project=project_id)
        except NotFoundError:
            return {}

    def _project_id(self, project: Id) -> uuid.UUID:
        return resolve_project(self._storage, project)

    @staticmethod
    def _card_of(pack: RunPack) -> Card:
        selector = pack.inputs.selector_output_json if pack.inputs else None
        if selector and "card" in selector:
            return Card.model_validate(selector["card"])
        return Card(
            plan=Plan(summary=f"{len(pack.files)} file(s) added by hand"),
            files=[
                CardFile(
                    path=f.path,
                    role=f.role,
                    mode="bash-curl" if f.path.endswith(".sh") else "json-ir",
                    content=f.content,
                )
                for f in pack.files
            ],
        )


def _ops_tuple(allowed_ops: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if allowed_ops is None:
        return None
    items = (
        allowed_ops.replace(",", " ").split()
        if isinstance(allowed_ops, str)
        else allowed_ops
    )
    return tuple(sorted({m.strip().upper() for m in items if m.strip()}))


def _export_problems(path: str) -> builtins.list[str]:
    """Problems that make a path unsafe to write (a subset of SafePath's)."""
    return [
        p
        for p in path_problems(path)
        if "extension" not in p and "longer" not in p and "deeper" not in p
    ]


def _write_folder(target: Path, files: Iterable[RunPackFile]) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConflictError(f"{target} exists and is not an empty folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        root = staging.resolve()
        for item in files:
            where = (staging / item.path).resolve()
            if not where.is_relative_to(root):
                raise ValidationError(f"file path {item.path!r} leaves the folder")
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_text(item.content, encoding="utf-8")
            if item.path.endswith(".sh"):
                where.chmod(0o755)
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_zip(target: Path, files: Iterable[RunPackFile]) -> None:
    if target.exists():
        raise ConflictError(f"{target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for item in sorted(files, key=lambda f: f.path):
                info = zipfile.ZipInfo(item.path, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (
                    0o755 if item.path.endswith(".sh") else 0o644
                ) << 16
                archive.writestr(info, item.content)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
