"""WeCom licence orders: create, cancel, read, renew, multi-corp, pay, refund (rules L7–L32)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tollhouse.domain.licences import (
    MAX_COUNT,
    MULTI_CORP_CALL_LIMIT,
    MULTI_CORP_JOB_LIMIT,
    AccountType,
    Duration,
    LicenceOrder,
    LicenceRuleViolation,
    OrderStatus,
    OrderType,
    PaymentMethod,
    job_result_readable,
    normalise_new_expire_time,
    order_price,
    parse_account_type,
    renewed_expiry,
    validate_batch_size,
    validate_counts,
    validate_list_span,
    validate_new_order_duration,
    validate_renewal_months,
    violation,
)
from tollhouse.services import events
from tollhouse.services.clocks import tenant_state
from tollhouse.services.licence_pricing import (
    effective_settings,
    line_json,
    offsets_for,
    platform_pricing,
    renewal_days_by_type,
)
from tollhouse.services.licence_setup import require_corp, require_provider, tenant_id_of
from tollhouse.services.runtime import Runtime, UnitOfWork
from tollhouse.services.wecom_callbacks import SIGNER, xml_body

ORDER_EXPIRED = "licences.order_expired"


def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12).upper()}"


@dataclass(frozen=True, slots=True)
class Ctx:
    """One command's view: the provider, its settings and the tenant's now."""

    provider: dict[str, Any]
    settings: dict[str, Any]
    at: datetime
    has_activity: bool = True

    @property
    def corpid(self) -> str:
        return str(self.provider["corpid"])


def open_ctx(runtime: Runtime, uow: UnitOfWork, provider: str, *, write: bool = True) -> Ctx:
    tenant = tenant_id_of(provider)
    if write:
        uow.lock_tenant(tenant)
    row = require_provider(uow, provider)
    at, tenant_row = tenant_state(runtime, uow, tenant)
    return Ctx(row, effective_settings(row), at, tenant_row.has_activity)


NOT_A_BUYER = 701921  # L9; a payer without permission is 48001 (L30)


def require_buyer(
    uow: UnitOfWork,
    ctx: Ctx,
    userid: str | None,
    *,
    field: str = "buyer_userid",
    errcode: int = NOT_A_BUYER,
) -> str:
    if not userid:
        raise violation(40063, f"{field} is required", rule="L9")
    if not uow.licences.admin_can_purchase(ctx.corpid, userid):
        raise violation(
            errcode,
            f"{field} {userid!r} is not an admin of provider {ctx.corpid!r} "
            "with purchase permission",
            rule="L9" if errcode == NOT_A_BUYER else "L30",
        )
    return userid


def check_corp_can_order(uow: UnitOfWork, ctx: Ctx, corpid: str) -> None:
    """L10/D21: the app is installed; no unpaid order; no order in refund."""
    if not uow.licences.has_install(ctx.corpid, corpid):
        raise violation(
            701015,
            f"corp {corpid!r} has not installed any app of provider "
            f"{ctx.corpid!r}; it cannot be ordered for",
            rule="L10",
        )
    blocking = uow.licences.corp_orders_in_status(
        ctx.corpid, corpid, (OrderStatus.AWAITING_PAYMENT, OrderStatus.REFUND_REQUESTED)
    )
    for order in blocking:
        status = order.status_at(ctx.at)
        if status == OrderStatus.AWAITING_PAYMENT and ctx.settings["block_on_unpaid"]:
            raise violation(
                701032,
                f"corp {corpid!r} has unpaid order {order.order_id}; pay or cancel it first",
                rule="L10",
                kind="conflict",
            )
        if status == OrderStatus.REFUND_REQUESTED and ctx.settings["block_on_refund"]:
            raise violation(
                701037,
                f"corp {corpid!r} has order {order.order_id} in refund; wait "
                "for the refund outcome",
                rule="L10",
                kind="conflict",
            )


def _counts(base: int, interop: int) -> dict[AccountType, int]:
    return {AccountType.BASIC: base, AccountType.INTEROP: interop}


def _record_order(uow: UnitOfWork, ctx: Ctx, order: LicenceOrder) -> None:
    uow.licences.add_order(order)
    if not ctx.has_activity:
        uow.tenants.mark_activity(tenant_id_of(ctx.corpid))
    if order.parent_order_id is None and order.status == OrderStatus.AWAITING_PAYMENT:
        # a fresh order id: no dedupe key needed for its expiry task
        uow.tasks.add(
            tenant_id=tenant_id_of(ctx.corpid),
            due_at=order.expires_at,
            kind=ORDER_EXPIRED,
            payload={"order_id": order.order_id, "provider": ctx.corpid},
        )


# --- new orders -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewOrder:
    corpid: str
    buyer_userid: str
    base_count: int
    interop_count: int
    duration: Duration


def priced_buy_order(
    uow: UnitOfWork, ctx: Ctx, cmd: NewOrder, *, corp: dict[str, Any], parent: str | None = None
) -> LicenceOrder:
    """Validate one corp's purchase (L7, L8, L10) and price it with its own offset (L77)."""
    validate_counts(cmd.base_count, cmd.interop_count, test_corp=corp["is_test"])
    validate_new_order_duration(cmd.duration, test_corp=corp["is_test"])
    return _price_buy(uow, ctx, cmd, corp=corp, parent=parent)


def _price_buy(
    uow: UnitOfWork, ctx: Ctx, cmd: NewOrder, *, corp: dict[str, Any], parent: str | None
) -> LicenceOrder:
    check_corp_can_order(uow, ctx, cmd.corpid)
    pricing = platform_pricing(ctx.provider)
    counts = _counts(cmd.base_count, cmd.interop_count)
    days = cmd.duration.total_days
    offsets = offsets_for(
        uow, pricing, ctx.corpid, cmd.corpid, counts, at=ctx.at, duration_days=days
    )
    lines = pricing.new_order_lines(counts, offsets=offsets, duration_days=days)
    return LicenceOrder(
        order_id=new_id("OI"),
        provider_id=ctx.corpid,
        corpid=cmd.corpid,
        order_type=OrderType.BUY,
        status=OrderStatus.AWAITING_PAYMENT,
        price=order_price(lines, test_corp=corp["is_test"]),
        create_time=ctx.at,
        buyer_userid=cmd.buyer_userid,
        base_count=cmd.base_count,
        interop_count=cmd.interop_count,
        months=cmd.duration.months,
        days=cmd.duration.days,
        parent_order_id=parent,
        test_corp=corp["is_test"],
        lines=[line_json(line) for line in lines],
        unpaid_ttl_days=int(ctx.settings["unpaid_order_ttl_days"]),
    )


def create_new_order(runtime: Runtime, provider: str, cmd: NewOrder) -> LicenceOrder:
    """create_new_order: check in the order of spec §4.3 and freeze the price (L12)."""
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        corp = require_corp(uow, provider, cmd.corpid)
        validate_counts(cmd.base_count, cmd.interop_count, test_corp=corp["is_test"])
        validate_new_order_duration(cmd.duration, test_corp=corp["is_test"])
        require_buyer(uow, ctx, cmd.buyer_userid)
        order = _price_buy(uow, ctx, cmd, corp=corp, parent=None)
        _record_order(uow, ctx, order)
        uow.commit()
        return order


# --- reading orders ---------------------------------------------------------------------------


def require_order(uow: UnitOfWork, ctx: Ctx, order_id: str | None) -> LicenceOrder:
    if not order_id:
        raise violation(40063, "order_id is required")
    order: LicenceOrder | None = uow.licences.order(order_id, provider=ctx.corpid)
    if order is None:
        raise violation(
            701005,
            f"order_id {order_id!r} is not an order of provider {ctx.corpid!r}",
            kind="not_found",
        )
    return order


def get_order(runtime: Runtime, provider: str, order_id: str) -> tuple[LicenceOrder, datetime]:
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        order = require_order(uow, ctx, order_id)
        if order.order_type == OrderType.MULTI_CORP:
            raise violation(
                701120,
                f"{order_id} is a multi-corp parent order; read it with get_union_order",
                rule="L28",
            )
        return order, ctx.at


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    has_more: bool
    next_cursor: str
    at: datetime


def list_orders(
    runtime: Runtime,
    provider: str,
    *,
    corpid: str | None,
    start: datetime | None,
    end: datetime | None,
    cursor: str | None,
    limit: int,
) -> Page:
    validate_list_span(start, end)
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        test_flag: bool | None = None
        if corpid:
            test_flag = bool(require_corp(uow, provider, corpid)["is_test"])
        rows = uow.licences.list_orders(
            provider,
            corpid=corpid or None,
            test_corp=test_flag,
            start=start,
            end=end,
            after=cursor or None,
            limit=limit,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    token = f"{last.create_time.isoformat()}|{last.order_id}" if (more and last) else ""
    return Page(rows, more, token, ctx.at)


def list_order_accounts(
    runtime: Runtime, provider: str, order_id: str, *, cursor: str | None, limit: int
) -> Page:
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        order = require_order(uow, ctx, order_id)
        if order.order_type == OrderType.MULTI_CORP:
            raise violation(
                701120,
                f"{order_id} is a multi-corp parent order; pass a "
                "sub_order_id from get_union_order",
                rule="L28",
            )
        if order.order_type == OrderType.RENEW:
            after = int(cursor) if cursor else -1
            rows = uow.licences.order_accounts(order_id, after=after, limit=limit + 1)
            items = [{"userid": r["userid"], "type": r["type"]} for r in rows[:limit]]
            more = len(rows) > limit
            return Page(items, more, str(rows[limit - 1]["seq"]) if more else "", ctx.at)
        codes = uow.licences.order_codes(order_id, after=cursor or None, limit=limit)
    more = len(codes) > limit
    codes = codes[:limit]
    return Page(codes, more, codes[-1]["active_code"] if more and codes else "", ctx.at)


def get_union_order(
    runtime: Runtime, provider: str, order_id: str, *, cursor: str | None, limit: int
) -> tuple[LicenceOrder, Page]:
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        order = require_order(uow, ctx, order_id)
        if order.order_type != OrderType.MULTI_CORP:
            raise violation(
                701005,
                f"{order_id} is not a multi-corp order; read it with get_order",
                rule="L28",
                kind="not_found",
            )
        subs = uow.licences.sub_orders(order_id)
    start = int(cursor) if cursor else 0
    chunk = subs[start : start + limit]
    more = start + limit < len(subs)
    return order, Page(chunk, more, str(start + limit) if more else "", ctx.at)


# --- cancel, expiry ---------------------------------------------------------------------------


def cancel_order(runtime: Runtime, provider: str, order_id: str, corpid: str | None) -> None:
    """L18: only status 0 of type 1, 2 or 8; corpid must match (except for a parent)."""
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        order = require_order(uow, ctx, order_id)
        if order.order_type != OrderType.MULTI_CORP:
            if not corpid:
                raise violation(
                    40063, "corpid is required to cancel a single-corp order", rule="L18"
                )
            if corpid != order.corpid:
                raise violation(
                    701086,
                    f"order {order_id} belongs to corp {order.corpid!r}, not {corpid!r}",
                    rule="L18",
                )
        if not order.is_payable_type:
            raise violation(
                701084,
                f"order {order_id} of type {int(order.order_type)} cannot be cancelled",
                rule="L18",
                kind="conflict",
            )
        _transition(uow, order, OrderStatus.CANCELLED, at=ctx.at)
        uow.commit()


def _transition(uow: UnitOfWork, order: LicenceOrder, status: OrderStatus, *, at: datetime) -> None:
    """Move an order (and, for a parent, its sub-orders) to `status`."""
    order.transition_to(status, at=at)
    uow.licences.save_order(order)
    if order.order_type == OrderType.MULTI_CORP:
        for sub in uow.licences.sub_orders(order.order_id):
            sub.status = order.status
            sub.pay_time = order.pay_time
            uow.licences.save_order(sub)


def expire_order(_runtime: Runtime, uow: UnitOfWork, payload: dict[str, Any], at: datetime) -> str:
    """Due task at create_time + TTL (D18): record status 3 and emit ``order_expired``."""
    provider = payload["provider"]
    order = uow.licences.order(payload["order_id"], provider=provider)
    if order is None or order.status != OrderStatus.AWAITING_PAYMENT:
        return "nothing to expire"
    _transition(uow, order, OrderStatus.EXPIRED, at=at)
    events.publish(
        uow,
        tenant_id=tenant_id_of(provider),
        kind="order_expired",
        at=at,
        payload={"order_id": order.order_id, "corpid": order.corpid},
        dedupe_key=f"order_expired:{order.order_id}",
    )
    return f"order {order.order_id} expired"


# --- renewal jobs (L21–L25) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobAppend:
    jobid: str
    invalid: list[dict[str, Any]]


def create_renew_order_job(
    runtime: Runtime,
    provider: str,
    corpid: str,
    accounts: Sequence[dict[str, Any]],
    jobid: str | None,
) -> JobAppend:
    validate_batch_size(len(accounts), rule="L21")
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        require_corp(uow, provider, corpid)
        job = _open_job(uow, ctx, jobid, kind="renew", corpid=corpid)
        seen = uow.licences.job_item_keys(job["jobid"])
        invalid: list[dict[str, Any]] = []
        valid: list[tuple[str, dict[str, Any]]] = []
        for item in accounts:
            problem = _renew_item_problem(uow, ctx, corpid, item, seen)
            if problem is not None:
                invalid.append(
                    {
                        "errcode": problem.errcode,
                        "errmsg": problem.message,
                        "userid": item.get("userid"),
                        "type": item.get("type"),
                    }
                )
                continue
            key = f"{item['userid']}|{item['type']}"
            seen.add(key)
            valid.append((key, {"userid": item["userid"], "type": int(item["type"])}))
        _check_job_capacity(seen)
        uow.licences.add_job_items(job["jobid"], valid)
        uow.commit()
        return JobAppend(job["jobid"], invalid)


def _open_job(
    uow: UnitOfWork, ctx: Ctx, jobid: str | None, *, kind: str, corpid: str | None
) -> dict[str, Any]:
    if jobid:
        job: dict[str, Any] | None = uow.licences.job(jobid, provider=ctx.corpid)
        if job is None or job["kind"] != kind:
            raise violation(
                701913, f"jobid {jobid!r} is not a {kind} job of this provider", kind="not_found"
            )
        if job["submitted_at"] is not None:
            raise violation(
                701126, f"job {jobid} was already submitted; start a new job", kind="conflict"
            )
        if corpid is not None and job["corpid"] != corpid:
            raise violation(
                701019, f"job {jobid} belongs to corp {job['corpid']!r}, not {corpid!r}", rule="L21"
            )
        return job
    values: dict[str, Any] = {
        "jobid": new_id("JB"),
        "provider_corpid": ctx.corpid,
        "kind": kind,
        "corpid": corpid,
        "created_at": ctx.at,
        "submitted_at": None,
        "order_id": None,
        "status": 2,
        "result": {},
    }
    uow.licences.add_job(**values)
    return values


def _renew_item_problem(
    uow: UnitOfWork, ctx: Ctx, corpid: str, item: dict[str, Any], seen: set[str]
) -> LicenceRuleViolation | None:
    try:
        type_ = parse_account_type(item.get("type"))
    except LicenceRuleViolation as error:
        return error
    userid = item.get("userid")
    if not isinstance(userid, str) or uow.licences.member(ctx.corpid, corpid, userid) is None:
        return violation(
            701019, f"userid {userid!r} is not a member of corp {corpid!r}", rule="L21"
        )
    if f"{userid}|{int(type_)}" in seen:
        return violation(
            701020, f"userid {userid!r} type {int(type_)} is already in the job", rule="L21"
        )
    if uow.licences.member_code(ctx.corpid, corpid, userid, int(type_)) is None:
        return violation(
            701099,
            f"userid {userid!r} never bound a type-{int(type_)} code, so "
            "there is nothing to renew; buy and activate one instead",
            rule="L21",
        )
    return None


def _check_job_capacity(keys: set[str]) -> None:
    for type_ in (1, 2):
        count = sum(1 for k in keys if k.endswith(f"|{type_}"))
        if count > MAX_COUNT:
            raise violation(
                701014,
                f"a job may hold at most {MAX_COUNT} type-{type_} accounts; it would hold {count}",
                rule="L21",
            )


@dataclass(frozen=True, slots=True)
class RenewalSubmit:
    jobid: str
    buyer_userid: str
    months: int | None
    new_expire_time: datetime | None


def submit_order_job(runtime: Runtime, provider: str, cmd: RenewalSubmit) -> LicenceOrder:
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        job = uow.licences.job(cmd.jobid, provider=provider)
        if job is None or job["kind"] != "renew":
            raise violation(
                701913,
                f"jobid {cmd.jobid!r} is not a renewal job of this provider",
                kind="not_found",
            )
        if job["submitted_at"] is not None:
            raise violation(701126, f"job {cmd.jobid} was already submitted", kind="conflict")
        corpid = str(job["corpid"])
        corp = require_corp(uow, provider, corpid)
        require_buyer(uow, ctx, cmd.buyer_userid)
        target = _renewal_target(cmd, ctx, test_corp=corp["is_test"])
        check_corp_can_order(uow, ctx, corpid)
        if (
            corp["is_test"]
            and uow.licences.count_orders(
                provider,
                corpid,
                order_type=OrderType.RENEW,
                excluding=(OrderStatus.CANCELLED, OrderStatus.EXPIRED),
            )
            >= 1
        ):
            raise violation(
                701029,
                f"test corp {corpid!r} already has a renewal order; a test corp may renew once",
                rule="L20",
            )
        order, accounts = _renewal_order(uow, ctx, job, corp, cmd, target)
        _record_order(uow, ctx, order)
        uow.licences.add_order_accounts(order.order_id, accounts)
        uow.licences.update_job(cmd.jobid, submitted_at=ctx.at, order_id=order.order_id, status=1)
        uow.commit()
        return order


def _renewal_target(cmd: RenewalSubmit, ctx: Ctx, *, test_corp: bool) -> datetime | None:
    if (cmd.months is None) == (cmd.new_expire_time is None):
        raise violation(
            701904,
            "account_duration must hold exactly one of months and new_expire_time",
            rule="L22",
        )
    if cmd.months is not None:
        validate_renewal_months(cmd.months, test_corp=test_corp)
        return None
    assert cmd.new_expire_time is not None  # noqa: S101 - narrowed by the check above
    return normalise_new_expire_time(cmd.new_expire_time, at=ctx.at, test_corp=test_corp)


def _renewal_order(  # noqa: PLR0917 - an internal step of submit_order_job
    uow: UnitOfWork,
    ctx: Ctx,
    job: dict[str, Any],
    corp: dict[str, Any],
    cmd: RenewalSubmit,
    target: datetime | None,
) -> tuple[LicenceOrder, list[dict[str, Any]]]:
    items = uow.licences.job_items(job["jobid"])
    accounts = [(i["userid"], AccountType(i["type"])) for i in items]
    pricing = platform_pricing(ctx.provider)
    if target is None:
        assert cmd.months is not None  # noqa: S101 - one of the two is set (L22)
        rows = [{"userid": u, "type": int(t), "days": 31 * cmd.months} for u, t in accounts]
    else:
        days = renewal_days_by_type(
            uow, ctx.corpid, corp["corpid"], accounts, target=target, at=ctx.at
        )
        cursor = {t: iter(v) for t, v in days.items()}
        rows = [{"userid": u, "type": int(t), "days": next(cursor[t])} for u, t in accounts]
    rows = [r for r in rows if r["days"] > 0]
    if not rows:
        raise violation(
            701090,
            "every account in the renewal would gain 0 days; pick a later new_expire_time",
            rule="L24",
        )
    by_type: dict[AccountType, list[int]] = {}
    for r in rows:
        by_type.setdefault(AccountType(r["type"]), []).append(r["days"])
    lines = (
        pricing.renewal_lines({t: len(v) for t, v in by_type.items()}, months=cmd.months or 0)
        if target is None
        else pricing.renewal_lines_by_days(by_type)
    )
    order = LicenceOrder(
        order_id=new_id("OR"),
        provider_id=ctx.corpid,
        corpid=corp["corpid"],
        order_type=OrderType.RENEW,
        status=OrderStatus.AWAITING_PAYMENT,
        price=order_price(lines, test_corp=corp["is_test"]),
        create_time=ctx.at,
        buyer_userid=cmd.buyer_userid,
        base_count=len(by_type.get(AccountType.BASIC, [])),
        interop_count=len(by_type.get(AccountType.INTEROP, [])),
        months=cmd.months or 0,
        new_expire_time=target,
        test_corp=corp["is_test"],
        lines=[line_json(line) for line in lines],
        unpaid_ttl_days=int(ctx.settings["unpaid_order_ttl_days"]),
    )
    return order, rows


# --- multi-corp jobs (L26–L29) ----------------------------------------------------------------


def create_new_order_job(
    runtime: Runtime, provider: str, buy_list: Sequence[dict[str, Any]], jobid: str | None
) -> JobAppend:
    validate_batch_size(len(buy_list), limit=MULTI_CORP_CALL_LIMIT, rule="L26")
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        job = _open_job(uow, ctx, jobid, kind="multi", corpid=None)
        seen = uow.licences.job_item_keys(job["jobid"])
        invalid: list[dict[str, Any]] = []
        valid: list[tuple[str, dict[str, Any]]] = []
        for item in buy_list:
            corpid = str(item.get("corpid") or "")
            problem = _multi_item_problem(uow, ctx, item, corpid, seen)
            if problem is not None:
                invalid.append(
                    {"corpid": corpid, "errcode": problem.errcode, "errmsg": problem.message}
                )
                continue
            seen.add(corpid)
            valid.append((corpid, item))
        if not valid and not seen:
            raise violation(
                701122,
                "every corp in the buy_list is invalid: "
                + "; ".join(f"{i['corpid']}: {i['errcode']}" for i in invalid),
                rule="L26",
            )
        if len(seen) > MULTI_CORP_JOB_LIMIT:
            raise violation(
                701123, f"a multi-corp job holds at most {MULTI_CORP_JOB_LIMIT} corps", rule="L26"
            )
        uow.licences.add_job_items(job["jobid"], valid)
        uow.commit()
        return JobAppend(job["jobid"], invalid)


def _multi_item_problem(
    uow: UnitOfWork, ctx: Ctx, item: dict[str, Any], corpid: str, seen: set[str]
) -> LicenceRuleViolation | None:
    try:
        if corpid in seen:
            return violation(701124, f"corpid {corpid!r} is already in the job", rule="L26")
        corp = require_corp(uow, ctx.corpid, corpid)
        if corp["is_test"]:
            return violation(
                701121, f"test corp {corpid!r} cannot use multi-corp ordering", rule="L26"
            )
        cmd = _buy_item(item, corpid)
        priced_buy_order(uow, ctx, cmd, corp=corp)
    except LicenceRuleViolation as error:
        return error
    return None


def _buy_item(item: dict[str, Any], corpid: str) -> NewOrder:
    count = item.get("account_count") or {}
    duration = item.get("account_duration") or {}
    return NewOrder(
        corpid,
        "",
        int(count.get("base_count", 0) or 0),
        int(count.get("external_contact_count", 0) or 0),
        Duration(int(duration.get("months", 0) or 0), int(duration.get("days", 0) or 0)),
    )


def submit_new_order_job(runtime: Runtime, provider: str, jobid: str, buyer_userid: str) -> str:
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        job = uow.licences.job(jobid, provider=provider)
        if job is None or job["kind"] != "multi":
            raise violation(
                701913,
                f"jobid {jobid!r} is not a multi-corp job of this provider",
                kind="not_found",
            )
        if job["submitted_at"] is not None:
            raise violation(701126, f"job {jobid} was already submitted", kind="conflict")
        require_buyer(uow, ctx, buyer_userid)
        parent_id = new_id("OU")
        subs, fails = [], []
        for item in uow.licences.job_items(jobid):
            corpid = str(item["corpid"])
            try:
                corp = require_corp(uow, provider, corpid)
                sub = priced_buy_order(
                    uow, ctx, _buy_item(item, corpid), corp=corp, parent=parent_id
                )
            except LicenceRuleViolation as error:
                fails.append({"corpid": corpid, "errcode": error.errcode, "errmsg": error.message})
                continue
            sub.buyer_userid = buyer_userid
            sub.lines = [*sub.lines, {"auto_active_status": int(item.get("auto_active_status", 1))}]
            subs.append(sub)
        result: dict[str, Any] = {"fail_list": fails}
        if subs:
            parent = LicenceOrder(
                order_id=parent_id,
                provider_id=provider,
                corpid=None,
                order_type=OrderType.MULTI_CORP,
                status=OrderStatus.AWAITING_PAYMENT,
                price=sum(s.price for s in subs),
                create_time=ctx.at,
                buyer_userid=buyer_userid,
                base_count=sum(s.base_count for s in subs),
                interop_count=sum(s.interop_count for s in subs),
                unpaid_ttl_days=int(ctx.settings["unpaid_order_ttl_days"]),
            )
            _record_order(uow, ctx, parent)
            for sub in subs:
                uow.licences.add_order(sub)
        uow.licences.update_job(
            jobid,
            submitted_at=ctx.at,
            status=1 if subs else 3,
            order_id=parent_id if subs else None,
            result=result,
        )
        uow.commit()
        return jobid


def new_order_job_result(runtime: Runtime, provider: str, jobid: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        job = uow.licences.job(jobid, provider=provider)
        if job is None or job["kind"] != "multi":
            raise violation(701913, f"jobid {jobid!r} is not a multi-corp job", kind="not_found")
        if job["submitted_at"] is None:
            raise violation(
                701125,
                f"job {jobid} has not been submitted yet; call submit_new_order_job first",
                rule="L27",
                kind="conflict",
            )
        job_result_readable(submitted_at=job["submitted_at"], at=ctx.at)
        return dict(job)


# --- payment ----------------------------------------------------------------------------------


def pay_order(runtime: Runtime, provider: str, order_id: str) -> LicenceOrder:
    """The console payment (sandbox control ``pay_order``)."""
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        order = require_order(uow, ctx, order_id)
        _require_payable(order, ctx)
        order.fix_payment_method(PaymentMethod.CONSOLE)
        settle_payment(uow, ctx, order)
        uow.commit()
        return order


def _require_payable(order: LicenceOrder, ctx: Ctx) -> None:
    status = order.status_at(ctx.at)
    if (
        not order.is_payable_type
        or status != OrderStatus.AWAITING_PAYMENT
        or order.parent_order_id is not None
    ):
        raise violation(
            701084,
            f"order {order.order_id} is in status {int(status)}; only an "
            "order awaiting payment (status 0) can be paid",
            rule="L30",
            kind="conflict",
        )


def settle_payment(uow: UnitOfWork, ctx: Ctx, order: LicenceOrder) -> None:
    """L16/L17/L25: mark paid, create codes or extend renewals, then push the callback."""
    _transition(uow, order, OrderStatus.PAID, at=ctx.at)
    singles = (
        uow.licences.sub_orders(order.order_id)
        if (order.order_type == OrderType.MULTI_CORP)
        else [order]
    )
    for single in singles:
        if single.order_type == OrderType.RENEW:
            _apply_renewal(uow, ctx, single)
        else:
            _create_codes(uow, ctx, single)
            _apply_multi_auto_active(uow, ctx, single)
        _pay_success_callback(uow, ctx, single)


def _create_codes(uow: UnitOfWork, ctx: Ctx, order: LicenceOrder) -> None:
    rows: list[dict[str, Any]] = []
    for type_, count in ((1, order.base_count), (2, order.interop_count)):
        rows.extend(
            {
                "active_code": new_id("LC"),
                "provider_corpid": ctx.corpid,
                "order_id": order.order_id,
                "owner_corpid": order.corpid,
                "type": type_,
                "duration_days": order.duration_days,
                "create_time": ctx.at,
                "awaiting_transfer": False,
                "invalidated": False,
            }
            for _ in range(count)
        )
    uow.licences.add_codes(rows)


def _apply_multi_auto_active(uow: UnitOfWork, ctx: Ctx, order: LicenceOrder) -> None:
    for line in order.lines:
        if "auto_active_status" in line and order.corpid:
            uow.licences.update_corp(
                ctx.corpid, order.corpid, auto_active_status=int(str(line["auto_active_status"]))
            )


def _apply_renewal(uow: UnitOfWork, ctx: Ctx, order: LicenceOrder) -> None:
    assert order.corpid is not None  # noqa: S101 - a renewal always has a corp
    for account in uow.licences.order_accounts(order.order_id):
        code = uow.licences.member_code(
            ctx.corpid, order.corpid, account["userid"], account["type"]
        )
        if code is None or code["expire_time"] is None:
            continue
        expiry = renewed_expiry(
            expire_time=code["expire_time"],
            pay_time=ctx.at,
            months=order.months or None,
            target=order.new_expire_time,
        )
        uow.licences.update_code(code["active_code"], expire_time=expiry)


def _pay_success_callback(uow: UnitOfWork, ctx: Ctx, order: LicenceOrder) -> None:
    fields = {
        "ServiceCorpId": ctx.corpid,
        "InfoType": "license_pay_success",
        "AuthCorpId": order.corpid or "",
        "OrderId": order.order_id,
        "BuyerUserId": order.buyer_userid,
        "TimeStamp": int(ctx.at.timestamp()),
    }
    publish_callback(
        uow, ctx, "license_pay_success", fields, dedupe_key=f"license_pay_success:{order.order_id}"
    )


def publish_callback(
    uow: UnitOfWork,
    ctx: Ctx,
    kind: str,
    fields: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    url: str | None = None,
) -> None:
    events.publish(
        uow,
        tenant_id=tenant_id_of(ctx.corpid),
        kind=kind,
        at=ctx.at,
        payload={"signer": SIGNER, "fields": fields},
        target_url=url or ctx.provider.get("callback_url"),
        content_type="text/xml",
        body=xml_body(fields),
        dedupe_key=dedupe_key,
    )


def submit_pay_job(runtime: Runtime, provider: str, order_id: str, payer_userid: str) -> str:
    """L30/L31: balance payment; the outcome is in pay_job_result (top-level errcode 0)."""
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        order = require_order(uow, ctx, order_id)
        _require_payable(order, ctx)
        require_buyer(uow, ctx, payer_userid, field="payer_userid", errcode=48001)
        order.fix_payment_method(PaymentMethod.BALANCE)
        uow.licences.save_order(order)
        jobid = new_id("PJ")
        result = _balance_outcome(uow, ctx, order)
        if result["errcode"] == 0:
            uow.licences.adjust_balance(provider, -order.price)
            settle_payment(uow, ctx, order)
        uow.licences.add_job(
            jobid=jobid,
            provider_corpid=provider,
            kind="pay",
            corpid=order.corpid,
            created_at=ctx.at,
            submitted_at=ctx.at,
            order_id=order_id,
            status=1 if result["errcode"] == 0 else 3,
            result=result,
        )
        uow.commit()
        return jobid


def _balance_outcome(uow: UnitOfWork, ctx: Ctx, order: LicenceOrder) -> dict[str, Any]:
    balance = ctx.provider.get("balance_fen")
    limit = ctx.provider.get("single_payment_limit_fen")
    corps = (
        [order.corpid]
        if order.corpid
        else [s.corpid for s in uow.licences.sub_orders(order.order_id)]
    )
    if balance is None:
        return {"errcode": 90432, "errmsg": "balance account not opened", "fail_corp_list": corps}
    if limit is not None and order.price > limit:
        return {
            "errcode": 701147,
            "errmsg": f"price {order.price} fen is above the single-payment limit {limit} fen",
            "fail_corp_list": corps,
        }
    if balance < order.price:
        return {
            "errcode": 90433,
            "errmsg": f"balance {balance} fen is below the price {order.price} fen",
            "fail_corp_list": corps,
        }
    return {"errcode": 0, "errmsg": "ok", "fail_corp_list": []}


def pay_job_result(runtime: Runtime, provider: str, jobid: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        ctx = open_ctx(runtime, uow, provider, write=False)
        job = uow.licences.job(jobid, provider=provider)
        if job is None or job["kind"] != "pay":
            raise violation(701913, f"jobid {jobid!r} is not a payment job", kind="not_found")
        job_result_readable(submitted_at=job["submitted_at"], at=ctx.at)
        return dict(job)


def account_balance(runtime: Runtime, provider: str) -> int:
    with runtime.uow(readonly=True) as uow:
        return int(require_provider(uow, provider)["balance_fen"] or 0)


# --- refunds and test-corp removal (L19, L20, D19, D20) ----------------------------------------


def request_refund(runtime: Runtime, provider: str, order_id: str) -> LicenceOrder:
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        order = require_order(uow, ctx, order_id)
        _transition(uow, order, OrderStatus.REFUND_REQUESTED, at=ctx.at)
        uow.commit()
        return order


def decide_refund(runtime: Runtime, provider: str, order_id: str, *, approve: bool) -> LicenceOrder:
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        order = require_order(uow, ctx, order_id)
        _transition(
            uow, order, OrderStatus.REFUNDED if approve else OrderStatus.REFUND_REFUSED, at=ctx.at
        )
        singles = (
            uow.licences.sub_orders(order_id)
            if (order.order_type == OrderType.MULTI_CORP)
            else [order]
        )
        if approve:
            uow.licences.invalidate_unbound_codes([s.order_id for s in singles])
        for single in singles:
            fields = {
                "ServiceCorpId": ctx.corpid,
                "InfoType": "license_refund",
                "AuthCorpId": single.corpid or "",
                "OrderId": single.order_id,
                "OrderStatus": 1 if approve else 2,
                "TimeStamp": int(ctx.at.timestamp()),
            }
            publish_callback(
                uow, ctx, "license_refund", fields, dedupe_key=f"license_refund:{single.order_id}"
            )
        uow.commit()
        return order


def remove_test_corp(runtime: Runtime, provider: str, corpid: str) -> int:
    with runtime.uow() as uow:
        ctx = open_ctx(runtime, uow, provider)
        corp = require_corp(uow, provider, corpid)
        if not corp["is_test"]:
            raise violation(40058, f"corp {corpid!r} is not a test corp", rule="L20")
        orders = uow.licences.corp_orders_in_status(provider, corpid, list(OrderStatus))
        for order in orders:
            if order.status != OrderStatus.INVALID:
                _transition(uow, order, OrderStatus.INVALID, at=ctx.at)
        ids = [o.order_id for o in orders]
        uow.licences.invalidate_unbound_codes(ids)
        uow.licences.expire_bound_codes(ids, at=ctx.at)
        uow.licences.update_corp(provider, corpid, is_test=False)
        uow.commit()
        return len(orders)


def install(runtime: Runtime) -> None:
    runtime.register(ORDER_EXPIRED, expire_order)
