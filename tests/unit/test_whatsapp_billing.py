# ruff: noqa: N802, FBT003 - test names cite spec rule IDs (R-CBP-1, D-3) in their capitals; flags mirror platform fields
"""BSP fees (§6), statements (R-ST-*, D-1) and budgets (R-BUD-*), with their invariants."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_whatsapp_fixtures import a_waba, instant, rater
from tollhouse.domain.periods import natural_month, to_unix
from tollhouse.domain.whatsapp.budgets import (
    AlertKind,
    Basis,
    Budget,
    BudgetTracker,
    EstimateDecision,
    OutsidePeriod,
    forecast_month_end,
)
from tollhouse.domain.whatsapp.errors import InvalidFeePlan, StatementCurrencyMixed
from tollhouse.domain.whatsapp.fees import (
    AddonRule,
    Direction,
    FailedMode,
    FeeItem,
    MessageActivity,
    NumberActivity,
    Outcome,
    PercentageRule,
    PerMessageRule,
    PrepaidWallet,
    Section,
    TemplateSubmission,
    WalletDecision,
    addon_fees,
    fee_rate,
    licence_fees,
    per_message_fees,
    percentage_fee,
    template_review_fees,
    unique_contact_bundles,
)
from tollhouse.domain.whatsapp.rating import Charge, ChargeFacts, ChargeStatus
from tollhouse.domain.whatsapp.statements import Adjustment, build_statement
from tollhouse.domain.whatsapp.vocabulary import Category, PricingModel, PricingType

D = Decimal
UTC_ZONE = ZoneInfo("UTC")
FEB = natural_month(instant("2026-02-10 00:00"), UTC_ZONE)


def marketing(key: str, at: str = "2026-02-10 00:00") -> Charge:
    facts = ChargeFacts(
        key,
        "P1",
        "5511912345678",
        to_unix(instant(at)),
        PricingModel.PMP,
        Category.MARKETING,
        PricingType.REGULAR,
    )
    charge = rater().rate(facts, a_waba())
    assert charge is not None
    return charge


def test_D_25_number_licence_is_a_full_month_for_any_active_day() -> None:
    numbers = [
        NumberActivity("a", "regular", instant("2026-02-28 23:00")),
        NumberActivity(
            "b", "regular", instant("2026-01-01 00:00"), removed_at=instant("2026-02-01 00:30")
        ),
        NumberActivity(
            "c", "regular", instant("2026-01-01 00:00"), removed_at=instant("2026-02-01 00:00")
        ),
        NumberActivity("d", "regular", instant("2026-03-01 00:00")),
    ]
    (item,) = licence_fees(numbers, plans={"regular": D(25)}, month=FEB, currency="USD")
    assert item.quantity == 2


def test_number_licence_refuses_an_unknown_plan() -> None:
    with pytest.raises(InvalidFeePlan):
        licence_fees(
            [NumberActivity("a", "gold", instant("2026-02-01 00:00"))],
            plans={"regular": D(25)},
            month=FEB,
            currency="USD",
        )


def test_per_message_fee_by_direction_class_and_free_units() -> None:
    rule = PerMessageRule("inbound", D("0.002"), direction=Direction.INBOUND, free_units=1)
    activity = [
        MessageActivity(str(i), Direction.INBOUND, False, Outcome.RECEIVED) for i in range(3)
    ]
    activity.append(MessageActivity("o", Direction.OUTBOUND, True, Outcome.DELIVERED))
    assert [
        (f.quantity, f.unit_rate) for f in per_message_fees(rule, activity, currency="USD")
    ] == [(2, D("0.002"))]


def test_D_24_failed_fee_added_when_the_mode_is_add() -> None:
    rule = PerMessageRule("m", D("0.005"), failed_amount=D("0.001"), failed_mode=FailedMode.ADD)
    activity = [MessageActivity("f", Direction.OUTBOUND, True, Outcome.FAILED)]
    fees = per_message_fees(rule, activity, currency="USD")
    assert sum((f.amount for f in fees), D(0)) == D("0.006")


def test_per_message_counted_on_delivery_skips_accepted_only() -> None:
    rule = PerMessageRule("m", D("0.005"), count_on=Outcome.DELIVERED)
    activity = [
        MessageActivity("a", Direction.OUTBOUND, True, Outcome.ACCEPTED),
        MessageActivity("b", Direction.OUTBOUND, True, Outcome.DELIVERED),
    ]
    assert [f.quantity for f in per_message_fees(rule, activity, currency="USD")] == [1]


def test_percentage_fee_uses_the_exact_base_and_rounds_once() -> None:
    charges = [marketing(f"m{i}") for i in range(3)]  # 3 x 0.0625 = 0.1875
    fee = percentage_fee(PercentageRule("managed_billing", D(5)), charges, currency="USD")
    assert fee is not None
    assert fee.amount == D("0.009375")
    statement = build_statement(currency="USD", month="2026-02", charges=charges, fees=[fee])
    assert [ln.amount for ln in statement.lines] == [D("0.19"), D("0.01")]


def test_gupshup_percentage_applies_only_to_marketing_categories() -> None:
    charges = [marketing("m1")]
    rule = PercentageRule("cloud_marketing", D(6), categories=frozenset({"utility"}))
    assert percentage_fee(rule, charges, currency="USD") is None


def test_template_review_fee_counts_each_new_name_and_language_once() -> None:
    subs = [
        TemplateSubmission("order", "en_US"),
        TemplateSubmission("order", "en_US"),
        TemplateSubmission("order", "pt_BR"),
        TemplateSubmission("old", "en_US", is_new=False),
    ]
    (item,) = template_review_fees(subs, amount=D("2.00"), currency="USD")
    assert item.quantity == 2
    (again,) = template_review_fees(
        subs, amount=D("2.00"), currency="USD", count_resubmissions=True
    )
    assert again.quantity == 4


def test_addon_monthly_with_per_use_beyond_free_units() -> None:
    rule = AddonRule("engagement_suite", D(0), per_use=D("0.015"), free_units=1000)
    items = addon_fees(rule, active_scopes=1, uses=1200, currency="USD")
    assert [(i.quantity, i.amount) for i in items] == [(200, D("3.000"))]


def test_unique_contact_bundle_rounds_up_to_whole_bundles() -> None:
    (item,) = unique_contact_bundles(
        [str(i % 50_001) for i in range(60_000)], bundle_size=50_000, amount=D(100), currency="USD"
    )
    assert item.quantity == 2


@pytest.mark.parametrize("raw", ["0.0000001", "-1", "abc", "NaN"])
def test_D_1_fee_rates_are_decimal_strings_with_at_most_six_places(raw: str) -> None:
    with pytest.raises(InvalidFeePlan):
        fee_rate(raw, what="amount")


def test_R_BUD_4_wallet_reserves_debits_and_blocks_below_the_minimum() -> None:
    wallet = PrepaidWallet("USD", low_balance_alerts=(D(5), D("0.5")))
    wallet.top_up(D(10))
    assert wallet.reserve("e1", D(6)) is WalletDecision.ALLOW
    assert wallet.reserve("e2", D(6)) is WalletDecision.BLOCK
    assert wallet.debit("e1", D("5.5")) == [D(5)]
    assert wallet.debit("x", D("4.1")) == [D("0.5")]
    assert wallet.debit("y", D(1)) == []  # each threshold alerts once
    assert wallet.blocked


def test_D_26_a_statement_has_one_currency() -> None:
    with pytest.raises(StatementCurrencyMixed):
        build_statement(currency="EUR", month="2026-02", charges=[marketing("m")])


def test_D_15_R_ST_4_unrated_charges_are_counted_not_summed() -> None:
    unrated = Charge(
        "u",
        "W",
        "P1",
        0,
        "2026-02",
        PricingModel.PMP,
        "SA",
        "Saudi Arabia",
        "marketing",
        PricingType.REGULAR,
        ChargeStatus.UNRATED,
        "USD",
        None,
        None,
    )
    statement = build_statement(currency="USD", month="2026-02", charges=[unrated], pending=2)
    assert (statement.lines, statement.unrated, statement.pending) == ((), 1, 2)


def test_D_5_R_RT_4_adjustments_are_their_own_lines_labelled_with_their_month() -> None:
    late = marketing("late", "2026-01-31 12:00")
    statement = build_statement(
        currency="USD",
        month="2026-02",
        charges=[marketing("m")],
        adjustments=[Adjustment("2026-01", late)],
    )
    assert [(ln.section, ln.original_month, ln.amount) for ln in statement.lines] == [
        (Section.META, None, D("0.06")),
        (Section.ADJUSTMENTS, "2026-01", D("0.06")),
    ]
    assert statement.total == D("0.12")


@settings(max_examples=100, deadline=None)
@given(
    items=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.decimals(min_value=0, max_value=10, places=6),
            st.integers(min_value=-5, max_value=5_000),
        ),
        max_size=30,
    )
)
def test_D_1_statement_lines_sum_to_the_total(items: list[tuple[str, Decimal, int]]) -> None:
    fees = [FeeItem(Section.PER_MESSAGE, name, qty, rate, "USD") for name, rate, qty in items]
    statement = build_statement(currency="USD", month="2026-02", fees=fees)
    assert statement.total == sum((ln.amount for ln in statement.lines), D(0))
    assert statement.total_exact == sum((f.amount for f in fees), D(0))
    assert all(abs(ln.amount - ln.amount_exact) <= D("0.005") for ln in statement.lines)
    assert all(ln.amount == ln.amount.quantize(D("0.01")) for ln in statement.lines)


# ---- budgets ------------------------------------------------------------------------------


def test_R_BUD_2_each_threshold_alerts_once_per_period() -> None:
    tracker = BudgetTracker(Budget(D(500), "USD"), FEB)
    at = instant("2026-02-10 00:00")
    assert [a.threshold for a in tracker.record(D(260), meta=True, at=at)] == [50]
    assert tracker.record(D(10), meta=True, at=at) == []
    assert [a.threshold for a in tracker.record(D(250), meta=False, at=at)] == [80, 100]
    assert tracker.record(D(100), meta=True, at=at) == []


def test_R_BUD_1_basis_meta_ignores_bsp_fees() -> None:
    tracker = BudgetTracker(Budget(D(100), "USD", basis=Basis.META), FEB)
    assert tracker.record(D(100), meta=False, at=instant("2026-02-10 00:00")) == []
    assert tracker.spent == 0


def test_R_BUD_2_forecast_alert_fires_once_when_the_projection_passes_the_budget() -> None:
    tracker = BudgetTracker(Budget(D(280), "USD", forecast=True), FEB)
    alerts = tracker.record(D(100), meta=True, at=instant("2026-02-08 00:00"))  # 7 of 28 days
    forecast = [a for a in alerts if a.kind is AlertKind.FORECAST_EXCEEDS]
    assert [a.forecast for a in forecast] == [D(400)]
    assert tracker.record(D(1), meta=True, at=instant("2026-02-09 00:00")) == []


def test_R_BUD_3_hard_limit_blocks_the_estimate_otherwise_warns() -> None:
    soft = BudgetTracker(Budget(D(10), "USD"), FEB, spent=D("9.99"))
    hard = BudgetTracker(Budget(D(10), "USD", hard_limit=True), FEB, spent=D("9.99"))
    assert soft.check_estimate(D("0.0625")) is EstimateDecision.WARN
    assert hard.check_estimate(D("0.0625")) is EstimateDecision.BLOCK
    assert hard.check_estimate(D("0.01")) is EstimateDecision.ALLOW


def test_R_BUD_2_spend_outside_the_period_is_refused() -> None:
    tracker = BudgetTracker(Budget(D(10), "USD"), FEB)
    with pytest.raises(OutsidePeriod):
        tracker.record(D(1), meta=True, at=instant("2026-03-01 00:00"))


@settings(max_examples=100, deadline=None)
@given(
    spent=st.decimals(min_value=0, max_value=10**6, places=6),
    seconds=st.integers(min_value=1, max_value=28 * 86_400),
)
def test_R_BUD_2_forecast_is_never_below_month_to_date_spend(spent: Decimal, seconds: int) -> None:
    at = FEB.start.fromtimestamp(FEB.start.timestamp() + seconds, tz=FEB.start.tzinfo)
    assert forecast_month_end(spent, FEB, at=at) >= spent
