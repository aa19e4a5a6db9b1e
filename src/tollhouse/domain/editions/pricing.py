"""Quotes: the price algorithm of spec §3 (AE9–AE20, AE25–AE30).

New purchases and renewals (§3.1): base → duration discount → cap → one ROUND_HALF_UP to fen.
Plan changes (§3.2): S = Σ_k (V'_k − V_k) × R_k / T_k as one exact rational, then one rounding,
floored at 0. Order lines telescope the rounded running total, so they always sum to the amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Final

from tollhouse.domain.editions.errors import (
    BonusAboveCap,
    CycleMismatch,
    DurationOutOfRange,
    HeadcountAboveMax,
    HeadcountBelowMin,
    HeadcountInvalid,
    HeadcountNotIncreased,
    HeadcountOutsideTiers,
    OrderTypeNotAllowed,
    VendorPricedTerm,
)
from tollhouse.domain.editions.strategy import (
    DEFAULT_SETTINGS,
    CapScope,
    DiscountType,
    Edition,
    EditionSettings,
    PerPersonRule,
    Strategy,
    bonus_cap_days,
)
from tollhouse.domain.editions.terms import OrderType, Term, term_covering
from tollhouse.domain.money import Money, round_to_integer
from tollhouse.domain.periods import require_utc

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from tollhouse.domain.editions.strategy import DiscountRow

DISPLAY_PLACES: Final = 4  # §3.2 step 5: credit and new-plan value shown at 4 decimals of fen


def round_half_up(value: Fraction) -> int:
    """Round an exact rational to an integer, halves away from zero (ROUND_HALF_UP)."""
    magnitude = abs(value)
    rounded = (2 * magnitude.numerator + magnitude.denominator) // (2 * magnitude.denominator)
    return rounded if value >= 0 else -rounded


def display_fen(value: Fraction) -> Decimal:
    """An exact fen amount shown at 4 decimals, ROUND_HALF_UP (§3.2 step 5; display only)."""
    return Decimal(round_half_up(value * 10**DISPLAY_PLACES)).scaleb(-DISPLAY_PLACES)


def check_headcount(edition: Edition, headcount: int) -> None:
    """Raise unless H is an integer ≥ 1, inside a tier and inside the limits (AE11, AE13, AE18)."""
    if type(headcount) is not int or headcount < 1:
        raise HeadcountInvalid(f"head-count {headcount!r} must be an integer ≥ 1")
    rule = edition.rule
    if not isinstance(rule, PerPersonRule) and rule.tier_for(headcount) is None:
        top = rule.tiers[-1].last
        raise HeadcountOutsideTiers(
            f"head-count {headcount} is above the last tier of {edition.edition_id} "
            f"(it ends at {top})",
            details={"headcount": headcount, "max_tier_headcount": top},
        )
    limits = edition.limits
    if limits is None:
        return
    if limits.min_users is not None and headcount < limits.min_users:
        raise HeadcountBelowMin(
            f"head-count {headcount} is below {edition.edition_id}'s minimum {limits.min_users}",
            details={"headcount": headcount, "min_users": limits.min_users},
        )
    if limits.max_users is not None and headcount > limits.max_users:
        raise HeadcountAboveMax(
            f"head-count {headcount} is above {edition.edition_id}'s maximum {limits.max_users}",
            details={"headcount": headcount, "max_users": limits.max_users},
        )


def purchased_days(
    edition: Edition, cycles: int, *, settings: EditionSettings = DEFAULT_SETTINGS
) -> int:
    """D = N × cycle days; raises DurationOutOfRange unless N ≥ 1 and D ≤ 1 825 (AE9)."""
    limit = settings.max_purchase_days
    if type(cycles) is not int or cycles < 1:
        raise DurationOutOfRange(f"cycles {cycles!r} must be an integer ≥ 1")
    days = cycles * edition.cycle.days
    if days > limit:
        raise DurationOutOfRange(
            f"{cycles} {edition.cycle} cycle(s) = {days} days, above {limit}; "
            f"buy at most {limit // edition.cycle.days}",
            details={"cycles": cycles, "purchased_days": days},
        )
    return days


def cycle_price_fen(edition: Edition, headcount: int) -> int:
    """CP(H): u × H, or the containing tier's fixed price f or u × H (AE11–AE13, D1)."""
    rule = edition.rule
    if isinstance(rule, PerPersonRule):
        return rule.unit_price_fen * headcount
    tier = rule.tier_for(headcount)
    if tier is None:  # pragma: no cover - check_headcount runs first
        raise HeadcountOutsideTiers(f"head-count {headcount} is in no tier")
    if tier.fixed_price_fen is not None:
        return tier.fixed_price_fen
    assert tier.unit_price_fen is not None  # noqa: S101 - a validated tier has one price
    return tier.unit_price_fen * headcount


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    """The duration-discount row an order got (AE14)."""

    type: DiscountType
    min_cycles: int
    rate_percent: int | None = None
    bonus_days: int | None = None


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    """Steps 1–7 of §3.1 for one edition, head-count and N: exact, not yet rounded."""

    edition_id: str
    headcount: int
    cycles: int
    cycle_price_fen: int
    base_fen: int
    discount: AppliedDiscount | None
    after_discount: Decimal
    cap_fen: int | None
    after_cap: Decimal  # the term value V (AE29)
    purchased_days: int
    bonus_days: int

    @property
    def term_days(self) -> int:
        return self.purchased_days + self.bonus_days


def price_term(
    edition: Edition,
    *,
    headcount: int,
    cycles: int,
    settings: EditionSettings = DEFAULT_SETTINGS,
) -> PriceBreakdown:
    """The exact price of N cycles for H people of an edition (§3.1 steps 1–7)."""
    check_headcount(edition, headcount)
    days = purchased_days(edition, cycles, settings=settings)
    cycle_price = cycle_price_fen(edition, headcount)
    base = cycle_price * cycles
    row = None if edition.discount is None else edition.discount.row_for(cycles)
    applied, after_discount, bonus = _apply_discount(edition, row, base, days, settings)
    cap = _order_cap(edition, cycles, settings)
    after_cap = after_discount if cap is None else min(after_discount, Decimal(cap))
    return PriceBreakdown(
        edition_id=edition.edition_id,
        headcount=headcount,
        cycles=cycles,
        cycle_price_fen=cycle_price,
        base_fen=base,
        discount=applied,
        after_discount=after_discount,
        cap_fen=cap,
        after_cap=after_cap,
        purchased_days=days,
        bonus_days=bonus,
    )


def _apply_discount(
    edition: Edition, row: DiscountRow | None, base: int, days: int, settings: EditionSettings
) -> tuple[AppliedDiscount | None, Decimal, int]:
    if row is None or edition.discount is None:
        return None, Decimal(base), 0
    kind = edition.discount.type
    if kind is DiscountType.PRICE_DISCOUNT:
        applied = AppliedDiscount(kind, row.min_cycles, rate_percent=row.value)
        return applied, Decimal(base * row.value).scaleb(-2), 0
    cap = bonus_cap_days(days, settings=settings)
    if row.value > cap:
        raise BonusAboveCap(
            f"bonus {row.value} days exceeds "
            f"⌊{settings.bonus_cap_percent} % of {days} days⌋ = {cap}",
            details={"bonus_days": row.value, "cap_days": cap},
        )
    return AppliedDiscount(kind, row.min_cycles, bonus_days=row.value), Decimal(base), row.value


def _order_cap(edition: Edition, cycles: int, settings: EditionSettings) -> int | None:
    cap = edition.max_price_fen_per_cycle
    if cap is None:
        return None
    return cap if settings.cap_scope is CapScope.PER_ORDER else cap * cycles


class LineKind(StrEnum):
    BASE = "base"
    DURATION_DISCOUNT = "duration_discount"
    PRICE_CAP = "price_cap"
    NEW_PLAN_VALUE = "new_plan_value"
    VALUE_CREDIT = "value_credit"
    CREDIT_FORFEITED = "credit_forfeited"


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of an order in whole fen; the lines of an order sum to its amount."""

    kind: LineKind
    amount_fen: int
    term_id: str | None = None


@dataclass(frozen=True, slots=True)
class TermRevaluation:
    """One unfinished term in a plan change (§3.2 step 2; P4 `terms[]`)."""

    term_id: str
    remaining_days: int  # R
    term_days: int  # T
    value: Decimal  # V
    new_value: Decimal  # V'
    credit: Decimal  # V × R / T at 4 decimals (display)
    new_plan_value: Decimal  # V' × R / T at 4 decimals (display)


@dataclass(frozen=True, slots=True)
class Quote:
    """The price of an order, fixed when the order is created (AE24; P4 breakdown)."""

    order_type: OrderType
    edition_id: str
    headcount: int
    amount_fen: int
    lines: tuple[OrderLine, ...]
    order_period: int  # D for types 0/2, R of the term in force for types 1/3 (AE33)
    gift_duration_days: int = 0  # G (AE33)
    price: PriceBreakdown | None = None  # types 0 and 2
    terms: tuple[TermRevaluation, ...] = ()  # types 1 and 3
    credit_forfeited_fen: int = 0  # display only (§4.2)

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_fen, "CNY")


def _telescoped(steps: Sequence[tuple[LineKind, str | None, Fraction]]) -> tuple[OrderLine, ...]:
    """Lines = differences of the rounded running total, so they sum to its last rounding."""
    lines: list[OrderLine] = []
    previous = 0
    for kind, term_id, running in steps:
        rounded = round_half_up(running)
        lines.append(OrderLine(kind, rounded - previous, term_id))
        previous = rounded
    return tuple(lines)


def quote(
    edition: Edition,
    *,
    order_type: OrderType,
    headcount: int,
    cycles: int,
    settings: EditionSettings = DEFAULT_SETTINGS,
) -> Quote:
    """Quote a new purchase (type 0) or a renewal (type 2) (§3.1, AE17, AE20)."""
    if order_type.is_plan_change:
        raise OrderTypeNotAllowed(
            f"order type {order_type} is a plan change; use plan_change_quote",
            details={"order_type": order_type.wecom_code},
        )
    price = price_term(edition, headcount=headcount, cycles=cycles, settings=settings)
    steps: list[tuple[LineKind, str | None, Fraction]] = [
        (LineKind.BASE, None, Fraction(price.base_fen))
    ]
    if price.after_discount != price.base_fen:
        steps.append((LineKind.DURATION_DISCOUNT, None, Fraction(price.after_discount)))
    if price.after_cap != price.after_discount:
        steps.append((LineKind.PRICE_CAP, None, Fraction(price.after_cap)))
    return Quote(
        order_type=order_type,
        edition_id=edition.edition_id,
        headcount=headcount,
        amount_fen=round_to_integer(price.after_cap, rounding=ROUND_HALF_UP),
        lines=_telescoped(steps),
        order_period=price.purchased_days,
        gift_duration_days=price.bonus_days,
        price=price,
    )


def plan_change_quote(
    strategy: Strategy,
    terms: Sequence[Term],
    *,
    order_type: OrderType,
    at: datetime,
    headcount: int | None = None,
    edition_id: str | None = None,
    settings: EditionSettings = DEFAULT_SETTINGS,
) -> Quote:
    """Quote an expansion (type 1, `headcount`) or an edition change (type 3, `edition_id`)."""
    require_utc(at)
    open_terms = _unfinished_terms(terms, at, order_type)
    in_force = term_covering(open_terms, at) or open_terms[0]
    targets = _targets(strategy, open_terms, order_type, headcount=headcount, edition_id=edition_id)
    revalued = [
        _revalue(term, target, new_h, at, settings)
        for term, (target, new_h) in zip(open_terms, targets, strict=True)
    ]
    exact = sum((change for _, change in revalued), Fraction(0))
    lines = _plan_change_lines(open_terms, revalued, at, forfeited=exact < 0)
    first_edition, first_headcount = targets[0]
    return Quote(
        order_type=order_type,
        edition_id=first_edition.edition_id,
        headcount=first_headcount,
        amount_fen=max(0, round_half_up(exact)),
        lines=lines,
        order_period=in_force.remaining_days(at),
        terms=tuple(revaluation for revaluation, _ in revalued),
        credit_forfeited_fen=round_half_up(-exact) if exact < 0 else 0,
    )


def _unfinished_terms(terms: Sequence[Term], at: datetime, order_type: OrderType) -> list[Term]:
    if not order_type.is_plan_change:
        raise OrderTypeNotAllowed(
            f"order type {order_type} buys cycles; use quote()",
            details={"order_type": order_type.wecom_code},
        )
    open_terms = sorted((t for t in terms if t.unfinished(at)), key=lambda t: t.begin)
    if not open_terms:
        raise OrderTypeNotAllowed(
            f"a {order_type} needs a paid term in force; none is unfinished at {at.isoformat()}",
            details={"order_type": order_type.wecom_code},
        )
    vendor_priced = [t.term_id for t in open_terms if t.vendor_priced]
    if vendor_priced:
        raise VendorPricedTerm(
            f"terms {vendor_priced} were priced by the vendor's cashier; "
            "change them with a cashier order (paytool/open_order)",
            details={"term_ids": vendor_priced},
        )
    return open_terms


def _targets(
    strategy: Strategy,
    terms: Sequence[Term],
    order_type: OrderType,
    *,
    headcount: int | None,
    edition_id: str | None,
) -> list[tuple[Edition, int]]:
    """The (edition, head-count) each unfinished term moves to (AE25, AE27)."""
    if order_type is OrderType.EXPANSION:
        current = max(term.headcount for term in terms)
        if headcount is None or headcount <= current:
            raise HeadcountNotIncreased(
                f"expansion head-count {headcount} must be above the current {current}",
                details={"headcount": headcount, "current_headcount": current},
            )
        return [(strategy.edition(term.edition_id), headcount) for term in terms]
    if edition_id is None:
        raise OrderTypeNotAllowed("an edition change needs the target edition_id")
    target = strategy.edition(edition_id)
    for term in terms:
        _require_same_cycle(term, target)
    return [(target, term.headcount) for term in terms]


def _require_same_cycle(term: Term, target: Edition) -> None:
    cycle_days = term.purchased_days // max(term.cycles, 1)
    if cycle_days != target.cycle.days:
        raise CycleMismatch(
            f"term {term.term_id} runs on {cycle_days}-day cycles; edition "
            f"{target.edition_id} uses {target.cycle} ({target.cycle.days} days)",
            details={"term_id": term.term_id, "edition_id": target.edition_id},
        )


def _revalue(
    term: Term, target: Edition, headcount: int, at: datetime, settings: EditionSettings
) -> tuple[TermRevaluation, Fraction]:
    """V'_k of term k under the new plan, and its exact (V' − V) × R / T (AE28, AE29)."""
    new_value = price_term(target, headcount=headcount, cycles=term.cycles, settings=settings)
    remaining, total = term.remaining_days(at), term.term_days
    share = Fraction(remaining, total)
    credit = Fraction(term.value) * share
    new_plan = Fraction(new_value.after_cap) * share
    revaluation = TermRevaluation(
        term_id=term.term_id,
        remaining_days=remaining,
        term_days=total,
        value=term.value,
        new_value=new_value.after_cap,
        credit=display_fen(credit),
        new_plan_value=display_fen(new_plan),
    )
    return revaluation, new_plan - credit


def _plan_change_lines(
    terms: Sequence[Term],
    revalued: Sequence[tuple[TermRevaluation, Fraction]],
    at: datetime,
    *,
    forfeited: bool,
) -> tuple[OrderLine, ...]:
    steps: list[tuple[LineKind, str | None, Fraction]] = []
    running = Fraction(0)
    for term, (revaluation, _) in zip(terms, revalued, strict=True):
        share = Fraction(term.remaining_days(at), term.term_days)
        running += Fraction(revaluation.new_value) * share
        steps.append((LineKind.NEW_PLAN_VALUE, term.term_id, running))
        running -= Fraction(term.value) * share
        steps.append((LineKind.VALUE_CREDIT, term.term_id, running))
    if forfeited:
        steps.append((LineKind.CREDIT_FORFEITED, None, Fraction(0)))
    return _telescoped(steps)
