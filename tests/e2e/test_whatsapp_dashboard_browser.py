"""The WhatsApp dashboard in headless Chromium: daily cost chart, budget, top markets, unrated
items with reasons, and the statement view (issue 7, item 7)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.whatsapp_client import body, message, sign
from tollhouse.services import whatsapp as setup
from tollhouse.services import whatsapp_billing as billing
from tollhouse.services import whatsapp_ingest as ingest

pytestmark = pytest.mark.browser


def a_month_of_usage(live: LiveServer) -> None:
    runtime = live.runtime
    setup.add_app(runtime, app_id="app1", app_secret="s", verify_token="v")
    setup.create_account(runtime, setup.NewAccount("acme", "Acme Ltd", "UTC", ["USD"], True,
                                                   None))
    setup.create_waba(runtime, {"waba_id": "W1", "billing_account": "acme", "currency": "USD",
                                "time_zone": "UTC", "phone_numbers": [{"phone_number_id": "P1"}]})
    billing.create_budget(runtime, {"billing_account": "acme", "currency": "USD", "amount": 20,
                                    "thresholds": [50, 80, 100], "basis": "meta"})
    statuses = (message("m1", "2026-02-03 09:00", "5511912345678", "marketing")
                + message("m2", "2026-02-04 09:00", "5511912345678", "marketing")
                + message("m3", "2026-02-04 10:00", "919876543210", "utility")
                + message("m4", "2026-02-05 10:00", "4917012345678", "mystery"))
    raw = json.dumps(body("W1", "P1", statuses)).encode()
    ingest.ingest_webhook(runtime, raw, sign(raw, "s"))


def test_usage_page_shows_chart_budget_markets_unrated_and_statement(
    live_server: LiveServer, page: Any
) -> None:
    a_month_of_usage(live_server)
    page.click("text=WhatsApp usage")
    page.goto(f"{live_server.url}/dashboard/whatsapp?account=acme&month=2026-02")
    # the chart has one coloured segment per (day, category) with a cost
    assert page.locator("#daily-chart rect.segment").count() == 3
    # 0.1264 of USD 0.20 spent: 63 %
    assert page.locator("#budget .percent").inner_text() == "63 %"
    first_market = page.locator("#markets tbody tr").first.inner_text()
    assert first_market.startswith("Brazil")
    assert "mystery" in page.locator("#unrated").inner_text()
    assert page.locator("#statement-total").inner_text() == "USD 0.13"
    # the statement view
    page.click("text=Statement for 2026-02")
    rows = page.locator("#statement tbody tr")
    assert rows.count() == 2
    assert "India" in rows.nth(0).inner_text() or "India" in rows.nth(1).inner_text()
