"""Two concurrent plan changes on one subscription: one wins, the other is told to re-quote."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.e2e.editions_support import Editions
from tollhouse.domain.errors import TollhouseError
from tollhouse.services import editions as svc

FEB_2024 = 1706781600
X1_PAID = 1709258400


def race(runtime: Any, app_id: str, requests: list[svc.OrderRequest]) -> list[Any]:
    barrier = threading.Barrier(len(requests))
    results: list[Any] = [None] * len(requests)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = svc.create_order(runtime, app_id, requests[index])
        except TollhouseError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _shop(runtime: Any, client: Any) -> Editions:
    editions = Editions(runtime, client, clock_now=FEB_2024)
    editions.live()
    editions.clock(X1_PAID)
    editions.buy(order_type=0, edition_id="std-y", user_count=37, cycles=1)
    editions.clock(X1_PAID + 100 * 86400)
    return editions


def _check(runtime: Any, editions: Editions, results: list[Any]) -> None:
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, TollhouseError)]
    assert len(won) == 1, results
    assert len(lost) == 1, results
    assert lost[0].code == "wecom.editions.plan_changed"
    assert "re-quote" in lost[0].message
    listed = svc.list_orders(runtime, editions.app_id, status=0)
    assert [o["order_id"] for o in listed["orders"]] == [won[0]["order_id"]]
    paid = editions.pay(won[0]["order_id"])
    assert paid.status_code == 200, paid.json()


def test_concurrent_plan_changes_on_file_sqlite(sqlite_runtime: Any) -> None:
    from fastapi.testclient import TestClient  # noqa: PLC0415

    from tollhouse.bootstrap import build_app  # noqa: PLC0415

    with TestClient(build_app(sqlite_runtime.settings, runtime=sqlite_runtime,
                              worker=False)) as client:
        editions = _shop(sqlite_runtime, client)
        version = editions.quote(order_type=1, user_count=50).json()["plan_version"]
        results = race(sqlite_runtime, editions.app_id, [
            svc.OrderRequest(order_type=1, user_count=50, plan_version=version),
            svc.OrderRequest(order_type=3, edition_id="promo-y", plan_version=version)])
        _check(sqlite_runtime, editions, results)


@pytest.mark.postgres
def test_concurrent_plan_changes_on_both_engines(runtime: Any, client: Any) -> None:
    editions = _shop(runtime, client)
    version = editions.quote(order_type=1, user_count=50).json()["plan_version"]
    results = race(runtime, editions.app_id, [
        svc.OrderRequest(order_type=1, user_count=60, plan_version=version),
        svc.OrderRequest(order_type=1, user_count=70, plan_version=version)])
    _check(runtime, editions, results)


def test_an_order_priced_before_another_payment_is_told_to_requote(runtime: Any,
                                                                   client: Any) -> None:
    editions = _shop(runtime, client)
    quoted = editions.quote(order_type=1, user_count=50).json()
    first = editions.order(order_type=1, user_count=50, plan_version=quoted["plan_version"])
    assert first.status_code == 201
    stale = editions.order(order_type=1, user_count=60, plan_version=quoted["plan_version"])
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "wecom.editions.plan_changed"
