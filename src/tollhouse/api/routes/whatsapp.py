"""HTTP routes of the whatsapp capability (spec §8): Meta's webhook receiver and the
project's own /v1/whatsapp endpoints. Thin: parse, authorise, call one service, render."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tollhouse.api.security import principal
from tollhouse.domain.errors import InvalidRequest
from tollhouse.domain.whatsapp.errors import InvalidAnalyticsQuery, UnknownWaba
from tollhouse.services import whatsapp as setup
from tollhouse.services import whatsapp_analytics as analytics
from tollhouse.services import whatsapp_billing as billing
from tollhouse.services import whatsapp_estimates as estimates
from tollhouse.services import whatsapp_ingest as ingest
from tollhouse.services import whatsapp_pdf
from tollhouse.services.runtime import Runtime


class NewAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = ""
    time_zone: str | None = None
    currencies: list[str] = Field(default_factory=lambda: ["USD"])
    sandbox: bool = False
    now: AwareDatetime | None = None


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    time_zone: str | None = None


class NewApp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app_id: str = Field(min_length=1, max_length=64)
    app_secret: str = Field(min_length=1)
    verify_token: str = ""


class AppPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app_secret: str | None = None
    verify_token: str | None = None


class PhoneNumber(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone_number_id: str
    display_phone_number: str = ""
    plan: str = "regular"
    onboarded_at: AwareDatetime | None = None


class NewWaba(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waba_id: str = Field(min_length=1, max_length=64)
    billing_account: str
    app_id: str | None = None
    business_portfolio_id: str | None = None
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    time_zone: str = "UTC"
    phone_numbers: list[PhoneNumber] = Field(default_factory=list)
    primary_business_location: str | None = None
    auth_international_rate_eligibility: dict[str, Any] | None = None


class WabaPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time_zone: str | None = None
    primary_business_location: str | None = None
    auth_international_rate_eligibility: dict[str, Any] | None = None
    business_portfolio_id: str | None = None


class NewBudget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    billing_account: str
    scope: dict[str, Any] = Field(default_factory=lambda: {"type": "billing_account"})
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    amount: int = Field(gt=0)
    thresholds: list[int] = Field(default_factory=lambda: [50, 80, 100])
    basis: str = Field(default="total", pattern=r"^(meta|bsp|total)$")
    forecast: bool = False
    hard_limit: bool = False


class BudgetPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int | None = Field(default=None, gt=0)
    thresholds: list[int] | None = None
    basis: str | None = Field(default=None, pattern=r"^(meta|bsp|total)$")
    forecast: bool | None = None
    hard_limit: bool | None = None


class EstimateRequest(BaseModel):
    """R-RT-3 input: WABA, number, recipient, template category (null: non-template), time."""

    model_config = ConfigDict(extra="forbid")
    waba_id: str
    phone_number_id: str
    recipient: str = Field(min_length=1, max_length=32)
    category: str | None = None
    template_name: str | None = None
    language: str | None = None
    at: AwareDatetime | None = None
    reserve: bool = False
    hold_s: int = Field(default=3600, gt=0, le=7 * 86400)


class NewHook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    billing_account: str
    url: str = Field(pattern=r"^https?://")
    secret: str = Field(min_length=1)
    events: list[str] = Field(default_factory=list)


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/v1/whatsapp", tags=["whatsapp"])

    def operator(request: Request) -> None:
        principal(runtime, request).require_operator()

    def for_account(request: Request, account: str) -> None:
        principal(runtime, request).require(setup.tenant_of(account))

    # ---- Meta's webhook receiver -------------------------------------------------------

    @api.get("/webhooks", response_class=PlainTextResponse)
    def _verify(request: Request) -> Response:
        query = request.query_params
        token = query.get("hub.verify_token", "")
        known = {t for _, _, t in setup.app_secrets(runtime, reload=True) if t}
        if query.get("hub.mode") == "subscribe" and token and token in known:
            return PlainTextResponse(query.get("hub.challenge", ""))
        return PlainTextResponse("verify token does not match a configured app", status_code=403)

    @api.post("/webhooks")
    async def _webhook(request: Request) -> dict[str, Any]:
        raw = await request.body()
        signature = request.headers.get("x-hub-signature-256")
        from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

        return await run_in_threadpool(ingest.ingest_webhook, runtime, raw, signature)

    # ---- set-up --------------------------------------------------------------------------

    @api.post("/apps", status_code=201)
    def _new_app(body: NewApp, request: Request) -> dict[str, Any]:
        operator(request)
        return setup.add_app(
            runtime, app_id=body.app_id, app_secret=body.app_secret, verify_token=body.verify_token
        )

    @api.put("/apps/{app_id}")
    def _put_app(app_id: str, body: AppPatch, request: Request) -> dict[str, Any]:
        operator(request)
        return setup.replace_app(
            runtime, app_id, app_secret=body.app_secret, verify_token=body.verify_token
        )

    @api.post("/billing-accounts", status_code=201)
    def _new_account(body: NewAccount, request: Request) -> dict[str, Any]:
        operator(request)
        return setup.create_account(
            runtime,
            setup.NewAccount(
                body.id, body.name, body.time_zone, body.currencies, body.sandbox, body.now
            ),
        )

    @api.get("/billing-accounts/{account}")
    def _account(account: str, request: Request) -> dict[str, Any]:
        for_account(request, account)
        with runtime.uow(readonly=True) as uow:
            return setup.account_json(runtime, uow, account)

    @api.patch("/billing-accounts/{account}")
    def _patch_account(account: str, body: AccountPatch, request: Request) -> dict[str, Any]:
        for_account(request, account)
        return setup.update_account(runtime, account, body.model_dump())

    @api.post("/wabas", status_code=201)
    def _new_waba(body: NewWaba, request: Request) -> dict[str, Any]:
        for_account(request, body.billing_account)
        return setup.create_waba(runtime, body.model_dump(mode="python"))

    def waba_account(waba_id: str) -> str:
        with runtime.uow(readonly=True) as uow:
            return str(setup.require_waba(uow, waba_id)["billing_account"])

    @api.get("/wabas/{waba_id}")
    def _waba(waba_id: str, request: Request) -> dict[str, Any]:
        for_account(request, waba_account(waba_id))
        with runtime.uow(readonly=True) as uow:
            return setup.waba_json(uow, waba_id)

    @api.patch("/wabas/{waba_id}")
    def _patch_waba(waba_id: str, body: WabaPatch, request: Request) -> dict[str, Any]:
        for_account(request, waba_account(waba_id))
        return setup.update_waba(runtime, waba_id, body.model_dump())

    @api.post("/wabas/{waba_id}/phone-numbers", status_code=201)
    def _new_number(waba_id: str, body: PhoneNumber, request: Request) -> dict[str, Any]:
        for_account(request, waba_account(waba_id))
        return setup.add_number(runtime, waba_id, body.model_dump(mode="python"))

    @api.delete("/wabas/{waba_id}/phone-numbers/{phone_number_id}")
    def _remove_number(
        waba_id: str, phone_number_id: str, request: Request, at: datetime | None = None
    ) -> dict[str, Any]:
        for_account(request, waba_account(waba_id))
        if at is not None and at.utcoffset() is None:
            raise InvalidRequest(f"at {at.isoformat()} needs a UTC offset")
        return setup.remove_number(runtime, waba_id, phone_number_id, at)

    # ---- rate cards and imports ------------------------------------------------------------

    @api.post("/rate-cards")
    async def _import_card(request: Request, kind: str = "rates") -> JSONResponse:
        operator(request)
        if kind not in ("rates", "markets"):
            raise InvalidRequest(f"kind {kind!r} must be rates or markets")
        text = (await request.body()).decode("utf-8-sig")
        info, created = billing.import_card(runtime, text, kind=kind)
        return JSONResponse(info, status_code=201 if created else 200)

    @api.get("/rate-cards")
    def _cards(
        request: Request, currency: str | None = None, at: date | None = None
    ) -> dict[str, Any]:
        principal(runtime, request)
        today = runtime.system_clock.now().date()  # a UTC date when none is given
        return billing.cards_in_force(runtime, currency=currency, on=at or today)

    @api.post("/imports")
    async def _imports(request: Request) -> dict[str, Any]:
        operator(request)
        text = (await request.body()).decode("utf-8-sig")
        from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

        return await run_in_threadpool(ingest.import_records, runtime, text.splitlines())

    # ---- fee plans, statements ------------------------------------------------------------

    @api.put("/billing-accounts/{account}/fee-plan")
    def _put_plan(account: str, body: dict[str, Any], request: Request) -> dict[str, Any]:
        operator(request)
        return billing.put_fee_plan(runtime, account, body)

    @api.get("/billing-accounts/{account}/fee-plan")
    def _get_plan(account: str, request: Request) -> dict[str, Any]:
        for_account(request, account)
        return billing.get_fee_plan(runtime, account)

    @api.get("/billing-accounts/{account}/statements")
    def _statements(account: str, request: Request, currency: str | None = None) -> dict[str, Any]:
        for_account(request, account)
        return {"statements": billing.list_statements(runtime, account, currency)}

    @api.get("/billing-accounts/{account}/statements/{month}")
    def _statement(
        account: str,
        month: str,
        request: Request,
        currency: str | None = None,
        format: str | None = None,  # noqa: A002 - the spec's query parameter name
    ) -> Response:
        for_account(request, account)
        body = billing.get_statement(runtime, account, month, currency)
        accept = (format or request.headers.get("accept", "")).lower()
        if "csv" in accept:
            return Response(billing.statement_csv(body), media_type="text/csv")
        if "pdf" in accept:
            return Response(whatsapp_pdf.statement_pdf(body), media_type="application/pdf")
        return JSONResponse(body)

    @api.get("/billing-accounts/{account}/wallets/{currency}")
    def _wallet(account: str, currency: str, request: Request) -> dict[str, Any]:
        for_account(request, account)
        return billing.get_wallet(runtime, account, currency)

    @api.get("/billing-accounts/{account}/forecast")
    def _forecast(account: str, request: Request, currency: str = "USD") -> dict[str, Any]:
        for_account(request, account)
        return billing.forecast(runtime, account, currency)

    # ---- analytics ---------------------------------------------------------------------------

    @api.get("/wabas/{waba_id}/analytics")
    def _analytics(
        waba_id: str, request: Request, fields: str = "", decimal_as_string: bool = False
    ) -> Response:
        for_account(request, waba_account(waba_id))
        try:
            body = analytics.query(runtime, waba_id, fields, decimal_as_string=decimal_as_string)
            return Response(analytics.dumps(body), media_type="application/json")
        except InvalidAnalyticsQuery as error:
            return JSONResponse(
                {"error": {"code": error.code, "message": error.message, "details": error.details}},
                status_code=400,
            )

    # ---- budgets, hooks, events ----------------------------------------------------------------

    @api.post("/budgets", status_code=201)
    def _new_budget(body: NewBudget, request: Request) -> dict[str, Any]:
        for_account(request, body.billing_account)
        return billing.create_budget(runtime, body.model_dump())

    @api.get("/budgets")
    def _budgets(request: Request, billing_account: str | None = None) -> dict[str, Any]:
        who = principal(runtime, request)
        if billing_account:
            who.require(setup.tenant_of(billing_account))
        elif not who.is_operator:
            billing_account = (who.tenant_id or "").removeprefix("whatsapp:")
        return {"budgets": billing.list_budgets(runtime, billing_account)}

    def budget_account(budget_id: str) -> str:
        return str(billing.get_budget(runtime, budget_id)["billing_account"])

    @api.get("/budgets/{budget_id}")
    def _budget(budget_id: str, request: Request) -> dict[str, Any]:
        for_account(request, budget_account(budget_id))
        return billing.get_budget(runtime, budget_id)

    @api.patch("/budgets/{budget_id}")
    def _patch_budget(budget_id: str, body: BudgetPatch, request: Request) -> dict[str, Any]:
        for_account(request, budget_account(budget_id))
        return billing.update_budget(runtime, budget_id, body.model_dump())

    @api.delete("/budgets/{budget_id}", status_code=204)
    def _delete_budget(budget_id: str, request: Request) -> Response:
        for_account(request, budget_account(budget_id))
        billing.delete_budget(runtime, budget_id)
        return Response(status_code=204)

    @api.post("/estimates")
    def _estimate(body: EstimateRequest, request: Request) -> dict[str, Any]:
        for_account(request, waba_account(body.waba_id))
        data = body.model_dump()
        data["at"] = body.at.astimezone(UTC) if body.at is not None else None
        return estimates.estimate(runtime, data)

    @api.delete("/reservations/{reservation_id}")
    def _release(reservation_id: str, request: Request) -> dict[str, Any]:
        for_account(request, estimates.reservation_account(runtime, reservation_id))
        return estimates.release(runtime, reservation_id)

    @api.post("/alert-hooks", status_code=201)
    def _new_hook(body: NewHook, request: Request) -> dict[str, Any]:
        for_account(request, body.billing_account)
        return billing.add_hook(runtime, body.model_dump())

    @api.get("/events")
    def _events(  # noqa: PLR0917 - one query parameter per filter of the spec
        request: Request,
        billing_account: str | None = None,
        waba_id: str | None = None,
        type: str | None = None,  # noqa: A002
        since: int = 0,
        limit: int = 100,
    ) -> dict[str, Any]:
        who = principal(runtime, request)
        if waba_id and not billing_account:
            billing_account = waba_account(waba_id)
        if billing_account:
            who.require(setup.tenant_of(billing_account))
        elif not who.is_operator:
            billing_account = (who.tenant_id or "").removeprefix("whatsapp:")
        return analytics.event_feed(
            runtime, billing_account=billing_account, kind=type, since=since, limit=limit
        )

    @api.get("/rejections")
    def _rejections(request: Request, limit: int = 100) -> dict[str, Any]:
        operator(request)
        with runtime.uow(readonly=True) as uow:
            rows = uow.whatsapp.rejections(max(1, min(limit, 1000)))
        return {"rejections": [{**r, "at": r["at"].isoformat()} for r in rows]}

    _ = UnknownWaba
    return api
