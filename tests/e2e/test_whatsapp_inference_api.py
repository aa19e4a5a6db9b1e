"""The inference path at ingest (R-IN-5) through HTTP: statuses without ``pricing`` are rated
by the timeline rules (R-CSW, R-PMP, R-CBP), and webhook-priced statuses are cross-checked
(``rating_mismatch`` in the feed; the webhook's rating stays)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.whatsapp_client import ADMIN, WhatsApp, inbound, message, pricing, status
from tollhouse.services.runtime import Runtime
from tollhouse.services.whatsapp_inference import CROSS_CHECK_EVERY_KEY

BRAZIL = "5511912345678"


@pytest.fixture
def wa(client: Any, runtime: Runtime) -> WhatsApp:
    runtime.extras[CROSS_CHECK_EVERY_KEY] = 1  # cross-check every status in these tests
    return WhatsApp(client, now="2026-02-01T00:00:00+00:00")


def charges(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.uow(readonly=True) as uow:
        return list(uow.whatsapp.charges(account="acme"))


def feed(wa: WhatsApp, kind: str) -> list[dict[str, Any]]:
    response = wa.client.get("/v1/whatsapp/events", headers=ADMIN,
                             params={"billing_account": "acme", "type": kind})
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def unpriced(wamid: str, at: str, category: str | None) -> list[dict[str, Any]]:
    """``sent`` and ``delivered`` without a pricing object; the template category, when
    given, travels as a partial pricing object (category only, no ``pricing_model``)."""
    partial = {"category": category} if category else None
    return [status(wamid, "sent", at, BRAZIL, price=partial),
            status(wamid, "delivered", at, BRAZIL)]


def test_R_IN_5_a_status_without_pricing_is_rated_by_inference(
    wa: WhatsApp, runtime: Runtime
) -> None:
    # Outside a CSW a utility template is charged (R-PMP-1); inside one it is free (R-PMP-3).
    wa.send(unpriced("m1", "2026-02-10 08:00", "utility"))
    wa.send(messages=[inbound("u1", "2026-02-10 09:00", BRAZIL)])
    wa.send(unpriced("m2", "2026-02-10 10:00", "utility")
            + unpriced("m3", "2026-02-10 10:05", "marketing"))
    got = {c["charge_key"]: c for c in charges(runtime)}
    assert {k: (c["model"], c["category"], c["pricing_type"], c["status"], c["market"],
                c["amount"]) for k, c in got.items()} == {
        "m1": ("PMP", "utility", "regular", "rated", "Brazil", Decimal("0.0068")),
        "m2": ("PMP", "utility", "free_customer_service", "free", "Brazil", Decimal(0)),
        "m3": ("PMP", "marketing", "regular", "rated", "Brazil", Decimal("0.0625")),
    }
    assert all(c["reason"].startswith("inferred (R-IN-5)") for c in got.values())
    statement = wa.statement("2026-02")
    assert (statement["total_exact"], statement["unrated"]) == ("0.0693", 0)


def test_R_IN_5_a_non_template_without_pricing_is_free_service_inside_the_csw(
    wa: WhatsApp, runtime: Runtime
) -> None:
    wa.send(messages=[inbound("u1", "2026-02-10 09:00", BRAZIL)])
    wa.send(unpriced("m1", "2026-02-10 09:10", "service"))
    [charge] = charges(runtime)
    assert (charge["category"], charge["pricing_type"], charge["status"]) == (
        "service", "free_customer_service", "free")


def test_R_IN_5_the_category_may_come_from_conversation_origin_in_the_cbp_era(
    client: Any, runtime: Runtime
) -> None:
    wa = WhatsApp(client, now="2024-11-05T00:00:00+00:00")
    conversation = {"id": "conv-1", "origin": {"type": "marketing"}}
    first = status("m1", "delivered", "2024-11-04 10:00", BRAZIL)
    second = status("m2", "delivered", "2024-11-04 11:00", BRAZIL)  # same conversation
    wa.send([{**first, "conversation": conversation}, {**second, "conversation": conversation}])
    [charge] = charges(runtime)  # R-CBP-1, R-CBP-3: one conversation, charged once
    assert (charge["charge_key"], charge["model"], charge["category"], charge["status"],
            charge["amount"]) == ("conv-1", "CBP", "marketing", "rated", Decimal("0.0625"))
    assert "conversation.origin.type" in charge["reason"]


def test_R_IN_5_without_any_category_the_status_stays_unrated_and_alerted(
    wa: WhatsApp, runtime: Runtime
) -> None:
    wa.send(unpriced("m1", "2026-02-10 08:00", None))
    [charge] = charges(runtime)
    assert (charge["status"], charge["amount"]) == ("unrated", None)
    assert "no template category" in charge["reason"]
    assert feed(wa, "unrated_charge")[0]["payload"]["count"] == 1


def test_R_IN_5_a_mismatching_webhook_keeps_its_rating_and_raises_rating_mismatch(
    wa: WhatsApp, runtime: Runtime
) -> None:
    wa.send(messages=[inbound("u1", "2026-02-10 09:00", BRAZIL)])
    # Inside the CSW inference says free_customer_service (R-PMP-3); Meta says regular.
    wa.send(message("m1", "2026-02-10 10:00", BRAZIL, "utility"))
    [charge] = charges(runtime)
    assert (charge["pricing_type"], charge["status"], charge["amount"], charge["reason"]) \
        == ("regular", "rated", Decimal("0.0068"), None)
    [event] = feed(wa, "rating_mismatch")
    payload = event["payload"]
    assert (payload["wamid"], payload["kept"]) == ("m1", "webhook")
    assert payload["webhook"] == {"model": "PMP", "category": "utility",
                                  "pricing_type": "regular"}
    assert payload["inferred"] == {"model": "PMP", "category": "utility",
                                   "pricing_type": "free_customer_service"}
    wa.send(message("m1", "2026-02-10 10:00", BRAZIL, "utility"))  # re-delivery: no new event
    assert len(feed(wa, "rating_mismatch")) == 1


def test_R_IN_5_an_agreeing_webhook_raises_nothing(wa: WhatsApp, runtime: Runtime) -> None:
    wa.send(messages=[inbound("u1", "2026-02-10 09:00", BRAZIL)])
    wa.send(message("m1", "2026-02-10 10:00", BRAZIL, "utility", kind="free_customer_service")
            + message("m2", "2026-02-10 10:01", BRAZIL, "marketing"))
    assert feed(wa, "rating_mismatch") == []
    assert {c["charge_key"]: c["pricing_type"] for c in charges(runtime)} == {
        "m1": "free_customer_service", "m2": "regular"}


def test_R_IN_5_the_cross_check_can_be_switched_off(wa: WhatsApp, runtime: Runtime) -> None:
    runtime.extras[CROSS_CHECK_EVERY_KEY] = 0
    wa.send(messages=[inbound("u1", "2026-02-10 09:00", BRAZIL)])
    wa.send([status("m1", "delivered", "2026-02-10 10:00", BRAZIL,
                    price=pricing("utility"))])
    assert feed(wa, "rating_mismatch") == []
