"""Shared fixtures: database engines (SQLite always; PostgreSQL when configured), runtimes with
a manual clock and a recording callback sender, and an HTTP client through the ASGI app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tollhouse.adapters.callbacks.http_sender import RecordingCallbackSender
from tollhouse.adapters.clock import ManualClock
from tollhouse.adapters.db.engine import make_engine, normalise_url
from tollhouse.adapters.db.migrate import upgrade
from tollhouse.bootstrap import build_app, build_runtime
from tollhouse.config import Settings
from tollhouse.services.runtime import Runtime

POSTGRES_URL = os.environ.get("TOLLHOUSE_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("TOLLHOUSE_REQUIRE_POSTGRES") == "1"
ADMIN_KEY = "thk_test_admin"
WALL = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)


def _postgres_template() -> str:
    """Create (once per session) a migrated template database; tests clone it."""
    assert POSTGRES_URL is not None
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"tollhouse_tpl_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    template = make_engine(_with_db(POSTGRES_URL, name))
    upgrade(template)
    template.dispose()
    admin.dispose()
    return name


def _with_db(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    return make_url(normalise_url(url)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template() -> str | None:
    if POSTGRES_URL is None:
        return None
    return _postgres_template()


def _engine(kind: str, tmp_path: Path, template: str | None) -> Iterator[Engine]:
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    if POSTGRES_URL is None or template is None:
        if REQUIRE_POSTGRES:
            pytest.fail("TOLLHOUSE_REQUIRE_POSTGRES=1 but TOLLHOUSE_TEST_POSTGRES_URL is unset")
        pytest.skip("PostgreSQL not configured: set TOLLHOUSE_TEST_POSTGRES_URL")
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine = make_engine(_with_db(POSTGRES_URL, name))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path,
           postgres_template: str | None) -> Iterator[Engine]:
    yield from _engine(request.param, tmp_path, postgres_template)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    yield from _engine("sqlite", tmp_path, None)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(WALL)


@pytest.fixture
def sender() -> RecordingCallbackSender:
    return RecordingCallbackSender()


def make_runtime(engine: Engine, clock: ManualClock, sender: RecordingCallbackSender) -> Runtime:
    settings = Settings(database_url=str(engine.url), admin_key=ADMIN_KEY, run_worker=False)
    return build_runtime(settings, engine=engine, clock=clock, sender=sender, migrate=False)


@pytest.fixture
def runtime(engine: Engine, clock: ManualClock, sender: RecordingCallbackSender) -> Runtime:
    return make_runtime(engine, clock, sender)


@pytest.fixture
def sqlite_runtime(sqlite_engine: Engine, clock: ManualClock,
                   sender: RecordingCallbackSender) -> Runtime:
    return make_runtime(sqlite_engine, clock, sender)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[object]:
    from fastapi.testclient import TestClient  # noqa: PLC0415

    app = build_app(runtime.settings, runtime=runtime, worker=False)
    with TestClient(app) as test_client:
        yield test_client
