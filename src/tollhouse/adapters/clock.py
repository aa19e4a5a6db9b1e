"""Clocks: the system clock for production tenants, a manual clock for tests and test clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tollhouse.domain.errors import InvalidRequest
from tollhouse.domain.periods import require_utc


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(tz=UTC)


class ManualClock:
    """Satisfies the Clock protocol; backs tests and the product's test clocks."""

    def __init__(self, start: datetime) -> None:
        require_utc(start)
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        require_utc(instant)
        self._now = instant.astimezone(UTC)

    def advance(self, by: timedelta) -> None:
        if by < timedelta(0):
            raise InvalidRequest(f"a clock only moves forward; got {by}")
        self._now += by
