"""Persistence of activation codes as ``ActivationCode`` entities (spec wecom-licences §2.5-§2.9).

Rows live in the lead's ``activation_codes`` table; members, corps and installs are read from the
WeCom tables. Loading returns entities, ``save`` writes the mutable columns back. Every query is
scoped to one provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, update

from tollhouse.adapters.db import tables as t
from tollhouse.domain.licence_codes import ACTIVATION_DEADLINE, ActivationCode, Member

_C = t.activation_codes.c
MUTABLE = (
    "userid",
    "bound_corpid",
    "active_time",
    "expire_time",
    "merged_into",
    "merged_from",
    "shared_to",
    "awaiting_transfer",
    "invalidated",
    "last_in_service_transfer_at",
    "expiring_reminder_for",
)
_SAVE = (
    update(t.activation_codes)
    .where(_C.active_code == bindparam("b_active_code"))
    .values({name: bindparam(f"b_{name}") for name in MUTABLE})
)
CHUNK = 500  # IN (...) lists stay below every engine's parameter limit


def code_of(row: Any) -> ActivationCode:
    m = row._mapping
    return ActivationCode(
        active_code=m["active_code"],
        provider_id=m["provider_corpid"],
        order_id=m["order_id"],
        owner_corpid=m["owner_corpid"],
        type=m["type"],
        duration_days=m["duration_days"],
        create_time=m["create_time"],
        userid=m["userid"],
        bound_corpid=m["bound_corpid"],
        active_time=m["active_time"],
        expire_time=m["expire_time"],
        merged_into=m["merged_into"],
        merged_from=m["merged_from"],
        shared_to=m["shared_to"],
        awaiting_transfer=bool(m["awaiting_transfer"]),
        invalidated=bool(m["invalidated"]),
        last_in_service_transfer_at=m["last_in_service_transfer_at"],
        expiring_reminder_for=m["expiring_reminder_for"],
    )


def _member(row: Any) -> Member:
    m = row._mapping
    return Member(m["userid"], in_service=bool(m["in_service"]), visible=bool(m["visible"]))


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class Repository:
    """Code persistence for one unit of work (``uow.codes``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # codes -------------------------------------------------------------------------------------
    def get(self, provider: str, active_code: str) -> ActivationCode | None:
        row = self.conn.execute(
            select(t.activation_codes).where(
                _C.provider_corpid == provider, _C.active_code == active_code
            )
        ).first()
        return None if row is None else code_of(row)

    def get_many(self, provider: str, active_codes: Sequence[str]) -> dict[str, ActivationCode]:
        found: dict[str, ActivationCode] = {}
        for chunk in _chunks(sorted(set(active_codes))):
            for row in self.conn.execute(
                select(t.activation_codes).where(
                    _C.provider_corpid == provider, _C.active_code.in_(chunk)
                )
            ):
                code = code_of(row)
                found[code.active_code] = code
        return found

    def held_by(self, provider: str, corpid: str, userid: str) -> list[ActivationCode]:
        """Codes bound to one member in the corp, merged ones left out."""
        rows = self.conn.execute(
            select(t.activation_codes).where(
                _C.provider_corpid == provider,
                _C.bound_corpid == corpid,
                _C.userid == userid,
                _C.merged_into.is_(None),
            )
        )
        return [code_of(r) for r in rows]

    def held_by_members(
        self, provider: str, corpid: str, userids: Iterable[str]
    ) -> list[ActivationCode]:
        codes: list[ActivationCode] = []
        for chunk in _chunks(sorted(set(userids))):
            rows = self.conn.execute(
                select(t.activation_codes).where(
                    _C.provider_corpid == provider,
                    _C.bound_corpid == corpid,
                    _C.userid.in_(chunk),
                    _C.merged_into.is_(None),
                )
            )
            codes.extend(code_of(r) for r in rows)
        return codes

    def bound_in(
        self, provider: str, corpid: str, *, only_awaiting: bool = False
    ) -> list[ActivationCode]:
        query = select(t.activation_codes).where(
            _C.provider_corpid == provider, _C.bound_corpid == corpid, _C.merged_into.is_(None)
        )
        if only_awaiting:
            query = query.where(_C.awaiting_transfer.is_(True))
        return [code_of(r) for r in self.conn.execute(query)]

    def _free(self, provider: str, corpid: str, at: datetime) -> Any:
        holder = or_(
            and_(_C.owner_corpid == corpid, _C.shared_to.is_(None)), _C.shared_to == corpid
        )
        return select(t.activation_codes).where(
            _C.provider_corpid == provider,
            holder,
            _C.userid.is_(None),
            _C.merged_into.is_(None),
            _C.invalidated.is_(False),
            _C.create_time > at - ACTIVATION_DEADLINE,
        )

    def first_free(
        self, provider: str, corpid: str, licence_type: int, *, at: datetime
    ) -> ActivationCode | None:
        """L42: the unbound code with the earliest deadline (= earliest create_time), then id."""
        row = self.conn.execute(
            self._free(provider, corpid, at)
            .where(_C.type == licence_type)
            .order_by(_C.create_time, _C.active_code)
            .limit(1)
        ).first()
        return None if row is None else code_of(row)

    def free_count(self, provider: str, corpid: str, *, at: datetime) -> dict[int, int]:
        sub = self._free(provider, corpid, at).subquery()
        rows = self.conn.execute(select(sub.c.type, func.count()).group_by(sub.c.type))
        return {int(r[0]): int(r[1]) for r in rows}

    def visible_to(self, provider: str, corpid: str, *, limit: int = 5000) -> list[ActivationCode]:
        """Codes the corp owns or received (the dashboard's inventory), bound ones first."""
        rows = self.conn.execute(
            select(t.activation_codes)
            .where(
                _C.provider_corpid == provider,
                or_(_C.owner_corpid == corpid, _C.shared_to == corpid, _C.bound_corpid == corpid),
            )
            .order_by(_C.expire_time.is_(None), _C.expire_time, _C.active_code)
            .limit(limit)
        )
        return [code_of(r) for r in rows]

    def list_bound(
        self, provider: str, corpid: str, *, after: str | None, limit: int
    ) -> list[ActivationCode]:
        """`list_actived_account`: bound in the corp, expired included, merged left out (L43)."""
        query = select(t.activation_codes).where(
            _C.provider_corpid == provider,
            _C.bound_corpid == corpid,
            _C.userid.is_not(None),
            _C.merged_into.is_(None),
        )
        if after:
            query = query.where(_C.active_code > after)
        rows = self.conn.execute(query.order_by(_C.active_code).limit(limit + 1))
        return [code_of(r) for r in rows]

    def expiring(
        self, provider: str, *, after: datetime, until: datetime, corpid: str | None = None
    ) -> list[ActivationCode]:
        """Bound, unmerged codes whose expire_time is in (after, until], soonest first."""
        query = select(t.activation_codes).where(
            _C.provider_corpid == provider,
            _C.userid.is_not(None),
            _C.merged_into.is_(None),
            _C.expire_time > after,
            _C.expire_time <= until,
        )
        if corpid is not None:
            query = query.where(_C.bound_corpid == corpid)
        rows = self.conn.execute(query.order_by(_C.expire_time, _C.active_code))
        return [code_of(r) for r in rows]

    def unreminded(
        self, provider: str, *, after: datetime, until: datetime
    ) -> list[ActivationCode]:
        """L62: codes expiring in (after, until] not yet reminded of that expiry."""
        return [
            c
            for c in self.expiring(provider, after=after, until=until)
            if c.expiring_reminder_for != c.expire_time
        ]

    def save(self, codes: Iterable[ActivationCode]) -> int:
        rows = [
            {"b_active_code": c.active_code, **{f"b_{n}": getattr(c, n) for n in MUTABLE}}
            for c in codes
        ]
        if rows:
            self.conn.execute(_SAVE, rows)
        return len(rows)

    # members, corps, installs --------------------------------------------------------------------
    def member(self, provider: str, corpid: str, userid: str) -> Member | None:
        m = t.wecom_members.c
        row = self.conn.execute(
            select(m.userid, m.in_service, m.visible).where(
                m.provider_corpid == provider, m.corpid == corpid, m.userid == userid
            )
        ).first()
        return None if row is None else _member(row)

    def members(self, provider: str, corpid: str, userids: Iterable[str]) -> dict[str, Member]:
        m = t.wecom_members.c
        found: dict[str, Member] = {}
        for chunk in _chunks(sorted(set(userids))):
            for row in self.conn.execute(
                select(m.userid, m.in_service, m.visible).where(
                    m.provider_corpid == provider, m.corpid == corpid, m.userid.in_(chunk)
                )
            ):
                found[row[0]] = _member(row)
        return found

    def all_members(self, provider: str, corpid: str) -> dict[str, Member]:
        m = t.wecom_members.c
        rows = self.conn.execute(
            select(m.userid, m.in_service, m.visible).where(
                m.provider_corpid == provider, m.corpid == corpid
            )
        )
        return {r[0]: _member(r) for r in rows}

    def corps(self, provider: str) -> list[dict[str, Any]]:
        c = t.wecom_corps.c
        rows = self.conn.execute(
            select(t.wecom_corps).where(c.provider_corpid == provider).order_by(c.corpid)
        )
        return [dict(r._mapping) for r in rows]

    def installs(self, provider: str) -> list[dict[str, Any]]:
        i = t.wecom_installs.c
        rows = self.conn.execute(select(t.wecom_installs).where(i.provider_corpid == provider))
        return [dict(r._mapping) for r in rows]

    # due tasks in bulk ---------------------------------------------------------------------------
    def schedule(
        self,
        tenant_id: str,
        tasks: Sequence[tuple[datetime, str, dict[str, Any], str]],
    ) -> int:
        """Add (due_at, kind, payload, dedupe_key) tasks whose key is new, in two statements."""
        if not tasks:
            return 0
        keys = [task[3] for task in tasks]
        existing: set[str] = set()
        for chunk in _chunks(keys):
            existing.update(
                r[0]
                for r in self.conn.execute(
                    select(t.due_tasks.c.dedupe_key).where(t.due_tasks.c.dedupe_key.in_(chunk))
                )
            )
        fresh = {key: task for task in tasks if (key := task[3]) not in existing}
        if fresh:
            self.conn.execute(
                insert(t.due_tasks),
                [
                    {
                        "tenant_id": tenant_id,
                        "due_at": due,
                        "kind": kind,
                        "payload": payload,
                        "dedupe_key": key,
                    }
                    for due, kind, payload, key in fresh.values()
                ],
            )
        return len(fresh)
