"""Dashboard pages of the whatsapp capability: usage and cost over time by category and market
(inline SVG), the current month against its budget, top markets, unrated items with their
reasons, and the statement view. Server-rendered; reads through the services."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tollhouse.domain.errors import TollhouseError
from tollhouse.domain.periods import month_label
from tollhouse.services import whatsapp as setup
from tollhouse.services import whatsapp_billing as billing
from tollhouse.services.auth import Principal, authenticate
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
COOKIE = "tollhouse_key"
COLOURS = {
    "marketing": "#d9480f",
    "utility": "#1971c2",
    "authentication": "#2f9e44",
    "authentication_international": "#66a80f",
    "service": "#9c36b5",
}
OTHER_COLOUR = "#868e96"


def money(minor: int | None, currency: str = "") -> str:
    if minor is None:
        return "—"
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    return f"{sign}{currency} {units:,}.{cents:02d}".strip()


TEMPLATES.env.filters["money"] = money


def stacked_bars(
    days: list[dict[str, Any]], *, width: int = 760, height: int = 220
) -> dict[str, Any]:
    """Geometry of a stacked bar chart: one bar per day, one segment per category."""
    peak = max((sum(d["by_category"].values(), Decimal(0)) for d in days), default=Decimal(0))
    peak = peak or Decimal(1)
    bar = width / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        y = float(height)
        segments = []
        for category, amount in sorted(day["by_category"].items()):
            h = float(amount / peak) * (height - 20)
            y -= h
            segments.append(
                {
                    "x": round(index * bar + 1, 1),
                    "y": round(y, 1),
                    "w": round(max(bar - 2, 1), 1),
                    "h": round(h, 1),
                    "colour": COLOURS.get(category, OTHER_COLOUR),
                    "title": f"{day['label']} {category}: {amount:.4f}",
                }
            )
        bars.append(
            {"label": day["label"], "segments": segments, "x": round(index * bar + bar / 2, 1)}
        )
    return {"width": width, "height": height, "bars": bars, "peak": f"{peak:.2f}"}


def usage(runtime: Runtime, account: str, month: str) -> dict[str, Any]:
    """Daily cost by category, cost and volume by market, unrated items, for one month."""
    with runtime.uow(readonly=True) as uow:
        row = setup.require_account(uow, account)
        zone = setup.account_zone(uow, row)
        period = billing.month_period(month, zone)
        charges = uow.whatsapp.charges(
            account=account,
            start_ts=int(period.start.timestamp()),
            end_ts=int(period.end.timestamp()),
        )
    daily: defaultdict[str, defaultdict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    markets: defaultdict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    categories: defaultdict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    unrated = []
    for charge in charges:
        day = datetime.fromtimestamp(charge["ts"], tz=UTC).astimezone(zone).strftime("%d")
        if charge["status"] == "unrated":
            unrated.append(charge)
            continue
        amount = charge["amount"] or Decimal(0)
        daily[day][charge["category"]] += amount
        markets[charge["market"]][0] += 1
        markets[charge["market"]][1] += amount
        categories[charge["category"]][0] += 1
        categories[charge["category"]][1] += amount
    last_day = (period.end - period.start).days
    days = [
        {"label": f"{d:02d}", "by_category": dict(daily.get(f"{d:02d}", {}))}
        for d in range(1, last_day + 1)
    ]
    top = sorted(markets.items(), key=lambda item: item[1][1], reverse=True)[:10]
    peak = max((v[1] for _, v in top), default=Decimal(0)) or Decimal(1)
    return {
        "chart": stacked_bars(days),
        "legend": [{"name": c, "colour": COLOURS.get(c, OTHER_COLOUR)} for c in sorted(categories)],
        "markets": [
            {
                "name": m,
                "count": v[0],
                "cost": f"{v[1]:.4f}",
                "width": round(float(v[1] / peak) * 300, 1),
            }
            for m, v in top
        ],
        "categories": [
            {"name": c, "count": v[0], "cost": f"{v[1]:.4f}"} for c, v in sorted(categories.items())
        ],
        "unrated": [
            {
                "when": datetime.fromtimestamp(c["ts"], tz=UTC).isoformat(),
                "market": c["market"],
                "category": c["category"] or "—",
                "reason": c["reason"],
                "key": c["charge_key"],
            }
            for c in unrated[:200]
        ],
        "unrated_count": len(unrated),
        "total_exact": f"{sum((v[1] for v in markets.values()), Decimal(0)):.4f}",
    }


def _used(budget: dict[str, Any]) -> Decimal:
    """Percent of the budget used, from the exact spend (minor units are cents here)."""
    return Decimal(budget["spent_exact"]) * 10_000 / Decimal(budget["amount"])


def router(runtime: Runtime) -> APIRouter:
    pages = APIRouter(prefix="/dashboard", include_in_schema=False)

    def who(request: Request) -> Principal | None:
        try:
            return authenticate(runtime, request.cookies.get(COOKIE))
        except TollhouseError:
            return None

    def accounts_for(principal: Principal) -> list[dict[str, Any]]:
        with runtime.uow(readonly=True) as uow:
            rows = uow.whatsapp.accounts()
        return [a for a in rows if principal.tenant_id in (None, a["tenant_id"])]

    def render(request: Request, name: str, **context: Any) -> HTMLResponse:
        nav = runtime.extras.get("dashboard_pages", [])
        return TEMPLATES.TemplateResponse(request, name, {"nav": nav, **context})

    def chosen(principal: Principal, account: str, month: str) -> tuple[list[Any], str, str]:
        accounts = accounts_for(principal)
        account = account or (accounts[0]["id"] if accounts else "")
        if account and not any(a["id"] == account for a in accounts):
            account = ""
        if account and not month:
            with runtime.uow(readonly=True) as uow:
                row = setup.require_account(uow, account)
                month = month_label(
                    tenant_now(runtime, uow, row["tenant_id"]), setup.account_zone(uow, row)
                )
        return accounts, account, month

    @pages.get("/whatsapp", response_class=HTMLResponse)
    def _overview(request: Request, account: str = "", month: str = "") -> Response:
        principal = who(request)
        if principal is None:
            return RedirectResponse("/dashboard/login", 303)
        accounts, account, month = chosen(principal, account, month)
        context: dict[str, Any] = {"accounts": accounts, "account": account, "month": month}
        if account:
            context["usage"] = usage(runtime, account, month)
            context["budgets"] = [
                {**b, "percent": min(round(_used(b)), 999), "bar": min(float(_used(b)), 100.0)}
                for b in billing.list_budgets(runtime, account, month=month)
            ]
            try:
                context["statement"] = billing.get_statement(runtime, account, month)
            except TollhouseError as error:
                context["statement_error"] = error.message
        return render(request, "whatsapp_overview.html", **context)

    @pages.get("/whatsapp/statement", response_class=HTMLResponse)
    def _statement(
        request: Request, account: str = "", month: str = "", currency: str | None = None
    ) -> Response:
        principal = who(request)
        if principal is None:
            return RedirectResponse("/dashboard/login", 303)
        accounts, account, month = chosen(principal, account, month)
        context: dict[str, Any] = {"accounts": accounts, "account": account, "month": month}
        if account:
            try:
                context["statement"] = billing.get_statement(runtime, account, month, currency)
            except TollhouseError as error:
                context["statement_error"] = error.message
        return render(request, "whatsapp_statement.html", **context)

    return pages
