"""Every table module, imported once so that `metadata` is complete (Alembic, tests)."""

from __future__ import annotations

import tollhouse.adapters.counters.sql
import tollhouse.adapters.db.tables_editions
import tollhouse.adapters.db.tables_licence_codes
import tollhouse.adapters.db.tables_massend
import tollhouse.adapters.db.tables_whatsapp  # noqa: F401 - each module adds its tables
from tollhouse.adapters.db.tables import metadata

__all__ = ["metadata"]
