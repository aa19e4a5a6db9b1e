"""Persistence of the whatsapp capability."""

from __future__ import annotations

from sqlalchemy import Connection


class Repository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
