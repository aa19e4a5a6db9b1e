"""Instants, half-open periods and calendar arithmetic in an explicit zone.

Only this module does calendar arithmetic. Every instant is aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from tollhouse.domain.errors import InvalidPeriod, NaiveDatetime

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")  # WeCom and WeChat "natural" days and months
DAY: Final = timedelta(days=1)
DAY_SECONDS: Final = 86_400


def require_utc(*instants: datetime) -> None:
    for instant in instants:
        if instant.utcoffset() is None:
            raise NaiveDatetime(instant)


def utc(instant: datetime) -> datetime:
    """The same instant, expressed in UTC; refuses naive datetimes."""
    require_utc(instant)
    return instant.astimezone(UTC)


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def to_unix(instant: datetime) -> int:
    require_utc(instant)
    return int(instant.timestamp())


@dataclass(frozen=True, slots=True)
class Period:
    """Half-open [start, end) between two aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_utc(self.start, self.end)
        if not self.start < self.end:
            raise InvalidPeriod(self.start, self.end)

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of `day` in `zone`, as a UTC instant."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    require_utc(instant)
    return instant.astimezone(zone).date()


def natural_day(instant: datetime, zone: ZoneInfo) -> Period:
    day = local_date(instant, zone)
    return Period(local_midnight(day, zone), local_midnight(day + DAY, zone))


def natural_month(instant: datetime, zone: ZoneInfo) -> Period:
    """The calendar month in `zone` that contains `instant`, as a UTC period."""
    first = local_date(instant, zone).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(local_midnight(first, zone), local_midnight(following, zone))


def month_label(instant: datetime, zone: ZoneInfo) -> str:
    """'YYYY-MM' of the natural month in `zone`."""
    return local_date(instant, zone).strftime("%Y-%m")


def add_months(day: date, months: int) -> date:
    """Calendar month arithmetic, clamping the day to the target month's length."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)  # noqa: PLR2004 - December
    last = (following - DAY).day
    return date(year, month, min(day.day, last))


def next_local_time(instant: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first instant strictly after `instant` whose local wall time in `zone` is `at`."""
    day = local_date(instant, zone)
    candidate = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    while candidate <= instant:
        day += DAY
        candidate = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    return candidate


def end_of_local_day(instant: datetime, zone: ZoneInfo) -> datetime:
    """24:00 of the local day: an instant at local 00:00:00 is kept, any other moves forward."""
    local = instant.astimezone(zone)
    if local.timetz().replace(tzinfo=None) == time():
        return utc(instant)
    return local_midnight(local.date() + DAY, zone)
