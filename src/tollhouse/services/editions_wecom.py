"""The WeCom-shaped side of paid editions (spec app-editions §4.1): suite credentials,
`service/get_order(_list)`, `service/prolong_try`, and the vendor cashier `paytool/*` with its
signing checks. One order record serves both families, translated per D25.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tollhouse.domain.editions import (
    Order,
    OrderStatus,
    OrderType,
    Term,
    cashier_begin,
    forfeit_trial,
    paytool_status,
    renewal_begin,
    term_covering,
    with_terms,
)
from tollhouse.domain.editions.errors import (
    DurationOutOfRange,
    EditionsNotFound,
    HeadcountAboveMax,
    HeadcountBelowMin,
    HeadcountInvalid,
    NonceReused,
    OrderTypeNotAllowed,
    SignatureInvalid,
    TimestampSkew,
    TotalPriceOutOfRange,
    UnsupportedPayType,
)
from tollhouse.domain.errors import InvalidRequest, PlatformRuleViolation
from tollhouse.services import editions as svc
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime, UnitOfWork

SUITE_TOKEN_LIFETIME = timedelta(seconds=7200)
SIGNING_WINDOW = timedelta(minutes=15)
MAX_CASHIER_FEN = 500_000_000  # 5 000 000 CNY (98045, D26)
SERVICE_ORDER_FROM = {0: 0, 1: 1}  # service/*: 0 corp, 1 vendor on the corp's behalf
PAYTOOL_ORDER_FROM = {0: 1, 1: 2}  # paytool/*: 1 corp, 2 vendor


def _unauthorized(errcode: int, message: str) -> PlatformRuleViolation:
    return PlatformRuleViolation(errcode, message, kind="unauthorized", namespace="wecom")


# --- suite credentials -------------------------------------------------------------------------


def get_suite_token(
    runtime: Runtime, suite_id: str, suite_secret: str, suite_ticket: str
) -> tuple[str, int]:
    """`service/get_suite_token`; the sandbox accepts any non-empty suite_ticket."""
    if not suite_ticket:
        raise PlatformRuleViolation(40085, "suite_ticket is required", namespace="wecom")
    with runtime.uow() as uow:
        suite = uow.editions.suite(suite_id)
        if suite is None or not secrets.compare_digest(suite["suite_secret"], suite_secret):
            raise _unauthorized(
                40013 if suite is None else 40001,
                f"suite_id {suite_id!r} or its suite_secret is wrong",
            )
        at = runtime.system_clock.now()
        live = uow.editions.live_suite_token(suite_id, at=at)
        if live is not None:
            return live["token"], int((live["expires_at"] - at).total_seconds())
        token = secrets.token_urlsafe(48)
        uow.editions.add_suite_token(
            token=token, suite_id=suite_id, issued_at=at, expires_at=at + SUITE_TOKEN_LIFETIME
        )
        uow.commit()
    return token, int(SUITE_TOKEN_LIFETIME.total_seconds())


def suite_for_token(runtime: Runtime, token: str | None) -> dict[str, Any]:
    """The suite (and its vendor) a `suite_access_token` stands for; real-clock lifetime."""
    if not token:
        raise _unauthorized(
            41001, "suite_access_token is missing; get one from /cgi-bin/service/get_suite_token"
        )
    with runtime.uow(readonly=True) as uow:
        row = uow.editions.suite_token(token)
        if row is None:
            raise _unauthorized(40014, "suite_access_token is not valid")
        if runtime.system_clock.now() >= row["expires_at"]:
            raise _unauthorized(42001, "suite_access_token expired; get a new one")
        suite: dict[str, Any] = uow.editions.suite(row["suite_id"])
    return suite


# --- service/get_order, get_order_list, prolong_try --------------------------------------------


def service_order_json(row: dict[str, Any], app: dict[str, Any]) -> dict[str, Any]:
    """The `service/get_order` fields (91909, D25, D27)."""
    order = svc.order_from_row(row)
    return {
        "orderid": row["order_id"],
        "order_status": order.status.wecom_code,
        "order_type": row["order_type"],
        "paid_corpid": app["corpid"],
        "operator_id": "",
        "suiteid": app["suite_id"],
        "appid": 1,
        "edition_id": row["edition_id"],
        "edition_name": row["edition_name"],
        "price": row["amount_fen"],
        "user_count": row["headcount"],
        "order_period": row["order_period"],
        "order_time": svc.unix(row["created_at"]),
        "paid_time": svc.unix(row["paid_at"]) or 0,
        "begin_time": svc.unix(row["begin_time"]) or 0,
        "end_time": svc.unix(row["end_time"]) or 0,
        "order_from": SERVICE_ORDER_FROM.get(row["order_from"], 0),
        "operator_corpid": app["corpid"] if row["order_from"] == 0 else app["vendor_id"],
        "service_share_amount": row["amount_fen"],
        "platform_share_amount": 0,
        "dealer_share_amount": 0,
        "dealer_corp_info": {"corpid": "", "corp_name": ""},
    }


def service_get_order(runtime: Runtime, suite: dict[str, Any], order_id: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        row = uow.editions.order(order_id)
        app = None if row is None else uow.editions.app(row["app_id"])
        if row is None or app is None or app["suite_id"] != suite["suite_id"]:
            raise PlatformRuleViolation(
                40013,
                f"orderid {order_id!r} is not an order of suite {suite['suite_id']}",
                kind="not_found",
                namespace="wecom",
            )
        return service_order_json(row, app)


def service_order_list(
    runtime: Runtime,
    suite: dict[str, Any],
    *,
    start: datetime | None,
    end: datetime | None,
    test_mode: int,
) -> list[dict[str, Any]]:
    """Orders of the suite by order time [start, end]; test_mode 1 lists nothing (no test corps)."""
    if test_mode not in {0, 1}:
        raise PlatformRuleViolation(
            40058, f"test_mode {test_mode} must be 0 or 1", namespace="wecom"
        )
    if test_mode == 1:
        return []
    with runtime.uow(readonly=True) as uow:
        apps = {
            a["app_id"]: a
            for a in uow.editions.apps(suite["vendor_id"])
            if a["suite_id"] == suite["suite_id"]
        }
        rows = uow.editions.orders(
            vendor_id=suite["vendor_id"],
            start=start,
            end=None if end is None else end + timedelta(seconds=1),
            limit=100_000,
        )
        return [service_order_json(r, apps[r["app_id"]]) for r in rows if r["app_id"] in apps]


def prolong_for_suite(
    runtime: Runtime, suite: dict[str, Any], buyer_corpid: str, prolong_days: int
) -> int:
    with runtime.uow(readonly=True) as uow:
        app = uow.editions.app_by_suite_corp(suite["suite_id"], buyer_corpid)
    if app is None:
        raise PlatformRuleViolation(
            40013,
            f"buyer_corpid {buyer_corpid!r} has not authorised suite {suite['suite_id']}",
            kind="not_found",
            namespace="wecom",
        )
    return int(svc.prolong(runtime, app["app_id"], prolong_days=prolong_days).timestamp())


# --- paytool signing (doc 98768; see docs/decisions/editions.md) -------------------------------


def paytool_sig(secret: str, body: dict[str, Any]) -> str:
    """hex HMAC-SHA256 over the canonical JSON of the body without `sig` (sorted keys)."""
    unsigned = {k: v for k, v in body.items() if k != "sig"}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def sign_paytool(secret: str, body: dict[str, Any], *, nonce: str, ts: int) -> dict[str, Any]:
    """A client helper (tests, SDKs): the body with nonce_str, ts and sig added."""
    signed = {**body, "nonce_str": nonce, "ts": ts}
    return {**signed, "sig": paytool_sig(secret, signed)}


def check_signature(runtime: Runtime, vendor_id: str, body: dict[str, Any]) -> None:
    """`nonce_str` unique within 15 min, `ts` within 15 min of server time, `sig` matches."""
    with runtime.uow() as uow:
        provider = uow.licences.provider(vendor_id)
        if provider is None:
            raise _unauthorized(40013, f"provider {vendor_id!r} is unknown")
        nonce, ts, sig = body.get("nonce_str"), body.get("ts"), body.get("sig")
        if (
            not isinstance(nonce, str)
            or not nonce
            or not isinstance(sig, str)
            or isinstance(ts, bool)
            or not isinstance(ts, int)
        ):
            raise SignatureInvalid(
                "paytool requests carry nonce_str (string), ts (unix seconds) "
                "and sig; see doc 98768"
            )
        now = runtime.system_clock.now()
        if abs(now.timestamp() - ts) > SIGNING_WINDOW.total_seconds():
            raise TimestampSkew(
                f"ts {ts} is more than 15 minutes from server time {int(now.timestamp())}"
            )
        if not hmac.compare_digest(paytool_sig(provider["provider_secret"], body), sig):
            raise SignatureInvalid(
                "sig does not match the request; sign the body without sig "
                "with HMAC-SHA256 and the provider_secret"
            )
        if not uow.editions.use_nonce(vendor_id, nonce, at=now, since=now - SIGNING_WINDOW):
            raise NonceReused(f"nonce_str {nonce!r} was used in the last 15 minutes")
        uow.commit()


# --- paytool/open_order (98045, D26) -----------------------------------------------------------


def _int(raw: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise PlatformRuleViolation(40063, f"parameter {name} is required", namespace="wecom")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlatformRuleViolation(
            40058, f"parameter {name}={value!r} must be an integer", namespace="wecom"
        )
    return value


def open_order(runtime: Runtime, vendor_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A vendor-priced cashier order for one corp, lines for its apps (D26)."""
    if _int(body, "business_type") != 2:  # noqa: PLR2004 - 2 = custom-developed app (98045)
        raise PlatformRuleViolation(
            40058, "business_type must be 2 (custom-developed app)", namespace="wecom"
        )
    corpid = body.get("custom_corpid")
    if not isinstance(corpid, str) or not corpid:
        raise PlatformRuleViolation(40063, "parameter custom_corpid is required", namespace="wecom")
    pay_type = _int(body, "pay_type", required=False) or 0
    if pay_type not in {0, 1}:
        raise UnsupportedPayType(
            f"pay_type {pay_type} is not supported; use 0 (the corp pays) or 1 (the vendor pays)"
        )
    product = body.get("product_list") or {}
    app_part = product.get("customized_app") if isinstance(product, dict) else None
    if not isinstance(app_part, dict):
        raise PlatformRuleViolation(
            40063, "product_list.customized_app is required", namespace="wecom"
        )
    order_type = _int(app_part, "order_type")
    if order_type not in {0, 1, 2}:
        raise OrderTypeNotAllowed(
            f"cashier order_type {order_type} must be 0, 1 or 2 (edition "
            "changes are not available for customized_app)",
            details={"rule": "D25"},
        )
    lines = app_part.get("buy_info_list")
    if not isinstance(lines, list) or not 1 <= len(lines) <= 20:  # noqa: PLR2004 - 98045
        raise PlatformRuleViolation(40058, "buy_info_list must hold 1–20 lines", namespace="wecom")
    with runtime.uow() as uow:
        vendor = uow.editions.vendor(vendor_id)
        if vendor is None:
            raise EditionsNotFound(f"provider {vendor_id!r} is not an editions vendor")
        uow.lock_tenant(vendor["tenant_id"])
        checked = [_cashier_line(runtime, uow, vendor_id, corpid, order_type, raw) for raw in lines]
        first = svc.load(runtime, uow, checked[0]["app_id"])
        total = sum(line["total_price"] for line in checked)
        order = Order(
            order_id=svc.new_id("ep"),
            app_id=first.app_id,
            order_type={0: OrderType.NEW_PURCHASE, 1: OrderType.EXPANSION, 2: OrderType.RENEWAL}[
                order_type
            ],
            edition_id=checked[0]["edition_id"],
            headcount=checked[0]["headcount"],
            cycles=0,
            amount_fen=total,
            order_period=checked[0]["duration_days"],
            created_at=first.at,
        )
        for line in checked:  # one unpaid order per app (AE24)
            svc._cancel_unpaid(svc.load(runtime, uow, line["app_id"], at=first.at))  # noqa: SLF001
        plan_version = uow.editions.bump_plan_version(first.app_id)
        uow.editions.add_order(
            **svc.order_values(order),
            vendor_id=vendor_id,
            edition_name=checked[0]["edition_name"],
            previous_headcount=0,
            plan_version=plan_version,
            quote={"cashier": True, "amount_fen": total},
            order_from=1,
            creator=str(body.get("creator") or ""),
            pay_type=pay_type,
            cashier={
                "order_type": order_type,
                "lines": checked,
                "notify_custom_corp": bool(app_part.get("notify_custom_corp")),
            },
            status_changed_at=first.at,
        )
        svc._schedule_expiry(first, order)  # noqa: SLF001
        uow.tenants.mark_activity(first.tenant)
        uow.commit()
    return {
        "order_id": order.order_id,
        "order_url": f"/v1/editions/orders/{order.order_id}",
        "origin_price": total,
        "paid_price": total,
    }


def _cashier_line(  # noqa: PLR0917 - an internal step of open_order
    runtime: Runtime,
    uow: UnitOfWork,
    vendor_id: str,
    corpid: str,
    order_type: int,
    raw: Any,
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise PlatformRuleViolation(
            40058, "each buy_info_list line is an object", namespace="wecom"
        )
    suite_id = raw.get("suiteid")
    app = uow.editions.app_by_suite_corp(suite_id, corpid) if isinstance(suite_id, str) else None
    if app is None or app["vendor_id"] != vendor_id:
        raise EditionsNotFound(
            f"corp {corpid!r} has not authorised suite {suite_id!r} of vendor {vendor_id!r}"
        )
    ctx = svc.load(runtime, uow, app["app_id"], lock=False)
    user_count = _int(raw, "user_count") or 0
    days = _int(raw, "duration_days") or 0
    price = _int(raw, "total_price") or 0
    if not 1 <= days <= ctx.settings.max_purchase_days:
        raise DurationOutOfRange(f"duration_days {days} must be 1–{ctx.settings.max_purchase_days}")
    if not 1 <= price <= MAX_CASHIER_FEN:
        raise TotalPriceOutOfRange(f"total_price {price} fen must be 1–{MAX_CASHIER_FEN} fen")
    current = term_covering(ctx.terms, ctx.at)
    edition = (
        ctx.strategy.edition(current.edition_id)
        if current is not None
        else ctx.strategy.basic_edition
    )
    headcount = user_count + (current.headcount if order_type == 1 and current else 0)
    _check_limits(edition.limits, headcount)
    effect = raw.get("take_effect_date")
    if effect is not None:
        try:
            date.fromisoformat(f"{str(effect)[:4]}-{str(effect)[4:6]}-{str(effect)[6:8]}")
        except ValueError as exc:
            raise InvalidRequest(f"take_effect_date {effect!r} is not yyyymmdd") from exc
    return {
        "app_id": app["app_id"],
        "suiteid": suite_id,
        "user_count": user_count,
        "headcount": headcount,
        "duration_days": days,
        "total_price": price,
        "take_effect_date": None if effect is None else str(effect),
        "edition_id": edition.edition_id,
        "edition_name": edition.edition_name,
    }


def _check_limits(limits: Any, headcount: int) -> None:
    if headcount < 1:
        raise HeadcountInvalid(f"user_count gives head-count {headcount}; it must be ≥ 1")
    if limits is None:
        return
    if limits.min_users is not None and headcount < limits.min_users:
        raise HeadcountBelowMin(f"head-count {headcount} is below the minimum {limits.min_users}")
    if limits.max_users is not None and headcount > limits.max_users:
        raise HeadcountAboveMax(f"head-count {headcount} is above the maximum {limits.max_users}")


def apply_cashier_payment(
    runtime: Runtime, ctx: svc.Ctx, order: Order, cashier: dict[str, Any], paid_at: datetime
) -> None:
    """Each line opens a vendor-priced term or changes the head-count of its app (D26)."""
    for line in cashier["lines"]:
        line_ctx = (
            ctx
            if line["app_id"] == ctx.app_id
            else svc.load(runtime, ctx.uow, line["app_id"], at=ctx.at)
        )
        _apply_line(line_ctx, order, int(cashier["order_type"]), line, paid_at)


def _apply_line(
    ctx: svc.Ctx, order: Order, order_type: int, line: dict[str, Any], paid_at: datetime
) -> None:
    state = ctx.state()
    if order_type == 1:  # expansion: unfinished terms take the new head-count, vendor-priced
        terms = tuple(
            replace(t, headcount=line["headcount"], vendor_priced=True)
            if t.unfinished(paid_at)
            else t
            for t in ctx.terms
        )
        order.replaced_terms = tuple(t for t in ctx.terms if t.unfinished(paid_at))
        order.begin_time = paid_at
        order.end_time = max((t.end for t in order.replaced_terms), default=paid_at)
    else:
        effect = line["take_effect_date"]
        when = None if effect is None else date(int(effect[:4]), int(effect[4:6]), int(effect[6:8]))
        begin = cashier_begin(when, paid_at=paid_at)
        if order_type == 2 and when is None:  # noqa: PLR2004 - renewal
            begin = renewal_begin(ctx.terms, paid_at=paid_at)
        term = Term(
            term_id=svc.new_id("et"),
            order_id=order.order_id,
            edition_id=line["edition_id"],
            headcount=line["headcount"],
            cycles=0,
            purchased_days=line["duration_days"],
            bonus_days=0,
            begin=begin,
            value=Decimal(line["total_price"]),
            vendor_priced=True,
        )
        terms = (*ctx.terms, term)
        order.begin_time, order.end_time = term.begin, term.end
        if order_type == 0 and state.trial is not None:
            state = replace(state, trial=forfeit_trial(state.trial, at=paid_at))
    state = with_terms(replace(state, ever_paid=True), tuple(terms), at=paid_at)
    ctx.uow.editions.replace_terms(ctx.app_id, state.terms)
    ctx.terms = list(state.terms)
    svc._save_state(ctx, state)  # noqa: SLF001


# --- paytool/get_order_list, get_order_detail (99360, 99361) ------------------------------------


def _buy_content(row: dict[str, Any]) -> str:
    kinds = {0: "新购", 1: "扩容", 2: "续期", 3: "变更版本"}
    return (
        f"{row['edition_name'] or row['edition_id']} {kinds[row['order_type']]} "
        f"{row['headcount']}人 {row['order_period']}天"
    )


def _paytool_head(
    row: dict[str, Any], app: dict[str, Any], at: datetime, settings: Any
) -> dict[str, Any]:
    order = svc.order_from_row(row)
    return {
        "order_id": row["order_id"],
        "create_time": svc.unix(row["created_at"]),
        "custom_corpid": app["corpid"],
        "buy_content": _buy_content(row),
        "origin_price": row["amount_fen"],
        "paid_price": row["amount_fen"],
        "order_status": paytool_status(order, at=at, settings=settings),
        "order_from": PAYTOOL_ORDER_FROM.get(row["order_from"], 1),
        "creator": row["creator"],
        "pay_type": row["pay_type"],
    }


def paytool_order_list(runtime: Runtime, vendor_id: str, body: dict[str, Any]) -> dict[str, Any]:
    limit = _int(body, "limit", required=False) or 100
    if not 1 <= limit <= 2000:  # noqa: PLR2004 - 99360
        raise PlatformRuleViolation(40058, f"limit {limit} must be 1–2000", namespace="wecom")
    business_type = _int(body, "business_type", required=False)
    start, end = _int(body, "start_time", required=False), _int(body, "end_time", required=False)
    from tollhouse.domain.periods import from_unix  # noqa: PLC0415

    with runtime.uow(readonly=True) as uow:
        vendor = uow.editions.vendor(vendor_id)
        if vendor is None:
            raise EditionsNotFound(f"provider {vendor_id!r} is not an editions vendor")
        if business_type not in {None, 2}:
            return {"next_cursor": "", "has_more": 0, "pay_order_list": []}
        at = tenant_now(runtime, uow, vendor["tenant_id"])
        settings = svc.settings_of(vendor["settings"])
        rows = uow.editions.orders(
            vendor_id=vendor_id,
            start=None if start is None else from_unix(start),
            end=None if end is None else from_unix(end) + timedelta(seconds=1),
            after=body.get("cursor") or None,
            limit=limit + 1,
        )
        apps = {a["app_id"]: a for a in uow.editions.apps(vendor_id)}
        page = rows[:limit]
        more = len(rows) > limit
        return {
            "next_cursor": page[-1]["order_id"] if more else "",
            "has_more": int(more),
            "pay_order_list": [_paytool_head(r, apps[r["app_id"]], at, settings) for r in page],
        }


def paytool_order_detail(runtime: Runtime, vendor_id: str, order_id: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        row = uow.editions.order(order_id)
        if row is None or row["vendor_id"] != vendor_id:
            raise PlatformRuleViolation(
                40013,
                f"order_id {order_id!r} is not an order of provider {vendor_id!r}",
                kind="not_found",
                namespace="wecom",
            )
        vendor = uow.editions.vendor(vendor_id)
        at = tenant_now(runtime, uow, vendor["tenant_id"])
        app = uow.editions.app(row["app_id"])
        head = _paytool_head(row, app, at, svc.settings_of(vendor["settings"]))
        lines = _detail_lines(row, app)
        return {
            **head,
            "custom_corp_name": app["corp_name"],
            "pay_channel": row["pay_channel"] or 0,
            "channel_order_id": row["channel_order_id"] or "",
            "paid_time": svc.unix(row["paid_at"]) or 0,
            "business_type": 2,
            "income_type": None,
            "income_time": None,
            "income_amount": None,
            "product_list": {
                "customized_app": {
                    "order_type": row["order_type"] if row["order_type"] != 3 else 1,  # noqa: PLR2004
                    "buy_info_list": lines,
                }
            },
        }


def _detail_lines(row: dict[str, Any], app: dict[str, Any]) -> list[dict[str, Any]]:
    if row["cashier"] is not None:
        return [
            {
                "suiteid": line["suiteid"],
                "user_count": line["user_count"],
                "duration_days": line["duration_days"],
                "origin_price": line["total_price"],
                "paid_price": line["total_price"],
                "gift_duration_days": 0,
            }
            for line in row["cashier"]["lines"]
        ]
    added = row["headcount"] - row["previous_headcount"]
    return [
        {
            "suiteid": app["suite_id"],
            "user_count": added if row["order_type"] == 1 else row["headcount"],
            "duration_days": row["order_period"],
            "origin_price": row["amount_fen"],
            "paid_price": row["amount_fen"],
            "gift_duration_days": row["gift_duration_days"],
        }
    ]


__all__ = [
    "OrderStatus",
    "check_signature",
    "get_suite_token",
    "open_order",
    "paytool_order_detail",
    "paytool_order_list",
    "paytool_sig",
    "prolong_for_suite",
    "service_get_order",
    "service_order_list",
    "sign_paytool",
    "suite_for_token",
]
