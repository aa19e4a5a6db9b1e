"""Reading platform-shaped JSON bodies field by field, with the platform's codes:
a missing required field is 40063, a value of the wrong type is 40058."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from tollhouse.domain.errors import PlatformRuleViolation


def missing(name: str, namespace: str = "wecom") -> PlatformRuleViolation:
    return PlatformRuleViolation(40063, f"parameter {name} is required", namespace=namespace)


def invalid(
    name: str, value: Any, expected: str, namespace: str = "wecom"
) -> PlatformRuleViolation:
    return PlatformRuleViolation(
        40058, f"parameter {name}={value!r} is invalid: expected {expected}", namespace=namespace
    )


async def json_body(request: Request, namespace: str = "wecom") -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlatformRuleViolation(
            40058, f"request body is not valid JSON: {exc}", namespace=namespace
        ) from exc
    if not isinstance(body, dict):
        raise invalid("body", type(body).__name__, "a JSON object", namespace)
    return body


def text(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str):
        raise invalid(name, value, "a string")
    return value


def integer(
    body: dict[str, Any], name: str, *, required: bool = True, default: int | None = None
) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise missing(name)
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        raise invalid(name, value, "an integer")
    return value


def obj(body: dict[str, Any], name: str, *, required: bool = True) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        if required:
            raise missing(name)
        return {}
    if not isinstance(value, dict):
        raise invalid(name, value, "an object")
    return value


def items(body: dict[str, Any], name: str, *, required: bool = True) -> list[Any]:
    value = body.get(name)
    if value is None:
        if required:
            raise missing(name)
        return []
    if not isinstance(value, list):
        raise invalid(name, value, "a list")
    return value
