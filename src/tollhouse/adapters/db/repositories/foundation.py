"""Repositories of the foundation: tenants and their clocks, API keys, idempotency, events,
delivery attempts and due tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tollhouse.adapters.db import tables as t


@dataclass(frozen=True, slots=True)
class TenantRow:
    id: str
    kind: str
    name: str
    sandbox: bool
    clock_now: datetime | None
    has_activity: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    tenant_id: str
    kind: str
    occurred_at: datetime
    payload: dict[str, Any]
    target_url: str | None
    content_type: str | None
    body: str | None
    delivery_status: str
    attempts: int
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueTask:
    id: int
    tenant_id: str
    due_at: datetime
    kind: str
    payload: dict[str, Any]


class TenantRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: TenantRow) -> None:
        self.conn.execute(
            insert(t.tenants).values(
                id=row.id,
                kind=row.kind,
                name=row.name,
                sandbox=row.sandbox,
                clock_now=row.clock_now,
                has_activity=row.has_activity,
                created_at=row.created_at,
            )
        )

    def get(self, tenant_id: str) -> TenantRow | None:
        found = self.conn.execute(select(t.tenants).where(t.tenants.c.id == tenant_id)).first()
        return None if found is None else TenantRow(**found._mapping)

    def set_clock(self, tenant_id: str, instant: datetime) -> None:
        self.conn.execute(
            update(t.tenants).where(t.tenants.c.id == tenant_id).values(clock_now=instant)
        )

    def mark_activity(self, tenant_id: str) -> None:
        self.conn.execute(
            update(t.tenants)
            .where(t.tenants.c.id == tenant_id, t.tenants.c.has_activity.is_(False))
            .values(has_activity=True)
        )

    def list(self, kind: str | None = None) -> list[TenantRow]:
        query = select(t.tenants).order_by(t.tenants.c.id)
        if kind is not None:
            query = query.where(t.tenants.c.kind == kind)
        return [TenantRow(**r._mapping) for r in self.conn.execute(query)]


class ApiKeyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self, *, key_id: str, key_hash: str, name: str, tenant_id: str | None, at: datetime
    ) -> None:
        self.conn.execute(
            insert(t.api_keys).values(
                id=key_id, key_hash=key_hash, name=name, tenant_id=tenant_id, created_at=at
            )
        )

    def by_hash(self, key_hash: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.api_keys).where(
                t.api_keys.c.key_hash == key_hash, t.api_keys.c.revoked_at.is_(None)
            )
        ).first()
        return None if row is None else dict(row._mapping)

    def list(self) -> list[dict[str, Any]]:
        return [
            dict(r._mapping)
            for r in self.conn.execute(select(t.api_keys).order_by(t.api_keys.c.created_at))
        ]

    def revoke(self, key_id: str, *, at: datetime) -> bool:
        done = self.conn.execute(
            update(t.api_keys)
            .where(t.api_keys.c.id == key_id, t.api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(done.rowcount)


class IdempotencyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, scope: str, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.idempotency_keys).where(
                t.idempotency_keys.c.scope == scope, t.idempotency_keys.c.key == key
            )
        ).first()
        return None if row is None else dict(row._mapping)

    def add(
        self,
        *,
        scope: str,
        key: str,
        request_hash: str,
        status_code: int,
        response: Any,
        at: datetime,
    ) -> None:
        self.conn.execute(
            insert(t.idempotency_keys).values(
                scope=scope,
                key=key,
                request_hash=request_hash,
                status_code=status_code,
                response=response,
                created_at=at,
            )
        )


class EventRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        *,
        tenant_id: str,
        kind: str,
        at: datetime,
        payload: dict[str, Any],
        target_url: str | None = None,
        content_type: str | None = None,
        body: str | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Insert an event; returns None when `dedupe_key` was already recorded."""
        values = {
            "tenant_id": tenant_id,
            "kind": kind,
            "occurred_at": at,
            "payload": payload,
            "target_url": target_url,
            "content_type": content_type,
            "body": body,
            "dedupe_key": dedupe_key,
            "attempts": 0,
            "delivery_status": "pending" if target_url else "feed_only",
        }
        if (
            dedupe_key is not None
            and self.conn.execute(
                select(t.events.c.id).where(t.events.c.dedupe_key == dedupe_key)
            ).first()
            is not None
        ):
            return None
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(insert(t.events).values(**values))
        except IntegrityError:
            return None
        key = result.inserted_primary_key
        return None if key is None else int(key[0])

    def get(self, event_id: int) -> EventRow | None:
        row = self.conn.execute(select(t.events).where(t.events.c.id == event_id)).first()
        return None if row is None else _event(row._mapping)

    def record_attempt(
        self,
        event_id: int,
        *,
        at: datetime,
        ok: bool,
        http_status: int | None,
        response_body: str,
        error: str | None,
        duration_ms: int,
        final_failure: bool,
    ) -> int:
        attempt = (
            int(
                self.conn.execute(
                    select(t.events.c.attempts).where(t.events.c.id == event_id)
                ).scalar_one()
            )
            + 1
        )
        self.conn.execute(
            insert(t.delivery_attempts).values(
                event_id=event_id,
                attempt=attempt,
                attempted_at=at,
                http_status=http_status,
                ok=ok,
                response_body=response_body[:2000],
                error=error,
                duration_ms=duration_ms,
            )
        )
        status = "delivered" if ok else ("failed" if final_failure else "pending")
        self.conn.execute(
            update(t.events)
            .where(t.events.c.id == event_id)
            .values(attempts=attempt, delivery_status=status, delivered_at=at if ok else None)
        )
        return attempt

    def feed(
        self,
        *,
        tenant_ids: Sequence[str] | None,
        kind: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[EventRow]:
        query = select(t.events).where(t.events.c.id > after_id)
        if tenant_ids is not None:
            query = query.where(t.events.c.tenant_id.in_(tenant_ids))
        if kind is not None:
            query = query.where(t.events.c.kind == kind)
        rows = self.conn.execute(query.order_by(t.events.c.id).limit(limit))
        return [_event(r._mapping) for r in rows]

    def attempts(self, event_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(t.delivery_attempts)
            .where(t.delivery_attempts.c.event_id == event_id)
            .order_by(t.delivery_attempts.c.attempt)
        )
        return [dict(r._mapping) for r in rows]


def _event(row: Any) -> EventRow:
    return EventRow(
        id=row["id"],
        tenant_id=row["tenant_id"],
        kind=row["kind"],
        occurred_at=row["occurred_at"],
        payload=row["payload"],
        target_url=row["target_url"],
        content_type=row["content_type"],
        body=row["body"],
        delivery_status=row["delivery_status"],
        attempts=row["attempts"],
        delivered_at=row["delivered_at"],
    )


class DueTaskRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        *,
        tenant_id: str,
        due_at: datetime,
        kind: str,
        payload: dict[str, Any],
        dedupe_key: str | None = None,
    ) -> bool:
        """Schedule a task; False when `dedupe_key` is already scheduled."""
        if (
            dedupe_key is not None
            and self.conn.execute(
                select(t.due_tasks.c.id).where(t.due_tasks.c.dedupe_key == dedupe_key)
            ).first()
            is not None
        ):
            return False
        self.conn.execute(
            insert(t.due_tasks).values(
                tenant_id=tenant_id,
                due_at=due_at,
                kind=kind,
                payload=payload,
                dedupe_key=dedupe_key,
            )
        )
        return True

    def next_due(self, tenant_id: str, *, until: datetime) -> DueTask | None:
        row = self.conn.execute(
            select(t.due_tasks)
            .where(
                t.due_tasks.c.done_at.is_(None),
                t.due_tasks.c.tenant_id == tenant_id,
                t.due_tasks.c.due_at <= until,
            )
            .order_by(t.due_tasks.c.due_at, t.due_tasks.c.id)
            .limit(1)
        ).first()
        if row is None:
            return None
        m = row._mapping
        return DueTask(m["id"], m["tenant_id"], m["due_at"], m["kind"], m["payload"])

    def mark_done(self, task_id: int, *, at: datetime) -> bool:
        done = self.conn.execute(
            update(t.due_tasks)
            .where(t.due_tasks.c.id == task_id, t.due_tasks.c.done_at.is_(None))
            .values(done_at=at)
        )
        return bool(done.rowcount)

    def tenants_with_pending(self) -> list[str]:
        rows = self.conn.execute(
            select(t.due_tasks.c.tenant_id)
            .where(t.due_tasks.c.done_at.is_(None))
            .group_by(t.due_tasks.c.tenant_id)
        )
        return [r[0] for r in rows]

    def pending_count(self, tenant_id: str) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(t.due_tasks)
                .where(t.due_tasks.c.tenant_id == tenant_id, t.due_tasks.c.done_at.is_(None))
            ).scalar_one()
        )
