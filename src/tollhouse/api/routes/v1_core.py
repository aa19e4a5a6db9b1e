"""The project's own API shared by every capability: health, sandbox clock, event feed, keys."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tollhouse.api.security import principal
from tollhouse.domain.errors import InvalidRequest
from tollhouse.services import clocks
from tollhouse.services.auth import create_key
from tollhouse.services.runtime import Runtime

# Each capability names its tenants by its own key; all resolve to one tenant id.
TENANT_KEYS = {
    "tenant": "{}",
    "provider": "wecom:{}",
    "appid": "wechat:{}",
    "billing_account": "whatsapp:{}",
}


class ClockMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant: str | None = None
    provider: str | None = None
    appid: str | None = None
    billing_account: str | None = None
    now: AwareDatetime | None = None
    advance_s: int | None = Field(default=None, ge=0)


def resolve_tenant(values: dict[str, Any]) -> tuple[str, str, str]:
    """(tenant id, the key used, its value) from whichever tenant key was sent."""
    given = [(k, v) for k, v in values.items() if k in TENANT_KEYS and v]
    if len(given) != 1:
        raise InvalidRequest(
            "name exactly one tenant: tenant, provider, appid or billing_account",
            details={"given": [k for k, _ in given]},
        )
    key, value = given[0]
    return TENANT_KEYS[key].format(value), key, str(value)


class NewKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    tenant: str | None = None


def event_json(event: Any, attempts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event.id,
        "tenant": event.tenant_id,
        "kind": event.kind,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": event.payload,
        "target_url": event.target_url,
        "content_type": event.content_type,
        "body": event.body,
        "delivery_status": event.delivery_status,
        "attempts": event.attempts,
    }
    if attempts is not None:
        body["delivery_attempts"] = [
            {
                "attempt": a["attempt"],
                "attempted_at": a["attempted_at"].isoformat(),
                "http_status": a["http_status"],
                "ok": a["ok"],
                "error": a["error"],
                "response_body": a["response_body"],
                "duration_ms": a["duration_ms"],
            }
            for a in attempts
        ]
    return body


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["core"])

    @api.get("/health")
    def _health() -> dict[str, Any]:
        return {"status": "ok"}

    @api.get("/sandbox/clock")
    def _clock(request: Request) -> dict[str, Any]:
        who = principal(runtime, request)
        tenant, key, value = resolve_tenant(dict(request.query_params))
        who.require(tenant)
        with runtime.uow(readonly=True) as uow:
            now = clocks.tenant_now(runtime, uow, tenant)
        return {key: value, "tenant": tenant, "now": now.isoformat()}

    @api.post("/sandbox/clock")
    def _move(body: ClockMove, request: Request) -> dict[str, Any]:
        who = principal(runtime, request)
        tenant, key, value = resolve_tenant(body.model_dump())
        who.require(tenant)
        if (body.now is None) == (body.advance_s is None):
            raise InvalidRequest("send exactly one of now and advance_s")
        if body.now is not None:
            target: datetime = body.now
        else:
            with runtime.uow(readonly=True) as uow:
                target = clocks.tenant_now(runtime, uow, tenant) + timedelta(
                    seconds=body.advance_s or 0
                )
        moved = clocks.move_clock(runtime, tenant, target)
        return {key: value, "tenant": tenant, "now": moved.now.isoformat(), "ran": moved.ran}

    @api.get("/events")
    def _events(
        request: Request,
        tenant: str | None = None,
        kind: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> dict[str, Any]:
        who = principal(runtime, request)
        scope = [who.tenant_id] if who.tenant_id else ([tenant] if tenant else None)
        if tenant and who.tenant_id:
            who.require(tenant)
        with runtime.uow(readonly=True) as uow:
            rows = uow.events.feed(
                tenant_ids=scope, kind=kind, after_id=after, limit=max(1, min(limit, 1000))
            )
        return {"events": [event_json(e) for e in rows], "next": rows[-1].id if rows else after}

    @api.get("/events/{event_id}")
    def _event(event_id: int, request: Request) -> dict[str, Any]:
        who = principal(runtime, request)
        with runtime.uow(readonly=True) as uow:
            event = uow.events.get(event_id)
            if event is None:
                raise InvalidRequest(f"event {event_id} does not exist")
            who.require(event.tenant_id)
            return event_json(event, uow.events.attempts(event_id))

    @api.post("/keys", status_code=201)
    def _new_key(body: NewKey, request: Request) -> dict[str, Any]:
        principal(runtime, request).require_operator()
        key_id, raw = create_key(runtime, name=body.name, tenant_id=body.tenant)
        return {"id": key_id, "key": raw, "tenant": body.tenant}

    return api
