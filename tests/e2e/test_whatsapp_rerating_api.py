# ruff: noqa: ISC002 - CSV literals span lines
"""Re-rating of open months after a rate-card import, through HTTP (R-RT-4, D-5, R-RC-*)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.whatsapp_client import ADMIN, WhatsApp, message
from tollhouse.adapters.db import tables_whatsapp as w
from tollhouse.services.runtime import Runtime

BRAZIL = "5511912345678"
HEADER = "effective_from,currency,market,category,rate,tier_from,tier_to\n"


@pytest.fixture
def wa(client: Any) -> WhatsApp:
    return WhatsApp(client, now="2026-02-01T00:00:00+00:00")


def charges(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.uow(readonly=True) as uow:
        return uow.whatsapp.charges(account="acme")


def card(wa: WhatsApp, text: str) -> None:
    response = wa.client.post("/v1/whatsapp/rate-cards", headers={
        **ADMIN, "Content-Type": "text/csv"}, content=text.encode())
    assert response.status_code in (200, 201), response.json()


def marketing(statement: dict[str, Any], section: str) -> list[tuple[Any, ...]]:
    return [(line["quantity"], line["unit_rate"], line["amount_exact"], line["original_month"])
            for line in statement["lines"]
            if line["section"] == section and line["category"] == "marketing"]


CARD_A = HEADER + "2026-02-01,USD,Brazil,marketing,0.0700,,\n"
CARD_B = HEADER + "2026-02-08,USD,Brazil,marketing,0.0850,,\n"


def test_R_RT_4_a_card_import_re_rates_an_open_month_as_an_adjustment_line(
    wa: WhatsApp, runtime: Runtime
) -> None:
    # given ten marketing messages on 2026-02-10, rated at card A's 0.0700
    card(wa, CARD_A)
    wa.send([s for i in range(10) for s in message(f"m{i}", "2026-02-10 00:00", BRAZIL,
                                                     "marketing")])
    before = charges(runtime)
    assert {c["unit_rate"] for c in before} == {Decimal("0.07")}
    # when card B (0.0850 from 2026-02-08) is imported while February is a draft
    card(wa, CARD_B)
    # then the originals are unchanged, and one adjustment per charge references its original
    after = charges(runtime)
    originals = [c for c in after if c["adjusts"] is None]
    assert [(c["id"], c["unit_rate"], c["amount"]) for c in originals] == [
        (c["id"], c["unit_rate"], c["amount"]) for c in before]
    adjustments = [c for c in after if c["adjusts"] is not None]
    assert sorted(c["adjusts"] for c in adjustments) == sorted(c["id"] for c in before)
    # and the statement shows the original line plus the exact difference as an adjustment
    february = wa.statement("2026-02")
    assert february["status"] == "draft"
    assert marketing(february, "meta") == [(10, "0.0700", "0.7000", None)]
    assert marketing(february, "adjustments") == [(10, "0.0150", "0.1500", "2026-02")]
    assert february["total_exact"] == "0.8500"
    assert february["total"] == sum(line["amount"] for line in february["lines"])


def test_R_RT_4_re_importing_an_identical_card_adds_nothing(
    wa: WhatsApp, runtime: Runtime
) -> None:
    card(wa, CARD_A)
    wa.send(message("m1", "2026-02-10 00:00", BRAZIL, "marketing"))
    card(wa, CARD_B)
    stored = charges(runtime)
    statement = wa.statement("2026-02")
    # the same card again, and a card whose rate equals the one billed, add no row
    card(wa, CARD_B)
    card(wa, HEADER + "2026-02-09,USD,Brazil,marketing,0.0850,,\n")
    assert charges(runtime) == stored
    assert wa.statement("2026-02") == statement
    with runtime.uow(readonly=True) as uow:
        assert uow.whatsapp.count_rows(w.wa_rate_cards) == 3


def test_R_RT_4_a_final_month_is_never_re_rated(wa: WhatsApp, runtime: Runtime) -> None:
    # given January final (grace ended 2026-02-08) and February open, both charged
    wa.send(message("m1", "2026-01-20 00:00", BRAZIL, "marketing"))
    wa.clock("2026-02-09T00:00:00+00:00")
    wa.send(message("m2", "2026-02-10 00:00", BRAZIL, "marketing"))
    january = wa.statement("2026-01")
    assert january["status"] == "final"
    january_charges = [c for c in charges(runtime) if c["billed_month"] == "2026-01"]
    # when a card changes the rate from 2026-01-15
    card(wa, HEADER + "2026-01-15,USD,Brazil,marketing,0.0900,,\n")
    # then January is untouched and only February carries an adjustment
    assert wa.statement("2026-01") == january
    assert [c for c in charges(runtime) if c["billed_month"] == "2026-01"] == january_charges
    february = wa.statement("2026-02")
    assert [(a["original_month"], a["quantity"]) for a in february["adjustments"]] == [
        ("2026-02", 1)]
    assert all(c["month"] == "2026-02" for c in charges(runtime) if c["adjusts"] is not None)
