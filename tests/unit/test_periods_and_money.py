"""Money refuses floats and mixed currencies; calendars take an explicit zone (STYLE 2.4–2.10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollhouse.domain.errors import CurrencyMismatch, NaiveDatetime, NotDecimal, PrecisionLoss
from tollhouse.domain.money import Money, quantize
from tollhouse.domain.periods import (
    SHANGHAI,
    add_months,
    end_of_local_day,
    natural_day,
    natural_month,
    next_local_time,
)


def test_money_refuses_floats_ints_and_mixed_currencies() -> None:
    with pytest.raises(NotDecimal):
        Money(0.1, "CNY")  # type: ignore[arg-type]
    with pytest.raises(NotDecimal):
        Money(1, "CNY")  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatch):
        Money(Decimal(1), "CNY") + Money(Decimal(1), "USD")
    with pytest.raises(PrecisionLoss):
        Money(Decimal("0.001"), "CNY").to_minor()


def test_quantize_names_its_mode() -> None:
    half = Money(Decimal("0.025"), "CNY")
    assert quantize(half, rounding=ROUND_HALF_UP).amount == Decimal("0.03")
    assert quantize(half, rounding=ROUND_HALF_EVEN).amount == Decimal("0.02")


@pytest.mark.parametrize(
    ("instant", "month_start"),
    [
        pytest.param(datetime(2026, 4, 30, 15, 59, 59, tzinfo=UTC), "2026-04-01T00:00:00+08:00",
                     id="before-Beijing-midnight"),
        pytest.param(datetime(2026, 4, 30, 16, 0, 0, tzinfo=UTC), "2026-05-01T00:00:00+08:00",
                     id="at-Beijing-midnight"),
    ],
)
def test_natural_month_is_computed_in_the_named_zone(instant: datetime, month_start: str) -> None:
    assert natural_month(instant, SHANGHAI).start == datetime.fromisoformat(month_start)


def test_end_of_local_day_keeps_midnight_and_moves_other_instants() -> None:
    midnight = datetime.fromisoformat("2024-06-02T00:00:00+08:00")
    assert end_of_local_day(midnight, SHANGHAI) == midnight
    noon = datetime.fromisoformat("2024-06-01T12:00:00+08:00")
    assert end_of_local_day(noon, SHANGHAI) == midnight


def test_next_local_time_is_strictly_after() -> None:
    at = datetime.fromisoformat("2024-05-06T02:00:00+08:00")
    assert next_local_time(at, datetime.min.time().replace(hour=2), SHANGHAI) == (
        at + timedelta(days=1))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(NaiveDatetime):
        natural_day(datetime(2024, 1, 1), SHANGHAI)  # noqa: DTZ001 - the point of the test


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1),  # noqa: DTZ001
                    timezones=st.timezones()))
def test_a_natural_month_contains_its_instant_and_touches_the_next(instant: datetime) -> None:
    month = natural_month(instant, SHANGHAI)
    assert instant in month
    assert natural_month(month.end, SHANGHAI).start == month.end


@given(st.dates(), st.integers(min_value=-240, max_value=240))
def test_add_months_clamps_the_day(day: object, months: int) -> None:
    from datetime import date  # noqa: PLC0415

    assert isinstance(day, date)
    try:
        result = add_months(day, months)
    except (ValueError, OverflowError):
        return
    assert result.day <= day.day
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
