"""Paid app editions over HTTP (spec app-editions §4): the project's `/v1/editions/...`
endpoints (P1–P18 plus set-up) and the WeCom-shaped `service/*` and `paytool/*` paths.

Callers (§4.2): `vendor` = a key scoped to the vendor tenant `editions:<vendor_id>`; `admin` = a
key scoped to the corp tenant `editions:<vendor_id>:<corpid>`; `payment adapter` = an operator
key; an operator key may act as any of them. `service/*` takes a `suite_access_token`;
`paytool/*` takes a `provider_access_token` plus the signing fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tollhouse.api.platform_body import integer, json_body, text
from tollhouse.api.security import principal
from tollhouse.domain.errors import PlatformRuleViolation, TollhouseError
from tollhouse.services import editions as svc
from tollhouse.services import editions_wecom as wecom
from tollhouse.services.auth import ForbiddenTenant
from tollhouse.services.idempotency import run_once
from tollhouse.services.licence_setup import provider_for_token
from tollhouse.services.runtime import Runtime

OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewVendor(Strict):
    vendor_id: str = Field(min_length=1, max_length=64)
    name: str = ""
    sandbox: bool = True
    clock_now: int | None = None
    settings: dict[str, Any] | None = None


class NewSuite(Strict):
    suite_id: str = Field(min_length=1, max_length=64)
    suite_secret: str = Field(min_length=1, max_length=128)


class NewApp(Strict):
    vendor_id: str
    suite_id: str
    corpid: str = Field(min_length=1, max_length=64)
    corp_name: str = ""
    app_id: str | None = Field(default=None, min_length=1, max_length=160)


class GoLive(Strict):
    go_live_time: int | None = None


class OrderBody(Strict):
    order_type: Literal[0, 1, 2, 3]
    edition_id: str | None = None
    user_count: int | None = None
    cycles: int | None = None
    plan_version: int | None = None

    def request(self) -> svc.OrderRequest:
        return svc.OrderRequest(**self.model_dump())


class Payment(Strict):
    pay_channel: int
    channel_order_id: str | None = None
    paid_time: int | None = None


class RefundBody(Strict):
    reason: str = ""


class Decision(Strict):
    approve: bool
    note: str | None = None


class InvoiceBody(Strict):
    invoice_type: Literal["normal", "vat"]
    title: str = Field(min_length=1)
    tax_id: str = ""
    address: str | None = None
    phone: str | None = None
    bank: str | None = None
    account: str | None = None


class InvoiceStatusBody(Strict):
    status: Literal["issued_paper", "issued_electronic", "cancelled"]
    note: str | None = None


class ComplaintBody(Strict):
    text: str = Field(min_length=1)


class ActiveUsers(Strict):
    count: int = Field(ge=0)
    as_of: int | None = None


def when(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


@contextmanager
def platform_errors() -> Iterator[None]:
    """Edition errors on `/cgi-bin/` paths: errcode = the project's number, errmsg = its name."""
    try:
        yield
    except PlatformRuleViolation:
        raise
    except TollhouseError as error:
        errcode = getattr(error, "errcode", None) or error.details.get("errcode")
        if not errcode:
            raise
        name = error.code.rsplit(".", 1)[-1]
        raise PlatformRuleViolation(
            int(errcode),
            f"{name}: {error.message}",
            namespace="wecom",
            details={k: v for k, v in error.details.items() if k != "errcode"},
        ) from error


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()
    v1 = APIRouter(prefix="/v1/editions", tags=["editions"])

    def allow(request: Request, *tenants: str) -> None:
        who = principal(runtime, request)
        if who.is_operator or who.tenant_id in tenants:
            return
        raise ForbiddenTenant(tenants[0])

    def as_vendor(request: Request, app_id: str) -> None:
        allow(request, svc.app_tenants(runtime, app_id)[0])

    def as_admin(request: Request, app_id: str) -> None:
        allow(request, svc.app_tenants(runtime, app_id)[1])

    def as_either(request: Request, app_id: str) -> None:
        allow(request, *svc.app_tenants(runtime, app_id))

    def order_as(request: Request, order_id: str, role: str) -> None:
        vendor, admin = svc.order_tenants(runtime, order_id)
        allow(request, *{"vendor": (vendor,), "admin": (admin,), "either": (vendor, admin)}[role])

    def once(request: Request, body: Any, action: Callable[[], Any], status: int = 200) -> Any:
        code, answer = run_once(
            runtime,
            scope=f"editions:{request.url.path}",
            key=request.headers.get("idempotency-key"),
            body=body,
            action=lambda: (status, action()),
        )
        return JSONResponse(answer, status_code=code)

    # --- set-up ----------------------------------------------------------------------------

    @v1.post("/vendors", status_code=201)
    def _vendor(body: NewVendor, request: Request) -> dict[str, Any]:
        principal(runtime, request).require_operator()
        return svc.create_vendor(
            runtime,
            body.vendor_id,
            name=body.name,
            sandbox=body.sandbox,
            clock_now=when(body.clock_now),
            settings=body.settings,
        )

    @v1.post("/vendors/{vendor_id}/suites", status_code=201)
    def _suite(vendor_id: str, body: NewSuite, request: Request) -> dict[str, Any]:
        allow(request, svc.tenant_of(vendor_id))
        return svc.add_suite(runtime, vendor_id, body.suite_id, body.suite_secret)

    @v1.post("/apps", status_code=201)
    def _app(body: NewApp, request: Request) -> dict[str, Any]:
        allow(request, svc.tenant_of(body.vendor_id))
        return svc.create_app(
            runtime,
            body.vendor_id,
            suite_id=body.suite_id,
            corpid=body.corpid,
            corp_name=body.corp_name,
            app_id=body.app_id,
        )

    # --- P1–P3 -----------------------------------------------------------------------------

    @v1.put("/apps/{app_id}/strategy")
    async def _put_strategy(app_id: str, request: Request) -> dict[str, Any]:
        as_vendor(request, app_id)
        body = await json_body(request, namespace="wecom.editions")
        return svc.put_strategy(runtime, app_id, body)

    @v1.get("/apps/{app_id}/strategy")
    def _get_strategy(app_id: str, request: Request, version: int | None = None) -> dict[str, Any]:
        as_either(request, app_id)
        return svc.get_strategy(runtime, app_id, version=version)

    @v1.post("/apps/{app_id}/go-live")
    def _go_live(app_id: str, request: Request, body: GoLive | None = None) -> dict[str, Any]:
        as_vendor(request, app_id)
        return svc.go_live(runtime, app_id, go_live_time=when(body.go_live_time if body else None))

    # --- P4–P9 -----------------------------------------------------------------------------

    @v1.post("/apps/{app_id}/quotes")
    def _quote(app_id: str, body: OrderBody, request: Request) -> dict[str, Any]:
        as_admin(request, app_id)
        return svc.quote(runtime, app_id, body.request())

    @v1.post("/apps/{app_id}/orders", status_code=201)
    def _order(app_id: str, body: OrderBody, request: Request) -> Any:
        as_admin(request, app_id)
        return once(
            request,
            body.model_dump(),
            lambda: svc.create_order(runtime, app_id, body.request()),
            201,
        )

    @v1.get("/apps/{app_id}/orders")
    def _orders(  # noqa: PLR0917 - query parameters
        app_id: str,
        request: Request,
        status: int | None = None,
        from_: int | None = None,
        to: int | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        as_either(request, app_id)
        start = request.query_params.get("from")
        return svc.list_orders(
            runtime,
            app_id,
            status=status,
            start=when(int(start) if start else from_),
            end=when(to),
            cursor=cursor,
            limit=max(1, min(limit, 1000)),
        )

    @v1.get("/orders/{order_id}")
    def _get_order(order_id: str, request: Request) -> dict[str, Any]:
        order_as(request, order_id, "either")
        return svc.get_order(runtime, order_id)

    @v1.post("/orders/{order_id}/payment")
    def _pay(order_id: str, body: Payment, request: Request) -> Any:
        principal(runtime, request).require_operator()
        return once(
            request,
            body.model_dump(),
            lambda: svc.pay_order(
                runtime,
                order_id,
                pay_channel=body.pay_channel,
                channel_order_id=body.channel_order_id,
                paid_time=when(body.paid_time),
            ),
        )

    @v1.post("/orders/{order_id}/cancel")
    def _cancel(order_id: str, request: Request) -> Any:
        order_as(request, order_id, "admin")
        return once(request, {}, lambda: svc.cancel_order(runtime, order_id))

    # --- P10–P14 ---------------------------------------------------------------------------

    @v1.post("/orders/{order_id}/refund")
    def _refund(order_id: str, body: RefundBody, request: Request) -> Any:
        order_as(request, order_id, "admin")
        return once(
            request,
            body.model_dump(),
            lambda: svc.request_refund(runtime, order_id, reason=body.reason),
        )

    @v1.post("/orders/{order_id}/refund/decision")
    def _decide(order_id: str, body: Decision, request: Request) -> Any:
        order_as(request, order_id, "vendor")
        return once(
            request,
            body.model_dump(),
            lambda: svc.decide_refund_request(
                runtime, order_id, approve=body.approve, note=body.note
            ),
        )

    @v1.post("/orders/{order_id}/invoice", status_code=201)
    def _invoice(order_id: str, body: InvoiceBody, request: Request) -> Any:
        order_as(request, order_id, "admin")
        extra = body.model_dump(exclude={"invoice_type", "title", "tax_id"})
        return once(
            request,
            body.model_dump(),
            lambda: svc.request_invoice(
                runtime,
                order_id,
                invoice_type=body.invoice_type,
                title=body.title,
                tax_id=body.tax_id,
                extra=extra,
            ),
            201,
        )

    @v1.post("/orders/{order_id}/invoice/status")
    def _invoice_status(order_id: str, body: InvoiceStatusBody, request: Request) -> Any:
        order_as(request, order_id, "vendor")
        return once(
            request,
            body.model_dump(),
            lambda: svc.set_invoice_status(runtime, order_id, status=body.status, note=body.note),
        )

    @v1.post("/orders/{order_id}/complaints", status_code=201)
    def _complaint(order_id: str, body: ComplaintBody, request: Request) -> Any:
        order_as(request, order_id, "admin")
        return once(
            request,
            body.model_dump(),
            lambda: svc.add_complaint(runtime, order_id, text=body.text),
            201,
        )

    # --- P15–P18 ---------------------------------------------------------------------------

    @v1.post("/apps/{app_id}/extra-trial")
    def _extra(app_id: str, request: Request) -> Any:
        as_admin(request, app_id)
        return once(request, {}, lambda: svc.claim_extra(runtime, app_id))

    @v1.put("/apps/{app_id}/active-users")
    def _active(app_id: str, body: ActiveUsers, request: Request) -> dict[str, Any]:
        as_vendor(request, app_id)
        return svc.report_users(runtime, app_id, count=body.count, as_of=when(body.as_of))

    @v1.get("/apps/{app_id}/access")
    def _access(app_id: str, request: Request, at: int | None = None) -> dict[str, Any]:
        as_vendor(request, app_id)
        return svc.check_access(runtime, app_id, at=when(at))

    @v1.get("/apps/{app_id}/status")
    def _status(app_id: str, request: Request) -> dict[str, Any]:
        as_either(request, app_id)
        return svc.app_status_of(runtime, app_id)

    # --- WeCom-shaped: service/* with suite_access_token -------------------------------------

    def suite(request: Request) -> dict[str, Any]:
        return wecom.suite_for_token(runtime, request.query_params.get("suite_access_token"))

    @api.post("/cgi-bin/service/get_suite_token")
    async def _suite_token(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        token, expires = wecom.get_suite_token(
            runtime,
            text(body, "suite_id") or "",
            text(body, "suite_secret") or "",
            text(body, "suite_ticket") or "",
        )
        return {**OK, "suite_access_token": token, "expires_in": expires}

    @api.post("/cgi-bin/service/get_order")
    async def _service_order(request: Request) -> dict[str, Any]:
        found = suite(request)
        body = await json_body(request)
        with platform_errors():
            return {**OK, **wecom.service_get_order(runtime, found, text(body, "orderid") or "")}

    @api.post("/cgi-bin/service/get_order_list")
    async def _service_orders(request: Request) -> dict[str, Any]:
        found = suite(request)
        body = await json_body(request)
        with platform_errors():
            rows = wecom.service_order_list(
                runtime,
                found,
                start=when(integer(body, "start_time", required=False)),
                end=when(integer(body, "end_time", required=False)),
                test_mode=integer(body, "test_mode", required=False, default=0) or 0,
            )
        return {**OK, "order_list": rows}

    @api.post("/cgi-bin/service/prolong_try")
    async def _prolong(request: Request) -> dict[str, Any]:
        found = suite(request)
        body = await json_body(request)
        with platform_errors():
            end = wecom.prolong_for_suite(
                runtime, found, text(body, "buyer_corpid") or "", integer(body, "prolong_days") or 0
            )
        return {**OK, "try_end_time": end}

    # --- WeCom-shaped: paytool/* with provider_access_token and signing ----------------------

    async def signed(request: Request) -> tuple[str, dict[str, Any]]:
        vendor = provider_for_token(runtime, request.query_params.get("provider_access_token"))
        body = await json_body(request)
        with platform_errors():
            wecom.check_signature(runtime, vendor, body)
        return vendor, body

    @api.post("/cgi-bin/paytool/open_order")
    async def _open_order(request: Request) -> dict[str, Any]:
        vendor, body = await signed(request)
        with platform_errors():
            return {**OK, **wecom.open_order(runtime, vendor, body)}

    @api.post("/cgi-bin/paytool/get_order_list")
    async def _paytool_orders(request: Request) -> dict[str, Any]:
        vendor, body = await signed(request)
        with platform_errors():
            return {**OK, **wecom.paytool_order_list(runtime, vendor, body)}

    @api.post("/cgi-bin/paytool/get_order_detail")
    async def _paytool_detail(request: Request) -> dict[str, Any]:
        vendor, body = await signed(request)
        with platform_errors():
            detail = wecom.paytool_order_detail(runtime, vendor, text(body, "order_id") or "")
        return {**OK, "pay_order": detail}

    api.include_router(v1)
    return api
