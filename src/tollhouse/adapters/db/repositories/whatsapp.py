"""Persistence of the whatsapp capability: accounts, WABAs, raw events, the charge ledger,
rate cards, fee plans, statements, budgets and alerts.

The ingest path uses bulk statements only: ``INSERT … ON CONFLICT DO NOTHING`` executemany for
raw events and charges (the unique keys are the dedupe keys of D-2), one ``IN`` query for the
charge keys already stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from tollhouse.adapters.db import tables_whatsapp as w

CHUNK = 4000

STATUS_COLUMNS = (
    "body_id",
    "billing_account",
    "waba_id",
    "phone_number_id",
    "wamid",
    "status",
    "ts",
    "recipient",
    "pricing_model",
    "pricing_type",
    "category",
    "conversation_id",
    "error_code",
)
CHARGE_COLUMNS = (
    "billing_account",
    "waba_id",
    "charge_key",
    "phone_number_id",
    "ts",
    "month",
    "billed_month",
    "model",
    "country",
    "market",
    "category",
    "pricing_type",
    "status",
    "currency",
    "quantity",
    "unit_rate",
    "amount",
    "tier",
    "card_version",
    "reason",
)
"""Column orders of the tuples that ``bulk_insert`` takes on the ingest path; money columns
(``unit_rate``, ``amount``) are integer micros there, as ``ScaledDecimal(6)`` stores them."""


def _pg_array_type(table: Table, column: str) -> str:
    kind = table.c[column].type
    stored = getattr(kind, "impl_instance", kind)  # ScaledDecimal is stored as BIGINT
    if isinstance(stored, BigInteger):
        return "bigint[]"
    if isinstance(stored, Integer):
        return "integer[]"
    return "text[]"


def _insert_ignore(conn: Connection, table: Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


class Repository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ---- apps, accounts, WABAs, numbers --------------------------------------------------

    def add_app(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(w.wa_apps).values(**values))

    def update_app(self, app_id: str, values: dict[str, Any]) -> bool:
        done = self.conn.execute(
            update(w.wa_apps).where(w.wa_apps.c.app_id == app_id).values(**values)
        )
        return bool(done.rowcount)

    def app(self, app_id: str) -> dict[str, Any] | None:
        return self._one(select(w.wa_apps).where(w.wa_apps.c.app_id == app_id))

    def apps(self) -> list[dict[str, Any]]:
        return self._all(select(w.wa_apps).order_by(w.wa_apps.c.app_id))

    def add_account(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(w.wa_accounts).values(**values))

    def account(self, account_id: str) -> dict[str, Any] | None:
        return self._one(select(w.wa_accounts).where(w.wa_accounts.c.id == account_id))

    def accounts(self) -> list[dict[str, Any]]:
        return self._all(select(w.wa_accounts).order_by(w.wa_accounts.c.id))

    def update_account(self, account_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(w.wa_accounts).where(w.wa_accounts.c.id == account_id).values(**values)
        )

    def add_waba(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(w.wa_wabas).values(**values))

    def waba(self, waba_id: str) -> dict[str, Any] | None:
        return self._one(select(w.wa_wabas).where(w.wa_wabas.c.waba_id == waba_id))

    def update_waba(self, waba_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(w.wa_wabas).where(w.wa_wabas.c.waba_id == waba_id).values(**values)
        )

    def wabas(
        self, waba_ids: Iterable[str] | None = None, *, account: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(w.wa_wabas).order_by(w.wa_wabas.c.waba_id)
        if waba_ids is not None:
            query = query.where(w.wa_wabas.c.waba_id.in_(list(waba_ids)))
        if account is not None:
            query = query.where(w.wa_wabas.c.billing_account == account)
        return self._all(query)

    def add_number(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(w.wa_numbers).values(**values))

    def number(self, phone_number_id: str) -> dict[str, Any] | None:
        return self._one(
            select(w.wa_numbers).where(w.wa_numbers.c.phone_number_id == phone_number_id)
        )

    def numbers(
        self, *, account: str | None = None, waba_id: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(w.wa_numbers).order_by(w.wa_numbers.c.phone_number_id)
        if account is not None:
            query = query.where(w.wa_numbers.c.billing_account == account)
        if waba_id is not None:
            query = query.where(w.wa_numbers.c.waba_id == waba_id)
        return self._all(query)

    def update_number(self, phone_number_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(w.wa_numbers)
            .where(w.wa_numbers.c.phone_number_id == phone_number_id)
            .values(**values)
        )

    # ---- raw events ----------------------------------------------------------------------

    def add_body(self, values: dict[str, Any]) -> int | None:
        """Store a raw body once; None when the same bytes were stored before."""
        result = self.conn.execute(
            _insert_ignore(self.conn, w.wa_webhook_bodies)
            .values(**values)
            .returning(w.wa_webhook_bodies.c.id)
        )
        found = result.scalar_one_or_none()
        return None if found is None else int(found)

    def insert_ignore(self, table: Table, rows: Sequence[dict[str, Any]]) -> int:
        """Bulk insert, skipping rows whose unique key exists; returns rows inserted."""
        if not rows:
            return 0
        inserted = 0
        statement = _insert_ignore(self.conn, table)
        if self.conn.dialect.name == "postgresql":
            # psycopg's executemany reports rowcount -1: count the rows RETURNING gives back
            # (SQLAlchemy batches them into multi-row VALUES, "insertmanyvalues")
            key = next(iter(table.primary_key.columns))
            returning = statement.returning(key)
            for start in range(0, len(rows), CHUNK):
                result = self.conn.execute(returning, list(rows[start : start + CHUNK]))
                inserted += len(result.all())
            return inserted
        for start in range(0, len(rows), CHUNK):
            result = self.conn.execute(statement, list(rows[start : start + CHUNK]))
            inserted += max(result.rowcount, 0)
        return inserted

    def bulk_insert(
        self, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> int:
        """``INSERT … ON CONFLICT DO NOTHING`` of plain tuples, bypassing SQLAlchemy's per-row
        parameter processing (the ingest hot path); returns the rows inserted.

        SQLite: one ``executemany`` on the connection's cursor. PostgreSQL: one
        ``INSERT … SELECT * FROM unnest(<one array per column>)``. Values must already be in
        their stored form (integer micros for ``ScaledDecimal``, Unix seconds for ``ts``).
        """
        if not rows:
            return 0
        names = ", ".join(columns)
        cursor = self.conn.connection.cursor()
        try:
            if self.conn.dialect.name == "postgresql":
                arrays = ", ".join(f"%s::{_pg_array_type(table, c)}" for c in columns)
                cursor.execute(
                    f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608 - names come from the Table
                    "ON CONFLICT DO NOTHING",
                    [list(column) for column in zip(*rows, strict=True)],
                )
                return max(int(cursor.rowcount), 0)
            marks = ", ".join("?" * len(columns))
            cursor.executemany(
                f"INSERT INTO {table.name} ({names}) VALUES ({marks}) "  # noqa: S608 - names come from the Table
                "ON CONFLICT DO NOTHING",
                rows,
            )
            return max(int(cursor.rowcount), 0)
        finally:
            cursor.close()

    def insert_statuses(self, rows: Sequence[dict[str, Any]]) -> int:
        return self.insert_ignore(w.wa_statuses, rows)

    def insert_status_rows(self, rows: Sequence[tuple[Any, ...]]) -> int:
        return self.bulk_insert(w.wa_statuses, STATUS_COLUMNS, rows)

    def insert_charge_rows(self, rows: Sequence[tuple[Any, ...]]) -> int:
        return self.bulk_insert(w.wa_charges, CHARGE_COLUMNS, rows)

    def insert_inbound(self, rows: Sequence[dict[str, Any]]) -> int:
        return self.insert_ignore(w.wa_inbound, rows)

    def insert_other(self, rows: Sequence[dict[str, Any]]) -> int:
        return self.insert_ignore(w.wa_other_events, rows)

    def statuses_of(self, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """Stored statuses of (phone_number_id, wamid) pairs: the slow path of D-3."""
        rows: list[dict[str, Any]] = []
        wamids = sorted({wamid for _, wamid in keys})
        for start in range(0, len(wamids), CHUNK):
            rows += self._all(
                select(w.wa_statuses).where(
                    w.wa_statuses.c.wamid.in_(wamids[start : start + CHUNK])
                )
            )
        wanted = set(keys)
        return [r for r in rows if (r["phone_number_id"], r["wamid"]) in wanted]

    def other_events(self, *, account: str, field: str) -> list[dict[str, Any]]:
        return self._all(
            select(w.wa_other_events)
            .where(
                w.wa_other_events.c.billing_account == account, w.wa_other_events.c.field == field
            )
            .order_by(w.wa_other_events.c.id)
        )

    # ---- charges -------------------------------------------------------------------------

    def existing_charge_keys(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (waba_id, charge_key) pairs already in the ledger: one query per WABA."""
        by_waba: dict[str, list[str]] = {}
        for waba_id, key in keys:
            by_waba.setdefault(waba_id, []).append(key)
        found: set[tuple[str, str]] = set()
        if not by_waba:
            return found
        cursor = self.conn.connection.cursor()
        try:
            for waba_id, listed in by_waba.items():
                if self.conn.dialect.name == "postgresql":
                    cursor.execute(
                        "SELECT charge_key FROM wa_charges WHERE waba_id = %s "
                        "AND charge_key = ANY(%s::text[])",
                        (waba_id, listed),
                    )
                else:  # one JSON parameter instead of thousands of bound ones
                    cursor.execute(
                        "SELECT charge_key FROM wa_charges WHERE waba_id = ? AND "
                        "charge_key IN (SELECT value FROM json_each(?))",
                        (waba_id, json.dumps(listed)),
                    )
                found.update((waba_id, r[0]) for r in cursor.fetchall())
        finally:
            cursor.close()
        return found

    def insert_charges(self, rows: Sequence[dict[str, Any]]) -> int:
        return self.insert_ignore(w.wa_charges, rows)

    def count_charges(
        self,
        *,
        wabas: Sequence[str],
        month: str,
        categories: Sequence[str] | None = None,
        market: str | None = None,
        pricing_type: str | None = None,
        status: str | None = None,
    ) -> int:
        c = w.wa_charges.c
        query = (
            select(func.count())
            .select_from(w.wa_charges)
            .where(c.waba_id.in_(list(wabas)), c.month == month)
        )
        if categories is not None:
            query = query.where(c.category.in_(list(categories)))
        if market is not None:
            query = query.where(c.market == market)
        if pricing_type is not None:
            query = query.where(c.pricing_type == pricing_type)
        if status is not None:
            query = query.where(c.status == status)
        return int(self.conn.execute(query).scalar_one())

    def charge_groups(
        self, *, account: str, billed_month: str, currency: str | None = None
    ) -> list[dict[str, Any]]:
        """Charges of one statement, grouped as statement lines group them (D-1)."""
        c = w.wa_charges.c
        keys = (
            c.month,
            c.currency,
            c.market,
            c.category,
            c.pricing_type,
            c.status,
            c.tier,
            c.unit_rate,
            c.card_version,
            c.model,
            case((c.adjusts.is_(None), 0), else_=1).label("adjustment"),
        )
        query = (
            select(*keys, func.sum(c.quantity).label("quantity"), func.count().label("charges"))
            .where(c.billing_account == account, c.billed_month == billed_month)
            .group_by(*keys)
        )
        if currency is not None:
            query = query.where(c.currency == currency)
        return self._all(query)

    def rerate_candidates(self, *, account: str, months: Sequence[str]) -> list[dict[str, Any]]:
        """Rated charges of open months (originals and re-rating adjustments), R-RT-4."""
        c = w.wa_charges.c
        query = (
            select(w.wa_charges)
            .where(
                c.billing_account == account,
                c.billed_month.in_(list(months)),
                c.month == c.billed_month,
                c.status == "rated",
            )
            .order_by(c.id)
        )
        return self._all(query)

    def charge_currencies(self, *, account: str, billed_month: str) -> set[str]:
        c = w.wa_charges.c
        rows = self.conn.execute(
            select(c.currency)
            .where(c.billing_account == account, c.billed_month == billed_month)
            .group_by(c.currency)
        )
        return {r[0] for r in rows}

    def spend(
        self,
        *,
        account: str,
        billed_month: str | None,
        currency: str,
        scope_type: str = "billing_account",
        scope_id: str = "",
    ) -> Decimal:
        """Exact sum of confirmed Meta charges (D-31)."""
        c = w.wa_charges.c
        query = select(func.coalesce(func.sum(c.amount), 0)).where(
            c.billing_account == account, c.currency == currency, c.status == "rated"
        )
        if billed_month is not None:
            query = query.where(c.billed_month == billed_month)
        if scope_type == "waba":
            query = query.where(c.waba_id == scope_id)
        elif scope_type == "phone_number":
            query = query.where(c.phone_number_id == scope_id)
        value = self.conn.execute(query).scalar_one()
        return value if isinstance(value, Decimal) else Decimal(int(value)).scaleb(-6)

    def charges(
        self,
        *,
        waba_id: str | None = None,
        account: str | None = None,
        start_ts: int | None = None,
        end_ts: int | None = None,
        model: str | None = None,
        status: str | None = None,
        billed_month: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        c = w.wa_charges.c
        query = select(w.wa_charges).order_by(c.ts, c.id)
        conditions = []
        if waba_id is not None:
            conditions.append(c.waba_id == waba_id)
        if account is not None:
            conditions.append(c.billing_account == account)
        if start_ts is not None:
            conditions.append(c.ts >= start_ts)
        if end_ts is not None:
            conditions.append(c.ts < end_ts)
        if model is not None:
            conditions.append(c.model == model)
        if status is not None:
            conditions.append(c.status == status)
        if billed_month is not None:
            conditions.append(c.billed_month == billed_month)
        if conditions:
            query = query.where(and_(*conditions))
        if limit is not None:
            query = query.limit(limit)
        return self._all(query)

    def daily_usage(
        self, *, account: str, start_ts: int, end_ts: int, offset_s: int
    ) -> list[dict[str, Any]]:
        """Charges per local day (fixed offset), category and status for the dashboard."""
        c = w.wa_charges.c
        day = (c.ts + offset_s) // 86400
        query = (
            select(
                day.label("day"),
                c.category,
                c.market,
                c.status,
                func.count().label("count"),
                func.coalesce(func.sum(c.amount), 0).label("amount"),
            )
            .where(c.billing_account == account, c.ts >= start_ts, c.ts < end_ts)
            .group_by(day, c.category, c.market, c.status)
        )
        return self._all(query)

    # ---- messages for BSP fees and pending ------------------------------------------------

    def statuses_between(
        self, *, account: str, start_ts: int, end_ts: int
    ) -> list[tuple[Any, ...]]:
        c = w.wa_statuses.c
        rows = self.conn.execute(
            select(c.wamid, c.status, c.category, c.recipient, c.ts, c.pricing_type).where(
                c.billing_account == account, c.ts >= start_ts, c.ts < end_ts
            )
        )
        return [tuple(r) for r in rows]

    def inbound_count(self, *, account: str, start_ts: int, end_ts: int) -> int:
        c = w.wa_inbound.c
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(w.wa_inbound)
                .where(c.billing_account == account, c.ts >= start_ts, c.ts < end_ts)
            ).scalar_one()
        )

    def pending_count(self, *, account: str, start_ts: int, end_ts: int) -> int:
        """D-4: wamids seen as ``sent`` only."""
        c = w.wa_statuses.c
        confirmed = case((c.status.in_(["delivered", "read", "failed"]), 1), else_=0)
        per_wamid = (
            select(c.wamid, func.max(confirmed).label("done"))
            .where(c.billing_account == account, c.ts >= start_ts, c.ts < end_ts)
            .group_by(c.phone_number_id, c.wamid)
            .subquery()
        )
        return int(
            self.conn.execute(
                select(func.count()).select_from(per_wamid).where(per_wamid.c.done == 0)
            ).scalar_one()
        )

    def thread_events(
        self, *, phone_number_id: str, user: str, start_ts: int, end_ts: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One (number, user) thread for the inference path (R-IN-5): inbound messages and
        confirming statuses of business messages, between two instants."""
        i, s = w.wa_inbound.c, w.wa_statuses.c
        inbound = self._all(
            select(i.wamid, i.ts, i.referral)
            .where(
                i.phone_number_id == phone_number_id,
                i.sender == user,
                i.ts >= start_ts,
                i.ts < end_ts,
            )
            .order_by(i.ts)
        )
        business = self._all(
            select(s.wamid, s.status, s.ts, s.category, s.error_code)
            .where(
                s.phone_number_id == phone_number_id,
                s.recipient == user,
                s.ts >= start_ts,
                s.ts < end_ts,
            )
            .order_by(s.ts)
        )
        return inbound, business

    def number_charges(self, *, phone_number_id: str, month: str, categories: Sequence[str]) -> int:
        c = w.wa_charges.c
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(w.wa_charges)
                .where(
                    c.phone_number_id == phone_number_id,
                    c.month == month,
                    c.category.in_(list(categories)),
                    c.status != "unrated",
                )
            ).scalar_one()
        )

    def add_reservation(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(w.wa_reservations).values(**values))

    def reservation(self, reservation_id: str) -> dict[str, Any] | None:
        return self._one(select(w.wa_reservations).where(w.wa_reservations.c.id == reservation_id))

    def release_reservation(self, reservation_id: str, at: datetime) -> bool:
        c = w.wa_reservations.c
        done = self.conn.execute(
            update(w.wa_reservations)
            .where(c.id == reservation_id, c.released_at.is_(None))
            .values(released_at=at)
        )
        return bool(done.rowcount)

    def reserved(self, *, account: str, currency: str, now: datetime) -> Decimal:
        """Exact sum of the holds still active at ``now`` (R-BUD-4)."""
        c = w.wa_reservations.c
        rows = self.conn.execute(
            select(c.amount).where(
                c.billing_account == account,
                c.currency == currency,
                c.released_at.is_(None),
                c.expires_at > now,
            )
        )
        return sum((r[0] for r in rows), Decimal(0))

    def count_rows(self, table: Table, **equals: Any) -> int:
        query = select(func.count()).select_from(table)
        for name, value in equals.items():
            query = query.where(table.c[name] == value)
        return int(self.conn.execute(query).scalar_one())

    # ---- rate cards, fee plans, activity ---------------------------------------------------

    def add_card(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(w.wa_rate_cards).values(**values))

    def card(self, version: str) -> dict[str, Any] | None:
        return self._one(select(w.wa_rate_cards).where(w.wa_rate_cards.c.version == version))

    def card_versions(self) -> tuple[str, ...]:
        rows = self.conn.execute(select(w.wa_rate_cards.c.version).order_by(w.wa_rate_cards.c.id))
        return tuple(r[0] for r in rows)

    def cards(self) -> list[dict[str, Any]]:
        return self._all(select(w.wa_rate_cards).order_by(w.wa_rate_cards.c.id))

    def add_fee_plan(self, values: dict[str, Any]) -> int:
        result = self.conn.execute(insert(w.wa_fee_plans).values(**values))
        key = result.inserted_primary_key
        if key is None:
            raise RuntimeError("the fee plan insert returned no id")
        return int(key[0])

    def fee_plan(self, account: str, month: str) -> dict[str, Any] | None:
        c = w.wa_fee_plans.c
        return self._one(
            select(w.wa_fee_plans)
            .where(c.billing_account == account, c.effective_from <= month)
            .order_by(c.effective_from.desc(), c.id.desc())
            .limit(1)
        )

    def add_activity(self, values: dict[str, Any]) -> bool:
        return self.insert_ignore(w.wa_activity, [values]) == 1

    def activity(
        self, *, account: str, types: Sequence[str], until: datetime | None = None
    ) -> list[dict[str, Any]]:
        c = w.wa_activity.c
        query = (
            select(w.wa_activity)
            .where(c.billing_account == account, c.type.in_(list(types)))
            .order_by(c.at, c.id)
        )
        if until is not None:
            query = query.where(c.at < until)
        return self._all(query)

    # ---- statements, budgets, alerts -----------------------------------------------------

    def statement(self, account: str, currency: str, month: str) -> dict[str, Any] | None:
        c = w.wa_statements.c
        return self._one(
            select(w.wa_statements).where(
                c.billing_account == account, c.currency == currency, c.month == month
            )
        )

    def statements(self, account: str) -> list[dict[str, Any]]:
        c = w.wa_statements.c
        return self._all(
            select(w.wa_statements)
            .where(c.billing_account == account)
            .order_by(c.month, c.currency)
        )

    def add_statement(self, values: dict[str, Any]) -> bool:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(w.wa_statements).values(**values))
        except IntegrityError:
            return False
        return True

    def billed_months(self, account: str) -> list[tuple[str, str]]:
        c = w.wa_charges.c
        rows = self.conn.execute(
            select(c.billed_month, c.currency)
            .where(c.billing_account == account)
            .group_by(c.billed_month, c.currency)
        )
        return sorted((r[0], r[1]) for r in rows)

    def add_budget(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(w.wa_budgets).values(**values))

    def budget(self, budget_id: str) -> dict[str, Any] | None:
        return self._one(select(w.wa_budgets).where(w.wa_budgets.c.id == budget_id))

    def budgets(self, accounts: Iterable[str]) -> list[dict[str, Any]]:
        return self._all(
            select(w.wa_budgets)
            .where(w.wa_budgets.c.billing_account.in_(list(accounts)))
            .order_by(w.wa_budgets.c.id)
        )

    def update_budget(self, budget_id: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(w.wa_budgets).where(w.wa_budgets.c.id == budget_id).values(**values)
        )

    def delete_budget(self, budget_id: str) -> bool:
        return bool(
            self.conn.execute(delete(w.wa_budgets).where(w.wa_budgets.c.id == budget_id)).rowcount
        )

    def add_alert(self, values: dict[str, Any]) -> bool:
        """True when this alert had not fired before (its dedupe key is new)."""
        return self.insert_ignore(w.wa_alerts, [values]) == 1

    def alerts(self, account: str, *, prefix: str | None = None) -> list[dict[str, Any]]:
        c = w.wa_alerts.c
        query = select(w.wa_alerts).where(c.billing_account == account).order_by(c.id)
        if prefix is not None:
            query = query.where(c.dedupe.startswith(prefix))
        return self._all(query)

    def add_hook(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(w.wa_alert_hooks).values(**values))

    def hooks(self, account: str) -> list[dict[str, Any]]:
        return self._all(
            select(w.wa_alert_hooks).where(w.wa_alert_hooks.c.billing_account == account)
        )

    def hook(self, hook_id: str) -> dict[str, Any] | None:
        return self._one(select(w.wa_alert_hooks).where(w.wa_alert_hooks.c.id == hook_id))

    def add_rejection(self, values: dict[str, Any]) -> None:
        self.conn.execute(insert(w.wa_rejections).values(**values))

    def rejections(self, limit: int = 100) -> list[dict[str, Any]]:
        return self._all(select(w.wa_rejections).order_by(w.wa_rejections.c.id.desc()).limit(limit))

    # ---- helpers -------------------------------------------------------------------------

    def _one(self, query: Any) -> dict[str, Any] | None:
        row = self.conn.execute(query).first()
        return None if row is None else dict(row._mapping)

    def _all(self, query: Any) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self.conn.execute(query)]
