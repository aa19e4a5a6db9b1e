"""Pre-send estimates (R-RT-3) with budget and wallet decisions (R-BUD-3, R-BUD-4, D-18, D-30)
through HTTP: POST /v1/whatsapp/estimates and DELETE /v1/whatsapp/reservations/{id}."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.whatsapp_client import ADMIN, WhatsApp, inbound, message
from tollhouse.adapters.db import tables_whatsapp as w
from tollhouse.services.runtime import Runtime

BRAZIL = "5511912345678"
US = "12125550101"
AT = "2026-02-10T10:00:00+00:00"


@pytest.fixture
def wa(client: Any) -> WhatsApp:
    made = WhatsApp(client, now="2026-02-10T09:00:00+00:00")
    made.clock("2026-02-10T09:00:00+00:00")
    return made


def estimate(wa: WhatsApp, **body: Any) -> Any:
    payload = {"waba_id": "W1", "phone_number_id": "P1", "recipient": BRAZIL, "at": AT, **body}
    return wa.client.post("/v1/whatsapp/estimates", headers=ADMIN, json=payload)


def ok(wa: WhatsApp, **body: Any) -> dict[str, Any]:
    response = estimate(wa, **body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_R_RT_3_a_marketing_template_is_estimated_at_the_card_rate(wa: WhatsApp) -> None:
    got = ok(wa, category="marketing")
    assert (got["market"], got["country"], got["category"], got["pricing_type"]) == (
        "Brazil", "BR", "marketing", "regular")
    assert (got["unit_rate"], got["amount_exact"], got["amount"]) == ("0.0625", "0.0625", 6)
    assert (got["decision"], got["warnings"], got["reservation"]) == ("allow", [], None)


def test_R_CSW_1_a_free_form_message_without_a_window_is_blocked_and_free_inside_one(
    wa: WhatsApp
) -> None:
    closed = ok(wa, category=None)
    assert closed["decision"] == "block"
    assert [w["code"] for w in closed["warnings"]] == ["no_customer_service_window"]
    wa.send(messages=[inbound("u1", "2026-02-10 09:30", BRAZIL)])
    opened = ok(wa, category=None)
    assert (opened["decision"], opened["pricing_type"], opened["amount_exact"]) == (
        "allow", "free_customer_service", "0")
    utility = ok(wa, category="utility")  # R-PMP-3: utility inside the CSW is free
    assert (utility["pricing_type"], utility["amount"]) == ("free_customer_service", 0)
    later = ok(wa, category="utility", at="2026-02-11T10:00:00+00:00")  # CSW ended 09:30
    assert (later["pricing_type"], later["unit_rate"]) == ("regular", "0.0068")


def test_D30_marketing_to_a_us_number_warns(wa: WhatsApp) -> None:
    got = ok(wa, category="marketing", recipient=US)
    assert got["market"] == "North America"
    assert [w["code"] for w in got["warnings"]] == ["us_marketing_pause"]
    assert got["decision"] == "warn"


@pytest.mark.parametrize(("hard_limit", "decision"), [(False, "warn"), (True, "block")])
def test_R_BUD_3_an_estimate_past_the_budget_warns_or_blocks_with_a_hard_limit(
    wa: WhatsApp, hard_limit: bool, decision: str
) -> None:
    made = wa.client.post("/v1/whatsapp/budgets", headers=ADMIN, json={
        "billing_account": "acme", "currency": "USD", "amount": 10, "thresholds": [100],
        "basis": "meta", "hard_limit": hard_limit})
    assert made.status_code == 201
    wa.send(message("m1", "2026-02-10 08:00", BRAZIL, "marketing"))  # 0.0625 of 0.10 spent
    got = ok(wa, category="marketing")  # + 0.0625 passes 0.10
    assert got["decision"] == decision
    assert [(w["code"], w["blocks"]) for w in got["warnings"]] == [
        ("budget_exceeded", hard_limit)]
    assert ok(wa, category="utility")["decision"] == "allow"  # + 0.0068 stays inside


def test_R_BUD_4_reservations_hold_the_wallet_until_released(
    wa: WhatsApp, runtime: Runtime
) -> None:
    wa.fee_plan({"currency": "USD", "effective_from": "2026-02", "rules": [
        {"model": "meta_passthrough"}],
        "wallet": {"enabled": True, "minimum_balance": 0, "block": True}})
    topup = {"type": "wallet_topup", "idempotency_key": "t-1",
             "timestamp": "2026-02-10T09:00:00Z", "billing_account": "acme", "currency": "USD",
             "amount": 10}
    wa.client.post("/v1/whatsapp/imports", headers=ADMIN, content=json.dumps(topup).encode())
    first = ok(wa, category="marketing", reserve=True)
    assert first["decision"] == "allow"
    assert first["reservation"]["amount_exact"] == "0.0625"
    wallet = wa.client.get("/v1/whatsapp/billing-accounts/acme/wallets/USD",
                           headers=ADMIN).json()
    assert (wallet["balance"], wallet["reserved"], wallet["available"]) == (10, 7, 3)
    second = ok(wa, category="marketing", reserve=True)  # 0.10 - 0.0625 - 0.0625 < 0
    assert second["decision"] == "block"
    assert [w["code"] for w in second["warnings"]] == ["wallet_insufficient"]
    assert second["reservation"] is None
    released = wa.client.delete(f"/v1/whatsapp/reservations/{first['reservation']['id']}",
                                headers=ADMIN)
    assert released.json() == {"id": first["reservation"]["id"], "released": True}
    assert ok(wa, category="marketing")["decision"] == "allow"
    wa.clock("2026-02-10T11:00:00+00:00")  # an unreleased hold expires after hold_s
    ok(wa, category="utility", reserve=True, hold_s=60)
    wa.clock("2026-02-10T11:02:00+00:00")
    wallet = wa.client.get("/v1/whatsapp/billing-accounts/acme/wallets/USD",
                           headers=ADMIN).json()
    assert wallet["reserved"] == 0
    with runtime.uow(readonly=True) as uow:
        assert uow.whatsapp.count_rows(w.wa_reservations) == 2


def test_D18_authentication_international_from_the_waba_fields(client: Any) -> None:
    wa = WhatsApp(client, now="2026-02-10T09:00:00+00:00", waba="W1")
    patched = client.patch("/v1/whatsapp/wabas/W1", headers=ADMIN, json={
        "primary_business_location": "IN",
        "auth_international_rate_eligibility": {"start_time": "2026-01-01T00:00:00+00:00",
                                                "exception_countries": []}})
    assert patched.status_code == 200, patched.text
    abroad = ok(wa, category="authentication", recipient="6281234567890")
    assert (abroad["category"], abroad["unit_rate"]) == (
        "authentication_international", "0.1360")
    home = ok(wa, category="authentication", recipient="919876543210")
    assert (home["category"], home["unit_rate"]) == ("authentication", "0.0014")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        pytest.param({"category": "promo"}, 422, "whatsapp.estimate.invalid", id="category"),
        pytest.param({"phone_number_id": "P9"}, 422, "whatsapp.estimate.invalid", id="number"),
        pytest.param({"waba_id": "W9"}, 404, "whatsapp.waba.unknown", id="waba"),
        pytest.param({"at": "2026-02-10T10:00:00"}, 422, None, id="naive-time"),
    ],
)
def test_bad_estimates_are_refused_and_reserve_nothing(
    wa: WhatsApp, runtime: Runtime, change: dict[str, Any], status: int, code: str | None
) -> None:
    response = estimate(wa, **{"category": "marketing", "reserve": True, **change})
    assert response.status_code == status
    if code is not None:
        assert response.json()["error"]["code"] == code
    with runtime.uow(readonly=True) as uow:
        assert uow.whatsapp.count_rows(w.wa_reservations) == 0
    release = wa.client.delete("/v1/whatsapp/reservations/res_nope", headers=ADMIN)
    assert release.status_code == 404
