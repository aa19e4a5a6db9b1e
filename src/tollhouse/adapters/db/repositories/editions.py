"""Persistence of the editions capability: vendors, suites, apps, strategy versions, terms,
orders, invoices, complaints and paytool nonces. Rows go in and out as plain dicts and `Term`s;
the service turns rows into domain entities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tollhouse.adapters.db import tables_editions as t
from tollhouse.domain.editions.terms import Term


def exact(value: Decimal) -> Decimal:
    """A stored fen value without the storage scale's trailing zeros (736300, 17536.5)."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


class Repository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- vendors, suites, tokens -------------------------------------------------------------

    def add_vendor(self, **values: Any) -> None:
        self.conn.execute(insert(t.editions_vendors).values(**values))

    def vendor(self, vendor_id: str) -> dict[str, Any] | None:
        return self._one(
            select(t.editions_vendors).where(t.editions_vendors.c.vendor_id == vendor_id)
        )

    def vendors(self) -> list[dict[str, Any]]:
        return self._all(select(t.editions_vendors).order_by(t.editions_vendors.c.vendor_id))

    def add_suite(self, **values: Any) -> None:
        self.conn.execute(insert(t.editions_suites).values(**values))

    def suite(self, suite_id: str) -> dict[str, Any] | None:
        return self._one(select(t.editions_suites).where(t.editions_suites.c.suite_id == suite_id))

    def add_suite_token(
        self, *, token: str, suite_id: str, issued_at: datetime, expires_at: datetime
    ) -> None:
        self.conn.execute(
            insert(t.editions_suite_tokens).values(
                token=token, suite_id=suite_id, issued_at=issued_at, expires_at=expires_at
            )
        )

    def suite_token(self, token: str) -> dict[str, Any] | None:
        return self._one(
            select(t.editions_suite_tokens).where(t.editions_suite_tokens.c.token == token)
        )

    def live_suite_token(self, suite_id: str, *, at: datetime) -> dict[str, Any] | None:
        return self._one(
            select(t.editions_suite_tokens)
            .where(
                t.editions_suite_tokens.c.suite_id == suite_id,
                t.editions_suite_tokens.c.expires_at > at,
            )
            .order_by(t.editions_suite_tokens.c.expires_at.desc())
            .limit(1)
        )

    # --- apps and strategies ------------------------------------------------------------------

    def add_app(self, **values: Any) -> None:
        self.conn.execute(insert(t.editions_apps).values(**values))

    def app(self, app_id: str) -> dict[str, Any] | None:
        return self._one(select(t.editions_apps).where(t.editions_apps.c.app_id == app_id))

    def app_by_suite_corp(self, suite_id: str, corpid: str) -> dict[str, Any] | None:
        return self._one(
            select(t.editions_apps).where(
                t.editions_apps.c.suite_id == suite_id, t.editions_apps.c.corpid == corpid
            )
        )

    def apps(self, vendor_id: str | None = None) -> list[dict[str, Any]]:
        query = select(t.editions_apps).order_by(t.editions_apps.c.app_id)
        if vendor_id is not None:
            query = query.where(t.editions_apps.c.vendor_id == vendor_id)
        return self._all(query)

    def update_app(self, app_id: str, **values: Any) -> None:
        self.conn.execute(
            update(t.editions_apps).where(t.editions_apps.c.app_id == app_id).values(**values)
        )

    def bump_plan_version(self, app_id: str) -> int:
        self.conn.execute(
            update(t.editions_apps)
            .where(t.editions_apps.c.app_id == app_id)
            .values(plan_version=t.editions_apps.c.plan_version + 1)
        )
        return int(
            self.conn.execute(
                select(t.editions_apps.c.plan_version).where(t.editions_apps.c.app_id == app_id)
            ).scalar_one()
        )

    def add_strategy(
        self, *, app_id: str, version: int, saved_at: datetime, body: dict[str, Any]
    ) -> None:
        self.conn.execute(
            insert(t.editions_strategies).values(
                app_id=app_id, version=version, saved_at=saved_at, body=body
            )
        )

    def strategy(self, app_id: str, version: int) -> dict[str, Any] | None:
        return self._one(
            select(t.editions_strategies).where(
                t.editions_strategies.c.app_id == app_id, t.editions_strategies.c.version == version
            )
        )

    # --- terms --------------------------------------------------------------------------------

    def terms(self, app_id: str) -> list[Term]:
        rows = self.conn.execute(
            select(t.editions_terms)
            .where(t.editions_terms.c.app_id == app_id)
            .order_by(t.editions_terms.c.begin, t.editions_terms.c.term_id)
        )
        return [_term(r._mapping) for r in rows]

    def replace_terms(self, app_id: str, terms: Sequence[Term]) -> None:
        self.conn.execute(delete(t.editions_terms).where(t.editions_terms.c.app_id == app_id))
        for term in terms:
            self.conn.execute(insert(t.editions_terms).values(app_id=app_id, **term_values(term)))

    # --- orders -------------------------------------------------------------------------------

    def add_order(self, **values: Any) -> None:
        self.conn.execute(insert(t.editions_orders).values(**values))

    def order(self, order_id: str) -> dict[str, Any] | None:
        return self._one(select(t.editions_orders).where(t.editions_orders.c.order_id == order_id))

    def update_order(self, order_id: str, **values: Any) -> None:
        self.conn.execute(
            update(t.editions_orders)
            .where(t.editions_orders.c.order_id == order_id)
            .values(**values)
        )

    def orders(
        self,
        *,
        app_id: str | None = None,
        vendor_id: str | None = None,
        statuses: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        after: str | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Orders by creation time then id; `after` is the last order id of the previous page."""
        c = t.editions_orders.c
        query = select(t.editions_orders)
        if app_id is not None:
            query = query.where(c.app_id == app_id)
        if vendor_id is not None:
            query = query.where(c.vendor_id == vendor_id)
        if statuses:
            query = query.where(c.status.in_(list(statuses)))
        if start is not None:
            query = query.where(c.created_at >= start)
        if end is not None:
            query = query.where(c.created_at < end)
        if after is not None:
            last = self.order(after)
            if last is not None:
                query = query.where(
                    (c.created_at > last["created_at"])
                    | ((c.created_at == last["created_at"]) & (c.order_id > after))
                )
        return self._all(query.order_by(c.created_at, c.order_id).limit(limit))

    def order_count(self, vendor_id: str) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(t.editions_orders)
                .where(t.editions_orders.c.vendor_id == vendor_id)
            ).scalar_one()
        )

    # --- invoices, complaints -----------------------------------------------------------------

    def add_invoice(self, **values: Any) -> None:
        self.conn.execute(insert(t.editions_invoices).values(**values))

    def invoices(self, order_ids: Sequence[str]) -> list[dict[str, Any]]:
        if not order_ids:
            return []
        return self._all(
            select(t.editions_invoices)
            .where(t.editions_invoices.c.order_id.in_(list(order_ids)))
            .order_by(t.editions_invoices.c.requested_at, t.editions_invoices.c.invoice_id)
        )

    def update_invoice(self, invoice_id: str, **values: Any) -> None:
        self.conn.execute(
            update(t.editions_invoices)
            .where(t.editions_invoices.c.invoice_id == invoice_id)
            .values(**values)
        )

    def add_complaint(self, **values: Any) -> None:
        self.conn.execute(insert(t.editions_complaints).values(**values))

    def complaints(self, order_id: str) -> list[dict[str, Any]]:
        return self._all(
            select(t.editions_complaints)
            .where(t.editions_complaints.c.order_id == order_id)
            .order_by(t.editions_complaints.c.at)
        )

    # --- paytool nonces -----------------------------------------------------------------------

    def use_nonce(self, vendor_id: str, nonce: str, *, at: datetime, since: datetime) -> bool:
        """Record a nonce; False when it was seen at or after `since` (reuse)."""
        self.conn.execute(delete(t.editions_nonces).where(t.editions_nonces.c.seen_at < since))
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.editions_nonces).values(vendor_id=vendor_id, nonce=nonce, seen_at=at)
                )
        except IntegrityError:
            return False
        return True

    # --- helpers ------------------------------------------------------------------------------

    def _one(self, query: Any) -> dict[str, Any] | None:
        row = self.conn.execute(query).first()
        return None if row is None else dict(row._mapping)

    def _all(self, query: Any) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self.conn.execute(query)]


def term_values(term: Term) -> dict[str, Any]:
    return {
        "term_id": term.term_id,
        "order_id": term.order_id,
        "edition_id": term.edition_id,
        "headcount": term.headcount,
        "cycles": term.cycles,
        "purchased_days": term.purchased_days,
        "bonus_days": term.bonus_days,
        "begin": term.begin,
        "value": term.value,
        "vendor_priced": term.vendor_priced,
    }


def _term(row: Any) -> Term:
    return Term(
        term_id=row["term_id"],
        order_id=row["order_id"],
        edition_id=row["edition_id"],
        headcount=row["headcount"],
        cycles=row["cycles"],
        purchased_days=row["purchased_days"],
        bonus_days=row["bonus_days"],
        begin=row["begin"],
        value=exact(row["value"]),
        vendor_priced=row["vendor_priced"],
    )
