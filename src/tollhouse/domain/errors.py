"""The one error tree of Tollhouse.

Every error carries a stable dotted ``code`` that clients and tests match on, and a message built
from the values it was given (what was wrong, which value, what to do). Only ``api/errors.py``
knows HTTP statuses and platform errcodes; the CLI maps the same classes to exit codes.

    TollhouseError
    ├── InvalidRequest        input that can never succeed as sent (422)
    │   └── PlatformRuleViolation   a platform rule with its platform errcode (licences, …)
    ├── NotFound              an id that names nothing visible to the caller (404)
    ├── Refused               a valid request that the current state forbids (409)
    ├── Conflict              a concurrent change won; re-read and retry (409)
    ├── Unauthorized          missing or wrong credentials (401)
    └── MoneyError            programming errors around money: floats, mixed currencies
        ├── NotDecimal
        ├── CurrencyMismatch
        └── PrecisionLoss

Capability modules subclass these; a platform-shaped endpoint reads ``errcode`` from the error
(``PlatformRuleViolation``) or from the table in ``api/errors.py``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TollhouseError(Exception):
    """Base of every error Tollhouse raises on purpose."""

    code: ClassVar[str] = "tollhouse.error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})


class InvalidRequest(TollhouseError):
    code = "request.invalid"


class NotFound(TollhouseError):
    code = "not_found"


class Refused(TollhouseError):
    code = "refused"


class Conflict(TollhouseError):
    code = "conflict"


class Unauthorized(TollhouseError):
    code = "unauthorized"


class PlatformRuleViolation(TollhouseError):
    """A platform rule with its own numeric errcode (WeCom 7019xx, WeChat 45028, …).

    ``kind`` says which family it belongs to for our own API's HTTP status: ``invalid`` (422),
    ``conflict`` (409), ``not_found`` (404), ``unauthorized`` (401).
    """

    code = "platform.rule"

    def __init__(
        self,
        errcode: int,
        message: str,
        *,
        rule: str | None = None,
        kind: str = "invalid",
        namespace: str = "platform",
        details: dict[str, Any] | None = None,
    ) -> None:
        extra = {"errcode": errcode, **({"rule": rule} if rule else {}), **(details or {})}
        super().__init__(message, details=extra)
        self.errcode = errcode
        self.rule = rule
        self.kind = kind
        self.namespace = namespace

    @property
    def dotted_code(self) -> str:
        return f"{self.namespace}.{self.errcode}"


class MoneyError(TollhouseError):
    code = "money.error"


class NotDecimal(MoneyError):
    code = "money.not_decimal"

    def __init__(self, value: object) -> None:
        super().__init__(
            f"amount {value!r} is a {type(value).__name__}, not a Decimal; "
            "parse it with Decimal(str) at the edge"
        )


class CurrencyMismatch(MoneyError):
    code = "money.currency_mismatch"

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right}; convert one side first")


class PrecisionLoss(MoneyError):
    code = "money.precision_loss"

    def __init__(self, value: object, scale: int) -> None:
        super().__init__(
            f"value {value} has more than {scale} decimal places; round it at a named point first"
        )


class InvalidPeriod(InvalidRequest):
    code = "period.invalid"

    def __init__(self, start: object, end: object) -> None:
        super().__init__(f"period start {start} is not before its end {end}")


class NaiveDatetime(InvalidRequest):
    code = "time.naive"

    def __init__(self, value: object) -> None:
        super().__init__(f"datetime {value} has no time zone; pass an aware UTC instant")
