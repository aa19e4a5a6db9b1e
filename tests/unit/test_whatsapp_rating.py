# ruff: noqa: N802 - test names cite spec rule IDs (R-CBP-1, D-3) in their capitals; flags mirror platform fields
"""Webhook-path rating (D-3, R-X-8, R-AI-*, R-VT-*, D-12 .. D-22) and its properties."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_whatsapp_fixtures import a_waba, card_from, instant, rater, resolver
from tollhouse.domain.periods import to_unix
from tollhouse.domain.whatsapp.ratecards import RateBook
from tollhouse.domain.whatsapp.rating import (
    AuthIntlProfile,
    ChargeStatus,
    Rater,
    TierReport,
    authentication_category,
    facts_from_statuses,
    rate_statuses,
)
from tollhouse.domain.whatsapp.statements import build_statement
from tollhouse.domain.whatsapp.vocabulary import Category
from tollhouse.domain.whatsapp.webhooks import StatusEvent, parse_status

D = Decimal
INDONESIA, INDIA = "6281234567890", "919876543210"


def status(
    wamid: str,
    kind: str,
    at: str | int,
    *,
    recipient: str = "5511912345678",
    category: str = "marketing",
    pricing_type: str = "regular",
    model: str = "PMP",
    conversation: str | None = None,
    pricing: bool = True,
    error: int | None = None,
) -> StatusEvent:
    ts = at if isinstance(at, int) else to_unix(instant(at))
    raw: dict[str, object] = {
        "id": wamid,
        "status": kind,
        "timestamp": str(ts),
        "recipient_id": recipient,
    }
    if pricing:
        raw["pricing"] = {
            "billable": pricing_type == "regular",
            "pricing_model": model,
            "type": pricing_type,
            "category": category,
        }
    if conversation:
        raw["conversation"] = {"id": conversation, "origin": {"type": category}}
    if error:
        raw["errors"] = [{"code": error}]
    return parse_status("W", "P1", raw)


def delivered_batch(count: int, at: str, **kwargs: object) -> list[StatusEvent]:
    return [
        status(f"wamid.{at}.{i}", "delivered", at, **kwargs)  # type: ignore[arg-type]
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("recipient", "webhook_category", "exact", "rounded"),
    [
        pytest.param(
            INDONESIA, "authentication_international", "1.36", "1.36", id="whatsapp-Y13-a"
        ),
        pytest.param(INDIA, "authentication", "0.014", "0.01", id="whatsapp-Y13-b"),
        pytest.param(INDONESIA, "authentication", "0.25", "0.25", id="whatsapp-Y13-c"),
        pytest.param(INDONESIA, "authentication", "0.25", "0.25", id="whatsapp-Y13-d"),
    ],
)
def test_R_AI_1_D_18_Y13_webhook_category_decides_authentication_international(
    recipient: str, webhook_category: str, exact: str, rounded: str
) -> None:
    statuses = delivered_batch(
        10, "2026-02-10 09:00", recipient=recipient, category=webhook_category
    )
    charges = rate_statuses(rater(), statuses, a_waba())
    assert sum((c.amount or D(0) for c in charges), D(0)) == D(exact)
    assert build_statement(currency="USD", month="2026-02", charges=charges).total == D(rounded)


INDIA_ELIGIBLE = AuthIntlProfile("IN", instant("2026-01-01 00:00"))


@pytest.mark.parametrize(
    ("profile", "country", "expected"),
    [
        pytest.param(
            INDIA_ELIGIBLE,
            "ID",
            Category.AUTHENTICATION_INTERNATIONAL,
            id="whatsapp-Y13-a-estimate",
        ),
        pytest.param(INDIA_ELIGIBLE, "IN", Category.AUTHENTICATION, id="whatsapp-Y13-b-estimate"),
        pytest.param(
            AuthIntlProfile("ID", instant("2026-01-01 00:00")),
            "ID",
            Category.AUTHENTICATION,
            id="whatsapp-Y13-c-estimate",
        ),
        pytest.param(
            AuthIntlProfile("IN", None), "ID", Category.AUTHENTICATION, id="whatsapp-Y13-d-estimate"
        ),
    ],
)
def test_R_AI_1_R_AI_2_estimate_applies_all_four_conditions(
    profile: AuthIntlProfile, country: str, expected: Category
) -> None:
    found = authentication_category(
        profile, recipient_country=country, at=instant("2026-02-10 09:00"), market_has_rate=True
    )
    assert found is expected


def test_R_AI_2_start_time_not_yet_reached_is_domestic_rate() -> None:
    profile = AuthIntlProfile("IN", instant("2026-03-01 00:00"))
    found = authentication_category(
        profile, recipient_country="ID", at=instant("2026-02-10 09:00"), market_has_rate=True
    )
    assert found is Category.AUTHENTICATION


def test_R_AI_2_unverified_primary_location_still_gets_the_international_rate() -> None:
    profile = AuthIntlProfile(None, instant("2026-01-01 00:00"))
    found = authentication_category(
        profile, recipient_country="ID", at=instant("2026-02-10 09:00"), market_has_rate=True
    )
    assert found is Category.AUTHENTICATION_INTERNATIONAL


def test_D_3_read_without_delivered_confirms_the_charge_at_read_time() -> None:
    statuses = [status("m", "sent", "2026-02-10 09:00"), status("m", "read", "2026-02-10 09:05")]
    facts = facts_from_statuses(statuses)
    assert facts is not None
    assert facts.ts == to_unix(instant("2026-02-10 09:05"))


def test_D_3_delivered_wins_over_an_earlier_arriving_read() -> None:
    statuses = [
        status("m", "read", "2026-02-10 09:05"),
        status("m", "delivered", "2026-02-10 09:01"),
    ]
    facts = facts_from_statuses(statuses)
    assert facts is not None
    assert facts.ts == to_unix(instant("2026-02-10 09:01"))


def test_D_3_pricing_on_sent_is_used_when_the_confirming_status_has_none() -> None:
    statuses = [
        status("m", "sent", "2026-02-10 09:00", category="utility"),
        status("m", "delivered", "2026-02-10 09:01", pricing=False),
    ]
    facts = facts_from_statuses(statuses)
    assert facts is not None
    assert facts.category is Category.UTILITY


def test_D_4_sent_only_is_pending_and_failed_is_void() -> None:
    assert facts_from_statuses([status("m", "sent", "2026-02-10 09:00")]) is None
    assert (
        facts_from_statuses(
            [
                status("m", "sent", "2026-02-10 09:00"),
                status("m", "failed", "2026-02-10 09:01", error=131049),
            ]
        )
        is None
    )


def test_D_3_a_later_failed_does_not_undo_a_delivered_charge() -> None:
    statuses = [
        status("m", "delivered", "2026-02-10 09:01"),
        status("m", "failed", "2026-02-10 09:02", error=131026),
    ]
    assert len(rate_statuses(rater(), statuses, a_waba())) == 1


def test_R_X_5_rule_set_follows_the_local_date_of_the_charge_time() -> None:
    # 2026-01-31 23:30 in Sao Paulo is 2026-02-01 02:30 UTC: January card month
    waba = a_waba(zone="America/Sao_Paulo")
    charges = rate_statuses(rater(), [status("m", "delivered", "2026-02-01 02:30")], waba)
    assert charges[0].month == "2026-01"


def test_R_PMP_7_D_17_cbp_status_after_the_switch_adds_no_charge() -> None:
    statuses = [
        status(
            "m",
            "delivered",
            "2025-07-01 10:00",
            model="CBP",
            category="utility",
            pricing_type="regular",
            conversation="c1",
        )
    ]
    assert rate_statuses(rater(), statuses, a_waba()) == []


def test_R_X_8_D_2_cbp_charges_once_per_conversation_id() -> None:
    statuses = [
        status(
            f"m{i}",
            "delivered",
            f"2025-01-14 0{i}:00",
            model="CBP",
            category="marketing",
            conversation="c1",
        )
        for i in range(3)
    ]
    charges = rate_statuses(rater(), statuses, a_waba())
    assert [(c.key, c.amount) for c in charges] == [("c1", D("0.0625"))]


def test_R_CBP_8_service_conversation_from_2024_11_01_is_free() -> None:
    statuses = [
        status(
            "m", "delivered", "2025-01-14 00:00", model="CBP", category="service", conversation="c1"
        )
    ]
    assert rate_statuses(rater(), statuses, a_waba())[0].status is ChargeStatus.FREE


def test_D_15_cbp_october_2024_service_is_unrated_with_shipped_cards() -> None:
    # the free tier (D-10) covers the first 1,000; the shipped card has no service row
    rates = rater()
    rates.cbp_free_tier_size = 0
    statuses = [
        status(
            "m", "delivered", "2024-10-14 00:00", model="CBP", category="service", conversation="c1"
        )
    ]
    assert rate_statuses(rates, statuses, a_waba())[0].status is ChargeStatus.UNRATED


def test_D_15_R_RC_2_withdrawn_key_is_unrated_not_a_fallback() -> None:
    statuses = [
        status("m", "delivered", "2026-04-02 00:00", recipient="966501234567", category="marketing")
    ]
    charge = rate_statuses(rater(), statuses, a_waba())[0]
    assert (charge.market, charge.status, charge.amount) == (
        "Saudi Arabia",
        ChargeStatus.UNRATED,
        None,
    )


def test_D_12_R_PMP26_1_service_from_2026_10_01_uses_the_utility_list_rate() -> None:
    statuses = [status("m", "delivered", "2026-10-02 00:00", category="service")]
    charge = rate_statuses(rater(), statuses, a_waba())[0]
    assert (charge.category, charge.unit_rate) == ("service", D("0.0068"))


def test_R_PMP26_3_service_inside_the_free_tier_is_a_zero_charge() -> None:
    statuses = [
        status(
            "m",
            "delivered",
            "2026-10-02 00:00",
            category="service",
            pricing_type="free_customer_service",
        )
    ]
    charge = rate_statuses(rater(), statuses, a_waba())[0]
    assert (charge.status, charge.amount) == (ChargeStatus.FREE, D(0))


def test_D_20_marketing_lite_uses_the_marketing_rate_from_2025_07_01() -> None:
    statuses = [status("m", "delivered", "2026-02-10 00:00", category="marketing_lite")]
    assert rate_statuses(rater(), statuses, a_waba())[0].unit_rate == D("0.0625")


def test_D_21_group_utility_falls_back_to_the_utility_rate() -> None:
    statuses = [status("m", "delivered", "2026-02-10 00:00", category="group_utility")]
    assert rate_statuses(rater(), statuses, a_waba())[0].unit_rate == D("0.0068")


def test_D_19_hyphenated_category_is_normalised_and_unknown_is_unrated() -> None:
    hyphen = status(
        "a",
        "delivered",
        "2026-02-10 00:00",
        recipient=INDONESIA,
        category="authentication-international",
    )
    unknown = status("b", "delivered", "2026-02-10 00:00", category="mystery")
    charges = rate_statuses(rater(), [hyphen, unknown], a_waba())
    assert [(c.category, c.status) for c in charges] == [
        ("authentication_international", ChargeStatus.RATED),
        ("mystery", ChargeStatus.UNRATED),
    ]


def test_D_23_general_purpose_ai_needs_an_explicit_row() -> None:
    statuses = [status("m", "delivered", "2026-02-10 00:00", category="general_purpose_ai")]
    assert rate_statuses(rater(), statuses, a_waba())[0].status is ChargeStatus.UNRATED


def test_D_22_R_PMP26_6_tokens_are_charged_at_two_dollars_per_million() -> None:
    charge = rater().rate_tokens(
        key="t-1",
        waba=a_waba(),
        phone_number_id="P1",
        recipient="447700900123",
        ts=to_unix(instant("2026-09-03 13:20")),
        tokens=23500,
    )
    assert (charge.quantity, charge.amount) == (23500, D("0.047000"))


def test_D_22_tokens_before_2026_08_01_are_unrated() -> None:
    charge = rater().rate_tokens(
        key="t-1",
        waba=a_waba(),
        phone_number_id="P1",
        recipient="447700900123",
        ts=to_unix(instant("2026-07-03 13:20")),
        tokens=100,
    )
    assert charge.status is ChargeStatus.UNRATED


TIERED = """\
effective_from,currency,market,category,rate,tier_from,tier_to
2026-01-01,USD,India,utility,0.0014,1,2
2026-01-01,USD,India,utility,0.0013,3,4
2026-01-01,USD,India,utility,0.0012,5,
2026-01-01,USD,India,authentication,0.0014,1,2
2026-01-01,USD,India,authentication,0.0010,3,
2026-01-01,USD,India,authentication_international,0.0280,1,2
2026-01-01,USD,India,authentication_international,0.0200,3,
"""


def tiered_rater() -> Rater:
    return Rater(RateBook((card_from(TIERED),)), resolver())


def test_R_VT_3_tiers_are_marginal_in_charge_time_order() -> None:
    statuses = [
        status(
            f"m{i}",
            "delivered",
            to_unix(instant("2026-02-10 00:00")) + i,
            recipient=INDIA,
            category="utility",
        )
        for i in range(6)
    ]
    charges = rate_statuses(tiered_rater(), statuses, a_waba())
    assert [(c.unit_rate, c.tier) for c in charges] == [
        (D("0.0014"), "1:2"),
        (D("0.0014"), "1:2"),
        (D("0.0013"), "3:4"),
        (D("0.0013"), "3:4"),
        (D("0.0012"), "5:MAX"),
        (D("0.0012"), "5:MAX"),
    ]


def test_R_VT_4_tiers_reset_at_the_local_month() -> None:
    statuses = [
        status(f"m{i}", "delivered", f"2026-02-2{i} 00:00", recipient=INDIA, category="utility")
        for i in range(3)
    ]
    statuses.append(
        status("next", "delivered", "2026-03-01 00:00", recipient=INDIA, category="utility")
    )
    charges = rate_statuses(tiered_rater(), statuses, a_waba())
    assert [c.tier for c in charges] == ["1:2", "1:2", "3:4", "1:2"]


def test_R_VT_5_authentication_international_continues_the_authentication_accrual() -> None:
    statuses = [
        status("a1", "delivered", "2026-02-10 00:00", recipient=INDIA, category="authentication"),
        status("a2", "delivered", "2026-02-10 00:01", recipient=INDIA, category="authentication"),
        status(
            "i1",
            "delivered",
            "2026-02-10 00:02",
            recipient=INDIA,
            category="authentication_international",
        ),
    ]
    charges = rate_statuses(tiered_rater(), statuses, a_waba())
    assert charges[-1].unit_rate == D("0.0200")


def test_R_VT_2_free_utility_does_not_count_toward_tiers() -> None:
    statuses = [
        status(
            f"f{i}",
            "delivered",
            "2026-02-10 00:00",
            recipient=INDIA,
            category="utility",
            pricing_type="free_customer_service",
        )
        for i in range(5)
    ]
    statuses.append(
        status("paid", "delivered", "2026-02-10 01:00", recipient=INDIA, category="utility")
    )
    charges = rate_statuses(tiered_rater(), statuses, a_waba())
    assert charges[-1].tier == "1:2"


def test_D_14_meta_reported_tier_applies_from_its_update_time() -> None:
    rates = tiered_rater()
    rates.report_tier(
        portfolio_id="portfolio",
        market="India",
        group="utility",
        month="2026-02",
        report=TierReport(to_unix(instant("2026-02-10 12:00")), 5),
    )
    statuses = [
        status("early", "delivered", "2026-02-10 11:00", recipient=INDIA, category="utility"),
        status("late", "delivered", "2026-02-10 13:00", recipient=INDIA, category="utility"),
    ]
    charges = rate_statuses(rates, statuses, a_waba())
    assert [c.tier for c in charges] == ["1:2", "5:MAX"]


# ---- properties ---------------------------------------------------------------------------

KINDS = st.sampled_from(["sent", "delivered", "read", "failed"])
BASE = to_unix(instant("2026-02-10 00:00"))


@st.composite
def status_sets(draw: st.DrawFn) -> list[StatusEvent]:
    events: list[StatusEvent] = []
    for index in range(draw(st.integers(min_value=1, max_value=12))):
        category = draw(st.sampled_from(["marketing", "utility", "authentication", "service"]))
        kind = draw(st.sampled_from(["regular", "free_customer_service"]))
        for _ in range(draw(st.integers(min_value=1, max_value=5))):
            events.append(  # noqa: PERF401 - each draw must happen in order
                status(
                    f"m{index}",
                    draw(KINDS),
                    BASE + draw(st.integers(0, 86_400)),
                    recipient=INDIA,
                    category=category,
                    pricing_type=kind,
                )
            )
    return events


@settings(max_examples=60, deadline=None)
@given(events=status_sets(), seed=st.integers())
def test_R_IN_2_rating_is_independent_of_webhook_arrival_order(
    events: list[StatusEvent], seed: int
) -> None:
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 - a test shuffle, not a secret
    first = rate_statuses(tiered_rater(), events, a_waba())
    second = rate_statuses(tiered_rater(), shuffled, a_waba())
    assert sorted(map(tuple, first)) == sorted(map(tuple, second))


@settings(max_examples=60, deadline=None)
@given(events=status_sets(), repeat=st.integers(min_value=1, max_value=4))
def test_R_X_8_a_message_is_charged_once_however_many_statuses(
    events: list[StatusEvent], repeat: int
) -> None:
    charges = rate_statuses(tiered_rater(), events * repeat, a_waba())
    keys = [c.key for c in charges]
    assert len(keys) == len(set(keys))
    confirmed = {e.wamid for e in events if e.status.value in ("delivered", "read")}
    assert set(keys) == confirmed


def test_R_RT_1_hot_path_rates_quickly() -> None:
    rates = rater()
    waba = a_waba()
    statuses = [status(f"m{i}", "delivered", BASE + i, category="utility") for i in range(2000)]
    facts = [f for s in statuses if (f := facts_from_statuses([s])) is not None]
    start = datetime.now().timestamp()  # noqa: DTZ005 - a stopwatch, not a business instant
    for fact in facts:
        rates.rate(fact, waba)
    assert datetime.now().timestamp() - start < 1.0  # noqa: DTZ005 - generous; bench/ measures
