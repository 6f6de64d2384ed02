"""Initial schema: the reference DDL with the deviations listed in docs/schema.md.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from chapi.storage.types import GenRandomUuid, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("projects_pkey")),
        sa.UniqueConstraint("name", name=op.f("projects_name_key")),
    )
    op.create_table(
        "api_specs",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column(
            "raw_json",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column(
            "warnings",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("api_specs_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("api_specs_pkey")),
        sa.UniqueConstraint(
            "project_id", "version", name=op.f("api_specs_project_id_version_key")
        ),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("conversations_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("conversations_pkey")),
    )
    op.create_table(
        "endpoint_discovery",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("code_snippet", sa.Text(), nullable=False),
        sa.Column("detected_path", sa.Text(), nullable=False),
        sa.Column("detected_method", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("endpoint_discovery_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("endpoint_discovery_pkey")),
    )
    op.create_table(
        "environments",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column(
            "secrets",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("environments_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("environments_pkey")),
        sa.UniqueConstraint(
            "project_id", "name", name=op.f("environments_project_id_name_key")
        ),
    )
    op.create_table(
        "integrations_github",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Text(), nullable=False),
        sa.Column("repo", sa.Text(), nullable=False),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("integrations_github_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("integrations_github_pkey")),
    )
    op.create_table(
        "policies",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column(
            "rules",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("policies_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("policies_pkey")),
    )
    op.create_table(
        "endpoint_catalog",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("spec_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("auth", sa.Text(), nullable=False),
        sa.Column("req_content", sa.Text(), nullable=False),
        sa.Column("success_content", sa.Text(), nullable=False),
        sa.Column("operation_id", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("endpoint_catalog_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["spec_id"],
            ["api_specs.id"],
            name=op.f("endpoint_catalog_spec_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("endpoint_catalog_pkey")),
    )
    with op.batch_alter_table("endpoint_catalog", schema=None) as batch_op:
        batch_op.create_index(
            "ix_endpoint_catalog_project_path_method",
            ["project_id", "path", "method"],
            unique=False,
        )
        batch_op.create_index("ix_endpoint_catalog_spec", ["spec_id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "card_type", sa.Text(), server_default=sa.text("'none'"), nullable=False
        ),
        sa.Column(
            "card_payload",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("messages_conversation_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("messages_pkey")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_conversation_created",
            ["conversation_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "run_packs",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column(
            "files_count", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("zip_url", sa.Text(), nullable=True),
        sa.Column(
            "status", sa.Text(), server_default=sa.text("'draft'"), nullable=False
        ),
        sa.Column("generator_version", sa.Text(), nullable=True),
        sa.Column("card_hash", sa.Text(), nullable=True),
        sa.Column("inputs_hash", sa.Text(), nullable=True),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("finalized_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("run_packs_conversation_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("run_packs_message_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("run_packs_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("run_packs_pkey")),
    )
    with op.batch_alter_table("run_packs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_run_packs_message",
            ["message_id"],
            unique=True,
            postgresql_where=sa.text("message_id IS NOT NULL"),
            sqlite_where=sa.text("message_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_run_packs_project_inputs_hash",
            ["project_id", "inputs_hash"],
            unique=False,
        )

    op.create_table(
        "run_pack_files",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("runpack_id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "size_bytes", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["runpack_id"],
            ["run_packs.id"],
            name=op.f("run_pack_files_runpack_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("run_pack_files_pkey")),
        sa.UniqueConstraint(
            "runpack_id", "path", name=op.f("run_pack_files_runpack_id_path_key")
        ),
    )
    op.create_table(
        "run_pack_inputs",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("runpack_id", sa.Uuid(), nullable=False),
        sa.Column(
            "file_roles_json",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "role_contexts_json",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("endpoints_context", sa.Text(), nullable=False),
        sa.Column("allowed_ops", sa.Text(), nullable=False),
        sa.Column("env", sa.Text(), nullable=False),
        sa.Column(
            "selector_output_json",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["runpack_id"],
            ["run_packs.id"],
            name=op.f("run_pack_inputs_runpack_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("run_pack_inputs_pkey")),
        sa.UniqueConstraint("runpack_id", name=op.f("run_pack_inputs_runpack_id_key")),
    )
    op.create_table(
        "run_pack_validations",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("runpack_id", sa.Uuid(), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["runpack_id"],
            ["run_packs.id"],
            name=op.f("run_pack_validations_runpack_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("run_pack_validations_pkey")),
    )
    with op.batch_alter_table("run_pack_validations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_run_pack_validations_file", ["runpack_id", "file_path"], unique=False
        )

    op.create_table(
        "runs",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("env_id", sa.Uuid(), nullable=False),
        sa.Column("runpack_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("user_query", sa.Text(), nullable=False),
        sa.Column(
            "card",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "summary",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["env_id"],
            ["environments.id"],
            name=op.f("runs_env_id_fkey"),
            ondelete="NO ACTION",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("runs_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["runpack_id"],
            ["run_packs.id"],
            name=op.f("runs_runpack_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("runs_pkey")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_runs_runpack_created", ["runpack_id", "created_at"], unique=False
        )

    op.create_table(
        "artifacts",
        sa.Column("id", sa.Uuid(), server_default=GenRandomUuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "created_at", UtcDateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("artifacts_run_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("artifacts_pkey")),
        sa.UniqueConstraint("run_id", "path", name=op.f("artifacts_run_id_path_key")),
    )

    for name, table, columns in (
        (
            "ix_conversations_project_created",
            "conversations",
            ["project_id", "created_at DESC"],
        ),
        (
            "ix_run_packs_project_created",
            "run_packs",
            ["project_id", "created_at DESC"],
        ),
        (
            "ix_run_packs_conversation",
            "run_packs",
            ["conversation_id", "created_at DESC"],
        ),
        ("ix_runs_project_created", "runs", ["project_id", "created_at DESC"]),
    ):
        op.create_index(name, table, [sa.text(c) for c in columns])


def downgrade() -> None:
    op.drop_table("artifacts")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_runpack_created")

    op.drop_table("runs")
    with op.batch_alter_table("run_pack_validations", schema=None) as batch_op:
        batch_op.drop_index("ix_run_pack_validations_file")

    op.drop_table("run_pack_validations")
    op.drop_table("run_pack_inputs")
    op.drop_table("run_pack_files")
    with op.batch_alter_table("run_packs", schema=None) as batch_op:
        batch_op.drop_index("ix_run_packs_project_inputs_hash")
        batch_op.drop_index(
            "ix_run_packs_message",
            postgresql_where=sa.text("message_id IS NOT NULL"),
            sqlite_where=sa.text("message_id IS NOT NULL"),
        )

    op.drop_table("run_packs")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_conversation_created")

    op.drop_table("messages")
    with op.batch_alter_table("endpoint_catalog", schema=None) as batch_op:
        batch_op.drop_index("ix_endpoint_catalog_spec")
        batch_op.drop_index("ix_endpoint_catalog_project_path_method")

    op.drop_table("endpoint_catalog")
    op.drop_table("policies")
    op.drop_table("integrations_github")
    op.drop_table("environments")
    op.drop_table("endpoint_discovery")
    op.drop_table("conversations")
    op.drop_table("api_specs")
    op.drop_table("projects")
