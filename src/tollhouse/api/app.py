"""The FastAPI application: platform-shaped routes and the project's /v1/ API."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from tollhouse.api import errors
from tollhouse.api.routes import (
    editions,
    v1_core,
    v1_licences,
    wechat,
    wecom_codes,
    wecom_licences,
    whatsapp,
)
from tollhouse.services.runtime import Runtime


def create_app(runtime: Runtime, *, extra_routers: Sequence[APIRouter] = ()) -> FastAPI:
    app = FastAPI(
        title="Tollhouse",
        version="0.1.0",
        description="Pricing, quotas and metering for WeCom, WeChat and WhatsApp API use.",
    )
    errors.install(app)
    for module in (wecom_licences, v1_core, v1_licences, wecom_codes, editions, wechat, whatsapp):
        app.include_router(module.router(runtime))
    for extra in extra_routers:
        app.include_router(extra)
    return app
