"""Pricing strategies of paid custom-developed apps: editions, rules, discounts, limits (AE1–AE19).

A strategy is validated as a whole: every violated rule is collected (`strategy_violations`) and
`validate_strategy` raises the error class of the first one, listing all of them in the message and
in ``details["violations"]``. Saved strategies are versioned (AE2, D28): orders record the version
they were priced with, and a later edit never reprices them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from tollhouse.domain.editions.errors import ERRORS_BY_NAME
from tollhouse.domain.errors import NotFound
from tollhouse.domain.periods import require_utc

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

MAX_TRIAL_TOTAL_DAYS: Final = 60  # 91913: trial + extra trial + extensions (D13)
EXTRA_TRIAL_DAYS_RANGE: Final = (1, 30)  # D14
PERCENT: Final = 100


class Cycle(StrEnum):
    """Pricing cycle (AE8): a fixed number of days, never a calendar unit."""

    YEAR = "year"
    MONTH = "month"

    @property
    def days(self) -> int:
        """365 for a year, 31 for a month (AE8, D9)."""
        return 365 if self is Cycle.YEAR else 31


class DiscountType(StrEnum):
    PRICE_DISCOUNT = "price_discount"
    BONUS_DAYS = "bonus_days"


class CapScope(StrEnum):
    PER_CYCLE = "per_cycle"
    PER_ORDER = "per_order"


@dataclass(frozen=True, slots=True)
class EditionSettings:
    """Engine settings with the guide's values as defaults (D2, D8, D10, D19, D20, D22)."""

    discount_floor_percent: int = 70
    bonus_cap_percent: int = 35
    max_purchase_days: int = 1_825
    cap_scope: CapScope = CapScope.PER_CYCLE
    payment_window_hours: int = 24
    refund_window_hours: int = 240
    reminder_lead_days: int = 7


DEFAULT_SETTINGS: Final = EditionSettings()


@dataclass(frozen=True, slots=True)
class PriceTier:
    """A volume tier [first, last] (AE12): exactly one of a fixed cycle price or a unit price."""

    first: int
    last: int | None
    fixed_price_fen: int | None = None
    unit_price_fen: int | None = None

    def contains(self, headcount: int) -> bool:
        return self.first <= headcount and (self.last is None or headcount <= self.last)


@dataclass(frozen=True, slots=True)
class PerPersonRule:
    """固定单价（按人）: u fen per person per cycle (AE11)."""

    unit_price_fen: int


@dataclass(frozen=True, slots=True)
class TieredRule:
    """阶梯定价: volume tiers, the containing tier prices all people (AE12, AE13, D1)."""

    tiers: tuple[PriceTier, ...]

    def tier_for(self, headcount: int) -> PriceTier | None:
        """The one tier that contains the head-count, or None above a closed last tier."""
        return next((t for t in self.tiers if t.contains(headcount)), None)


PricingRule = PerPersonRule | TieredRule


@dataclass(frozen=True, slots=True)
class DiscountRow:
    """One duration-discount row: from `min_cycles` cycles on, `value` = r percent or G days."""

    min_cycles: int
    value: int


@dataclass(frozen=True, slots=True)
class DurationDiscount:
    """购买优惠 of one type (AE14, D11)."""

    type: DiscountType
    rows: tuple[DiscountRow, ...]

    def row_for(self, cycles: int) -> DiscountRow | None:
        """The row with the largest min_cycles ≤ cycles, or None (AE14)."""
        qualifying = [row for row in self.rows if row.min_cycles <= cycles]
        return max(qualifying, key=lambda row: row.min_cycles, default=None)


@dataclass(frozen=True, slots=True)
class HeadcountLimits:
    """人数限制 (AE18): inclusive bounds, each optional."""

    min_users: int | None = None
    max_users: int | None = None


@dataclass(frozen=True, slots=True)
class Edition:
    """One priced variant of the app (AE3)."""

    edition_id: str
    edition_name: str
    cycle: Cycle
    rule: PricingRule
    basic: bool = False
    discount: DurationDiscount | None = None
    limits: HeadcountLimits | None = None
    max_price_fen_per_cycle: int | None = None  # 总价限制 M (AE19); None = cap off


@dataclass(frozen=True, slots=True)
class ExtraTrial:
    """额外试用 (AE6, D14)."""

    enabled: bool = False
    days: int = 7


class EditionNotFound(NotFound):
    code = "wecom.editions.edition_not_found"

    def __init__(self, edition_id: str, known: Sequence[str]) -> None:
        super().__init__(
            f"edition {edition_id!r} is not in the strategy; choose one of {sorted(known)}",
            details={"edition_id": edition_id},
        )


@dataclass(frozen=True, slots=True)
class Strategy:
    """The vendor's pricing strategy of one app (AE1–AE3)."""

    trial_days: int
    editions: tuple[Edition, ...]
    extra_trial: ExtraTrial = field(default_factory=ExtraTrial)

    def edition(self, edition_id: str) -> Edition:
        """The edition with this id; raises EditionNotFound."""
        for edition in self.editions:
            if edition.edition_id == edition_id:
                return edition
        raise EditionNotFound(edition_id, [e.edition_id for e in self.editions])

    @property
    def basic_edition(self) -> Edition:
        """The one basic edition, which the trial grants (AE3)."""
        return next(e for e in self.editions if e.basic)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken strategy rule: the error name of §4.3, the rule ID, where, and what."""

    name: str
    rule: str
    path: str
    message: str

    @property
    def errcode(self) -> int:
        return ERRORS_BY_NAME[self.name].errcode

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rule": self.rule,
            "errcode": self.errcode,
            "path": self.path,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class StrategyVersion:
    """A saved strategy (AE2, D28): orders created later use it; earlier orders keep theirs."""

    app_id: str
    version: int
    saved_at: datetime
    strategy: Strategy


def strategy_violations(
    strategy: Strategy, *, settings: EditionSettings = DEFAULT_SETTINGS
) -> tuple[Violation, ...]:
    """Every rule the strategy breaks, in a stable order (AE3, AE4, AE6, AE11–AE19)."""
    found = list(_strategy_level(strategy))
    for index, edition in enumerate(strategy.editions):
        found.extend(_edition_violations(edition, f"editions[{index}]", settings))
    return tuple(found)


def validate_strategy(strategy: Strategy, *, settings: EditionSettings = DEFAULT_SETTINGS) -> None:
    """Raise the first violation's error, naming all violations; return None when valid."""
    violations = strategy_violations(strategy, settings=settings)
    if not violations:
        return
    first = violations[0]
    summary = "; ".join(f"{v.rule} {v.path}: {v.message}" for v in violations)
    raise ERRORS_BY_NAME[first.name](
        f"strategy rejected ({len(violations)} problem(s)): {summary}",
        details={"rule": first.rule, "violations": [v.as_dict() for v in violations]},
    )


def save_strategy(
    current: StrategyVersion | None,
    strategy: Strategy,
    *,
    app_id: str,
    at: datetime,
    settings: EditionSettings = DEFAULT_SETTINGS,
) -> StrategyVersion:
    """Validate and return the next version of the app's strategy (AE2, D28)."""
    require_utc(at)
    validate_strategy(strategy, settings=settings)
    version = 1 if current is None else current.version + 1
    return StrategyVersion(app_id=app_id, version=version, saved_at=at, strategy=strategy)


def _strategy_level(strategy: Strategy) -> Iterator[Violation]:
    if not strategy.editions:
        yield Violation(
            "strategy_invalid", "AE3", "editions", "a strategy needs at least one edition"
        )
    basics = [e.edition_id for e in strategy.editions if e.basic]
    if strategy.editions and len(basics) != 1:
        yield Violation(
            "strategy_invalid",
            "AE3",
            "editions",
            f"exactly one edition must be basic, found {len(basics)}: {basics}",
        )
    ids = [e.edition_id for e in strategy.editions]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        yield Violation(
            "strategy_invalid", "AE3", "editions", f"duplicate edition ids {duplicates}"
        )
    yield from _trial_violations(strategy)


def _trial_violations(strategy: Strategy) -> Iterator[Violation]:
    if not 1 <= strategy.trial_days <= MAX_TRIAL_TOTAL_DAYS:
        yield Violation(
            "trial_days_invalid",
            "AE4",
            "trial_days",
            f"trial_days {strategy.trial_days} must be 1–{MAX_TRIAL_TOTAL_DAYS}",
        )
    extra = strategy.extra_trial
    if not extra.enabled:
        return
    low, high = EXTRA_TRIAL_DAYS_RANGE
    if not low <= extra.days <= high:
        yield Violation(
            "trial_days_invalid",
            "AE6",
            "extra_trial.days",
            f"extra trial days {extra.days} must be {low}–{high}",
        )
    if strategy.trial_days + extra.days > MAX_TRIAL_TOTAL_DAYS:
        yield Violation(
            "trial_total_exceeds_60",
            "AE6",
            "extra_trial.days",
            f"trial_days {strategy.trial_days} + extra trial {extra.days} = "
            f"{strategy.trial_days + extra.days} > {MAX_TRIAL_TOTAL_DAYS}",
        )


def _edition_violations(
    edition: Edition, path: str, settings: EditionSettings
) -> Iterator[Violation]:
    yield from _rule_violations(edition.rule, f"{path}.rule")
    if edition.discount is not None:
        yield from _discount_violations(edition, f"{path}.discount", settings)
    if edition.limits is not None:
        yield from _limits_violations(edition.limits, f"{path}.headcount_limits")
    cap = edition.max_price_fen_per_cycle
    if cap is not None and cap < 1:
        yield Violation(
            "strategy_invalid",
            "AE19",
            f"{path}.price_cap",
            f"max_price_fen_per_cycle {cap} must be an integer ≥ 1 fen",
        )


def _rule_violations(rule: PricingRule, path: str) -> Iterator[Violation]:
    if isinstance(rule, PerPersonRule):
        if rule.unit_price_fen < 1:
            yield Violation(
                "strategy_invalid",
                "AE11",
                f"{path}.unit_price_fen",
                f"unit price {rule.unit_price_fen} must be an integer ≥ 1 fen",
            )
        return
    if not rule.tiers:
        yield Violation("tiers_invalid", "AE12", f"{path}.tiers", "tiered pricing needs tiers")
    expected: int | None = 1
    for index, tier in enumerate(rule.tiers):
        where = f"{path}.tiers[{index}]"
        yield from _tier_violations(tier, where, expected, last=index == len(rule.tiers) - 1)
        expected = None if tier.last is None else tier.last + 1


def _tier_violations(
    tier: PriceTier, where: str, expected: int | None, *, last: bool
) -> Iterator[Violation]:
    if expected is None or tier.first != expected:
        wanted = "nothing after an open tier" if expected is None else f"from = {expected}"
        yield Violation(
            "tiers_invalid",
            "AE12",
            where,
            f"tier starts at {tier.first}; expected {wanted} (contiguous from 1)",
        )
    if tier.last is None and not last:
        yield Violation(
            "tiers_invalid", "AE12", where, "only the last tier may be open (to = null)"
        )
    if tier.last is not None and tier.last < tier.first:
        yield Violation(
            "tiers_invalid", "AE12", where, f"to {tier.last} is below from {tier.first}"
        )
    prices = [p for p in (tier.fixed_price_fen, tier.unit_price_fen) if p is not None]
    if len(prices) != 1:
        yield Violation(
            "tiers_invalid",
            "AE12",
            where,
            "a tier sets exactly one of fixed_price_fen or unit_price_fen",
        )
    elif prices[0] < 1:
        yield Violation("tiers_invalid", "AE12", where, f"price {prices[0]} must be ≥ 1 fen")


def _discount_violations(
    edition: Edition, path: str, settings: EditionSettings
) -> Iterator[Violation]:
    discount = edition.discount
    assert discount is not None  # noqa: S101 - checked by the caller
    if not discount.rows:
        yield Violation("strategy_invalid", "AE14", f"{path}.rows", "a discount needs rows")
    seen: set[int] = set()
    for index, row in enumerate(discount.rows):
        where = f"{path}.rows[{index}]"
        if row.min_cycles < 1 or row.min_cycles in seen:
            yield Violation(
                "strategy_invalid",
                "AE14",
                where,
                f"min_cycles {row.min_cycles} must be ≥ 1 and unique",
            )
        seen.add(row.min_cycles)
        if discount.type is DiscountType.PRICE_DISCOUNT:
            yield from _rate_violation(row, where, settings)
        else:
            yield from _bonus_violation(row, where, edition.cycle, settings)


def _rate_violation(row: DiscountRow, where: str, settings: EditionSettings) -> Iterator[Violation]:
    floor = settings.discount_floor_percent
    if not floor <= row.value <= PERCENT:
        yield Violation(
            "discount_below_floor",
            "AE15",
            where,
            f"rate {row.value} % must be {floor}–{PERCENT} % (not below {floor / 10:g}折)",
        )


def _bonus_violation(
    row: DiscountRow, where: str, cycle: Cycle, settings: EditionSettings
) -> Iterator[Violation]:
    days = max(row.min_cycles, 0) * cycle.days
    cap = bonus_cap_days(days, settings=settings)
    if not 1 <= row.value <= cap:
        yield Violation(
            "bonus_above_cap",
            "AE16",
            where,
            f"bonus {row.value} days must be 1–{cap} "
            f"(⌊{settings.bonus_cap_percent} % of {days} purchased days⌋)",
        )


def _limits_violations(limits: HeadcountLimits, path: str) -> Iterator[Violation]:
    low, high = limits.min_users, limits.max_users
    if low is not None and low < 1:
        yield Violation("strategy_invalid", "AE18", path, f"min_users {low} must be ≥ 1")
    if high is not None and high < max(low or 1, 1):
        yield Violation(
            "strategy_invalid", "AE18", path, f"max_users {high} must be ≥ min_users {low or 1}"
        )


def bonus_cap_days(purchased_days: int, *, settings: EditionSettings = DEFAULT_SETTINGS) -> int:
    """⌊bonus_cap_percent × D / 100⌋ (AE16, D7): 365 days → 127."""
    return settings.bonus_cap_percent * purchased_days // PERCENT
