"""The compiled price book gives exactly the reference quote, and strategies round-trip JSON."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.e2e.editions_support import SPEC_STRATEGY
from tollhouse.domain.editions import (
    CapScope,
    Cycle,
    DiscountRow,
    DiscountType,
    DurationDiscount,
    Edition,
    EditionSettings,
    HeadcountLimits,
    OrderType,
    PerPersonRule,
    PriceBook,
    PriceTier,
    Strategy,
    TieredRule,
    parse_strategy,
    quote,
    quote_to_json,
    strategy_from_json,
    strategy_to_json,
)
from tollhouse.domain.errors import TollhouseError


@st.composite
def editions(draw: st.DrawFn) -> Edition:
    cycle = draw(st.sampled_from(Cycle))
    if draw(st.booleans()):
        rule: PerPersonRule | TieredRule = PerPersonRule(draw(st.integers(1, 10**6)))
    else:
        bounds = sorted(draw(st.lists(st.integers(2, 3000), min_size=0, max_size=5, unique=True)))
        starts = [1, *bounds]
        tiers = []
        for index, first in enumerate(starts):
            last = starts[index + 1] - 1 if index + 1 < len(starts) else draw(
                st.none() | st.integers(first, first + 1000))
            if draw(st.booleans()):
                tiers.append(PriceTier(first, last, fixed_price_fen=draw(st.integers(1, 10**7))))
            else:
                tiers.append(PriceTier(first, last, unit_price_fen=draw(st.integers(1, 10**5))))
        rule = TieredRule(tuple(tiers))
    kind = draw(st.sampled_from([None, *DiscountType]))
    discount = None
    if kind is DiscountType.PRICE_DISCOUNT:
        rows = draw(st.lists(st.tuples(st.integers(1, 5), st.integers(70, 100)), min_size=1,
                             max_size=3, unique_by=lambda r: r[0]))
        discount = DurationDiscount(kind, tuple(DiscountRow(n, r) for n, r in rows))
    elif kind is DiscountType.BONUS_DAYS:
        rows = draw(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 140)), min_size=1,
                             max_size=3, unique_by=lambda r: r[0]))
        discount = DurationDiscount(kind, tuple(DiscountRow(n, g) for n, g in rows))
    low = draw(st.none() | st.integers(1, 20))
    limits = draw(st.none() | st.just(HeadcountLimits(low, draw(st.none() | st.integers(20, 4000)))))
    return Edition("e", "E", cycle, rule, basic=True, discount=discount, limits=limits,
                   max_price_fen_per_cycle=draw(st.none() | st.integers(1, 10**9)))


@settings(max_examples=300)
@given(edition=editions(), headcount=st.integers(-2, 5000), cycles=st.integers(-1, 60),
       per_order=st.booleans(), renewal=st.booleans())
def test_the_price_book_quotes_exactly_like_the_reference_algorithm(
        edition: Edition, headcount: int, cycles: int, per_order: bool, renewal: bool) -> None:
    config = EditionSettings(cap_scope=CapScope.PER_ORDER if per_order else CapScope.PER_CYCLE)
    book = PriceBook(Strategy(30, (edition,)), settings=config)
    kind = OrderType.RENEWAL if renewal else OrderType.NEW_PURCHASE
    try:
        expected = quote(edition, order_type=kind, headcount=headcount, cycles=cycles,
                         settings=config)
    except TollhouseError as error:
        with pytest.raises(type(error)):
            book.quote("e", order_type=kind, headcount=headcount, cycles=cycles)
        return
    got = book.quote("e", order_type=kind, headcount=headcount, cycles=cycles)
    assert got == expected
    assert quote_to_json(got) == quote_to_json(expected)  # same decimal strings too
    assert book.quote("e", order_type=kind, headcount=headcount, cycles=cycles) is got


def test_strategy_json_round_trips() -> None:
    strategy = parse_strategy(SPEC_STRATEGY)
    assert strategy_to_json(strategy) == SPEC_STRATEGY
    assert parse_strategy(strategy_to_json(strategy)) == strategy


def test_shape_problems_are_collected_with_their_paths() -> None:
    _, violations = strategy_from_json({"trial_days": "30", "editions": [
        {"edition_id": "", "cycle": "week", "rule": {"type": "tiered", "tiers": [{"from": 1.5}]},
         "discount": {"type": "coupon"}}]})
    assert [v.path for v in violations] == [
        "strategy.trial_days", "editions[0].cycle", "editions[0].edition_id",
        "editions[0].rule.tiers[0].from", "editions[0].discount.type"]
