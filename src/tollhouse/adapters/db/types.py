"""Column types that refuse to lose information: aware UTC instants and exact scaled decimals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator
from typing_extensions import override

from tollhouse.domain.errors import NaiveDatetime, PrecisionLoss


class UTCDateTime(TypeDecorator[datetime]):
    """Aware in, aware UTC out; stored as naive UTC (both engines agree on that)."""

    impl = DateTime
    cache_ok = True

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise NaiveDatetime(value)
        return value.astimezone(UTC).replace(tzinfo=None)

    @override
    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact Decimal stored as a BIGINT count of 10**-scale units; refuses extra digits."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scale = scale

    @override
    def __repr__(self) -> str:  # Alembic autogenerate renders column types with repr()
        return f"ScaledDecimal(scale={self.scale})"

    @override
    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        units = value.scaleb(self.scale)
        if units != units.to_integral_value():
            raise PrecisionLoss(value, self.scale)
        return int(units)

    @override
    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-self.scale)
