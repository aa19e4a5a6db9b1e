"""Tenant clocks: sandbox tenants have a test clock that only moves forward once the tenant has
activity; advancing it runs everything that falls due in between, in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tollhouse.domain.errors import NotFound, Refused
from tollhouse.domain.periods import utc
from tollhouse.services.runtime import Runtime, UnitOfWork


class UnknownTenant(NotFound):
    code = "tenants.unknown"

    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"tenant {tenant_id!r} does not exist; create it first, or check the id")


class ProductionClock(Refused):
    code = "sandbox.production_tenant"

    def __init__(self, tenant_id: str) -> None:
        super().__init__(
            f"tenant {tenant_id!r} is a production tenant and uses the real clock; "
            "only sandbox tenants have a test clock"
        )


class ClockBackwards(Refused):
    code = "sandbox.clock_backwards"

    def __init__(self, tenant_id: str, current: datetime, wanted: datetime) -> None:
        super().__init__(
            f"tenant {tenant_id!r} has recorded activity, so its clock only moves "
            f"forward: it is {current.isoformat()}, asked for {wanted.isoformat()}"
        )


@dataclass(frozen=True, slots=True)
class FixedClock:
    instant: datetime

    def now(self) -> datetime:
        return self.instant


def tenant_state(runtime: Runtime, uow: UnitOfWork, tenant_id: str) -> tuple[datetime, Any]:
    """The tenant's now (its test clock, or the real clock) and its row."""
    tenant = uow.tenants.get(tenant_id)
    if tenant is None:
        raise UnknownTenant(tenant_id)
    if tenant.sandbox and tenant.clock_now is not None:
        return tenant.clock_now, tenant
    return runtime.system_clock.now(), tenant


def tenant_now(runtime: Runtime, uow: UnitOfWork, tenant_id: str) -> datetime:
    """The instant at which the tenant's rules evaluate now."""
    return tenant_state(runtime, uow, tenant_id)[0]


@dataclass(frozen=True, slots=True)
class ClockMove:
    tenant_id: str
    now: datetime
    ran: list[dict[str, str]]


def move_clock(runtime: Runtime, tenant_id: str, to: datetime) -> ClockMove:
    """Set or advance a sandbox tenant's clock, running what falls due on the way."""
    target = utc(to)
    with runtime.uow() as uow:
        uow.lock_tenant(tenant_id)
        tenant = uow.tenants.get(tenant_id)
        if tenant is None:
            raise UnknownTenant(tenant_id)
        if not tenant.sandbox:
            raise ProductionClock(tenant_id)
        current = tenant.clock_now
        if current is not None and target < current and tenant.has_activity:
            raise ClockBackwards(tenant_id, current, target)
        if current is None or target < current:
            uow.tenants.set_clock(tenant_id, target)
            uow.commit()
            return ClockMove(tenant_id, target, [])
    ran = run_due(runtime, tenant_id, until=target, move_clock=True)
    with runtime.uow() as uow:
        uow.tenants.set_clock(tenant_id, target)
        uow.commit()
    return ClockMove(tenant_id, target, ran)


def run_due(
    runtime: Runtime,
    tenant_id: str,
    *,
    until: datetime,
    move_clock: bool = False,
    limit: int = 100_000,
) -> list[dict[str, str]]:
    """Run the tenant's due tasks up to `until`, each in its own transaction, in time order."""
    ran: list[dict[str, str]] = []
    for _ in range(limit):
        with runtime.uow() as uow:
            uow.lock_tenant(tenant_id)
            task = uow.tasks.next_due(tenant_id, until=until)
            if task is None:
                break
            if move_clock:
                uow.tenants.set_clock(tenant_id, task.due_at)
            handler = runtime.handlers.get(task.kind)
            outcome = (
                "no handler"
                if handler is None
                else handler(runtime, uow, task.payload, task.due_at)
            )
            uow.tasks.mark_done(task.id, at=task.due_at)
            uow.commit()
        ran.append({"at": task.due_at.isoformat(), "kind": task.kind, "outcome": outcome})
    return ran


def run_all_due(runtime: Runtime) -> int:
    """The worker's tick: run every tenant's tasks that are due at that tenant's own now."""
    with runtime.uow(readonly=True) as uow:
        tenant_ids = uow.tasks.tenants_with_pending()
        nows = {
            tid: tenant_now(runtime, uow, tid)
            for tid in tenant_ids
            if uow.tenants.get(tid) is not None
        }
    return sum(len(run_due(runtime, tid, until=now)) for tid, now in nows.items())
