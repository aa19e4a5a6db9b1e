"""Dashboard pages of paid app editions: the strategy editor with inline validation errors and
a live price preview (head-counts × durations), and the vendor's order list with credit lines.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from tollhouse.dashboard.app import COOKIE, TEMPLATES
from tollhouse.domain.errors import TollhouseError
from tollhouse.services import editions as svc
from tollhouse.services.auth import Principal, authenticate
from tollhouse.services.runtime import Runtime

DEFAULT_HEADCOUNTS = "1,5,10,20,37,50,100,120,200,201,300,500"
NAV = (
    {"href": "/dashboard/editions/strategy", "label": "Edition strategy"},
    {"href": "/dashboard/editions/orders", "label": "Edition orders"},
)
ORDER_TYPES = {0: "new purchase", 1: "expansion", 2: "renewal", 3: "edition change"}
STATUSES = {
    0: "awaiting payment",
    1: "paid",
    2: "cancelled",
    3: "expired unpaid",
    4: "refund requested",
    5: "refunded",
    6: "refund rejected",
}


def parse_ints(raw: str, *, limit: int = 50) -> list[int]:
    values = sorted(
        {int(part) for part in raw.replace(" ", "").split(",") if part.isdigit() and int(part) > 0}
    )
    return values[:limit]


def cycles_for(limit: int = 10) -> list[int]:
    return list(range(1, limit + 1))


def router(runtime: Runtime) -> APIRouter:
    pages = APIRouter(prefix="/dashboard/editions", include_in_schema=False)
    nav: list[dict[str, str]] = runtime.extras.setdefault("dashboard_pages", [])
    for item in NAV:
        if item not in nav:
            nav.append(item)

    def who(request: Request) -> Principal | None:
        try:
            return authenticate(runtime, request.cookies.get(COOKIE))
        except TollhouseError:
            return None

    def apps_for(principal: Principal) -> list[dict[str, Any]]:
        with runtime.uow(readonly=True) as uow:
            rows = uow.editions.apps()
        return [a for a in rows if principal.tenant_id in (None, a["tenant_id"])]

    def render(request: Request, name: str, **context: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, name, {"nav": nav, **context})

    def editor(  # noqa: PLR0917 - the page's whole state
        request: Request,
        principal: Principal,
        app_id: str,
        text: str | None,
        headcounts: str,
        errors: list[dict[str, Any]] | None = None,
        saved: str = "",
    ) -> HTMLResponse:
        apps = apps_for(principal)
        chosen = app_id or (apps[0]["app_id"] if apps else "")
        if chosen and not any(a["app_id"] == chosen for a in apps):
            chosen = ""
        if text is None:
            text = json.dumps(svc.DEMO_STRATEGY, indent=2)
            if chosen:
                try:
                    current = svc.get_strategy(runtime, chosen)
                    body = {k: current[k] for k in ("trial_days", "extra_trial", "editions")}
                    text = json.dumps(body, indent=2, ensure_ascii=False)
                except TollhouseError:
                    pass
        result = _preview(text, parse_ints(headcounts))
        if errors is None:
            errors = result["violations"]
        return render(
            request,
            "editions_strategy.html",
            apps=apps,
            chosen=chosen,
            text=text,
            headcounts=headcounts,
            preview=result,
            errors=errors,
            saved=saved,
        )

    @pages.get("/strategy", response_class=HTMLResponse)
    def _editor(
        request: Request, app_id: str = "", headcounts: str = DEFAULT_HEADCOUNTS
    ) -> Response:
        principal = who(request)
        if principal is None:
            return RedirectResponse("/dashboard/login", 303)
        return editor(request, principal, app_id, None, headcounts)

    @pages.post("/strategy", response_class=HTMLResponse)
    def _save(
        request: Request,
        strategy: Annotated[str, Form()],
        app_id: Annotated[str, Form()] = "",
        headcounts: Annotated[str, Form()] = DEFAULT_HEADCOUNTS,
    ) -> Response:
        principal = who(request)
        if principal is None:
            return RedirectResponse("/dashboard/login", 303)
        try:
            tenants = svc.app_tenants(runtime, app_id)
            if principal.tenant_id not in (None, tenants[0]):
                return editor(
                    request,
                    principal,
                    app_id,
                    strategy,
                    headcounts,
                    [{"path": "app", "rule": "auth", "message": "not your app"}],
                )
            saved = svc.put_strategy(runtime, app_id, json.loads(strategy))
        except json.JSONDecodeError as exc:
            return editor(
                request,
                principal,
                app_id,
                strategy,
                headcounts,
                [
                    {
                        "path": "strategy",
                        "rule": "JSON",
                        "name": "invalid_json",
                        "message": f"not valid JSON: {exc}",
                    }
                ],
            )
        except TollhouseError as error:
            problems = error.details.get("violations") or [
                {
                    "path": "strategy",
                    "rule": error.details.get("rule", ""),
                    "name": error.code,
                    "message": error.message,
                }
            ]
            return editor(request, principal, app_id, strategy, headcounts, problems)
        return editor(
            request,
            principal,
            app_id,
            strategy,
            headcounts,
            saved=f"Saved version {saved['version']}",
        )

    @pages.post("/preview")
    async def _live(request: Request) -> Response:
        if who(request) is None:
            return JSONResponse({"error": "login required"}, status_code=401)
        form = await request.json()
        return JSONResponse(
            _preview(
                str(form.get("strategy", "")),
                parse_ints(str(form.get("headcounts", DEFAULT_HEADCOUNTS))),
            )
        )

    @pages.get("/orders", response_class=HTMLResponse)
    def _orders(request: Request, app_id: str = "") -> Response:
        principal = who(request)
        if principal is None:
            return RedirectResponse("/dashboard/login", 303)
        apps = apps_for(principal)
        chosen = app_id or (apps[0]["app_id"] if apps else "")
        rows: list[dict[str, Any]] = []
        if any(a["app_id"] == chosen for a in apps):
            listed = svc.list_orders(runtime, chosen, limit=500)
            rows = [
                {
                    **o,
                    "type": ORDER_TYPES[o["order_type"]],
                    "status_text": STATUSES[o["order_status"]],
                }
                for o in listed["orders"]
            ]
        return render(request, "editions_orders.html", apps=apps, chosen=chosen, rows=rows)

    return pages


def _preview(text: str, headcounts: list[int]) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        return {
            "valid": False,
            "tables": [],
            "violations": [
                {
                    "path": "strategy",
                    "rule": "JSON",
                    "name": "invalid_json",
                    "message": f"not valid JSON: {exc}",
                }
            ],
        }
    return svc.preview(body, headcounts=headcounts or [1], cycles=cycles_for())
