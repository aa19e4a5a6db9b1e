"""Persistence of WeCom providers, corps, members, installs, licence orders, jobs and codes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update

from tollhouse.adapters.db import tables as t
from tollhouse.adapters.db.repositories.base import SqlRepository
from tollhouse.domain.licences import LicenceOrder, OrderStatus, OrderType, PaymentMethod

ORDER_COLUMNS = (
    "order_id",
    "provider_corpid",
    "corpid",
    "order_type",
    "status",
    "price",
    "base_count",
    "interop_count",
    "months",
    "days",
    "new_expire_time",
    "create_time",
    "pay_time",
    "buyer_userid",
    "parent_order_id",
    "test_corp",
    "payment_method",
    "lines",
    "unpaid_ttl_days",
)


def _order_values(order: LicenceOrder) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "provider_corpid": order.provider_id,
        "corpid": order.corpid,
        "order_type": int(order.order_type),
        "status": int(order.status),
        "price": order.price,
        "base_count": order.base_count,
        "interop_count": order.interop_count,
        "months": order.months,
        "days": order.days,
        "new_expire_time": order.new_expire_time,
        "create_time": order.create_time,
        "pay_time": order.pay_time,
        "buyer_userid": order.buyer_userid,
        "parent_order_id": order.parent_order_id,
        "test_corp": order.test_corp,
        "payment_method": None if order.payment_method is None else str(order.payment_method),
        "lines": order.lines,
        "unpaid_ttl_days": order.unpaid_ttl_days,
    }


def _order(row: Any) -> LicenceOrder:
    m = row._mapping
    return LicenceOrder(
        order_id=m["order_id"],
        provider_id=m["provider_corpid"],
        corpid=m["corpid"],
        order_type=OrderType(m["order_type"]),
        status=OrderStatus(m["status"]),
        price=m["price"],
        create_time=m["create_time"],
        buyer_userid=m["buyer_userid"],
        base_count=m["base_count"],
        interop_count=m["interop_count"],
        months=m["months"],
        days=m["days"],
        new_expire_time=m["new_expire_time"],
        pay_time=m["pay_time"],
        parent_order_id=m["parent_order_id"],
        test_corp=m["test_corp"],
        payment_method=None if m["payment_method"] is None else PaymentMethod(m["payment_method"]),
        lines=list(m["lines"]),
        unpaid_ttl_days=m["unpaid_ttl_days"],
    )


class LicenceRepository(SqlRepository):
    # providers ---------------------------------------------------------------------------------
    def add_provider(self, **values: Any) -> None:
        self.conn.execute(insert(t.wecom_providers).values(**values))

    def provider(self, corpid: str) -> dict[str, Any] | None:
        return self.one(select(t.wecom_providers).where(t.wecom_providers.c.corpid == corpid))

    def provider_by_tenant(self, tenant_id: str) -> dict[str, Any] | None:
        return self.one(select(t.wecom_providers).where(t.wecom_providers.c.tenant_id == tenant_id))

    def providers(self) -> list[dict[str, Any]]:
        return self.all(select(t.wecom_providers).order_by(t.wecom_providers.c.corpid))

    def update_provider(self, corpid: str, **values: Any) -> None:
        self.conn.execute(
            update(t.wecom_providers).where(t.wecom_providers.c.corpid == corpid).values(**values)
        )

    def set_admin(self, provider: str, userid: str, *, can_purchase: bool) -> None:
        self.conn.execute(
            delete(t.wecom_admins).where(
                t.wecom_admins.c.provider_corpid == provider, t.wecom_admins.c.userid == userid
            )
        )
        self.conn.execute(
            insert(t.wecom_admins).values(
                provider_corpid=provider, userid=userid, can_purchase=can_purchase
            )
        )

    def admin_can_purchase(self, provider: str, userid: str) -> bool:
        row = self.conn.execute(
            select(t.wecom_admins.c.can_purchase).where(
                t.wecom_admins.c.provider_corpid == provider, t.wecom_admins.c.userid == userid
            )
        ).first()
        return bool(row and row[0])

    def adjust_balance(self, provider: str, delta_fen: int) -> None:
        self.conn.execute(
            update(t.wecom_providers)
            .where(t.wecom_providers.c.corpid == provider)
            .values(balance_fen=t.wecom_providers.c.balance_fen + delta_fen)
        )

    # tokens ------------------------------------------------------------------------------------
    def add_token(
        self, *, token: str, provider: str, issued_at: datetime, expires_at: datetime
    ) -> None:
        self.conn.execute(
            insert(t.provider_tokens).values(
                token=token, provider_corpid=provider, issued_at=issued_at, expires_at=expires_at
            )
        )

    def live_token(self, provider: str, *, at: datetime) -> dict[str, Any] | None:
        return self.one(
            select(t.provider_tokens)
            .where(
                t.provider_tokens.c.provider_corpid == provider, t.provider_tokens.c.expires_at > at
            )
            .order_by(t.provider_tokens.c.expires_at.desc())
            .limit(1)
        )

    def token(self, token: str) -> dict[str, Any] | None:
        return self.one(select(t.provider_tokens).where(t.provider_tokens.c.token == token))

    # corps, members, installs, links -----------------------------------------------------------
    def corp(self, provider: str, corpid: str) -> dict[str, Any] | None:
        return self.one(
            select(t.wecom_corps).where(
                t.wecom_corps.c.provider_corpid == provider, t.wecom_corps.c.corpid == corpid
            )
        )

    def corps(self, provider: str) -> list[dict[str, Any]]:
        return self.all(
            select(t.wecom_corps)
            .where(t.wecom_corps.c.provider_corpid == provider)
            .order_by(t.wecom_corps.c.corpid)
        )

    def add_corp(self, **values: Any) -> None:
        self.conn.execute(insert(t.wecom_corps).values(**values))

    def update_corp(self, provider: str, corpid: str, **values: Any) -> None:
        self.conn.execute(
            update(t.wecom_corps)
            .where(t.wecom_corps.c.provider_corpid == provider, t.wecom_corps.c.corpid == corpid)
            .values(**values)
        )

    def member(self, provider: str, corpid: str, userid: str) -> dict[str, Any] | None:
        return self.one(
            select(t.wecom_members).where(
                t.wecom_members.c.provider_corpid == provider,
                t.wecom_members.c.corpid == corpid,
                t.wecom_members.c.userid == userid,
            )
        )

    def members(self, provider: str, corpid: str) -> list[dict[str, Any]]:
        return self.all(
            select(t.wecom_members)
            .where(
                t.wecom_members.c.provider_corpid == provider,
                t.wecom_members.c.corpid == corpid,
            )
            .order_by(t.wecom_members.c.userid)
        )

    def member_count(self, provider: str, corpid: str) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(t.wecom_members)
                .where(
                    t.wecom_members.c.provider_corpid == provider,
                    t.wecom_members.c.corpid == corpid,
                )
            ).scalar_one()
        )

    def upsert_members(self, provider: str, corpid: str, rows: Sequence[dict[str, Any]]) -> int:
        """Insert or replace members; returns how many were new."""
        if not rows:
            return 0
        ids = [r["userid"] for r in rows]
        existing = {
            r[0]
            for r in self.conn.execute(
                select(t.wecom_members.c.userid).where(
                    t.wecom_members.c.provider_corpid == provider,
                    t.wecom_members.c.corpid == corpid,
                    t.wecom_members.c.userid.in_(ids),
                )
            )
        }
        if existing:
            self.conn.execute(
                delete(t.wecom_members).where(
                    t.wecom_members.c.provider_corpid == provider,
                    t.wecom_members.c.corpid == corpid,
                    t.wecom_members.c.userid.in_(existing),
                )
            )
        self.conn.execute(
            insert(t.wecom_members),
            [
                {
                    "provider_corpid": provider,
                    "corpid": corpid,
                    "userid": r["userid"],
                    "name": r.get("name", ""),
                    "in_service": r.get("in_service", True),
                    "visible": r.get("visible", True),
                }
                for r in rows
            ],
        )
        return len(set(ids) - existing)

    def install(self, provider: str, corpid: str, suite_id: str) -> dict[str, Any] | None:
        return self.one(
            select(t.wecom_installs).where(
                t.wecom_installs.c.provider_corpid == provider,
                t.wecom_installs.c.corpid == corpid,
                t.wecom_installs.c.suite_id == suite_id,
            )
        )

    def installs(self, provider: str, corpid: str) -> list[dict[str, Any]]:
        return self.all(
            select(t.wecom_installs).where(
                t.wecom_installs.c.provider_corpid == provider,
                t.wecom_installs.c.corpid == corpid,
            )
        )

    def save_install(self, **values: Any) -> None:
        keys = (values["provider_corpid"], values["corpid"], values["suite_id"])
        if self.install(*keys) is None:
            self.conn.execute(insert(t.wecom_installs).values(**values))
        else:
            self.conn.execute(
                update(t.wecom_installs)
                .where(
                    t.wecom_installs.c.provider_corpid == keys[0],
                    t.wecom_installs.c.corpid == keys[1],
                    t.wecom_installs.c.suite_id == keys[2],
                )
                .values(**values)
            )

    def has_install(self, provider: str, corpid: str) -> bool:
        return (
            self.conn.execute(
                select(t.wecom_installs.c.suite_id)
                .where(
                    t.wecom_installs.c.provider_corpid == provider,
                    t.wecom_installs.c.corpid == corpid,
                    t.wecom_installs.c.installed.is_(True),
                )
                .limit(1)
            ).first()
            is not None
        )

    def link(self, provider: str, up: str, down: str) -> dict[str, Any] | None:
        return self.one(
            select(t.wecom_corp_links).where(
                t.wecom_corp_links.c.provider_corpid == provider,
                t.wecom_corp_links.c.up_corpid == up,
                t.wecom_corp_links.c.down_corpid == down,
            )
        )

    def save_link(self, **values: Any) -> None:
        self.conn.execute(
            delete(t.wecom_corp_links).where(
                t.wecom_corp_links.c.provider_corpid == values["provider_corpid"],
                t.wecom_corp_links.c.up_corpid == values["up_corpid"],
                t.wecom_corp_links.c.down_corpid == values["down_corpid"],
            )
        )
        self.conn.execute(insert(t.wecom_corp_links).values(**values))

    # orders ------------------------------------------------------------------------------------
    def add_order(self, order: LicenceOrder) -> None:
        self.conn.execute(insert(t.licence_orders).values(**_order_values(order)))

    def save_order(self, order: LicenceOrder) -> None:
        values = _order_values(order)
        self.conn.execute(
            update(t.licence_orders)
            .where(t.licence_orders.c.order_id == order.order_id)
            .values(**values)
        )

    def order(self, order_id: str, *, provider: str) -> LicenceOrder | None:
        row = self.conn.execute(
            select(t.licence_orders).where(
                t.licence_orders.c.order_id == order_id,
                t.licence_orders.c.provider_corpid == provider,
            )
        ).first()
        return None if row is None else _order(row)

    def sub_orders(self, parent_id: str) -> list[LicenceOrder]:
        rows = self.conn.execute(
            select(t.licence_orders)
            .where(t.licence_orders.c.parent_order_id == parent_id)
            .order_by(t.licence_orders.c.order_id)
        )
        return [_order(r) for r in rows]

    def corp_orders_in_status(
        self, provider: str, corpid: str, statuses: Iterable[OrderStatus]
    ) -> list[LicenceOrder]:
        rows = self.conn.execute(
            select(t.licence_orders).where(
                t.licence_orders.c.provider_corpid == provider,
                t.licence_orders.c.corpid == corpid,
                t.licence_orders.c.status.in_([int(s) for s in statuses]),
            )
        )
        return [_order(r) for r in rows]

    def list_orders(
        self,
        provider: str,
        *,
        corpid: str | None,
        test_corp: bool | None,
        start: datetime | None,
        end: datetime | None,
        after: str | None,
        limit: int,
    ) -> list[LicenceOrder]:
        c = t.licence_orders.c
        query = select(t.licence_orders).where(c.provider_corpid == provider)
        if corpid is None:
            query = query.where(c.parent_order_id.is_(None))  # L29: sub-orders never listed
        else:
            query = query.where(c.corpid == corpid, c.parent_order_id.is_(None))
        if test_corp is not None:
            query = query.where(c.test_corp.is_(test_corp))
        if start is not None and end is not None:
            query = query.where(c.create_time >= start, c.create_time <= end)
        if after is not None:
            created, _, order_id = after.partition("|")
            query = query.where(
                or_(
                    c.create_time > datetime.fromisoformat(created),
                    and_(c.create_time == datetime.fromisoformat(created), c.order_id > order_id),
                )
            )
        rows = self.conn.execute(query.order_by(c.create_time, c.order_id).limit(limit + 1))
        return [_order(r) for r in rows]

    def all_orders(self, provider: str | None, *, limit: int = 200) -> list[LicenceOrder]:
        query = select(t.licence_orders).where(t.licence_orders.c.parent_order_id.is_(None))
        if provider is not None:
            query = query.where(t.licence_orders.c.provider_corpid == provider)
        rows = self.conn.execute(query.order_by(t.licence_orders.c.create_time.desc()).limit(limit))
        return [_order(r) for r in rows]

    def add_order_accounts(self, order_id: str, accounts: Sequence[dict[str, Any]]) -> None:
        if accounts:
            self.conn.execute(
                insert(t.licence_order_accounts),
                [{"order_id": order_id, "seq": i, **a} for i, a in enumerate(accounts)],
            )

    def order_accounts(
        self, order_id: str, *, after: int = -1, limit: int = 1_000_000
    ) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(t.licence_order_accounts)
            .where(
                t.licence_order_accounts.c.order_id == order_id,
                t.licence_order_accounts.c.seq > after,
            )
            .order_by(t.licence_order_accounts.c.seq)
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]

    def has_paid_order(self, provider: str, corpid: str, *, kinds: Iterable[OrderType]) -> bool:
        paid = [
            int(s)
            for s in (
                OrderStatus.PAID,
                OrderStatus.REFUND_REQUESTED,
                OrderStatus.REFUNDED,
                OrderStatus.REFUND_REFUSED,
            )
        ]
        return (
            self.conn.execute(
                select(t.licence_orders.c.order_id)
                .where(
                    t.licence_orders.c.provider_corpid == provider,
                    t.licence_orders.c.corpid == corpid,
                    t.licence_orders.c.order_type.in_([int(k) for k in kinds]),
                    t.licence_orders.c.status.in_(paid),
                )
                .limit(1)
            ).first()
            is not None
        )

    def count_orders(
        self, provider: str, corpid: str, *, order_type: OrderType, excluding: Iterable[OrderStatus]
    ) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(t.licence_orders)
                .where(
                    t.licence_orders.c.provider_corpid == provider,
                    t.licence_orders.c.corpid == corpid,
                    t.licence_orders.c.order_type == int(order_type),
                    t.licence_orders.c.status.not_in([int(s) for s in excluding]),
                )
            ).scalar_one()
        )

    # jobs --------------------------------------------------------------------------------------
    def add_job(self, **values: Any) -> None:
        self.conn.execute(insert(t.licence_jobs).values(**values))

    def job(self, jobid: str, *, provider: str) -> dict[str, Any] | None:
        return self.one(
            select(t.licence_jobs).where(
                t.licence_jobs.c.jobid == jobid, t.licence_jobs.c.provider_corpid == provider
            )
        )

    def update_job(self, jobid: str, **values: Any) -> None:
        self.conn.execute(
            update(t.licence_jobs).where(t.licence_jobs.c.jobid == jobid).values(**values)
        )

    def job_item_keys(self, jobid: str) -> set[str]:
        return {
            r[0]
            for r in self.conn.execute(
                select(t.licence_job_items.c.key).where(t.licence_job_items.c.jobid == jobid)
            )
        }

    def job_items(self, jobid: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(t.licence_job_items.c.item)
            .where(t.licence_job_items.c.jobid == jobid)
            .order_by(t.licence_job_items.c.seq)
        )
        return [dict(r[0]) for r in rows]

    def add_job_items(self, jobid: str, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        if not items:
            return
        start = int(
            self.conn.execute(
                select(func.coalesce(func.max(t.licence_job_items.c.seq), -1)).where(
                    t.licence_job_items.c.jobid == jobid
                )
            ).scalar_one()
        )
        self.conn.execute(
            insert(t.licence_job_items),
            [
                {"jobid": jobid, "seq": start + 1 + i, "key": key, "item": item}
                for i, (key, item) in enumerate(items)
            ],
        )

    # codes -------------------------------------------------------------------------------------
    def add_codes(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(t.activation_codes), list(rows))

    def order_codes(self, order_id: str, *, after: str | None, limit: int) -> list[dict[str, Any]]:
        c = t.activation_codes.c
        query = select(c.active_code, c.type).where(c.order_id == order_id)
        if after is not None:
            query = query.where(c.active_code > after)
        return [
            dict(r._mapping)
            for r in self.conn.execute(query.order_by(c.active_code).limit(limit + 1))
        ]

    def valid_expiries(
        self, provider: str, corpid: str, type_: int, *, at: datetime
    ) -> list[datetime]:
        """Expiry instants of the corp's status-2 codes of a type, bound in that corp (L77)."""
        c = t.activation_codes.c
        rows = self.conn.execute(
            select(c.expire_time).where(
                c.provider_corpid == provider,
                c.bound_corpid == corpid,
                c.type == type_,
                c.userid.is_not(None),
                c.merged_into.is_(None),
                c.invalidated.is_(False),
                c.awaiting_transfer.is_(False),
                c.expire_time > at,
            )
        )
        return [r[0] for r in rows]

    def count_codes_at_least(
        self, provider: str, corpid: str, type_: int, *, threshold: datetime, inclusive: bool
    ) -> int:
        c = t.activation_codes.c
        bound = c.expire_time >= threshold if inclusive else c.expire_time > threshold
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(t.activation_codes)
                .where(
                    c.provider_corpid == provider,
                    c.bound_corpid == corpid,
                    c.type == type_,
                    c.userid.is_not(None),
                    c.merged_into.is_(None),
                    c.invalidated.is_(False),
                    c.awaiting_transfer.is_(False),
                    bound,
                )
            ).scalar_one()
        )

    def count_codes_at_least_by_type(
        self,
        provider: str,
        corpid: str,
        types: Sequence[int],
        *,
        threshold: datetime,
        inclusive: bool,
    ) -> dict[int, int]:
        """L77 offsets of several types in one query."""
        c = t.activation_codes.c
        bound = c.expire_time >= threshold if inclusive else c.expire_time > threshold
        rows = self.conn.execute(
            select(c.type, func.count())
            .where(
                c.provider_corpid == provider,
                c.bound_corpid == corpid,
                c.type.in_(types),
                c.userid.is_not(None),
                c.merged_into.is_(None),
                c.invalidated.is_(False),
                c.awaiting_transfer.is_(False),
                bound,
            )
            .group_by(c.type)
        )
        found = {int(r[0]): int(r[1]) for r in rows}
        return {type_: found.get(type_, 0) for type_ in types}

    def invalidate_unbound_codes(self, order_ids: Sequence[str]) -> int:
        c = t.activation_codes.c
        done = self.conn.execute(
            update(t.activation_codes)
            .where(c.order_id.in_(order_ids), c.userid.is_(None))
            .values(invalidated=True)
        )
        return int(done.rowcount)

    def expire_bound_codes(self, order_ids: Sequence[str], *, at: datetime) -> int:
        """D20: bound codes of removed test orders expire at the removal time."""
        c = t.activation_codes.c
        done = self.conn.execute(
            update(t.activation_codes)
            .where(c.order_id.in_(order_ids), c.userid.is_not(None), c.expire_time > at)
            .values(expire_time=at)
        )
        return int(done.rowcount)

    def member_code(
        self, provider: str, corpid: str, userid: str, type_: int
    ) -> dict[str, Any] | None:
        """The member's current (non-merged) code of a type (L3)."""
        c = t.activation_codes.c
        return self.one(
            select(t.activation_codes)
            .where(
                c.provider_corpid == provider,
                c.bound_corpid == corpid,
                c.userid == userid,
                c.type == type_,
                c.merged_into.is_(None),
                c.invalidated.is_(False),
            )
            .order_by(c.expire_time.desc())
            .limit(1)
        )

    def update_code(self, active_code: str, **values: Any) -> None:
        self.conn.execute(
            update(t.activation_codes)
            .where(t.activation_codes.c.active_code == active_code)
            .values(**values)
        )

    # reseller profiles -------------------------------------------------------------------------
    def profile(self, provider: str, name: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.reseller_profiles.c.config).where(
                t.reseller_profiles.c.provider_corpid == provider,
                t.reseller_profiles.c.name == name,
            )
        ).first()
        return None if row is None else dict(row[0])

    def profiles(self, provider: str) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute(
            select(t.reseller_profiles.c.name, t.reseller_profiles.c.config).where(
                t.reseller_profiles.c.provider_corpid == provider
            )
        )
        return {r[0]: dict(r[1]) for r in rows}

    def save_profile(
        self, provider: str, name: str, config: dict[str, Any], *, at: datetime
    ) -> None:
        self.conn.execute(
            delete(t.reseller_profiles).where(
                t.reseller_profiles.c.provider_corpid == provider,
                t.reseller_profiles.c.name == name,
            )
        )
        self.conn.execute(
            insert(t.reseller_profiles).values(
                provider_corpid=provider, name=name, config=config, updated_at=at
            )
        )
