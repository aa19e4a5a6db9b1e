"""The Alembic history builds exactly the schema the code declares, on both engines."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tollhouse.adapters.db.schema import metadata


def test_migrations_match_the_declared_tables(engine: Any) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, metadata)
    assert diff == [], diff


def test_every_declared_table_exists_after_upgrade(engine: Any) -> None:
    from sqlalchemy import inspect  # noqa: PLC0415

    present = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= present
