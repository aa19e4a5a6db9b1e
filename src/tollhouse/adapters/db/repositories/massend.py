"""Persistence of the massend capability: accounts, tokens, followers, tags, period counters,
clientmsgid registrations and jobs (``tables_massend.py``). Bound to the unit of work's connection
as ``uow.massend``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from tollhouse.adapters.db import tables_massend as t

# A follower as the hot path reads it: openid, ordinal, subscribed, receive_off, fault.
FollowerTuple = tuple[str, int, bool, bool, bool]

_BY_OPENIDS_SQLITE_RAW = (
    "SELECT openid, ordinal, subscribed, receive_off, delivery_fault FROM wechat_followers "
    "WHERE appid = ? AND openid IN (SELECT value FROM json_each(?))"
)
_SQLITE_CACHE = "PRAGMA cache_size = -65536"  # 64 MiB of page cache per connection
_BY_OPENIDS_PG = text(
    "SELECT openid, ordinal, subscribed, receive_off, delivery_fault FROM wechat_followers "
    "WHERE appid = :appid AND openid = ANY(:ids)"
)


class Repository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._pg = conn.dialect.name == "postgresql"
        self._insert: Any = postgresql.insert if self._pg else sqlite.insert

    # -- accounts ----------------------------------------------------------------------------

    def add_account(self, **values: Any) -> None:
        self.conn.execute(insert(t.wechat_accounts).values(**values))

    def account(self, appid: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(t.wechat_accounts).where(t.wechat_accounts.c.appid == appid)
        if for_update and self._pg:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return None if row is None else dict(row._mapping)

    def accounts(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(t.wechat_accounts).order_by(t.wechat_accounts.c.appid))
        return [dict(r._mapping) for r in rows]

    def update_account(self, appid: str, **values: Any) -> None:
        self.conn.execute(
            update(t.wechat_accounts).where(t.wechat_accounts.c.appid == appid).values(**values)
        )

    def take(self, appid: str, column: str, count: int) -> int:
        """Reserve ``count`` values of an account counter column; returns the first."""
        col = t.wechat_accounts.c[column]
        row = self.conn.execute(
            update(t.wechat_accounts)
            .where(t.wechat_accounts.c.appid == appid)
            .values({column: col + count})
            .returning(col)
        ).scalar_one()
        return int(row) - count

    # -- tokens ------------------------------------------------------------------------------

    def add_token(self, **values: Any) -> None:
        self.conn.execute(insert(t.wechat_tokens).values(**values))

    def token(self, token: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.wechat_tokens).where(t.wechat_tokens.c.token == token)
        ).first()
        return None if row is None else dict(row._mapping)

    def supersede_tokens(self, appid: str, channel: str, *, at: datetime) -> None:
        self.conn.execute(
            update(t.wechat_tokens)
            .where(
                t.wechat_tokens.c.appid == appid,
                t.wechat_tokens.c.channel == channel,
                t.wechat_tokens.c.superseded_at.is_(None),
            )
            .values(superseded_at=at)
        )

    # -- followers ---------------------------------------------------------------------------

    def add_followers(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(t.wechat_followers), list(rows))

    def existing_openids(self, appid: str, openids: Sequence[str]) -> set[str]:
        return {row[0] for row in self.by_openids(appid, openids)}

    def by_openids(self, appid: str, openids: Sequence[str]) -> list[FollowerTuple]:
        """The followers (current or former) among ``openids``; one statement (hot path)."""
        if not openids:
            return []
        if self._pg:
            result = self.conn.execute(_BY_OPENIDS_PG, {"appid": appid, "ids": list(openids)})
            return [(r[0], r[1], bool(r[2]), bool(r[3]), bool(r[4])) for r in result]
        # the DBAPI cursor directly: 10,000 rows without per-row Row objects (§6 hot path)
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(_SQLITE_CACHE)  # this connection keeps the follower index warm
            # sorted ids walk the primary key in order: neighbouring lookups share pages
            cursor.execute(_BY_OPENIDS_SQLITE_RAW, (appid, json.dumps(sorted(openids))))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return [(r[0], r[1], r[2] == 1, r[3] == 1, r[4] == 1) for r in rows]

    def current_in_scope(self, appid: str, tag_id: int | None) -> list[FollowerTuple]:
        """Current followers of the account, or of one tag, in subscription order (D3)."""
        f = t.wechat_followers
        query = select(
            f.c.openid, f.c.ordinal, f.c.subscribed, f.c.receive_off, f.c.delivery_fault
        ).where(f.c.appid == appid, f.c.subscribed.is_(True))
        if tag_id is not None:
            ft = t.wechat_follower_tags
            query = query.join(ft, and_(ft.c.appid == f.c.appid, ft.c.openid == f.c.openid)).where(
                ft.c.tag_id == tag_id
            )
        rows = self.conn.execute(query.order_by(f.c.seq))
        return [(r[0], r[1], bool(r[2]), bool(r[3]), bool(r[4])) for r in rows]

    def follower(self, appid: str, openid: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.wechat_followers).where(
                t.wechat_followers.c.appid == appid, t.wechat_followers.c.openid == openid
            )
        ).first()
        return None if row is None else dict(row._mapping)

    def follower_by_wxname(self, appid: str, wxname: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.wechat_followers)
            .where(t.wechat_followers.c.appid == appid, t.wechat_followers.c.wxname == wxname)
            .limit(1)
        ).first()
        return None if row is None else dict(row._mapping)

    def update_follower(self, appid: str, openid: str, **values: Any) -> None:
        self.conn.execute(
            update(t.wechat_followers)
            .where(t.wechat_followers.c.appid == appid, t.wechat_followers.c.openid == openid)
            .values(**values)
        )

    def count_current(self, appid: str, tag_id: int | None = None) -> int:
        f = t.wechat_followers
        query = (
            select(func.count()).select_from(f).where(f.c.appid == appid, f.c.subscribed.is_(True))
        )
        if tag_id is not None:
            ft = t.wechat_follower_tags
            query = query.join(ft, and_(ft.c.appid == f.c.appid, ft.c.openid == f.c.openid)).where(
                ft.c.tag_id == tag_id
            )
        return int(self.conn.execute(query).scalar_one())

    def count_all(self, appid: str) -> int:
        f = t.wechat_followers
        return int(
            self.conn.execute(
                select(func.count()).select_from(f).where(f.c.appid == appid)
            ).scalar_one()
        )

    def page(
        self, appid: str, *, after_seq: int, limit: int, tag_id: int | None = None
    ) -> list[tuple[str, int]]:
        """(openid, seq) of current followers after ``after_seq`` in subscription order."""
        f = t.wechat_followers
        query = select(f.c.openid, f.c.seq).where(
            f.c.appid == appid, f.c.subscribed.is_(True), f.c.seq > after_seq
        )
        if tag_id is not None:
            ft = t.wechat_follower_tags
            query = query.join(ft, and_(ft.c.appid == f.c.appid, ft.c.openid == f.c.openid)).where(
                ft.c.tag_id == tag_id
            )
        rows = self.conn.execute(query.order_by(f.c.seq).limit(limit))
        return [(r[0], int(r[1])) for r in rows]

    def followers(self, appid: str, *, limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(t.wechat_followers)
            .where(t.wechat_followers.c.appid == appid)
            .order_by(t.wechat_followers.c.ordinal)
            .limit(limit)
            .offset(offset)
        )
        return [dict(r._mapping) for r in rows]

    # -- tags --------------------------------------------------------------------------------

    def tags(self, appid: str) -> list[dict[str, Any]]:
        f, ft, tg = t.wechat_followers, t.wechat_follower_tags, t.wechat_tags
        counts: dict[int, int] = dict(
            self.conn.execute(
                select(ft.c.tag_id, func.count())
                .join(f, and_(f.c.appid == ft.c.appid, f.c.openid == ft.c.openid))
                .where(ft.c.appid == appid, f.c.subscribed.is_(True))
                .group_by(ft.c.tag_id)
            ).all()
        )
        rows = self.conn.execute(select(tg).where(tg.c.appid == appid).order_by(tg.c.tag_id))
        return [
            {"id": r.tag_id, "name": r.name, "count": int(counts.get(r.tag_id, 0))} for r in rows
        ]

    def tag(self, appid: str, tag_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.wechat_tags).where(
                t.wechat_tags.c.appid == appid, t.wechat_tags.c.tag_id == tag_id
            )
        ).first()
        return None if row is None else dict(row._mapping)

    def tag_by_name(self, appid: str, name: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.wechat_tags).where(
                t.wechat_tags.c.appid == appid, t.wechat_tags.c.name == name
            )
        ).first()
        return None if row is None else dict(row._mapping)

    def add_tag(self, appid: str, tag_id: int, name: str) -> None:
        self.conn.execute(insert(t.wechat_tags).values(appid=appid, tag_id=tag_id, name=name))

    def rename_tag(self, appid: str, tag_id: int, name: str) -> None:
        self.conn.execute(
            update(t.wechat_tags)
            .where(t.wechat_tags.c.appid == appid, t.wechat_tags.c.tag_id == tag_id)
            .values(name=name)
        )

    def delete_tag(self, appid: str, tag_id: int) -> None:
        ft = t.wechat_follower_tags
        self.conn.execute(delete(ft).where(ft.c.appid == appid, ft.c.tag_id == tag_id))
        self.conn.execute(
            delete(t.wechat_tags).where(
                t.wechat_tags.c.appid == appid, t.wechat_tags.c.tag_id == tag_id
            )
        )

    def tag_ids_of(self, appid: str, openid: str) -> list[int]:
        ft = t.wechat_follower_tags
        return [
            int(r[0])
            for r in self.conn.execute(
                select(ft.c.tag_id)
                .where(ft.c.appid == appid, ft.c.openid == openid)
                .order_by(ft.c.tag_id)
            )
        ]

    def tag_counts_of(self, appid: str, openids: Sequence[str]) -> dict[str, int]:
        ft = t.wechat_follower_tags
        rows = self.conn.execute(
            select(ft.c.openid, func.count())
            .where(ft.c.appid == appid, ft.c.openid.in_(bindparam("ids", expanding=True)))
            .group_by(ft.c.openid),
            {"ids": list(openids)},
        )
        return {r[0]: int(r[1]) for r in rows}

    def tagged(self, appid: str, tag_id: int, openids: Sequence[str]) -> set[str]:
        ft = t.wechat_follower_tags
        rows = self.conn.execute(
            select(ft.c.openid).where(
                ft.c.appid == appid,
                ft.c.tag_id == tag_id,
                ft.c.openid.in_(bindparam("ids", expanding=True)),
            ),
            {"ids": list(openids)},
        )
        return {r[0] for r in rows}

    def add_memberships(self, appid: str, pairs: Iterable[tuple[int, str]]) -> None:
        rows = [{"appid": appid, "tag_id": tag, "openid": openid} for tag, openid in pairs]
        if rows:
            stmt = self._insert(t.wechat_follower_tags).on_conflict_do_nothing()
            self.conn.execute(stmt, rows)

    def remove_memberships(self, appid: str, tag_id: int, openids: Sequence[str]) -> None:
        ft = t.wechat_follower_tags
        self.conn.execute(
            delete(ft).where(
                ft.c.appid == appid,
                ft.c.tag_id == tag_id,
                ft.c.openid.in_(bindparam("ids", expanding=True)),
            ),
            {"ids": list(openids)},
        )

    # -- account period counters (§6.2 wechat_account_period) --------------------------------

    def used(self, appid: str, kind: str, period: str) -> int:
        p = t.wechat_account_period
        value = self.conn.execute(
            select(p.c.used).where(p.c.appid == appid, p.c.kind == kind, p.c.period == period)
        ).scalar_one_or_none()
        return int(value or 0)

    def used_many(self, appid: str, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        p = t.wechat_account_period
        wanted = set(keys)
        kinds = sorted({k for k, _ in keys})
        rows = self.conn.execute(
            select(p.c.kind, p.c.period, p.c.used).where(
                p.c.appid == appid, p.c.kind.in_(bindparam("kinds", expanding=True))
            ),
            {"kinds": kinds},
        )
        found = {(r[0], r[1]): int(r[2]) for r in rows if (r[0], r[1]) in wanted}
        return {key: found.get(key, 0) for key in keys}

    def add_used(self, appid: str, kind: str, period: str, delta: int = 1) -> int:
        p = t.wechat_account_period
        stmt = self._insert(p).values(appid=appid, kind=kind, period=period, used=delta)
        stmt = stmt.on_conflict_do_update(
            index_elements=[p.c.appid, p.c.kind, p.c.period],
            set_={"used": p.c.used + delta},
        ).returning(p.c.used)
        return int(self.conn.execute(stmt).scalar_one())

    def zero_period_kinds(self, appid: str, prefix: str, period: str) -> None:
        p = t.wechat_account_period
        self.conn.execute(
            update(p)
            .where(p.c.appid == appid, p.c.kind.startswith(prefix), p.c.period == period)
            .values(used=0)
        )

    def period_rows(self, appid: str, period: str) -> dict[str, int]:
        p = t.wechat_account_period
        rows = self.conn.execute(
            select(p.c.kind, p.c.used).where(p.c.appid == appid, p.c.period == period)
        )
        return {r[0]: int(r[1]) for r in rows}

    # -- clientmsgid -------------------------------------------------------------------------

    def clientmsgid(self, appid: str, cmid: str) -> tuple[int, datetime] | None:
        c = t.wechat_clientmsgid
        row = self.conn.execute(
            select(c.c.msg_id, c.c.submitted_at).where(c.c.appid == appid, c.c.clientmsgid == cmid)
        ).first()
        return None if row is None else (int(row[0]), row[1])

    def register_clientmsgid(self, appid: str, cmid: str, msg_id: int, at: datetime) -> None:
        c = t.wechat_clientmsgid
        stmt = self._insert(c).values(appid=appid, clientmsgid=cmid, msg_id=msg_id, submitted_at=at)
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[c.c.appid, c.c.clientmsgid],
                set_={"msg_id": msg_id, "submitted_at": at},
            )
        )

    # -- msg_id sequence ---------------------------------------------------------------------

    def next_msg_id(self) -> int:
        s = t.wechat_sequence
        return int(
            self.conn.execute(
                update(s)
                .where(s.c.name == "msg_id")
                .values(value=s.c.value + 1)
                .returning(s.c.value)
            ).scalar_one()
        )

    # -- jobs --------------------------------------------------------------------------------

    def add_job(self, **values: Any) -> None:
        self.conn.execute(insert(t.wechat_jobs).values(**values))

    def job(self, msg_id: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(t.wechat_jobs).where(t.wechat_jobs.c.msg_id == msg_id)
        ).first()
        return None if row is None else dict(row._mapping)

    def update_job(self, msg_id: int, **values: Any) -> None:
        self.conn.execute(
            update(t.wechat_jobs).where(t.wechat_jobs.c.msg_id == msg_id).values(**values)
        )

    def jobs(
        self,
        appid: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        j = t.wechat_jobs
        query = select(*[c for c in j.c if c.name != "openids"]).where(j.c.appid == appid)
        if start is not None:
            query = query.where(j.c.submitted_at >= start)
        if end is not None:
            query = query.where(j.c.submitted_at < end)
        rows = self.conn.execute(query.order_by(j.c.msg_id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    def jobs_in_state(self, appid: str, state: str) -> list[dict[str, Any]]:
        j = t.wechat_jobs
        rows = self.conn.execute(
            select(j.c.msg_id, j.c.submitted_at).where(j.c.appid == appid, j.c.state == state)
        )
        return [dict(r._mapping) for r in rows]
