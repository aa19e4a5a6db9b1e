"""Every table module, imported once so that `metadata` is complete (Alembic, tests)."""

from __future__ import annotations

from tollhouse.adapters.db.tables import metadata

__all__ = ["metadata"]
