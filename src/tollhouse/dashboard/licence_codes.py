"""Dashboard pages of the licence_codes capability."""

from __future__ import annotations

from fastapi import APIRouter

from tollhouse.services.runtime import Runtime


def router(runtime: Runtime) -> APIRouter:
    return APIRouter(prefix="/dashboard", include_in_schema=False)
