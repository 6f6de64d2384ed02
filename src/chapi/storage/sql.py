"""The SQLAlchemy Core adapter: one implementation of the storage ports for
SQLite (the embedded default) and PostgreSQL (psycopg 3).
"""

from __future__ import annotations

import builtins
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

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
    RunPackFile,
    RunPackInputs,
    RunPackValidation,
    SealedSecret,
)
from ..errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from . import migrate
from . import tables as t
from .endpoint_rows import (
    EndpointReader,
    catalog_insert,
    catalog_query,
    collector_paused,
)
from .ports import (
    ConversationRepository,
    DiscoveryRepository,
    IntegrationRepository,
    PackRepository,
    PolicyRepository,
    ProjectRepository,
    RunRepository,
    SpecRepository,
)

__all__ = ["SqlStorage", "SqlUnitOfWork"]

logger = logging.getLogger(__name__)

_CONFLICTS = {
    "projects_name_key": "a project with this name already exists",
    "environments_project_id_name_key": "the project already has an environment with this name",
    "api_specs_project_id_version_key": "the project already has a spec with this version",
    "run_pack_files_runpack_id_path_key": "the pack already has a file at this path",
    "artifacts_run_id_path_key": "the run already has an artifact at this path",
    "ix_run_packs_message": "the message already produced a pack",
    "runs_env_id_fkey": "the environment is used by runs and cannot be deleted",
}
_SQLITE_UNIQUE = {
    "projects.name": "projects_name_key",
    "environments.project_id, environments.name": "environments_project_id_name_key",
    "api_specs.project_id, api_specs.version": "api_specs_project_id_version_key",
    "run_pack_files.runpack_id, run_pack_files.path": "run_pack_files_runpack_id_path_key",
    "artifacts.run_id, artifacts.path": "artifacts_run_id_path_key",
    "run_packs.message_id": "ix_run_packs_message",
}


def _conflict(error: exc.IntegrityError) -> ConflictError:
    """Turn a driver's integrity error into a ConflictError that names the constraint."""
    orig = error.orig
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)
    text = str(orig)
    if name is None and "UNIQUE constraint failed: " in text:
        name = _SQLITE_UNIQUE.get(
            text.split("UNIQUE constraint failed: ", 1)[1].strip()
        )
    if name is None and "FOREIGN KEY constraint failed" in text:
        return ConflictError(
            "a row is still referenced by others (for example an environment used by runs)"
        )
    message = _CONFLICTS.get(
        name or "", f"integrity constraint violated: {name or text}"
    )
    return ConflictError(message)


class SqlStorage:
    """Storage on a SQLAlchemy database URL (``sqlite:///...`` or ``postgresql+psycopg://...``).

    Nothing connects until the first unit of work; the schema is migrated to
    the newest revision then (``auto_migrate``), or by calling :meth:`migrate`.
    """

    def __init__(
        self,
        url: str,
        *,
        auto_migrate: bool = True,
        engine_options: dict[str, Any] | None = None,
    ) -> None:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigurationError(
                f"unsupported database {backend!r}: chapi stores to sqlite or postgresql"
            )
        if backend == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        self._url = parsed
        self._backend = backend
        self._auto_migrate = auto_migrate
        self._options = dict(engine_options or {})
        self._engine: Engine | None = None
        self._migrated = False
        self._lock = threading.RLock()

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._backend

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self._url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> Engine:
        options = dict(self._options)
        if self._backend == "sqlite":
            database = self._url.database or ""
            memory = database in ("", ":memory:") or "mode=memory" in str(self._url)
            options.setdefault(
                "connect_args", {"check_same_thread": False, "timeout": 30}
            )
            if memory:
                options.setdefault("poolclass", StaticPool)
            engine = sa.create_engine(self._url, **options)
            _sqlite_pragmas(engine, wal=not memory)
            return engine
        options.setdefault("pool_pre_ping", True)
        return sa.create_engine(self._url, **options)

    def migrate(self) -> None:
        """Apply pending migrations now."""
        with self._lock:
            try:
                migrate.upgrade(self.engine)
            except exc.OperationalError as error:
                raise StorageError(
                    f"cannot reach the database at {self.url}: {error.orig}"
                ) from error
            self._migrated = True

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work; migrates the schema first if needed."""
        if self._auto_migrate and not self._migrated:
            self.migrate()
        return SqlUnitOfWork(self.engine)

    def close(self) -> None:
        """Dispose of the connection pool."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __repr__(self) -> str:
        return f"SqlStorage({self.url!r})"


def _sqlite_pragmas(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = (
            None  # let SQLAlchemy's BEGIN below own transactions
        )
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


class SqlUnitOfWork:
    """A unit of work on one connection; rolls back unless :meth:`commit` is called."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        try:
            self._conn = self._engine.connect()
        except exc.OperationalError as error:
            raise StorageError(
                f"cannot open a database connection: {error.orig}"
            ) from error
        self.projects: ProjectRepository = _Projects(self)
        self.specs: SpecRepository = _Specs(self)
        self.conversations: ConversationRepository = _Conversations(self)
        self.packs: PackRepository = _Packs(self)
        self.runs: RunRepository = _Runs(self)
        self.policies: PolicyRepository = _Policies(self)
        self.integrations: IntegrationRepository = _Integrations(self)
        self.discoveries: DiscoveryRepository = _Discoveries(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._conn is not None:
            try:
                self._conn.rollback()
            finally:
                self._conn.close()
                self._conn = None

    @property
    def connection(self) -> Connection:
        """The open connection (inside the ``with`` block only)."""
        if self._conn is None:
            raise StorageError("the unit of work is not open: use it in a 'with' block")
        return self._conn

    def commit(self) -> None:
        """Commit everything done so far."""
        with self._translate():
            self.connection.commit()

    def rollback(self) -> None:
        """Discard everything not yet committed."""
        self.connection.rollback()

    @contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except exc.IntegrityError as error:
            raise _conflict(error) from error
        except exc.DataError as error:
            detail = str(error.orig).splitlines()[0] if error.orig else str(error)
            raise ValidationError(f"the database refused a value: {detail}") from error
        except exc.OperationalError as error:
            raise StorageError(f"database error: {error.orig}") from error

    def execute(self, statement: Any, params: Any = None) -> sa.CursorResult[Any]:
        """Run a statement, turning driver errors into chapi errors."""
        with self._translate():
            if params is None:
                return self.connection.execute(statement)
            return self.connection.execute(statement, params)

    def execute_driver_sql(
        self, statement: str, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Send a statement in the driver's own parameter style with many value tuples."""
        with self._translate():
            self.connection.exec_driver_sql(statement, rows)


class _Repo:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _exec(self, statement: Any, params: Any = None) -> sa.CursorResult[Any]:
        return self._uow.execute(statement, params)

    def _delete_one(self, table: sa.Table, key: uuid.UUID, entity: str) -> None:
        if self._exec(table.delete().where(table.c.id == key)).rowcount == 0:
            raise NotFoundError(entity, key)


def _row_dict(row: sa.Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


# -- projects -----------------------------------------------------------------


def _env_row(env: Environment) -> dict[str, Any]:
    return {
        "id": env.id,
        "project_id": env.project_id,
        "name": env.name,
        "base_url": env.base_url,
        "secrets": {k: v.token for k, v in env.secrets.items()},
        "created_at": env.created_at,
        "updated_at": env.updated_at,
    }


def _env(row: sa.Row[Any]) -> Environment:
    data = _row_dict(row)
    data["secrets"] = {k: SealedSecret(v) for k, v in (data["secrets"] or {}).items()}
    return Environment.model_validate(data)


class _Projects(_Repo):
    def add(self, project: Project) -> None:
        self._exec(t.projects.insert(), project.model_dump(exclude={"environments"}))
        if project.environments:
            self._exec(
                t.environments.insert(), [_env_row(e) for e in project.environments]
            )

    def _load(self, where: Any) -> builtins.list[Project]:
        rows = self._exec(
            sa.select(t.projects).where(where).order_by(t.projects.c.name)
        ).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        envs: dict[uuid.UUID, list[Environment]] = {i: [] for i in ids}
        query = (
            sa.select(t.environments)
            .where(t.environments.c.project_id.in_(ids))
            .order_by(t.environments.c.created_at, t.environments.c.name)
        )
        for row in self._exec(query):
            envs[row.project_id].append(_env(row))
        return [
            Project.model_validate({**_row_dict(r), "environments": envs[r.id]})
            for r in rows
        ]

    def get(self, project_id: uuid.UUID) -> Project:
        found = self._load(t.projects.c.id == project_id)
        if not found:
            raise NotFoundError("project", project_id)
        return found[0]

    def find_by_name(self, name: str) -> Project | None:
        found = self._load(t.projects.c.name == name)
        return found[0] if found else None

    def list(self) -> builtins.list[Project]:
        return self._load(sa.true())

    def update(self, project: Project) -> None:
        values = project.model_dump(exclude={"id", "environments", "created_at"})
        result = self._exec(
            t.projects.update().where(t.projects.c.id == project.id), values
        )
        if result.rowcount == 0:
            raise NotFoundError("project", project.id)
        stored = {
            r.id
            for r in self._exec(
                sa.select(t.environments.c.id).where(
                    t.environments.c.project_id == project.id
                )
            )
        }
        current = {e.id for e in project.environments}
        removed = stored - current
        if removed:
            self._exec(t.environments.delete().where(t.environments.c.id.in_(removed)))
        for env in project.environments:
            row = _env_row(env)
            if env.id in stored:
                self._exec(
                    t.environments.update().where(t.environments.c.id == env.id),
                    {
                        k: v
                        for k, v in row.items()
                        if k not in ("id", "project_id", "created_at")
                    },
                )
            else:
                self._exec(t.environments.insert(), row)

    def delete(self, project_id: uuid.UUID) -> None:
        self._delete_one(t.projects, project_id, "project")

    def get_environment(self, env_id: uuid.UUID) -> Environment:
        row = self._exec(
            sa.select(t.environments).where(t.environments.c.id == env_id)
        ).first()
        if row is None:
            raise NotFoundError("environment", env_id)
        return _env(row)

    def all_environments(self) -> builtins.list[Environment]:
        return [
            _env(r)
            for r in self._exec(sa.select(t.environments).order_by(t.environments.c.id))
        ]

    def save_environment_secrets(self, env: Environment) -> None:
        self._exec(
            t.environments.update().where(t.environments.c.id == env.id),
            {
                "secrets": {k: v.token for k, v in env.secrets.items()},
                "updated_at": env.updated_at,
            },
        )


# -- specs --------------------------------------------------------------------


def _spec(row: sa.Row[Any]) -> ApiSpec:
    return ApiSpec.model_validate(_row_dict(row))


class _Specs(_Repo):
    def add(self, spec: ApiSpec, endpoints: Sequence[Endpoint]) -> None:
        self._exec(t.api_specs.insert(), spec.model_dump(mode="python"))
        if endpoints:
            statement, values = catalog_insert(self._uow.connection.dialect, endpoints)
            self._uow.execute_driver_sql(statement, values)

    def get(self, spec_id: uuid.UUID) -> ApiSpec:
        row = self._exec(
            sa.select(t.api_specs).where(t.api_specs.c.id == spec_id)
        ).first()
        if row is None:
            raise NotFoundError("spec", spec_id)
        return _spec(row)

    def find_version(self, project_id: uuid.UUID, version: str) -> ApiSpec | None:
        query = sa.select(t.api_specs).where(
            t.api_specs.c.project_id == project_id, t.api_specs.c.version == version
        )
        row = self._exec(query).first()
        return None if row is None else _spec(row)

    def _newest(self, project_id: uuid.UUID) -> sa.Select[Any]:
        return (
            sa.select(t.api_specs)
            .where(t.api_specs.c.project_id == project_id)
            .order_by(t.api_specs.c.created_at.desc(), t.api_specs.c.id.desc())
        )

    def latest(self, project_id: uuid.UUID) -> ApiSpec | None:
        row = self._exec(self._newest(project_id).limit(1)).first()
        return None if row is None else _spec(row)

    def list(self, project_id: uuid.UUID) -> builtins.list[ApiSpec]:
        return [_spec(r) for r in self._exec(self._newest(project_id))]

    def delete(self, spec_id: uuid.UUID) -> None:
        self._delete_one(t.api_specs, spec_id, "spec")

    def endpoints(self, spec_id: uuid.UUID) -> builtins.list[Endpoint]:
        owner = self._exec(
            sa.select(t.api_specs.c.project_id).where(t.api_specs.c.id == spec_id)
        ).scalar_one_or_none()
        reader = EndpointReader(self._uow.connection.dialect, spec_id, owner)
        # the fetch allocates as many acyclic containers as the building does
        with collector_paused():
            result = self._exec(catalog_query(spec_id, owner))
            try:
                # the driver's own tuples: EndpointReader converts the values
                rows = result.cursor.fetchall()
            finally:
                result.close()
            return reader.read(rows)


# -- conversations ------------------------------------------------------------


def _message_row(message: Message) -> dict[str, Any]:
    return message.model_dump(mode="python")


class _Conversations(_Repo):
    def add(self, conversation: Conversation) -> None:
        self._exec(
            t.conversations.insert(), conversation.model_dump(exclude={"messages"})
        )
        if conversation.messages:
            self._exec(
                t.messages.insert(), [_message_row(m) for m in conversation.messages]
            )

    def get(self, conversation_id: uuid.UUID) -> Conversation:
        row = self._exec(
            sa.select(t.conversations).where(t.conversations.c.id == conversation_id)
        ).first()
        if row is None:
            raise NotFoundError("conversation", conversation_id)
        query = (
            sa.select(t.messages)
            .where(t.messages.c.conversation_id == conversation_id)
            .order_by(t.messages.c.created_at, t.messages.c.id)
        )
        messages = [Message.model_validate(_row_dict(r)) for r in self._exec(query)]
        return Conversation.model_validate({**_row_dict(row), "messages": messages})

    def list(self, project_id: uuid.UUID) -> builtins.list[Conversation]:
        query = (
            sa.select(t.conversations)
            .where(t.conversations.c.project_id == project_id)
            .order_by(t.conversations.c.created_at.desc(), t.conversations.c.id)
        )
        return [Conversation.model_validate(_row_dict(r)) for r in self._exec(query)]

    def add_message(self, message: Message) -> None:
        self._exec(t.messages.insert(), _message_row(message))
        self._exec(
            t.conversations.update().where(
                t.conversations.c.id == message.conversation_id
            ),
            {"updated_at": message.created_at},
        )

    def update_message(self, message: Message) -> None:
        result = self._exec(
            t.messages.update().where(t.messages.c.id == message.id),
            {
                "content": message.content,
                "card_type": message.card_type.value,
                "card_payload": message.card_payload,
            },
        )
        if result.rowcount == 0:
            raise NotFoundError("message", message.id)

    def delete(self, conversation_id: uuid.UUID) -> None:
        self._delete_one(t.conversations, conversation_id, "conversation")


# -- packs --------------------------------------------------------------------

_PACK_FIELDS = [
    "id",
    "project_id",
    "conversation_id",
    "message_id",
    "mode",
    "zip_url",
    "status",
    "generator_version",
    "card_hash",
    "inputs_hash",
    "created_at",
    "finalized_at",
]


def _pack_row(pack: RunPack) -> dict[str, Any]:
    row = {name: getattr(pack, name) for name in _PACK_FIELDS}
    row["mode"] = pack.mode.value
    row["status"] = pack.status.value
    row["files_count"] = pack.files_count
    return row


def _validation_rows(pack: RunPack) -> builtins.list[dict[str, Any]]:
    return [v.model_dump(mode="python") for v in pack.validations]


class _Packs(_Repo):
    def add(self, pack: RunPack) -> None:
        self._exec(t.run_packs.insert(), _pack_row(pack))
        if pack.files:
            self._exec(
                t.run_pack_files.insert(),
                [f.model_dump(mode="python") for f in pack.files],
            )
        if pack.inputs is not None:
            row = pack.inputs.model_dump(mode="python")
            row["allowed_ops"] = ",".join(pack.inputs.allowed_ops)
            self._exec(t.run_pack_inputs.insert(), row)
        if pack.validations:
            self._exec(t.run_pack_validations.insert(), _validation_rows(pack))

    def _pack(self, row: sa.Row[Any], *, with_files: bool) -> RunPack:
        data = _row_dict(row)
        data.pop("files_count")
        pack = RunPack.model_validate(data)
        if not with_files:
            return pack
        files = self._exec(
            sa.select(t.run_pack_files)
            .where(t.run_pack_files.c.runpack_id == pack.id)
            .order_by(t.run_pack_files.c.path)
        ).all()
        pack.files = [
            RunPackFile.model_validate(
                {k: v for k, v in _row_dict(f).items() if k != "size_bytes"}
            )
            for f in files
        ]
        inputs = self._exec(
            sa.select(t.run_pack_inputs).where(
                t.run_pack_inputs.c.runpack_id == pack.id
            )
        ).first()
        if inputs is not None:
            data = _row_dict(inputs)
            ops = data["allowed_ops"]
            data["allowed_ops"] = [op for op in ops.split(",") if op] if ops else []
            pack.inputs = RunPackInputs.model_validate(data)
        validations = self._exec(
            sa.select(t.run_pack_validations)
            .where(t.run_pack_validations.c.runpack_id == pack.id)
            .order_by(
                t.run_pack_validations.c.created_at,
                t.run_pack_validations.c.file_path,
                t.run_pack_validations.c.rule,
            )
        )
        pack.validations = [
            RunPackValidation.model_validate(_row_dict(v)) for v in validations
        ]
        return pack

    def get(self, pack_id: uuid.UUID) -> RunPack:
        row = self._exec(
            sa.select(t.run_packs).where(t.run_packs.c.id == pack_id)
        ).first()
        if row is None:
            raise NotFoundError("pack", pack_id)
        return self._pack(row, with_files=True)

    def find_cached(self, project_id: uuid.UUID, inputs_hash: str) -> RunPack | None:
        query = (
            sa.select(t.run_packs)
            .where(
                t.run_packs.c.project_id == project_id,
                t.run_packs.c.inputs_hash == inputs_hash,
                t.run_packs.c.status == PackStatus.FINALIZED.value,
            )
            .order_by(t.run_packs.c.created_at.desc())
            .limit(1)
        )
        row = self._exec(query).first()
        return None if row is None else self._pack(row, with_files=True)

    def list(
        self, project_id: uuid.UUID, *, status: PackStatus | None = None
    ) -> builtins.list[RunPack]:
        query = sa.select(t.run_packs).where(t.run_packs.c.project_id == project_id)
        if status is not None:
            query = query.where(t.run_packs.c.status == status.value)
        query = query.order_by(t.run_packs.c.created_at.desc(), t.run_packs.c.id)
        return [self._pack(r, with_files=False) for r in self._exec(query)]

    def update(self, pack: RunPack) -> None:
        row = _pack_row(pack)
        for fixed in ("id", "project_id", "created_at", "files_count"):
            row.pop(fixed)
        result = self._exec(
            t.run_packs.update().where(t.run_packs.c.id == pack.id), row
        )
        if result.rowcount == 0:
            raise NotFoundError("pack", pack.id)
        self._exec(
            t.run_pack_validations.delete().where(
                t.run_pack_validations.c.runpack_id == pack.id
            )
        )
        if pack.validations:
            self._exec(t.run_pack_validations.insert(), _validation_rows(pack))

    def delete(self, pack_id: uuid.UUID) -> None:
        self._delete_one(t.run_packs, pack_id, "pack")


# -- runs ---------------------------------------------------------------------


class _Runs(_Repo):
    def add(self, run: Run) -> None:
        self._exec(
            t.runs.insert(), run.model_dump(mode="python", exclude={"artifacts"})
        )
        if run.artifacts:
            self.add_artifacts(run.artifacts)

    def get(self, run_id: uuid.UUID, *, with_artifacts: bool = True) -> Run:
        row = self._exec(sa.select(t.runs).where(t.runs.c.id == run_id)).first()
        if row is None:
            raise NotFoundError("run", run_id)
        run = Run.model_validate(_row_dict(row))
        if with_artifacts:
            query = (
                sa.select(t.artifacts)
                .where(t.artifacts.c.run_id == run_id)
                .order_by(t.artifacts.c.path)
            )
            run.artifacts = [
                Artifact.model_validate(_row_dict(a)) for a in self._exec(query)
            ]
        return run

    def _list(self, where: Any, limit: int | None) -> builtins.list[Run]:
        query = (
            sa.select(t.runs)
            .where(where)
            .order_by(t.runs.c.created_at.desc(), t.runs.c.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [Run.model_validate(_row_dict(r)) for r in self._exec(query)]

    def list(
        self, project_id: uuid.UUID, *, limit: int | None = None
    ) -> builtins.list[Run]:
        return self._list(t.runs.c.project_id == project_id, limit)

    def list_for_pack(self, pack_id: uuid.UUID) -> builtins.list[Run]:
        return self._list(t.runs.c.runpack_id == pack_id, None)

    def update(self, run: Run) -> None:
        values = {
            "status": run.status.value,
            "summary": run.summary,
            "completed_at": run.completed_at,
            "card": run.card,
            "runpack_id": run.runpack_id,
        }
        if (
            self._exec(t.runs.update().where(t.runs.c.id == run.id), values).rowcount
            == 0
        ):
            raise NotFoundError("run", run.id)

    def add_artifacts(self, artifacts: Sequence[Artifact]) -> None:
        if artifacts:
            self._exec(
                t.artifacts.insert(), [a.model_dump(mode="python") for a in artifacts]
            )


# -- small entities -----------------------------------------------------------


class _Simple(_Repo):
    table: sa.Table
    model: Callable[[dict[str, Any]], Any]
    entity: str

    def _add(self, item: Any) -> None:
        self._exec(self.table.insert(), item.model_dump(mode="python"))

    def _list(self, project_id: uuid.UUID) -> builtins.list[Any]:
        query = (
            sa.select(self.table)
            .where(self.table.c.project_id == project_id)
            .order_by(self.table.c.created_at, self.table.c.id)
        )
        return [self.model(_row_dict(r)) for r in self._exec(query)]


class _Policies(_Simple):
    table, model, entity = t.policies, Policy.model_validate, "policy"

    def add(self, policy: Policy) -> None:
        self._add(policy)

    def list(self, project_id: uuid.UUID) -> builtins.list[Policy]:
        return self._list(project_id)

    def delete(self, policy_id: uuid.UUID) -> None:
        self._delete_one(self.table, policy_id, self.entity)


class _Integrations(_Simple):
    table, model, entity = (
        t.integrations_github,
        GitHubIntegration.model_validate,
        "integration",
    )

    def add(self, integration: GitHubIntegration) -> None:
        self._add(integration)

    def list(self, project_id: uuid.UUID) -> builtins.list[GitHubIntegration]:
        return self._list(project_id)

    def delete(self, integration_id: uuid.UUID) -> None:
        self._delete_one(self.table, integration_id, self.entity)


class _Discoveries(_Simple):
    table, model, entity = (
        t.endpoint_discovery,
        EndpointDiscovery.model_validate,
        "discovery",
    )

    def add(self, item: EndpointDiscovery) -> None:
        self._add(item)

    def list(self, project_id: uuid.UUID) -> builtins.list[EndpointDiscovery]:
        return self._list(project_id)

    def update(self, item: EndpointDiscovery) -> None:
        result = self._exec(
            self.table.update().where(self.table.c.id == item.id),
            {"status": item.status.value},
        )
        if result.rowcount == 0:
            raise NotFoundError(self.entity, item.id)
