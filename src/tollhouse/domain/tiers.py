"""Graduated (累进) tier tables, shared by WeCom licences and app editions.

A table is an ordered list of tiers ``{from, to, unit_price}`` contiguous from position 1; ``to``
is inclusive and ``None`` only on the last tier. A unit price is an exact Decimal (minor units)
or ``None`` for a "custom quote" tier. Positions ``offset+1 … offset+count`` are priced by the
tier that contains each position; the walk is O(number of tiers), never O(count).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from tollhouse.domain.errors import InvalidRequest


class InvalidTierTable(InvalidRequest):
    code = "tiers.invalid_table"

    def __init__(self, problem: str) -> None:
        super().__init__(f"tier table is invalid: {problem}; fix the table and load it again")


@dataclass(frozen=True, slots=True)
class Tier:
    first: int  # inclusive position
    last: int | None  # inclusive position; None = open-ended
    unit_price: Decimal | None  # None = custom quote

    def contains(self, position: int) -> bool:
        return self.first <= position and (self.last is None or position <= self.last)


class TierSlice(NamedTuple):
    """The positions of one purchase that fall inside one tier (a tuple: built on a hot path)."""

    first: int
    last: int
    count: int  # type: ignore[assignment] # shadows tuple.count on purpose: the tier's size
    unit_price: Decimal | None


@dataclass(frozen=True, slots=True)
class TierTable:
    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        validate_tiers(self.tiers)

    @property
    def has_custom(self) -> bool:
        return any(t.unit_price is None for t in self.tiers)

    def slices(self, *, offset: int, count: int) -> list[TierSlice]:
        """Split positions offset+1 … offset+count across the tiers (graduated)."""
        result: list[TierSlice] = []
        if count <= 0:
            return result
        low, high = offset + 1, offset + count
        for tier in self.tiers:
            last = tier.last
            if last is not None and last < low:
                continue
            bottom = max(tier.first, low)
            if bottom > high:
                break
            top = high if last is None or last > high else last
            result.append(TierSlice(bottom, top, top - bottom + 1, tier.unit_price))
        return result

    def first_custom_position(self, *, offset: int, count: int) -> int | None:
        for piece in self.slices(offset=offset, count=count):
            if piece.unit_price is None:
                return piece.first
        return None

    def sum_units(self, *, offset: int, count: int) -> Decimal:
        """Σ k_t × p_t over the positions; raises if any position is a custom tier."""
        total = Decimal(0)
        for piece in self.slices(offset=offset, count=count):
            if piece.unit_price is None:
                raise InvalidTierTable(f"position {piece.first} is in a custom-quote tier")
            total += piece.unit_price * piece.count
        return total

    def unit_price_at(self, position: int) -> Decimal | None:
        for tier in self.tiers:
            if tier.contains(position):
                return tier.unit_price
        raise InvalidTierTable(f"no tier holds position {position}")


def validate_tiers(tiers: Sequence[Tier]) -> None:
    if not tiers:
        raise InvalidTierTable("it has no tiers")
    expected = 1
    for index, tier in enumerate(tiers):
        if tier.first != expected:
            raise InvalidTierTable(f"tier {index + 1} starts at {tier.first}, expected {expected}")
        if tier.unit_price is not None and tier.unit_price < 0:
            raise InvalidTierTable(f"tier {index + 1} has a negative price {tier.unit_price}")
        if tier.last is None:
            if index != len(tiers) - 1:
                raise InvalidTierTable(f"tier {index + 1} is open-ended but is not the last")
            return
        if tier.last < tier.first:
            raise InvalidTierTable(f"tier {index + 1} ends at {tier.last} before {tier.first}")
        expected = tier.last + 1
    raise InvalidTierTable("the last tier must be open-ended (to = null)")


def table_from_rows(rows: Sequence[Mapping[str, object]]) -> TierTable:
    """Build a table from ``{from, to, unit_price}`` rows; unit_price int, Decimal string, or
    the word ``custom``."""
    tiers: list[Tier] = []
    for index, row in enumerate(rows):
        price = row.get("unit_price")
        try:
            first = int(str(row["from"]))
            last_raw = row.get("to")
            last = None if last_raw is None else int(str(last_raw))
        except (KeyError, ValueError) as exc:
            raise InvalidTierTable(f"row {index + 1} needs integer from/to: {row!r}") from exc
        if price == "custom":
            unit: Decimal | None = None
        elif isinstance(price, int | Decimal) and not isinstance(price, bool):
            unit = Decimal(price)
        elif isinstance(price, str):
            try:
                unit = Decimal(price)
            except ArithmeticError as exc:
                raise InvalidTierTable(f"row {index + 1} price {price!r} is not a number") from exc
        else:
            raise InvalidTierTable(f"row {index + 1} price {price!r} must be an integer or custom")
        tiers.append(Tier(first, last, unit))
    return TierTable(tuple(tiers))


def table_to_rows(table: TierTable) -> list[dict[str, object]]:
    return [
        {
            "from": t.first,
            "to": t.last,
            "unit_price": "custom" if t.unit_price is None else _plain(t.unit_price),
        }
        for t in table.tiers
    ]


def _plain(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else str(value)
