# ruff: noqa: PT019, E501, ISC002 - rule IDs in test names; `_example` carries the example ID; the fixture card keeps its long source line
"""The worked examples Y1-Y17 of the WhatsApp spec (§7) through HTTP and the database: Meta's
webhooks in, statements out. Expected figures are the spec's literals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.whatsapp_client import WhatsApp, inbound, lines, message

BRAZIL, UK, INDIA, INDONESIA = "5511912345678", "447700900123", "919876543210", "6281234567890"
META = "meta"


def example(name: str) -> pytest.MarkDecorator:
    """The spec's example ID as the test id (``whatsapp-Y1``)."""
    return pytest.mark.parametrize("_example", [pytest.param(name, id=f"whatsapp-{name}")])

# §5.5 test fixture (June and July 2024 only)
FIXTURE_5_5 = """\
# source: https://developers.facebook.com/docs/whatsapp/pricing/conversation-based-pricing (Meta USD CBP rate card, "Cost per conversation in USD", rows for Indonesia, Malaysia and Other) ; test use 2024-06-01 to 2024-07-31 only
effective_from,currency,market,category,rate,tier_from,tier_to
2024-06-01,USD,Indonesia,marketing,0.0411,,
2024-06-01,USD,Indonesia,utility,0.0200,,
2024-06-01,USD,Indonesia,authentication,0.0300,,
2024-06-01,USD,Indonesia,authentication_international,0.1360,,
2024-06-01,USD,Indonesia,service,0.0190,,
2024-06-01,USD,Malaysia,marketing,0.0860,,
2024-06-01,USD,Malaysia,utility,0.0200,,
2024-06-01,USD,Malaysia,authentication,0.0180,,
2024-06-01,USD,Malaysia,service,0.0220,,
2024-06-01,USD,Other,marketing,0.0604,,
2024-06-01,USD,Other,utility,0.0338,,
2024-06-01,USD,Other,authentication,0.0304,,
2024-06-01,USD,Other,service,0.0145,,
"""


@pytest.fixture
def wa(client: Any) -> WhatsApp:
    return WhatsApp(client, now="2024-06-01T00:00:00+00:00")


def cbp(wamid: str, at: str, recipient: str, category: str, conversation: str) -> list[Any]:
    return message(wamid, at, recipient, category, model="CBP", kind=None,
                   conversation=conversation)


@example("Y1")
def test_Y1_two_categories_for_one_user(wa: WhatsApp, _example: str) -> None:
    # given Y1's three templates, as Meta reports them
    wa.send(cbp("m1", "2025-01-14 00:00", BRAZIL, "marketing", "C1")
            + cbp("m2", "2025-01-14 04:00", BRAZIL, "utility", "C2")
            + cbp("m3", "2025-01-14 10:00", BRAZIL, "utility", "C2"))
    # then the statement is the spec's JSON (§8)
    got = wa.statement("2025-01")
    assert [{k: line[k] for k in ("market", "category", "pricing_type", "tier", "quantity",
                                  "unit_rate", "amount_exact", "amount")}
            for line in got["lines"]] == [
        {"market": "Brazil", "category": "marketing", "pricing_type": "regular", "tier": None,
         "quantity": 1, "unit_rate": "0.0625", "amount_exact": "0.0625", "amount": 6},
        {"market": "Brazil", "category": "utility", "pricing_type": "regular", "tier": None,
         "quantity": 1, "unit_rate": "0.0080", "amount_exact": "0.0080", "amount": 1}]
    assert (got["total"], got["total_exact"], got["currency"]) == (7, "0.0705", "USD")


@example("Y2")
def test_Y2_service_conversation_after_marketing_ends(wa: WhatsApp, _example: str) -> None:
    wa.send(cbp("m1", "2025-01-14 00:00", BRAZIL, "marketing", "C1")
            + cbp("m3", "2025-01-14 05:00", BRAZIL, "marketing", "C1")
            + cbp("m4", "2025-01-15 01:00", BRAZIL, "service", "C2")
            + cbp("m5", "2025-01-15 02:00", BRAZIL, "service", "C2"),
            messages=[inbound("u2", "2025-01-14 04:00", BRAZIL)])
    got = wa.statement("2025-01")
    assert lines(got) == [
        (META, "Brazil", "marketing", "regular", 1, "0.0625", 6),
        (META, "Brazil", "service", "free_customer_service", 1, "0", 0)]
    assert (got["total"], got["total_exact"]) == (6, "0.0625")


@example("Y3")
def test_Y3_cbp_free_tier_is_per_waba_across_numbers(wa: WhatsApp, _example: str) -> None:
    # given the §5.5 fixture card and 1,500 conversations in July 2024 (three deliveries)
    assert wa.card(FIXTURE_5_5).status_code == 201
    day2 = [s for i in range(700) for s in cbp(
        f"a{i}", f"2024-07-02 08:{i // 60:02d}:{i % 60:02d}", f"62812{i:07d}", "service", f"s{i}")]
    wa.send(day2, messages=[inbound(f"ua{i}", "2024-07-02 08:00", f"62812{i:07d}")
                            for i in range(700)], number="P1")
    day3 = [s for i in range(500) for s in cbp(
        f"b{i}", f"2024-07-03 08:{i // 60:02d}:{i % 60:02d}", f"62813{i:07d}", "service", f"t{i}")]
    wa.send(day3, number="P2")
    day4 = [s for i in range(300) for s in cbp(
        f"c{i}", f"2024-07-04 08:{i // 60:02d}:{i % 60:02d}", f"62814{i:07d}", "marketing",
        f"k{i}")]
    wa.send(day4, number="P1")
    # then
    got = wa.statement("2024-07")
    assert lines(got) == [
        (META, "Indonesia", "marketing", "regular", 300, "0.0411", 1233),
        (META, "Indonesia", "service", "free_tier", 1000, "0", 0),
        (META, "Indonesia", "service", "regular", 200, "0.0190", 380)]
    assert (got["total"], got["total_exact"]) == (1613, "16.1300")


@example("Y4")
def test_Y4_free_entry_point_conversation(wa: WhatsApp, _example: str) -> None:
    wa.send(cbp("m2", "2025-01-14 22:00", BRAZIL, "referral_conversion", "F1")
            + cbp("m3", "2025-01-15 09:00", BRAZIL, "referral_conversion", "F1")
            + message("m4", "2025-01-15 11:00", BRAZIL, "service", model="CBP", kind=None,
                      failed=131047)
            + cbp("m5", "2025-01-16 12:00", BRAZIL, "referral_conversion", "F1")
            + cbp("m6", "2025-01-17 23:00", BRAZIL, "marketing", "C2"),
            messages=[inbound("u1", "2025-01-14 10:00", BRAZIL, referral=True)])
    got = wa.statement("2025-01")
    assert lines(got) == [
        (META, "Brazil", "marketing", "regular", 1, "0.0625", 6),
        (META, "Brazil", "referral_conversion", "free_entry_point", 1, "0", 0)]
    assert got["total"] == 6


@example("Y5")
def test_Y5_no_fep_when_the_reply_is_late(wa: WhatsApp, _example: str) -> None:
    wa.send(cbp("m1", "2025-01-15 11:00", BRAZIL, "utility", "C1"),
            messages=[inbound("u1", "2025-01-14 10:00", BRAZIL, referral=True)])
    got = wa.statement("2025-01")
    assert lines(got) == [(META, "Brazil", "utility", "regular", 1, "0.0080", 1)]
    assert got["total"] == 1


@example("Y6")
def test_Y6_three_categories_open_at_once(wa: WhatsApp, _example: str) -> None:
    wa.send(cbp("m1", "2025-01-20 09:00", UK, "utility", "C1")
            + cbp("m2", "2025-01-20 09:05", UK, "marketing", "C2")
            + cbp("m3", "2025-01-20 09:10", UK, "authentication", "C3")
            + cbp("m4", "2025-01-20 12:00", UK, "marketing", "C2"))
    got = wa.statement("2025-01")
    assert [line[6] for line in lines(got)] == [4, 5, 2]  # authentication, marketing, utility
    assert (got["total"], got["total_exact"]) == (11, "0.1107")


@example("Y7")
def test_Y7_market_from_the_recipient_number(wa: WhatsApp, _example: str) -> None:
    numbers = {"18095550101": "Rest of Latin America", "14165550101": "North America",
               "12425550101": "Other", "74955550101": "Russia"}
    wa.send([s for i, number in enumerate(numbers) for s in cbp(
        f"m{i}", "2025-01-20 09:00", number, "marketing", f"C{i}")])
    got = wa.statement("2025-01")
    assert {line[1]: (line[5], line[6]) for line in lines(got)} == {
        "Rest of Latin America": ("0.0740", 7), "North America": ("0.0250", 3),
        "Other": ("0.0604", 6), "Russia": ("0.0802", 8)}
    assert (got["total"], got["total_exact"]) == (24, "0.2396")


@example("Y8")
def test_Y8_per_message_charges(wa: WhatsApp, _example: str) -> None:
    wa.send(message("m1", "2026-02-10 00:00", BRAZIL, "marketing")
            + message("m3", "2026-02-10 03:00", BRAZIL, "service", kind="free_customer_service")
            + message("m4", "2026-02-10 04:00", BRAZIL, "utility", kind="free_customer_service")
            + message("m5", "2026-02-11 06:00", BRAZIL, "utility"),
            messages=[inbound("u2", "2026-02-10 02:00", BRAZIL)])
    got = wa.statement("2026-02")
    assert lines(got) == [
        (META, "Brazil", "marketing", "regular", 1, "0.0625", 6),
        (META, "Brazil", "service", "free_customer_service", 1, "0", 0),
        (META, "Brazil", "utility", "free_customer_service", 1, "0", 0),
        (META, "Brazil", "utility", "regular", 1, "0.0068", 1)]
    assert (got["total"], got["total_exact"]) == (7, "0.0693")


@example("Y9")
def test_Y9_authentication_always_charged_utility_free_only_in_a_csw(wa: WhatsApp, _example: str) -> None:
    wa.send(message("m2", "2026-02-10 10:01", INDIA, "authentication")
            + message("m3", "2026-02-10 10:02", INDIA, "utility", kind="free_customer_service")
            + message("m4", "2026-02-11 11:00", INDIA, "authentication")
            + message("m5", "2026-02-11 11:01", INDIA, "utility"),
            messages=[inbound("u1", "2026-02-10 10:00", INDIA)])
    got = wa.statement("2026-02")
    assert [(line[2], line[3], line[4], line[6]) for line in lines(got)] == [
        ("authentication", "regular", 2, 0), ("utility", "free_customer_service", 1, 0),
        ("utility", "regular", 1, 0)]
    assert (got["total"], got["total_exact"]) == (0, "0.0042")


@example("Y10")
def test_Y10_the_csw_refreshes_on_each_user_message(wa: WhatsApp, _example: str) -> None:
    us = "12125550101"
    wa.send(message("m1", "2026-02-11 20:00", us, "utility", kind="free_customer_service")
            + message("m2", "2026-02-12 09:30", us, "utility"),
            messages=[inbound("u1", "2026-02-10 10:00", us), inbound("u2", "2026-02-11 09:00", us)])
    got = wa.statement("2026-02")
    assert (got["total"], got["total_exact"]) == (0, "0.0034")


@example("Y11")
def test_Y11_fep_window_per_message(wa: WhatsApp, _example: str) -> None:
    mexico = "525512345678"
    fep = {"kind": "free_entry_point"}
    wa.send(message("m2", "2026-02-10 10:30", mexico, "referral_conversion", **fep)
            + message("m3", "2026-02-11 09:00", mexico, "referral_conversion", **fep)
            + message("m4", "2026-02-12 15:00", mexico, "referral_conversion", **fep)
            + message("m5", "2026-02-13 11:00", mexico, "marketing"),
            messages=[inbound("u1", "2026-02-10 10:00", mexico, referral=True)])
    got = wa.statement("2026-02")
    assert lines(got) == [
        (META, "Mexico", "marketing", "regular", 1, "0.0305", 3),
        (META, "Mexico", "referral_conversion", "free_entry_point", 3, "0", 0)]


@example("Y12")
def test_Y12_undelivered_templates_cost_nothing(wa: WhatsApp, _example: str) -> None:
    germany = "4917012345678"
    wa.send(message("m1", "2026-02-10 09:00", germany, "marketing")
            + message("m2", "2026-02-10 09:03", germany, "marketing")
            + message("m3", "2026-02-10 09:06", germany, "marketing")
            + message("m4", "2026-02-10 09:09", germany, "marketing", failed=131049)
            + message("m5", "2026-02-10 09:11", germany, "marketing", failed=131026))
    got = wa.statement("2026-02")
    assert lines(got) == [(META, "Germany", "marketing", "regular", 3, "0.1365", 41)]
    assert (got["total_exact"], got["pending"]) == ("0.4095", 0)


@pytest.mark.parametrize(
    ("recipient", "category", "total", "exact"),
    [
        pytest.param(INDONESIA, "authentication_international", 136, "1.3600", id="whatsapp-Y13-a"),
        pytest.param(INDIA, "authentication", 1, "0.0140", id="whatsapp-Y13-b"),
        pytest.param(INDONESIA, "authentication", 25, "0.2500", id="whatsapp-Y13-c"),
        pytest.param(INDONESIA, "authentication", 25, "0.2500", id="whatsapp-Y13-d"),
    ],
)
def test_Y13_authentication_international_follows_the_webhook_category(
    wa: WhatsApp, recipient: str, category: str, total: int, exact: str
) -> None:
    wa.send([s for i in range(10)
             for s in message(f"m{i}", f"2026-02-10 10:{i:02d}", recipient, category)])
    got = wa.statement("2026-02")
    assert (got["total"], got["total_exact"]) == (total, exact)


@pytest.mark.parametrize(
    ("extra_row", "july_total", "july_unrated"),
    [
        pytest.param(None, 0, 1, id="whatsapp-Y14-shipped"),
        pytest.param("effective_from,currency,market,category,rate,tier_from,tier_to\n"
                     "2025-07-01,USD,Brazil,utility,0.0068,,\n", 1, 0, id="whatsapp-Y14-row"),
    ],
)
def test_Y14_cbp_to_pmp_transition(wa: WhatsApp, extra_row: str | None, july_total: int,
                                   july_unrated: int) -> None:
    if extra_row:
        assert wa.card(extra_row).status_code == 201
    wa.send(cbp("m1", "2025-06-30 20:00", BRAZIL, "utility", "C1")
            + message("m2", "2025-07-01 10:00", BRAZIL, "utility", model="CBP", kind=None,
                      conversation="C1")
            + message("m3", "2025-07-01 21:00", BRAZIL, "utility"))
    june, july = wa.statement("2025-06"), wa.statement("2025-07")
    assert (june["total"], june["total_exact"]) == (1, "0.0080")
    assert (july["total"], july["unrated"]) == (july_total, july_unrated)


TWILIO = {"currency": "USD", "effective_from": "2026-02", "rules": [
    {"model": "meta_passthrough", "markup_percent": "0"},
    {"model": "per_message", "name": "msg_fee", "amount": "0.005", "direction": "both",
     "message_class": "both", "count_on": "accepted", "failed_amount": "0.001",
     "failed_mode": "replace"}]}


@pytest.mark.parametrize(
    ("failed", "total", "exact"),
    [pytest.param(False, 8, "0.0775", id="whatsapp-Y15"),
     pytest.param(True, 7, "0.0735", id="whatsapp-Y15-failed")],
)
def test_Y15_twilio_fees_on_top_of_meta(wa: WhatsApp, failed: bool, total: int,
                                        exact: str) -> None:
    wa.clock("2026-02-01T00:00:00+00:00")
    wa.fee_plan(TWILIO)
    last = message("m3", "2026-02-10 10:06", BRAZIL, "service", kind="free_customer_service",
                   failed=131026 if failed else None)
    wa.send(message("m1", "2026-02-10 10:00", BRAZIL, "marketing") + last,
            messages=[inbound("u2", "2026-02-10 10:05", BRAZIL)])
    got = wa.statement("2026-02")
    assert (got["total"], got["total_exact"]) == (total, exact)
    fee_lines = [line for line in lines(got) if line[0] == "per_message"]
    expected = [("per_message", None, "per_message:msg_fee", None, 3, "0.0050", 2)]
    if failed:
        expected = [("per_message", None, "per_message:msg_fee", None, 2, "0.0050", 1),
                    ("per_message", None, "per_message:msg_fee:failed", None, 1, "0.0010", 0)]
    assert fee_lines == expected


@example("Y16")
def test_Y16_360dialog_licences_are_due_without_messages(client: Any, _example: str) -> None:
    numbers = [{"phone_number_id": f"N{i}", "plan": plan,
                "onboarded_at": "2026-02-10T00:00:00+00:00"}
               for i, plan in enumerate(("regular", "regular", "premium"))]
    wa = WhatsApp(client, currency="EUR", now="2026-03-05T00:00:00+00:00", numbers=numbers)
    wa.fee_plan({"currency": "EUR", "effective_from": "2026-03", "rules": [
        {"model": "meta_passthrough"},
        {"model": "number_licence", "plans": {"regular": "25", "premium": "49"}}]})
    got = wa.statement("2026-03")
    assert lines(got) == [
        ("licences", None, "number_licence:licence:premium", None, 1, "49.0000", 4900),
        ("licences", None, "number_licence:licence:regular", None, 2, "25.0000", 5000)]
    assert (got["total"], got["currency"]) == (9900, "EUR")


@example("Y17")
def test_Y17_gupshup_fee_per_outbound_message_of_either_class(wa: WhatsApp, _example: str) -> None:
    # given Gupshup's per-message fee and, standing in for the legacy per-template Meta fee of
    # USD 0.0042 that the example gives as input, a test card row for India utility
    wa.clock("2026-02-01T00:00:00+00:00")
    row = "effective_from,currency,market,category,rate,tier_from,tier_to\n" \
          "2026-02-01,USD,India,utility,0.0042,,\n"
    assert wa.card(row).status_code == 201
    wa.fee_plan({"currency": "USD", "effective_from": "2026-02", "rules": [
        {"model": "per_message", "name": "gupshup", "amount": "0.0010",
         "direction": "outbound", "message_class": "both"}]})
    free_form = [s for i in range(200) for s in message(
        f"f{i}", "2026-02-10 10:00", INDIA, "service", kind="free_customer_service")]
    templates = [s for i in range(200) for s in message(
        f"t{i}", "2026-02-10 11:00", INDIA, "utility")]
    wa.send(free_form + templates)
    got = wa.statement("2026-02")
    assert lines(got) == [
        (META, "India", "service", "free_customer_service", 200, "0", 0),
        (META, "India", "utility", "regular", 200, "0.0042", 84),
        ("per_message", None, "per_message:gupshup", None, 400, "0.0010", 40)]
    assert (got["total"], got["total_exact"]) == (124, "1.2400")
