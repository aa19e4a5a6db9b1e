"""What every use case needs: a unit-of-work factory, the system clock, the callback sender and
the registry of due-task handlers and delivery signers. Built once by ``bootstrap``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Self

from tollhouse.services.ports import CallbackSender, Clock


class UnitOfWork(Protocol):
    """The unit of work the services use (see adapters/db/uow.py)."""

    tenants: Any
    api_keys: Any
    idempotency: Any
    events: Any
    tasks: Any
    licences: Any
    codes: Any
    editions: Any
    massend: Any
    whatsapp: Any

    def __enter__(self) -> Self: ...
    def __exit__(self, *args: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def lock_tenant(self, tenant_id: str) -> None: ...


# A due-task handler runs inside its own unit of work at the task's instant and says what it did.
TaskHandler = Callable[["Runtime", UnitOfWork, dict[str, Any], datetime], str]
# A signer turns a stored event into (url, body, headers) for one delivery attempt.
Signer = Callable[["Runtime", UnitOfWork, Any, datetime], tuple[str, bytes, dict[str, str]]]
# A success test reads the receiver's answer (WeCom wants the body "success").
SuccessTest = Callable[[int | None, str], bool]


@dataclass
class Runtime:
    uow_factory: Callable[..., UnitOfWork]
    system_clock: Clock
    sender: CallbackSender
    settings: Any = None
    handlers: dict[str, TaskHandler] = field(default_factory=dict)
    signers: dict[str, Signer] = field(default_factory=dict)
    success_tests: dict[str, SuccessTest] = field(default_factory=dict)
    retry_schedule_s: tuple[int, ...] = (5, 30, 120, 600, 1800, 3600, 10800, 21600)
    extras: dict[str, Any] = field(default_factory=dict)

    def uow(self, *, readonly: bool = False) -> UnitOfWork:
        return self.uow_factory(readonly=readonly)

    def register(self, kind: str, handler: TaskHandler) -> None:
        self.handlers[kind] = handler
