"""Dashboard pages of WeChat mass send: the accounts, and per account this month's sends, caps
used and left, a histogram of followers by messages received this month, and the job list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tollhouse.dashboard.app import COOKIE, TEMPLATES
from tollhouse.domain.errors import TollhouseError
from tollhouse.services import massend as svc
from tollhouse.services.auth import Principal, authenticate
from tollhouse.services.runtime import Runtime

BAR_WIDTH = 360


def router(runtime: Runtime) -> APIRouter:
    pages = APIRouter(prefix="/dashboard", include_in_schema=False)
    nav: list[dict[str, str]] = runtime.extras.setdefault("dashboard_pages", [])

    def who(request: Request) -> Principal | None:
        try:
            return authenticate(runtime, request.cookies.get(COOKIE))
        except TollhouseError:
            return None

    def visible(principal: Principal) -> list[dict[str, Any]]:
        return [
            a
            for a in svc.list_accounts(runtime)
            if principal.tenant_id in (None, svc.tenant_id_of(a["appid"]))
        ]

    @pages.get("/wechat", response_class=HTMLResponse)
    def _accounts(request: Request) -> Response:
        principal = who(request)
        if principal is None:
            return RedirectResponse("/dashboard/login", 303)
        return TEMPLATES.TemplateResponse(
            request, "wechat_accounts.html", {"nav": nav, "accounts": visible(principal)}
        )

    @pages.get("/wechat/{appid}", response_class=HTMLResponse)
    def _account(request: Request, appid: str, month: str = "") -> Response:
        principal = who(request)
        if principal is None:
            return RedirectResponse("/dashboard/login", 303)
        if not any(a["appid"] == appid for a in visible(principal)):
            return RedirectResponse("/dashboard/wechat", 303)
        return TEMPLATES.TemplateResponse(
            request,
            "wechat_account.html",
            {"nav": nav, **account_page(runtime, appid, month or None)},
        )

    return pages


def account_page(runtime: Runtime, appid: str, month: str | None) -> dict[str, Any]:
    account = svc.get_account(runtime, appid)
    quota = svc.account_quota(runtime, appid)
    label = month or quota["month"]
    jobs = svc.list_jobs(runtime, appid, label)
    histogram = svc.histogram(runtime, appid, label)
    top = max(histogram["bars"].values()) or 1
    bars = [
        {"received": n, "followers": count, "width": round(BAR_WIDTH * count / top)}
        for n, count in histogram["bars"].items()
    ]
    caps = []
    if quota["history"]:
        caps += [
            ("History sends this month", quota["history"]["month"]),
            ("History sends today", quota["history"]["day"]),
        ]
    if quota["subscription_day"]:
        caps.append(("Mass sends today", quota["subscription_day"]))
    caps += [
        (
            f"API calls today: {path.removeprefix('/cgi-bin/')}",
            {"used": v["used"], "limit": v["daily_limit"]},
        )
        for path, v in quota["api"].items()
    ]
    caps += [("clear_quota this month", quota["clear_quota"])]
    cap_rows = [
        {
            "name": name,
            "used": v["used"],
            "limit": v["limit"],
            "left": None if v["limit"] is None else max(v["limit"] - v["used"], 0),
        }
        for name, v in caps
    ]
    by_channel: dict[str, int] = {}
    for job in jobs:
        by_channel[job["channel"]] = by_channel.get(job["channel"], 0) + 1
    return {
        "account": account,
        "quota": quota,
        "month": label,
        "jobs": jobs,
        "bars": bars,
        "cap": histogram["cap"],
        "caps": cap_rows,
        "sends": len(jobs),
        "by_channel": by_channel,
        "bar_width": BAR_WIDTH,
    }
