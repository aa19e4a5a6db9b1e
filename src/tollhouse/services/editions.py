"""Use cases of paid app editions (spec app-editions): vendors, apps, strategies, quotes, orders,
payment, plan changes, invoices, refunds, trials and the access check.

Tenancy: a vendor is one tenant `editions:<vendor_id>` with its own (sandbox) clock; every app
of the vendor evaluates at that clock. A corp admin acts with a key scoped to the tenant
`editions:<vendor_id>:<corpid>`, created with the app. Every write command locks the vendor's
tenant first, so the commands of one vendor run one at a time on both engines.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from tollhouse.adapters.db.repositories.foundation import TenantRow
from tollhouse.domain.editions import (
    DEFAULT_SETTINGS,
    AppState,
    AppStatus,
    EditionSettings,
    Invoice,
    InvoiceStatus,
    InvoiceType,
    Order,
    OrderStatus,
    OrderType,
    PriceBook,
    Quote,
    Strategy,
    Term,
    Trial,
    access,
    app_status,
    apply_plan_change,
    cancel_superseded,
    claim_extra_trial,
    decide_refund,
    expired_time,
    forfeit_trial,
    invoice_refusal,
    next_reminder,
    open_trial,
    order_from_quote,
    parse_strategy,
    plan_change_quote,
    prolong_try,
    quote_to_json,
    refund_refusals,
    report_active_users,
    require_order_type_accepted,
    save_strategy,
    strategy_to_json,
    term_covering,
    term_for_paid_order,
    terms_after_refund,
    user_limit,
    with_terms,
)
from tollhouse.domain.editions.errors import (
    AppNotLive,
    EditionsExists,
    EditionsNotFound,
    HeadcountInvalid,
    InvalidStatusTransition,
    OrderTypeNotAllowed,
    PlanChanged,
)
from tollhouse.domain.editions.pricing import (
    AppliedDiscount,
    LineKind,
    OrderLine,
    PriceBreakdown,
    TermRevaluation,
)
from tollhouse.domain.editions.strategy import CapScope, DiscountType
from tollhouse.domain.errors import InvalidRequest
from tollhouse.domain.periods import Period
from tollhouse.services import events
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime, UnitOfWork

VENDOR_KIND = "editions_vendor"
CORP_KIND = "editions_corp"
EXPIRE = "editions.order_expire"
REMIND = "editions.reminder"
ORDER_TYPES = {
    0: OrderType.NEW_PURCHASE,
    1: OrderType.EXPANSION,
    2: OrderType.RENEWAL,
    3: OrderType.EDITION_CHANGE,
}


def tenant_of(vendor_id: str) -> str:
    return f"editions:{vendor_id}"


def corp_tenant_of(vendor_id: str, corpid: str) -> str:
    return f"editions:{vendor_id}:{corpid}"


def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(8)}"


def unix(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


# --- set-up: vendors, suites, apps ------------------------------------------------------------


def settings_of(raw: dict[str, Any] | None) -> EditionSettings:
    """EditionSettings from a vendor's overrides (D2, D8, D10, D19, D20, D22)."""
    values = dict(raw or {})
    allowed = set(EditionSettings.__dataclass_fields__)
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise InvalidRequest(
            f"unknown edition settings {unknown}; allowed: {sorted(allowed)}",
            details={"unknown": unknown},
        )
    if "cap_scope" in values:
        values["cap_scope"] = CapScope(values["cap_scope"])
    for name, value in values.items():
        if name != "cap_scope" and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise InvalidRequest(f"setting {name}={value!r} must be an integer ≥ 1")
    return replace(DEFAULT_SETTINGS, **values)


def create_vendor(
    runtime: Runtime,
    vendor_id: str,
    *,
    name: str = "",
    sandbox: bool = True,
    clock_now: datetime | None = None,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    settings_of(settings)
    tenant = tenant_of(vendor_id)
    with runtime.uow() as uow:
        if uow.editions.vendor(vendor_id) is not None or uow.tenants.get(tenant) is not None:
            raise EditionsExists(f"vendor {vendor_id!r} already exists")
        at = runtime.system_clock.now()
        uow.tenants.add(
            TenantRow(
                tenant,
                VENDOR_KIND,
                name or vendor_id,
                sandbox,
                clock_now if sandbox else None,
                has_activity=False,
                created_at=at,
            )
        )
        uow.editions.add_vendor(
            vendor_id=vendor_id,
            tenant_id=tenant,
            name=name or vendor_id,
            settings=settings or {},
            created_at=at,
        )
        uow.commit()
    return {"vendor_id": vendor_id, "tenant": tenant, "sandbox": sandbox}


def add_suite(runtime: Runtime, vendor_id: str, suite_id: str, suite_secret: str) -> dict[str, Any]:
    with runtime.uow() as uow:
        _vendor(uow, vendor_id)
        if uow.editions.suite(suite_id) is not None:
            raise EditionsExists(f"suite {suite_id!r} already exists")
        uow.editions.add_suite(
            suite_id=suite_id,
            vendor_id=vendor_id,
            suite_secret=suite_secret,
            created_at=runtime.system_clock.now(),
        )
        uow.commit()
    return {"suite_id": suite_id, "vendor_id": vendor_id}


def create_app(
    runtime: Runtime,
    vendor_id: str,
    *,
    suite_id: str,
    corpid: str,
    corp_name: str = "",
    app_id: str | None = None,
) -> dict[str, Any]:
    """An app = the vendor's suite authorised by one corp (AE1); also the corp admin's tenant."""
    app_id = app_id or f"{suite_id}.{corpid}"
    with runtime.uow() as uow:
        vendor = _vendor(uow, vendor_id)
        uow.lock_tenant(vendor["tenant_id"])
        suite = uow.editions.suite(suite_id)
        if suite is None or suite["vendor_id"] != vendor_id:
            raise EditionsNotFound(
                f"suite {suite_id!r} is not a suite of vendor {vendor_id!r}; add it first"
            )
        if uow.editions.app(app_id) or uow.editions.app_by_suite_corp(suite_id, corpid):
            raise EditionsExists(f"app {app_id!r} (suite {suite_id}, corp {corpid}) exists")
        at = runtime.system_clock.now()
        tenant = uow.tenants.get(vendor["tenant_id"])
        corp_tenant = corp_tenant_of(vendor_id, corpid)
        if uow.tenants.get(corp_tenant) is None:
            uow.tenants.add(
                TenantRow(
                    corp_tenant,
                    CORP_KIND,
                    corp_name or corpid,
                    tenant.sandbox,
                    None,
                    has_activity=False,
                    created_at=at,
                )
            )
        uow.editions.add_app(
            app_id=app_id,
            vendor_id=vendor_id,
            tenant_id=vendor["tenant_id"],
            suite_id=suite_id,
            corpid=corpid,
            corp_name=corp_name or corpid,
            corp_tenant_id=corp_tenant,
            plan_version=0,
            ever_paid=False,
            created_at=at,
        )
        uow.commit()
        return app_json(_app(uow, app_id))


def app_json(app: dict[str, Any]) -> dict[str, Any]:
    return {
        "app_id": app["app_id"],
        "vendor_id": app["vendor_id"],
        "suite_id": app["suite_id"],
        "corpid": app["corpid"],
        "corp_name": app["corp_name"],
        "tenant": app["tenant_id"],
        "corp_tenant": app["corp_tenant_id"],
        "strategy_version": app["strategy_version"],
        "go_live_time": unix(app["go_live"]),
        "plan_version": app["plan_version"],
    }


def _vendor(uow: UnitOfWork, vendor_id: str) -> dict[str, Any]:
    vendor: dict[str, Any] | None = uow.editions.vendor(vendor_id)
    if vendor is None:
        raise EditionsNotFound(
            f"vendor {vendor_id!r} does not exist; create it with POST /v1/editions/vendors"
        )
    return vendor


def _app(uow: UnitOfWork, app_id: str) -> dict[str, Any]:
    app: dict[str, Any] | None = uow.editions.app(app_id)
    if app is None:
        raise EditionsNotFound(
            f"app {app_id!r} does not exist; create it with POST /v1/editions/apps"
        )
    return app


def app_tenants(runtime: Runtime, app_id: str) -> tuple[str, str]:
    """(vendor tenant, corp-admin tenant) of an app, for authorisation at the edge."""
    with runtime.uow(readonly=True) as uow:
        app = _app(uow, app_id)
    return app["tenant_id"], app["corp_tenant_id"]


def order_tenants(runtime: Runtime, order_id: str) -> tuple[str, str]:
    with runtime.uow(readonly=True) as uow:
        order = _order_row(uow, order_id)
        app = _app(uow, order["app_id"])
    return app["tenant_id"], app["corp_tenant_id"]


# --- loading an app's state -------------------------------------------------------------------


@dataclass
class Ctx:
    """One app inside one unit of work: its row, vendor settings, clock and domain state."""

    uow: UnitOfWork
    app: dict[str, Any]
    settings: EditionSettings
    at: datetime
    terms: list[Term]
    trial: Trial | None
    book: PriceBook | None = None
    touched: list[str] = field(default_factory=list)

    @property
    def app_id(self) -> str:
        return str(self.app["app_id"])

    @property
    def tenant(self) -> str:
        return str(self.app["tenant_id"])

    def state(self) -> AppState:
        return AppState(
            go_live=self.app["go_live"],
            trial=self.trial,
            terms=tuple(self.terms),
            ever_paid=bool(self.app["ever_paid"]),
            active_users=self.app["active_users"],
            over_since=self.app["over_since"],
        )

    @property
    def strategy(self) -> Strategy:
        if self.book is None:
            raise AppNotLive(
                f"app {self.app_id} has no pricing strategy; the vendor saves one "
                "with PUT /v1/editions/apps/{app_id}/strategy"
            )
        return self.book.strategy


def load(
    runtime: Runtime, uow: UnitOfWork, app_id: str, *, lock: bool = True, at: datetime | None = None
) -> Ctx:
    app = _app(uow, app_id)
    if lock:
        uow.lock_tenant(app["tenant_id"])
        app = _app(uow, app_id)
    vendor = _vendor(uow, app["vendor_id"])
    now = at or tenant_now(runtime, uow, app["tenant_id"])
    ctx = Ctx(
        uow,
        app,
        settings_of(vendor["settings"]),
        now,
        uow.editions.terms(app_id),
        trial_from_json(app["trial"]),
    )
    version = app["strategy_version"]
    if version is not None:
        ctx.book = price_book(runtime, uow, app_id, version, ctx.settings)
    return ctx


def price_book(
    runtime: Runtime, uow: UnitOfWork, app_id: str, version: int, settings: EditionSettings
) -> PriceBook:
    """The compiled price book of one strategy version (cached: versions never change)."""
    cache: dict[tuple[str, int, EditionSettings], PriceBook] = runtime.extras.setdefault(
        "editions_price_books", {}
    )
    key = (app_id, version, settings)
    book = cache.get(key)
    if book is None:
        row = uow.editions.strategy(app_id, version)
        book = PriceBook(parse_strategy(row["body"], settings=settings), settings=settings)
        if len(cache) > 1000:  # noqa: PLR2004 - a bound, not a rule
            cache.clear()
        cache[key] = book
    return book


def trial_from_json(raw: dict[str, Any] | None) -> Trial | None:
    if raw is None:
        return None
    from tollhouse.domain.periods import from_unix  # noqa: PLC0415

    return Trial(
        windows=tuple(Period(from_unix(a), from_unix(b)) for a, b in raw["windows"]),
        trial_days=raw["trial_days"],
        prolonged_days=raw.get("prolonged_days", 0),
        extra_trial_days=raw.get("extra_trial_days", 0),
    )


def trial_to_json(trial: Trial | None) -> dict[str, Any] | None:
    if trial is None:
        return None
    return {
        "windows": [[unix(w.start), unix(w.end)] for w in trial.windows],
        "trial_days": trial.trial_days,
        "prolonged_days": trial.prolonged_days,
        "extra_trial_days": trial.extra_trial_days,
    }


def _save_state(ctx: Ctx, state: AppState) -> None:
    ctx.uow.editions.update_app(
        ctx.app_id,
        trial=trial_to_json(state.trial),
        active_users=state.active_users,
        over_since=state.over_since,
        ever_paid=state.ever_paid,
    )
    ctx.trial = state.trial
    ctx.app.update(
        trial=trial_to_json(state.trial),
        active_users=state.active_users,
        over_since=state.over_since,
        ever_paid=state.ever_paid,
    )


# --- strategy and go-live (P1–P3) -------------------------------------------------------------


def put_strategy(runtime: Runtime, app_id: str, body: Any) -> dict[str, Any]:
    """Validate and save the next version (AE1–AE19, D28); an invalid one changes nothing."""
    with runtime.uow() as uow:
        ctx = load(runtime, uow, app_id)
        strategy = parse_strategy(body, settings=ctx.settings)
        current = None if ctx.book is None else ctx.app["strategy_version"]
        saved = save_strategy(None, strategy, app_id=app_id, at=ctx.at, settings=ctx.settings)
        version = 1 if current is None else int(current) + 1
        saved = replace(saved, version=version)
        uow.editions.add_strategy(
            app_id=app_id, version=version, saved_at=ctx.at, body=strategy_to_json(strategy)
        )
        uow.editions.update_app(app_id, strategy_version=version)
        uow.commit()
    return {
        "app_id": app_id,
        "version": saved.version,
        "saved_at": unix(saved.saved_at),
        **strategy_to_json(saved.strategy),
    }


def get_strategy(runtime: Runtime, app_id: str, *, version: int | None = None) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        app = _app(uow, app_id)
        wanted = version or app["strategy_version"]
        row = None if wanted is None else uow.editions.strategy(app_id, wanted)
        if row is None:
            raise EditionsNotFound(
                f"app {app_id!r} has no strategy"
                + ("" if version is None else f" version {version}")
            )
        return {
            "app_id": app_id,
            "version": row["version"],
            "saved_at": unix(row["saved_at"]),
            **row["body"],
        }


def go_live(
    runtime: Runtime, app_id: str, *, go_live_time: datetime | None = None
) -> dict[str, Any]:
    """The app goes live: the trial opens (AE2, AE4); the strategy must exist first."""
    with runtime.uow() as uow:
        ctx = load(runtime, uow, app_id)
        strategy = ctx.strategy
        if ctx.app["go_live"] is not None:
            raise InvalidStatusTransition(
                f"app {app_id} went live at {ctx.app['go_live'].isoformat()}; it goes live once",
                details={"rule": "AE2"},
            )
        when = go_live_time or ctx.at
        trial = open_trial(when, strategy.trial_days)
        uow.editions.update_app(app_id, go_live=when, trial=trial_to_json(trial))
        ctx.app.update(go_live=when, trial=trial_to_json(trial))
        ctx.trial = trial
        _schedule_reminder(ctx)
        uow.tenants.mark_activity(ctx.tenant)
        uow.commit()
        return status_json(ctx)


# --- quotes and orders (P4–P9) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderRequest:
    order_type: int
    edition_id: str | None = None
    user_count: int | None = None
    cycles: int | None = None
    plan_version: int | None = None


def _price(ctx: Ctx, request: OrderRequest) -> Quote:
    """The quote of spec §3 at the app's now, after the AE2 and AE22 checks."""
    order_type = ORDER_TYPES.get(request.order_type)
    if order_type is None:
        raise OrderTypeNotAllowed(
            f"order_type {request.order_type} is not 0, 1, 2 or 3", details={"rule": "AE31"}
        )
    book = ctx.book
    if book is None or ctx.app["go_live"] is None:
        raise AppNotLive(
            f"app {ctx.app_id} is not live yet (go-live with POST .../go-live after "
            "saving a strategy); nothing can be quoted or bought before"
        )
    require_order_type_accepted(app_status(ctx.state(), at=ctx.at), order_type)
    if order_type is OrderType.NEW_PURCHASE:
        return book.quote(
            _required(request.edition_id, "edition_id"),
            order_type=order_type,
            headcount=_required(request.user_count, "user_count"),
            cycles=_required(request.cycles, "cycles"),
        )
    if order_type is OrderType.RENEWAL:
        current = _current_term(ctx)
        headcount = current.headcount if request.user_count is None else request.user_count
        return book.quote(
            current.edition_id,
            order_type=order_type,
            headcount=headcount,
            cycles=_required(request.cycles, "cycles"),
        )
    return plan_change_quote(
        book.strategy,
        ctx.terms,
        order_type=order_type,
        at=ctx.at,
        headcount=request.user_count,
        edition_id=request.edition_id,
        settings=ctx.settings,
    )


def _required(value: Any, name: str) -> Any:
    if value is None:
        if name == "user_count":
            raise HeadcountInvalid("user_count is required: the head-count to buy (≥ 1)")
        raise InvalidRequest(f"{name} is required for this order type", details={"field": name})
    return value


def _current_term(ctx: Ctx) -> Term:
    """The term in force, else the last one that ended (renewal after expiry, AE26)."""
    current = term_covering(ctx.terms, ctx.at)
    if current is not None:
        return current
    if not ctx.terms:
        raise OrderTypeNotAllowed("a renewal needs an earlier paid term", details={"rule": "AE26"})
    return max(ctx.terms, key=lambda term: term.end)


def quote(runtime: Runtime, app_id: str, request: OrderRequest) -> dict[str, Any]:
    """P4: the breakdown, no side effects."""
    with runtime.uow(readonly=True) as uow:
        ctx = load(runtime, uow, app_id, lock=False)
        priced = _price(ctx, request)
        return {
            **quote_to_json(priced),
            "app_id": app_id,
            "strategy_version": ctx.app["strategy_version"],
            "plan_version": ctx.app["plan_version"],
            "quoted_at": unix(ctx.at),
        }


def create_order(runtime: Runtime, app_id: str, request: OrderRequest) -> dict[str, Any]:
    """P5: price now, cancel the older unpaid order, schedule the 24 h expiry (AE21–AE24)."""
    with runtime.uow() as uow:
        ctx = load(runtime, uow, app_id)
        if request.plan_version is not None and request.plan_version != ctx.app["plan_version"]:
            raise PlanChanged(
                f"app {app_id} changed since the quote (plan version {request.plan_version}, now "
                f"{ctx.app['plan_version']}): another order or payment came first; re-quote with "
                "POST /v1/editions/apps/{app_id}/quotes and order again",
                details={
                    "quoted_plan_version": request.plan_version,
                    "plan_version": ctx.app["plan_version"],
                },
            )
        priced = _price(ctx, request)
        changed = _cancel_unpaid(ctx)
        plan_version = uow.editions.bump_plan_version(app_id)
        order = order_from_quote(
            priced,
            order_id=new_id("eo"),
            app_id=app_id,
            at=ctx.at,
            strategy_version=ctx.app["strategy_version"],
        )
        current = term_covering(ctx.terms, ctx.at)
        edition = ctx.strategy.edition(order.edition_id)
        uow.editions.add_order(
            **order_values(order),
            vendor_id=ctx.app["vendor_id"],
            edition_name=edition.edition_name,
            previous_headcount=0 if current is None else current.headcount,
            plan_version=plan_version,
            quote=quote_to_json(priced),
            order_from=0,
            creator="",
            pay_type=0,
            cashier=None,
            status_changed_at=ctx.at,
        )
        _schedule_expiry(ctx, order)
        uow.tenants.mark_activity(ctx.tenant)
        uow.commit()
        return {**order_json(_order_row(uow, order.order_id)), "cancelled": changed}


def _cancel_unpaid(ctx: Ctx) -> list[str]:
    rows = ctx.uow.editions.orders(app_id=ctx.app_id, statuses=[OrderStatus.UNPAID.value])
    orders = [order_from_row(r) for r in rows]
    for order in orders:
        if order.expire_if_due(at=ctx.at, settings=ctx.settings) is not None:
            _store_status(ctx, order)
            _publish(ctx, "edition.order_expired", {"order_id": order.order_id})
    live = [o for o in orders if o.status is OrderStatus.UNPAID]
    cancel_superseded(live, at=ctx.at)
    for order in live:
        _store_status(ctx, order)
    return [o.order_id for o in live]


def _store_status(ctx: Ctx, order: Order) -> None:
    ctx.uow.editions.update_order(
        order.order_id, status=order.status.value, status_changed_at=ctx.at
    )


def _schedule_expiry(ctx: Ctx, order: Order) -> None:
    ctx.uow.tasks.add(
        tenant_id=ctx.tenant,
        due_at=order.payment_deadline(settings=ctx.settings),
        kind=EXPIRE,
        payload={"order_id": order.order_id},
        dedupe_key=f"editions:expire:{order.order_id}",
    )


def expire_order(runtime: Runtime, uow: UnitOfWork, payload: dict[str, Any], at: datetime) -> str:
    """Due task: an unpaid order expires 24 h after creation (AE24)."""
    row = uow.editions.order(payload["order_id"])
    if row is None:
        return "order gone"
    ctx = load(runtime, uow, row["app_id"], at=at)
    order = order_from_row(row)
    if order.expire_if_due(at=at, settings=ctx.settings) is None:
        return f"order {order.order_id} is {order.status}; nothing to expire"
    _store_status(ctx, order)
    _publish(ctx, "edition.order_expired", {"order_id": order.order_id})
    return f"order {order.order_id} payment expired"


def _order_row(uow: UnitOfWork, order_id: str) -> dict[str, Any]:
    row: dict[str, Any] | None = uow.editions.order(order_id)
    if row is None:
        raise EditionsNotFound(f"order {order_id!r} does not exist")
    return row


def order_from_row(row: dict[str, Any]) -> Order:
    return Order(
        order_id=row["order_id"],
        app_id=row["app_id"],
        order_type=ORDER_TYPES[row["order_type"]],
        edition_id=row["edition_id"],
        headcount=row["headcount"],
        cycles=row["cycles"],
        amount_fen=row["amount_fen"],
        order_period=row["order_period"],
        created_at=row["created_at"],
        lines=tuple(
            OrderLine(LineKind(x["kind"]), x["amount_fen"], x.get("term_id")) for x in row["lines"]
        ),
        gift_duration_days=row["gift_duration_days"],
        strategy_version=row["strategy_version"],
        status=OrderStatus(row["status"]),
        paid_at=row["paid_at"],
        pay_channel=row["pay_channel"],
        channel_order_id=row["channel_order_id"],
        begin_time=row["begin_time"],
        end_time=row["end_time"],
        replaced_terms=tuple(_term_from_json(t) for t in row["replaced_terms"]),
    )


def order_values(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "app_id": order.app_id,
        "order_type": order.order_type.wecom_code,
        "status": order.status.value,
        "edition_id": order.edition_id,
        "headcount": order.headcount,
        "cycles": order.cycles,
        "amount_fen": order.amount_fen,
        "order_period": order.order_period,
        "gift_duration_days": order.gift_duration_days,
        "strategy_version": order.strategy_version,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "pay_channel": order.pay_channel,
        "channel_order_id": order.channel_order_id,
        "begin_time": order.begin_time,
        "end_time": order.end_time,
        "lines": [
            {
                "kind": x.kind.value,
                "amount_fen": x.amount_fen,
                **({"term_id": x.term_id} if x.term_id else {}),
            }
            for x in order.lines
        ],
        "replaced_terms": [_term_to_json(t) for t in order.replaced_terms],
    }


def _term_to_json(term: Term) -> dict[str, Any]:
    return {
        "term_id": term.term_id,
        "order_id": term.order_id,
        "edition_id": term.edition_id,
        "headcount": term.headcount,
        "cycles": term.cycles,
        "purchased_days": term.purchased_days,
        "bonus_days": term.bonus_days,
        "begin": unix(term.begin),
        "value": str(term.value),
        "vendor_priced": term.vendor_priced,
    }


def _term_from_json(raw: dict[str, Any]) -> Term:
    from tollhouse.domain.periods import from_unix  # noqa: PLC0415

    return Term(
        term_id=raw["term_id"],
        order_id=raw["order_id"],
        edition_id=raw["edition_id"],
        headcount=raw["headcount"],
        cycles=raw["cycles"],
        purchased_days=raw["purchased_days"],
        bonus_days=raw["bonus_days"],
        begin=from_unix(raw["begin"]),
        value=Decimal(raw["value"]),
        vendor_priced=raw["vendor_priced"],
    )


def _quote_from_json(order: Order, raw: dict[str, Any]) -> Quote:
    """The quote an order was priced with, rebuilt from its stored breakdown (AE24)."""
    price = None
    if "base_fen" in raw:
        discount = raw.get("discount")
        applied = (
            None
            if discount is None
            else AppliedDiscount(
                DiscountType(discount["type"]),
                discount["min_cycles"],
                rate_percent=discount.get("rate_percent"),
                bonus_days=discount.get("bonus_days"),
            )
        )
        price = PriceBreakdown(
            edition_id=order.edition_id,
            headcount=order.headcount,
            cycles=raw["cycles"],
            cycle_price_fen=raw["cycle_price_fen"],
            base_fen=raw["base_fen"],
            discount=applied,
            after_discount=Decimal(raw["after_discount"]),
            cap_fen=raw["cap_fen"],
            after_cap=Decimal(raw["after_cap"]),
            purchased_days=raw["purchased_days"],
            bonus_days=raw["bonus_days"],
        )
    terms = tuple(
        TermRevaluation(
            term_id=x["term_id"],
            remaining_days=x["remaining_days"],
            term_days=x["term_days"],
            value=Decimal(x["value"]),
            new_value=Decimal(x["new_value"]),
            credit=Decimal(x["credit"]),
            new_plan_value=Decimal(x["new_plan_value"]),
        )
        for x in raw.get("terms", [])
    )
    return Quote(
        order_type=order.order_type,
        edition_id=order.edition_id,
        headcount=order.headcount,
        amount_fen=order.amount_fen,
        lines=order.lines,
        order_period=order.order_period,
        gift_duration_days=order.gift_duration_days,
        price=price,
        terms=terms,
    )


def pay_order(
    runtime: Runtime,
    order_id: str,
    *,
    pay_channel: int,
    channel_order_id: str | None = None,
    paid_time: datetime | None = None,
) -> dict[str, Any]:
    """P8: record payment and open or change the terms (AE22–AE30, D16, D17, D26)."""
    if pay_channel not in {1, 2}:
        raise InvalidRequest(
            f"pay_channel {pay_channel} must be 1 (WeChat Pay) or 2 (online bank)",
            details={"rule": "AE23"},
        )
    with runtime.uow() as uow:
        row = _order_row(uow, order_id)
        ctx = load(runtime, uow, row["app_id"])
        row = _order_row(uow, order_id)
        paid_at = paid_time or ctx.at
        if paid_at > ctx.at or paid_at < row["created_at"]:
            raise InvalidRequest(
                f"paid_time {paid_at.isoformat()} must lie between the order's "
                f"creation {row['created_at'].isoformat()} and now "
                f"{ctx.at.isoformat()}"
            )
        order = order_from_row(row)
        if order.order_type.is_plan_change and row["plan_version"] != ctx.app["plan_version"]:
            raise PlanChanged(
                f"order {order_id} was priced against plan version "
                f"{row['plan_version']}; the app is at {ctx.app['plan_version']}. "
                "Re-quote and order again",
                details={"order_id": order_id},
            )
        order.pay(
            at=paid_at,
            pay_channel=pay_channel,
            channel_order_id=channel_order_id,
            settings=ctx.settings,
        )
        if row["cashier"] is not None:
            from tollhouse.services.editions_wecom import apply_cashier_payment  # noqa: PLC0415

            apply_cashier_payment(runtime, ctx, order, row["cashier"], paid_at)
        else:
            _apply_payment(ctx, order, _quote_from_json(order, row["quote"]), paid_at)
        values = order_values(order)
        del values["order_id"]
        uow.editions.update_order(order_id, **values, status_changed_at=paid_at)
        uow.editions.bump_plan_version(ctx.app_id)
        _publish(
            ctx,
            "edition.order_paid",
            {
                "order_id": order_id,
                "price": order.amount_fen,
                "order_type": order.order_type.wecom_code,
            },
        )
        _schedule_reminder(ctx)
        uow.tenants.mark_activity(ctx.tenant)
        uow.commit()
        return order_json(_order_row(uow, order_id))


def _apply_payment(ctx: Ctx, order: Order, priced: Quote, paid_at: datetime) -> None:
    state = ctx.state()
    if order.order_type.is_plan_change:
        terms = apply_plan_change(order, priced, ctx.terms)
    else:
        term = term_for_paid_order(
            order, priced, term_id=new_id("et"), terms=ctx.terms, paid_at=paid_at
        )
        terms = (*ctx.terms, term)
        if order.order_type is OrderType.NEW_PURCHASE and state.trial is not None:
            state = replace(state, trial=forfeit_trial(state.trial, at=paid_at))
    state = with_terms(replace(state, ever_paid=True), tuple(terms), at=paid_at)
    ctx.uow.editions.replace_terms(ctx.app_id, state.terms)
    ctx.terms = list(state.terms)
    _save_state(ctx, state)


def cancel_order(runtime: Runtime, order_id: str) -> dict[str, Any]:
    """P9: an unpaid order is cancelled (AE32); an expired one says so."""
    with runtime.uow() as uow:
        row = _order_row(uow, order_id)
        ctx = load(runtime, uow, row["app_id"])
        order = order_from_row(_order_row(uow, order_id))
        if order.expire_if_due(at=ctx.at, settings=ctx.settings) is not None:
            _store_status(ctx, order)
            _publish(ctx, "edition.order_expired", {"order_id": order_id})
            uow.commit()
        order.transition_to(OrderStatus.CANCELLED, at=ctx.at)
        _store_status(ctx, order)
        uow.editions.bump_plan_version(ctx.app_id)
        uow.commit()
        return order_json(_order_row(uow, order_id))


# --- reading orders (P6, P7) ------------------------------------------------------------------


def order_json(row: dict[str, Any]) -> dict[str, Any]:
    order = order_from_row(row)
    return {
        "order_id": row["order_id"],
        "app_id": row["app_id"],
        "order_type": row["order_type"],
        "order_status": order.status.wecom_code,
        "status": order.status.value,
        "edition_id": row["edition_id"],
        "edition_name": row["edition_name"],
        "user_count": row["headcount"],
        "cycles": row["cycles"],
        "price_fen": row["amount_fen"],
        "order_period": row["order_period"],
        "gift_duration_days": row["gift_duration_days"],
        "strategy_version": row["strategy_version"],
        "plan_version": row["plan_version"],
        "order_time": unix(row["created_at"]),
        "payment_deadline": unix(order.payment_deadline()),
        "paid_time": unix(row["paid_at"]),
        "pay_channel": row["pay_channel"],
        "channel_order_id": row["channel_order_id"],
        "begin_time": unix(row["begin_time"]),
        "end_time": unix(row["end_time"]),
        "lines": row["lines"],
        "quote": row["quote"],
        "order_from": row["order_from"],
        "cashier": row["cashier"],
    }


def list_orders(
    runtime: Runtime,
    app_id: str,
    *,
    status: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    statuses = None if status is None else [list(OrderStatus)[status].value]
    with runtime.uow(readonly=True) as uow:
        load(runtime, uow, app_id, lock=False)
        rows = uow.editions.orders(
            app_id=app_id, statuses=statuses, start=start, end=end, after=cursor, limit=limit + 1
        )
        page = rows[:limit]
        return {
            "orders": [order_json(r) for r in page],
            "has_more": len(rows) > limit,
            "next_cursor": page[-1]["order_id"] if len(rows) > limit else None,
        }


def get_order(runtime: Runtime, order_id: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        row = _order_row(uow, order_id)
        load(runtime, uow, row["app_id"], lock=False)
        body = order_json(row)
        body["invoices"] = [_invoice_json(i) for i in uow.editions.invoices([order_id])]
        body["invoice"] = body["invoices"][-1] if body["invoices"] else None
        body["refund"] = (
            None
            if row["refund_requested_at"] is None
            else {
                "reason": row["refund_reason"],
                "requested_at": unix(row["refund_requested_at"]),
                "decided_at": unix(row["refund_decided_at"]),
                "note": row["refund_note"],
            }
        )
        body["complaints"] = [
            {"complaint_id": c["complaint_id"], "text": c["text"], "at": unix(c["at"])}
            for c in uow.editions.complaints(order_id)
        ]
        return body


# --- refunds, invoices, complaints (P10–P14) --------------------------------------------------


def _invoice(row: dict[str, Any]) -> Invoice:
    return Invoice(
        invoice_id=row["invoice_id"],
        order_id=row["order_id"],
        invoice_type=InvoiceType(row["invoice_type"]),
        title=row["title"],
        tax_id=row["tax_id"],
        requested_at=row["requested_at"],
        status=InvoiceStatus(row["status"]),
    )


def _invoice_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "invoice_id": row["invoice_id"],
        "order_id": row["order_id"],
        "invoice_type": row["invoice_type"],
        "title": row["title"],
        "tax_id": row["tax_id"],
        "status": row["status"],
        "requested_at": unix(row["requested_at"]),
        "updated_at": unix(row["updated_at"]),
        "note": row["note"],
        **row["details"],
    }


def request_refund(runtime: Runtime, order_id: str, *, reason: str) -> dict[str, Any]:
    """P10: all of AE35 (a)–(d) must hold; a refusal names every rule that failed."""
    with runtime.uow() as uow:
        row = _order_row(uow, order_id)
        ctx = load(runtime, uow, row["app_id"])
        orders = [order_from_row(r) for r in uow.editions.orders(app_id=ctx.app_id)]
        order = next(o for o in orders if o.order_id == order_id)
        invoice_rows = uow.editions.invoices([order_id])
        invoices = [_invoice(i) for i in invoice_rows]
        refusals = refund_refusals(
            order, orders=orders, invoices=invoices, at=ctx.at, settings=ctx.settings
        )
        if refusals:
            error = refusals[0].to_error()
            error.details["refusals"] = [
                {"name": r.name, "rule": r.rule, "message": r.message} for r in refusals
            ]
            if len(refusals) > 1:
                error.message = "; ".join(r.message for r in refusals)
            raise error
        order.transition_to(OrderStatus.REFUND_REQUESTED, at=ctx.at)
        for invoice in invoices:
            if invoice.status is InvoiceStatus.REQUESTED:
                invoice.transition_to(InvoiceStatus.CANCELLED, at=ctx.at)
                uow.editions.update_invoice(
                    invoice.invoice_id,
                    status=invoice.status.value,
                    updated_at=ctx.at,
                    note="cancelled by refund request",
                )
        uow.editions.update_order(
            order_id,
            status=order.status.value,
            status_changed_at=ctx.at,
            refund_reason=reason,
            refund_requested_at=ctx.at,
        )
        _publish(ctx, "edition.refund_requested", {"order_id": order_id, "reason": reason})
        uow.commit()
        return order_json(_order_row(uow, order_id))


def decide_refund_request(
    runtime: Runtime, order_id: str, *, approve: bool, note: str | None = None
) -> dict[str, Any]:
    """P11: approve (→ 5, the order's effect is undone) or reject (→ 6, final) (AE36)."""
    with runtime.uow() as uow:
        row = _order_row(uow, order_id)
        ctx = load(runtime, uow, row["app_id"])
        order = order_from_row(row)
        decide_refund(order, approve=approve, at=ctx.at)
        if approve:
            terms = terms_after_refund(order, ctx.terms)
            if row["cashier"] is not None:
                terms = tuple(t for t in terms if t.order_id != order_id)
            state = with_terms(ctx.state(), tuple(terms), at=ctx.at)
            uow.editions.replace_terms(ctx.app_id, state.terms)
            ctx.terms = list(state.terms)
            _save_state(ctx, state)
            uow.editions.bump_plan_version(ctx.app_id)
            _schedule_reminder(ctx)
        uow.editions.update_order(
            order_id,
            status=order.status.value,
            status_changed_at=ctx.at,
            refund_decided_at=ctx.at,
            refund_note=note,
        )
        _publish(ctx, "edition.refund_decided", {"order_id": order_id, "approved": approve})
        uow.commit()
        return order_json(_order_row(uow, order_id))


def request_invoice(
    runtime: Runtime,
    order_id: str,
    *,
    invoice_type: str,
    title: str,
    tax_id: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """P12: one live invoice per paid or refund-rejected order (AE34)."""
    kind = InvoiceType(invoice_type)
    with runtime.uow() as uow:
        row = _order_row(uow, order_id)
        ctx = load(runtime, uow, row["app_id"])
        order = order_from_row(row)
        refusal = invoice_refusal(order, [_invoice(i) for i in uow.editions.invoices([order_id])])
        if refusal is not None:
            raise refusal.to_error()
        invoice_id = new_id("ei")
        uow.editions.add_invoice(
            invoice_id=invoice_id,
            order_id=order_id,
            invoice_type=kind.value,
            title=title,
            tax_id=tax_id,
            details={k: v for k, v in extra.items() if v is not None},
            status=InvoiceStatus.REQUESTED.value,
            requested_at=ctx.at,
            updated_at=ctx.at,
            note=None,
        )
        _publish(ctx, "edition.invoice_requested", {"order_id": order_id, "invoice_id": invoice_id})
        uow.commit()
        return _invoice_json(
            next(i for i in uow.editions.invoices([order_id]) if i["invoice_id"] == invoice_id)
        )


def set_invoice_status(
    runtime: Runtime, order_id: str, *, status: str, note: str | None = None
) -> dict[str, Any]:
    """P13: the vendor marks the live invoice issued (paper/electronic) or cancelled (AE34)."""
    new = InvoiceStatus(status)
    with runtime.uow() as uow:
        row = _order_row(uow, order_id)
        ctx = load(runtime, uow, row["app_id"])
        live = [
            i
            for i in uow.editions.invoices([order_id])
            if i["status"] != InvoiceStatus.CANCELLED.value
        ]
        if not live:
            raise InvalidStatusTransition(
                f"order {order_id} has no invoice request to update", details={"rule": "AE34"}
            )
        invoice = _invoice(live[-1])
        invoice.transition_to(new, at=ctx.at)
        uow.editions.update_invoice(
            invoice.invoice_id, status=invoice.status.value, updated_at=ctx.at, note=note
        )
        uow.commit()
        return _invoice_json(
            next(
                i
                for i in uow.editions.invoices([order_id])
                if i["invoice_id"] == invoice.invoice_id
            )
        )


def add_complaint(runtime: Runtime, order_id: str, *, text: str) -> dict[str, Any]:
    """P14: recorded only (AE37)."""
    with runtime.uow() as uow:
        row = _order_row(uow, order_id)
        ctx = load(runtime, uow, row["app_id"])
        complaint_id = new_id("ec")
        uow.editions.add_complaint(
            complaint_id=complaint_id, order_id=order_id, app_id=ctx.app_id, text=text, at=ctx.at
        )
        uow.commit()
    return {"complaint_id": complaint_id, "order_id": order_id, "at": unix(ctx.at)}


# --- trials, head-count, access, status (P15–P18, prolong_try) --------------------------------


def claim_extra(runtime: Runtime, app_id: str) -> dict[str, Any]:
    """P15: the one-time extra trial (AE6)."""
    with runtime.uow() as uow:
        ctx = load(runtime, uow, app_id)
        trial = claim_extra_trial(ctx.state(), ctx.strategy.extra_trial, at=ctx.at)
        _save_state(ctx, replace(ctx.state(), trial=trial))
        _schedule_reminder(ctx)
        uow.tenants.mark_activity(ctx.tenant)
        uow.commit()
        return status_json(ctx)


def prolong(runtime: Runtime, app_id: str, *, prolong_days: int) -> datetime:
    """`service/prolong_try` (AE7); returns the new trial end."""
    with runtime.uow() as uow:
        ctx = load(runtime, uow, app_id)
        trial = prolong_try(ctx.state(), prolong_days=prolong_days, at=ctx.at)
        _save_state(ctx, replace(ctx.state(), trial=trial))
        _schedule_reminder(ctx)
        uow.tenants.mark_activity(ctx.tenant)
        uow.commit()
        return trial.end


def report_users(
    runtime: Runtime, app_id: str, *, count: int, as_of: datetime | None = None
) -> dict[str, Any]:
    """P16: the vendor's active-user count starts or clears the 7-day clock (AE41, D23)."""
    if isinstance(count, bool) or count < 0:
        raise InvalidRequest(f"count {count} must be an integer ≥ 0")
    with runtime.uow() as uow:
        ctx = load(runtime, uow, app_id)
        when = as_of or ctx.at
        before = ctx.app["over_since"]
        state = report_active_users(ctx.state(), count=count, as_of=when)
        _save_state(ctx, state)
        if state.over_since is not None and before is None:
            _publish(
                ctx,
                "edition.over_headcount",
                {
                    "count": count,
                    "user_limit": user_limit(state, at=when),
                    "since": unix(state.over_since),
                },
            )
        uow.tenants.mark_activity(ctx.tenant)
        uow.commit()
        return {
            "app_id": app_id,
            "active_users": count,
            "app_status": int(app_status(state, at=max(when, ctx.at))),
        }


def check_access(runtime: Runtime, app_id: str, *, at: datetime | None = None) -> dict[str, Any]:
    """P17: the interception check (AE38–AE42)."""
    with runtime.uow(readonly=True) as uow:
        ctx = load(runtime, uow, app_id, lock=False)
        when = at or ctx.at
        state = ctx.state()
        result = access(state, at=when)
        reminder = next_reminder(state, at=when, settings=ctx.settings)
        return {
            "app_id": app_id,
            "at": unix(when),
            "allowed": result.allowed,
            "app_status": int(result.app_status),
            "reason": result.reason,
            "user_limit": result.user_limit,
            "expired_time": unix(result.expired_time),
            "reminder_due": reminder is not None and reminder.due_at <= when,
            "reminder": None
            if reminder is None
            else {
                "kind": reminder.kind.value,
                "end": unix(reminder.end),
                "due_at": unix(reminder.due_at),
            },
        }


def app_status_of(runtime: Runtime, app_id: str) -> dict[str, Any]:
    """P18."""
    with runtime.uow(readonly=True) as uow:
        return status_json(load(runtime, uow, app_id, lock=False))


def status_json(ctx: Ctx) -> dict[str, Any]:
    state = ctx.state()
    status = app_status(state, at=ctx.at)
    term = term_covering(ctx.terms, ctx.at)
    edition_id = term.edition_id if term is not None else None
    if edition_id is None and status in {AppStatus.TRIAL, AppStatus.TRIAL_EXPIRED} and ctx.book:
        edition_id = ctx.strategy.basic_edition.edition_id
    name = None
    if edition_id is not None and ctx.book is not None:
        name = next(
            (e.edition_name for e in ctx.strategy.editions if e.edition_id == edition_id), None
        )
    trial = ctx.trial
    return {
        "app_id": ctx.app_id,
        "at": unix(ctx.at),
        "edition_id": edition_id,
        "edition_name": name,
        "app_status": int(status),
        "user_limit": user_limit(state, at=ctx.at),
        "expired_time": unix(expired_time(state, at=ctx.at)),
        "go_live_time": unix(ctx.app["go_live"]),
        "trial": None
        if trial is None
        else {
            "start": unix(trial.windows[0].start),
            "end": unix(trial.end),
            "total_days": trial.total_days,
            "windows": [[unix(w.start), unix(w.end)] for w in trial.windows],
        },
        "terms": [_term_to_json(t) | {"end": unix(t.end)} for t in ctx.terms],
        "plan_version": ctx.app["plan_version"],
    }


# --- reminders and events ---------------------------------------------------------------------


def _publish(
    ctx: Ctx, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None
) -> None:
    events.publish(
        ctx.uow,
        tenant_id=ctx.tenant,
        kind=kind,
        at=ctx.at,
        payload={
            "app_id": ctx.app_id,
            "suiteid": ctx.app["suite_id"],
            "corpid": ctx.app["corpid"],
            **payload,
        },
        dedupe_key=dedupe_key,
    )


def _schedule_reminder(ctx: Ctx) -> None:
    """The reminder of the window in force: at end − 7 days, or now if that has passed (AE38)."""
    reminder = next_reminder(ctx.state(), at=ctx.at, settings=ctx.settings)
    if reminder is None:
        return
    due = max(reminder.due_at, ctx.at)
    ctx.uow.tasks.add(
        tenant_id=ctx.tenant,
        due_at=due,
        kind=REMIND,
        payload={"app_id": ctx.app_id, "kind": reminder.kind.value, "end": unix(reminder.end)},
        dedupe_key=f"editions:remind:{ctx.app_id}:{reminder.kind.value}:{unix(reminder.end)}",
    )


def remind(runtime: Runtime, uow: UnitOfWork, payload: dict[str, Any], at: datetime) -> str:
    """Due task: send the reminder unless its window moved or a paid term continues it (D22)."""
    ctx = load(runtime, uow, payload["app_id"], at=at)
    current = next_reminder(ctx.state(), at=at, settings=ctx.settings)
    if (
        current is None
        or current.kind.value != payload["kind"]
        or unix(current.end) != payload["end"]
    ):
        return f"{payload['kind']} reminder for {payload['end']} superseded"
    kind = f"edition.{payload['kind']}_reminder"
    _publish(
        ctx,
        kind,
        {"end_time": payload["end"]},
        dedupe_key=f"editions:{kind}:{ctx.app_id}:{payload['end']}",
    )
    return f"{kind} sent for end {payload['end']}"


def install(runtime: Runtime) -> None:
    """Register this capability's due-task handlers."""
    runtime.register(EXPIRE, expire_order)
    runtime.register(REMIND, remind)


# --- price tables (dashboard, CLI) ------------------------------------------------------------


def price_table(
    strategy: Strategy,
    edition_id: str,
    *,
    headcounts: list[int],
    cycles: list[int],
    settings: EditionSettings = DEFAULT_SETTINGS,
) -> list[list[int | str]]:
    """Amounts in fen for head-counts × N; a refused cell holds the error name."""
    book = PriceBook(strategy, settings=settings)
    return [
        [cell.amount_fen if isinstance(cell, Quote) else cell for cell in row]
        for row in book.table(edition_id, headcounts=headcounts, cycles=cycles)
    ]


def preview(body: Any, *, headcounts: list[int], cycles: list[int]) -> dict[str, Any]:
    """Validation problems and, when valid, a price table per edition (no side effects)."""
    from tollhouse.domain.editions import strategy_from_json  # noqa: PLC0415

    strategy, violations = strategy_from_json(body)
    if strategy is None or violations:
        return {"valid": False, "violations": [v.as_dict() for v in violations], "tables": []}
    return {
        "valid": True,
        "violations": [],
        "tables": [
            {
                "edition_id": e.edition_id,
                "edition_name": e.edition_name,
                "cycle": e.cycle.value,
                "headcounts": headcounts,
                "cycles": cycles,
                "rows": price_table(strategy, e.edition_id, headcounts=headcounts, cycles=cycles),
            }
            for e in strategy.editions
        ],
    }


# --- demo -------------------------------------------------------------------------------------

DEMO_VENDOR = "wwdemoprov"
DEMO_STRATEGY: dict[str, Any] = {
    "trial_days": 30,
    "extra_trial": {"enabled": True, "days": 7},
    "editions": [
        {
            "edition_id": "std-y",
            "edition_name": "Standard",
            "basic": True,
            "cycle": "year",
            "rule": {"type": "per_person", "unit_price_fen": 19900},
            "discount": {
                "type": "price_discount",
                "rows": [
                    {"min_cycles": 2, "rate_percent": 90},
                    {"min_cycles": 3, "rate_percent": 80},
                ],
            },
            "headcount_limits": {"min_users": 5, "max_users": 500},
            "price_cap": {"max_price_fen_per_cycle": 5000000},
        },
        {
            "edition_id": "tier-y",
            "edition_name": "Tiered",
            "basic": False,
            "cycle": "year",
            "rule": {
                "type": "tiered",
                "tiers": [
                    {"from": 1, "to": 50, "fixed_price_fen": 600000},
                    {"from": 51, "to": 200, "unit_price_fen": 10000},
                    {"from": 201, "to": None, "unit_price_fen": 8000},
                ],
            },
        },
    ],
}


def demo_data(runtime: Runtime) -> dict[str, object]:
    """A sandbox vendor with one suite and one live app on the demo strategy (idempotent)."""
    with runtime.uow(readonly=True) as uow:
        exists = uow.editions.vendor(DEMO_VENDOR) is not None
    app_id = "demo-suite.wwdemo-acme"
    if not exists:
        now = runtime.system_clock.now().replace(microsecond=0)
        create_vendor(runtime, DEMO_VENDOR, name="Demo ISV (editions)", clock_now=now)
        add_suite(runtime, DEMO_VENDOR, "demo-suite", "demo-suite-secret")
        create_app(
            runtime,
            DEMO_VENDOR,
            suite_id="demo-suite",
            corpid="wwdemo-acme",
            corp_name="Acme Trading",
            app_id=app_id,
        )
        put_strategy(runtime, app_id, DEMO_STRATEGY)
        go_live(runtime, app_id)
    return {
        "editions_vendor": DEMO_VENDOR,
        "editions_tenant": tenant_of(DEMO_VENDOR),
        "editions_app": app_id,
        "editions_suite": "demo-suite",
        "editions_suite_secret": "demo-suite-secret",
    }


__all__ = [
    "Ctx",
    "OrderRequest",
    "add_complaint",
    "add_suite",
    "app_status_of",
    "cancel_order",
    "check_access",
    "claim_extra",
    "create_app",
    "create_order",
    "create_vendor",
    "decide_refund_request",
    "demo_data",
    "get_order",
    "get_strategy",
    "go_live",
    "install",
    "list_orders",
    "pay_order",
    "preview",
    "price_table",
    "prolong",
    "put_strategy",
    "quote",
    "report_users",
    "request_invoice",
    "request_refund",
    "set_invoice_status",
]
