"""The project's own licence endpoints: quotes, price lists, orders, sandbox control (§4.5)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tollhouse.api.routes.wecom_codes import SANDBOX_ACTIONS as CODE_ACTIONS
from tollhouse.api.routes.wecom_licences import order_json
from tollhouse.api.security import principal
from tollhouse.domain.licences import (
    AccountType,
    Duration,
    PurchaseKind,
    profile_from_config,
    violation,
)
from tollhouse.services import licence_orders as orders
from tollhouse.services import licence_setup as setup
from tollhouse.services.idempotency import run_once
from tollhouse.services.licence_pricing import line_json, quote_new, quote_renewal, quote_reseller
from tollhouse.services.runtime import Runtime


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCount(Strict):
    base_count: int = Field(default=0, ge=0)
    external_contact_count: int = Field(default=0, ge=0)

    def counts(self) -> dict[AccountType, int]:
        return {
            AccountType.BASIC: self.base_count,
            AccountType.INTEROP: self.external_contact_count,
        }


class AccountDuration(Strict):
    months: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)
    new_expire_time: int | None = None

    def duration(self) -> Duration:
        return Duration(self.months, self.days)


class RenewAccount(Strict):
    userid: str
    type: Literal[1, 2]


class QuoteRequest(Strict):
    provider: str
    corpid: str
    order_kind: Literal["new", "renew"] = "new"
    account_count: AccountCount = AccountCount()
    account_duration: AccountDuration
    at: AwareDatetime | None = None
    renew_accounts: list[RenewAccount] = []


class ResellerQuoteRequest(Strict):
    provider: str
    profile: str
    corpid: str
    purchase_kind: PurchaseKind | None = None
    account_count: AccountCount
    account_duration: AccountDuration | None = None
    coterm: bool = False
    at: AwareDatetime | None = None


class OrderRequest(Strict):
    provider: str
    corpid: str
    buyer_userid: str
    account_count: AccountCount
    account_duration: AccountDuration


class NewProviderRequest(Strict):
    corpid: str
    provider_secret: str
    name: str = ""
    sandbox: bool = True
    clock_now: AwareDatetime | None = None
    admins: list[str] = []
    callback_url: str | None = None
    callback_token: str | None = None
    encoding_aes_key: str | None = None
    balance_fen: int | None = None
    settings: dict[str, Any] | None = None


class BalanceRequest(Strict):
    balance_fen: int | None = None
    top_up_fen: int | None = Field(default=None, gt=0)


def _tenant(provider: str) -> str:
    return setup.tenant_id_of(provider)


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["wecom-licences"])

    def allowed(request: Request, provider: str) -> None:
        principal(runtime, request).require(_tenant(provider))

    @api.post("/wecom/providers", status_code=201)
    def _new_provider(body: NewProviderRequest, request: Request) -> dict[str, Any]:
        principal(runtime, request).require_operator()
        if body.settings:
            from tollhouse.services.licence_pricing import validate_settings  # noqa: PLC0415

            validate_settings(body.settings)
        tenant = setup.create_provider(runtime, setup.NewProvider(**body.model_dump()))
        return {"corpid": body.corpid, "tenant": tenant, "sandbox": body.sandbox}

    @api.post("/wecom/providers/{corpid}/balance")
    def _balance(corpid: str, body: BalanceRequest, request: Request) -> dict[str, Any]:
        principal(runtime, request).require_operator()
        balance = setup.set_balance(
            runtime, corpid, balance_fen=body.balance_fen, top_up_fen=body.top_up_fen
        )
        return {"corpid": corpid, "balance_fen": balance}

    @api.post("/wecom/licences/quote")
    def _quote(body: QuoteRequest, request: Request) -> dict[str, Any]:
        allowed(request, body.provider)
        if body.order_kind == "new":
            quote = quote_new(
                runtime,
                body.provider,
                body.corpid,
                body.account_count.counts(),
                body.account_duration.duration(),
                at=body.at,
            )
        else:
            from tollhouse.domain.periods import from_unix  # noqa: PLC0415

            expire = body.account_duration.new_expire_time
            quote = quote_renewal(
                runtime,
                body.provider,
                body.corpid,
                [(a.userid, AccountType(a.type)) for a in body.renew_accounts],
                months=body.account_duration.months or None,
                new_expire_time=None if expire is None else from_unix(expire),
                at=body.at,
            )
        return {
            "lines": [line_json(line) for line in quote.lines],
            "price": quote.price,
            "at": quote.at.isoformat(),
        }

    @api.post("/wecom/licences/reseller-quote")
    def _reseller(body: ResellerQuoteRequest, request: Request) -> dict[str, Any]:
        allowed(request, body.provider)
        quote = quote_reseller(
            runtime,
            body.provider,
            body.corpid,
            body.profile,
            body.account_count.counts(),
            kind=body.purchase_kind,
            duration=None if body.account_duration is None else body.account_duration.duration(),
            coterm=body.coterm,
            at=body.at,
        )
        answer: dict[str, Any] = {
            "quote_status": quote.quote_status,
            "purchase_kind": str(quote.purchase_kind),
            "lines": [line_json(line) for line in quote.lines],
            "price": quote.price,
            "account_duration": {"months": quote.duration.months, "days": quote.duration.days},
        }
        if quote.custom_from_position is not None:
            answer["custom_from_position"] = quote.custom_from_position
        return answer

    @api.put("/wecom/licences/profiles/{name}")
    def _save_profile(
        name: str, provider: str, config: dict[str, Any], request: Request
    ) -> dict[str, Any]:
        allowed(request, provider)
        profile_from_config(name, config)  # validates: L69, §3.3
        with runtime.uow() as uow:
            setup.require_provider(uow, provider)
            uow.licences.save_profile(provider, name, config, at=runtime.system_clock.now())
            uow.commit()
        return {"provider": provider, "name": name, "config": config}

    @api.get("/wecom/licences/profiles")
    def _profiles(provider: str, request: Request) -> dict[str, Any]:
        allowed(request, provider)
        with runtime.uow(readonly=True) as uow:
            return {"provider": provider, "profiles": uow.licences.profiles(provider)}

    @api.post("/wecom/licences/orders", status_code=201)
    def _create_order(body: OrderRequest, request: Request) -> JSONResponse:
        allowed(request, body.provider)

        def action() -> tuple[int, Any]:
            order = orders.create_new_order(
                runtime,
                body.provider,
                orders.NewOrder(
                    body.corpid,
                    body.buyer_userid,
                    body.account_count.base_count,
                    body.account_count.external_contact_count,
                    body.account_duration.duration(),
                ),
            )
            return 201, order_json(order, at=order.create_time)

        status, answer = run_once(
            runtime,
            scope=f"orders:{_tenant(body.provider)}",
            key=request.headers.get("idempotency-key"),
            body=body.model_dump(mode="json"),
            action=action,
        )
        return JSONResponse(answer, status_code=status)

    @api.get("/wecom/licences/orders")
    def _orders(provider: str, request: Request, limit: int = 100) -> dict[str, Any]:
        allowed(request, provider)
        with runtime.uow(readonly=True) as uow:
            rows = uow.licences.all_orders(provider, limit=max(1, min(limit, 1000)))
            from tollhouse.services.clocks import tenant_now  # noqa: PLC0415

            at = tenant_now(runtime, uow, _tenant(provider))
        return {"orders": [order_json(o, at=at) for o in rows]}

    @api.post("/wecom/licences/orders/{order_id}/pay")
    def _pay(order_id: str, provider: str, request: Request) -> dict[str, Any]:
        allowed(request, provider)
        order = orders.pay_order(runtime, provider, order_id)
        return order_json(order, at=order.pay_time or order.create_time)

    @api.post("/sandbox/wecom/{action}")
    async def _sandbox(action: str, request: Request) -> dict[str, Any]:
        principal(runtime, request).require_operator()
        body = await request.json()
        if not isinstance(body, dict):
            raise violation(40058, "the body must be a JSON object")
        handler = SANDBOX_ACTIONS.get(action)
        if handler is None:
            raise violation(
                40058,
                f"unknown sandbox action {action!r}; one of {sorted(SANDBOX_ACTIONS)}",
                kind="not_found",
            )
        answer: dict[str, Any] = handler(runtime, body)
        return answer

    return api


def _provider(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    corpid = str(body.get("corpid", ""))
    with runtime.uow(readonly=True) as uow:
        exists = uow.licences.provider(corpid) is not None
    if not exists:
        setup.create_provider(
            runtime,
            setup.NewProvider(
                corpid=corpid,
                provider_secret=str(body.get("provider_secret", "")),
                name=str(body.get("name", "")),
                sandbox=bool(body.get("sandbox", True)),
                admins=[a if isinstance(a, str) else a["userid"] for a in body.get("admins", [])],
                callback_url=body.get("callback_url"),
                callback_token=body.get("callback_token"),
                encoding_aes_key=body.get("encoding_aes_key"),
                balance_fen=body.get("balance_fen"),
                settings=body.get("settings"),
            ),
        )
        return {"corpid": corpid, "created": True}
    admins = [a if isinstance(a, dict) else {"userid": a} for a in body.get("admins", [])]
    setup.update_provider(runtime, corpid, **{**body, "admins": admins})
    return {"corpid": corpid, "created": False}


def _corp(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    corp = setup.save_corp(
        runtime,
        str(body["provider"]),
        str(body["corpid"]),
        name=str(body.get("name", "")),
        is_test=body.get("is_test"),
        members=body.get("members", []),
    )
    return {"corpid": corp["corpid"], "is_test": corp["is_test"]}


def _install(runtime: Runtime, body: dict[str, Any], *, uninstall: bool = False) -> dict[str, Any]:
    from tollhouse.domain.periods import from_unix  # noqa: PLC0415

    def when(name: str) -> Any:
        return None if body.get(name) is None else from_unix(int(body[name]))

    row = setup.install_app(
        runtime,
        str(body["provider"]),
        str(body["corpid"]),
        str(body.get("suite_id", "suite")),
        at=when("time"),
        license_status=body.get("license_status"),
        license_check_time=when("license_check_time"),
        has_trial=body.get("has_trial"),
        uninstall=uninstall,
    )
    return {
        "corpid": row["corpid"],
        "suite_id": row["suite_id"],
        "installed": row["installed"],
        "first_install_time": int(row["first_install_time"].timestamp()),
    }


def _order_action(name: str) -> Any:
    def run(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
        provider, order_id = str(body["provider"]), str(body["order_id"])
        if name == "pay_order":
            order = orders.pay_order(runtime, provider, order_id)
        elif name == "refund_request":
            order = orders.request_refund(runtime, provider, order_id)
        else:
            decision = body.get("decision", "approve")
            if decision not in ("approve", "refuse"):
                raise violation(40058, f"decision {decision!r} must be approve or refuse")
            order = orders.decide_refund(runtime, provider, order_id, approve=decision == "approve")
        return {"order_id": order.order_id, "order_status": int(order.status)}

    return run


def _balance_action(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    balance = setup.set_balance(
        runtime,
        str(body["provider"]),
        balance_fen=body.get("balance_fen"),
        top_up_fen=body.get("top_up_fen"),
    )
    return {"balance_fen": balance}


def _link(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    setup.link_corps(
        runtime,
        str(body["provider"]),
        str(body["up_corpid"]),
        str(body["down_corpid"]),
        link_type=int(body.get("link_type", 0)),
        app_shared=bool(body.get("app_shared", True)),
        headcount=int(body.get("headcount", 0)),
    )
    return {"linked": True}


def _remove_test(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    count = orders.remove_test_corp(runtime, str(body["provider"]), str(body["corpid"]))
    return {"orders_invalidated": count}


SANDBOX_ACTIONS: dict[str, Any] = {
    **CODE_ACTIONS,  # open_app, run_daily (the code lifecycle's sandbox actions)
    "provider": _provider,
    "corp": _corp,
    "install": _install,
    "uninstall": lambda runtime, body: _install(runtime, body, uninstall=True),
    "pay_order": _order_action("pay_order"),
    "refund_request": _order_action("refund_request"),
    "refund_result": _order_action("refund_result"),
    "balance": _balance_action,
    "link": _link,
    "remove_test_corp": _remove_test,
}
