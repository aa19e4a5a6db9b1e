# ruff: noqa: N802, FBT003 - test names cite spec rule IDs (R-CBP-1, D-3) in their capitals; flags mirror platform fields
"""The worked examples Y1-Y17 of the WhatsApp spec (§7), as table-driven tests.

Timelines go through the inference path (R-IN-5), the rater and the statement builder; the
expected figures are copied from the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from tests.unit.test_whatsapp_fixtures import (
    FIXTURE_5_5,
    Y14_ROW,
    a_waba,
    instant,
    rater,
)
from tollhouse.domain.periods import natural_month
from tollhouse.domain.whatsapp.fees import (
    Direction,
    FeeItem,
    MessageActivity,
    NumberActivity,
    Outcome,
    PerMessageRule,
    Section,
    licence_fees,
    per_message_fees,
)
from tollhouse.domain.whatsapp.rating import Charge, ChargeStatus, Rater, Waba
from tollhouse.domain.whatsapp.statements import build_statement
from tollhouse.domain.whatsapp.timeline import (
    BusinessMessage,
    Classified,
    TimelineItem,
    UserMessage,
    classify,
)
from tollhouse.domain.whatsapp.vocabulary import Category, PricingType

if TYPE_CHECKING:
    from collections.abc import Sequence

D = Decimal
MKT, UTIL, AUTH = Category.MARKETING, Category.UTILITY, Category.AUTHENTICATION
BRAZIL = "5511912345678"
UTC_ZONE = ZoneInfo("UTC")


def u(at: str, *, referral: bool = False) -> UserMessage:
    return UserMessage(instant(at), referral=referral)


_COUNTER = iter(range(1_000_000))


def b(at: str, template: Category | None = None, *, failed: int | None = None) -> BusinessMessage:
    return BusinessMessage(instant(at), f"wamid.{next(_COUNTER)}", template, failed)


@dataclass
class Run:
    classified: list[Classified]
    charges: list[Charge]

    @property
    def exact(self) -> Decimal:
        return sum((c.amount for c in self.charges if c.amount is not None), D(0))

    @property
    def rated(self) -> list[Charge]:
        return [c for c in self.charges if c.status is ChargeStatus.RATED]


def run(
    items: Sequence[TimelineItem],
    recipient: str,
    *,
    rates: Rater | None = None,
    waba: Waba | None = None,
    number: str = "P1",
) -> Run:
    rates = rates or rater()
    waba = waba or a_waba()
    classified = classify(items, zone=UTC_ZONE, phone_number_id=number)
    charges = []
    for item in classified:
        facts = item.facts(phone_number_id=number, recipient=recipient)
        if facts is not None and (charge := rates.rate(facts, waba)) is not None:
            charges.append(charge)
    return Run(classified, charges)


def statement_total(
    charges: list[Charge], fees: Sequence[FeeItem] = (), currency: str = "USD", month: str = ""
) -> Decimal:
    return build_statement(currency=currency, month=month, charges=charges, fees=fees).total


# ---- CBP timelines ------------------------------------------------------------------------

CBP_CASES = [
    pytest.param(
        [b("2025-01-14 00:00", MKT), b("2025-01-14 04:00", UTIL), b("2025-01-14 10:00", UTIL)],
        BRAZIL,
        2,
        "0.0705",
        "0.07",
        id="whatsapp-Y1",
    ),
    pytest.param(
        [
            b("2025-01-14 00:00", MKT),
            u("2025-01-14 04:00"),
            b("2025-01-14 05:00"),
            b("2025-01-15 01:00"),
            b("2025-01-15 02:00"),
        ],
        BRAZIL,
        1,
        "0.0625",
        "0.06",
        id="whatsapp-Y2",
    ),
    pytest.param(
        [
            u("2025-01-14 10:00", referral=True),
            b("2025-01-14 22:00", MKT),
            b("2025-01-15 09:00"),
            b("2025-01-15 11:00"),
            b("2025-01-16 12:00", UTIL),
            b("2025-01-17 23:00", MKT),
        ],
        BRAZIL,
        1,
        "0.0625",
        "0.06",
        id="whatsapp-Y4",
    ),
    pytest.param(
        [u("2025-01-14 10:00", referral=True), b("2025-01-15 11:00", UTIL)],
        BRAZIL,
        1,
        "0.0080",
        "0.01",
        id="whatsapp-Y5",
    ),
    pytest.param(
        [
            b("2025-01-20 09:00", UTIL),
            b("2025-01-20 09:05", MKT),
            b("2025-01-20 09:10", AUTH),
            b("2025-01-20 12:00", MKT),
        ],
        "447700900123",
        3,
        "0.1107",
        "0.11",
        id="whatsapp-Y6",
    ),
]


@pytest.mark.parametrize(("items", "recipient", "rated", "exact", "total"), CBP_CASES)
def test_R_CBP_1_to_9_conversations_open_and_charge_as_the_spec_examples_say(
    items: list[TimelineItem], recipient: str, rated: int, exact: str, total: str
) -> None:
    result = run(items, recipient)
    assert len(result.rated) == rated
    assert result.exact == D(exact)
    assert statement_total(result.charges) == D(total)


def test_R_CBP_1_Y1_statement_lines_match_the_spec_json() -> None:
    result = run(
        [b("2025-01-14 00:00", MKT), b("2025-01-14 04:00", UTIL), b("2025-01-14 10:00", UTIL)],
        BRAZIL,
    )
    statement = build_statement(currency="USD", month="2025-01", charges=result.charges)
    assert [
        (
            ln.market,
            ln.category,
            ln.pricing_type,
            ln.tier,
            ln.quantity,
            str(ln.unit_rate),
            str(ln.amount_exact),
            ln.amount_minor(2),
        )
        for ln in statement.lines
    ] == [
        ("Brazil", "marketing", "regular", None, 1, "0.0625", "0.0625", 6),
        ("Brazil", "utility", "regular", None, 1, "0.0080", "0.0080", 1),
    ]
    assert (statement.total_minor, str(statement.total_exact)) == (7, "0.0705")


def test_R_CBP_8_Y2_free_service_conversation_is_a_zero_line() -> None:
    result = run(
        [
            b("2025-01-14 00:00", MKT),
            u("2025-01-14 04:00"),
            b("2025-01-14 05:00"),
            b("2025-01-15 01:00"),
            b("2025-01-15 02:00"),
        ],
        BRAZIL,
    )
    statement = build_statement(currency="USD", month="2025-01", charges=result.charges)
    service = [ln for ln in statement.lines if ln.category == "service"]
    assert [(ln.quantity, ln.unit_rate, ln.amount) for ln in service] == [(1, D(0), D("0.00"))]
    assert statement.free == {"free_customer_service": 1}


def test_R_CBP_9_Y4_fep_message_outside_the_csw_fails_with_131047() -> None:
    result = run(
        [
            u("2025-01-14 10:00", referral=True),
            b("2025-01-14 22:00", MKT),
            b("2025-01-15 09:00"),
            b("2025-01-15 11:00"),
            b("2025-01-16 12:00", UTIL),
            b("2025-01-17 23:00", MKT),
        ],
        BRAZIL,
    )
    assert [c.failed_error for c in result.classified] == [None, None, 131047, None, None]
    fep = result.classified[0]
    assert (fep.category, fep.pricing_type, fep.opens) == (
        Category.REFERRAL_CONVERSION,
        PricingType.FREE_ENTRY_POINT,
        True,
    )


@pytest.mark.parametrize(
    ("recipient", "market", "rate"),
    [
        pytest.param("18095550101", "Rest of Latin America", "0.0740", id="whatsapp-Y7-DO"),
        pytest.param("14165550101", "North America", "0.0250", id="whatsapp-Y7-CA"),
        pytest.param("12425550101", "Other", "0.0604", id="whatsapp-Y7-BS"),
        pytest.param("74955550101", "Russia", "0.0802", id="whatsapp-Y7-RU"),
    ],
)
def test_R_X_2_Y7_market_comes_from_the_recipient_number(
    recipient: str, market: str, rate: str
) -> None:
    result = run([b("2025-01-20 09:00", MKT)], recipient)
    assert [(c.market, c.unit_rate) for c in result.charges] == [(market, D(rate))]


def test_R_X_1_Y7_four_markets_total() -> None:
    rates = rater()
    charges = []
    for number in ("18095550101", "14165550101", "12425550101", "74955550101"):
        charges += run([b("2025-01-20 09:00", MKT)], number, rates=rates).charges
    assert sum((c.amount or D(0) for c in charges), D(0)) == D("0.2396")
    assert statement_total(charges) == D("0.24")


def test_R_CBP_7_D_10_Y3_free_tier_is_per_waba_across_numbers() -> None:
    # given fixture 5.5 only, WABA W in UTC with numbers P1 and P2, distinct Indonesian users
    rates = rater(FIXTURE_5_5, shipped=())
    charges: list[Charge] = []

    def service(number: str, day: str, count: int, first: int) -> None:
        for index in range(count):
            user = f"62812{first + index:07d}"
            at = f"{day} 10:{index % 60:02d}:{(index // 60) % 60:02d}"
            later = instant(at).timestamp() + 30
            items: list[TimelineItem] = [
                u(at),
                BusinessMessage(
                    datetime.fromtimestamp(later, tz=UTC_ZONE), f"wamid.{number}.{first + index}"
                ),
            ]
            charges.extend(run(items, user, rates=rates, number=number).charges)

    # when
    service("P1", "2024-07-02", 700, 0)
    service("P2", "2024-07-03", 500, 700)
    for index in range(300):
        charges += run([b("2024-07-04 09:00", MKT)], f"62814{index:07d}", rates=rates).charges
    # then
    assert sum((c.amount for c in charges if c.amount is not None), D(0)) == D("16.13")
    statement = build_statement(currency="USD", month="2024-07", charges=charges)
    lines = [
        (ln.market, ln.category, ln.pricing_type, ln.quantity, ln.unit_rate, ln.amount)
        for ln in statement.lines
    ]
    assert lines == [
        ("Indonesia", "marketing", "regular", 300, D("0.0411"), D("12.33")),
        ("Indonesia", "service", "free_tier", 1000, D(0), D("0.00")),
        ("Indonesia", "service", "regular", 200, D("0.0190"), D("3.80")),
    ]
    assert statement.total == D("16.13")


# ---- PMP timelines ------------------------------------------------------------------------

PMP_CASES = [
    pytest.param(
        [
            b("2026-02-10 00:00", MKT),
            u("2026-02-10 02:00"),
            b("2026-02-10 03:00"),
            b("2026-02-10 04:00", UTIL),
            b("2026-02-11 06:00", UTIL),
        ],
        BRAZIL,
        ["regular", "free_customer_service", "free_customer_service", "regular"],
        2,
        "0.0693",
        "0.07",
        id="whatsapp-Y8",
    ),
    pytest.param(
        [
            u("2026-02-10 10:00"),
            b("2026-02-10 10:01", AUTH),
            b("2026-02-10 10:02", UTIL),
            b("2026-02-11 11:00", AUTH),
            b("2026-02-11 11:01", UTIL),
        ],
        "919876543210",
        ["regular", "free_customer_service", "regular", "regular"],
        3,
        "0.0042",
        "0.00",
        id="whatsapp-Y9",
    ),
    pytest.param(
        [
            u("2026-02-10 10:00"),
            u("2026-02-11 09:00"),
            b("2026-02-11 20:00", UTIL),
            b("2026-02-12 09:30", UTIL),
        ],
        "12125550101",
        ["free_customer_service", "regular"],
        1,
        "0.0034",
        "0.00",
        id="whatsapp-Y10",
    ),
    pytest.param(
        [
            u("2026-02-10 10:00", referral=True),
            b("2026-02-10 10:30"),
            b("2026-02-11 09:00"),
            b("2026-02-12 15:00", MKT),
            b("2026-02-13 11:00", MKT),
        ],
        "525512345678",
        ["free_entry_point", "free_entry_point", "free_entry_point", "regular"],
        1,
        "0.0305",
        "0.03",
        id="whatsapp-Y11",
    ),
]


@pytest.mark.parametrize(("items", "recipient", "types", "rated", "exact", "total"), PMP_CASES)
def test_R_PMP_1_to_5_per_message_charges_follow_the_spec_examples(  # noqa: PLR0917 - one param per column
    items: list[TimelineItem], recipient: str, types: list[str], rated: int, exact: str, total: str
) -> None:
    result = run(items, recipient)
    assert [c.pricing_type.value for c in result.charges] == types
    assert len(result.rated) == rated
    assert result.exact == D(exact)
    assert statement_total(result.charges) == D(total)


def test_R_PMP_1_Y9_statement_rounds_each_line_to_zero() -> None:
    items: list[TimelineItem] = [
        u("2026-02-10 10:00"),
        b("2026-02-10 10:01", AUTH),
        b("2026-02-10 10:02", UTIL),
        b("2026-02-11 11:00", AUTH),
        b("2026-02-11 11:01", UTIL),
    ]
    statement = build_statement(
        currency="USD", month="2026-02", charges=run(items, "919876543210").charges
    )
    regular = [
        (ln.category, ln.quantity, ln.amount_exact, ln.amount)
        for ln in statement.lines
        if ln.pricing_type == "regular"
    ]
    assert regular == [
        ("authentication", 2, D("0.0028"), D("0.00")),
        ("utility", 1, D("0.0014"), D("0.00")),
    ]


def test_R_X_3_Y12_undelivered_templates_cost_nothing() -> None:
    items = [
        b("2026-02-10 09:00", MKT),
        b("2026-02-10 09:03", MKT),
        b("2026-02-10 09:05", MKT),
        b("2026-02-10 09:08", MKT, failed=131049),
        b("2026-02-10 09:11", MKT, failed=131026),
    ]
    result = run(items, "491701234567")
    assert result.exact == D("0.4095")
    assert statement_total(result.charges) == D("0.41")


def test_R_PMP_7_Y14_transition_with_the_shipped_cards_leaves_one_unrated_charge() -> None:
    items = [b("2025-06-30 20:00", UTIL), b("2025-07-01 10:00", UTIL), b("2025-07-01 21:00", UTIL)]
    result = run(items, BRAZIL)
    assert [c.model and c.model.value for c in result.classified] == ["CBP", "CBP", "PMP"]
    assert [(c.status, c.amount) for c in result.charges] == [
        (ChargeStatus.RATED, D("0.0080")),
        (ChargeStatus.UNRATED, None),
    ]
    statement = build_statement(currency="USD", month="", charges=result.charges)
    assert (statement.total, statement.unrated) == (D("0.01"), 1)


def test_R_RC_4_Y14_transition_with_the_test_row_rates_both_charges() -> None:
    items = [b("2025-06-30 20:00", UTIL), b("2025-07-01 10:00", UTIL), b("2025-07-01 21:00", UTIL)]
    result = run(items, BRAZIL, rates=rater(Y14_ROW))
    assert result.exact == D("0.0148")
    assert statement_total(result.charges) == D("0.02")


# ---- BSP fees -----------------------------------------------------------------------------

TWILIO = PerMessageRule("msg_fee", D("0.005"), failed_amount=D("0.001"))


@pytest.mark.parametrize(
    ("last_outcome", "exact", "total"),
    [
        pytest.param(Outcome.DELIVERED, "0.0775", "0.08", id="whatsapp-Y15"),
        pytest.param(Outcome.FAILED, "0.0735", "0.07", id="whatsapp-Y15-failed"),
    ],
)
def test_D_24_Y15_twilio_fee_on_top_of_meta(last_outcome: Outcome, exact: str, total: str) -> None:
    meta = run([b("2026-02-10 10:00", MKT)], BRAZIL).charges
    activity = [
        MessageActivity("m1", Direction.OUTBOUND, True, Outcome.DELIVERED),
        MessageActivity("m2", Direction.INBOUND, False, Outcome.RECEIVED),
        MessageActivity("m3", Direction.OUTBOUND, False, last_outcome),
    ]
    fees = per_message_fees(TWILIO, activity, currency="USD")
    statement = build_statement(currency="USD", month="2026-02", charges=meta, fees=fees)
    assert statement.total_exact == D(exact)
    assert statement.total == D(total)


def test_D_24_Y15_twilio_lines_round_per_line() -> None:
    meta = run([b("2026-02-10 10:00", MKT)], BRAZIL).charges
    activity = [
        MessageActivity("m1", Direction.OUTBOUND, True, Outcome.DELIVERED),
        MessageActivity("m2", Direction.INBOUND, False, Outcome.RECEIVED),
        MessageActivity("m3", Direction.OUTBOUND, False, Outcome.DELIVERED),
    ]
    fees = per_message_fees(TWILIO, activity, currency="USD")
    statement = build_statement(currency="USD", month="2026-02", charges=meta, fees=fees)
    assert [(ln.category, ln.quantity, ln.amount_exact, ln.amount) for ln in statement.lines] == [
        ("marketing", 1, D("0.0625"), D("0.06")),
        ("per_message:msg_fee", 3, D("0.015"), D("0.02")),
    ]


def test_D_25_Y16_360dialog_licences_are_due_without_messages() -> None:
    march = natural_month(instant("2026-03-15 00:00"), ZoneInfo("UTC"))
    numbers = [
        NumberActivity("n1", "regular", instant("2026-01-05 00:00")),
        NumberActivity("n2", "regular", instant("2026-02-01 00:00")),
        NumberActivity("n3", "premium", instant("2026-02-20 00:00")),
    ]
    fees = licence_fees(
        numbers, plans={"regular": D(25), "premium": D(49)}, month=march, currency="EUR"
    )
    statement = build_statement(currency="EUR", month="2026-03", fees=fees)
    assert [(ln.quantity, ln.unit_rate, ln.amount) for ln in statement.lines] == [
        (1, D(49), D("49.00")),
        (2, D(25), D("50.00")),
    ]
    assert statement.total == D("99.00")


def test_Y17_gupshup_fee_per_outbound_message_of_either_class() -> None:
    gupshup = PerMessageRule("gupshup", D("0.0010"), direction=Direction.OUTBOUND)
    activity = [
        MessageActivity(f"f{i}", Direction.OUTBOUND, False, Outcome.DELIVERED) for i in range(200)
    ]
    activity += [
        MessageActivity(f"t{i}", Direction.OUTBOUND, True, Outcome.DELIVERED) for i in range(200)
    ]
    meta = FeeItem(Section.META, "India template", 200, D("0.0042"), "USD")  # given as input
    fees = [*per_message_fees(gupshup, activity, currency="USD"), meta]
    statement = build_statement(currency="USD", month="", fees=fees)
    assert sorted((ln.quantity, ln.amount) for ln in statement.lines) == [
        (200, D("0.84")),
        (400, D("0.40")),
    ]
    assert statement.total == D("1.24")
