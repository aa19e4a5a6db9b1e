"""Rate cards as effective-dated data (R-RC-1 .. R-RC-5, §4.8, D-1, D-15, D-16).

A card is parsed and validated once (every problem names its CSV line), then merged into a
``RateBook`` whose index answers "which schedule is in force for (currency, market, category)
on this local date" with one dict lookup after the first time.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from tollhouse.domain.whatsapp.errors import InvalidRateCard
from tollhouse.domain.whatsapp.markets import csv_records, parse_day
from tollhouse.domain.whatsapp.vocabulary import CARD_CATEGORIES, PMP_START

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date

HEADER: Final = ["effective_from", "currency", "market", "category", "rate", "tier_from", "tier_to"]
MAX_RATE_PLACES: Final = 6
_CURRENCY: Final = re.compile(r"^[A-Z]{3}$")
_PLAIN_DECIMAL: Final = re.compile(r"^(\d+)(?:\.(\d+))?$")
_CACHE_LIMIT: Final = 1_000_000

RateKey = tuple[str, str, str]  # (currency, market, category)


@dataclass(frozen=True, slots=True)
class RateRow:
    line: int
    effective_from: date
    currency: str
    market: str
    category: str
    rate: Decimal | None  # None withdraws the key (R-RC-2)
    tier_from: int | None
    tier_to: int | None

    @property
    def key(self) -> RateKey:
        return (self.currency, self.market, self.category)


@dataclass(frozen=True, slots=True)
class RateTier:
    first: int
    last: int | None
    rate: Decimal

    @property
    def label(self) -> str:
        """Card tier label ``"<tier_from>:<tier_to>"``, open end ``MAX`` (§8)."""
        return f"{self.first}:{'MAX' if self.last is None else self.last}"

    @property
    def meta_label(self) -> str:
        """Meta's analytics label: the first tier's lower bound is 0 (R-AN-2)."""
        lower = 0 if self.first == 1 else self.first
        return f"{lower}:{'MAX' if self.last is None else self.last}"


@dataclass(frozen=True, slots=True)
class RateEntry:
    """What is in force for a key from ``effective_from``: a flat rate or a tier schedule."""

    effective_from: date
    flat: Decimal | None
    tiers: tuple[RateTier, ...]
    version: str

    @property
    def withdrawn(self) -> bool:
        return self.flat is None and not self.tiers

    @property
    def list_rate(self) -> Decimal | None:
        """The first tier's rate, or the only rate."""
        return self.tiers[0].rate if self.tiers else self.flat

    def tier_at(self, position: int) -> RateTier | None:
        for tier in self.tiers:
            if tier.first <= position and (tier.last is None or position <= tier.last):
                return tier
        return None


@dataclass(frozen=True, slots=True)
class RateCard:
    rows: tuple[RateRow, ...]
    version: str  # content digest: the same content is the same version (R-RC-5)

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(row.currency for row in self.rows)

    @property
    def effective_dates(self) -> tuple[date, ...]:
        return tuple(sorted({row.effective_from for row in self.rows}))


def parse_rate_card(text: str, *, markets: Iterable[str]) -> RateCard:
    """Parse and validate a §4.8 card; raises ``InvalidRateCard`` naming the line."""
    known = frozenset(markets)
    rows: list[RateRow] = []
    header_seen = False
    for line, fields in csv_records(text):
        if not header_seen:
            if fields != HEADER:
                raise InvalidRateCard(line, f"header must be {','.join(HEADER)}, got {fields}")
            header_seen = True
            continue
        rows.append(_rate_row(line, fields, known))
    if not header_seen:
        raise InvalidRateCard(1, "the card has no header")
    version = hashlib.sha256(text.encode()).hexdigest()[:16]
    card = RateCard(tuple(rows), version)
    build_entries(card.rows, version=version)  # validates schedules and overlaps
    return card


def _rate_row(line: int, fields: list[str], markets: frozenset[str]) -> RateRow:
    if len(fields) != len(HEADER):
        raise InvalidRateCard(line, f"expected {len(HEADER)} fields, got {len(fields)}")
    raw_day, currency, market, category, raw_rate, raw_from, raw_to = fields
    day = parse_day(raw_day, lambda problem: InvalidRateCard(line, problem))
    if not _CURRENCY.match(currency):
        raise InvalidRateCard(line, f"currency {currency!r} is not an ISO 4217 code")
    if market not in markets:
        raise InvalidRateCard(line, f"market {market!r} is not in the market table")
    if category not in CARD_CATEGORIES:
        raise InvalidRateCard(
            line, f"category {category!r} is not one of {sorted(CARD_CATEGORIES)}"
        )
    rate = parse_rate(raw_rate, line)
    tier_from, tier_to = _bound(raw_from, line, "tier_from"), _bound(raw_to, line, "tier_to")
    if tier_to is not None and (tier_from is None or tier_to < tier_from):
        raise InvalidRateCard(line, f"tier_to {tier_to} needs a tier_from at or below it")
    if rate is None and tier_from is not None:
        raise InvalidRateCard(
            line, "an empty rate withdraws the whole key and takes no tier bounds"
        )
    return RateRow(line, day, currency, market, category, rate, tier_from, tier_to)


def parse_rate(raw: str, line: int) -> Decimal | None:
    """Exact decimal with at most 6 places (D-1); never through float; empty is None."""
    text = raw.strip()
    if not text:
        return None
    if text.startswith("-"):
        raise InvalidRateCard(line, f"rate {text} is negative; rates are 0 or more")
    matched = _PLAIN_DECIMAL.match(text)
    if matched is None:
        raise InvalidRateCard(line, f"rate {text!r} is not a plain decimal such as 0.0625")
    if matched[2] is not None and len(matched[2]) > MAX_RATE_PLACES:
        raise InvalidRateCard(line, f"rate {text} has more than {MAX_RATE_PLACES} decimal places")
    return Decimal(text)


def _bound(raw: str, line: int, name: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InvalidRateCard(line, f"{name} {text!r} must be a whole number of 1 or more")
    return int(text)


def build_entries(rows: Sequence[RateRow], *, version: str) -> dict[RateKey, list[RateEntry]]:
    """Group rows per key and date into entries; checks flat/tiered and tier gaps (R-RC-3)."""
    groups: dict[tuple[RateKey, date], list[RateRow]] = defaultdict(list)
    for row in rows:
        groups[row.key, row.effective_from].append(row)
    entries: dict[RateKey, list[RateEntry]] = defaultdict(list)
    for (key, day), group in groups.items():
        entries[key].append(_entry(day, group, version))
    for listed in entries.values():
        listed.sort(key=lambda e: e.effective_from)
    return entries


def _entry(day: date, group: list[RateRow], version: str) -> RateEntry:
    first = group[0]
    if first.tier_from is None or first.rate is None:
        if len(group) > 1:
            raise InvalidRateCard(
                group[1].line,
                f"{_name(first)} already has a row on line "
                f"{first.line} for {day}; a flat key has one row per date",
            )
        return RateEntry(day, first.rate, (), version)
    return RateEntry(day, None, _schedule(group), version)


def _schedule(group: list[RateRow]) -> tuple[RateTier, ...]:
    tiers: list[RateTier] = []
    expected: int | None = 1  # None once an open-ended tier has been seen
    for row in sorted(group, key=lambda r: (r.tier_from or 0, r.line)):
        if row.tier_from is None or row.rate is None:
            raise InvalidRateCard(row.line, f"{_name(row)} mixes flat and tiered rows on one date")
        if expected is None or row.tier_from < expected:
            raise InvalidRateCard(
                row.line, f"{_name(row)} tier {row.tier_from} overlaps the tier before"
            )
        if row.tier_from > expected:
            raise InvalidRateCard(
                row.line,
                f"{_name(row)} tier {row.tier_from} leaves a gap; "
                f"expected it to start at {expected}",
            )
        tiers.append(RateTier(row.tier_from, row.tier_to, row.rate))
        expected = None if row.tier_to is None else row.tier_to + 1
    if expected is not None:
        last_line = max(group, key=lambda r: r.tier_from or 0).line
        raise InvalidRateCard(
            last_line, f"{_name(group[0])} schedule must end with an empty tier_to"
        )
    return tuple(tiers)


def _name(row: RateRow) -> str:
    return f"{row.currency} {row.market} {row.category}"


@dataclass(eq=False)
class RateBook:
    """Every imported card, indexed per key; lookups by local date are cached."""

    cards: tuple[RateCard, ...]
    _entries: dict[RateKey, list[RateEntry]] = field(init=False, repr=False)
    _starts: dict[RateKey, list[date]] = field(init=False, repr=False)
    _cache: dict[tuple[str, str, str, date], RateEntry | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._entries = _merge(self.cards)
        self._starts = {k: [e.effective_from for e in v] for k, v in self._entries.items()}
        self._cache = {}

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(card.version for card in self.cards)

    def in_force(self, currency: str, market: str, category: str, on: date) -> RateEntry | None:
        """R-RC-2 and R-RC-4: the latest entry on or before ``on`` that may rate it, or None."""
        key = (currency, market, category, on)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = self._find((currency, market, category), on)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = found
        return found

    def _find(self, key: RateKey, on: date) -> RateEntry | None:
        starts = self._starts.get(key)
        if not starts:
            return None
        index = bisect_right(starts, on) - 1
        if index < 0:
            return None
        entry = self._entries[key][index]
        if entry.withdrawn or (entry.effective_from < PMP_START <= on):
            return None  # withdrawn (R-RC-2) or a CBP row after the switch (R-RC-4, D-16)
        return entry

    def rows_in_force(self, currency: str, on: date) -> list[tuple[RateKey, RateEntry]]:
        keys = [key for key in self._entries if key[0] == currency]
        return [(key, entry) for key in keys if (entry := self.in_force(*key, on)) is not None]


def _merge(cards: Iterable[RateCard]) -> dict[RateKey, list[RateEntry]]:
    merged: dict[RateKey, dict[date, RateEntry]] = defaultdict(dict)
    for card in cards:
        for key, entries in build_entries(card.rows, version=card.version).items():
            for entry in entries:
                known = merged[key].get(entry.effective_from)
                if known is not None and (known.flat, known.tiers) != (entry.flat, entry.tiers):
                    line = _line_of(card, key, entry.effective_from)
                    raise InvalidRateCard(
                        line,
                        f"{' '.join(key)} on {entry.effective_from} "
                        "overlaps a different row of another card",
                    )
                merged[key].setdefault(entry.effective_from, entry)
    return {k: [v[d] for d in sorted(v)] for k, v in merged.items()}


def _line_of(card: RateCard, key: RateKey, day: date) -> int:
    return next(r.line for r in card.rows if r.key == key and r.effective_from == day)
