"""Pricing of WeCom licences: both layers (spec §3, rules L68–L84)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollhouse.domain.licences import (
    SAMPLE_PROFILES,
    AccountType,
    Duration,
    LicenceRuleViolation,
    OffsetOperator,
    PlatformPricing,
    PricingRules,
    PurchaseKind,
    coterm_duration,
    profile_from_config,
    reseller_quote,
)
from tollhouse.domain.tiers import InvalidTierTable, table_from_rows

NOW = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)  # 2024-05-06 10:00 Asia/Shanghai
BASIC, INTEROP = AccountType.BASIC, AccountType.INTEROP


def platform(**kwargs: object) -> PlatformPricing:
    default = PlatformPricing.default()
    return PlatformPricing(
        kwargs.get("basic", default.basic),  # type: ignore[arg-type]
        kwargs.get("interop", default.interop),  # type: ignore[arg-type]
        kwargs.get("rules", default.rules),  # type: ignore[arg-type]
        kwargs.get("offset_operator", default.offset_operator),  # type: ignore[arg-type]
    )


def price_of(pricing: PlatformPricing, counts: dict[AccountType, int], *, offsets=None,
             days: int) -> int:
    lines = pricing.new_order_lines(counts, offsets=offsets or {}, duration_days=days)
    return sum(line.amount or 0 for line in lines)


@pytest.mark.parametrize(
    ("counts", "duration", "offsets", "expected"),
    [
        pytest.param({BASIC: 1}, Duration(2, 20), {}, 110, id="licences-W1"),
        pytest.param({BASIC: 5}, Duration(12), {BASIC: 3}, 2_200, id="licences-W17"),
        pytest.param({INTEROP: 7}, Duration(2, 20), {}, 7_715, id="licences-W20"),
    ],
)
def test_platform_price_is_graduated_and_prorated_once(counts, duration, offsets, expected) -> None:
    assert price_of(PlatformPricing.default(), counts, offsets=offsets,
                    days=duration.total_days) == expected


def test_W20_one_tier_of_30_fen_rounds_half_up_to_3_not_half_even() -> None:
    # given an interop table of one tier at 30 fen
    pricing = platform(interop=table_from_rows([{"from": 1, "to": None, "unit_price": 30}]))
    # when one interop account is bought for one month: 30 × 31 / 372 = 2.5
    assert price_of(pricing, {INTEROP: 1}, days=31) == 3
    half_even = platform(interop=pricing.interop, rules=PricingRules(372, ROUND_HALF_EVEN))
    assert price_of(half_even, {INTEROP: 1}, days=31) == 2


def test_W1_duration_is_months_times_31_plus_days() -> None:
    assert Duration(2, 20).total_days == 82
    line = PlatformPricing.default().new_order_lines({BASIC: 1}, offsets={}, duration_days=82)[0]
    assert line.exact == Decimal(500) * 82 / 372


@pytest.mark.parametrize(
    ("operator", "expected_offset", "expected_price"),
    [
        pytest.param(OffsetOperator.GE, 4, 1_300, id="licences-W18"),
        pytest.param(OffsetOperator.GT, 3, 1_400, id="licences-W18-gt"),
    ],
)
def test_L77_offset_counts_codes_covering_the_duration(operator, expected_offset,
                                                         expected_price) -> None:
    expiries = (
        [NOW + timedelta(days=400)] * 3 + [NOW + timedelta(days=372)] + [NOW + timedelta(days=100)] * 6
    )
    pricing = platform(offset_operator=operator)
    offset = pricing.offset_counts(expiries, at=NOW, duration_days=372)
    assert offset == expected_offset
    assert price_of(pricing, {BASIC: 3}, offsets={BASIC: offset}, days=372) == expected_price


def test_W19_renewals_start_at_offset_zero_per_type() -> None:
    lines = PlatformPricing.default().renewal_lines({BASIC: 8, INTEROP: 100}, months=12)
    assert [line.amount for line in lines] == [3_700, 500_000]
    assert sum(line.amount or 0 for line in lines) == 503_700


def test_L73_renewal_by_new_expire_time_prices_each_account_by_its_own_days() -> None:
    lines = PlatformPricing.default().renewal_lines_by_days({BASIC: [372, 186, 31]})
    # 500 × 372 + 500 × 186 + 500 × 31 = 294 500 fen-days / 372 = 791.66… → 792
    assert lines[0].amount == 792


def caoliao():
    return profile_from_config("caoliao", SAMPLE_PROFILES["caoliao"])


def scrm():
    return profile_from_config("scrm-interop", SAMPLE_PROFILES["scrm-interop"])


def test_W16_reseller_tiers_are_graduated_not_volume() -> None:
    profile = profile_from_config("w16", {"tiers": {"basic": [
        {"from": 1, "to": 5, "unit_price": 5000}, {"from": 6, "to": None, "unit_price": 4000}]}})
    quote = reseller_quote(profile, {BASIC: 8}, kind=PurchaseKind.FIRST, duration=Duration(12),
                           platform_offsets={})
    assert quote.quote_status == "priced"
    assert quote.price == 37_000


@pytest.mark.parametrize(
    ("count", "kind", "months", "status", "price", "custom_from"),
    [
        pytest.param(10_000, PurchaseKind.FIRST, 12, "priced", 1_170_500, None,
                     id="licences-W21-10000"),
        pytest.param(10_001, PurchaseKind.FIRST, 12, "custom_quote_required", None, 10_001,
                     id="licences-W21-10001"),
        pytest.param(20, PurchaseKind.ADDITIONAL, 12, "priced", 8_500, None,
                     id="licences-W21-additional"),
        pytest.param(20, PurchaseKind.FIRST, 24, "priced", 17_000, None,
                     id="licences-W21-24-months"),
    ],
)
def test_W21_caoliao_profile(count, kind, months, status, price, custom_from) -> None:
    quote = reseller_quote(caoliao(), {BASIC: count}, kind=kind, duration=Duration(months),
                           platform_offsets={BASIC: 10_000})
    assert (quote.quote_status, quote.price, quote.custom_from_position) == (
        status, price, custom_from)


@pytest.mark.parametrize(
    ("count", "kind", "months", "expected"),
    [
        pytest.param(50, PurchaseKind.FIRST, 6, 701931, id="licences-W22-first-6-months"),
        pytest.param(50, PurchaseKind.FIRST, 12, 250_000, id="licences-W22-first-12-months"),
        pytest.param(100, PurchaseKind.RENEWAL, 12, 500_000, id="licences-W22-renewal"),
        pytest.param(50, PurchaseKind.FIRST, 61, 701932, id="licences-W22-61-months"),
    ],
)
def test_W22_scrm_interop_profile(count, kind, months, expected) -> None:
    try:
        quote = reseller_quote(scrm(), {INTEROP: count}, kind=kind, duration=Duration(months),
                               platform_offsets={INTEROP: 0})
    except LicenceRuleViolation as error:
        assert error.errcode == expected
    else:
        assert quote.price == expected


def test_reseller_profile_without_a_table_for_the_type_is_701933() -> None:
    with pytest.raises(LicenceRuleViolation) as caught:
        reseller_quote(scrm(), {BASIC: 1}, kind=PurchaseKind.FIRST, duration=Duration(12),
                       platform_offsets={})
    assert caught.value.errcode == 701933


def test_reseller_days_on_a_whole_month_profile_is_701934() -> None:
    with pytest.raises(LicenceRuleViolation) as caught:
        reseller_quote(caoliao(), {BASIC: 1}, kind=PurchaseKind.FIRST, duration=Duration(12, 3),
                       platform_offsets={})
    assert caught.value.errcode == 701934


def test_L83_coterm_rounds_remaining_days_up_to_whole_months() -> None:
    assert coterm_duration(100 * 86_400 + 1, allow_days=False) == Duration(4, 0)
    assert coterm_duration(None, allow_days=False) == Duration(1, 0)
    assert coterm_duration(10 * 86_400, allow_days=True) == Duration(1, 0)
    assert coterm_duration(40 * 86_400, allow_days=True).total_days == 40


def test_L74_a_platform_table_cannot_hold_a_custom_tier() -> None:
    with pytest.raises(LicenceRuleViolation):
        platform(basic=caoliao().tiers[BASIC])


def test_L69_tables_must_be_contiguous_from_one_and_open_ended() -> None:
    with pytest.raises(InvalidTierTable):
        table_from_rows([{"from": 2, "to": None, "unit_price": 1}])
    with pytest.raises(InvalidTierTable):
        table_from_rows([{"from": 1, "to": 5, "unit_price": 1}, {"from": 7, "to": None,
                                                                 "unit_price": 1}])
    with pytest.raises(InvalidTierTable):
        table_from_rows([{"from": 1, "to": 5, "unit_price": 1}])


@given(
    count=st.integers(min_value=1, max_value=20_000),
    offset=st.integers(min_value=0, max_value=20_000),
    days=st.integers(min_value=31, max_value=1_860),
)
def test_L70_graduated_lines_sum_to_the_exact_total(count: int, offset: int, days: int) -> None:
    table = PlatformPricing.default().basic
    pieces = table.slices(offset=offset, count=count)
    assert sum(p.count for p in pieces) == count
    assert pieces[0].first == offset + 1
    assert pieces[-1].last == offset + count
    naive = sum(table.unit_price_at(k) or 0 for k in range(offset + 1, offset + count + 1))
    assert table.sum_units(offset=offset, count=count) == naive
    line = PricingRules().line(table, type_=BASIC, count=count, offset=offset, duration_days=days)
    assert abs(Decimal(line.amount or 0) - line.exact) <= Decimal("0.5")
