"""Alembic environment: one linear history for SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tollhouse.adapters.db.schema import metadata

config = context.config


def run() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        from tollhouse.adapters.db.engine import make_engine  # noqa: PLC0415

        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as connection:
            _migrate(connection)
        return
    _migrate(connectable)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


run()
