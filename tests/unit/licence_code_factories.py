"""Builders for the activation-code tests (spec wecom-licences §6 common setup)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tollhouse.domain.licence_codes import BASIC, ActivationCode, Member
from tollhouse.domain.periods import from_unix

NOW = from_unix(1714960800)  # 2024-05-06 10:00:00 Asia/Shanghai
DAYS = timedelta(days=1)
CORP = "wwcorpA"


def unbound(
    active_code: str,
    *,
    type_: int = BASIC,
    days: int = 372,
    owner: str = CORP,
    created: datetime = NOW - 10 * DAYS,
) -> ActivationCode:
    return ActivationCode(
        active_code=active_code,
        provider_id="wwprov",
        order_id="order-1",
        owner_corpid=owner,
        type=type_,
        duration_days=days,
        create_time=created,
    )


def bound(
    active_code: str,
    userid: str,
    *,
    expire: datetime,
    type_: int = BASIC,
    corp: str = CORP,
    days: int = 372,
) -> ActivationCode:
    code = unbound(active_code, type_=type_, days=days, owner=corp, created=NOW - 400 * DAYS)
    code.userid, code.bound_corpid = userid, corp
    code.active_time, code.expire_time = expire - days * DAYS, expire
    return code


def members(
    *userids: str, left: tuple[str, ...] = (), hidden: tuple[str, ...] = ()
) -> dict[str, Member]:
    return {
        u: Member(u, in_service=u not in left, visible=u not in hidden)
        for u in (*userids, *left, *hidden)
    }
