"""Dashboard pages of activation codes: a licence inventory per corp and an expiry timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tollhouse.domain.errors import TollhouseError
from tollhouse.domain.licence_codes import ActivationCode, CodeStatus
from tollhouse.domain.periods import SHANGHAI, local_date
from tollhouse.services import licence_codes as codes
from tollhouse.services.auth import Principal, authenticate
from tollhouse.services.runtime import Runtime

STATUS = {
    1: "unbound",
    2: "valid",
    3: "expired",
    4: "awaiting transfer",
    5: "merged",
    6: "shared to downstream",
}
TYPE = {1: "basic", 2: "interop"}
SOON_DAYS = 7  # L62: the reminder lead
PAGES = (
    {"href": "/dashboard/licences/codes", "label": "Licence inventory"},
    {"href": "/dashboard/licences/timeline", "label": "Expiry timeline"},
)


@dataclass(frozen=True, slots=True)
class Row:
    userid: str
    in_service: bool
    visible: bool
    code: ActivationCode | None
    type: str
    status: str
    expire: str
    days_left: float | None
    css: str


def _row(
    code: ActivationCode | None, userid: str, member: Any, *, corpid: str, at: datetime
) -> Row:
    if code is None:
        return Row(
            userid, member.in_service, member.visible, None, "—", "no licence", "—", None, ""
        )
    status = code.status(at=at, seen_by=corpid)
    days = None if code.expire_time is None else (code.expire_time - at).total_seconds() / 86400
    css = ""
    if status in (CodeStatus.EXPIRED, CodeStatus.MERGED):
        css = "expired"
    elif days is not None and days <= SOON_DAYS:
        css = "soon"
    expire = (
        "—"
        if code.expire_time is None
        else code.expire_time.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    )
    return Row(
        userid,
        member.in_service if member else False,
        member.visible if member else False,
        code,
        TYPE.get(code.type, str(code.type)),
        STATUS[int(status)],
        expire,
        None if days is None else round(days, 1),
        css,
    )


def inventory_rows(inv: codes.Inventory, corpid: str) -> tuple[list[Row], dict[str, int]]:
    """One row per bound code (members first), then members with no licence; unbound counted."""
    rows: list[Row] = []
    holders: set[str] = set()
    unbound = {"basic": 0, "interop": 0, "shared away": 0, "past deadline or invalid": 0}
    for code in inv.codes:
        if code.userid is None or code.bound_corpid != corpid:
            status = code.status(at=inv.at, seen_by=corpid) if code.is_visible_to(corpid) else None
            if status is CodeStatus.UNBOUND:
                unbound[TYPE[code.type]] += 1
            elif status is CodeStatus.SHARED:
                unbound["shared away"] += 1
            else:
                unbound["past deadline or invalid"] += 1
            continue
        if code.merged_into is not None:
            continue
        holders.add(code.userid)
        rows.append(_row(code, code.userid, inv.members.get(code.userid), corpid=corpid, at=inv.at))
    rows.sort(key=lambda r: (r.days_left is None, r.days_left or 0, r.userid))
    rows += [
        _row(None, u, m, corpid=corpid, at=inv.at)
        for u, m in sorted(inv.members.items())
        if u not in holders
    ]
    return rows, unbound


def timeline(inv: codes.Inventory, *, days: int) -> list[dict[str, Any]]:
    """Bound codes by local expiry date, from 7 days back to ``days`` ahead."""
    today = local_date(inv.at, SHANGHAI)
    buckets: dict[date, dict[str, int]] = {}
    for code in inv.codes:
        if code.expire_time is None or code.merged_into is not None or code.userid is None:
            continue
        day = local_date(code.expire_time, SHANGHAI)
        if today - timedelta(days=SOON_DAYS) <= day <= today + timedelta(days=days):
            bucket = buckets.setdefault(day, {"basic": 0, "interop": 0})
            bucket[TYPE[code.type]] += 1
    peak = max((b["basic"] + b["interop"] for b in buckets.values()), default=1)
    return [
        {
            "day": d.isoformat(),
            "in_days": (d - today).days,
            **b,
            "width": round(100 * (b["basic"] + b["interop"]) / peak),
            "css": "expired" if d < today else ("soon" if (d - today).days <= SOON_DAYS else ""),
        }
        for d, b in sorted(buckets.items())
    ]


def router(runtime: Runtime) -> APIRouter:
    from tollhouse.dashboard.app import COOKIE, TEMPLATES  # noqa: PLC0415 - app imports pages

    pages = APIRouter(prefix="/dashboard", include_in_schema=False)
    nav: list[dict[str, str]] = runtime.extras.setdefault("dashboard_pages", [])
    nav.extend(p for p in PAGES if p not in nav)

    def context(request: Request, provider: str, corpid: str) -> dict[str, Any] | None:
        try:
            principal: Principal = authenticate(runtime, request.cookies.get(COOKIE))
        except TollhouseError:
            return None
        with runtime.uow(readonly=True) as uow:
            providers = [
                p for p in uow.licences.providers() if principal.tenant_id in (None, p["tenant_id"])
            ]
            chosen = provider or (providers[0]["corpid"] if providers else "")
            corps = uow.codes.corps(chosen) if any(p["corpid"] == chosen for p in providers) else []
        corp = corpid or (corps[0]["corpid"] if corps else "")
        found: dict[str, Any] = {
            "nav": nav,
            "providers": providers,
            "chosen": chosen,
            "corps": corps,
            "corp": corp,
            "inventory": None,
            "error": None,
        }
        if corp and any(c["corpid"] == corp for c in corps):
            try:
                found["inventory"] = codes.inventory(runtime, chosen, corp)
            except TollhouseError as error:
                found["error"] = error.message
        return found

    @pages.get("/licences/codes", response_class=HTMLResponse)
    def _inventory(request: Request, provider: str = "", corpid: str = "") -> Response:
        found = context(request, provider, corpid)
        if found is None:
            return RedirectResponse("/dashboard/login", 303)
        inv = found["inventory"]
        rows, unbound = inventory_rows(inv, found["corp"]) if inv else ([], {})
        return TEMPLATES.TemplateResponse(
            request,
            "licence_inventory.html",
            {**found, "rows": rows, "unbound": unbound, "soon_days": SOON_DAYS},
        )

    @pages.get("/licences/timeline", response_class=HTMLResponse)
    def _timeline(
        request: Request, provider: str = "", corpid: str = "", days: int = 90
    ) -> Response:
        found = context(request, provider, corpid)
        if found is None:
            return RedirectResponse("/dashboard/login", 303)
        inv = found["inventory"]
        days = max(1, min(days, 1860))
        return TEMPLATES.TemplateResponse(
            request,
            "licence_timeline.html",
            {**found, "days": days, "buckets": timeline(inv, days=days) if inv else []},
        )

    return pages
