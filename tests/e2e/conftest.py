"""A live server (uvicorn in a thread on 127.0.0.1) and a headless Chromium page for browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import ADMIN_KEY, make_runtime
from tollhouse.adapters.callbacks.http_sender import RecordingCallbackSender
from tollhouse.adapters.clock import ManualClock
from tollhouse.adapters.db.engine import make_engine
from tollhouse.adapters.db.migrate import upgrade
from tollhouse.bootstrap import build_app
from tollhouse.services.runtime import Runtime

CHROMIUM = os.environ.get("TOLLHOUSE_CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    runtime: Runtime
    clock: ManualClock
    sender: RecordingCallbackSender


@pytest.fixture
def live_server(tmp_path: Path, clock: ManualClock,
                sender: RecordingCallbackSender) -> Iterator[LiveServer]:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    upgrade(engine)
    runtime = make_runtime(engine, clock, sender)
    app = build_app(runtime.settings, runtime=runtime, worker=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the test server did not start within 10 s")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", runtime, clock, sender)
    server.should_exit = True
    thread.join(timeout=5)
    engine.dispose()


@pytest.fixture
def page(live_server: LiveServer, tmp_path: Path) -> Iterator[Any]:
    """A Playwright page in Debian's Chromium, already signed in with the operator key."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.goto(f"{live_server.url}/dashboard/login")
        tab.fill("#key", ADMIN_KEY)
        tab.click("button[type=submit]")
        tab.wait_for_url(f"{live_server.url}/dashboard/")
        yield tab
        context.close()
        browser.close()
