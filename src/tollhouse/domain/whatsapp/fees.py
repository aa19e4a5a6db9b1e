"""BSP fee models (§6.1) and the provider presets' arithmetic (§6.2). Exact, unrounded.

Each model turns counted activity of one month into ``FeeItem``s (quantity x unit rate);
statements group and round them (D-1). Monthly fees are not prorated (D-25).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from tollhouse.domain.whatsapp.errors import InvalidFeePlan
from tollhouse.domain.whatsapp.ratecards import MAX_RATE_PLACES
from tollhouse.domain.whatsapp.rating import Charge, ChargeStatus

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from tollhouse.domain.periods import Period

HUNDRED: Final = Decimal(100)


class Section(StrEnum):
    """Statement sections in their order (R-ST-2)."""

    META = "meta"
    PER_MESSAGE = "per_message"
    LICENCES = "licences"
    ADDONS = "addons"
    TEMPLATE_REVIEW = "template_review"
    PERCENTAGE = "percentage"
    ADJUSTMENTS = "adjustments"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BOTH = "both"


class MessageClass(StrEnum):
    TEMPLATE = "template"
    NON_TEMPLATE = "non_template"
    BOTH = "both"


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # first `sent` seen
    DELIVERED = "delivered"
    FAILED = "failed"
    RECEIVED = "received"  # inbound


@dataclass(frozen=True, slots=True)
class FeeItem:
    section: Section
    category: str  # "<model>:<name>" (§8)
    quantity: int
    unit_rate: Decimal
    currency: str

    @property
    def amount(self) -> Decimal:
        return self.unit_rate * self.quantity


def fee_rate(raw: str, *, what: str) -> Decimal:
    """A unit price in a fee rule: a decimal string, 0 or more, at most 6 places (D-1)."""
    try:
        value = Decimal(raw)
    except ArithmeticError as exc:
        raise InvalidFeePlan(f"{what} {raw!r} is not a decimal string") from exc
    if not value.is_finite() or value < 0:
        raise InvalidFeePlan(f"{what} {raw!r} must be a finite amount of 0 or more")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_RATE_PLACES:
        raise InvalidFeePlan(f"{what} {raw!r} has more than {MAX_RATE_PLACES} decimal places")
    return value


# ---- number_licence -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberActivity:
    phone_number_id: str
    plan: str
    onboarded_at: datetime
    removed_at: datetime | None = None

    def active_in(self, month: Period) -> bool:
        """D-25: active on any day of the month costs the full month."""
        return self.onboarded_at < month.end and (
            self.removed_at is None or self.removed_at > month.start
        )


def licence_fees(
    numbers: Iterable[NumberActivity],
    *,
    plans: Mapping[str, Decimal],
    month: Period,
    currency: str,
    name: str = "licence",
) -> list[FeeItem]:
    """``number_licence``: each number active in the month, messages or not (Y16)."""
    counts: defaultdict[str, int] = defaultdict(int)
    for number in numbers:
        if number.active_in(month):
            if number.plan not in plans:
                raise InvalidFeePlan(
                    f"number {number.phone_number_id} has unknown plan "
                    f"{number.plan!r}; plans are {sorted(plans)}"
                )
            counts[number.plan] += 1
    return [
        FeeItem(Section.LICENCES, f"number_licence:{name}:{plan}", n, plans[plan], currency)
        for plan, n in sorted(counts.items())
    ]


# ---- per_message ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageActivity:
    wamid: str
    direction: Direction  # INBOUND or OUTBOUND
    template: bool
    outcome: Outcome
    category: str | None = None
    market: str | None = None


class FailedMode(StrEnum):
    REPLACE = "replace"
    ADD = "add"


@dataclass(frozen=True, slots=True)
class PerMessageRule:
    name: str
    amount: Decimal
    direction: Direction = Direction.BOTH
    message_class: MessageClass = MessageClass.BOTH
    count_on: Outcome = Outcome.ACCEPTED
    failed_amount: Decimal | None = None
    failed_mode: FailedMode = FailedMode.REPLACE  # D-24
    free_units: int = 0
    categories: frozenset[str] | None = None
    markets: frozenset[str] | None = None

    def matches(self, message: MessageActivity) -> bool:
        if self.direction is not Direction.BOTH and message.direction is not self.direction:
            return False
        wanted = self.message_class
        if (
            wanted is not MessageClass.BOTH
            and (wanted is MessageClass.TEMPLATE) != message.template
        ):
            return False
        if self.categories is not None and message.category not in self.categories:
            return False
        return self.markets is None or message.market in self.markets


def per_message_fees(
    rule: PerMessageRule, messages: Iterable[MessageActivity], *, currency: str
) -> list[FeeItem]:
    """``per_message`` for one month: the first ``free_units`` counted messages are free."""
    counted = failed = 0
    for message in messages:
        if not rule.matches(message):
            continue
        if message.outcome is Outcome.FAILED and message.direction is Direction.OUTBOUND:
            failed += 1
        elif _counts(rule, message):
            counted += 1
    category = f"per_message:{rule.name}"
    items = []
    if (billable := max(counted - rule.free_units, 0)) > 0:
        items.append(FeeItem(Section.PER_MESSAGE, category, billable, rule.amount, currency))
    items.extend(_failed_items(rule, failed, category, currency))
    return items


def _counts(rule: PerMessageRule, message: MessageActivity) -> bool:
    if message.direction is Direction.INBOUND:
        return message.outcome is Outcome.RECEIVED
    if rule.count_on is Outcome.ACCEPTED:
        return message.outcome in (Outcome.ACCEPTED, Outcome.DELIVERED)
    return message.outcome is Outcome.DELIVERED


def _failed_items(rule: PerMessageRule, failed: int, category: str, currency: str) -> list[FeeItem]:
    """D-24: a failed outbound message pays ``failed_amount`` instead of (or on top of) the fee."""
    if failed == 0:
        return []
    items = []
    if rule.failed_amount is not None:
        items.append(
            FeeItem(Section.PER_MESSAGE, f"{category}:failed", failed, rule.failed_amount, currency)
        )
    also_fee = rule.failed_amount is None or rule.failed_mode is FailedMode.ADD
    if also_fee and rule.count_on is Outcome.ACCEPTED:  # it was accepted before it failed
        items.append(FeeItem(Section.PER_MESSAGE, category, failed, rule.amount, currency))
    return items


# ---- percentage, markup, fx_margin ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PercentageRule:
    name: str
    percent: Decimal
    source: str = "meta"  # "meta" or "all"
    categories: frozenset[str] | None = None


def percentage_fee(
    rule: PercentageRule, charges: Iterable[Charge], fees: Iterable[FeeItem] = (), *, currency: str
) -> FeeItem | None:
    """``percentage`` (and the ``meta_passthrough`` markup): exact base, one line (D-1)."""
    base = sum(
        (c.amount for c in charges if c.amount is not None and _in_base(rule, c, currency)),
        Decimal(0),
    )
    if rule.source == "all":
        base += sum((f.amount for f in fees if f.currency == currency), Decimal(0))
    if base == 0:
        return None
    exact = base * rule.percent / HUNDRED
    return FeeItem(Section.PERCENTAGE, f"percentage:{rule.name}", 1, exact, currency)


def _in_base(rule: PercentageRule, charge: Charge, currency: str) -> bool:
    if charge.status is not ChargeStatus.RATED or charge.amount is None:
        return False
    if charge.currency != currency:
        return False
    return rule.categories is None or charge.category in rule.categories


def fx_margin(
    charges: Iterable[Charge],
    *,
    fx_rate: Decimal,
    percent: Decimal,
    to_currency: str,
    name: str = "fx_margin",
) -> FeeItem | None:
    """``fx_margin``: a margin on Meta charges converted with a supplied rate (D-26)."""
    base = sum((c.amount for c in charges if c.amount is not None), Decimal(0))
    if base == 0:
        return None
    exact = base * fx_rate * percent / HUNDRED
    return FeeItem(Section.PERCENTAGE, f"fx_margin:{name}", 1, exact, to_currency)


# ---- template_review, addon_monthly, unique_contact_bundle ----------------------------------


@dataclass(frozen=True, slots=True)
class TemplateSubmission:
    name: str
    language: str
    is_new: bool = True


def template_review_fees(
    submissions: Iterable[TemplateSubmission],
    *,
    amount: Decimal,
    currency: str,
    count_resubmissions: bool = False,
    name: str = "review",
) -> list[FeeItem]:
    """Each new template (name plus language) once, unless resubmissions count."""
    seen: set[tuple[str, str]] = set()
    count = 0
    for submission in submissions:
        key = (submission.name, submission.language)
        if count_resubmissions or (submission.is_new and key not in seen):
            count += 1
        seen.add(key)
    if count == 0:
        return []
    return [FeeItem(Section.TEMPLATE_REVIEW, f"template_review:{name}", count, amount, currency)]


@dataclass(frozen=True, slots=True)
class AddonRule:
    name: str
    amount: Decimal  # per month (per number when scope is "number")
    per_use: Decimal | None = None
    free_units: int = 0


def addon_fees(rule: AddonRule, *, active_scopes: int, uses: int, currency: str) -> list[FeeItem]:
    """``addon_monthly``: full month for each scope active on any day (D-25), plus uses."""
    items = []
    category = f"addon_monthly:{rule.name}"
    if active_scopes > 0 and rule.amount > 0:
        items.append(FeeItem(Section.ADDONS, category, active_scopes, rule.amount, currency))
    billable = max(uses - rule.free_units, 0)
    if rule.per_use is not None and billable > 0:
        items.append(FeeItem(Section.ADDONS, f"{category}:use", billable, rule.per_use, currency))
    return items


def unique_contact_bundles(
    recipients: Iterable[str],
    *,
    bundle_size: int,
    amount: Decimal,
    currency: str,
    name: str = "contacts",
) -> list[FeeItem]:
    """Unique recipients of the month, rounded up to whole bundles."""
    if bundle_size <= 0:
        raise InvalidFeePlan(f"bundle_size {bundle_size} must be 1 or more")
    unique = len(set(recipients))
    bundles = math.ceil(unique / bundle_size)
    if bundles == 0:
        return []
    return [FeeItem(Section.ADDONS, f"unique_contact_bundle:{name}", bundles, amount, currency)]


# ---- prepaid wallet (R-BUD-4) ---------------------------------------------------------------


class WalletDecision(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"


@dataclass(eq=False)
class PrepaidWallet:
    """Balance is derived: top-ups minus confirmed debits; reservations hold estimates."""

    currency: str
    minimum_balance: Decimal = Decimal(0)
    low_balance_alerts: tuple[Decimal, ...] = ()
    block: bool = True
    balance: Decimal = Decimal(0)
    reservations: dict[str, Decimal] = field(default_factory=dict)
    alerted: set[Decimal] = field(default_factory=set)

    @property
    def reserved(self) -> Decimal:
        return sum(self.reservations.values(), Decimal(0))

    @property
    def available(self) -> Decimal:
        return self.balance - self.reserved

    def top_up(self, amount: Decimal) -> None:
        self.balance += amount
        self.alerted = {t for t in self.alerted if self.available < t}  # re-arm above thresholds

    def reserve(self, key: str, amount: Decimal) -> WalletDecision:
        if self.block and self.available - amount < self.minimum_balance:
            return WalletDecision.BLOCK
        self.reservations[key] = amount
        return WalletDecision.ALLOW

    def debit(self, key: str, amount: Decimal) -> list[Decimal]:
        """Debit a confirmed charge, release its reservation; returns thresholds newly crossed."""
        self.reservations.pop(key, None)
        self.balance -= amount
        crossed = [
            t for t in self.low_balance_alerts if self.available < t and t not in self.alerted
        ]
        self.alerted.update(crossed)
        return crossed

    @property
    def blocked(self) -> bool:
        return self.block and self.available < self.minimum_balance
