"""Orders, payment, terms created at payment, invoices and refunds (AE22–AE36).

`Order` and `Invoice` are entities with a StrEnum status, a TRANSITIONS table and
`transition_to()`; every refusal names the rule it enforces.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Final

from tollhouse.domain.editions.errors import (
    EditionRefused,
    InvalidStatusTransition,
    InvoiceExists,
    NotLastOrder,
    OrderInvoiced,
    RefundAlreadyRequested,
    RefundWindowClosed,
)
from tollhouse.domain.editions.strategy import DEFAULT_SETTINGS, EditionSettings
from tollhouse.domain.editions.terms import OrderType, Term, renewal_begin
from tollhouse.domain.periods import require_utc

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from collections.abc import Set as AbstractSet

    from tollhouse.domain.editions.pricing import OrderLine, Quote


class OrderStatus(StrEnum):
    """`order_status` (AE32): 0 unpaid … 6 refund rejected."""

    UNPAID = "unpaid"
    PAID = "paid"
    CANCELLED = "cancelled"
    PAYMENT_EXPIRED = "payment_expired"
    REFUND_REQUESTED = "refund_requested"
    REFUNDED = "refunded"
    REFUND_REJECTED = "refund_rejected"

    @property
    def wecom_code(self) -> int:
        """The `service/get_order` code 0–6 (91909)."""
        return list(OrderStatus).index(self)


ORDER_TRANSITIONS: Final[Mapping[OrderStatus, AbstractSet[OrderStatus]]] = {
    OrderStatus.UNPAID: {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.PAYMENT_EXPIRED},
    OrderStatus.PAID: {OrderStatus.REFUND_REQUESTED},
    OrderStatus.REFUND_REQUESTED: {OrderStatus.REFUNDED, OrderStatus.REFUND_REJECTED},
}  # AE32; a status without an entry (2, 3, 5, 6) is final

LIVE_PAID_STATUSES: Final = frozenset(
    {OrderStatus.PAID, OrderStatus.REFUND_REQUESTED, OrderStatus.REFUND_REJECTED}
)  # the statuses that compete for "last order" (AE35 d, D21)


@dataclass(frozen=True, slots=True)
class OrderStatusChanged:
    """Event: an order moved from one status to another."""

    order_id: str
    old: OrderStatus
    new: OrderStatus
    at: datetime


@dataclass(eq=False)
class Order:
    """One purchase, expansion, renewal or edition change with its price fixed at creation."""

    TRANSITIONS: ClassVar[Mapping[OrderStatus, AbstractSet[OrderStatus]]] = ORDER_TRANSITIONS

    order_id: str
    app_id: str
    order_type: OrderType
    edition_id: str
    headcount: int
    cycles: int
    amount_fen: int
    order_period: int
    created_at: datetime
    lines: tuple[OrderLine, ...] = ()
    gift_duration_days: int = 0
    strategy_version: int | None = None
    status: OrderStatus = OrderStatus.UNPAID
    paid_at: datetime | None = None
    pay_channel: int | None = None  # 1 WeChat Pay, 2 online bank (AE23)
    channel_order_id: str | None = None
    begin_time: datetime | None = None
    end_time: datetime | None = None
    replaced_terms: tuple[Term, ...] = field(default=())  # plan changes: terms before payment

    def payment_deadline(self, *, settings: EditionSettings = DEFAULT_SETTINGS) -> datetime:
        """creation + 24 h: unpaid from then on means payment expired (AE24, D19)."""
        return self.created_at + timedelta(hours=settings.payment_window_hours)

    def transition_to(self, new: OrderStatus, *, at: datetime) -> OrderStatusChanged:
        """Move to `new` if AE32 allows it; raise InvalidStatusTransition otherwise."""
        require_utc(at)
        if new not in self.TRANSITIONS.get(self.status, frozenset()):
            raise InvalidStatusTransition(
                f"order {self.order_id} cannot move from {self.status} "
                f"({self.status.wecom_code}) to {new} ({new.wecom_code})",
                details={"order_id": self.order_id, "from": self.status.value, "to": new.value},
            )
        old, self.status = self.status, new
        return OrderStatusChanged(self.order_id, old, new, at)

    def expire_if_due(
        self, *, at: datetime, settings: EditionSettings = DEFAULT_SETTINGS
    ) -> OrderStatusChanged | None:
        """Move an unpaid order to payment-expired once its deadline has come (AE24)."""
        if self.status is OrderStatus.UNPAID and at >= self.payment_deadline(settings=settings):
            return self.transition_to(OrderStatus.PAYMENT_EXPIRED, at=at)
        return None

    def pay(
        self,
        *,
        at: datetime,
        pay_channel: int,
        channel_order_id: str | None = None,
        settings: EditionSettings = DEFAULT_SETTINGS,
    ) -> list[OrderStatusChanged]:
        """Record payment; at or after the deadline the order expires instead and payment fails."""
        expired = self.expire_if_due(at=at, settings=settings)
        if expired is not None:
            raise InvalidStatusTransition(
                f"order {self.order_id} expired at {self.payment_deadline(settings=settings)}; "
                "create a new order",
                details={"order_id": self.order_id, "rule": "AE24"},
            )
        event = self.transition_to(OrderStatus.PAID, at=at)
        self.paid_at, self.pay_channel, self.channel_order_id = at, pay_channel, channel_order_id
        return [event]


def order_from_quote(
    quote: Quote,
    *,
    order_id: str,
    app_id: str,
    at: datetime,
    cycles: int = 0,
    strategy_version: int | None = None,
) -> Order:
    """A new unpaid order whose price is the quote's, fixed now (AE24)."""
    require_utc(at)
    return Order(
        order_id=order_id,
        app_id=app_id,
        order_type=quote.order_type,
        edition_id=quote.edition_id,
        headcount=quote.headcount,
        cycles=quote.price.cycles if quote.price is not None else cycles,
        amount_fen=quote.amount_fen,
        order_period=quote.order_period,
        created_at=at,
        lines=quote.lines,
        gift_duration_days=quote.gift_duration_days,
        strategy_version=strategy_version,
    )


def cancel_superseded(orders: Iterable[Order], *, at: datetime) -> list[OrderStatusChanged]:
    """Cancel the app's older unpaid orders when a new one is created (AE24, D19)."""
    return [
        order.transition_to(OrderStatus.CANCELLED, at=at)
        for order in orders
        if order.status is OrderStatus.UNPAID
    ]


def term_for_paid_order(
    order: Order, quote: Quote, *, term_id: str, terms: Sequence[Term], paid_at: datetime
) -> Term:
    """The term a paid new purchase or renewal opens (AE10, AE22, AE26, D16, D17)."""
    if quote.price is None:
        raise InvalidStatusTransition(f"order {order.order_id} is a plan change; it opens no term")
    begin = (
        paid_at
        if order.order_type is OrderType.NEW_PURCHASE
        else renewal_begin(terms, paid_at=paid_at)
    )
    term = Term(
        term_id=term_id,
        order_id=order.order_id,
        edition_id=quote.edition_id,
        headcount=quote.headcount,
        cycles=quote.price.cycles,
        purchased_days=quote.price.purchased_days,
        bonus_days=quote.price.bonus_days,
        begin=begin,
        value=quote.price.after_cap,
    )
    order.begin_time, order.end_time = term.begin, term.end
    return term


def apply_plan_change(order: Order, quote: Quote, terms: Sequence[Term]) -> tuple[Term, ...]:
    """Terms after a paid expansion or edition change: new head-count/edition, V := V' (AE29)."""
    changes = {revaluation.term_id: revaluation for revaluation in quote.terms}
    order.replaced_terms = tuple(t for t in terms if t.term_id in changes)
    if order.replaced_terms:  # AE33: the change runs from payment to the last changed end
        order.begin_time = order.paid_at
        order.end_time = max(t.end for t in order.replaced_terms)
    updated = []
    for term in terms:
        change = changes.get(term.term_id)
        if change is None:
            updated.append(term)
            continue
        updated.append(
            replace(
                term,
                edition_id=quote.edition_id,
                headcount=_new_headcount(order, term),
                value=change.new_value,
            )
        )
    return tuple(updated)


def _new_headcount(order: Order, term: Term) -> int:
    return order.headcount if order.order_type is OrderType.EXPANSION else term.headcount


def terms_after_refund(order: Order, terms: Sequence[Term]) -> tuple[Term, ...]:
    """Undo a refunded order (AE36): drop its term, or restore the terms it replaced."""
    if order.order_type in {OrderType.NEW_PURCHASE, OrderType.RENEWAL}:
        return tuple(t for t in terms if t.order_id != order.order_id)
    previous = {t.term_id: t for t in order.replaced_terms}
    return tuple(previous.get(t.term_id, t) for t in terms)


class InvoiceType(StrEnum):
    NORMAL = "normal"  # 普通发票
    VAT = "vat"  # 增值税发票


class InvoiceStatus(StrEnum):
    REQUESTED = "requested"
    ISSUED_PAPER = "issued_paper"
    ISSUED_ELECTRONIC = "issued_electronic"
    CANCELLED = "cancelled"


INVOICE_TRANSITIONS: Final[Mapping[InvoiceStatus, AbstractSet[InvoiceStatus]]] = {
    InvoiceStatus.REQUESTED: {
        InvoiceStatus.ISSUED_PAPER,
        InvoiceStatus.ISSUED_ELECTRONIC,
        InvoiceStatus.CANCELLED,
    },
    InvoiceStatus.ISSUED_PAPER: {InvoiceStatus.CANCELLED},
    InvoiceStatus.ISSUED_ELECTRONIC: {InvoiceStatus.CANCELLED},
}  # AE34, 99437; cancelled is final (a new request is a new invoice)

ISSUED: Final = frozenset({InvoiceStatus.ISSUED_PAPER, InvoiceStatus.ISSUED_ELECTRONIC})


@dataclass(frozen=True, slots=True)
class InvoiceStatusChanged:
    invoice_id: str
    order_id: str
    old: InvoiceStatus
    new: InvoiceStatus
    at: datetime


@dataclass(eq=False)
class Invoice:
    """An invoice request of one order; the vendor issues it (AE34)."""

    TRANSITIONS: ClassVar[Mapping[InvoiceStatus, AbstractSet[InvoiceStatus]]] = INVOICE_TRANSITIONS

    invoice_id: str
    order_id: str
    invoice_type: InvoiceType
    title: str
    tax_id: str
    requested_at: datetime
    status: InvoiceStatus = InvoiceStatus.REQUESTED

    def transition_to(self, new: InvoiceStatus, *, at: datetime) -> InvoiceStatusChanged:
        """Move to `new` if the invoice table allows it."""
        if new not in self.TRANSITIONS.get(self.status, frozenset()):
            raise InvalidStatusTransition(
                f"invoice {self.invoice_id} cannot move from {self.status} to {new}",
                details={"rule": "AE34", "invoice_id": self.invoice_id},
            )
        old, self.status = self.status, new
        return InvoiceStatusChanged(self.invoice_id, self.order_id, old, new, at)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request cannot proceed: the §4.3 error name, the rule, and a message with values."""

    name: str
    rule: str
    message: str

    def to_error(self) -> EditionRefused:
        return _REFUSAL_ERRORS[self.name](self.message, details={"rule": self.rule})


_REFUSAL_ERRORS: Final[Mapping[str, type[EditionRefused]]] = {
    "invalid_status_transition": InvalidStatusTransition,
    "refund_already_requested": RefundAlreadyRequested,
    "refund_window_closed": RefundWindowClosed,
    "order_invoiced": OrderInvoiced,
    "not_last_order": NotLastOrder,
    "invoice_exists": InvoiceExists,
}

INVOICEABLE: Final = frozenset({OrderStatus.PAID, OrderStatus.REFUND_REJECTED})


def invoice_refusal(order: Order, invoices: Iterable[Invoice]) -> Refusal | None:
    """Why an invoice cannot be requested for the order now, or None (AE34)."""
    if order.status not in INVOICEABLE:
        return Refusal(
            "invalid_status_transition",
            "AE34",
            f"order {order.order_id} is {order.status}; invoices need paid or "
            "refund-rejected orders",
        )
    live = [
        i
        for i in invoices
        if i.order_id == order.order_id and i.status is not InvoiceStatus.CANCELLED
    ]
    if live:
        return Refusal(
            "invoice_exists",
            "AE34",
            f"invoice {live[0].invoice_id} of order {order.order_id} is {live[0].status}; "
            "it must be cancelled before a new request",
        )
    return None


def refund_refusals(
    order: Order,
    *,
    orders: Iterable[Order],
    invoices: Iterable[Invoice],
    at: datetime,
    settings: EditionSettings = DEFAULT_SETTINGS,
) -> tuple[Refusal, ...]:
    """Every reason a refund request is refused now (AE32, AE35, AE36); empty when allowed."""
    require_utc(at)
    if order.status in {
        OrderStatus.REFUND_REQUESTED,
        OrderStatus.REFUNDED,
        OrderStatus.REFUND_REJECTED,
    }:
        return (
            Refusal(
                "refund_already_requested",
                "AE36",
                f"order {order.order_id} already had a refund request ({order.status})",
            ),
        )
    if order.status is not OrderStatus.PAID or order.paid_at is None:
        return (
            Refusal(
                "invalid_status_transition",
                "AE32",
                f"order {order.order_id} is {order.status}; only paid orders can be refunded",
            ),
        )
    found = [
        _window_refusal(order, order.paid_at, at, settings),
        _invoiced_refusal(order, invoices),
        _last_order_refusal(order, order.paid_at, orders),
    ]
    return tuple(refusal for refusal in found if refusal is not None)


def refund_refusal(
    order: Order,
    *,
    orders: Iterable[Order],
    invoices: Iterable[Invoice],
    at: datetime,
    settings: EditionSettings = DEFAULT_SETTINGS,
) -> Refusal | None:
    """The first reason a refund request is refused, or None when it is allowed (AE35)."""
    found = refund_refusals(order, orders=orders, invoices=invoices, at=at, settings=settings)
    return found[0] if found else None


def _window_refusal(
    order: Order, paid_at: datetime, at: datetime, settings: EditionSettings
) -> Refusal | None:
    window = timedelta(hours=settings.refund_window_hours)
    if at - paid_at <= window:
        return None
    return Refusal(
        "refund_window_closed",
        "AE35",
        f"order {order.order_id} was paid {at - paid_at} before the request; refunds "
        f"close {settings.refund_window_hours} h after payment ({paid_at + window})",
    )


def _invoiced_refusal(order: Order, invoices: Iterable[Invoice]) -> Refusal | None:
    issued = [i.invoice_id for i in invoices if i.order_id == order.order_id and i.status in ISSUED]
    if not issued:
        return None
    return Refusal(
        "order_invoiced",
        "AE35",
        f"order {order.order_id} has issued invoice(s) {issued}; cancel them first",
    )


def _last_order_refusal(order: Order, paid_at: datetime, orders: Iterable[Order]) -> Refusal | None:
    later = [
        other.order_id
        for other in orders
        if other.app_id == order.app_id
        and other.status in LIVE_PAID_STATUSES
        and other.paid_at is not None
        and other.paid_at > paid_at
    ]
    if not later:
        return None
    return Refusal(
        "not_last_order",
        "AE35",
        f"order {order.order_id} is not the app's last order; refund {later} first",
    )


def request_refund(
    order: Order,
    *,
    orders: Iterable[Order],
    invoices: Sequence[Invoice],
    at: datetime,
    settings: EditionSettings = DEFAULT_SETTINGS,
) -> list[OrderStatusChanged | InvoiceStatusChanged]:
    """Move the order to refund-requested and cancel a pending invoice request (AE35, AE36)."""
    refusal = refund_refusal(order, orders=orders, invoices=invoices, at=at, settings=settings)
    if refusal is not None:
        raise refusal.to_error()
    events: list[OrderStatusChanged | InvoiceStatusChanged] = [
        order.transition_to(OrderStatus.REFUND_REQUESTED, at=at)
    ]
    pending = [
        invoice
        for invoice in invoices
        if invoice.order_id == order.order_id and invoice.status is InvoiceStatus.REQUESTED
    ]
    events.extend(invoice.transition_to(InvoiceStatus.CANCELLED, at=at) for invoice in pending)
    return events


def decide_refund(order: Order, *, approve: bool, at: datetime) -> OrderStatusChanged:
    """The vendor approves (→ refunded) or rejects (→ refund rejected, final) a request (AE36)."""
    return order.transition_to(
        OrderStatus.REFUNDED if approve else OrderStatus.REFUND_REJECTED, at=at
    )


def paytool_status(
    order: Order, *, at: datetime, settings: EditionSettings = DEFAULT_SETTINGS
) -> int:
    """The `paytool/*` order_status 1–7 of an order at `at` (§4.1, D25)."""
    if order.status is OrderStatus.PAID and order.paid_at is not None:
        open_window = at - order.paid_at <= timedelta(hours=settings.refund_window_hours)
        return 2 if open_window else 7
    return _PAYTOOL_CODES[order.status]


_PAYTOOL_CODES: Final = {
    OrderStatus.UNPAID: 1,
    OrderStatus.PAID: 2,
    OrderStatus.CANCELLED: 3,
    OrderStatus.PAYMENT_EXPIRED: 4,
    OrderStatus.REFUND_REQUESTED: 5,
    OrderStatus.REFUNDED: 6,
    OrderStatus.REFUND_REJECTED: 7,
}
