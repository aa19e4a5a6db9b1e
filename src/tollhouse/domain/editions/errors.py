"""Errors of the app-editions capability (spec app-editions §4.3).

Every class has a stable dotted ``code`` (``wecom.editions.<name>``), the project's own numeric
``errcode`` and the rule it enforces; both also travel in ``details`` for the API layer.

    InvalidRequest (422)                      Refused (409)
    └── EditionInvalid                        └── EditionRefused
        ├── StrategyInvalid      880003           ├── AppNotLive              880001
        ├── TrialDaysInvalid     880023           ├── OrderTypeNotAllowed     880002
        ├── HeadcountBelowMin    880010           ├── NotInTrialState         880021
        ├── HeadcountAboveMax    880011           ├── ExtraTrialUnavailable   880022
        ├── HeadcountOutsideTiers 880012          ├── InvalidStatusTransition 880030
        ├── HeadcountNotIncreased 880013          ├── RefundWindowClosed      880031
        ├── DurationOutOfRange   880014           ├── OrderInvoiced           880032
        ├── TiersInvalid         880015           ├── NotLastOrder            880033
        ├── DiscountBelowFloor   880016           ├── RefundAlreadyRequested  880034
        ├── BonusAboveCap        880017           ├── InvoiceExists           880035
        ├── CycleMismatch        880018           └── VendorPricedTerm        880042
        ├── HeadcountInvalid     880019
        ├── TrialTotalExceeds60  880020       Conflict (409): PlanChanged 880043, EditionsExists
        ├── TotalPriceOutOfRange 880040       NotFound (404): EditionsNotFound
        └── UnsupportedPayType   880041       Unauthorized (401): SignatureInvalid 880050,
                                                  NonceReused 880051, TimestampSkew 880052
"""

from __future__ import annotations

from typing import Any, ClassVar

from tollhouse.domain.errors import Conflict, InvalidRequest, NotFound, Refused, Unauthorized


def _details(rule: str, errcode: int, extra: dict[str, Any] | None) -> dict[str, Any]:
    return {"rule": rule, "errcode": errcode, **(extra or {})}


class EditionInvalid(InvalidRequest):
    """Input that can never succeed as sent (HTTP 422)."""

    code: ClassVar[str] = "wecom.editions.invalid"
    errcode: ClassVar[int] = 0
    rule: ClassVar[str] = ""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=_details(self.rule, self.errcode, details))


class EditionRefused(Refused):
    """A valid request that the current state of the app or order forbids (HTTP 409)."""

    code: ClassVar[str] = "wecom.editions.refused"
    errcode: ClassVar[int] = 0
    rule: ClassVar[str] = ""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=_details(self.rule, self.errcode, details))


class StrategyInvalid(EditionInvalid):
    code = "wecom.editions.strategy_invalid"
    errcode = 880003
    rule = "AE3"


class TrialDaysInvalid(EditionInvalid):
    code = "wecom.editions.trial_days_invalid"
    errcode = 880023
    rule = "AE4"


class HeadcountBelowMin(EditionInvalid):
    code = "wecom.editions.headcount_below_min"
    errcode = 880010
    rule = "AE18"


class HeadcountAboveMax(EditionInvalid):
    code = "wecom.editions.headcount_above_max"
    errcode = 880011
    rule = "AE18"


class HeadcountOutsideTiers(EditionInvalid):
    code = "wecom.editions.headcount_outside_tiers"
    errcode = 880012
    rule = "AE13"


class HeadcountNotIncreased(EditionInvalid):
    code = "wecom.editions.headcount_not_increased"
    errcode = 880013
    rule = "AE25"


class DurationOutOfRange(EditionInvalid):
    code = "wecom.editions.duration_out_of_range"
    errcode = 880014
    rule = "AE9"


class TiersInvalid(EditionInvalid):
    code = "wecom.editions.tiers_invalid"
    errcode = 880015
    rule = "AE12"


class DiscountBelowFloor(EditionInvalid):
    code = "wecom.editions.discount_below_floor"
    errcode = 880016
    rule = "AE15"


class BonusAboveCap(EditionInvalid):
    code = "wecom.editions.bonus_above_cap"
    errcode = 880017
    rule = "AE16"


class CycleMismatch(EditionInvalid):
    code = "wecom.editions.cycle_mismatch"
    errcode = 880018
    rule = "AE27"


class HeadcountInvalid(EditionInvalid):
    code = "wecom.editions.headcount_invalid"
    errcode = 880019
    rule = "AE11"


class TrialTotalExceeds60(EditionInvalid):
    code = "wecom.editions.trial_total_exceeds_60"
    errcode = 880020
    rule = "AE7"


class AppNotLive(EditionRefused):
    code = "wecom.editions.app_not_live"
    errcode = 880001
    rule = "AE2"


class OrderTypeNotAllowed(EditionRefused):
    code = "wecom.editions.order_type_not_allowed"
    errcode = 880002
    rule = "AE22"


class NotInTrialState(EditionRefused):
    code = "wecom.editions.not_in_trial_state"
    errcode = 880021
    rule = "AE7"


class ExtraTrialUnavailable(EditionRefused):
    code = "wecom.editions.extra_trial_unavailable"
    errcode = 880022
    rule = "AE6"


class InvalidStatusTransition(EditionRefused):
    code = "wecom.editions.invalid_status_transition"
    errcode = 880030
    rule = "AE32"


class RefundWindowClosed(EditionRefused):
    code = "wecom.editions.refund_window_closed"
    errcode = 880031
    rule = "AE35"


class OrderInvoiced(EditionRefused):
    code = "wecom.editions.order_invoiced"
    errcode = 880032
    rule = "AE35"


class NotLastOrder(EditionRefused):
    code = "wecom.editions.not_last_order"
    errcode = 880033
    rule = "AE35"


class RefundAlreadyRequested(EditionRefused):
    code = "wecom.editions.refund_already_requested"
    errcode = 880034
    rule = "AE36"


class InvoiceExists(EditionRefused):
    code = "wecom.editions.invoice_exists"
    errcode = 880035
    rule = "AE34"


class VendorPricedTerm(EditionRefused):
    code = "wecom.editions.vendor_priced_term"
    errcode = 880042
    rule = "D26"


class TotalPriceOutOfRange(EditionInvalid):
    code = "wecom.editions.total_price_out_of_range"
    errcode = 880040
    rule = "D26"


class UnsupportedPayType(EditionInvalid):
    code = "wecom.editions.unsupported_pay_type"
    errcode = 880041
    rule = "D26"


class PlanChanged(Conflict):
    """The subscription changed since the quote (another plan change won): re-quote (409)."""

    code = "wecom.editions.plan_changed"
    errcode: ClassVar[int] = 880043
    rule: ClassVar[str] = "D19"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=_details(self.rule, self.errcode, details))


class SigningFailed(Unauthorized):
    """`paytool/*` signing checks (§4.1, doc 98768) (401)."""

    code = "wecom.editions.signature_invalid"
    errcode: ClassVar[int] = 880050
    rule: ClassVar[str] = "§4.1"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=_details(self.rule, self.errcode, details))


class SignatureInvalid(SigningFailed):
    code = "wecom.editions.signature_invalid"
    errcode = 880050


class NonceReused(SigningFailed):
    code = "wecom.editions.nonce_reused"
    errcode = 880051


class TimestampSkew(SigningFailed):
    code = "wecom.editions.timestamp_skew"
    errcode = 880052


class EditionsNotFound(NotFound):
    """An app, order, vendor or suite id that names nothing visible to the caller (404)."""

    code = "wecom.editions.not_found"
    errcode: ClassVar[int] = 40013

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details={"errcode": self.errcode, **(details or {})})


class EditionsExists(Conflict):
    code = "wecom.editions.exists"
    errcode: ClassVar[int] = 880044

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details={"errcode": self.errcode, **(details or {})})


ERRORS_BY_NAME: dict[str, type[EditionInvalid | EditionRefused]] = {
    cls.code.removeprefix("wecom.editions."): cls
    for cls in (
        StrategyInvalid,
        TrialDaysInvalid,
        HeadcountBelowMin,
        HeadcountAboveMax,
        HeadcountOutsideTiers,
        HeadcountNotIncreased,
        DurationOutOfRange,
        TiersInvalid,
        DiscountBelowFloor,
        BonusAboveCap,
        CycleMismatch,
        HeadcountInvalid,
        TrialTotalExceeds60,
        AppNotLive,
        OrderTypeNotAllowed,
        NotInTrialState,
        ExtraTrialUnavailable,
        InvalidStatusTransition,
        RefundWindowClosed,
        OrderInvoiced,
        NotLastOrder,
        RefundAlreadyRequested,
        InvoiceExists,
        VendorPricedTerm,
        TotalPriceOutOfRange,
        UnsupportedPayType,
    )
}
