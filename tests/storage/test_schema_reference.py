"""chapi's schema against the reference DDL, table by table, on PostgreSQL.

The reference DDL (``reference_schema.sql``, verbatim) is applied to a schema
of its own, chapi's migration to ``public``; then columns (type, nullability,
default), primary keys, unique constraints, foreign keys with their ``ON
DELETE`` rule and indexes (with ``DESC`` and partial predicates) are read from
the catalogs of both and compared. Every difference must be one of the
deviations listed, with its reason, in ``docs/schema.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from chapi.storage import SqlStorage
from chapi.storage.tables import metadata

HERE = Path(__file__).parent
REFERENCE_DDL = HERE / "reference_schema.sql"
SCHEMA_DOC = HERE.parents[1] / "docs" / "schema.md"
REF = "reference"

Fact = tuple[str, str, str, str]
"""(kind, table, name, definition)."""

# Each difference between the two schemas, keyed by its row in docs/schema.md.
# ``-`` marks a side that has nothing.
EXPECTED: dict[int, set[tuple[str, str, str, str, str]]] = {
    1: {
        ("column", "run_packs", "run_id", "uuid NULL", "-"),
        (
            "constraint",
            "run_packs",
            "run_packs_run_id_fkey",
            "FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE SET NULL",
            "-",
        ),
        ("column", "runs", "runpack_id", "-", "uuid NULL"),
        (
            "constraint",
            "runs",
            "runs_runpack_id_fkey",
            "-",
            "FOREIGN KEY (runpack_id) REFERENCES run_packs(id) ON DELETE SET NULL",
        ),
    },
    2: {
        (
            "index",
            "runs",
            "ix_runs_runpack_created",
            "-",
            "ON runs USING btree (runpack_id, created_at)",
        ),
    },
    3: {
        (
            "constraint",
            "runs",
            "runs_env_id_fkey",
            "FOREIGN KEY (env_id) REFERENCES environments(id) ON DELETE RESTRICT",
            "FOREIGN KEY (env_id) REFERENCES environments(id)",
        ),
    },
    4: {("column", "runs", "summary", "-", "jsonb NULL")},
    5: {
        (
            "column",
            "api_specs",
            "warnings",
            "-",
            "jsonb NOT NULL DEFAULT '[]'::jsonb",
        )
    },
    6: {
        ("column", "endpoint_catalog", "operation_id", "-", "text NULL"),
        (
            "column",
            "endpoint_catalog",
            "tags",
            "-",
            "jsonb NOT NULL DEFAULT '[]'::jsonb",
        ),
    },
    7: {
        (
            "index",
            "endpoint_catalog",
            "ix_endpoint_catalog_spec",
            "-",
            "ON endpoint_catalog USING btree (spec_id)",
        )
    },
    # 8: ids default to gen_random_uuid() instead of uuid_generate_v4(); the
    # id columns are compared with that one substitution (see _columns).
    9: {
        (
            "constraint",
            "projects",
            "projects_name_key",
            "-",
            "UNIQUE (name)",
        )
    },
    10: {
        (
            "constraint",
            "api_specs",
            "api_specs_project_id_version_key",
            "-",
            "UNIQUE (project_id, version)",
        )
    },
    11: {
        (
            "index",
            "run_packs",
            "ix_run_packs_project_inputs_hash",
            "-",
            "ON run_packs USING btree (project_id, inputs_hash)",
        )
    },
    # 12: alembic_version, Alembic's own table, is left out of the comparison.
}


def _statements(ddl: str) -> list[str]:
    """The DDL's statements, with ``runs`` created before ``run_packs`` (deviation 1)."""
    text = re.sub(r"--[^\n]*", "", ddl)
    statements = [s.strip() for s in text.split(";") if s.strip()]
    runs = [s for s in statements if s.startswith("CREATE TABLE runs ")]
    assert len(runs) == 1
    rest = [s for s in statements if s not in runs]
    at = next(i for i, s in enumerate(rest) if s.startswith("CREATE TABLE run_packs "))
    return rest[:at] + runs + rest[at:]


def _facts(conn: sa.Connection, schema: str) -> set[Fact]:
    conn.exec_driver_sql(f'SET search_path TO "{schema}"')
    facts: set[Fact] = set()
    columns = conn.execute(
        sa.text(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),"
            " a.attnotnull, pg_get_expr(d.adbin, d.adrelid)"
            " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE n.nspname = :schema AND c.relkind = 'r' AND a.attnum > 0"
            " AND NOT a.attisdropped AND c.relname <> 'alembic_version'"
        ),
        {"schema": schema},
    )
    for table, column, kind, not_null, default in columns:
        if default in ("uuid_generate_v4()", "gen_random_uuid()"):
            default = "<random uuid>"  # deviation 8
        shown = f"{kind} {'NOT NULL' if not_null else 'NULL'}"
        if default is not None:
            shown += f" DEFAULT {default}"
        facts.add(("column", table, column, shown))
    constraints = conn.execute(
        sa.text(
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)"
            " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND k.contype IN ('p', 'u', 'f', 'c')"
            " AND c.relname <> 'alembic_version'"
        ),
        {"schema": schema},
    )
    for table, name, definition in constraints:
        facts.add(("constraint", table, name, definition))
    indexes = conn.execute(
        sa.text(
            "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = :schema AND i.tablename <> 'alembic_version'"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k"
            "   JOIN pg_namespace n ON n.oid = k.connamespace"
            "   WHERE n.nspname = :schema AND k.conname = i.indexname)"
        ),
        {"schema": schema},
    )
    for table, name, definition in indexes:
        # "CREATE [UNIQUE] INDEX name ON schema.table ..." without name and schema
        shown = definition.replace(f"{schema}.", "").replace(f'"{schema}".', "")
        shown = re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ", r"\1", shown)
        facts.add(("index", table, name, shown))
    return facts


def _differences(
    reference: set[Fact], chapi: set[Fact]
) -> set[tuple[str, str, str, str, str]]:
    ref = {(k, t, n): d for k, t, n, d in reference}
    ours = {(k, t, n): d for k, t, n, d in chapi}
    return {
        (*key, ref.get(key, "-"), ours.get(key, "-"))
        for key in ref.keys() | ours.keys()
        if ref.get(key) != ours.get(key)
    }


@pytest.fixture(scope="module")
def reference_schema(_pg_storage: SqlStorage) -> Iterator[sa.Engine]:
    """The reference DDL applied to a schema of its own, beside chapi's tables."""
    engine = _pg_storage.engine
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{REF}" CASCADE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{REF}"')
        conn.exec_driver_sql(f'SET LOCAL search_path TO "{REF}"')
        for statement in _statements(REFERENCE_DDL.read_text()):
            conn.exec_driver_sql(statement)
    yield engine
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{REF}" CASCADE')


@pytest.mark.postgres
def test_reference_ddl_cannot_be_applied_as_written(_pg_storage: SqlStorage) -> None:
    """Deviation 1's second reason: the DDL creates run_packs before runs."""
    text = re.sub(r"--[^\n]*", "", REFERENCE_DDL.read_text())
    text = text.replace("uuid_generate_v4()", "gen_random_uuid()")
    statements = [
        s.strip() for s in text.split(";") if s.strip() and "EXTENSION" not in s
    ]
    with _pg_storage.engine.connect() as conn:
        conn.exec_driver_sql("CREATE SCHEMA as_written")
        conn.exec_driver_sql("SET LOCAL search_path TO as_written")
        with pytest.raises(sa.exc.ProgrammingError, match='relation "runs"'):
            for statement in statements:
                conn.exec_driver_sql(statement)
        conn.rollback()


@pytest.mark.postgres
def test_schema_differs_from_reference_only_by_listed_deviations(
    reference_schema: sa.Engine,
) -> None:
    """Every column, constraint and index matches, but for docs/schema.md's deviations."""
    with reference_schema.connect() as conn:
        reference = _facts(conn, REF)
        chapi = _facts(conn, "public")

    found = _differences(reference, chapi)

    assert len({f[1] for f in reference if f[0] == "column"}) == 15
    assert found == set().union(*EXPECTED.values())


@pytest.mark.postgres
def test_reference_indexes_and_delete_rules_are_present(
    reference_schema: sa.Engine,
) -> None:
    """Spot checks that the comparison sees what matters (it could pass on empty sets)."""
    with reference_schema.connect() as conn:
        chapi = _facts(conn, "public")

    assert (
        "index",
        "run_packs",
        "ix_run_packs_message",
        "UNIQUE ON run_packs USING btree (message_id) WHERE (message_id IS NOT NULL)",
    ) in chapi
    assert (
        "index",
        "conversations",
        "ix_conversations_project_created",
        "ON conversations USING btree (project_id, created_at DESC)",
    ) in chapi
    assert (
        "constraint",
        "messages",
        "messages_conversation_id_fkey",
        "FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE",
    ) in chapi
    assert (
        "constraint",
        "run_packs",
        "run_packs_message_id_fkey",
        "FOREIGN KEY (message_id) REFERENCES messages(id) ON DELETE SET NULL",
    ) in chapi


def test_every_listed_deviation_is_documented() -> None:
    """docs/schema.md has a numbered row for each deviation the comparison allows."""
    doc = SCHEMA_DOC.read_text()
    rows = set(re.findall(r"^\| (\d+) \|", doc, flags=re.MULTILINE))

    assert {str(n) for n in EXPECTED} | {"8", "12"} <= rows
    assert "test_schema_reference.py" in doc


def test_migration_creates_exactly_the_tables_module(storage: SqlStorage) -> None:
    """After the migration, Alembic finds no difference from ``chapi.storage.tables``.

    Alembic cannot compare SQLite's ``DESC`` indexes (it reflects them
    without their ordering); on SQLite those are checked with
    ``PRAGMA index_xinfo`` instead.
    """
    storage.migrate()
    descending = {
        index.name: table.name
        for table in metadata.tables.values()
        for index in table.indexes
        if any(isinstance(e, sa.TextClause) for e in index.expressions)
    }
    with storage.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
        order = {
            name: [
                (r[2], r[3])
                for r in conn.exec_driver_sql(f"PRAGMA index_xinfo({name})")
                if r[5]  # key columns only
            ]
            for name in descending
            if storage.backend == "sqlite"
        }
    if storage.backend == "sqlite":
        diff = [
            d
            for d in diff
            if not (d[0] in ("add_index", "remove_index") and d[1].name in descending)
        ]
        assert all(order[name][-1] == ("created_at", 1) for name in descending)

    assert len(descending) == 4
    assert diff == []
