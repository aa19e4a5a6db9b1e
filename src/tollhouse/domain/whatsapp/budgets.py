"""Budgets, threshold alerts and the month-end forecast (R-BUD-1 .. R-BUD-3, D-31).

Spend is exact (confirmed charges only, D-31). Each threshold alerts once per period; the
forecast is the linear projection of month-to-date spend over the whole local month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from tollhouse.domain.errors import InvalidRequest
from tollhouse.domain.periods import Period, require_utc
from tollhouse.domain.whatsapp.errors import InvalidFeePlan

if TYPE_CHECKING:
    from datetime import datetime

HUNDRED: Final = Decimal(100)
DEFAULT_THRESHOLDS: Final = (50, 80, 100)


class Basis(StrEnum):
    META = "meta"
    BSP = "bsp"
    TOTAL = "total"


class AlertKind(StrEnum):
    THRESHOLD_REACHED = "threshold_reached"
    FORECAST_EXCEEDS = "forecast_exceeds"


class EstimateDecision(StrEnum):
    ALLOW = "allow"
    WARN = "warn"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    kind: AlertKind
    period_start: datetime
    threshold: int | None  # percent, for threshold alerts
    spent: Decimal
    forecast: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Budget:
    amount: Decimal  # in currency units (the API speaks integer minor units)
    currency: str
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    basis: Basis = Basis.TOTAL
    forecast: bool = False
    hard_limit: bool = False

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise InvalidFeePlan(f"budget amount {self.amount} must be more than 0")
        if any(t <= 0 for t in self.thresholds):
            raise InvalidFeePlan(f"thresholds {self.thresholds} must be positive percentages")

    def counts(self, *, meta: bool) -> bool:
        return self.basis is Basis.TOTAL or (self.basis is Basis.META) == meta


@dataclass(eq=False)
class BudgetTracker:
    """Spend and alerts of one budget in one period (a local month)."""

    budget: Budget
    period: Period
    spent: Decimal = Decimal(0)
    alerted: set[int] = field(default_factory=set)
    forecast_alerted: bool = False

    def record(self, amount: Decimal, *, meta: bool, at: datetime) -> list[BudgetAlert]:
        """A confirmed charge (or fee): add it, return the alerts it newly triggers."""
        require_utc(at)
        if at not in self.period:
            raise OutsidePeriod(at, self.period)
        if not self.budget.counts(meta=meta):
            return []
        self.spent += amount
        return [*self._thresholds(), *self._forecast(at)]

    def _thresholds(self) -> list[BudgetAlert]:
        alerts = []
        for threshold in sorted(self.budget.thresholds):
            if (
                threshold not in self.alerted
                and self.spent * HUNDRED >= self.budget.amount * threshold
            ):
                self.alerted.add(threshold)  # R-BUD-2: once per threshold per period
                alerts.append(
                    BudgetAlert(
                        AlertKind.THRESHOLD_REACHED, self.period.start, threshold, self.spent
                    )
                )
        return alerts

    def _forecast(self, at: datetime) -> list[BudgetAlert]:
        if not self.budget.forecast or self.forecast_alerted:
            return []
        projected = forecast_month_end(self.spent, self.period, at=at)
        if projected <= self.budget.amount:
            return []
        self.forecast_alerted = True
        return [
            BudgetAlert(AlertKind.FORECAST_EXCEEDS, self.period.start, None, self.spent, projected)
        ]

    def check_estimate(self, amount: Decimal) -> EstimateDecision:
        """R-BUD-3: block (hard limit) or warn when the estimate would pass the budget."""
        if self.spent + amount <= self.budget.amount:
            return EstimateDecision.ALLOW
        return EstimateDecision.BLOCK if self.budget.hard_limit else EstimateDecision.WARN


def forecast_month_end(spent: Decimal, period: Period, *, at: datetime) -> Decimal:
    """Linear projection: spent x (period length / elapsed), exact to the second."""
    require_utc(at)
    elapsed = int((min(at, period.end) - period.start).total_seconds())
    if elapsed <= 0:
        return spent
    length = int((period.end - period.start).total_seconds())
    return spent * length / elapsed


class OutsidePeriod(InvalidRequest):
    code = "whatsapp.budget.outside_period"

    def __init__(self, at: datetime, period: Period) -> None:
        super().__init__(
            f"spend at {at.isoformat()} is outside the budget period "
            f"{period.start.isoformat()} .. {period.end.isoformat()}; "
            "record it against the tracker of its own month"
        )
