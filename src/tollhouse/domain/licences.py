"""WeCom interface licences: order rules, order lifecycle and the two pricing layers.

Rules L1–L32 and L65–L84 of ``spec/wecom-licences.md``. Activation codes and their lifecycle live in
``licence_codes.py``. Everything here is pure: the caller passes ``at``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum
from typing import ClassVar, Final

from tollhouse.domain.errors import PlatformRuleViolation
from tollhouse.domain.money import ROUNDING_MODES, round_to_integer
from tollhouse.domain.periods import DAY_SECONDS, SHANGHAI, end_of_local_day, local_date
from tollhouse.domain.tiers import TierSlice, TierTable, table_from_rows

NAMESPACE: Final = "wecom.licences"
MONTH_DAYS: Final = 31  # a licence month (D10)
YEAR_DAYS: Final = 372  # 12 licence months
MIN_DAYS: Final = 31
MAX_DAYS: Final = 1_860
MAX_MONTHS: Final = 60
MAX_COUNT: Final = 1_000_000
TEST_CORP_MAX_COUNT: Final = 1_000
BATCH_LIMIT: Final = 1_000
MULTI_CORP_CALL_LIMIT: Final = 10
MULTI_CORP_JOB_LIMIT: Final = 100_000
JOB_RESULT_DAYS: Final = 7
LIST_SPAN_DAYS: Final = 31
PAGE_DEFAULT: Final = 500
PROJECT_CODES: Final = (701_900, 701_999)  # codes for rules whose WeCom errcode is unknown


class LicenceRuleViolation(PlatformRuleViolation):
    """A WeCom licence rule, with WeCom's (or the project's 7019xx) errcode."""

    code = "wecom.licences.rule"

    def __init__(
        self, errcode: int, message: str, *, rule: str | None = None, kind: str = "invalid"
    ) -> None:
        project = PROJECT_CODES[0] <= errcode <= PROJECT_CODES[1]
        text = f"tollhouse: {rule}: {message}" if project else message
        super().__init__(errcode, text, rule=rule, kind=kind, namespace=NAMESPACE)


def violation(
    errcode: int, message: str, *, rule: str | None = None, kind: str = "invalid"
) -> LicenceRuleViolation:
    return LicenceRuleViolation(errcode, message, rule=rule, kind=kind)


class AccountType(IntEnum):
    BASIC = 1
    INTEROP = 2


class OrderType(IntEnum):
    BUY = 1
    RENEW = 2
    EDITION_MIGRATION = 5
    CONTRACT_MIGRATION = 6
    MULTI_CORP = 8


class OrderStatus(IntEnum):
    AWAITING_PAYMENT = 0
    PAID = 1
    CANCELLED = 2
    EXPIRED = 3
    REFUND_REQUESTED = 4
    REFUNDED = 5
    REFUND_REFUSED = 6
    INVALID = 7


class PaymentMethod(StrEnum):
    CONSOLE = "console"
    BALANCE = "balance"


def parse_account_type(value: object) -> AccountType:
    if isinstance(value, int) and not isinstance(value, bool) and value in (1, 2):
        return AccountType(value)
    raise violation(
        701006, f"type {value!r} is not a licence type; use 1 (basic) or 2 (interop)", rule="L1"
    )


# --- durations -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Duration:
    months: int
    days: int = 0

    @property
    def total_days(self) -> int:
        return self.months * MONTH_DAYS + self.days


def validate_new_order_duration(duration: Duration, *, test_corp: bool) -> None:
    """L8: 31 ≤ D ≤ 1 860; test corps exactly one month."""
    d = duration.total_days
    if not (
        0 <= duration.months <= MAX_MONTHS and duration.days >= 0 and MIN_DAYS <= d <= MAX_DAYS
    ):
        raise violation(
            701903,
            f"account_duration months={duration.months} days={duration.days} gives {d} days; "
            f"it must be {MIN_DAYS}…{MAX_DAYS} days (months 0…{MAX_MONTHS}, days ≥ 0)",
            rule="L8",
        )
    if test_corp and (duration.months != 1 or duration.days != 0):
        raise violation(
            701028,
            f"a test corp buys exactly months=1 and no days, got "
            f"months={duration.months} days={duration.days}",
            rule="L8",
        )


def validate_counts(base_count: int, interop_count: int, *, test_corp: bool) -> None:
    """L7: counts ≥ 0, not both 0, ≤ 1 000 000 (test corp ≤ 1 000)."""
    for name, value in (("base_count", base_count), ("external_contact_count", interop_count)):
        if value < 0:
            raise violation(40058, f"account_count.{name} is {value}; it must be ≥ 0", rule="L7")
    if base_count == 0 and interop_count == 0:
        raise violation(
            701901,
            "account_count.base_count and external_contact_count are both 0; "
            "buy at least one account",
            rule="L7",
        )
    limit, errcode = (TEST_CORP_MAX_COUNT, 701027) if test_corp else (MAX_COUNT, 701902)
    for name, value in (("base_count", base_count), ("external_contact_count", interop_count)):
        if value > limit:
            raise violation(
                errcode,
                f"account_count.{name} is {value}; the limit is {limit}"
                + (" for a test corp" if test_corp else ""),
                rule="L7",
            )


def validate_renewal_months(months: int, *, test_corp: bool) -> None:
    """L22: months 1…60; a test corp exactly 1."""
    if not 1 <= months <= MAX_MONTHS:
        raise violation(701905, f"renewal months={months}; it must be 1…{MAX_MONTHS}", rule="L22")
    if test_corp and months != 1:
        raise violation(
            701028, f"a test corp renews exactly 1 month, got months={months}", rule="L22"
        )


def normalise_new_expire_time(value: datetime, *, at: datetime, test_corp: bool) -> datetime:
    """L23/D17: 24:00 of the chosen local day, today < d ≤ today + 1 860 days."""
    if test_corp:
        raise violation(
            701906, "new_expire_time is not allowed for a test corp; use months=1", rule="L23"
        )
    target = end_of_local_day(value, SHANGHAI)
    day = local_date(target - timedelta(seconds=1), SHANGHAI)
    today = local_date(at, SHANGHAI)
    if day <= today:
        raise violation(
            701907,
            f"new_expire_time {int(value.timestamp())} ends on {day}, which is "
            f"not after today ({today}, Asia/Shanghai)",
            rule="L23",
        )
    if day > today + timedelta(days=MAX_DAYS):
        raise violation(
            701908,
            f"new_expire_time {int(value.timestamp())} ends on {day}, later "
            f"than today + {MAX_DAYS} days",
            rule="L23",
        )
    return target


def renewal_days(*, expire_time: datetime, target: datetime, at: datetime) -> int:
    """L24/D16: ceil((target − max(expire_time, at)) / 86 400), floored at 0."""
    seconds = (target - max(expire_time, at)).total_seconds()
    return max(0, math.ceil(seconds / DAY_SECONDS))


def renewed_expiry(
    *, expire_time: datetime, pay_time: datetime, months: int | None, target: datetime | None
) -> datetime:
    """L25: in-place extension at payment."""
    if months is not None:
        return max(expire_time, pay_time) + timedelta(days=MONTH_DAYS * months)
    if target is None:
        raise violation(701904, "a renewal needs months or new_expire_time", rule="L22")
    return max(expire_time, target)


def validate_list_span(start: datetime | None, end: datetime | None) -> None:
    """L65: both bounds or none; span ≤ 31 days; end ≥ start."""
    if (start is None) != (end is None):
        raise violation(701909, "start_time and end_time must be given together", rule="L65")
    if (
        start is not None
        and end is not None
        and (end < start or (end - start) > timedelta(days=LIST_SPAN_DAYS))
    ):
        raise violation(
            701910,
            f"time span {int(start.timestamp())}…{int(end.timestamp())} must "
            f"not exceed {LIST_SPAN_DAYS} days and end must not precede start",
            rule="L65",
        )


def validate_limit(limit: int | None) -> int:
    """L66: limit 1…1 000, default 500."""
    if limit is None:
        return PAGE_DEFAULT
    if not 1 <= limit <= BATCH_LIMIT:
        raise violation(701911, f"limit {limit} must be 1…{BATCH_LIMIT}", rule="L66")
    return limit


def validate_batch_size(size: int, *, limit: int = BATCH_LIMIT, rule: str) -> None:
    if size == 0:
        raise violation(701025, "the list is empty; send at least one item", rule=rule)
    if size > limit:
        raise violation(701026, f"the list has {size} items; at most {limit} per call", rule=rule)


def job_result_readable(*, submitted_at: datetime, at: datetime) -> None:
    """L27/L31: a job's result is readable while now ≤ submit + 7 days."""
    if at > submitted_at + timedelta(days=JOB_RESULT_DAYS):
        raise violation(
            701912,
            f"the job result expired on "
            f"{int((submitted_at + timedelta(days=JOB_RESULT_DAYS)).timestamp())} "
            f"(7 days after submission)",
            rule="L27",
        )


# --- order lifecycle --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderStatusChanged:
    order_id: str
    old: OrderStatus
    new: OrderStatus
    at: datetime


@dataclass(eq=False)
class LicenceOrder:
    """A licence order. ``status`` is the stored status; read ``status_at(at)`` for D18."""

    TRANSITIONS: ClassVar[Mapping[OrderStatus, frozenset[OrderStatus]]] = {
        OrderStatus.AWAITING_PAYMENT: frozenset(
            {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED}
        ),
        OrderStatus.PAID: frozenset({OrderStatus.REFUND_REQUESTED}),
        OrderStatus.REFUND_REQUESTED: frozenset({OrderStatus.REFUNDED, OrderStatus.REFUND_REFUSED}),
    }  # a status with no entry is terminal; → INVALID is the test-corp removal (L15, L20)

    order_id: str
    provider_id: str
    corpid: str | None
    order_type: OrderType
    status: OrderStatus
    price: int
    create_time: datetime
    buyer_userid: str
    base_count: int = 0
    interop_count: int = 0
    months: int = 0
    days: int = 0
    new_expire_time: datetime | None = None
    pay_time: datetime | None = None
    parent_order_id: str | None = None
    test_corp: bool = False
    payment_method: PaymentMethod | None = None
    lines: list[dict[str, object]] = field(default_factory=list)
    unpaid_ttl_days: int = 7

    @property
    def expires_at(self) -> datetime:
        return self.create_time + timedelta(days=self.unpaid_ttl_days)

    def status_at(self, at: datetime) -> OrderStatus:
        """D18: an unpaid order is status 3 from create_time + TTL, evaluated at read time."""
        if self.status == OrderStatus.AWAITING_PAYMENT and at >= self.expires_at:
            return OrderStatus.EXPIRED
        return self.status

    def transition_to(self, new: OrderStatus, *, at: datetime) -> OrderStatusChanged:
        # recording the unpaid expiry (D18) starts from the stored status, not the computed one
        current = self.status if new == OrderStatus.EXPIRED else self.status_at(at)
        allowed = self.TRANSITIONS.get(current, frozenset())
        if new == OrderStatus.INVALID and self.test_corp:
            allowed = allowed | {OrderStatus.INVALID}
        if new not in allowed:
            raise self._refusal(current, new)
        self.status = new
        if new == OrderStatus.PAID:
            self.pay_time = at
        return OrderStatusChanged(self.order_id, current, new, at)

    def _refusal(self, current: OrderStatus, new: OrderStatus) -> LicenceRuleViolation:
        text = f"order {self.order_id} is in status {int(current)} ({current.name.lower()}); "
        if new == OrderStatus.REFUND_REQUESTED and current in (
            OrderStatus.AWAITING_PAYMENT,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
        ):
            return violation(
                701083, text + "only a paid order can be refunded", rule="L19", kind="conflict"
            )
        if new in (OrderStatus.REFUND_REQUESTED, OrderStatus.REFUNDED, OrderStatus.REFUND_REFUSED):
            return violation(
                701935, text + "that refund action does not apply", rule="L15", kind="conflict"
            )
        return violation(
            701084,
            text + "only an order awaiting payment (status 0) can be "
            f"{'cancelled' if new == OrderStatus.CANCELLED else 'paid'}",
            rule="L18",
            kind="conflict",
        )

    def fix_payment_method(self, method: PaymentMethod) -> None:
        """L30: once a balance payment is submitted the method is fixed."""
        if self.payment_method is not None and self.payment_method != method:
            raise violation(
                701922,
                f"order {self.order_id} is already being paid by "
                f"{self.payment_method}; it cannot be paid by {method}",
                rule="L30",
                kind="conflict",
            )
        self.payment_method = method

    @property
    def is_payable_type(self) -> bool:
        return self.order_type in (OrderType.BUY, OrderType.RENEW, OrderType.MULTI_CORP)

    @property
    def code_count(self) -> int:
        return self.base_count + self.interop_count

    @property
    def duration_days(self) -> int:
        return self.months * MONTH_DAYS + self.days


# --- pricing ----------------------------------------------------------------------------------


class OffsetOperator(StrEnum):
    GE = "ge"
    GT = "gt"


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One type in one order: the tier walk, the exact amount and the one rounding (L71)."""

    type: AccountType
    count: int
    duration_days: int
    offset: int
    tiers: tuple[TierSlice, ...]
    exact: Decimal
    amount: int | None  # None only for a custom reseller quote


@dataclass(frozen=True, slots=True)
class PricingRules:
    """Proration and rounding shared by both layers (L71, L72, D15)."""

    denominator_days: int = YEAR_DAYS
    rounding: str = ROUND_HALF_UP

    def __post_init__(self) -> None:
        if self.rounding not in ROUNDING_MODES:
            raise violation(
                40058,
                f"rounding {self.rounding!r} is not one of {sorted(ROUNDING_MODES)}",
                rule="L72",
            )
        if self.denominator_days <= 0:
            raise violation(
                40058, f"proration denominator {self.denominator_days} must be > 0", rule="L72"
            )

    def line(
        self, table: TierTable, *, type_: AccountType, count: int, offset: int, duration_days: int
    ) -> PriceLine:
        pieces = tuple(table.slices(offset=offset, count=count))
        units = Decimal(0)
        for piece in pieces:
            if piece.unit_price is None:
                raise violation(
                    40058, f"position {piece.first} is in a custom-quote tier", rule="L81"
                )
            units += piece.unit_price * piece.count
        exact = units * duration_days / self.denominator_days
        return PriceLine(
            type_,
            count,
            duration_days,
            offset,
            pieces,
            exact,
            round_to_integer(exact, rounding=self.rounding),
        )

    def per_account_line(
        self, table: TierTable, *, type_: AccountType, days: Sequence[int]
    ) -> PriceLine:
        """L73: renewal by new_expire_time, each account its own day count, positions from 1."""
        total = Decimal(0)
        for position, account_days in enumerate(days, start=1):
            price = table.unit_price_at(position)
            if price is None:
                raise violation(40058, "a platform table cannot hold a custom tier", rule="L74")
            total += price * account_days
        exact = total / self.denominator_days
        pieces = tuple(table.slices(offset=0, count=len(days)))
        return PriceLine(
            type_,
            len(days),
            max(days, default=0),
            0,
            pieces,
            exact,
            round_to_integer(exact, rounding=self.rounding),
        )


DEFAULT_BASIC_TIERS: Final = (
    {"from": 1, "to": 5, "unit_price": 500},
    {"from": 6, "to": 200, "unit_price": 400},
    {"from": 201, "to": 500, "unit_price": 300},
    {"from": 501, "to": 1000, "unit_price": 200},
    {"from": 1001, "to": None, "unit_price": 100},
)  # L76, seed 002
DEFAULT_INTEROP_TIERS: Final = ({"from": 1, "to": None, "unit_price": 5000},)  # L75, seed 000


@dataclass(frozen=True, slots=True)
class PlatformPricing:
    """What WeCom charges the provider (L74–L79)."""

    basic: TierTable
    interop: TierTable
    rules: PricingRules = PricingRules()
    offset_operator: OffsetOperator = OffsetOperator.GE

    def __post_init__(self) -> None:
        for name, table in (("basic", self.basic), ("interop", self.interop)):
            if table.has_custom:
                raise violation(
                    40058,
                    f"platform table {name} has a custom tier; a platform "
                    "table is priced in fen throughout",
                    rule="L74",
                )

    @classmethod
    def default(cls) -> PlatformPricing:
        return cls(table_from_rows(DEFAULT_BASIC_TIERS), table_from_rows(DEFAULT_INTEROP_TIERS))

    def table(self, type_: AccountType) -> TierTable:
        return self.basic if type_ == AccountType.BASIC else self.interop

    def offset_counts(
        self, expiries: Sequence[datetime], *, at: datetime, duration_days: int
    ) -> int:
        """L77/D11: valid codes whose remaining time covers the purchased duration."""
        needed = timedelta(days=duration_days)
        if self.offset_operator == OffsetOperator.GE:
            return sum(1 for e in expiries if e - at >= needed)
        return sum(1 for e in expiries if e - at > needed)

    def new_order_lines(
        self,
        counts: Mapping[AccountType, int],
        *,
        offsets: Mapping[AccountType, int],
        duration_days: int,
    ) -> list[PriceLine]:
        return [
            self.rules.line(
                self.table(t),
                type_=t,
                count=n,
                offset=offsets.get(t, 0),
                duration_days=duration_days,
            )
            for t, n in counts.items()
            if n > 0
        ]

    def renewal_lines(self, counts: Mapping[AccountType, int], *, months: int) -> list[PriceLine]:
        """L78: renewals start at offset 0 per order and per type."""
        return self.new_order_lines(counts, offsets={}, duration_days=months * MONTH_DAYS)

    def renewal_lines_by_days(self, days: Mapping[AccountType, Sequence[int]]) -> list[PriceLine]:
        return [
            self.rules.per_account_line(self.table(t), type_=t, days=d)
            for t, d in days.items()
            if d
        ]


def order_price(lines: Sequence[PriceLine], *, test_corp: bool = False) -> int:
    """L71, L79: the sum of the lines; test corps pay 0."""
    if test_corp:
        return 0
    return sum(line.amount or 0 for line in lines)


# --- reseller layer ---------------------------------------------------------------------------


class PurchaseKind(StrEnum):
    FIRST = "first"
    ADDITIONAL = "additional"
    RENEWAL = "renewal"


class AddonTierStart(StrEnum):
    FIRST_TIER = "first_tier"
    PLATFORM_OFFSET = "platform_offset"


@dataclass(frozen=True, slots=True)
class ResellerProfile:
    """A provider's own price list (§3.3)."""

    name: str
    tiers: Mapping[AccountType, TierTable]
    addon_tier_start: AddonTierStart = AddonTierStart.FIRST_TIER
    first_purchase_min_months: int | None = None
    min_months: int = 1
    max_months: int = MAX_MONTHS
    allow_days: bool = False
    rules: PricingRules = PricingRules()

    def table(self, type_: AccountType) -> TierTable:
        table = self.tiers.get(type_)
        if table is None:
            raise violation(
                701933,
                f"profile {self.name!r} has no price table for {type_.name.lower()} accounts",
                rule="§3.3",
            )
        return table


@dataclass(frozen=True, slots=True)
class ResellerQuote:
    quote_status: str  # priced | custom_quote_required
    purchase_kind: PurchaseKind
    lines: tuple[PriceLine, ...]
    price: int | None
    custom_from_position: int | None
    duration: Duration


def coterm_duration(remaining_seconds: float | None, *, allow_days: bool) -> Duration:
    """L83: co-terminate with the corp's latest-expiring code (R rounded up; none → 31)."""
    remaining_days = (
        MONTH_DAYS if remaining_seconds is None else math.ceil(remaining_seconds / DAY_SECONDS)
    )
    if allow_days:
        total = max(MIN_DAYS, remaining_days)
        return Duration(total // MONTH_DAYS, total % MONTH_DAYS)
    return Duration(max(1, math.ceil(remaining_days / MONTH_DAYS)), 0)


def validate_reseller_duration(
    profile: ResellerProfile, duration: Duration, kind: PurchaseKind
) -> None:
    """§3.3 and L82, compared in days."""
    if duration.days and not profile.allow_days:
        raise violation(
            701934,
            f"profile {profile.name!r} sells whole months only; got days={duration.days}",
            rule="§3.3",
        )
    d = duration.total_days
    minimum = profile.first_purchase_min_months
    if kind == PurchaseKind.FIRST and minimum is not None and d < minimum * MONTH_DAYS:
        raise violation(
            701931,
            f"a first purchase under profile {profile.name!r} lasts at least "
            f"{minimum} months; got {d} days",
            rule="L82",
        )
    if d > profile.max_months * MONTH_DAYS or d < profile.min_months * MONTH_DAYS:
        raise violation(
            701932,
            f"duration {d} days is outside {profile.min_months}…"
            f"{profile.max_months} months for profile {profile.name!r}",
            rule="L82",
        )


def reseller_quote(
    profile: ResellerProfile,
    counts: Mapping[AccountType, int],
    *,
    kind: PurchaseKind,
    duration: Duration,
    platform_offsets: Mapping[AccountType, int],
) -> ResellerQuote:
    """L80–L84: price a reseller quote, or say that it needs a custom quote."""
    validate_counts(
        counts.get(AccountType.BASIC, 0), counts.get(AccountType.INTEROP, 0), test_corp=False
    )
    validate_reseller_duration(profile, duration, kind)
    use_platform = kind == PurchaseKind.ADDITIONAL and (
        profile.addon_tier_start == AddonTierStart.PLATFORM_OFFSET
    )
    lines: list[PriceLine] = []
    custom_from: int | None = None
    for type_, count in counts.items():
        if count <= 0:
            continue
        table = profile.table(type_)
        offset = platform_offsets.get(type_, 0) if use_platform else 0
        first_custom = table.first_custom_position(offset=offset, count=count)
        if first_custom is not None:
            custom_from = first_custom if custom_from is None else min(custom_from, first_custom)
            pieces = tuple(table.slices(offset=offset, count=count))
            lines.append(
                PriceLine(type_, count, duration.total_days, offset, pieces, Decimal(0), None)
            )
            continue
        lines.append(
            profile.rules.line(
                table, type_=type_, count=count, offset=offset, duration_days=duration.total_days
            )
        )
    if custom_from is not None:
        return ResellerQuote(
            "custom_quote_required", kind, tuple(lines), None, custom_from, duration
        )
    return ResellerQuote("priced", kind, tuple(lines), order_price(lines), None, duration)


def profile_from_config(name: str, config: Mapping[str, object]) -> ResellerProfile:
    """Build a profile from its JSON form (as stored and as the API accepts it)."""
    raw_tiers = config.get("tiers", {})
    if not isinstance(raw_tiers, Mapping):
        raise violation(40058, f"profile {name!r}: tiers must be an object", rule="L69")
    tiers: dict[AccountType, TierTable] = {}
    for key, rows in raw_tiers.items():
        type_ = {"basic": AccountType.BASIC, "interop": AccountType.INTEROP}.get(str(key))
        if type_ is None or not isinstance(rows, list):
            raise violation(
                40058,
                f"profile {name!r}: tiers.{key} is not basic/interop with a list of tiers",
                rule="L69",
            )
        tiers[type_] = table_from_rows(rows)
    first_min = config.get("first_purchase_min_months")
    return ResellerProfile(
        name=name,
        tiers=tiers,
        addon_tier_start=AddonTierStart(str(config.get("addon_tier_start", "first_tier"))),
        first_purchase_min_months=None if first_min is None else int(str(first_min)),
        min_months=int(str(config.get("min_months", 1))),
        max_months=int(str(config.get("max_months", MAX_MONTHS))),
        allow_days=bool(config.get("allow_days", False)),
        rules=PricingRules(
            int(str(config.get("proration_denominator_days", YEAR_DAYS))),
            str(config.get("rounding", ROUND_HALF_UP)),
        ),
    )


SAMPLE_PROFILES: Final[dict[str, dict[str, object]]] = {
    "caoliao": {
        "tiers": {
            "basic": [
                {"from": 1, "to": 5, "unit_price": 500},
                {"from": 6, "to": 200, "unit_price": 400},
                {"from": 201, "to": 500, "unit_price": 300},
                {"from": 501, "to": 1000, "unit_price": 200},
                {"from": 1001, "to": 10000, "unit_price": 100},
                {"from": 10001, "to": None, "unit_price": "custom"},
            ]
        },
        "addon_tier_start": "first_tier",
        "max_months": 60,
    },
    "scrm-interop": {
        "tiers": {"interop": [{"from": 1, "to": None, "unit_price": 5000}]},
        "first_purchase_min_months": 12,
        "addon_tier_start": "platform_offset",
    },
}  # L84
