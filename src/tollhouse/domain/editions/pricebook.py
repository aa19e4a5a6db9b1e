"""A compiled, memoising price book for one saved strategy (performance of spec §3.1).

`quote()` in ``pricing`` is the reference algorithm. `PriceBook` compiles each edition once
(tier starts for bisection, the discount row of every N, the head-count limits) and prices a new
purchase or renewal with integer arithmetic, building exactly the `Quote` that `quote()` builds;
results are memoised per (edition, order type, head-count, cycles). A property test checks that
both give equal quotes. Plan changes depend on terms and instants and are not memoised.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from tollhouse.domain.editions.pricing import (
    AppliedDiscount,
    LineKind,
    OrderLine,
    PriceBreakdown,
    Quote,
    check_headcount,
    purchased_days,
    quote,
)
from tollhouse.domain.editions.strategy import (
    DEFAULT_SETTINGS,
    CapScope,
    DiscountType,
    PerPersonRule,
    bonus_cap_days,
)
from tollhouse.domain.editions.terms import OrderType

if TYPE_CHECKING:
    from tollhouse.domain.editions.strategy import Edition, EditionSettings, Strategy

MEMO_LIMIT: Final = 100_000  # quotes kept per book; the memo is cleared when it is full


@dataclass(frozen=True, slots=True)
class _Compiled:
    edition: Edition
    starts: tuple[int, ...]  # first head-count of each tier
    lasts: tuple[int | None, ...]
    fixed: tuple[int | None, ...]
    unit: tuple[int | None, ...]
    per_person: int | None
    min_users: int | None
    max_users: int | None
    cycle_days: int
    max_cycles: int
    rows: tuple[AppliedDiscount | None, ...]  # index N → the applied row (AE14)
    cap: int | None
    cap_per_order: bool


def _compile(edition: Edition, settings: EditionSettings) -> _Compiled:
    rule = edition.rule
    tiers = () if isinstance(rule, PerPersonRule) else rule.tiers
    max_cycles = settings.max_purchase_days // edition.cycle.days
    rows: list[AppliedDiscount | None] = [None]
    for cycles in range(1, max_cycles + 1):
        row = None if edition.discount is None else edition.discount.row_for(cycles)
        if row is None or edition.discount is None:
            rows.append(None)
        elif edition.discount.type is DiscountType.PRICE_DISCOUNT:
            rows.append(
                AppliedDiscount(edition.discount.type, row.min_cycles, rate_percent=row.value)
            )
        else:
            rows.append(
                AppliedDiscount(edition.discount.type, row.min_cycles, bonus_days=row.value)
            )
    limits = edition.limits
    return _Compiled(
        edition=edition,
        starts=tuple(t.first for t in tiers),
        lasts=tuple(t.last for t in tiers),
        fixed=tuple(t.fixed_price_fen for t in tiers),
        unit=tuple(t.unit_price_fen for t in tiers),
        per_person=rule.unit_price_fen if isinstance(rule, PerPersonRule) else None,
        min_users=None if limits is None else limits.min_users,
        max_users=None if limits is None else limits.max_users,
        cycle_days=edition.cycle.days,
        max_cycles=max_cycles,
        rows=tuple(rows),
        cap=edition.max_price_fen_per_cycle,
        cap_per_order=settings.cap_scope is CapScope.PER_ORDER,
    )


class PriceBook:
    """Quotes of one strategy version; safe to share between threads (the memo is a dict)."""

    def __init__(self, strategy: Strategy, *, settings: EditionSettings = DEFAULT_SETTINGS) -> None:
        self.strategy = strategy
        self.settings = settings
        self._compiled = {e.edition_id: _compile(e, settings) for e in strategy.editions}
        self._memo: dict[tuple[str, OrderType, int, int], Quote] = {}

    def quote(
        self, edition_id: str, *, order_type: OrderType, headcount: int, cycles: int
    ) -> Quote:
        """Same result as `pricing.quote` for this strategy's edition (§3.1)."""
        key = (edition_id, order_type, headcount, cycles)
        found = self._memo.get(key)
        if found is not None:
            return found
        result = self.quote_uncached(
            edition_id, order_type=order_type, headcount=headcount, cycles=cycles
        )
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = result
        return result

    def quote_uncached(
        self, edition_id: str, *, order_type: OrderType, headcount: int, cycles: int
    ) -> Quote:
        """The compiled integer path, without the memo."""
        compiled = self._compiled.get(edition_id)
        if compiled is None:
            self.strategy.edition(edition_id)  # raises EditionNotFound
            raise AssertionError  # pragma: no cover
        edition = compiled.edition
        if (
            order_type.is_plan_change
            or type(headcount) is not int
            or type(cycles) is not int
            or not 1 <= cycles <= compiled.max_cycles
        ):
            # every refusal takes the reference path, which raises the documented error
            return quote(
                edition, order_type=order_type, headcount=headcount, cycles=cycles,
                settings=self.settings,
            )  # fmt: skip
        cycle_price = self._cycle_price(compiled, headcount)
        if cycle_price is None:
            check_headcount(edition, headcount)  # raises
            raise AssertionError  # pragma: no cover
        return self._priced(compiled, order_type, headcount, cycles, cycle_price)

    @staticmethod
    def _cycle_price(c: _Compiled, headcount: int) -> int | None:
        if headcount < 1:
            return None
        if (c.min_users is not None and headcount < c.min_users) or (
            c.max_users is not None and headcount > c.max_users
        ):
            return None
        if c.per_person is not None:
            return c.per_person * headcount
        index = bisect_right(c.starts, headcount) - 1
        last = c.lasts[index]
        if index < 0 or (last is not None and headcount > last):
            return None
        fixed = c.fixed[index]
        if fixed is not None:
            return fixed
        unit = c.unit[index]
        return None if unit is None else unit * headcount

    def _priced(
        self, c: _Compiled, order_type: OrderType, headcount: int, cycles: int, cycle_price: int
    ) -> Quote:
        days = cycles * c.cycle_days
        base = cycle_price * cycles
        applied = c.rows[cycles]
        bonus = 0
        hundredths = base * 100  # after discount, in 1/100 fen
        if applied is not None and applied.rate_percent is not None:
            hundredths = base * applied.rate_percent
        elif applied is not None and applied.bonus_days is not None:
            if applied.bonus_days > bonus_cap_days(days, settings=self.settings):
                purchased_days(c.edition, cycles, settings=self.settings)
                # the reference path raises BonusAboveCap with its message
                return quote(
                    c.edition, order_type=order_type, headcount=headcount, cycles=cycles,
                    settings=self.settings,
                )  # fmt: skip
            bonus = applied.bonus_days
        rated = applied is not None and applied.rate_percent is not None
        after_discount = Decimal(hundredths).scaleb(-2) if rated else Decimal(base)
        cap = None if c.cap is None else (c.cap if c.cap_per_order else c.cap * cycles)
        capped = hundredths if cap is None else min(hundredths, cap * 100)
        after_cap = after_discount if capped == hundredths else Decimal(capped // 100)
        discounted_fen = (hundredths + 50) // 100
        amount = (capped + 50) // 100
        lines = [OrderLine(LineKind.BASE, base)]
        if hundredths != base * 100:
            lines.append(OrderLine(LineKind.DURATION_DISCOUNT, discounted_fen - base))
        if capped != hundredths:
            lines.append(OrderLine(LineKind.PRICE_CAP, amount - discounted_fen))
        price = PriceBreakdown(
            edition_id=c.edition.edition_id, headcount=headcount, cycles=cycles,
            cycle_price_fen=cycle_price, base_fen=base, discount=applied,
            after_discount=after_discount, cap_fen=cap, after_cap=after_cap,
            purchased_days=days, bonus_days=bonus,
        )  # fmt: skip
        return Quote(
            order_type=order_type, edition_id=c.edition.edition_id, headcount=headcount,
            amount_fen=amount, lines=tuple(lines), order_period=days, gift_duration_days=bonus,
            price=price,
        )  # fmt: skip

    def table(
        self, edition_id: str, *, headcounts: list[int], cycles: list[int]
    ) -> list[list[Quote | str]]:
        """A preview grid: one row per head-count, one cell per N; a refusal shows its code."""
        from tollhouse.domain.errors import TollhouseError  # noqa: PLC0415 - pure, avoids a cycle

        grid: list[list[Quote | str]] = []
        for headcount in headcounts:
            row: list[Quote | str] = []
            for n in cycles:
                try:
                    cell = self.quote(
                        edition_id, order_type=OrderType.NEW_PURCHASE, headcount=headcount,
                        cycles=n,
                    )  # fmt: skip
                    row.append(cell)
                except TollhouseError as error:
                    row.append(error.code.rsplit(".", 1)[-1])
            grid.append(row)
        return grid
