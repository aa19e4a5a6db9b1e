"""WeCom's licence API: same paths, fields and errcodes as /cgi-bin/license/* (spec §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from tollhouse.api.platform_body import integer, items, json_body, obj, text
from tollhouse.domain.licences import Duration, LicenceOrder, OrderType, validate_limit, violation
from tollhouse.services import licence_orders as orders
from tollhouse.services.licence_setup import get_provider_token, provider_for_token
from tollhouse.services.runtime import Runtime

OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


def ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def order_json(order: LicenceOrder, *, at: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": order.order_id,
        "order_type": int(order.order_type),
        "order_status": int(order.status_at(at)),
        "corpid": order.corpid,
        "price": order.price,
        "account_count": {
            "base_count": order.base_count,
            "external_contact_count": order.interop_count,
        },
        "create_time": ts(order.create_time),
    }
    if order.corpid is None:
        del body["corpid"]
    if order.order_type == OrderType.RENEW and order.new_expire_time is not None:
        body["account_duration"] = {"new_expire_time": ts(order.new_expire_time)}
    else:
        body["account_duration"] = {"months": order.months, "days": order.days}
    if order.pay_time is not None:
        body["pay_time"] = ts(order.pay_time)
    return body


def _duration(body: dict[str, Any]) -> Duration:
    raw = obj(body, "account_duration")
    months = integer(raw, "months", required=False, default=0)
    days = integer(raw, "days", required=False, default=0)
    return Duration(months or 0, days or 0)


def _when(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()

    def provider(request: Request) -> str:
        return provider_for_token(runtime, request.query_params.get("provider_access_token"))

    @api.post("/cgi-bin/service/get_provider_token")
    async def _token(request: Request) -> dict[str, Any]:
        body = await json_body(request)
        token, expires = get_provider_token(
            runtime, text(body, "corpid") or "", text(body, "provider_secret") or ""
        )
        return {**OK, "provider_access_token": token, "expires_in": expires}

    @api.get("/cgi-bin/service/get_account_balance")
    def _balance(request: Request) -> dict[str, Any]:
        return {**OK, "balance": orders.account_balance(runtime, provider(request))}

    @api.post("/cgi-bin/license/create_new_order")
    async def _create(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        count = obj(body, "account_count")
        cmd = orders.NewOrder(
            corpid=text(body, "corpid") or "",
            buyer_userid=text(body, "buyer_userid", required=False) or "",
            base_count=integer(count, "base_count", required=False, default=0) or 0,
            interop_count=integer(count, "external_contact_count", required=False, default=0) or 0,
            duration=_duration(body),
        )
        order = orders.create_new_order(runtime, who, cmd)
        return {**OK, "order_id": order.order_id}

    @api.post("/cgi-bin/license/cancel_order")
    async def _cancel(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        orders.cancel_order(
            runtime, who, text(body, "order_id") or "", text(body, "corpid", required=False)
        )
        return dict(OK)

    @api.post("/cgi-bin/license/get_order")
    async def _get(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        order, at = orders.get_order(runtime, who, text(body, "order_id") or "")
        return {**OK, "order": order_json(order, at=at)}

    @api.post("/cgi-bin/license/list_order")
    async def _list(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        page = orders.list_orders(
            runtime,
            who,
            corpid=text(body, "corpid", required=False),
            start=_when(integer(body, "start_time", required=False)),
            end=_when(integer(body, "end_time", required=False)),
            cursor=text(body, "cursor", required=False),
            limit=validate_limit(integer(body, "limit", required=False)),
        )
        return {
            **OK,
            "next_cursor": page.next_cursor,
            "has_more": int(page.has_more),
            "order_list": [
                {"order_id": o.order_id, "order_type": int(o.order_type)} for o in page.items
            ],
        }

    @api.post("/cgi-bin/license/list_order_account")
    async def _accounts(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        page = orders.list_order_accounts(
            runtime,
            who,
            text(body, "order_id") or "",
            cursor=text(body, "cursor", required=False),
            limit=validate_limit(integer(body, "limit", required=False)),
        )
        return {
            **OK,
            "next_cursor": page.next_cursor,
            "has_more": int(page.has_more),
            "account_list": page.items,
        }

    @api.post("/cgi-bin/license/get_union_order")
    async def _union(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        order, page = orders.get_union_order(
            runtime,
            who,
            text(body, "order_id") or "",
            cursor=text(body, "cursor", required=False),
            limit=validate_limit(integer(body, "limit", required=False)),
        )
        head = order_json(order, at=page.at)
        head = {
            k: head[k]
            for k in ("order_id", "order_type", "order_status", "price", "create_time", "pay_time")
            if k in head
        }
        return {
            **OK,
            "order": head,
            "has_more": int(page.has_more),
            "next_cursor": page.next_cursor,
            "buy_list": [
                {
                    "sub_order_id": s.order_id,
                    "corpid": s.corpid,
                    "account_count": {
                        "base_count": s.base_count,
                        "external_contact_count": s.interop_count,
                    },
                    "account_duration": {"months": s.months, "days": s.days},
                }
                for s in page.items
            ],
        }

    @api.post("/cgi-bin/license/create_renew_order_job")
    async def _renew_job(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        result = orders.create_renew_order_job(
            runtime,
            who,
            text(body, "corpid") or "",
            items(body, "account_list"),
            text(body, "jobid", required=False),
        )
        return {**OK, "jobid": result.jobid, "invalid_account_list": result.invalid}

    @api.post("/cgi-bin/license/submit_order_job")
    async def _submit_renew(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        duration = obj(body, "account_duration")
        order = orders.submit_order_job(
            runtime,
            who,
            orders.RenewalSubmit(
                jobid=text(body, "jobid") or "",
                buyer_userid=text(body, "buyer_userid", required=False) or "",
                months=integer(duration, "months", required=False),
                new_expire_time=_when(integer(duration, "new_expire_time", required=False)),
            ),
        )
        return {**OK, "order_id": order.order_id}

    @api.post("/cgi-bin/license/create_new_order_job")
    async def _multi_job(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        result = orders.create_new_order_job(
            runtime, who, items(body, "buy_list"), text(body, "jobid", required=False)
        )
        return {**OK, "jobid": result.jobid, "invalid_list": result.invalid}

    @api.post("/cgi-bin/license/submit_new_order_job")
    async def _multi_submit(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        jobid = orders.submit_new_order_job(
            runtime,
            who,
            text(body, "jobid") or "",
            text(body, "buyer_userid", required=False) or "",
        )
        return {**OK, "jobid": jobid}

    @api.post("/cgi-bin/license/new_order_job_result")
    async def _multi_result(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        job = orders.new_order_job_result(runtime, who, text(body, "jobid") or "")
        answer: dict[str, Any] = {
            **OK,
            "status": job["status"],
            "fail_list": job["result"].get("fail_list", []),
        }
        if job["order_id"]:
            answer["order_id"] = job["order_id"]
        return answer

    @api.post("/cgi-bin/license/submit_pay_job")
    async def _pay(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        jobid = orders.submit_pay_job(
            runtime,
            who,
            text(body, "order_id") or "",
            text(body, "payer_userid", required=False) or "",
        )
        return {**OK, "jobid": jobid}

    @api.post("/cgi-bin/license/pay_job_result")
    async def _pay_result(request: Request) -> dict[str, Any]:
        who = provider(request)
        body = await json_body(request)
        job = orders.pay_job_result(runtime, who, text(body, "jobid") or "")
        return {**OK, "status": job["status"], "pay_job_result": job["result"]}

    @api.post("/cgi-bin/license/support_policy_query")
    async def _policy(request: Request) -> dict[str, Any]:
        provider(request)
        raise violation(
            701923,
            "support_policy_query ended on 2023-03-31 with the 民生 discount; "
            "it is not implemented",
            rule="L64",
        )

    return api
