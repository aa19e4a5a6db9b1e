"""The one wiring point: settings → engine, unit of work, clock, callbacks, app, worker."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from tollhouse.adapters.callbacks import wecom_crypto
from tollhouse.adapters.callbacks.http_sender import HttpxCallbackSender
from tollhouse.adapters.clock import SystemClock
from tollhouse.adapters.db.engine import make_engine
from tollhouse.adapters.db.migrate import upgrade
from tollhouse.adapters.db.uow import SqlUnitOfWork
from tollhouse.config import Settings
from tollhouse.services import (
    clocks,
    editions,
    events,
    licence_codes,
    licence_orders,
    massend,
    wecom_callbacks,
    whatsapp,
)
from tollhouse.services.ports import CallbackSender, Clock
from tollhouse.services.runtime import Runtime

log = logging.getLogger("tollhouse")


def build_runtime(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    sender: CallbackSender | None = None,
    migrate: bool = True,
) -> Runtime:
    settings = settings or Settings()
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)

    def uow_factory(*, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, readonly=readonly)

    runtime = Runtime(
        uow_factory=uow_factory,  # type: ignore[arg-type]
        system_clock=clock or SystemClock(),
        sender=sender or HttpxCallbackSender(timeout_s=settings.callback_timeout_s),
        settings=settings,
    )
    runtime.extras["engine"] = engine
    runtime.extras["admin_key"] = settings.admin_key
    runtime.extras["wecom_crypto"] = wecom_crypto
    for install in INSTALLERS:
        install(runtime)
    return runtime


INSTALLERS: list[Callable[[Runtime], None]] = [
    events.install,
    wecom_callbacks.install,
    licence_orders.install,
    licence_codes.install,
    editions.install,
    massend.install,
    whatsapp.install,
]


@dataclass
class Worker:
    """Runs due tasks (deliveries, expiries, reminders) for every tenant in the background."""

    runtime: Runtime
    interval_s: float
    _stop: threading.Event | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tollhouse-worker", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        assert self._stop is not None  # noqa: S101 - set by start()
        while not self._stop.wait(self.interval_s):
            try:
                clocks.run_all_due(self.runtime)
            except Exception:
                log.exception("worker tick failed; retrying at the next tick")

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def build_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, worker: bool | None = None
) -> FastAPI:
    from tollhouse.api.app import create_app  # noqa: PLC0415
    from tollhouse.dashboard import app as pages  # noqa: PLC0415
    from tollhouse.dashboard import editions as edition_pages  # noqa: PLC0415
    from tollhouse.dashboard import licence_codes as code_pages  # noqa: PLC0415
    from tollhouse.dashboard import massend as wechat_pages  # noqa: PLC0415
    from tollhouse.dashboard import whatsapp as whatsapp_pages  # noqa: PLC0415

    settings = settings or Settings()
    runtime = runtime or build_runtime(settings)
    app = create_app(
        runtime,
        extra_routers=[
            module.router(runtime)
            for module in (code_pages, edition_pages, wechat_pages, whatsapp_pages)
        ]
        + [pages.create_router(runtime)],
    )
    run_worker = settings.run_worker if worker is None else worker
    background = Worker(runtime, settings.worker_interval_s)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            background.start()
        yield
        background.stop()

    app.router.lifespan_context = lifespan
    app.state.runtime = runtime
    return app


def runtime_of(app: Any) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime
