"""Bearer-key authentication for /v1/."""

from __future__ import annotations

from fastapi import Request

from tollhouse.services.auth import Principal, authenticate
from tollhouse.services.runtime import Runtime


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value else None


def principal(runtime: Runtime, request: Request) -> Principal:
    return authenticate(runtime, bearer(request))
