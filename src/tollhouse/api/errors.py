"""The only module that knows HTTP statuses and platform errcodes.

Platform-shaped paths (/cgi-bin/…) answer as the platform does: HTTP 200 with
``{"errcode": …, "errmsg": …}``. Our own paths (/v1/…) answer with an HTTP status and
``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tollhouse.domain.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PlatformRuleViolation,
    Refused,
    TollhouseError,
    Unauthorized,
)

HTTP_STATUS: Final[dict[type[TollhouseError], int]] = {
    NotFound: 404,
    InvalidRequest: 422,
    Refused: 409,
    Conflict: 409,
    Unauthorized: 401,
}
KIND_STATUS: Final = {"invalid": 422, "conflict": 409, "not_found": 404, "unauthorized": 401}


def http_status(error: TollhouseError) -> int:
    if isinstance(error, PlatformRuleViolation):
        return KIND_STATUS.get(error.kind, 422)
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


def v1_body(error: TollhouseError) -> dict[str, Any]:
    code = error.dotted_code if isinstance(error, PlatformRuleViolation) else error.code
    return {"error": {"code": code, "message": error.message, "details": error.details}}


def platform_body(error: TollhouseError) -> dict[str, Any]:
    if isinstance(error, PlatformRuleViolation):
        body: dict[str, Any] = {"errcode": error.errcode, "errmsg": error.message}
        if "items" in error.details:
            body.update(error.details["items"])
        return body
    if isinstance(error, Unauthorized):
        return {"errcode": 40014, "errmsg": error.message}
    if isinstance(error, NotFound):
        return {"errcode": 40013, "errmsg": error.message}
    return {"errcode": 40058, "errmsg": error.message}


def is_platform_path(path: str) -> bool:
    return path.startswith("/cgi-bin/")


def install(app: FastAPI) -> None:
    @app.exception_handler(TollhouseError)
    async def _tollhouse(request: Request, error: TollhouseError) -> JSONResponse:
        if is_platform_path(request.url.path):
            return JSONResponse(platform_body(error), status_code=200)
        return JSONResponse(v1_body(error), status_code=http_status(error))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "problem": e["msg"]}
            for e in error.errors()
        ]
        text = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        if is_platform_path(request.url.path):
            return JSONResponse({"errcode": 40058, "errmsg": f"invalid parameter: {text}"})
        return JSONResponse(
            {
                "error": {
                    "code": "request.invalid",
                    "message": f"the request body is invalid: {text}",
                    "details": {"problems": problems},
                }
            },
            status_code=422,
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> JSONResponse:
        if is_platform_path(request.url.path):
            return JSONResponse(
                {
                    "errcode": 40058 if error.status_code != 404 else 404,  # noqa: PLR2004
                    "errmsg": str(error.detail),
                }
            )
        return JSONResponse(
            {
                "error": {
                    "code": f"http.{error.status_code}",
                    "message": str(error.detail),
                    "details": {},
                }
            },
            status_code=error.status_code,
            headers=error.headers,
        )
