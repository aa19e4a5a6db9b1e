"""HTTP routes of the wecom_codes capability."""

from __future__ import annotations

from fastapi import APIRouter

from tollhouse.services.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    return APIRouter()
