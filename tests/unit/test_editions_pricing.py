"""App editions: strategy validation and prices (spec app-editions §2.1–§2.8, §3, X1–X10)."""

# ruff: noqa: N802, PLR0917 - test names carry the spec's rule IDs (AE12, X5) in capitals;
# parametrised example tables take one positional argument per column.

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollhouse.domain.editions import (
    CapScope,
    Cycle,
    DiscountRow,
    DiscountType,
    DurationDiscount,
    Edition,
    EditionSettings,
    ExtraTrial,
    HeadcountLimits,
    OrderType,
    PerPersonRule,
    PriceTier,
    Strategy,
    Term,
    TieredRule,
    plan_change_quote,
    quote,
    round_half_up,
    save_strategy,
    strategy_violations,
    validate_strategy,
)
from tollhouse.domain.editions.errors import (
    BonusAboveCap,
    CycleMismatch,
    DiscountBelowFloor,
    DurationOutOfRange,
    EditionInvalid,
    HeadcountAboveMax,
    HeadcountBelowMin,
    HeadcountInvalid,
    HeadcountNotIncreased,
    HeadcountOutsideTiers,
    StrategyInvalid,
    TiersInvalid,
    TrialDaysInvalid,
    TrialTotalExceeds60,
    VendorPricedTerm,
)
from tollhouse.domain.periods import from_unix

# The editions of spec §6, each labelled by its edition_id.
STD_Y = Edition(
    "std-y", "Standard", Cycle.YEAR, PerPersonRule(19_900), basic=True,
    discount=DurationDiscount(
        DiscountType.PRICE_DISCOUNT, (DiscountRow(2, 90), DiscountRow(3, 80))
    ),
    limits=HeadcountLimits(5, 500), max_price_fen_per_cycle=5_000_000,
)  # fmt: skip
LITE_M = Edition(
    "lite-m", "Lite", Cycle.MONTH, PerPersonRule(1_299),
    discount=DurationDiscount(DiscountType.PRICE_DISCOUNT, (DiscountRow(3, 90),)),
)  # fmt: skip
TIER_Y = Edition(
    "tier-y", "Tiered", Cycle.YEAR,
    TieredRule((
        PriceTier(1, 50, fixed_price_fen=600_000),
        PriceTier(51, 200, unit_price_fen=10_000),
        PriceTier(201, None, unit_price_fen=8_000),
    )),
)  # fmt: skip
PROMO_Y = Edition(
    "promo-y", "Promo", Cycle.YEAR, PerPersonRule(19_900),
    discount=DurationDiscount(DiscountType.PRICE_DISCOUNT, (DiscountRow(3, 70),)),
    limits=HeadcountLimits(5, 500),
)  # fmt: skip
LITE_MB = Edition(
    "lite-mb", "Lite bonus", Cycle.MONTH, PerPersonRule(1_290),
    discount=DurationDiscount(
        DiscountType.BONUS_DAYS, (DiscountRow(3, 32), DiscountRow(6, 65), DiscountRow(12, 130))
    ),
)  # fmt: skip
BONUS_Y = Edition(
    "bonus-y", "Bonus", Cycle.YEAR, PerPersonRule(10_000),
    discount=DurationDiscount(DiscountType.BONUS_DAYS, (DiscountRow(1, 127),)),
)  # fmt: skip
EDITIONS = (STD_Y, LITE_M, TIER_Y, PROMO_Y, LITE_MB, BONUS_Y)
STRATEGY = Strategy(trial_days=30, editions=EDITIONS, extra_trial=ExtraTrial(enabled=True, days=7))


def with_discount(edition: Edition, kind: DiscountType, *rows: tuple[int, int]) -> Edition:
    discount = DurationDiscount(kind, tuple(DiscountRow(n, v) for n, v in rows))
    return replace(edition, discount=discount, basic=True)


def alone(edition: Edition) -> Strategy:
    return Strategy(trial_days=30, editions=(replace(edition, basic=True),))


def a_term(
    edition: Edition,
    *,
    headcount: int,
    cycles: int,
    begin: datetime,
    value: Decimal,
    bonus_days: int = 0,
    term_id: str = "t1",
) -> Term:
    return Term(
        term_id=term_id, order_id=f"o-{term_id}", edition_id=edition.edition_id,
        headcount=headcount, cycles=cycles, purchased_days=cycles * edition.cycle.days,
        bonus_days=bonus_days, begin=begin, value=value,
    )  # fmt: skip


# --- strategy validation (AE3, AE4, AE6, AE12, AE15, AE16) ---------------------------------


def test_AE3_the_section_6_strategy_is_valid() -> None:
    assert strategy_violations(STRATEGY) == ()
    validate_strategy(STRATEGY)


@pytest.mark.parametrize(
    ("edition", "error"),
    [
        pytest.param(PROMO_Y, None, id="editions-X5-r70-saved"),
        pytest.param(with_discount(PROMO_Y, DiscountType.PRICE_DISCOUNT, (3, 69)),
                     DiscountBelowFloor, id="editions-X5-r69"),
        pytest.param(LITE_MB, None, id="editions-X6-saved"),
        pytest.param(with_discount(LITE_MB, DiscountType.BONUS_DAYS, (3, 33)),
                     BonusAboveCap, id="editions-X6-3-33"),
        pytest.param(with_discount(LITE_MB, DiscountType.BONUS_DAYS, (6, 66)),
                     BonusAboveCap, id="editions-X6-6-66"),
        pytest.param(with_discount(LITE_MB, DiscountType.BONUS_DAYS, (12, 131)),
                     BonusAboveCap, id="editions-X6-12-131"),
        pytest.param(BONUS_Y, None, id="editions-X7-127-saved"),
        pytest.param(with_discount(BONUS_Y, DiscountType.BONUS_DAYS, (1, 128)),
                     BonusAboveCap, id="editions-X7-128"),
        pytest.param(with_discount(BONUS_Y, DiscountType.PRICE_DISCOUNT, (1, 65)),
                     DiscountBelowFloor, id="editions-X7-rate-65"),
    ],
)  # fmt: skip
def test_AE15_AE16_discount_rows_are_checked_when_the_strategy_is_saved(
    edition: Edition, error: type[EditionInvalid] | None
) -> None:
    strategy = alone(edition)
    if error is None:
        validate_strategy(strategy)
        return
    with pytest.raises(error) as caught:
        validate_strategy(strategy)
    assert caught.value.code in {
        "wecom.editions.discount_below_floor",
        "wecom.editions.bonus_above_cap",
    }


def test_AE15_a_rate_above_100_percent_is_rejected_too() -> None:
    with pytest.raises(DiscountBelowFloor):
        validate_strategy(alone(with_discount(STD_Y, DiscountType.PRICE_DISCOUNT, (2, 101))))


def test_AE12_AE15_AE16_every_violated_rule_is_named_at_once() -> None:
    # given an edition with a bad rate, another with a bad bonus and broken tiers
    bad_rate = with_discount(STD_Y, DiscountType.PRICE_DISCOUNT, (2, 69))
    bad_bonus = replace(with_discount(LITE_MB, DiscountType.BONUS_DAYS, (3, 33)), basic=False)
    bad_tiers = replace(
        TIER_Y,
        rule=TieredRule((PriceTier(1, 50, fixed_price_fen=1, unit_price_fen=1),
                         PriceTier(52, None, unit_price_fen=8_000))),
    )  # fmt: skip
    strategy = Strategy(trial_days=30, editions=(bad_rate, bad_bonus, bad_tiers))
    # when
    with pytest.raises(DiscountBelowFloor) as caught:
        validate_strategy(strategy)
    # then
    rules = [v["rule"] for v in caught.value.details["violations"]]
    assert rules == ["AE15", "AE16", "AE12", "AE12"]
    assert caught.value.details["errcode"] == 880016
    assert "AE16" in caught.value.message
    assert "AE12" in caught.value.message


@pytest.mark.parametrize(
    "tiers",
    [
        pytest.param((PriceTier(2, None, unit_price_fen=1),), id="not-from-1"),
        pytest.param((PriceTier(1, 10, unit_price_fen=1), PriceTier(10, None, unit_price_fen=1)),
                     id="overlap"),
        pytest.param((PriceTier(1, 10, unit_price_fen=1), PriceTier(12, None, unit_price_fen=1)),
                     id="gap"),
        pytest.param((PriceTier(1, None, unit_price_fen=1), PriceTier(2, 5, unit_price_fen=1)),
                     id="open-not-last"),
        pytest.param((PriceTier(1, None),), id="no-price"),
        pytest.param((PriceTier(1, None, fixed_price_fen=0),), id="zero-price"),
        pytest.param((), id="empty"),
    ],
)  # fmt: skip
def test_AE12_tiers_must_start_at_1_be_contiguous_and_carry_one_price(
    tiers: tuple[PriceTier, ...],
) -> None:
    with pytest.raises(TiersInvalid):
        validate_strategy(alone(replace(TIER_Y, rule=TieredRule(tiers))))


def test_AE12_a_closed_last_tier_is_valid() -> None:
    closed = replace(TIER_Y, rule=TieredRule((PriceTier(1, 10, unit_price_fen=100),)))
    validate_strategy(alone(closed))


def test_AE3_a_strategy_needs_exactly_one_basic_edition_and_unique_ids() -> None:
    two_basic = Strategy(trial_days=30, editions=(STD_Y, replace(LITE_M, basic=True)))
    duplicate = Strategy(trial_days=30, editions=(STD_Y, replace(LITE_M, edition_id="std-y")))
    for strategy in (two_basic, duplicate, Strategy(trial_days=30, editions=())):
        with pytest.raises(StrategyInvalid):
            validate_strategy(strategy)


@pytest.mark.parametrize("trial_days", [0, 61])
def test_AE4_trial_days_must_be_1_to_60(trial_days: int) -> None:
    with pytest.raises(TrialDaysInvalid):
        validate_strategy(Strategy(trial_days=trial_days, editions=(STD_Y,)))


def test_AE6_trial_plus_extra_trial_above_60_days_is_not_saved() -> None:
    strategy = Strategy(
        trial_days=55, editions=(STD_Y,), extra_trial=ExtraTrial(enabled=True, days=7)
    )
    with pytest.raises(TrialTotalExceeds60) as caught:
        validate_strategy(strategy)
    assert caught.value.details["rule"] == "AE6"
    validate_strategy(replace(strategy, trial_days=53))


def test_AE18_AE19_limits_and_cap_must_make_sense() -> None:
    bad = replace(STD_Y, limits=HeadcountLimits(10, 5), max_price_fen_per_cycle=0)
    rules = [v.rule for v in strategy_violations(alone(bad))]
    assert rules == ["AE18", "AE19"]


def test_AE2_D28_saving_a_strategy_again_creates_the_next_version() -> None:
    at = datetime(2024, 3, 1, 2, tzinfo=UTC)
    first = save_strategy(None, STRATEGY, app_id="app-1", at=at)
    edited = replace(STRATEGY, trial_days=14)
    second = save_strategy(first, edited, app_id="app-1", at=at + timedelta(days=1))
    assert (first.version, second.version) == (1, 2)
    assert first.strategy.trial_days == 30
    assert second.strategy.trial_days == 14


# --- new purchases and renewals (§3.1) -----------------------------------------------------


@pytest.mark.parametrize(
    ("edition", "headcount", "cycles", "amount", "days", "bonus", "term_days"),
    [
        pytest.param(STD_Y, 37, 1, 736_300, 365, 0, 365, id="editions-X1"),
        pytest.param(LITE_M, 5, 3, 17_537, 93, 0, 93, id="editions-X2-N3"),
        pytest.param(LITE_M, 5, 2, 12_990, 62, 0, 62, id="editions-X2-N2"),
        pytest.param(TIER_Y, 35, 2, 1_200_000, 730, 0, 730, id="editions-X3-H35"),
        pytest.param(TIER_Y, 1, 1, 600_000, 365, 0, 365, id="editions-X3-H1"),
        pytest.param(TIER_Y, 50, 1, 600_000, 365, 0, 365, id="editions-X3-H50"),
        pytest.param(TIER_Y, 120, 1, 1_200_000, 365, 0, 365, id="editions-X4-H120"),
        pytest.param(TIER_Y, 200, 1, 2_000_000, 365, 0, 365, id="editions-X4-H200"),
        pytest.param(TIER_Y, 201, 1, 1_608_000, 365, 0, 365, id="editions-X4-H201"),
        pytest.param(TIER_Y, 250, 1, 2_000_000, 365, 0, 365, id="editions-X4-H250"),
        pytest.param(PROMO_Y, 10, 3, 417_900, 1_095, 0, 1_095, id="editions-X5"),
        pytest.param(LITE_MB, 20, 4, 103_200, 124, 32, 156, id="editions-X6-N4"),
        pytest.param(LITE_MB, 20, 12, 309_600, 372, 130, 502, id="editions-X6-N12"),
        pytest.param(BONUS_Y, 10, 1, 100_000, 365, 127, 492, id="editions-X7"),
        pytest.param(STD_Y, 5, 1, 99_500, 365, 0, 365, id="editions-X8-H5"),
        pytest.param(STD_Y, 500, 1, 5_000_000, 365, 0, 365, id="editions-X8-H500"),
        pytest.param(STD_Y, 300, 3, 14_328_000, 1_095, 0, 1_095, id="editions-X9-H300"),
        pytest.param(STD_Y, 400, 3, 15_000_000, 1_095, 0, 1_095, id="editions-X9-H400"),
        pytest.param(STD_Y, 37, 1, 736_300, 365, 0, 365, id="editions-X10a"),
        pytest.param(STD_Y, 37, 2, 1_325_340, 730, 0, 730, id="editions-X10b"),
    ],
)
def test_AE9_to_AE20_a_purchase_costs_what_the_worked_example_says(
    edition: Edition, headcount: int, cycles: int, amount: int, days: int, bonus: int,
    term_days: int,
) -> None:  # fmt: skip
    result = quote(edition, order_type=OrderType.NEW_PURCHASE, headcount=headcount, cycles=cycles)
    assert result.amount_fen == amount
    assert result.order_period == days
    assert result.gift_duration_days == bonus
    assert result.price is not None
    assert result.price.term_days == term_days
    assert sum(line.amount_fen for line in result.lines) == amount


def test_AE20_X2_the_half_fen_rounds_up_not_to_even() -> None:
    result = quote(LITE_M, order_type=OrderType.RENEWAL, headcount=5, cycles=3)
    assert result.price is not None
    assert result.price.base_fen == 19_485
    assert result.price.after_discount == Decimal("17536.50")
    assert result.amount_fen == 17_537


def test_AE19_D3_X9_the_cap_applies_after_the_discount() -> None:
    result = quote(STD_Y, order_type=OrderType.NEW_PURCHASE, headcount=400, cycles=3)
    assert result.price is not None
    assert result.price.base_fen == 23_880_000
    assert result.price.after_discount == Decimal("19104000.00")
    assert result.price.cap_fen == 15_000_000
    assert [line.amount_fen for line in result.lines] == [23_880_000, -4_776_000, -4_104_000]


@pytest.mark.parametrize(
    "headcount",
    [
        pytest.param(300, id="editions-X9-per-order-H300"),
        pytest.param(400, id="editions-X9-per-order-H400"),
    ],
)
def test_D2_X9_a_per_order_cap_prices_both_head_counts_at_the_cap(headcount: int) -> None:
    settings = EditionSettings(cap_scope=CapScope.PER_ORDER)
    result = quote(STD_Y, order_type=OrderType.NEW_PURCHASE, headcount=headcount, cycles=3,
                   settings=settings)  # fmt: skip
    assert result.amount_fen == 5_000_000


@pytest.mark.parametrize(
    ("edition", "headcount", "error"),
    [
        pytest.param(STD_Y, 4, HeadcountBelowMin, id="editions-X8-H4"),
        pytest.param(STD_Y, 501, HeadcountAboveMax, id="editions-X8-H501"),
        pytest.param(STD_Y, 0, HeadcountInvalid, id="AE11-zero"),
        pytest.param(replace(TIER_Y, rule=TieredRule((PriceTier(1, 10, unit_price_fen=100),))),
                     11, HeadcountOutsideTiers, id="AE13-above-closed-tier"),
    ],
)  # fmt: skip
def test_AE13_AE18_a_head_count_outside_the_limits_cannot_be_ordered(
    edition: Edition, headcount: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        quote(edition, order_type=OrderType.NEW_PURCHASE, headcount=headcount, cycles=1)


@pytest.mark.parametrize(
    ("edition", "cycles", "ok"),
    [(STD_Y, 5, True), (STD_Y, 6, False), (LITE_M, 58, True), (LITE_M, 59, False),
     (LITE_M, 0, False)],
)  # fmt: skip
def test_AE9_a_purchase_buys_1_to_1825_days_of_whole_cycles(
    edition: Edition, cycles: int, ok: bool
) -> None:
    if ok:
        quote(edition, order_type=OrderType.NEW_PURCHASE, headcount=10, cycles=cycles)
        return
    with pytest.raises(DurationOutOfRange):
        quote(edition, order_type=OrderType.NEW_PURCHASE, headcount=10, cycles=cycles)


# --- plan changes (§3.2, AE25–AE30) --------------------------------------------------------

X1_PAID = from_unix(1_709_258_400)  # 2024-03-01 10:00 +08:00
X1_END = from_unix(1_740_794_400)  # 2025-03-01 10:00 +08:00


def test_AE28_the_seed_credit_is_1000_cny_times_100_over_365() -> None:
    # given a 365-day term worth 100 000 fen with 100 days left
    term = a_term(STD_Y, headcount=5, cycles=1, begin=X1_PAID, value=Decimal(100_000))
    at = X1_END - timedelta(days=100)
    # when the same plan is re-quoted as an edition change
    result = plan_change_quote(alone(STD_Y), [term], order_type=OrderType.EDITION_CHANGE, at=at,
                               edition_id="std-y")  # fmt: skip
    # then
    (revaluation,) = result.terms
    assert revaluation.remaining_days == 100
    assert revaluation.term_days == 365
    assert revaluation.credit == Decimal("27397.2603")


@pytest.mark.parametrize(
    ("created", "remaining"),
    [
        pytest.param("2025-12-31T23:00:00+08:00", 1, id="one-hour-left"),
        pytest.param("2025-12-01T00:00:00+08:00", 31, id="31-days-left"),
    ],
)
def test_AE28_D5_a_started_day_counts_as_remaining(created: str, remaining: int) -> None:
    end = datetime.fromisoformat("2026-01-01T00:00:00+08:00").astimezone(UTC)
    term = a_term(STD_Y, headcount=5, cycles=1, begin=end - timedelta(days=365),
                  value=Decimal(99_500))  # fmt: skip
    assert term.remaining_days(datetime.fromisoformat(created).astimezone(UTC)) == remaining


def test_AE25_AE30_an_expansion_charges_the_new_value_of_the_remaining_time_minus_the_credit() -> (
    None
):
    # given X1's term (37 people, 736 300 fen) with 100 days left
    term = a_term(STD_Y, headcount=37, cycles=1, begin=X1_PAID, value=Decimal(736_300))
    at = X1_END - timedelta(days=100)
    # when expanding to 50 people
    result = plan_change_quote(alone(STD_Y), [term], order_type=OrderType.EXPANSION, at=at,
                               headcount=50)  # fmt: skip
    # then (995 000 − 736 300) × 100 / 365 = 70 876.71… → 70 877
    assert result.amount_fen == 70_877
    assert result.order_period == 100
    assert result.terms[0].new_value == Decimal(995_000)
    assert sum(line.amount_fen for line in result.lines) == 70_877


def test_AE17_AE29_the_term_discount_carries_through_an_expansion() -> None:
    term = a_term(STD_Y, headcount=300, cycles=3, begin=X1_PAID, value=Decimal(14_328_000))
    result = plan_change_quote(alone(STD_Y), [term], order_type=OrderType.EXPANSION,
                               at=X1_PAID + timedelta(days=1), headcount=310)  # fmt: skip
    assert result.terms[0].new_value == Decimal("14805600.00")  # 19 900 × 310 × 3 × 80 %


def test_AE28_a_renewal_not_yet_begun_is_credited_in_full() -> None:
    first = a_term(STD_Y, headcount=37, cycles=1, begin=X1_PAID, value=Decimal(736_300))
    renewal = a_term(STD_Y, headcount=37, cycles=1, begin=X1_END, value=Decimal(736_300),
                     term_id="t2")  # fmt: skip
    at = X1_END - timedelta(days=10)
    result = plan_change_quote(alone(STD_Y), [first, renewal], order_type=OrderType.EXPANSION,
                               at=at, headcount=38)  # fmt: skip
    assert [t.remaining_days for t in result.terms] == [10, 365]
    # (19 900 × 10 / 365) + 19 900 = 545.2054… + 19 900 = 20 445.21 → 20 445
    assert result.amount_fen == 20_445


def test_AE30_a_cheaper_edition_costs_0_and_the_excess_credit_is_forfeited() -> None:
    cheap = replace(STD_Y, edition_id="cheap-y", basic=False, rule=PerPersonRule(10_000))
    strategy = Strategy(trial_days=30, editions=(STD_Y, cheap))
    term = a_term(STD_Y, headcount=37, cycles=1, begin=X1_PAID, value=Decimal(736_300))
    result = plan_change_quote(strategy, [term], order_type=OrderType.EDITION_CHANGE,
                               at=X1_END - timedelta(days=73), edition_id="cheap-y")  # fmt: skip
    assert result.amount_fen == 0
    # (370 000 − 736 300) × 73 / 365 = −73 260
    assert result.credit_forfeited_fen == 73_260
    assert sum(line.amount_fen for line in result.lines) == 0


def test_AE25_an_expansion_must_raise_the_head_count() -> None:
    term = a_term(STD_Y, headcount=37, cycles=1, begin=X1_PAID, value=Decimal(736_300))
    with pytest.raises(HeadcountNotIncreased):
        plan_change_quote(alone(STD_Y), [term], order_type=OrderType.EXPANSION,
                          at=X1_PAID, headcount=37)  # fmt: skip


def test_AE25_AE18_an_expansion_must_stay_within_the_limits() -> None:
    term = a_term(STD_Y, headcount=37, cycles=1, begin=X1_PAID, value=Decimal(736_300))
    with pytest.raises(HeadcountAboveMax):
        plan_change_quote(alone(STD_Y), [term], order_type=OrderType.EXPANSION,
                          at=X1_PAID, headcount=501)  # fmt: skip


def test_AE27_an_edition_change_keeps_the_cycle() -> None:
    strategy = Strategy(trial_days=30, editions=(STD_Y, LITE_M))
    term = a_term(STD_Y, headcount=37, cycles=1, begin=X1_PAID, value=Decimal(736_300))
    with pytest.raises(CycleMismatch):
        plan_change_quote(strategy, [term], order_type=OrderType.EDITION_CHANGE,
                          at=X1_PAID, edition_id="lite-m")  # fmt: skip


def test_AE27_the_kept_head_count_must_fit_the_target_edition() -> None:
    strategy = Strategy(
        trial_days=30, editions=(STD_Y, replace(PROMO_Y, limits=HeadcountLimits(40)))
    )
    term = a_term(STD_Y, headcount=37, cycles=1, begin=X1_PAID, value=Decimal(736_300))
    with pytest.raises(HeadcountBelowMin):
        plan_change_quote(strategy, [term], order_type=OrderType.EDITION_CHANGE,
                          at=X1_PAID, edition_id="promo-y")  # fmt: skip


def test_D26_a_vendor_priced_term_cannot_be_changed_by_the_corp() -> None:
    term = replace(a_term(STD_Y, headcount=37, cycles=1, begin=X1_PAID, value=Decimal(1)),
                   vendor_priced=True)  # fmt: skip
    with pytest.raises(VendorPricedTerm):
        plan_change_quote(alone(STD_Y), [term], order_type=OrderType.EXPANSION,
                          at=X1_PAID, headcount=40)  # fmt: skip


# --- properties (STYLE 2.18) ---------------------------------------------------------------

rates = st.integers(min_value=70, max_value=100)


@st.composite
def priced_editions(draw: st.DrawFn) -> Edition:
    cycle = draw(st.sampled_from(Cycle))
    rows = draw(st.lists(st.tuples(st.integers(1, 5), rates), max_size=3, unique_by=lambda r: r[0]))
    cap = draw(st.none() | st.integers(min_value=1, max_value=10**8))
    return Edition(
        "e", "E", cycle, PerPersonRule(draw(st.integers(1, 10**6))), basic=True,
        discount=DurationDiscount(DiscountType.PRICE_DISCOUNT,
                                  tuple(DiscountRow(n, r) for n, r in rows)) if rows else None,
        max_price_fen_per_cycle=cap,
    )  # fmt: skip


@given(edition=priced_editions(), headcount=st.integers(1, 10_000), cycles=st.integers(1, 5))
def test_AE19_AE20_a_quote_never_exceeds_the_cap_or_the_base_and_its_lines_sum_to_it(
    edition: Edition, headcount: int, cycles: int
) -> None:
    result = quote(edition, order_type=OrderType.NEW_PURCHASE, headcount=headcount, cycles=cycles)
    assert result.price is not None
    cap = edition.max_price_fen_per_cycle
    if cap is not None:
        assert result.amount_fen <= cap * cycles
    assert 0 < result.amount_fen <= result.price.base_fen
    assert sum(line.amount_fen for line in result.lines) == result.amount_fen


@given(
    value=st.decimals(min_value=0, max_value=10**9, places=2),
    cycles=st.integers(1, 5),
    bonus=st.integers(0, 127),
    elapsed_seconds=st.integers(min_value=-(10**7), max_value=6 * 365 * 86_400),
    new_headcount=st.integers(6, 500),
)
def test_AE28_AE30_the_credit_is_between_zero_and_what_was_paid_for_the_remaining_days(
    value: Decimal, cycles: int, bonus: int, elapsed_seconds: int, new_headcount: int
) -> None:
    # given a term of STD_Y for 5 people worth `value`, looked at some time after it began
    term = a_term(STD_Y, headcount=5, cycles=cycles, begin=X1_PAID, value=value, bonus_days=bonus)
    at = X1_PAID + timedelta(seconds=elapsed_seconds)
    if not term.unfinished(at):
        return
    # when expanding
    result = plan_change_quote(alone(STD_Y), [term], order_type=OrderType.EXPANSION, at=at,
                               headcount=new_headcount)  # fmt: skip
    # then
    (revaluation,) = result.terms
    paid_for_remaining = Fraction(value) * Fraction(revaluation.remaining_days, term.term_days)
    assert 0 <= revaluation.remaining_days <= term.term_days
    assert Decimal(0) <= revaluation.credit <= value
    assert abs(Fraction(revaluation.credit) - paid_for_remaining) <= Fraction(1, 20_000)
    assert result.amount_fen >= 0
    assert sum(line.amount_fen for line in result.lines) == result.amount_fen


@given(headcount=st.integers(5, 500), cycles=st.integers(1, 5), days_in=st.integers(0, 1_800))
def test_D4_re_quoting_the_same_plan_costs_exactly_0(
    headcount: int, cycles: int, days_in: int
) -> None:
    price = quote(STD_Y, order_type=OrderType.NEW_PURCHASE, headcount=headcount, cycles=cycles)
    assert price.price is not None
    term = a_term(STD_Y, headcount=headcount, cycles=cycles, begin=X1_PAID,
                  value=price.price.after_cap)  # fmt: skip
    at = X1_PAID + timedelta(days=days_in, hours=3)
    if not term.unfinished(at):
        return
    result = plan_change_quote(alone(STD_Y), [term], order_type=OrderType.EDITION_CHANGE, at=at,
                               edition_id="std-y")  # fmt: skip
    assert result.amount_fen == 0
    assert result.credit_forfeited_fen == 0


@given(numerator=st.integers(-(10**12), 10**12), denominator=st.sampled_from([1, 2, 4, 100, 10**4]))
def test_AE20_round_half_up_of_a_fraction_matches_decimal_round_half_up(
    numerator: int, denominator: int
) -> None:
    exact = Decimal(numerator) / Decimal(denominator)
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert round_half_up(Fraction(numerator, denominator)) == expected
