"""The web dashboard: server-rendered pages behind an API-key login."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tollhouse.domain.errors import TollhouseError
from tollhouse.domain.licences import AccountType, Duration, PurchaseKind
from tollhouse.services.auth import Principal, authenticate
from tollhouse.services.runtime import Runtime

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
COOKIE = "tollhouse_key"
ORDER_STATUS = {
    0: "awaiting payment",
    1: "paid",
    2: "cancelled",
    3: "expired unpaid",
    4: "refund requested",
    5: "refunded",
    6: "refund refused",
    7: "invalid",
}
ORDER_TYPE = {
    1: "buy",
    2: "renew",
    5: "edition migration",
    6: "contract migration",
    8: "multi-corp",
}


def fen(value: int | None) -> str:
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    yuan, cents = divmod(abs(value), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


TEMPLATES.env.filters["fen"] = fen


class LoginRequired(Exception):
    pass


def create_router(runtime: Runtime) -> APIRouter:
    pages = APIRouter(prefix="/dashboard", include_in_schema=False)
    pages_extra: list[Any] = runtime.extras.setdefault("dashboard_pages", [])

    def who(request: Request) -> Principal:
        try:
            return authenticate(runtime, request.cookies.get(COOKIE))
        except TollhouseError as exc:
            raise LoginRequired from exc

    def providers_for(principal: Principal) -> list[dict[str, Any]]:
        with runtime.uow(readonly=True) as uow:
            rows = uow.licences.providers()
        return [p for p in rows if principal.tenant_id in (None, p["tenant_id"])]

    def render(request: Request, name: str, **context: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, name, {"nav": pages_extra, **context})

    @pages.get("/static/style.css")
    def _style() -> Response:
        return FileResponse(Path(__file__).parent / "static" / "style.css", media_type="text/css")

    @pages.get("/login", response_class=HTMLResponse)
    def _login_form(request: Request, error: str = "") -> HTMLResponse:
        return render(request, "login.html", error=error)

    @pages.post("/login")
    def _login(key: Annotated[str, Form()]) -> Response:
        try:
            authenticate(runtime, key.strip())
        except TollhouseError:
            return RedirectResponse("/dashboard/login?error=That+key+is+not+valid", 303)
        response = RedirectResponse("/dashboard/", 303)
        response.set_cookie(COOKIE, key.strip(), httponly=True, samesite="lax")
        return response

    @pages.post("/logout")
    def _logout() -> Response:
        response = RedirectResponse("/dashboard/login", 303)
        response.delete_cookie(COOKIE)
        return response

    @pages.get("/", response_class=HTMLResponse)
    def _home(request: Request) -> Response:
        try:
            principal = who(request)
        except LoginRequired:
            return RedirectResponse("/dashboard/login", 303)
        providers = providers_for(principal)
        with runtime.uow(readonly=True) as uow:
            summary = [
                {
                    "provider": p,
                    "corps": uow.licences.corps(p["corpid"]),
                    "orders": len(uow.licences.all_orders(p["corpid"], limit=1000)),
                }
                for p in providers
            ]
        return render(request, "home.html", summary=summary, principal=principal)

    @pages.get("/licences/orders", response_class=HTMLResponse)
    def _orders(request: Request, provider: str = "") -> Response:
        try:
            principal = who(request)
        except LoginRequired:
            return RedirectResponse("/dashboard/login", 303)
        providers = providers_for(principal)
        chosen = provider or (providers[0]["corpid"] if providers else "")
        rows: list[Any] = []
        if chosen and any(p["corpid"] == chosen for p in providers):
            from tollhouse.services.clocks import tenant_now  # noqa: PLC0415

            with runtime.uow(readonly=True) as uow:
                orders = uow.licences.all_orders(chosen, limit=500)
                at = tenant_now(runtime, uow, f"wecom:{chosen}")
            rows = [
                {
                    "order": o,
                    "status": ORDER_STATUS[int(o.status_at(at))],
                    "type": ORDER_TYPE.get(int(o.order_type), str(int(o.order_type))),
                }
                for o in orders
            ]
        return render(request, "orders.html", providers=providers, chosen=chosen, rows=rows)

    @pages.get("/licences/calculator", response_class=HTMLResponse)
    def _calculator(  # noqa: PLR0917 - one query parameter per calculator field
        request: Request,
        provider: str = "",
        corpid: str = "",
        profile: str = "",
        kind: str = "",
        base_count: int = 0,
        interop_count: int = 0,
        months: int = 12,
        days: int = 0,
    ) -> Response:
        try:
            principal = who(request)
        except LoginRequired:
            return RedirectResponse("/dashboard/login", 303)
        providers = providers_for(principal)
        context: dict[str, Any] = {
            "providers": providers,
            "provider": provider,
            "corpid": corpid,
            "profile": profile,
            "kind": kind,
            "base_count": base_count,
            "interop_count": interop_count,
            "months": months,
            "days": days,
            "result": None,
            "error": None,
            "corps": [],
            "profiles": [],
        }
        if provider and any(p["corpid"] == provider for p in providers):
            with runtime.uow(readonly=True) as uow:
                context["corps"] = uow.licences.corps(provider)
                context["profiles"] = sorted(
                    {*uow.licences.profiles(provider), "caoliao", "scrm-interop"}
                )
        if provider and corpid and (base_count or interop_count):
            context.update(_quote(runtime, principal, context))
        return render(request, "calculator.html", **context)

    return pages


def _quote(runtime: Runtime, principal: Principal, form: dict[str, Any]) -> dict[str, Any]:
    from tollhouse.services.licence_pricing import quote_new, quote_reseller  # noqa: PLC0415

    counts = {AccountType.BASIC: form["base_count"], AccountType.INTEROP: form["interop_count"]}
    duration = Duration(form["months"], form["days"])
    try:
        principal.require(f"wecom:{form['provider']}")
        if form["profile"]:
            quote = quote_reseller(
                runtime,
                form["provider"],
                form["corpid"],
                form["profile"],
                counts,
                kind=PurchaseKind(form["kind"]) if form["kind"] else None,
                duration=duration,
            )
            return {
                "result": {
                    "layer": f"reseller profile {form['profile']}",
                    "status": quote.quote_status,
                    "lines": quote.lines,
                    "price": quote.price,
                    "custom_from": quote.custom_from_position,
                    "kind": str(quote.purchase_kind),
                }
            }
        platform = quote_new(runtime, form["provider"], form["corpid"], counts, duration)
    except TollhouseError as error:
        return {"error": f"{error.message}"}
    return {
        "result": {
            "layer": "WeCom platform price",
            "status": "priced",
            "lines": platform.lines,
            "price": platform.price,
            "custom_from": None,
            "kind": "new",
        }
    }
