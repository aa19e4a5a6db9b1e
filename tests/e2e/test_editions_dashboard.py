"""The editions dashboard: strategy editor (inline errors, live price preview) and orders."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ADMIN_KEY
from tests.e2e.conftest import LiveServer
from tests.e2e.editions_support import SPEC_STRATEGY, Editions

FEB_2024 = 1706781600
X1_PAID = 1709258400


def test_orders_page_shows_the_credit_line(runtime: Any, client: Any) -> None:
    shop = Editions(runtime, client, clock_now=FEB_2024)
    shop.live()
    shop.clock(X1_PAID)
    shop.buy(order_type=0, edition_id="std-y", user_count=37, cycles=1)
    shop.clock(X1_PAID + 265 * 86400)
    shop.buy(order_type=1, user_count=50)
    client.cookies.set("tollhouse_key", ADMIN_KEY)
    page = client.get("/dashboard/editions/orders", params={"app_id": shop.app_id}).text
    assert "value credit -¥2,017.26" in page  # 736 300 × 100 / 365 = 201 726.03 fen
    assert "new plan value ¥2,726.03" in page  # 995 000 × 100 / 365 = 272 602.74 fen
    assert "¥708.77" in page
    assert "expansion" in page


def test_strategy_editor_without_js_shows_errors_and_keeps_the_saved_version(
        runtime: Any, client: Any) -> None:
    shop = Editions(runtime, client, clock_now=FEB_2024)
    shop.live()
    client.cookies.set("tollhouse_key", ADMIN_KEY)
    body = json.loads(json.dumps(SPEC_STRATEGY))
    body["editions"][3]["discount"]["rows"][0]["rate_percent"] = 69
    page = client.post("/dashboard/editions/strategy", data={
        "app_id": shop.app_id, "strategy": json.dumps(body), "headcounts": "10"}).text
    assert "discount_below_floor" in page
    assert "editions[3].discount.rows[0]" in page
    assert shop.client.get(shop.url("/strategy"), headers=shop.vendor_key).json()["version"] == 1


@pytest.mark.browser
def test_strategy_editor_live_preview_and_inline_error(live_server: LiveServer,
                                                       page: Any) -> None:
    from tollhouse.services import editions as svc  # noqa: PLC0415

    runtime = live_server.runtime
    svc.create_vendor(runtime, "wwvendor", clock_now=live_server.clock.now())
    svc.add_suite(runtime, "wwvendor", "suite1", "s")
    app = svc.create_app(runtime, "wwvendor", suite_id="suite1", corpid="wwcorpA")
    svc.put_strategy(runtime, app["app_id"], SPEC_STRATEGY)
    page.click("text=Edition strategy")
    page.wait_for_selector("table.price-table")
    std = page.locator("table.price-table[data-edition=std-y]")
    assert std.locator("tbody tr").count() == 12
    # X1: 37 people × 1 year = 736 300 fen; X8: 500 people hit the 5 000 000 fen cap
    row_37 = std.locator("tbody tr", has_text="37").first.inner_text().split()
    assert row_37[:2] == ["37", "¥7,363.00"]
    assert "headcount_below_min" in std.locator("tbody tr").first.inner_text()
    # the vendor lowers a discount below the floor: the error shows inline, without saving
    text = page.input_value("#strategy").replace('"rate_percent": 70', '"rate_percent": 69')
    page.fill("#strategy", text)
    page.wait_for_selector("#errors li.error")
    assert "discount_below_floor" in page.locator("#errors").inner_text()
    assert "editions[3].discount.rows[0]" in page.locator("#errors").inner_text()
    assert page.locator("table.price-table").count() == 0
    page.click("text=Save strategy")
    page.wait_for_selector("#errors li.error")
    assert svc.get_strategy(runtime, app["app_id"])["version"] == 1
    # fixing it brings the preview back
    page.fill("#strategy", text.replace('"rate_percent": 69', '"rate_percent": 75'))
    page.wait_for_selector("#no-errors")
    page.wait_for_selector("table.price-table[data-edition=promo-y]")
    page.fill("#headcounts", "10")
    page.wait_for_function("document.querySelectorAll('table.price-table tbody tr').length == 6")
    promo = page.locator("table.price-table[data-edition=promo-y] tbody tr").first
    assert promo.inner_text().split()[:4] == ["10", "¥1,990.00", "¥3,980.00", "¥4,477.50"]
    page.click("text=Save strategy")
    page.wait_for_selector("text=Saved version 2")
