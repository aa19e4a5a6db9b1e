"""Rating: one confirmed message or conversation against the preloaded rate book (R-RT-1).

The hot path is ``Rater.rate``: a cached local-day lookup, a cached market lookup, a cached
rate-book lookup and, for tiered keys only, one counter increment. Amounts stay exact.

Which status confirms a charge is decided by ``confirming_status`` (D-3), a pure function of
the set of statuses of one wamid, so the result never depends on arrival order; ``rate_batch``
rates a whole set in charge-time order, which makes counters (free tiers, volume tiers)
order-independent too (R-IN-2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Final, NamedTuple

from tollhouse.domain.periods import from_unix, require_utc
from tollhouse.domain.whatsapp.ratecards import RateBook, RateEntry
from tollhouse.domain.whatsapp.vocabulary import (
    SERVICE_FREE_UNLIMITED,
    TIER_GROUP,
    TOKENS_START,
    Category,
    PricingModel,
    PricingType,
    RuleSet,
    rule_set_on,
)
from tollhouse.domain.whatsapp.webhooks import Pricing, StatusEvent, StatusKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from zoneinfo import ZoneInfo

    from tollhouse.domain.whatsapp.markets import MarketMatch, MarketResolver

ZERO: Final = Decimal(0)
CBP_FREE_TIER_SIZE: Final = 1000  # D-10
TOKEN_RATE_USD: Final = Decimal("0.000002")  # R-PMP26-6, D-22: USD 2.00 per 1,000,000 tokens
_QUARTER_HOUR: Final = 900  # every UTC offset is a multiple of 15 minutes
_CBP_FREE_ALL: Final = date(2023, 6, 1)
_PMP, _PMP26 = RuleSet.PMP, RuleSet.PMP26
_CBP, _PMP_MODEL = PricingModel.CBP, PricingModel.PMP
_REGULAR = PricingType.REGULAR


class ChargeStatus(StrEnum):
    RATED = "rated"
    FREE = "free"
    UNRATED = "unrated"  # D-15: no rate in force; amount None, out of totals, alerted


_RATED, _FREE = ChargeStatus.RATED, ChargeStatus.FREE


@dataclass(frozen=True, slots=True)
class Waba:
    waba_id: str
    currency: str
    zone: ZoneInfo
    portfolio_id: str = ""


class ChargeFacts(NamedTuple):
    """What Meta (webhook path) or the inference path says about one chargeable item.

    A named tuple, not a dataclass: one is built per confirmed status on the ingest path.
    """

    key: str  # wamid (PMP) or conversation id (CBP); unique per WABA (D-2)
    phone_number_id: str
    recipient: str
    ts: int  # charge time, Unix seconds (D-3)
    model: PricingModel
    category: Category | None
    pricing_type: PricingType
    raw_category: str = ""


class Charge(NamedTuple):
    """A ledger row (2.12): built once, never updated; corrections are new rows (R-RT-4).

    A named tuple so that the hot path builds it with one ``tuple.__new__``.
    """

    key: str
    waba_id: str
    phone_number_id: str
    ts: int
    month: str  # local month of the charge time, "YYYY-MM" (R-ST-1)
    model: PricingModel
    country: str
    market: str
    category: str
    pricing_type: PricingType
    status: ChargeStatus
    currency: str
    unit_rate: Decimal | None
    amount: Decimal | None  # exact = quantity x unit_rate; None when unrated
    quantity: int = 1
    tier: str | None = None  # card tier label, None for flat keys
    card_version: str | None = None
    reason: str = ""

    @property
    def at(self) -> datetime:
        return from_unix(self.ts)


def confirming_status(statuses: Iterable[StatusEvent]) -> StatusEvent | None:
    """D-3: the first ``delivered`` status, or the first ``read`` if no ``delivered`` came."""
    best: StatusEvent | None = None
    for status in statuses:
        confirms = status.status is StatusKind.DELIVERED or status.status is StatusKind.READ
        if confirms and (best is None or _rank(status) < _rank(best)):
            best = status
    return best


def _rank(status: StatusEvent) -> tuple[int, int, int]:
    has_pricing = 0 if status.pricing is not None else 1
    return (0 if status.status is StatusKind.DELIVERED else 1, status.ts, has_pricing)


def pricing_of(statuses: Iterable[StatusEvent], confirming: StatusEvent) -> Pricing | None:
    """The confirming status's pricing wins; else the one on ``sent`` (R-X-8)."""
    if confirming.pricing is not None:
        return confirming.pricing
    return next((s.pricing for s in statuses if s.pricing is not None), None)


def facts_from_statuses(statuses: Iterable[StatusEvent]) -> ChargeFacts | None:
    """The charge facts of one wamid's statuses; None while pending or when void (D-4)."""
    listed = list(statuses)
    confirming = confirming_status(listed)
    if confirming is None:
        return None
    pricing = pricing_of(listed, confirming)
    if pricing is None or pricing.model is None:
        return None  # no pricing: the inference path decides (R-IN-5)
    cbp = pricing.model is PricingModel.CBP and confirming.conversation_id is not None
    return ChargeFacts(
        key=confirming.conversation_id if cbp and confirming.conversation_id else confirming.wamid,
        phone_number_id=confirming.phone_number_id,
        recipient=confirming.recipient,
        ts=confirming.ts,
        model=pricing.model,
        category=pricing.category,
        pricing_type=pricing.type or PricingType.REGULAR,
        raw_category=pricing.raw_category,
    )


CounterSeed = Callable[[str, tuple[str, ...]], int]
"""Counts stored before this rater ran: ``("cbp_free", (waba, month))`` or
``("tier", (portfolio, market, group, month))`` -> how many are already used."""


@dataclass(frozen=True, slots=True)
class TierReport:
    """A tier Meta reported (D-14): from ``from_ts`` on, for the rest of the named month."""

    from_ts: int
    lower: int


@dataclass(eq=False)
class Rater:
    """Rates charge facts for WABAs against one rate book and one market table."""

    book: RateBook
    markets: MarketResolver
    cbp_free_tier_size: int = CBP_FREE_TIER_SIZE
    seed: CounterSeed | None = None  # counts already stored, asked once per counter key
    _days: dict[tuple[ZoneInfo, int], tuple[date, str, RuleSet]] = field(default_factory=dict)
    _tier_used: defaultdict[tuple[str, str, str, str], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    _cbp_free_used: defaultdict[tuple[str, str], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    _charged: dict[str, set[str]] = field(default_factory=dict)
    _tier_reports: dict[tuple[str, str, str, str], TierReport] = field(default_factory=dict)
    index: InitVar[PriceIndex | None] = None  # share the catalogue's; else a new one
    price_index: PriceIndex = field(init=False, repr=False)

    def __post_init__(self, index: PriceIndex | None) -> None:
        shared = index is not None and index.book is self.book and index.markets is self.markets
        self.price_index = (
            index if index is not None and shared else PriceIndex(self.book, self.markets)
        )

    def rate_fast(
        self, waba: Waba, facts: Iterable[ChargeFacts], rest: list[tuple[ChargeFacts, Waba]]
    ) -> list[Charge]:
        """Rate what needs no counter; append the rest, with ``waba``, to ``rest``."""
        return _rate_fast(self, waba, facts, rest)

    def local_day(self, ts: int, zone: ZoneInfo) -> tuple[date, str, RuleSet]:
        """(local date, "YYYY-MM", rule set) of a Unix instant, cached per quarter hour."""
        key = (zone, ts // _QUARTER_HOUR)
        found = self._days.get(key)
        if found is None:
            day = from_unix(ts).astimezone(zone).date()
            found = (day, f"{day.year:04d}-{day.month:02d}", rule_set_on(day))
            self._days[key] = found
        return found

    def rate(self, facts: ChargeFacts, waba: Waba) -> Charge | None:  # noqa: PLR0911 - one return per rating outcome
        """One charge per key (R-X-8, D-2); None for a key already charged or a CBP echo.

        The common cases (a free PMP item, a regular PMP item on a flat key) are inlined: this
        is the hot path of ingestion (see bench/whatsapp_ingest.py).
        """
        charged = self._charged.get(waba.waba_id)
        if charged is None:
            charged = self._charged[waba.waba_id] = set()
        key = facts.key
        if key in charged:
            return None
        found = self._days.get((waba.zone, facts.ts // _QUARTER_HOUR))
        day, month, rule = found if found is not None else self.local_day(facts.ts, waba.zone)
        pmp = rule is _PMP or rule is _PMP26
        model = facts.model
        if pmp and model is _CBP:
            return None  # R-PMP-7, D-17: a CBP status after the switch adds no charge
        charged.add(key)
        match = self.markets.resolve(facts.recipient, day)
        if pmp and model is _PMP_MODEL:
            kind = facts.pricing_type
            if kind is not _REGULAR:
                return Charge(
                    key,
                    waba.waba_id,
                    facts.phone_number_id,
                    facts.ts,
                    month,
                    model,
                    match.country,
                    match.market,
                    facts.category or facts.raw_category,
                    kind,
                    _FREE,
                    waba.currency,
                    ZERO,
                    ZERO,
                )
            category = facts.category
            if category is not None:
                entry = self.book.in_force(waba.currency, match.market, category, day)
                if entry is not None and entry.flat is not None:
                    return Charge(
                        key,
                        waba.waba_id,
                        facts.phone_number_id,
                        facts.ts,
                        month,
                        model,
                        match.country,
                        match.market,
                        category,
                        kind,
                        _RATED,
                        waba.currency,
                        entry.flat,
                        entry.flat,
                        card_version=entry.version,
                    )
        base = _Base(facts, waba, day, month, match)
        if facts.model is PricingModel.CBP:
            return self._rate_cbp(base, rule)
        if pmp:
            return self._rate_pmp(base, rule)
        return base.unrated("a PMP status dated before 2025-07-01 (rule set by date, §1.3)")

    def _rate_cbp(self, base: _Base, rule: RuleSet) -> Charge:
        category = base.facts.category
        if category is Category.REFERRAL_CONVERSION or (
            base.facts.pricing_type is PricingType.FREE_ENTRY_POINT
        ):
            return base.free(PricingType.FREE_ENTRY_POINT)  # R-CBP0-3, R-CBP-9
        if category is Category.SERVICE and base.day >= SERVICE_FREE_UNLIMITED:
            return base.free(PricingType.FREE_CUSTOMER_SERVICE)  # R-CBP-8
        if _cbp_free_tier_eligible(category, base.day, rule):
            used_key = (base.waba.waba_id, base.month)
            if used_key not in self._cbp_free_used and self.seed is not None:
                self._cbp_free_used[used_key] = self.seed("cbp_free", used_key)
            if self._cbp_free_used[used_key] < self.cbp_free_tier_size:
                self._cbp_free_used[used_key] += 1
                return base.free(PricingType.FREE_TIER)  # R-CBP0-2, R-CBP-7, D-10
        entry = self._entry(base, category)
        if entry is None or entry.list_rate is None:
            return base.unrated("no rate in force")
        return base.rated(entry, entry.list_rate, None)

    def _rate_pmp(self, base: _Base, rule: RuleSet) -> Charge:
        if base.facts.pricing_type is not PricingType.REGULAR:
            return base.free(base.facts.pricing_type)  # R-RT-2
        category = base.facts.category
        if category is None:
            return base.unrated(f"unknown category {base.facts.raw_category!r} (D-19)")
        entry = self._pmp_entry(base, category, rule)
        if entry is None:
            return base.unrated("no rate in force")
        group = TIER_GROUP.get(category)
        if group is None or not entry.tiers:
            rate = entry.list_rate
            return base.rated(entry, rate, None) if rate is not None else base.unrated("no rate")
        position = self._count(base, group)
        report = self._tier_reports.get(self._tier_key(base, group))
        if report is not None and base.facts.ts >= report.from_ts:
            position = max(report.lower, 1)  # D-14: Meta's tier applies
        tier = entry.tier_at(position)
        if tier is None:
            return base.unrated(f"no tier holds message {position}")
        return base.rated(entry, tier.rate, tier.label)

    def _pmp_entry(self, base: _Base, category: Category, rule: RuleSet) -> RateEntry | None:
        entry = self._entry(base, category)
        if entry is not None:
            return entry
        fallback = _PMP_FALLBACK.get(category)
        if category is Category.SERVICE or category is Category.GROUP_SERVICE:
            if rule is not RuleSet.PMP26:
                return None
            fallback = Category.UTILITY  # D-12, D-21: service at the utility list rate
            service = self._entry(base, Category.SERVICE)
            if category is Category.GROUP_SERVICE and service is not None:
                return _flat(service)
        if fallback is None:
            return None
        found = self._entry(base, fallback)
        return _flat(found) if found is not None else None

    def _entry(self, base: _Base, category: Category | None) -> RateEntry | None:
        if category is None:
            return None
        return self.book.in_force(base.waba.currency, base.match.market, category, base.day)

    def _tier_key(self, base: _Base, group: str) -> tuple[str, str, str, str]:
        return (base.waba.portfolio_id or base.waba.waba_id, base.match.market, group, base.month)

    def _count(self, base: _Base, group: str) -> int:
        key = self._tier_key(base, group)
        if key not in self._tier_used and self.seed is not None:
            self._tier_used[key] = self.seed("tier", key)
        self._tier_used[key] += 1
        return self._tier_used[key]

    def report_tier(
        self, *, portfolio_id: str, market: str, group: str, month: str, report: TierReport
    ) -> None:
        """D-14, R-VT-7: among duplicates the smallest ``tier_update_time`` wins."""
        key = (portfolio_id, market, group, month)
        known = self._tier_reports.get(key)
        if known is None or known.lower != report.lower or report.from_ts < known.from_ts:
            self._tier_reports[key] = report

    def rate_tokens(
        self, *, key: str, waba: Waba, phone_number_id: str, recipient: str, ts: int, tokens: int
    ) -> Charge:
        """D-22: a ``meta_tokens`` usage record; never free; quantity = tokens."""
        day, month, _ = self.local_day(ts, waba.zone)
        facts = ChargeFacts(
            key,
            phone_number_id,
            recipient,
            ts,
            PricingModel.PMP,
            Category.META_TOKENS,
            PricingType.REGULAR,
            "meta_tokens",
        )
        base = _Base(facts, waba, day, month, self.markets.resolve(recipient, day))
        self._charged.setdefault(waba.waba_id, set()).add(key)
        entry = self.book.in_force(waba.currency, base.match.market, Category.META_TOKENS, day)
        if entry is not None and entry.list_rate is not None:
            return base.rated(entry, entry.list_rate, None, quantity=tokens)
        if waba.currency == "USD" and day >= TOKENS_START:
            return base.priced(TOKEN_RATE_USD, quantity=tokens)
        return base.unrated("no meta_tokens rate for this currency or date", quantity=tokens)


_PMP_FALLBACK: Final = {
    Category.MARKETING_LITE: Category.MARKETING,  # D-20
    Category.GROUP_MARKETING: Category.MARKETING,  # D-21
    Category.GROUP_UTILITY: Category.UTILITY,
}


def _flat(entry: RateEntry) -> RateEntry:
    """A fallback rate is the list rate, without tiers (D-12: service has no tiers)."""
    return RateEntry(entry.effective_from, entry.list_rate, (), entry.version)


def _cbp_free_tier_eligible(category: Category | None, day: date, rule: RuleSet) -> bool:
    """D-10: all but FEP before 2023-06-01; service only to 2024-10-31."""
    if rule is RuleSet.CBP0:
        return True
    return category is Category.SERVICE and _CBP_FREE_ALL <= day < SERVICE_FREE_UNLIMITED


@dataclass(slots=True)
class _Base:
    facts: ChargeFacts
    waba: Waba
    day: date
    month: str
    match: MarketMatch

    def _charge(
        self,
        status: ChargeStatus,
        pricing_type: PricingType,
        rate: Decimal | None,
        amount: Decimal | None,
        **extra: object,
    ) -> Charge:
        facts = self.facts
        return Charge(
            key=facts.key,
            waba_id=self.waba.waba_id,
            phone_number_id=facts.phone_number_id,
            ts=facts.ts,
            month=self.month,
            model=facts.model,
            country=self.match.country,
            market=self.match.market,
            category=facts.category or facts.raw_category,
            pricing_type=pricing_type,
            status=status,
            currency=self.waba.currency,
            unit_rate=rate,
            amount=amount,
            **extra,  # type: ignore[arg-type] # keyword extras
        )

    def free(self, pricing_type: PricingType) -> Charge:
        return self._charge(ChargeStatus.FREE, pricing_type, ZERO, ZERO)

    def unrated(self, reason: str, *, quantity: int = 1) -> Charge:
        return self._charge(
            ChargeStatus.UNRATED,
            self.facts.pricing_type,
            None,
            None,
            reason=reason,
            quantity=quantity,
        )

    def rated(
        self, entry: RateEntry, rate: Decimal, tier: str | None, *, quantity: int = 1
    ) -> Charge:
        amount = rate if quantity == 1 else rate * quantity
        return self._charge(
            ChargeStatus.RATED,
            PricingType.REGULAR,
            rate,
            amount,
            tier=tier,
            card_version=entry.version,
            quantity=quantity,
        )

    def priced(self, rate: Decimal, *, quantity: int) -> Charge:
        return self._charge(
            ChargeStatus.RATED, PricingType.REGULAR, rate, rate * quantity, quantity=quantity
        )


def rate_batch(rater: Rater, items: Iterable[tuple[ChargeFacts, Waba]]) -> list[Charge]:
    """Rate in charge-time order, ties by key (D-10, D-14): the result ignores arrival order."""
    groups: dict[str, tuple[Waba, list[ChargeFacts]]] = {}
    for facts, waba in items:
        group = groups.get(waba.waba_id)
        if group is None:
            group = groups[waba.waba_id] = (waba, [])
        group[1].append(facts)
    return rate_groups(rater, groups.values())


def rate_groups(rater: Rater, groups: Iterable[tuple[Waba, Sequence[ChargeFacts]]]) -> list[Charge]:
    """Rate the facts of several WABAs as one batch.

    Items that touch no counter (free PMP items, regular PMP items on flat keys) do not depend
    on order and are rated in one tight loop per WABA first (``Rater.rate_fast``); the rest
    are sorted by charge time, WABA and key, and rated one by one.
    """
    done: list[Charge] = []
    rest: list[tuple[ChargeFacts, Waba]] = []
    for waba, facts in groups:
        done.extend(rater.rate_fast(waba, facts, rest))
    if rest:
        rest.sort(key=lambda item: (item[0].ts, item[1].waba_id, item[0].key))
        done.extend(charge for facts, waba in rest if (charge := rater.rate(facts, waba)))
    return done


class _Day:
    """One local day of one (zone, currency): its month, whether the fast path may rate it,
    and the prices and markets already looked up on it, keyed by the recipient prefix."""

    __slots__ = ("day", "fast", "markets", "month", "prices")

    def __init__(self, day: date, month: str, rule: RuleSet) -> None:
        self.day = day
        self.month = month
        self.fast = rule is _PMP or rule is _PMP26
        self.prices: dict[tuple[str, Category | None], _Hit | None] = {}
        self.markets: dict[str, MarketMatch] = {}


_Hit = tuple[str, str, Decimal, str]  # country, market, flat rate, card version
_UNKNOWN: Final[_Hit] = ("", "", Decimal(-1), "")  # not looked up yet
_INDEX_LIMIT: Final = 500_000


class PriceIndex:
    """Per (zone, currency) and local day: (recipient prefix, category) -> flat price.

    The hot path's lookups, precomputed once per key and shared by every ``Rater`` of one rate
    book and market table (both immutable). The prefix is the first ``prefix_len`` digits of
    the recipient: at least the longest prefix of the market table and at least 4, so that it
    decides the market (R-MK-1; +1 NPA and +7 splits, D-6). ``None`` marks a key that the fast
    path must leave to ``Rater.rate`` (tiers, fallbacks, no rate in force, unknown category).
    """

    def __init__(self, book: RateBook, markets: MarketResolver) -> None:
        self.book = book
        self.markets = markets
        longest = [epoch.longest for epoch in markets.table.epochs]
        self.prefix_len = max([4, *longest])
        self._plans: dict[tuple[ZoneInfo, str], dict[int, _Day]] = {}
        self._dates: dict[tuple[ZoneInfo, str, date], _Day] = {}

    def plan(self, zone: ZoneInfo, currency: str) -> dict[int, _Day]:
        found = self._plans.get((zone, currency))
        if found is None:
            found = self._plans[zone, currency] = {}
        return found

    def day(self, plan: dict[int, _Day], zone: ZoneInfo, currency: str, ts: int) -> _Day:
        """The day of a Unix instant, cached per quarter hour (UTC offsets are multiples)."""
        local = from_unix(ts).astimezone(zone).date()
        found = self._dates.get((zone, currency, local))
        if found is None:
            found = _Day(local, f"{local.year:04d}-{local.month:02d}", rule_set_on(local))
            if len(self._dates) >= _INDEX_LIMIT:
                self._dates.clear()
            self._dates[zone, currency, local] = found
        if len(plan) >= _INDEX_LIMIT:
            plan.clear()
        plan[ts // _QUARTER_HOUR] = found
        return found

    def market(self, day: _Day, recipient: str, prefix: str) -> MarketMatch:
        found = day.markets.get(prefix)
        if found is None:
            found = day.markets[prefix] = self.markets.resolve(recipient, day.day)
        return found

    def price(
        self, day: _Day, currency: str, recipient: str, prefix: str, category: Category | None
    ) -> _Hit | None:
        match = self.market(day, recipient, prefix)
        hit: _Hit | None = None
        if category is not None:
            entry = self.book.in_force(currency, match.market, category, day.day)
            if entry is not None and entry.flat is not None:
                hit = (match.country, match.market, entry.flat, entry.version)
        day.prices[prefix, category] = hit
        return hit


_new_charge: Final = tuple.__new__


def _rate_fast(
    rater: Rater, waba: Waba, items: Iterable[ChargeFacts], rest: list[tuple[ChargeFacts, Waba]]
) -> list[Charge]:
    """The hot path (bench/whatsapp_ingest.py): PMP items that touch no counter."""
    index = rater.price_index
    zone, currency, waba_id = waba.zone, waba.currency, waba.waba_id
    plan = index.plan(zone, currency)
    width = index.prefix_len
    charged = rater._charged.get(waba_id)  # noqa: SLF001 - the rater's own state
    if charged is None:
        charged = rater._charged[waba_id] = set()  # noqa: SLF001
    done: list[Charge] = []
    append = done.append
    for facts in items:
        key, number, recipient, ts, model, category, kind, raw = facts
        if model is not _PMP_MODEL or key in charged or not recipient.isdigit():
            rest.append((facts, waba))  # CBP, repeated keys and odd numbers: Rater.rate
            continue
        day = plan.get(ts // _QUARTER_HOUR)
        if day is None:
            day = index.day(plan, zone, currency, ts)
        if not day.fast:
            rest.append((facts, waba))
            continue
        prefix = recipient[:width]
        if kind is _REGULAR:
            hit = day.prices.get((prefix, category), _UNKNOWN)
            if hit is _UNKNOWN:
                hit = index.price(day, currency, recipient, prefix, category)
            if hit is None:
                rest.append((facts, waba))
                continue
            country, market, rate, version = hit
            charged.add(key)
            append(
                _new_charge(
                    Charge,
                    (
                        key,
                        waba_id,
                        number,
                        ts,
                        day.month,
                        model,
                        country,
                        market,
                        category,
                        kind,
                        _RATED,
                        currency,
                        rate,
                        rate,
                        1,
                        None,
                        version,
                        "",
                    ),
                )
            )
        else:
            match = day.markets.get(prefix)
            if match is None:
                match = index.market(day, recipient, prefix)
            charged.add(key)
            append(
                _new_charge(
                    Charge,
                    (
                        key,
                        waba_id,
                        number,
                        ts,
                        day.month,
                        model,
                        match.country,
                        match.market,
                        category or raw,
                        kind,
                        _FREE,
                        currency,
                        ZERO,
                        ZERO,
                        1,
                        None,
                        None,
                        "",
                    ),
                )
            )
    return done


def rate_statuses(rater: Rater, statuses: Iterable[StatusEvent], waba: Waba) -> list[Charge]:
    """Fold every status per wamid (D-3), then rate the confirmed ones as a batch."""
    by_wamid: defaultdict[str, list[StatusEvent]] = defaultdict(list)
    for status in statuses:
        by_wamid[status.wamid].append(status)
    facts = [f for group in by_wamid.values() if (f := facts_from_statuses(group)) is not None]
    return rate_batch(rater, ((f, waba) for f in facts))


@dataclass(frozen=True, slots=True)
class AuthIntlProfile:
    """R-AI-4 WABA fields: primary location and the eligibility start time."""

    primary_country: str | None
    start_time: datetime | None
    exception_countries: frozenset[str] = frozenset()


def authentication_category(
    profile: AuthIntlProfile, *, recipient_country: str, at: datetime, market_has_rate: bool
) -> Category:
    """R-AI-1 for estimates (D-18): the webhook category wins on real charges."""
    require_utc(at)
    international = (
        market_has_rate
        and profile.start_time is not None
        and at >= profile.start_time
        and recipient_country != profile.primary_country  # R-AI-2: own country is domestic
        and recipient_country not in profile.exception_countries
    )
    return Category.AUTHENTICATION_INTERNATIONAL if international else Category.AUTHENTICATION


__all__ = [
    "AuthIntlProfile",
    "Charge",
    "ChargeFacts",
    "ChargeStatus",
    "PriceIndex",
    "Rater",
    "TierReport",
    "Waba",
    "authentication_category",
    "confirming_status",
    "facts_from_statuses",
    "rate_batch",
    "rate_groups",
    "rate_statuses",
]
