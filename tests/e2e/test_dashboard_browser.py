"""The dashboard as a person sees it, in headless Chromium (issue: foundation, item 9)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.factories import a_provider
from tollhouse.services import licence_orders as orders
from tollhouse.domain.licences import Duration

pytestmark = pytest.mark.browser


def test_login_is_required_and_a_wrong_key_is_refused(live_server: LiveServer, page: Any) -> None:
    page.click("text=Sign out")
    page.goto(f"{live_server.url}/dashboard/licences/orders")
    assert page.url.endswith("/dashboard/login")
    page.fill("#key", "thk_wrong")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "That key is not valid"


def test_orders_page_lists_orders_with_status_and_price(live_server: LiveServer, page: Any) -> None:
    # given a provider with one paid and one unpaid order
    a_provider(live_server.runtime)
    paid = orders.create_new_order(live_server.runtime, "wwprov", orders.NewOrder(
        "wwcorpA", "admin1", 5, 0, Duration(12)))
    orders.pay_order(live_server.runtime, "wwprov", paid.order_id)
    orders.create_new_order(live_server.runtime, "wwprov", orders.NewOrder(
        "wwcorpA", "admin1", 0, 7, Duration(2, 20)))
    # when the operator opens the orders page
    page.click("text=Licence orders")
    rows = page.locator("#orders tbody tr")
    # then both orders show, with their state and price in yuan
    assert rows.count() == 2
    text = page.locator("#orders").inner_text()
    assert "paid" in text
    assert "awaiting payment" in text
    assert "¥25.00" in text  # 5 × 500 fen
    assert "¥77.15" in text  # 7 × 5 000 × 82 / 372 = 7 715 fen (W20)


def test_fee_calculator_shows_every_tier_line(live_server: LiveServer, page: Any) -> None:
    a_provider(live_server.runtime)
    page.click("text=Fee calculator")
    page.select_option("select[name=provider]", "wwprov")
    page.wait_for_load_state()
    page.select_option("select[name=corpid]", "wwcorpA")
    page.select_option("select[name=profile]", "caoliao")
    page.select_option("select[name=kind]", "first")
    page.fill("input[name=base_count]", "10000")
    page.fill("input[name=months]", "12")
    page.click("text=Calculate")
    # W21: 5×500 + 195×400 + 300×300 + 500×200 + 9 000×100 = 1 170 500 fen
    assert page.locator("#total").inner_text() == "¥11,705.00"
    tiers = page.locator("table.tiers tbody tr")
    assert tiers.count() == 5
    assert tiers.nth(4).inner_text().split() == ["1001–10000", "9000", "¥1.00"]
    page.fill("input[name=base_count]", "10001")
    page.click("text=Calculate")
    assert "Custom quote required from position 10001" in page.locator("#quote").inner_text()
