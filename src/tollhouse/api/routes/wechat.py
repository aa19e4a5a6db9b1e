"""HTTP routes of the wechat capability."""

from __future__ import annotations

from fastapi import APIRouter

from tollhouse.services.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    return APIRouter()
