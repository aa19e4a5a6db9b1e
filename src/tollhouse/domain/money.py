"""Money: a Decimal amount and an ISO 4217 currency. Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from tollhouse.domain.errors import CurrencyMismatch, NotDecimal, PrecisionLoss

MINOR_DIGITS: Final = {
    "CNY": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "INR": 2,
    "IDR": 2,
    "BRL": 2,
    "MXN": 2,
    "JPY": 0,
}

ROUNDING_MODES: Final = frozenset(
    {
        "ROUND_HALF_UP",
        "ROUND_HALF_EVEN",
        "ROUND_DOWN",
        "ROUND_UP",
        "ROUND_CEILING",
        "ROUND_FLOOR",
        "ROUND_HALF_DOWN",
    }
)


def require_same_currency(left: Money, right: Money) -> None:
    if left.currency != right.currency:
        raise CurrencyMismatch(left.currency, right.currency)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise NotDecimal(self.amount)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        return cls(Decimal(units).scaleb(-MINOR_DIGITS[currency]), currency)

    def __add__(self, other: Money) -> Money:
        require_same_currency(self, other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        require_same_currency(self, other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        require_same_currency(self, other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        require_same_currency(self, other)
        return self.amount <= other.amount

    def to_minor(self) -> int:
        """The amount in minor units; raises if it is not already whole minor units."""
        units = self.amount.scaleb(MINOR_DIGITS[self.currency])
        if units != units.to_integral_value():
            raise PrecisionLoss(self.amount, MINOR_DIGITS[self.currency])
        return int(units)


def quantize(money: Money, *, rounding: str) -> Money:
    """Round to the currency's minor unit. No default mode: the caller names it."""
    step = Decimal(1).scaleb(-MINOR_DIGITS[money.currency])
    return Money(money.amount.quantize(step, rounding=rounding), money.currency)


def round_to_integer(value: Decimal, *, rounding: str) -> int:
    """Round an exact Decimal to a whole number of units (fen, cents) with a named mode."""
    return int(value.quantize(Decimal(1), rounding=rounding))


DEFAULT_ROUNDING: Final = ROUND_HALF_UP
