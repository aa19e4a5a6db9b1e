"""The licence inventory as a person sees it in headless Chromium (issue 4, item 11)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.factories import a_provider
from tollhouse.domain.licences import Duration
from tollhouse.services import clocks
from tollhouse.services import licence_codes as codes
from tollhouse.services import licence_orders as orders

pytestmark = pytest.mark.browser


def test_inventory_highlights_licences_with_7_days_or_less(live_server: LiveServer,
                                                           page: Any) -> None:
    # given wwcorpA with a 1-month code for u1 and a 12-month code for u2
    runtime = live_server.runtime
    a_provider(runtime)
    short = orders.create_new_order(runtime, "wwprov", orders.NewOrder(
        "wwcorpA", "admin1", 1, 0, Duration(1)))
    orders.pay_order(runtime, "wwprov", short.order_id)
    long = orders.create_new_order(runtime, "wwprov", orders.NewOrder(
        "wwcorpA", "admin1", 1, 0, Duration(12)))
    orders.pay_order(runtime, "wwprov", long.order_id)
    with runtime.uow() as uow:
        short_code = uow.licences.order_codes(short.order_id, after=None, limit=1)[0]
        long_code = uow.licences.order_codes(long.order_id, after=None, limit=1)[0]
    codes.activate(runtime, "wwprov", "wwcorpA", short_code["active_code"], "u1")
    codes.activate(runtime, "wwprov", "wwcorpA", long_code["active_code"], "u2")
    # when 25 days pass (u1 has 6 days left) and the operator opens the inventory
    with runtime.uow(readonly=True) as uow:
        now = clocks.tenant_now(runtime, uow, "wecom:wwprov")
    clocks.move_clock(runtime, "wecom:wwprov", now + timedelta(days=25))
    page.goto(f"{live_server.url}/dashboard/licences/codes?provider=wwprov&corpid=wwcorpA")
    # then u1's row is highlighted with 6 days left and u2's is not
    u1 = page.locator("#licences tr[data-userid=u1]")
    u2 = page.locator("#licences tr[data-userid=u2]")
    assert "soon" in (u1.get_attribute("class") or "")
    assert "6" in u1.locator("td.num").inner_text()
    assert "soon" not in (u2.get_attribute("class") or "")
    highlighted = u1.evaluate("row => getComputedStyle(row).backgroundColor")
    plain = u2.evaluate("row => getComputedStyle(row).backgroundColor")
    assert highlighted != plain  # a person sees the colour, not only the class
