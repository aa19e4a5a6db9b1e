"""Races on activation codes: concurrent commands on one code or one licence, exactly one wins
(spec wecom-licences L40, L45; SQLite file database and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.factories import a_provider
from tollhouse.domain.errors import PlatformRuleViolation
from tollhouse.domain.licences import Duration
from tollhouse.services import licence_codes as codes
from tollhouse.services import licence_orders as orders
from tollhouse.services import licence_setup as setup

CORP = "wwcorpA"
RACERS = 50


def _codes(runtime: Any, count: int, months: int = 1) -> list[str]:
    order = orders.create_new_order(runtime, "wwprov", orders.NewOrder(
        CORP, "admin1", count, 0, Duration(months, 0)))
    orders.pay_order(runtime, "wwprov", order.order_id)
    with runtime.uow(readonly=True) as uow:
        rows = uow.licences.order_codes(order.order_id, after=None, limit=count)
    return [r["active_code"] for r in rows]


def _setup(runtime: Any) -> None:
    a_provider(runtime)
    setup.save_corp(runtime, "wwprov", CORP,
                    members=[{"userid": f"m{i}"} for i in range(RACERS + 1)])


def _race(calls: list[Any]) -> list[int]:
    def run(call: Any) -> int:
        try:
            call()
        except PlatformRuleViolation as refused:
            return int(refused.errcode)
        return 0

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(run, calls))


def test_L40_fifty_concurrent_activations_of_one_code_bind_it_exactly_once(runtime: Any) -> None:
    _setup(runtime)
    code = _codes(runtime, 1)[0]
    outcomes = _race([
        (lambda i=i: codes.activate(runtime, "wwprov", CORP, code, f"m{i}"))
        for i in range(RACERS)])
    assert outcomes.count(0) == 1
    assert set(outcomes) == {0, 701003}
    winner = f"m{outcomes.index(0)}"
    with runtime.uow(readonly=True) as uow:
        held = uow.codes.get("wwprov", code)
    assert held.userid == winner
    for i in range(RACERS):
        info = codes.user_info(runtime, "wwprov", CORP, f"m{i}")
        assert info.active_status == (1 if f"m{i}" == winner else 0)


def test_L45_fifty_concurrent_transfers_of_one_licence_move_it_exactly_once(runtime: Any) -> None:
    _setup(runtime)
    code = _codes(runtime, 1, months=3)[0]
    codes.activate(runtime, "wwprov", CORP, code, f"m{RACERS}")
    outcomes = _race([
        (lambda i=i: codes.transfer(runtime, "wwprov", CORP, [(f"m{RACERS}", f"m{i}")]))
        for i in range(RACERS)])
    assert outcomes.count(0) == 1
    assert set(outcomes) == {0, 701024}  # the pair failed: the handover holds nothing now
    with runtime.uow(readonly=True) as uow:
        moved = uow.codes.get("wwprov", code)
    assert moved.userid == f"m{outcomes.index(0)}"
    assert moved.last_in_service_transfer_at is not None


def test_L41_batch_of_1000_activations_applies_in_one_transaction(runtime: Any) -> None:
    a_provider(runtime)
    setup.save_corp(runtime, "wwprov", CORP, members=[{"userid": f"b{i}"} for i in range(1000)])
    batch = _codes(runtime, 1000)
    outcome = codes.batch_activate_codes(runtime, "wwprov", CORP,
                                         [(c, f"b{i}") for i, c in enumerate(batch)])
    assert outcome.errcode == 0
    assert {r.errcode for r in outcome.results} == {0}
    page = codes.list_active(runtime, "wwprov", CORP, cursor=None, limit=1000)
    assert len(page.codes) == 1000
