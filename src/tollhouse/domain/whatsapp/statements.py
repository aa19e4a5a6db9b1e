"""Monthly statements (R-ST-1 .. R-ST-4, D-1, D-5, D-15, D-26).

A line groups items with the same section, market, category, pricing type, tier and unit rate;
its amount is total quantity x rate, rounded once to the currency's minor unit with a named
mode. The total is the sum of the rounded lines, so lines always add up to the total; the exact
total is shown beside it. Adjustments (late events for a final month, re-ratings) are their own
lines, labelled with the month they correct.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Final

from tollhouse.domain.money import MINOR_DIGITS
from tollhouse.domain.whatsapp.errors import StatementCurrencyMixed
from tollhouse.domain.whatsapp.fees import FeeItem, Section
from tollhouse.domain.whatsapp.rating import Charge, ChargeStatus

if TYPE_CHECKING:
    from collections.abc import Iterable

DEFAULT_MINOR_DIGITS: Final = 2  # ISO 4217: most billing currencies of §R-X-7
_SECTION_ORDER: Final = {section: index for index, section in enumerate(Section)}

_LineKey = tuple[Section, str | None, str, str | None, str | None, Decimal, str | None]


@dataclass(frozen=True, slots=True)
class StatementLine:
    section: Section
    market: str | None
    category: str
    pricing_type: str | None
    tier: str | None
    quantity: int
    unit_rate: Decimal
    amount_exact: Decimal
    amount: Decimal  # rounded once (D-1)
    original_month: str | None = None  # adjustments only

    def amount_minor(self, digits: int) -> int:
        return int(self.amount.scaleb(digits))


@dataclass(frozen=True, slots=True)
class Statement:
    currency: str
    month: str
    lines: tuple[StatementLine, ...]
    total: Decimal
    total_exact: Decimal
    free: dict[str, int]  # free items by pricing type (R-ST-4)
    unrated: int
    pending: int
    rate_card_versions: tuple[str, ...]

    @property
    def minor_digits(self) -> int:
        return minor_digits(self.currency)

    @property
    def total_minor(self) -> int:
        return int(self.total.scaleb(self.minor_digits))


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A correcting charge (positive, or a reversal with negative quantity) for a past month."""

    original_month: str
    charge: Charge


def minor_digits(currency: str) -> int:
    return MINOR_DIGITS.get(currency, DEFAULT_MINOR_DIGITS)


def round_line(exact: Decimal, currency: str, *, rounding: str = ROUND_HALF_UP) -> Decimal:
    step = Decimal(1).scaleb(-minor_digits(currency))
    return exact.quantize(step, rounding=rounding)


def build_statement(
    *,
    currency: str,
    month: str,
    charges: Iterable[Charge] = (),
    fees: Iterable[FeeItem] = (),
    adjustments: Iterable[Adjustment] = (),
    pending: int = 0,
    rounding: str = ROUND_HALF_UP,
) -> Statement:
    groups: defaultdict[_LineKey, int] = defaultdict(int)
    free: defaultdict[str, int] = defaultdict(int)
    versions: set[str] = set()
    unrated = 0
    for charge in charges:
        _same_currency(currency, charge.currency)
        if charge.status is ChargeStatus.UNRATED:
            unrated += 1  # D-15: counted, never summed
            continue
        if charge.status is ChargeStatus.FREE:
            free[charge.pricing_type.value] += charge.quantity
        if charge.card_version:
            versions.add(charge.card_version)
        groups[_charge_key(charge, Section.META, None)] += charge.quantity
    for fee in fees:
        _same_currency(currency, fee.currency)
        groups[(fee.section, None, fee.category, None, None, fee.unit_rate, None)] += fee.quantity
    for adjustment in adjustments:
        _same_currency(currency, adjustment.charge.currency)
        if adjustment.charge.unit_rate is not None:
            key = _charge_key(adjustment.charge, Section.ADJUSTMENTS, adjustment.original_month)
            groups[key] += adjustment.charge.quantity
    lines = tuple(
        _line(key, qty, currency, rounding)
        for key, qty in sorted(groups.items(), key=lambda item: _sort_key(item[0]))
    )
    return Statement(
        currency=currency,
        month=month,
        lines=lines,
        total=sum((line.amount for line in lines), Decimal(0)),
        total_exact=sum((line.amount_exact for line in lines), Decimal(0)),
        free=dict(free),
        unrated=unrated,
        pending=pending,
        rate_card_versions=tuple(sorted(versions)),
    )


def _charge_key(charge: Charge, section: Section, original: str | None) -> _LineKey:
    rate = charge.unit_rate if charge.unit_rate is not None else Decimal(0)
    return (
        section,
        charge.market,
        charge.category,
        charge.pricing_type.value,
        charge.tier,
        rate,
        original,
    )


def _line(key: _LineKey, quantity: int, currency: str, rounding: str) -> StatementLine:
    section, market, category, pricing_type, tier, rate, original = key
    exact = rate * quantity
    return StatementLine(
        section,
        market,
        category,
        pricing_type,
        tier,
        quantity,
        rate,
        exact,
        round_line(exact, currency, rounding=rounding),
        original,
    )


def _sort_key(key: _LineKey) -> tuple[object, ...]:
    section, market, category, pricing_type, tier, rate, original = key
    return (
        _SECTION_ORDER[section],
        original or "",
        market or "",
        category,
        pricing_type or "",
        tier or "",
        rate,
    )


def _same_currency(expected: str, found: str) -> None:
    if expected != found:
        raise StatementCurrencyMixed(expected, found)
