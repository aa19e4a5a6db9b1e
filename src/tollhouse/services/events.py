"""Events: every platform callback and engine event is stored (the event feed) and, when the
tenant has a URL, delivered with the platform's format and signature, retried with backoff."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tollhouse.services.runtime import Runtime, UnitOfWork

DELIVER = "events.deliver"


def publish(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    kind: str,
    at: datetime,
    payload: dict[str, Any],
    target_url: str | None = None,
    content_type: str | None = None,
    body: str | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Store an event and schedule its first delivery at `at`. None if it was a duplicate."""
    event_id: int | None = uow.events.add(
        tenant_id=tenant_id,
        kind=kind,
        at=at,
        payload=payload,
        target_url=target_url,
        content_type=content_type,
        body=body,
        dedupe_key=dedupe_key,
    )
    if event_id is not None and target_url:
        uow.tasks.add(tenant_id=tenant_id, due_at=at, kind=DELIVER, payload={"event_id": event_id})
    return event_id


def deliver(runtime: Runtime, uow: UnitOfWork, payload: dict[str, Any], at: datetime) -> str:
    """One delivery attempt; schedules the next one on failure."""
    event = uow.events.get(int(payload["event_id"]))
    if event is None or event.delivery_status in ("delivered", "failed"):
        return "skipped"
    signer = runtime.signers.get(event.payload.get("signer", ""), _plain)
    url, body, headers = signer(runtime, uow, event, at)
    result = runtime.sender.post(url, body, headers)
    test = runtime.success_tests.get(event.payload.get("signer", ""))
    ok = result.ok and (test is None or test(result.http_status, result.response_body))
    schedule = runtime.retry_schedule_s
    attempt = event.attempts + 1
    final = not ok and attempt > len(schedule)
    uow.events.record_attempt(
        event.id,
        at=at,
        ok=ok,
        http_status=result.http_status,
        response_body=result.response_body,
        error=result.error,
        duration_ms=result.duration_ms,
        final_failure=final,
    )
    if not ok and not final:
        uow.tasks.add(
            tenant_id=event.tenant_id,
            kind=DELIVER,
            payload={"event_id": event.id},
            due_at=at + timedelta(seconds=schedule[attempt - 1]),
        )
    return f"event {event.id} {event.kind}: " + ("delivered" if ok else f"attempt {attempt} failed")


def _plain(
    _runtime: Runtime, _uow: UnitOfWork, event: Any, _at: datetime
) -> tuple[str, bytes, dict[str, str]]:
    return (
        event.target_url,
        (event.body or "").encode(),
        {"Content-Type": event.content_type or "application/json"},
    )


def install(runtime: Runtime) -> None:
    runtime.register(DELIVER, deliver)
