"""Alembic environment for chapi's schema.

chapi runs migrations itself (see :func:`chapi.storage.migrate.upgrade`),
handing over an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from chapi.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - chapi always passes a connection
    raise RuntimeError("chapi migrations need a connection in config.attributes")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
