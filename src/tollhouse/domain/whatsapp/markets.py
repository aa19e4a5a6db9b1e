"""Markets from the recipient number (R-X-1, R-X-2, R-MK-*, D-6, §4.9).

The country of a number comes from the versioned prefix table with longest-prefix match
(R-MK-1). For the shared calling codes +1 and +7 the table alone cannot tell a Bahamas or a
Kazakh number from its neighbours, so the country comes from an injected ``RegionLookup``
(the adapter backs it with ``phonenumbers``) and the table is the fallback. The market is then
the market of the latest table row, on or before the local date, that lists the country;
a country that no row lists is in ``Other`` (R-MK-3), and a number that matches nothing is
country ``ZZ`` in ``Other``.
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from tollhouse.domain.whatsapp.errors import InvalidMarketTable

RegionLookup = Callable[[str], str | None]
"""E.164 digits without ``+`` -> ISO 3166 region code (``"BS"``), or None when unknown."""

OTHER: Final = "Other"
UNKNOWN_COUNTRY: Final = "ZZ"
SHARED_CALLING_CODES: Final = ("1", "7")  # D-6: only these defer to the region lookup
HEADER: Final = ["effective_from", "market", "countries"]
_TOKEN: Final = re.compile(r"^([A-Z]{2})=(\d{1,6}(?:/\d{1,6})*)$")
_CACHE_LIMIT: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class MarketRow:
    line: int
    effective_from: date
    market: str
    countries: tuple[tuple[str, tuple[str, ...]], ...]  # (ISO, prefixes)


@dataclass(frozen=True, slots=True)
class MarketMatch:
    country: str
    market: str


@dataclass(frozen=True, slots=True)
class _Epoch:
    market_of: dict[str, str]  # country -> market
    country_of_prefix: dict[str, str]  # prefix -> country
    longest: int


@dataclass(frozen=True, slots=True)
class MarketTable:
    """The country-to-market table with its effective dates, indexed per epoch."""

    rows: tuple[MarketRow, ...]
    starts: tuple[date, ...] = field(init=False)
    epochs: tuple[_Epoch, ...] = field(init=False)

    def __post_init__(self) -> None:
        starts = tuple(sorted({row.effective_from for row in self.rows}))
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "epochs", tuple(self._epoch(day) for day in starts))

    def _epoch(self, day: date) -> _Epoch:
        market_of: dict[str, str] = {}
        prefixes_of: dict[str, tuple[str, ...]] = {}
        for row in sorted(self.rows, key=lambda r: (r.effective_from, r.line)):
            if row.effective_from <= day:
                for country, prefixes in row.countries:
                    market_of[country] = row.market
                    prefixes_of[country] = prefixes
        by_prefix = {p: c for c, ps in prefixes_of.items() for p in ps}
        return _Epoch(market_of, by_prefix, max((len(p) for p in by_prefix), default=0))

    @property
    def markets(self) -> frozenset[str]:
        return frozenset(row.market for row in self.rows) | {OTHER}

    def epoch_index(self, on: date) -> int:
        """-1 before the first row: nothing is listed yet, every country is Other."""
        return bisect_right(self.starts, on) - 1

    def epoch(self, index: int) -> _Epoch:
        return self.epochs[index] if index >= 0 else _Epoch({}, {}, 0)

    def market_of(self, country: str, on: date) -> str:
        return self.epoch(self.epoch_index(on)).market_of.get(country, OTHER)

    def country_by_prefix(self, digits: str, on: date) -> str | None:
        return _longest_prefix(self.epoch(self.epoch_index(on)), digits)


def _longest_prefix(epoch: _Epoch, digits: str) -> str | None:
    for length in range(min(epoch.longest, len(digits)), 0, -1):
        country = epoch.country_of_prefix.get(digits[:length])
        if country is not None:
            return country
    return None


def _prefix_key(digits: str, longest: int) -> str:
    if digits.startswith("1"):
        return "#" + digits[:4]
    if digits.startswith("7"):
        return "#" + digits[:2]
    return "#" + digits[:longest]


def recipient_digits(recipient: str) -> str:
    """``+1 (809) 555-0101`` -> ``18095550101``."""
    if recipient.isdigit():
        return recipient
    return "".join(ch for ch in recipient if ch.isdigit())


class MarketResolver:
    """Recipient -> (country, market) on a local date, cached per number and table epoch."""

    def __init__(self, table: MarketTable, *, region_of: RegionLookup | None = None) -> None:
        self.table = table
        self.region_of = region_of
        self._cache: dict[int, dict[str, MarketMatch]] = {}
        self._epoch_of_day: dict[date, int] = {}

    def resolve(self, recipient: str, on: date) -> MarketMatch:
        index = self._epoch_of_day.get(on)
        if index is None:
            index = self._epoch_of_day[on] = self.table.epoch_index(on)
        cache = self._cache.get(index)
        if cache is None:
            cache = self._cache[index] = {}
        found = cache.get(recipient)
        if found is None:
            digits = recipient_digits(recipient)
            epoch = self.table.epoch(index)
            # The market depends on a prefix only: the longest table prefix, or for the shared
            # codes the NANP area code (+1 NPA) and the +7 7x/6x split (D-6). Keys are plain
            # strings so that the cache adds nothing for the garbage collector to walk.
            short = _prefix_key(digits, epoch.longest)
            found = cache.get(short)
            if found is None:
                found = cache[short] = self._resolve(digits, epoch)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[recipient] = found
        return found

    def _resolve(self, digits: str, epoch: _Epoch) -> MarketMatch:
        country = self.country_of(digits, epoch)
        return MarketMatch(country, epoch.market_of.get(country, OTHER))

    def country_of(self, digits: str, epoch: _Epoch) -> str:
        listed = _longest_prefix(epoch, digits)
        if listed is not None and not digits.startswith(SHARED_CALLING_CODES):
            return listed  # D-6: shared codes other than +1 and +7 follow their listed country
        looked_up = self.region_of(digits) if self.region_of is not None else None
        return looked_up or listed or UNKNOWN_COUNTRY


def parse_market_table(text: str) -> MarketTable:
    """Parse the §4.9 CSV; every problem names its line."""
    rows: list[MarketRow] = []
    seen: dict[tuple[date, str], int] = {}
    header_seen = False
    for line, fields in csv_records(text):
        if not header_seen:
            if fields != HEADER:
                raise InvalidMarketTable(line, f"header must be {','.join(HEADER)}, got {fields}")
            header_seen = True
            continue
        row = _market_row(line, fields)
        for country, _ in row.countries:
            if (row.effective_from, country) in seen:
                first = seen[row.effective_from, country]
                raise InvalidMarketTable(line, f"{country} is already listed on line {first}")
            seen[row.effective_from, country] = line
        rows.append(row)
    if not header_seen:
        raise InvalidMarketTable(1, "the table has no header")
    return MarketTable(tuple(rows))


def csv_records(text: str) -> Iterable[tuple[int, list[str]]]:
    for number, raw in enumerate(io.StringIO(text), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        yield number, next(csv.reader([stripped]))


def _market_row(line: int, fields: list[str]) -> MarketRow:
    if len(fields) != len(HEADER):
        raise InvalidMarketTable(line, f"expected {len(HEADER)} fields, got {len(fields)}")
    day = parse_day(fields[0], lambda problem: InvalidMarketTable(line, problem))
    market = fields[1].strip()
    if not market:
        raise InvalidMarketTable(line, "the market name is empty")
    countries: list[tuple[str, tuple[str, ...]]] = []
    for token in fields[2].split():
        matched = _TOKEN.match(token)
        if matched is None:
            raise InvalidMarketTable(line, f"token {token!r} is not ISO=prefix[/prefix...]")
        countries.append((matched[1], tuple(matched[2].split("/"))))
    if not countries:
        raise InvalidMarketTable(line, "the row lists no country")
    return MarketRow(line, day, market, tuple(countries))


def parse_day(raw: str, error: Callable[[str], Exception]) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise error(f"effective_from {raw!r} is not a YYYY-MM-DD date")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise error(f"effective_from {raw!r} is not a calendar date") from exc
