"""WeCom activation-code endpoints (/cgi-bin/license/*, spec §4.3), the interception check
(`POST /v1/wecom/licences/check`, §4.5) and the code sandbox actions `open_app` / `run_daily`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from tollhouse.api.platform_body import integer, invalid, items, json_body, text
from tollhouse.api.security import principal
from tollhouse.domain.licence_codes import AccessDecision, ActivationCode, ApiClass, CodeStatus
from tollhouse.domain.licences import validate_limit, violation
from tollhouse.domain.periods import to_unix
from tollhouse.services import licence_codes as codes
from tollhouse.services.licence_setup import provider_for_token, tenant_id_of
from tollhouse.services.runtime import Runtime

OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


def code_json(code: ActivationCode, *, corpid: str, at: datetime) -> dict[str, Any]:
    """`active_info` as ``corpid`` sees it; fields that do not apply are omitted (§4.1)."""
    status = code.status(at=at, seen_by=corpid)
    body: dict[str, Any] = {
        "active_code": code.active_code,
        "type": code.type,
        "status": int(status),
        "create_time": to_unix(code.create_time),
    }
    if code.userid is not None and status is not CodeStatus.SHARED:
        body["userid"] = code.userid
    if code.active_time is not None and status is not CodeStatus.SHARED:
        body["active_time"] = to_unix(code.active_time)
    if code.expire_time is not None and status is not CodeStatus.SHARED:
        body["expire_time"] = to_unix(code.expire_time)
    merge = {
        k: v
        for k, v in (("to_active_code", code.merged_into), ("from_active_code", code.merged_from))
        if v
    }
    if merge:
        body["merge_info"] = merge
    if code.shared_to is not None:
        body["share_info"] = (
            {"to_corpid": code.shared_to}
            if corpid == code.owner_corpid
            else {"from_corpid": code.owner_corpid}
        )
    return body


def _pairs(body: dict[str, Any], name: str, keys: tuple[str, str]) -> list[tuple[str, str]]:
    pairs = []
    for item in items(body, name):
        if not isinstance(item, dict):
            raise invalid(name, item, "a list of objects")
        first, second = text(item, keys[0]), text(item, keys[1])
        pairs.append((first or "", second or ""))
    return pairs


def _code_list(body: dict[str, Any], name: str, key: str | None = None) -> list[str]:
    values = []
    for item in items(body, name):
        value = item.get(key) if key and isinstance(item, dict) else item
        if not isinstance(value, str) or not value:
            raise invalid(name, item, f"a list of {'objects with ' + key if key else 'strings'}")
        values.append(value)
    return values


class CheckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str | None = None
    corpid: str
    suite_id: str
    userid: str
    api_class: Literal["basic", "message", "interop"] = "basic"


def decision_json(decision: AccessDecision) -> dict[str, Any]:
    until = decision.until
    return {
        "allowed": decision.allowed,
        "reason": str(decision.reason),
        "detail": None if decision.detail is None else str(decision.detail),
        "active_code": decision.active_code,
        "until": None if until is None else until.isoformat(),
        "until_unix": None if until is None else to_unix(until),
    }


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()

    def provider(request: Request) -> str:
        return provider_for_token(runtime, request.query_params.get("provider_access_token"))

    async def call(request: Request) -> tuple[str, dict[str, Any]]:
        who = provider(request)
        return who, await json_body(request)

    @api.post("/cgi-bin/license/active_account")
    async def _activate(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        codes.activate(
            runtime,
            who,
            text(body, "corpid") or "",
            text(body, "active_code") or "",
            text(body, "userid") or "",
        )
        return dict(OK)

    @api.post("/cgi-bin/license/batch_active_account")
    async def _batch(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        corpid = text(body, "corpid") or ""
        pairs = _pairs(body, "active_list", ("active_code", "userid"))
        outcome = codes.batch_activate_codes(runtime, who, corpid, pairs)
        return {
            **OK,
            "active_result": [
                {"active_code": r.active_code, "userid": r.userid, "errcode": r.errcode}
                for r in outcome.results
            ],
        }

    @api.post("/cgi-bin/license/active_account_by_type")
    async def _by_type(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        corpid, userid = text(body, "corpid") or "", text(body, "userid") or ""
        codes.activate_type(runtime, who, corpid, userid, integer(body, "type") or 0)
        return dict(OK)

    @api.post("/cgi-bin/license/get_active_info_by_code")
    async def _by_code(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        corpid = text(body, "corpid") or ""
        code, at = codes.read_code(runtime, who, corpid, text(body, "active_code") or "")
        return {**OK, "active_info": code_json(code, corpid=corpid, at=at)}

    @api.post("/cgi-bin/license/batch_get_active_info_by_code")
    async def _by_codes(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        corpid = text(body, "corpid") or ""
        read = codes.read_codes(runtime, who, corpid, _code_list(body, "active_code_list"))
        return {
            **OK,
            "active_info_list": [code_json(c, corpid=corpid, at=read.at) for c in read.found],
            "invalid_active_code_list": read.invalid,
        }

    @api.post("/cgi-bin/license/list_actived_account")
    async def _listed(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        page = codes.list_active(
            runtime,
            who,
            text(body, "corpid") or "",
            cursor=text(body, "cursor", required=False),
            limit=validate_limit(integer(body, "limit", required=False)),
        )
        return {
            **OK,
            "next_cursor": page.next_cursor,
            "has_more": int(page.has_more),
            "account_list": [
                {
                    "userid": c.userid,
                    "type": c.type,
                    "expire_time": to_unix(c.expire_time or page.at),
                    "active_time": to_unix(c.active_time or page.at),
                }
                for c in page.codes
            ],
        }

    @api.post("/cgi-bin/license/get_active_info_by_user")
    async def _by_user(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        corpid, userid = text(body, "corpid") or "", text(body, "userid") or ""
        info = codes.user_info(runtime, who, corpid, userid)
        return {
            **OK,
            "active_status": info.active_status,
            "active_info_list": [
                {
                    "active_code": c.active_code,
                    "type": c.type,
                    "userid": c.userid,
                    "active_time": to_unix(c.active_time or c.create_time),
                    "expire_time": to_unix(c.expire_time or c.create_time),
                }
                for c in info.codes
            ],
        }

    @api.post("/cgi-bin/license/batch_transfer_license")
    async def _transfer(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        corpid = text(body, "corpid") or ""
        pairs = _pairs(body, "transfer_list", ("handover_userid", "takeover_userid"))
        outcome = codes.transfer(runtime, who, corpid, pairs)
        return {
            **OK,
            "transfer_result": [
                {
                    "handover_userid": r.handover_userid,
                    "takeover_userid": r.takeover_userid,
                    "errcode": r.errcode,
                }
                for r in outcome.results
            ],
        }

    @api.post("/cgi-bin/license/batch_share_active_code")
    async def _share(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        from_corpid, to_corpid = text(body, "from_corpid") or "", text(body, "to_corpid") or ""
        shared = _code_list(body, "share_list", "active_code")
        outcome = codes.share(
            runtime,
            who,
            from_corpid,
            to_corpid,
            shared,
            link_type=integer(body, "corp_link_type", required=False, default=0) or 0,
        )
        return {
            **OK,
            "share_result": [
                {"active_code": f.active_code, "errcode": f.errcode, "errmsg": f.errmsg}
                for f in outcome.results
            ],
        }

    @api.post("/cgi-bin/license/set_auto_active_status")
    async def _set_auto(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        codes.set_auto_active(
            runtime, who, text(body, "corpid") or "", integer(body, "auto_active_status") or 0
        )
        return dict(OK)

    @api.post("/cgi-bin/license/get_auto_active_status")
    async def _get_auto(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        return {
            **OK,
            "auto_active_status": codes.get_auto_active(runtime, who, text(body, "corpid") or ""),
        }

    @api.post("/cgi-bin/license/get_app_license_info")
    async def _app_info(request: Request) -> dict[str, Any]:
        who, body = await call(request)
        info = codes.app_license_info(
            runtime, who, text(body, "corpid") or "", text(body, "suite_id") or ""
        )
        answer: dict[str, Any] = {**OK, "license_status": info.license_status}
        if info.trail_info is not None:
            answer["trail_info"] = {
                "start_time": to_unix(info.trail_info.start),
                "end_time": to_unix(info.trail_info.end),
            }
        answer["license_check_time"] = to_unix(info.license_check_time)
        return answer

    # --- the project's own endpoints (§4.5) --------------------------------------------------

    def checked_provider(request: Request, named: str | None) -> str:
        who = principal(runtime, request)
        if named is None:
            if who.tenant_id is None or not who.tenant_id.startswith("wecom:"):
                raise violation(40063, "provider is required with an operator key")
            named = who.tenant_id.removeprefix("wecom:")
        who.require(tenant_id_of(named))
        return named

    @api.post("/v1/wecom/licences/check", tags=["wecom-licences"])
    async def _check(body: CheckBody, request: Request) -> dict[str, Any]:
        """Allowed or blocked for (corp, member, API class), with the reason (L59, L60, L53).

        A warm cache answers on the event loop; anything that needs the database runs in the
        thread pool, like every other database route."""
        who = checked_provider(request, body.provider)
        req = codes.CheckRequest(
            who, body.corpid, body.suite_id, body.userid, ApiClass(body.api_class)
        )
        decision = codes.check_if_cached(runtime, req)
        if decision is None:
            decision = await run_in_threadpool(codes.check, runtime, req)
        return decision_json(decision)

    @api.post("/v1/sandbox/wecom-codes/{action}", tags=["sandbox"])
    async def _sandbox(action: str, request: Request) -> dict[str, Any]:
        principal(runtime, request).require_operator()
        body = await json_body(request)
        handler = SANDBOX_ACTIONS.get(action)
        if handler is None:
            raise violation(
                40058,
                f"unknown sandbox action {action!r}; one of {sorted(SANDBOX_ACTIONS)}",
                kind="not_found",
            )
        return handler(runtime, body)

    return api


def _open_app(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    decision = codes.open_app(
        runtime,
        text(body, "provider") or "",
        text(body, "corpid") or "",
        text(body, "suite_id", required=False) or "suite1",
        text(body, "userid") or "",
    )
    return decision_json(decision)


def _run_daily(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    return dict(codes.run_daily(runtime, text(body, "provider") or ""))


# `/v1/sandbox/wecom/{open_app,run_daily}` can dispatch to these (spec §4.5).
SANDBOX_ACTIONS: dict[str, Callable[[Runtime, dict[str, Any]], dict[str, Any]]] = {
    "open_app": _open_app,
    "run_daily": _run_daily,
}
