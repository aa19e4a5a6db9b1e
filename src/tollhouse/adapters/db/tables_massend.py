"""Tables of the massend capability, on the shared metadata."""

from __future__ import annotations

from tollhouse.adapters.db.tables import metadata

__all__ = ["metadata"]
