"""The database schema as SQLAlchemy Core tables: the reference DDL, table by table.

Deviations from the reference document are listed, with their reasons, in
``docs/schema.md``. In short: ``runs`` gains ``runpack_id`` (a pack has many
runs) in place of ``run_packs.run_id``; ``runs.env_id`` uses ``NO ACTION``
instead of ``RESTRICT`` so deleting a project can cascade; ``runs`` gains
``summary``; ``api_specs`` gains ``warnings``; ``endpoint_catalog`` gains
``operation_id`` and ``tags`` for search; ids default to ``gen_random_uuid()``
(no extension needed); the optional unique indexes and the cache index the
reference lists are created.
"""

from __future__ import annotations

import sqlalchemy as sa

from .types import JSONB, UUID, GenRandomUuid, UtcDateTime

__all__ = [
    "api_specs",
    "artifacts",
    "conversations",
    "endpoint_catalog",
    "endpoint_discovery",
    "environments",
    "integrations_github",
    "messages",
    "metadata",
    "policies",
    "projects",
    "run_pack_files",
    "run_pack_inputs",
    "run_pack_validations",
    "run_packs",
    "runs",
]

metadata = sa.MetaData(
    naming_convention={
        "pk": "%(table_name)s_pkey",
        "fk": "%(table_name)s_%(column_0_name)s_fkey",
        "uq": "%(table_name)s_%(column_0_N_name)s_key",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)


def _id() -> sa.Column[object]:
    return sa.Column("id", UUID, primary_key=True, server_default=GenRandomUuid())


def _created() -> sa.Column[object]:
    return sa.Column(
        "created_at", UtcDateTime, nullable=False, server_default=sa.func.now()
    )


def _updated() -> sa.Column[object]:
    return sa.Column(
        "updated_at", UtcDateTime, nullable=False, server_default=sa.func.now()
    )


def _project_fk() -> sa.Column[object]:
    return sa.Column(
        "project_id",
        UUID,
        sa.ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
    )


projects = sa.Table(
    "projects",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    _created(),
    _updated(),
    sa.UniqueConstraint("name"),
)

environments = sa.Table(
    "environments",
    metadata,
    _id(),
    _project_fk(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("base_url", sa.Text, nullable=False),
    sa.Column("secrets", JSONB, nullable=False, server_default=sa.text("'{}'")),
    _created(),
    _updated(),
    sa.UniqueConstraint("project_id", "name"),
)

api_specs = sa.Table(
    "api_specs",
    metadata,
    _id(),
    _project_fk(),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("raw_json", JSONB, nullable=False),
    sa.Column("source_url", sa.Text),
    sa.Column("warnings", JSONB, nullable=False, server_default=sa.text("'[]'")),
    _created(),
    sa.UniqueConstraint("project_id", "version"),
)

endpoint_catalog = sa.Table(
    "endpoint_catalog",
    metadata,
    _id(),
    _project_fk(),
    sa.Column(
        "spec_id",
        UUID,
        sa.ForeignKey("api_specs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("auth", sa.Text, nullable=False),
    sa.Column("req_content", sa.Text, nullable=False),
    sa.Column("success_content", sa.Text, nullable=False),
    sa.Column("operation_id", sa.Text),
    sa.Column("tags", JSONB, nullable=False, server_default=sa.text("'[]'")),
    _created(),
    sa.Index("ix_endpoint_catalog_project_path_method", "project_id", "path", "method"),
    sa.Index("ix_endpoint_catalog_spec", "spec_id"),
)

endpoint_discovery = sa.Table(
    "endpoint_discovery",
    metadata,
    _id(),
    _project_fk(),
    sa.Column("code_snippet", sa.Text, nullable=False),
    sa.Column("detected_path", sa.Text, nullable=False),
    sa.Column("detected_method", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    _created(),
)

conversations = sa.Table(
    "conversations",
    metadata,
    _id(),
    _project_fk(),
    sa.Column("title", sa.Text, nullable=False),
    _created(),
    _updated(),
    sa.Index(
        "ix_conversations_project_created", "project_id", sa.text("created_at DESC")
    ),
)

messages = sa.Table(
    "messages",
    metadata,
    _id(),
    sa.Column(
        "conversation_id",
        UUID,
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("card_type", sa.Text, nullable=False, server_default=sa.text("'none'")),
    sa.Column("card_payload", JSONB),
    _created(),
    sa.Index("ix_messages_conversation_created", "conversation_id", "created_at"),
)

run_packs = sa.Table(
    "run_packs",
    metadata,
    _id(),
    _project_fk(),
    sa.Column(
        "conversation_id", UUID, sa.ForeignKey("conversations.id", ondelete="SET NULL")
    ),
    sa.Column("message_id", UUID, sa.ForeignKey("messages.id", ondelete="SET NULL")),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("files_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("zip_url", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'draft'")),
    sa.Column("generator_version", sa.Text),
    sa.Column("card_hash", sa.Text),
    sa.Column("inputs_hash", sa.Text),
    _created(),
    sa.Column("finalized_at", UtcDateTime),
    sa.Index("ix_run_packs_project_created", "project_id", sa.text("created_at DESC")),
    sa.Index(
        "ix_run_packs_conversation", "conversation_id", sa.text("created_at DESC")
    ),
    sa.Index(
        "ix_run_packs_message",
        "message_id",
        unique=True,
        postgresql_where=sa.text("message_id IS NOT NULL"),
        sqlite_where=sa.text("message_id IS NOT NULL"),
    ),
    sa.Index("ix_run_packs_project_inputs_hash", "project_id", "inputs_hash"),
)

run_pack_files = sa.Table(
    "run_pack_files",
    metadata,
    _id(),
    sa.Column(
        "runpack_id",
        UUID,
        sa.ForeignKey("run_packs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("role", sa.Text, nullable=False),
    _created(),
    sa.UniqueConstraint("runpack_id", "path"),
)

run_pack_inputs = sa.Table(
    "run_pack_inputs",
    metadata,
    _id(),
    sa.Column(
        "runpack_id",
        UUID,
        sa.ForeignKey("run_packs.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    sa.Column("file_roles_json", JSONB, nullable=False),
    sa.Column("role_contexts_json", JSONB, nullable=False),
    sa.Column("endpoints_context", sa.Text, nullable=False),
    sa.Column("allowed_ops", sa.Text, nullable=False),
    sa.Column("env", sa.Text, nullable=False),
    sa.Column("selector_output_json", JSONB),
    sa.Column("notes", sa.Text),
    _created(),
)

run_pack_validations = sa.Table(
    "run_pack_validations",
    metadata,
    _id(),
    sa.Column(
        "runpack_id",
        UUID,
        sa.ForeignKey("run_packs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("file_path", sa.Text, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("details", JSONB),
    _created(),
    sa.Index("ix_run_pack_validations_file", "runpack_id", "file_path"),
)

runs = sa.Table(
    "runs",
    metadata,
    _id(),
    _project_fk(),
    sa.Column(
        "env_id",
        UUID,
        sa.ForeignKey("environments.id", ondelete="NO ACTION"),
        nullable=False,
    ),
    sa.Column("runpack_id", UUID, sa.ForeignKey("run_packs.id", ondelete="SET NULL")),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("user_query", sa.Text, nullable=False),
    sa.Column("card", JSONB, nullable=False),
    sa.Column("summary", JSONB),
    _created(),
    sa.Column("completed_at", UtcDateTime),
    sa.Index("ix_runs_project_created", "project_id", sa.text("created_at DESC")),
    sa.Index("ix_runs_runpack_created", "runpack_id", "created_at"),
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    _id(),
    sa.Column(
        "run_id", UUID, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    _created(),
    sa.UniqueConstraint("run_id", "path"),
)

integrations_github = sa.Table(
    "integrations_github",
    metadata,
    _id(),
    _project_fk(),
    sa.Column("installation_id", sa.Text, nullable=False),
    sa.Column("repo", sa.Text, nullable=False),
    _created(),
)

policies = sa.Table(
    "policies",
    metadata,
    _id(),
    _project_fk(),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("rules", JSONB, nullable=False),
    _created(),
)
