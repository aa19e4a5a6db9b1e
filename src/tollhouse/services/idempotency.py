"""Idempotent /v1/ writes: a retried request with the same Idempotency-Key gets the first
answer back and changes nothing."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from tollhouse.domain.errors import Conflict
from tollhouse.services.runtime import Runtime


class IdempotencyKeyReused(Conflict):
    code = "idempotency.key_reused"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used with a different request "
            "body; use a new key for a new request"
        )


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def run_once(
    runtime: Runtime,
    *,
    scope: str,
    key: str | None,
    body: Any,
    action: Callable[[], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run `action` once per (scope, key); store and replay its (status, response)."""
    if not key:
        return action()
    digest = request_hash(body)
    with runtime.uow(readonly=True) as uow:
        earlier = uow.idempotency.get(scope, key)
    if earlier is not None:
        if earlier["request_hash"] != digest:
            raise IdempotencyKeyReused(key)
        return int(earlier["status_code"]), earlier["response"]
    lock: Any = runtime.extras.setdefault("idempotency_lock", threading.Lock())
    with lock:
        with runtime.uow(readonly=True) as uow:
            earlier = uow.idempotency.get(scope, key)
        if earlier is not None:
            return int(earlier["status_code"]), earlier["response"]
        status, response = action()
        try:
            with runtime.uow() as uow:
                uow.idempotency.add(
                    scope=scope,
                    key=key,
                    request_hash=digest,
                    status_code=status,
                    response=response,
                    at=runtime.system_clock.now(),
                )
                uow.commit()
        except IntegrityError:
            pass
        return status, response
