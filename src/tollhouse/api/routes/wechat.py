"""WeChat's own API (``/cgi-bin/…``, spec §5.1–§5.6) and the sandbox admin API
(``/v1/wechat/…``, §5.7) of the mass-send capability.

Platform paths answer HTTP 200 with ``{"errcode", "errmsg"}``; ``errmsg`` starts with the
platform's text and ends with `` rid: <8hex>-<8hex>-<8hex>``. Bodies are parsed as JSON whatever
the ``Content-Type`` (SDKs post raw bytes).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tollhouse.api.errors import http_status
from tollhouse.api.security import principal
from tollhouse.domain import massend as m
from tollhouse.domain.errors import InvalidRequest, TollhouseError
from tollhouse.services import massend as svc
from tollhouse.services.runtime import Runtime


def rid() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))


def platform_error(error: m.MassSendViolation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "errcode": error.errcode,
        "errmsg": f"{error.platform_errmsg} rid: {rid()}",
    }
    if isinstance(error, m.DuplicateClientMsgId) and error.errcode == 45065:  # noqa: PLR2004
        body["msg_id"] = error.msg_id
    return body


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise m.MassSendViolation(47001, f"the body is not JSON: {exc}", rule="§5.1") from exc
    if not isinstance(body, dict):
        raise m.MassSendViolation(47001, "the body is not a JSON object", rule="§5.1")
    return body


async def _call(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    try:
        return await run_in_threadpool(fn, *args)
    except m.MassSendViolation as error:
        return platform_error(error)


def v1_error(error: TollhouseError) -> JSONResponse:
    """``{"error": {"code", "message", "details"}}`` with the class's stable code."""
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message, "details": error.details}},
        status_code=http_status(error),
    )


# -- admin request bodies -----------------------------------------------------------------------


class NewAccountBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(pattern="^(service|subscription)$")
    verified: bool = True
    appid: str | None = None
    secret: str | None = None
    original_id: str | None = None
    name: str = ""
    settings: dict[str, Any] | None = None
    sandbox: bool = True
    now: AwareDatetime | None = None


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verified: bool | None = None
    name: str | None = None
    settings: dict[str, Any] | None = None


class FollowerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    openid: str | None = None
    wxname: str | None = None
    subscribed_at: AwareDatetime | None = None
    receive_off: bool = False
    delivery_fault: bool = False
    tags: list[int | str] = Field(default_factory=list)


class FollowersBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    followers: list[FollowerSpec] | None = None
    generate: int | None = None


class FollowerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscribed: bool | None = None
    receive_off: bool | None = None
    delivery_fault: bool | None = None


class QuotaSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    received: int = Field(ge=0, le=255)


class Confirmation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: str = Field(pattern="^(approve|refuse)$")


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: str = Field(pattern="^(pass|reject)$")
    code: int | None = None


class Authorization(BaseModel):
    model_config = ConfigDict(extra="forbid")
    component_appid: str
    funcscope: list[int] = Field(default_factory=lambda: [7])


class ReachBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_to_all: bool = False
    tag_id: int | None = None
    openids: list[str] | None = Field(default=None, max_length=100_000)


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()
    cgi = APIRouter(prefix="/cgi-bin", tags=["wechat"])
    admin = APIRouter(prefix="/v1/wechat", tags=["wechat admin"])

    def token(request: Request) -> str | None:
        return request.query_params.get("access_token")

    # -- WeChat's API --------------------------------------------------------------------------

    @cgi.get("/token")
    async def _token(request: Request) -> dict[str, Any]:
        q = request.query_params
        return await _call(
            lambda: svc.issue_token(
                runtime,
                grant_type=q.get("grant_type"),
                appid=q.get("appid"),
                secret=q.get("secret"),
            )
        )

    def post(
        path: str,
        fn: Callable[[Runtime, str | None, dict[str, Any]], dict[str, Any]],
    ) -> None:
        async def handler(request: Request) -> dict[str, Any]:
            try:
                body = await _body(request)
            except m.MassSendViolation as error:
                return platform_error(error)
            return await _call(fn, runtime, token(request), body)

        cgi.add_api_route(path, handler, methods=["POST"], name=path)

    post("/message/mass/sendall", svc.sendall)
    post("/message/mass/send", svc.send)
    post("/message/mass/preview", svc.preview)
    post("/message/mass/delete", svc.delete)
    post("/message/mass/get", svc.get_status)
    post("/message/mass/speed/set", svc.speed_set)
    post("/message/mass/speed/get", lambda rt, tok, _body: svc.speed_get(rt, tok))
    post("/openapi/quota/get", svc.quota_get)
    post("/clear_quota", svc.clear_quota)
    post("/user/tag/get", svc.tag_users)
    post("/tags/create", svc.tags_create)
    post("/tags/update", svc.tags_update)
    post("/tags/delete", svc.tags_delete)
    post("/tags/members/batchtagging", svc.batch_tagging)
    post(
        "/tags/members/batchuntagging",
        lambda rt, tok, body: svc.batch_tagging(rt, tok, body, untag=True),
    )
    post("/tags/getidlist", svc.tag_id_list)

    @cgi.get("/user/get")
    async def _users(request: Request) -> dict[str, Any]:
        return await _call(
            svc.user_get, runtime, token(request), request.query_params.get("next_openid")
        )

    @cgi.get("/tags/get")
    async def _tags(request: Request) -> dict[str, Any]:
        return await _call(svc.tags_get, runtime, token(request))

    # -- sandbox admin API (§5.7) --------------------------------------------------------------

    def allowed(request: Request, appid: str) -> None:
        principal(runtime, request).require(svc.tenant_id_of(appid))

    async def run(fn: Callable[[], Any], status: int = 200) -> Any:
        try:
            result = await run_in_threadpool(fn)
        except TollhouseError as error:
            return v1_error(error)
        return JSONResponse(result, status_code=status)

    @admin.post("/accounts", status_code=201)
    async def _create(body: NewAccountBody, request: Request) -> Any:
        principal(runtime, request).require_operator()
        cmd = svc.NewAccount(**body.model_dump())
        return await run(lambda: svc.create_account(runtime, cmd), 201)

    @admin.get("/accounts")
    async def _accounts(request: Request) -> Any:
        principal(runtime, request).require_operator()
        return await run(lambda: {"accounts": svc.list_accounts(runtime)})

    @admin.get("/accounts/{appid}")
    async def _account(appid: str, request: Request) -> Any:
        allowed(request, appid)
        return await run(lambda: svc.get_account(runtime, appid))

    @admin.patch("/accounts/{appid}")
    async def _patch(appid: str, body: AccountPatch, request: Request) -> Any:
        allowed(request, appid)
        return await run(lambda: svc.update_account(runtime, appid, **body.model_dump()))

    @admin.post("/accounts/{appid}/followers", status_code=201)
    async def _followers(appid: str, body: FollowersBody, request: Request) -> Any:
        allowed(request, appid)
        specs = (
            None
            if body.followers is None
            else [f.model_dump(exclude_none=True) for f in body.followers]
        )
        return await run(
            lambda: svc.add_followers(runtime, appid, followers=specs, generate=body.generate), 201
        )

    @admin.get("/accounts/{appid}/followers/{openid}")
    async def _follower(appid: str, openid: str, request: Request) -> Any:
        allowed(request, appid)
        return await run(lambda: svc.get_follower(runtime, appid, openid))

    @admin.patch("/accounts/{appid}/followers/{openid}")
    async def _follower_patch(
        appid: str, openid: str, body: FollowerPatch, request: Request
    ) -> Any:
        allowed(request, appid)
        return await run(lambda: svc.update_follower(runtime, appid, openid, **body.model_dump()))

    @admin.get("/accounts/{appid}/followers/{openid}/quota")
    async def _follower_quota(
        appid: str, openid: str, request: Request, month: str | None = None
    ) -> Any:
        allowed(request, appid)
        return await run(lambda: svc.follower_quota(runtime, appid, openid, month))

    @admin.put("/accounts/{appid}/followers/{openid}/quota/{month}")
    async def _seed(appid: str, openid: str, month: str, body: QuotaSeed, request: Request) -> Any:
        allowed(request, appid)
        return await run(
            lambda: svc.seed_follower_quota(runtime, appid, openid, month, body.received)
        )

    @admin.post("/accounts/{appid}/web-sends", status_code=201)
    async def _web_send(appid: str, request: Request) -> Any:
        allowed(request, appid)
        try:
            body = await _body(request)
        except m.MassSendViolation as error:
            return v1_error(InvalidRequest(error.message))
        return await run(lambda: svc.web_send(runtime, appid, body), 201)

    @admin.get("/accounts/{appid}/quota")
    async def _quota(appid: str, request: Request, at: datetime | None = None) -> Any:
        allowed(request, appid)
        if at is not None and at.utcoffset() is None:
            return v1_error(InvalidRequest("at must carry a UTC offset"))
        return await run(lambda: svc.account_quota(runtime, appid, at))

    @admin.get("/accounts/{appid}/jobs")
    async def _jobs(appid: str, request: Request, month: str | None = None) -> Any:
        allowed(request, appid)
        return await run(lambda: {"jobs": svc.list_jobs(runtime, appid, month)})

    @admin.get("/accounts/{appid}/jobs/{msg_id}")
    async def _job(appid: str, msg_id: int, request: Request) -> Any:
        allowed(request, appid)
        return await run(lambda: svc.get_job(runtime, appid, msg_id))

    @admin.post("/accounts/{appid}/jobs/{msg_id}/confirmation")
    async def _confirm(appid: str, msg_id: int, body: Confirmation, request: Request) -> Any:
        allowed(request, appid)
        return await run(
            lambda: svc.confirm_job(runtime, appid, msg_id, approve=body.decision == "approve")
        )

    @admin.post("/accounts/{appid}/jobs/{msg_id}/review")
    async def _review(appid: str, msg_id: int, body: Review, request: Request) -> Any:
        allowed(request, appid)
        return await run(
            lambda: svc.review_job(runtime, appid, msg_id, verdict=body.verdict, code=body.code)
        )

    @admin.post("/accounts/{appid}/authorizations", status_code=201)
    async def _authorize(appid: str, body: Authorization, request: Request) -> Any:
        allowed(request, appid)
        return await run(
            lambda: svc.authorize_component(
                runtime, appid, component_appid=body.component_appid, funcscope=body.funcscope
            ),
            201,
        )

    @admin.get("/accounts/{appid}/events")
    async def _events(appid: str, request: Request, since: datetime | None = None) -> Any:
        allowed(request, appid)
        if since is not None and since.utcoffset() is None:
            return v1_error(InvalidRequest("since must carry a UTC offset"))
        return await run(lambda: {"events": svc.account_events(runtime, appid, since)})

    @admin.post("/accounts/{appid}/reach")
    async def _reach(appid: str, body: ReachBody, request: Request) -> Any:
        allowed(request, appid)
        return await run(
            lambda: svc.reach(
                runtime, appid, is_to_all=body.is_to_all, tag_id=body.tag_id, openids=body.openids
            )
        )

    api.include_router(cgi)
    api.include_router(admin)
    return api
