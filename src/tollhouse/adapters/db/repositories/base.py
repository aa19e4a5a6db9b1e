"""What every repository shares: its connection and rows read as plain dicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Executable


class SqlRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def one(self, query: Executable) -> dict[str, Any] | None:
        """The first row of `query` as a dict, or None."""
        row = self.conn.execute(query).first()
        return None if row is None else dict(row._mapping)

    def all(self, query: Executable) -> list[dict[str, Any]]:
        """Every row of `query` as a dict."""
        return [dict(r._mapping) for r in self.conn.execute(query)]
