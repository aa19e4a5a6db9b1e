"""The SQL unit of work: one transaction per command, repositories bound to its connection."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction, select

from tollhouse.adapters.db import tables as t
from tollhouse.adapters.db.repositories.foundation import (
    ApiKeyRepository,
    DueTaskRepository,
    EventRepository,
    IdempotencyRepository,
    TenantRepository,
)


class SqlUnitOfWork:
    """``with uow:`` opens a transaction; leave without ``commit()`` and it rolls back.

    On SQLite a write transaction starts with BEGIN IMMEDIATE, which serialises writers; on
    PostgreSQL ``lock_tenant`` takes the tenant's row lock, so commands of one tenant run one
    at a time while other tenants proceed.
    """

    def __init__(self, engine: Engine, *, readonly: bool = False) -> None:
        self.engine = engine
        self.readonly = readonly
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside `with`")
        return self._conn

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def __enter__(self) -> Self:
        conn = self.engine.connect()
        if self.readonly:
            conn = conn.execution_options(tollhouse_readonly=True)
        self._conn = conn
        self._tx = conn.begin()
        self.tenants = TenantRepository(conn)
        self.api_keys = ApiKeyRepository(conn)
        self.idempotency = IdempotencyRepository(conn)
        self.events = EventRepository(conn)
        self.tasks = DueTaskRepository(conn)
        self._bind_capabilities(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._conn is not None and self._conn.in_transaction():
                self._conn.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._tx = None

    def _bind_capabilities(self, conn: Connection) -> None:
        """Capability repositories, bound to the same connection."""
        from tollhouse.adapters.db.repositories import (  # noqa: PLC0415
            editions,
            licence_codes,
            licences,
            massend,
            whatsapp,
        )

        self.licences = licences.LicenceRepository(conn)
        self.codes = licence_codes.Repository(conn)
        self.editions = editions.Repository(conn)
        self.massend = massend.Repository(conn)
        self.whatsapp = whatsapp.Repository(conn)

    def commit(self) -> None:
        """Commit; a later statement in the same `with` autobegins a new transaction."""
        if self.conn.in_transaction():
            self.conn.commit()

    def rollback(self) -> None:
        if self.conn.in_transaction():
            self.conn.rollback()

    def lock_tenant(self, tenant_id: str) -> None:
        """Serialise the commands of one tenant (no-op on SQLite: BEGIN IMMEDIATE did it)."""
        if self.is_postgres:
            self.conn.execute(
                select(t.tenants.c.id).where(t.tenants.c.id == tenant_id).with_for_update()
            )
