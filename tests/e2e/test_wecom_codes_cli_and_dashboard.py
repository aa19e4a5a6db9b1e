"""Activation codes through the CLI (`tollhouse codes …`) and the dashboard pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import ADMIN_KEY
from tests.factories import SPEC_NOW, a_provider
from tollhouse.cli import context
from tollhouse.cli.main import app
from tollhouse.domain.licences import Duration
from tollhouse.services import licence_codes as codes
from tollhouse.services import licence_orders as orders

CORP = "wwcorpA"


def _buy(runtime: Any, count: int) -> list[str]:
    order = orders.create_new_order(runtime, "wwprov", orders.NewOrder(
        CORP, "admin1", count, 0, Duration(1, 0)))
    orders.pay_order(runtime, "wwprov", order.order_id)
    with runtime.uow(readonly=True) as uow:
        return [r["active_code"] for r in uow.licences.order_codes(order.order_id, after=None,
                                                                     limit=count)]


@pytest.fixture
def cli(sqlite_runtime: Any) -> Iterator[CliRunner]:
    a_provider(sqlite_runtime)
    context.set_runtime(sqlite_runtime)
    yield CliRunner()
    context.set_runtime(None)


def test_cli_activates_transfers_and_lists_expiring_licences(cli: CliRunner,
                                                             sqlite_runtime: Any) -> None:
    first, _ = _buy(sqlite_runtime, 2)
    done = cli.invoke(app, ["codes", "activate", "wwprov", CORP, "u1", "--code", first])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["userid"] == "u1"
    by_type = cli.invoke(app, ["codes", "activate", "wwprov", CORP, "u2", "--type", "1"])
    assert by_type.exit_code == 0, by_type.output
    refused = cli.invoke(app, ["codes", "activate", "wwprov", CORP, "u3", "--type", "1"])
    assert refused.exit_code == 1
    assert "wecom.licences.701915" in refused.output
    moved = cli.invoke(app, ["codes", "transfer", "wwprov", CORP, "u1", "u3"])
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)["transfer_result"][0]["errcode"] == 0
    none_yet = cli.invoke(app, ["codes", "expiring", "wwprov", "--json"])
    assert json.loads(none_yet.stdout)["expiring"] == []
    soon = cli.invoke(app, ["codes", "expiring", "wwprov", "--within", "31", "--json"])
    listed = json.loads(soon.stdout)["expiring"]
    assert sorted(row["userid"] for row in listed) == ["u2", "u3"]
    table = cli.invoke(app, ["codes", "expiring", "wwprov", "--within", "31"])
    assert "u3" in table.output
    assert cli.invoke(app, ["codes", "activate", "wwprov", CORP, "u4"]).exit_code == 2


def test_dashboard_inventory_colours_licences_with_7_days_or_less(client: Any,
                                                                  runtime: Any) -> None:
    a_provider(runtime)
    soon, later, _ = _buy(runtime, 3)
    codes.activate(runtime, "wwprov", CORP, soon, "u1")
    with runtime.uow() as uow:
        uow.tenants.set_clock("wecom:wwprov", SPEC_NOW + timedelta(days=10))
        uow.commit()
    codes.activate(runtime, "wwprov", CORP, later, "u2")
    with runtime.uow() as uow:
        uow.tenants.set_clock("wecom:wwprov", SPEC_NOW + timedelta(days=25))
        uow.commit()
    assert client.get("/dashboard/licences/codes", follow_redirects=False).status_code == 303
    client.cookies.set("tollhouse_key", ADMIN_KEY)
    page = client.get("/dashboard/licences/codes", params={"provider": "wwprov",
                                                            "corpid": CORP})
    assert page.status_code == 200
    html = page.text
    assert 'class="soon" data-userid="u1"' in html  # 6 days left
    assert 'class="" data-userid="u2"' in html  # 16 days left
    assert 'data-userid="u5"' in html  # members with no licence are listed
    assert "basic 1" in html  # the unbound code
    assert 'href="/dashboard/licences/timeline"' in html  # registered in the navigation
    timeline = client.get("/dashboard/licences/timeline", params={"provider": "wwprov",
                                                                   "corpid": CORP})
    assert timeline.status_code == 200
    assert "2024-06-06" in timeline.text
    assert "2024-06-16" in timeline.text
