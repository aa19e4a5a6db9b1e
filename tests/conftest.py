"""Shared fixtures: database engines (SQLite always; PostgreSQL when configured), runtimes with
a manual clock and a recording callback sender, and an HTTP client through the ASGI app."""

from __future__ import annotations

import os
import shutil
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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test starts from a copy (a file copy is
    ~1 ms, running the migrations ~300 ms)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    if path.with_name(path.name + "-wal").exists():
        pytest.fail("the SQLite template still has a WAL file; its copy would miss data")
    return path


def _engine(kind: str, tmp_path: Path, template: str | Path | None) -> Iterator[Engine]:
    if kind == "sqlite":
        target = tmp_path / "test.sqlite3"
        if isinstance(template, Path):
            shutil.copyfile(template, target)
        engine = make_engine(f"sqlite:///{target}")
        if not isinstance(template, Path):
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
           postgres_template: str | None, sqlite_template: Path) -> Iterator[Engine]:
    template = sqlite_template if request.param == "sqlite" else postgres_template
    yield from _engine(request.param, tmp_path, template)


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    yield from _engine("sqlite", tmp_path, sqlite_template)


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
